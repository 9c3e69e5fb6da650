package worker_test

import (
	"context"
	"errors"
	"os/exec"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/stage"
	"github.com/ytmaker/ytmaker/tasks"
)

func TestCancelStopsTheRunningStageAndSticks(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	pid := e.newProject("cancel")
	var childPID atomic.Int64
	e.stages.on(project.StageRender, func(ctx context.Context, job stage.Job) (any, error) {
		cmd := exec.CommandContext(ctx, "sleep", "60")
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		childPID.Store(int64(cmd.Process.Pid))
		return nil, cmd.Wait()
	})
	e.startWorker(2)
	h, err := e.client.Chain(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "render to start its child", func() bool { return childPID.Load() != 0 })
	start := time.Now()
	if err := e.client.Cancel(ctx, pid); err != nil {
		t.Fatal(err)
	}
	_, err = h.Get(ctx, 10*time.Second)
	if errcode.Code(err) != errcode.Cancelled {
		t.Fatalf("Get = %v, want CANCELLED", err)
	}
	waitFor(t, 2*time.Second, "the child process to die", func() bool {
		return syscall.Kill(int(childPID.Load()), 0) != nil
	})
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("cancel took %s", d)
	}
	st := e.state(pid)
	if st.Status != project.Cancelled || st.Run.State != project.RunCancelled || st.Stages.Render.Status != project.StageCancelled {
		t.Fatalf("state after cancel: %s %s %s", st.Status, st.Run.State, st.Stages.Render.Status)
	}
	// Never retried: asynq's own cancel would put the task in "retry";
	// ours revokes it, so it is gone from the queue.
	insp := e.engine.Inspector()
	waitFor(t, 5*time.Second, "the render task to leave the queue", func() bool {
		_, err := insp.GetTaskInfo(tasks.QueueVideo, st.Stages.Render.TaskID)
		return errors.Is(err, asynq.ErrTaskNotFound)
	})
	if n := len(e.stages.starts(t, pid, project.StageRender)); n != 1 {
		t.Fatalf("render ran %d times after cancel", n)
	}
	if n := len(e.stages.starts(t, pid, project.StageThumbnail)); n != 0 {
		t.Fatal("the chain went on after cancel")
	}
	// Cancelling again: nothing to cancel.
	if err := e.client.Cancel(ctx, pid); errcode.Code(err) != "PROJECT_NOT_RUNNING" {
		t.Fatalf("second cancel = %v", err)
	}
}

func TestCancelQueuedRunWithoutWorker(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	pid := e.newProject("queued")
	h, err := e.client.Chain(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.client.Cancel(ctx, pid); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Get(ctx, 5*time.Second); errcode.Code(err) != errcode.Cancelled {
		t.Fatalf("Get = %v", err)
	}
	// The queued task was removed from the queue: no worker will run it.
	if _, err := e.engine.Inspector().GetTaskInfo(tasks.QueueVideo, "p1-r1-script"); !errors.Is(err, asynq.ErrTaskNotFound) {
		t.Fatalf("queued task after cancel: %v", err)
	}
}

func TestPauseFinishesTheStageThenResumeContinues(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	pid := e.newProject("pause")
	entered := make(chan struct{})
	release := make(chan struct{})
	e.stages.on(project.StageAssets, func(ctx context.Context, job stage.Job) (any, error) {
		close(entered)
		<-release
		return map[string]string{"stage": "assets"}, nil
	})
	e.startWorker(2)
	h, _ := e.client.Chain(ctx, pid)
	<-entered
	if err := e.client.Pause(ctx, pid); err != nil {
		t.Fatal(err)
	}
	close(release)
	waitFor(t, 10*time.Second, "the project to pause", func() bool { return e.state(pid).Status == project.Paused })
	st := e.state(pid)
	if st.Stages.Assets.Status != project.StageCompleted || st.Stages.Render.Status != project.StageQueued || st.Run.State != project.RunPaused {
		t.Fatalf("paused state: assets %s render %s run %s", st.Stages.Assets.Status, st.Stages.Render.Status, st.Run.State)
	}
	// Get keeps waiting while paused.
	if _, err := h.Get(ctx, 500*time.Millisecond); !errors.Is(err, tasks.ErrTimeout) {
		t.Fatalf("Get while paused = %v", err)
	}
	if n := len(e.stages.starts(t, pid, project.StageRender)); n != 0 {
		t.Fatal("render started while paused")
	}
	h2, err := e.client.Resume(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	if h2.ID() != h.ID() {
		t.Fatalf("resuming a paused run should keep its handle: %s vs %s", h2.ID(), h.ID())
	}
	if _, err := h.Get(ctx, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	for _, s := range project.Stages {
		if n := len(e.stages.starts(t, pid, s)); n != 1 {
			t.Errorf("stage %s ran %d times", s, n)
		}
	}
}

func TestPauseQueuedRunTakesEffectAtOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	pid := e.newProject("pause-queued")
	h, _ := e.client.Chain(ctx, pid)
	if err := e.client.Pause(ctx, pid); err != nil {
		t.Fatal(err)
	}
	if st := e.state(pid); st.Status != project.Paused {
		t.Fatalf("status %s, want PAUSED at once", st.Status)
	}
	e.startWorker(1)
	if _, err := e.client.Resume(ctx, pid); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Get(ctx, 20*time.Second); err != nil {
		t.Fatal(err)
	}
}
