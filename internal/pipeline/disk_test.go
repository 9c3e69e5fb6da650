package pipeline_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/leftover"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/store"
)

// TestFullDiskDuringRenderIsToldAtOnce fills the data directory's disk (a
// tmpfs) while the render runs: ffmpeg cannot write, and project_state.json
// cannot be written either. The project must show FAILED with DISK_FULL
// within 5 s of the failure, the stage not retried, and the record must
// reach project_state.json once the disk has room again. The render then
// succeeds, with no leftover of the failed attempt. Mounting needs root;
// errcode, store and ffmpeg test the same failures without it.
func TestFullDiskDuringRenderIsToldAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("renders a video")
	}
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root; see errcode.TestStorageTellsTheTruth and store.TestStateKeptAsideWhileTheDiskRefuses")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	s := start(t, options{dataDir: dir})
	ctx := context.Background()
	text := "The disk fills up while the video renders.\n\nNothing more can be written to it.\n\nThe render must say so at once."
	id := s.project("Disk", text, func(in *project.Input) { in.Settings.Motion = "kenburns" })
	h, err := s.client.Chain(ctx, id, "script", "assets")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Get(ctx, 2*time.Minute); err != nil {
		t.Fatal(err)
	}

	h, err = s.client.Chain(ctx, id, "render")
	if err != nil {
		t.Fatal(err)
	}
	// Fill the disk once the render runs.
	for s.state(id).Stages.Render.Status != project.StageRunning {
		time.Sleep(5 * time.Millisecond)
	}
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	for {
		if _, err := f.Write(buf); err != nil {
			break
		}
	}
	f.Close()
	_, runErr := h.Get(ctx, 2*time.Minute)
	failedAt := time.Now()
	if errcode.Code(runErr) != errcode.DiskFull {
		t.Fatalf("the run ended with %v, want DISK_FULL", runErr)
	}
	var st *project.State
	for {
		st = s.state(id)
		if st.Status == project.Failed {
			break
		}
		if time.Since(failedAt) > 5*time.Second {
			t.Fatalf("5 s after the failure the project still says %s (render %s)", st.Status, st.Stages.Render.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("FAILED shown %v after the run ended", time.Since(failedAt).Round(time.Millisecond))
	r := st.Stages.Render
	if r.Status != project.StageFailed || r.Error == nil || r.Error.Code != errcode.DiskFull || st.Error.Code != errcode.DiskFull {
		t.Fatalf("render %s, error %+v", r.Status, r.Error)
	}
	if n := len(r.History); n != 1 || r.History[0].Outcome != project.OutcomeFailed || r.History[0].Error.Code != errcode.DiskFull {
		t.Fatalf("attempts %+v: want one failed with DISK_FULL (not retried)", r.History)
	}

	// Room again: the record reaches the file.
	os.Remove(filler)
	if left, err := s.engine.Store().Flush(ctx); err != nil || left != 0 {
		t.Fatalf("flush: %d left, %v", left, err)
	}
	raw, err := os.ReadFile(filepath.Join(s.engine.Store().ProjectDir(id), store.StateFile))
	if err != nil {
		t.Fatal(err)
	}
	var file project.State
	if err := json.Unmarshal(raw, &file); err != nil || file.Status != project.Failed || file.Stages.Render.Error.Code != errcode.DiskFull {
		t.Fatalf("project_state.json says %s (%v)", file.Status, err)
	}

	h, err = s.client.Chain(ctx, id, "render")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Get(ctx, 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	st = s.state(id)
	if n := len(st.Stages.Render.History); n != 2 || st.Stages.Render.History[1].Outcome != project.OutcomeCompleted {
		t.Fatalf("attempts %+v", st.Stages.Render.History)
	}
	filepath.WalkDir(s.engine.Store().ProjectDir(id), func(path string, d os.DirEntry, err error) error {
		if err == nil && leftover.Stale(d.Name(), time.Now(), time.Now(), 0) {
			t.Errorf("leftover %s", path)
		}
		return nil
	})
}
