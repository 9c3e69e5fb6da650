package worker_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/rdb"
	"github.com/ytmaker/ytmaker/internal/stage"
	"github.com/ytmaker/ytmaker/internal/taskspec"
	"github.com/ytmaker/ytmaker/internal/worker"
	"github.com/ytmaker/ytmaker/tasks"
)

// fastRetries shortens the retry schedule so a test can use the whole
// budget in a few seconds.
func fastRetries(c *worker.Config) { c.RetryDelays = taskspec.RetrySchedule{time.Second} }

// TestWaitAfterLastRetryDoesNotFail: a stage that used its 3 retries on
// 503s and then must wait for a quota reset waits and runs again; the wait
// neither uses an attempt nor gets the task archived.
func TestWaitAfterLastRetryDoesNotFail(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	pid := e.newProject("wait-after-retries")
	var calls atomic.Int32
	e.stages.on(project.StageScript, func(ctx context.Context, job stage.Job) (any, error) {
		switch n := calls.Add(1); {
		case n <= 3:
			return nil, errcode.HTTP("GEMINI", http.StatusServiceUnavailable, nil, "model overloaded")
		case n == 4:
			return nil, stage.Snooze(time.Now().Add(time.Second),
				errcode.New(errcode.YouTubeQuotaExceeded, "the quota is used up", true))
		}
		return map[string]string{"ok": "yes"}, nil
	})
	e.startWorker(2, fastRetries)
	h, err := e.client.Delay(ctx, tasks.GenerateScript, tasks.Args{ProjectID: pid})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Get(ctx, 30*time.Second); err != nil {
		t.Fatalf("Get = %v; want success after 3 failures and a wait", err)
	}
	if n := calls.Load(); n != 5 {
		t.Fatalf("the stage ran %d times, want 5 (3 failures, a wait, a success)", n)
	}
	ss := e.state(pid).Stages.Script
	if ss.Status != project.StageCompleted || ss.Attempts != 4 {
		t.Fatalf("script stage = %s after %d attempts; want completed after 4 (the wait is not an attempt)", ss.Status, ss.Attempts)
	}
	var outcomes []string
	for _, a := range ss.History {
		outcomes = append(outcomes, a.Outcome)
	}
	want := []string{project.OutcomeFailed, project.OutcomeFailed, project.OutcomeFailed, project.OutcomeWaiting, project.OutcomeCompleted}
	if len(outcomes) != len(want) {
		t.Fatalf("history outcomes %v, want %v", outcomes, want)
	}
	for i := range want {
		if outcomes[i] != want[i] {
			t.Fatalf("history outcomes %v, want %v", outcomes, want)
		}
	}
	if info, err := e.client.Info(ctx, h.ID()); err == nil && info.MaxRetries != taskspec.MaxRetries {
		t.Errorf("task info says max_retries %d, want %d", info.MaxRetries, taskspec.MaxRetries)
	}
}

// TestBusyAfterLastRetryDoesNotFail: the retry after the last failure
// finds the project busy (another stage holds its lock); it waits for the
// lock instead of being archived, then succeeds.
func TestBusyAfterLastRetryDoesNotFail(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	pid := e.newProject("busy-after-retries")
	lockKey := rdb.LockKey(pid)
	var calls atomic.Int32
	taken := make(chan struct{})
	e.stages.on(project.StageScript, func(ctx context.Context, job stage.Job) (any, error) {
		n := calls.Add(1)
		if n == 3 {
			// Once this attempt lets the lock go, someone else holds it
			// for 2.5 s: the next delivery finds the project busy.
			go func() {
				defer close(taken)
				for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
					if ok, _ := e.rdb.SetNX(context.Background(), lockKey, "another-stage", 2500*time.Millisecond).Result(); ok {
						return
					}
				}
			}()
		}
		if n <= 3 {
			return nil, errcode.HTTP("GEMINI", http.StatusServiceUnavailable, nil, "model overloaded")
		}
		return map[string]string{"ok": "yes"}, nil
	})
	e.startWorker(2, fastRetries)
	h, err := e.client.Delay(ctx, tasks.GenerateScript, tasks.Args{ProjectID: pid})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Get(ctx, 30*time.Second); err != nil {
		t.Fatalf("Get = %v; want success after 3 failures and a busy project", err)
	}
	select {
	case <-taken:
	default:
		t.Fatal("the lock was never taken by the other holder")
	}
	if n := calls.Load(); n != 4 {
		t.Fatalf("the stage ran %d times, want 4", n)
	}
	if ss := e.state(pid).Stages.Script; ss.Status != project.StageCompleted || ss.Attempts != 4 {
		t.Fatalf("script stage = %s after %d attempts; want completed after 4", ss.Status, ss.Attempts)
	}
}
