// Package leftover names the temporary files and folders YTMaker writes
// next to their final place, and removes the ones a killed process left
// behind.
//
// A temporary name carries its owner: the machine (owner.Host) and the
// process (owner.ID, pid and start time) that made it, as in
//
//	.project_state.json.tmp-1a2b3c4d.4242x987654-123456789
//	.narration.wav.parts-1a2b3c4d.4242x987654-123456789
//	.render-1a2b3c4d.4242x987654-123456789
//
// so a sweep can tell the work of a live process from the leftovers of a
// dead one without any record kept elsewhere.
package leftover

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/internal/owner"
)

// Markers introduce the owner in a temporary name: ".<name>.tmp-",
// ".<name>.parts-" and ".render-".
var markers = []string{".tmp-", ".parts-", ".render-"}

// Tag returns the owner part of the names this process makes.
func Tag() string { return owner.Host() + "." + owner.Self().String() }

// Pattern returns an os.CreateTemp / os.MkdirTemp pattern for a temporary
// of kind ("tmp", "parts") next to a file named base: "." + base + "." +
// kind + "-" + Tag() + "-*" + suffix.
func Pattern(base, kind, suffix string) string {
	return "." + base + "." + kind + "-" + Tag() + "-*" + suffix
}

// DirPattern returns the os.MkdirTemp pattern of a work folder of kind
// ("render"): "." + kind + "-" + Tag() + "-*".
func DirPattern(kind string) string { return "." + kind + "-" + Tag() + "-*" }

// Policy says which leftovers a sweep removes.
type Policy struct {
	// Foreign is the age past which a leftover is removed although its
	// owner cannot be checked: it was made on another machine or boot, or
	// by a version that did not tag its temporary names. A leftover of a
	// dead process on this machine goes at any age; one of a live process
	// is always kept.
	Foreign time.Duration
	// Depth bounds how deep below the root the sweep looks.
	Depth int
}

// Startup is the policy of a process that starts: it holds no project
// lock, so work of other machines may be in progress anywhere.
var Startup = Policy{Foreign: time.Hour, Depth: 4}

// Resume is the policy of a stage that starts on a project folder it holds
// the lock of: nothing else renders or synthesizes there, and only an
// atomic write of a small file (a fraction of a second) may be in flight.
var Resume = Policy{Foreign: time.Minute, Depth: 3}

// Sweep removes below root the leftovers that pol allows and returns their
// paths. Folders that are leftovers go whole. A root that does not exist
// holds nothing.
func Sweep(root string, pol Policy) ([]string, error) {
	var removed []string
	now := time.Now()
	rootDepth := strings.Count(filepath.Clean(root), string(filepath.Separator))
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			if path == root {
				return err
			}
			return nil // unreadable folder: leave it
		}
		if path == root {
			return nil
		}
		if !Stale(d.Name(), modTime(d), now, pol.Foreign) {
			if d.IsDir() && strings.Count(path, string(filepath.Separator))-rootDepth >= pol.Depth {
				return fs.SkipDir
			}
			return nil
		}
		if err := os.RemoveAll(path); err == nil {
			removed = append(removed, path)
		}
		if d.IsDir() {
			return fs.SkipDir
		}
		return nil
	})
	return removed, err
}

func modTime(d fs.DirEntry) time.Time {
	info, err := d.Info()
	if err != nil {
		return time.Time{}
	}
	return info.ModTime()
}

// Stale reports whether name, last modified at mod, is a leftover that a
// sweep at now removes when foreign leftovers go after the given age. It
// is false for names that are not temporary names at all.
func Stale(name string, mod, now time.Time, foreign time.Duration) bool {
	tag, ok := tagOf(name)
	if !ok {
		return false
	}
	hostPart, idPart, ok := strings.Cut(tag, ".")
	if ok && hostPart == owner.Host() {
		if id, err := owner.Parse(idPart); err == nil {
			return !id.Alive()
		}
	}
	return now.Sub(mod) > foreign
}

// Temporary reports whether name is a temporary name (of this or any
// other process, tagged or not): a file or folder that has no business
// remaining once the work that made it is over.
func Temporary(name string) bool {
	_, ok := tagOf(name)
	return ok
}

// tagOf returns the owner part of a temporary name ("" for an untagged
// one), and whether name is a temporary name.
func tagOf(name string) (string, bool) {
	if !strings.HasPrefix(name, ".") {
		return "", false
	}
	for _, m := range markers {
		i := strings.Index(name, m)
		if i < 0 || (m == ".render-" && i != 0) {
			continue
		}
		rest := name[i+len(m):]
		tag, _, ok := strings.Cut(rest, "-")
		if !ok {
			return "", true // an untagged name from an older version
		}
		return tag, true
	}
	return "", false
}
