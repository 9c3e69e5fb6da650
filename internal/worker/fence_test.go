package worker_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/stage"
)

// TestFrozenWorkerCannotWriteOverTakeover: a worker frozen mid-stage
// (SIGSTOP) loses the stage to another worker; when it thaws (SIGCONT) it
// must stop without a write: the stage stays running for the new holder,
// runs no third time, and the project completes once.
func TestFrozenWorkerCannotWriteOverTakeover(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	pid := e.newProject("frozen")
	child := e.startChildWorker(project.StageAssets, "")
	h, err := e.client.Chain(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "assets to start in the child worker", func() bool {
		return len(e.stages.starts(t, pid, project.StageAssets)) == 1
	})
	frozenHolder := e.state(pid).Stages.Assets.Holder
	if frozenHolder == "" {
		t.Fatal("the running stage names no holder")
	}
	if err := child.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	thawed := false
	thaw := func() {
		if !thawed {
			thawed = true
			child.Process.Signal(syscall.SIGCONT)
		}
	}
	defer thaw()
	// The frozen stage still counts as running in the recorder.
	e.rdb.Set(ctx, fmt.Sprintf("test:%d:running", pid), 0, 0)

	release := make(chan struct{})
	e.stages.on(project.StageAssets, func(ctx context.Context, job stage.Job) (any, error) {
		select {
		case <-release:
			return map[string]string{"assets": "done"}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	e.startWorker(2)
	// The frozen worker's liveness record expires (5 s): the new worker
	// takes the stage over.
	waitFor(t, 20*time.Second, "the new worker to take the stage over", func() bool {
		return len(e.stages.starts(t, pid, project.StageAssets)) == 2
	})
	newHolder := e.state(pid).Stages.Assets.Holder
	if newHolder == frozenHolder || newHolder == "" {
		t.Fatalf("holder after the takeover = %q (frozen one %q)", newHolder, frozenHolder)
	}

	// Thaw the frozen worker: it finds its lock gone, its stage stops, and
	// its reports are refused. Then stop it, so all it did is done.
	thaw()
	stoppedKey := fmt.Sprintf("test:%d:%s:stopped", pid, project.StageAssets)
	waitFor(t, 15*time.Second, "the thawed worker's stage to stop", func() bool {
		n, _ := e.rdb.Get(ctx, stoppedKey).Int()
		return n == 1
	})
	child.Process.Signal(syscall.SIGTERM)
	child.Wait()

	st := e.state(pid)
	if ss := st.Stages.Assets; ss.Status != project.StageRunning || ss.Holder != newHolder {
		t.Fatalf("after the stale worker thawed: assets %s held by %q; want running held by %q", ss.Status, ss.Holder, newHolder)
	}
	if st.Status != project.AssetsGenerating {
		t.Fatalf("project status %s, want %s", st.Status, project.AssetsGenerating)
	}

	close(release)
	if _, err := h.Get(ctx, 60*time.Second); err != nil {
		t.Fatalf("chain after the takeover: %v", err)
	}
	if n := len(e.stages.starts(t, pid, project.StageAssets)); n != 2 {
		t.Fatalf("assets ran %d times, want 2 (frozen + taken over)", n)
	}
	for _, s := range []project.Stage{project.StageScript, project.StageRender, project.StageThumbnail, project.StageUpload} {
		if n := len(e.stages.starts(t, pid, s)); n != 1 {
			t.Errorf("stage %s ran %d times, want 1", s, n)
		}
	}
	if st := e.state(pid); st.Status != project.Completed {
		t.Fatalf("status %s", st.Status)
	}
}
