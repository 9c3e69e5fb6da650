package worker_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/stage"
	"github.com/ytmaker/ytmaker/progress"
	"github.com/ytmaker/ytmaker/tasks"
)

func TestChainEndToEndWithProgress(t *testing.T) {
	e := newEnv(t)
	e.startWorker(2)
	ctx := context.Background()
	pid := e.newProject("chain")
	e.stages.on(project.StageAssets, func(ctx context.Context, job stage.Job) (any, error) {
		var in map[string]any
		if err := json.Unmarshal(job.Input(), &in); err != nil || in["stage"] != "script" {
			return nil, errcode.Newf(errcode.InvalidInput, false, "assets got input %s", job.Input())
		}
		for i := 1; i <= 10; i++ {
			job.Progress(float64(i*10), "image")
		}
		return map[string]any{"stage": "assets", "images": 3}, nil
	})
	sub, err := e.client.SubscribeProgress(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()

	h, err := e.client.Chain(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := h.Get(ctx, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	json.Unmarshal(raw, &res)
	if res["stage"] != "upload" {
		t.Fatalf("chain result = %s, want the upload stage's", raw)
	}
	msgs := collect(t, sub, 10*time.Second)
	last := -1
	hundreds := 0
	seen := map[string]bool{}
	for _, m := range msgs {
		if m.Progress < last {
			t.Fatalf("progress went backwards: %d after %d", m.Progress, last)
		}
		last = m.Progress
		if m.Progress == 100 {
			hundreds++
		}
		seen[m.Stage] = true
		if m.ProjectID != pid || m.Timestamp == "" {
			t.Fatalf("bad message %+v", m)
		}
	}
	if hundreds != 1 || msgs[len(msgs)-1].Progress != 100 || msgs[len(msgs)-1].Stage != progress.StageCompleted {
		t.Fatalf("want exactly one 100, last: %+v (hundreds=%d)", msgs[len(msgs)-1], hundreds)
	}
	for _, s := range []string{progress.StageScript, progress.StageAssets, progress.StageRender, progress.StageThumbnail, progress.StageUpload} {
		if !seen[s] {
			t.Errorf("no message for stage %s", s)
		}
	}
	st := e.state(pid)
	if st.Status != project.Completed || st.Run.State != project.RunSucceeded {
		t.Fatalf("state = %s / %s", st.Status, st.Run.State)
	}
	for _, s := range project.Stages {
		ss := st.Stages.Get(s)
		if ss.Status != project.StageCompleted || ss.Attempts != 1 || ss.StartedAt == nil || ss.FinishedAt == nil || ss.Result == nil {
			t.Errorf("stage %s = %+v", s, ss)
		}
	}
	// A late subscriber gets the final snapshot at once.
	late, err := e.client.SubscribeProgress(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	defer late.Close()
	if m := collect(t, late, 5*time.Second); len(m) != 1 || m[0].Progress != 100 {
		t.Fatalf("late subscriber got %+v", m)
	}
	// Each stage's own task has its result too.
	info, err := e.client.Info(ctx, st.Stages.Script.TaskID)
	if err != nil || info.State != "succeeded" || info.Type != tasks.GenerateScript || info.Queue != tasks.QueueVideo {
		t.Fatalf("script task info = %+v, %v", info, err)
	}
}

func TestDelayAndGetTimeout(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	pid := e.newProject("single")
	release := make(chan struct{})
	e.stages.on(project.StageScript, func(ctx context.Context, job stage.Job) (any, error) {
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return map[string]string{"title": "ok"}, nil
	})
	e.startWorker(2)
	h, err := e.client.Delay(ctx, tasks.GenerateScript, tasks.Args{ProjectID: pid})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := h.Get(ctx, 300*time.Millisecond); !errors.Is(err, tasks.ErrTimeout) {
		t.Fatalf("Get = %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d < 300*time.Millisecond || d > 2*time.Second {
		t.Fatalf("Get returned after %s", d)
	}
	// A second run while this one is active is refused with the active handle.
	if _, err := e.client.Delay(ctx, tasks.GenerateScript, tasks.Args{ProjectID: pid}); errcode.Code(err) != errcode.ProjectBusy {
		t.Fatalf("second Delay = %v, want PROJECT_BUSY", err)
	}
	close(release)
	var out map[string]string
	if err := h.GetInto(ctx, 10*time.Second, &out); err != nil || out["title"] != "ok" {
		t.Fatalf("GetInto = %v %v", out, err)
	}
	st := e.state(pid)
	if st.Status != project.ScriptGenerated || st.Stages.Assets.Status != project.StagePending {
		t.Fatalf("after a single task: status %s, assets %s", st.Status, st.Stages.Assets.Status)
	}
	if _, err := e.client.Handle("no-such-task").Get(ctx, time.Second); !errors.Is(err, tasks.ErrNotFound) {
		t.Fatalf("unknown handle: %v", err)
	}
}

func TestDebugTask(t *testing.T) {
	e := newEnv(t)
	e.startWorker(1)
	ctx := context.Background()
	h, err := e.client.Delay(ctx, tasks.DebugTask, tasks.Args{Payload: json.RawMessage(`{"hello":"world"}`)})
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		ID      string          `json:"id"`
		Queue   string          `json:"queue"`
		Payload json.RawMessage `json:"payload"`
	}
	if err := h.GetInto(ctx, 10*time.Second, &out); err != nil {
		t.Fatal(err)
	}
	if out.ID != h.ID() || out.Queue != tasks.QueueMaintenance || string(out.Payload) != `{"hello":"world"}` {
		t.Fatalf("debug result %+v", out)
	}
}
