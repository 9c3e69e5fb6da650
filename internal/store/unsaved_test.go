package store

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/project"
)

// memUnsaved is an in-memory Unsaved.
type memUnsaved struct {
	mu sync.Mutex
	m  map[int64][]byte
	v  map[int64]int64
}

func newMemUnsaved() *memUnsaved { return &memUnsaved{m: map[int64][]byte{}, v: map[int64]int64{}} }

func (u *memUnsaved) Put(_ context.Context, id, version int64, data []byte) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if version <= u.v[id] {
		return fmt.Errorf("a later state of project %d is kept", id)
	}
	u.m[id], u.v[id] = data, version
	return nil
}

func (u *memUnsaved) Get(_ context.Context, id int64) ([]byte, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.m[id], nil
}

func (u *memUnsaved) Delete(_ context.Context, id, version int64) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.v[id] <= version {
		delete(u.m, id)
		delete(u.v, id)
	}
	return nil
}

func (u *memUnsaved) IDs(context.Context) ([]int64, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	var ids []int64
	for id := range u.m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

// failStage marks the render failed with e, as a stage failure does.
func failStage(e *errcode.Error) func(*project.State) error {
	return func(st *project.State) error {
		st.Stages.Render.Status = project.StageFailed
		st.Stages.Render.Error = e
		st.Status = project.Failed
		st.Error = e
		return nil
	}
}

// TestStateKeptAsideWhileTheDiskRefuses makes project_state.json
// unwritable (ENOSPC, then EROFS) and expects the failure record to be
// kept, read back as the project's state, and written to the file once
// the disk takes writes again.
func TestStateKeptAsideWhileTheDiskRefuses(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.ENOSPC, syscall.EROFS} {
		t.Run(errno.Error(), func(t *testing.T) {
			s, err := Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			p, err := s.CreateProject(context.Background(), input("disk"), 0)
			if err != nil {
				t.Fatal(err)
			}
			running, err := s.UpdateState(p.ID, func(st *project.State) error {
				st.Stages.Render.Status = project.StageRunning
				st.Status = project.Rendering
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			broken := func(path string, v any, perm os.FileMode) error {
				return &fs.PathError{Op: "write", Path: path, Err: errno}
			}
			s.writeJSON = broken
			code := errcode.DiskFull
			if errno == syscall.EROFS {
				code = errcode.FileSystemError
			}
			fail := errcode.New(code, "render: "+errno.Error(), false)

			// Without a place to keep it, the write fails with the truth.
			if _, err := s.UpdateState(p.ID, failStage(fail)); errcode.Code(err) != code || errcode.IsRetryable(err) {
				t.Fatalf("without Unsaved: %v", err)
			}
			u := newMemUnsaved()
			s.KeepUnsaved(u, nil)
			st, err := s.UpdateState(p.ID, failStage(fail))
			if err != nil {
				t.Fatalf("with Unsaved: %v", err)
			}
			if st.Version != running.Version+1 {
				t.Fatalf("version %d", st.Version)
			}
			got, err := s.State(p.ID)
			if err != nil || got.Status != project.Failed || got.Stages.Render.Error.Code != code {
				t.Fatalf("state read back: %+v, %v", got, err)
			}
			// A second process reads the same through the shared store.
			s2, _ := Open(s.Root())
			s2.KeepUnsaved(u, nil)
			if got, _ := s2.State(p.ID); got.Status != project.Failed {
				t.Fatalf("another reader sees %s", got.Status)
			}
			if left, err := s.Flush(context.Background()); left != 1 || err != nil {
				t.Fatalf("flush on a refusing disk: %d left, %v", left, err)
			}

			// The disk takes writes again.
			s.writeJSON = defaultWriteJSON
			if left, err := s.Flush(context.Background()); left != 0 || err != nil {
				t.Fatalf("flush: %d left, %v", left, err)
			}
			var file project.State
			raw, _ := os.ReadFile(filepath.Join(s.ProjectDir(p.ID), StateFile))
			if err := json.Unmarshal(raw, &file); err != nil || file.Status != project.Failed || file.Version != st.Version {
				t.Fatalf("file after flush: %+v, %v", file, err)
			}
			if ids, _ := u.IDs(context.Background()); len(ids) != 0 {
				t.Fatalf("still kept: %v", ids)
			}
		})
	}
}

// TestStateKeptAsideOnAFullTmpfs does the same on a real full file
// system: a 1 MiB tmpfs filled up, then remounted read-only. Mounting
// needs root.
func TestStateKeptAsideOnAFullTmpfs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root; TestStateKeptAsideWhileTheDiskRefuses injects the same errors")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	u := newMemUnsaved()
	s.KeepUnsaved(u, nil)
	p, err := s.CreateProject(context.Background(), input("full"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateState(p.ID, func(*project.State) error { return nil }); err != nil {
		t.Fatal(err) // creates the lock file while there is room
	}
	// Fill the disk.
	f, _ := os.Create(filepath.Join(dir, "filler"))
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			break
		}
	}
	f.Close()
	fail := errcode.New(errcode.DiskFull, "render: no space left on device", false)
	if _, err := s.UpdateState(p.ID, failStage(fail)); err != nil {
		t.Fatalf("full disk: %v", err)
	}
	if got, _ := s.State(p.ID); got.Status != project.Failed {
		t.Fatalf("full disk: status %s", got.Status)
	}
	if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v %s", err, out)
	}
	cancel := errcode.New(errcode.Cancelled, "later change", false)
	if _, err := s.UpdateState(p.ID, failStage(cancel)); err != nil {
		t.Fatalf("read-only: %v", err)
	}
	if got, _ := s.State(p.ID); got.Error.Code != errcode.Cancelled {
		t.Fatalf("read-only: %+v", got.Error)
	}
	exec.Command("mount", "-o", "remount,rw", dir).Run()
	os.Remove(filepath.Join(dir, "filler"))
	if left, err := s.Flush(context.Background()); left != 0 || err != nil {
		t.Fatalf("flush: %d left, %v", left, err)
	}
	s.KeepUnsaved(nil, nil)
	if got, _ := s.State(p.ID); got.Error == nil || got.Error.Code != errcode.Cancelled {
		t.Fatalf("file after flush: %+v", got)
	}
}
