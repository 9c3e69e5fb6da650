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

func TestTimeLimitKillsTheStageAndRetries(t *testing.T) {
	e := newEnvWith(t, tasks.TimeLimits{Script: time.Second})
	ctx := context.Background()
	pid := e.newProject("slow")
	var calls atomic.Int32
	var child atomic.Int64
	e.stages.on(project.StageScript, func(ctx context.Context, job stage.Job) (any, error) {
		if calls.Add(1) > 1 {
			return map[string]string{"ok": "second attempt"}, nil
		}
		cmd := exec.CommandContext(ctx, "sleep", "60") // stands in for ffmpeg
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		child.Store(int64(cmd.Process.Pid))
		return nil, cmd.Wait()
	})
	e.startWorker(2)
	sub, _ := e.client.SubscribeProgress(ctx, pid)
	defer sub.Close()
	h, err := e.client.Delay(ctx, tasks.GenerateScript, tasks.Args{ProjectID: pid})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Get(ctx, 20*time.Second); err != nil {
		t.Fatalf("Get = %v, want success on the second attempt", err)
	}
	if err := syscall.Kill(int(child.Load()), 0); err == nil {
		t.Fatal("the stage's child process outlived the time limit")
	}
	var limitErr *errcode.Error
	for _, m := range collect(t, sub, 5*time.Second) {
		if m.Error != nil && m.Error.Code == errcode.TimeLimitExceeded {
			limitErr = m.Error
		}
	}
	if limitErr == nil || !limitErr.Retryable || limitErr.Attempt != 1 {
		t.Fatalf("time-limit error published: %+v", limitErr)
	}
	if st := e.state(pid); st.Stages.Script.Attempts != 2 {
		t.Fatalf("attempts %d", st.Stages.Script.Attempts)
	}
}

func TestStartupReenqueuesAProjectWhoseTaskWasLost(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	pid := e.newProject("lost")
	h, err := e.client.Chain(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	// Redis lost the queued task (say, an append-only file cut short by a
	// power loss); the project's state still says the run is queued.
	insp := e.engine.Inspector()
	if err := insp.DeleteTask(tasks.QueueVideo, "p1-r1-script"); err != nil {
		t.Fatal(err)
	}
	if _, err := insp.GetTaskInfo(tasks.QueueVideo, "p1-r1-script"); !errors.Is(err, asynq.ErrTaskNotFound) {
		t.Fatalf("task still there: %v", err)
	}
	e.startWorker(2) // its start-up scan finds the project and enqueues it again
	if _, err := h.Get(ctx, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if st := e.state(pid); st.Status != project.Completed {
		t.Fatalf("status %s", st.Status)
	}
}
