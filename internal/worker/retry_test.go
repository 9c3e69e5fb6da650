package worker_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/stage"
	"github.com/ytmaker/ytmaker/progress"
	"github.com/ytmaker/ytmaker/tasks"
)

// failUntil makes a stage fail with err on its first n attempts, recording
// when each attempt failed.
func failUntil(n int32, mk func() error, failedAt *[]time.Time) func(context.Context, stage.Job) (any, error) {
	var calls atomic.Int32
	return func(ctx context.Context, job stage.Job) (any, error) {
		if calls.Add(1) <= n {
			*failedAt = append(*failedAt, time.Now())
			return nil, mk()
		}
		return map[string]string{"ok": "yes"}, nil
	}
}

func TestRetryTimingsAndFinalSuccess(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 17 s for the seed's 2/5/10 s retry schedule")
	}
	e := newEnv(t)
	ctx := context.Background()
	pid := e.newProject("retries")
	var failedAt []time.Time
	e.stages.on(project.StageScript, failUntil(3, func() error {
		return errcode.HTTP("GEMINI", http.StatusServiceUnavailable, nil, "model overloaded")
	}, &failedAt))
	e.startWorker(2)
	sub, _ := e.client.SubscribeProgress(ctx, pid)
	defer sub.Close()
	h, err := e.client.Delay(ctx, tasks.GenerateScript, tasks.Args{ProjectID: pid})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Get(ctx, 40*time.Second); err != nil {
		t.Fatalf("Get = %v, want success after 3 retries", err)
	}
	starts := e.stages.starts(t, pid, project.StageScript)
	if len(starts) != 4 || len(failedAt) != 3 {
		t.Fatalf("%d attempts, %d failures; want 4 and 3", len(starts), len(failedAt))
	}
	for i, want := range []time.Duration{2 * time.Second, 5 * time.Second, 10 * time.Second} {
		got := starts[i+1].Sub(failedAt[i])
		if got < want-time.Second || got > want+time.Second {
			t.Errorf("retry %d started %s after the failure, want %s ± 1s", i+1, got.Round(time.Millisecond), want)
		} else {
			t.Logf("retry %d: %s after the failure (want %s)", i+1, got.Round(time.Millisecond), want)
		}
	}
	st := e.state(pid)
	if st.Stages.Script.Attempts != 4 || st.Stages.Script.Status != project.StageCompleted || st.Stages.Script.Error != nil {
		t.Fatalf("script stage = %+v", st.Stages.Script)
	}
	// Every failed attempt was published with its error.
	msgs := collect(t, sub, 5*time.Second)
	retryNotices := 0
	for _, m := range msgs {
		if m.Error != nil && m.Stage == progress.StageScript {
			retryNotices++
			if m.Error.Code != "GEMINI_UNAVAILABLE" || !m.Error.Retryable || m.Error.Stage != "script" || m.Error.Attempt == 0 {
				t.Errorf("retry notice error = %+v", m.Error)
			}
		}
	}
	if retryNotices != 3 {
		t.Errorf("%d retry notices, want 3", retryNotices)
	}
}

func TestNonRetryableFailsAtOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	pid := e.newProject("auth")
	e.stages.on(project.StageScript, func(ctx context.Context, job stage.Job) (any, error) {
		return nil, errcode.HTTP("GEMINI", http.StatusUnauthorized, nil, "API key not valid")
	})
	e.startWorker(2)
	sub, _ := e.client.SubscribeProgress(ctx, pid)
	defer sub.Close()
	h, err := e.client.Chain(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = h.Get(ctx, 20*time.Second)
	ce, ok := errcode.As(err)
	if !ok || ce.Code != "GEMINI_AUTH_FAILED" || ce.Retryable || ce.Stage != "script" || ce.Attempt != 1 {
		t.Fatalf("Get error = %#v, want GEMINI_AUTH_FAILED on attempt 1", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("non-retryable failure took %s", d)
	}
	if n := len(e.stages.starts(t, pid, project.StageScript)); n != 1 {
		t.Fatalf("%d attempts, want 1", n)
	}
	st := e.state(pid)
	if st.Status != project.Failed || st.Error == nil || st.Error.Code != "GEMINI_AUTH_FAILED" || st.Stages.Script.Status != project.StageFailed {
		t.Fatalf("state = %s %+v %s", st.Status, st.Error, st.Stages.Script.Status)
	}
	msgs := collect(t, sub, 5*time.Second)
	last := msgs[len(msgs)-1]
	if last.Stage != progress.StageError || last.Error == nil || last.Error.Code != "GEMINI_AUTH_FAILED" {
		t.Fatalf("last message = %+v", last)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	pid := e.newProject("429")
	var failedAt []time.Time
	e.stages.on(project.StageScript, failUntil(1, func() error {
		h := http.Header{}
		h.Set("Retry-After", "4")
		return errcode.HTTP("GEMINI", http.StatusTooManyRequests, h, "quota")
	}, &failedAt))
	e.startWorker(2)
	h, _ := e.client.Delay(ctx, tasks.GenerateScript, tasks.Args{ProjectID: pid})
	if _, err := h.Get(ctx, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	starts := e.stages.starts(t, pid, project.StageScript)
	if len(starts) != 2 {
		t.Fatalf("%d attempts", len(starts))
	}
	got := starts[1].Sub(failedAt[0])
	if got < 3*time.Second || got > 5*time.Second {
		t.Fatalf("retry after %s, want Retry-After 4s ± 1s (the schedule alone says 2s)", got)
	}
}

func TestResumeAfterFailureRedoesOnlyTheFailedStage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	pid := e.newProject("resume")
	var broken atomic.Bool
	broken.Store(true)
	e.stages.on(project.StageRender, func(ctx context.Context, job stage.Job) (any, error) {
		if broken.Load() {
			return nil, errcode.New(errcode.FFmpegFailed, "encoder exploded", false)
		}
		return map[string]string{"stage": "render"}, nil
	})
	e.startWorker(2)
	h, _ := e.client.Chain(ctx, pid)
	if _, err := h.Get(ctx, 20*time.Second); errcode.Code(err) != errcode.FFmpegFailed {
		t.Fatalf("first run: %v", err)
	}
	broken.Store(false)
	h2, err := e.client.Resume(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	if h2.ID() == h.ID() {
		t.Fatal("resume after failure should be a new run")
	}
	if _, err := h2.Get(ctx, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	for s, want := range map[project.Stage]int{project.StageScript: 1, project.StageAssets: 1, project.StageRender: 2,
		project.StageThumbnail: 1, project.StageUpload: 1} {
		if n := len(e.stages.starts(t, pid, s)); n != want {
			t.Errorf("stage %s ran %d times, want %d", s, n, want)
		}
	}
	if st := e.state(pid); st.Status != project.Completed {
		t.Fatalf("status %s", st.Status)
	}
	// A completed project says so.
	if _, err := e.client.Resume(ctx, pid); errcode.Code(err) != "PROJECT_ALREADY_COMPLETED" {
		t.Fatalf("resume of completed = %v", err)
	}
}

func TestSnoozeWaitsWithoutUsingAnAttempt(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	pid := e.newProject("quota")
	var calls atomic.Int32
	e.stages.on(project.StageUpload, func(ctx context.Context, job stage.Job) (any, error) {
		if calls.Add(1) == 1 {
			return nil, stage.Snooze(time.Now().Add(3*time.Second), errcode.New(errcode.YouTubeQuotaExceeded, "daily quota used up", false))
		}
		return map[string]string{"video_id": "abc"}, nil
	})
	e.startWorker(2)
	h, _ := e.client.Delay(ctx, tasks.UploadToYouTube, tasks.Args{ProjectID: pid})
	waitFor(t, 10*time.Second, "the upload to wait", func() bool {
		return e.state(pid).Stages.Upload.Status == project.StageWaiting
	})
	st := e.state(pid)
	if st.Stages.Upload.WaitUntil == nil || st.Stages.Upload.Error == nil || st.Stages.Upload.Error.Code != errcode.YouTubeQuotaExceeded {
		t.Fatalf("waiting stage = %+v", st.Stages.Upload)
	}
	if _, err := h.Get(ctx, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	starts := e.stages.starts(t, pid, project.StageUpload)
	if len(starts) != 2 || starts[1].Sub(starts[0]) < 2*time.Second {
		t.Fatalf("upload attempts at %v", starts)
	}
	st = e.state(pid)
	if st.Stages.Upload.Attempts != 1 || st.Stages.Upload.Status != project.StageCompleted || st.Stages.Upload.WaitUntil != nil {
		t.Fatalf("after the wait: %+v", st.Stages.Upload)
	}
}
