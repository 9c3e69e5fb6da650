// Package stockcache keeps downloaded stock footage and photos in one
// folder (DATA_DIR/cache/stock) so that a clip used by several projects
// is downloaded once. The folder has a size limit: after each new file
// the least recently used files are removed until the rest fit. Files
// are written atomically, so a reader never sees half a file, and
// several processes may share the folder.
package stockcache

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/atomicfile"
	"github.com/ytmaker/ytmaker/internal/leftover"
)

// Cache is a folder of downloads with a size limit. It is safe for
// concurrent use.
type Cache struct {
	dir string
	max int64

	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

// New returns the cache in dir holding at most maxBytes (0: no limit).
func New(dir string, maxBytes int64) *Cache {
	return &Cache{dir: dir, max: maxBytes, locks: map[string]*sync.Mutex{}}
}

// Dir is the cache's folder.
func (c *Cache) Dir() string { return c.dir }

// lock serialises the filling of one key within this process.
func (c *Cache) lock(key string) func() {
	c.mu.Lock()
	l := c.locks[key]
	if l == nil {
		l = &sync.Mutex{}
		c.locks[key] = l
	}
	c.mu.Unlock()
	l.Lock()
	return l.Unlock
}

// Get returns the file stored under name, downloading it with fetch
// (which must write the path it is given, atomically) when it is not
// there; hit reports whether it was. name must be a plain file name.
func (c *Cache) Get(ctx context.Context, name string, fetch func(ctx context.Context, path string) error) (path string, hit bool, err error) {
	if name == "" || name != filepath.Base(name) || strings.HasPrefix(name, ".") {
		return "", false, errcode.Newf(errcode.InvalidInput, false, "bad cache name %q", name)
	}
	unlock := c.lock(name)
	defer unlock()
	path = filepath.Join(c.dir, name)
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && fi.Size() > 0 {
		now := time.Now()
		os.Chtimes(path, now, now) // most recently used
		return path, true, nil
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return "", false, errcode.Classify(err)
	}
	if err := fetch(ctx, path); err != nil {
		return "", false, err
	}
	c.evict(name)
	return path, false, nil
}

// Remove drops a file (one found to be unusable).
func (c *Cache) Remove(name string) {
	if name != "" && name == filepath.Base(name) {
		os.Remove(filepath.Join(c.dir, name))
	}
}

// evict removes the least recently used files, never keep, until the
// folder fits its limit.
func (c *Cache) evict(keep string) {
	if c.max <= 0 {
		return
	}
	ents, err := os.ReadDir(c.dir)
	if err != nil {
		return
	}
	type file struct {
		name string
		size int64
		used time.Time
	}
	var files []file
	var total int64
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		if leftover.Temporary(e.Name()) && time.Since(fi.ModTime()) < time.Hour {
			total += fi.Size() // a download under way elsewhere
			continue
		}
		files = append(files, file{e.Name(), fi.Size(), fi.ModTime()})
		total += fi.Size()
	}
	slices.SortFunc(files, func(a, b file) int { return a.used.Compare(b.used) })
	for _, f := range files {
		if total <= c.max {
			return
		}
		if f.name == keep {
			continue
		}
		if os.Remove(filepath.Join(c.dir, f.name)) == nil {
			total -= f.size
		}
	}
}

// Place puts a copy of the cached file at dst: a hard link when the
// folders share a file system (no space used, and evicting the cached
// file later leaves dst whole), else a copy written atomically.
func Place(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return errcode.Classify(err)
	}
	// A name the leftover sweep knows, should this process die here.
	tmp := filepath.Join(filepath.Dir(dst), strings.Replace(leftover.Pattern(filepath.Base(dst), "link", ""), "*", "0", 1))
	os.Remove(tmp)
	if err := os.Link(src, tmp); err == nil {
		if err := atomicfile.Rename(tmp, dst); err != nil {
			os.Remove(tmp)
			return errcode.Classify(err)
		}
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return errcode.Classify(err)
	}
	defer in.Close()
	if err := atomicfile.Write(dst, 0o644, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	}); err != nil {
		return errcode.Classify(err)
	}
	return nil
}
