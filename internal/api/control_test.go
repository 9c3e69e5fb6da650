package api

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/api/wire"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/quota"
	"github.com/ytmaker/ytmaker/internal/redistest"
	"github.com/ytmaker/ytmaker/internal/stage"
	"github.com/ytmaker/ytmaker/tasks"
)

func TestGenerateIsIdempotentWhileRunning(t *testing.T) {
	e := newEnv(t, envOptions{worker: true})
	g := newGate()
	e.stages.on(project.StageScript, g.stage(project.StageScript))
	id := e.createProject("idempotent")
	path := fmt.Sprintf("/api/v1/projects/%d/generate", id)
	var first, second, third wire.RunRef
	r := e.do("POST", path, nil).ok(202, &first)
	if first.TaskID == "" || first.Run != 1 || first.Status != project.RunQueued || first.AlreadyRunning {
		t.Fatalf("first generate %+v", first)
	}
	if r.header.Get("Location") != "/api/v1/tasks/"+first.TaskID {
		t.Fatalf("Location %q", r.header.Get("Location"))
	}
	if fmt.Sprint(first.Stages) != fmt.Sprint(project.Stages) {
		t.Fatalf("stages %v", first.Stages)
	}
	g.waitStarted(t, 10*time.Second)
	e.do("POST", path, `{}`).ok(202, &second)
	e.do("POST", path, `{"from":"render"}`).ok(202, &third)
	for _, again := range []wire.RunRef{second, third} {
		if again.TaskID != first.TaskID || again.Run != first.Run || !again.AlreadyRunning || again.Status != project.RunRunning {
			t.Fatalf("generate while running = %+v, want the same run as %+v", again, first)
		}
	}
	// The task endpoint follows the run's handle.
	var task wire.Task
	e.do("GET", "/api/v1/tasks/"+first.TaskID, nil).ok(200, &task)
	if task.ID != first.TaskID || task.Type != "chain" || task.ProjectID != id || task.State != "running" {
		t.Fatalf("task %+v", task)
	}
	g.open()
	e.waitStatus(id, project.Completed, 20*time.Second)
	waitFor(t, 5*time.Second, "the chain's record to finish", func() bool {
		e.do("GET", "/api/v1/tasks/"+first.TaskID, nil).ok(200, &task)
		return task.State == "succeeded"
	})
	if st := e.state(id); st.RunSeq != 1 {
		t.Fatalf("%d runs were started, want 1", st.RunSeq)
	}
	// A completed project: generate needs a stage to start from.
	e.do("POST", path, nil).fails(409, "PROJECT_ALREADY_COMPLETED")
	e.do("POST", path, `{"from":"sideways"}`).fails(422, "INVALID_INPUT")
	e.do("POST", path, `{"start":"render"}`).fails(400, CodeUnknownField)
	var again wire.RunRef
	e.do("POST", path, `{"from":"video_rendering"}`).ok(202, &again)
	if again.Run != 2 || fmt.Sprint(again.Stages) != "[render thumbnail upload]" || again.TaskID == first.TaskID {
		t.Fatalf("generate from render %+v", again)
	}
	e.waitStatus(id, project.Completed, 20*time.Second)
}

func TestPauseResumeCancel(t *testing.T) {
	e := newEnv(t, envOptions{worker: true})
	g := newGate()
	e.stages.on(project.StageAssets, g.stage(project.StageAssets))
	id := e.createProject("control")
	base := fmt.Sprintf("/api/v1/projects/%d", id)
	e.do("POST", base+"/pause", nil).fails(409, "PROJECT_NOT_RUNNING")
	e.do("POST", base+"/cancel", nil).fails(409, "PROJECT_NOT_RUNNING")
	var run, paused, resumed wire.RunRef
	form := "application/x-www-form-urlencoded"
	e.do("POST", base+"/generate", "from=script", "Content-Type", form).fails(415, CodeUnsupportedMedia)
	// An empty body passes whatever its label (urllib and curl -d '' say
	// it is a form).
	e.do("POST", base+"/generate", "", "Content-Type", form).ok(202, &run)
	g.waitStarted(t, 10*time.Second)
	e.do("POST", base+"/pause", nil).ok(202, &paused)
	if !paused.PauseRequested || paused.TaskID != run.TaskID {
		t.Fatalf("pause answer %+v", paused)
	}
	// Resume before the pause happened: the request is withdrawn.
	e.do("POST", base+"/resume", nil).ok(202, &resumed)
	if resumed.PauseRequested || resumed.TaskID != run.TaskID || resumed.Status != project.RunRunning {
		t.Fatalf("resume of a pending pause %+v", resumed)
	}
	e.do("POST", base+"/pause", nil).ok(202, &paused)
	g.open() // assets finish; the run pauses before render
	e.waitStatus(id, project.Paused, 10*time.Second)
	if p := e.project(id); p.Run.State != project.RunPaused || p.CurrentStage != project.StageRender {
		t.Fatalf("paused project %+v", p.Run)
	}
	e.do("POST", base+"/resume", nil).ok(202, &resumed)
	if resumed.TaskID != run.TaskID || resumed.Run != run.Run {
		t.Fatalf("resume made a new run: %+v vs %+v", resumed, run)
	}
	e.waitStatus(id, project.Completed, 20*time.Second)

	// Cancel a running stage: it stops and is not retried.
	var started atomic.Int64
	e.stages.on(project.StageRender, func(ctx context.Context, job stage.Job) (any, error) {
		started.Add(1)
		<-ctx.Done()
		return nil, ctx.Err()
	})
	e.do("POST", base+"/generate", `{"from":"render"}`).ok(202, &run)
	waitFor(t, 10*time.Second, "render to start", func() bool { return started.Load() == 1 })
	var cancelled wire.RunRef
	e.do("POST", base+"/cancel", nil).ok(202, &cancelled)
	if !cancelled.CancelRequested {
		t.Fatalf("cancel answer %+v", cancelled)
	}
	st := e.waitStatus(id, project.Cancelled, 5*time.Second)
	if st.Run.State != project.RunCancelled || st.Stages.Render.Status != project.StageCancelled {
		t.Fatalf("after cancel %s %s", st.Run.State, st.Stages.Render.Status)
	}
	e.do("POST", base+"/cancel", nil).fails(409, "PROJECT_NOT_RUNNING")
	e.do("POST", base+"/retry", nil).fails(409, CodeNothingToRetry)
	// Resume after a cancel: a new chain from the first unfinished stage.
	e.stages.on(project.StageRender, nil)
	var again wire.RunRef
	e.do("POST", base+"/resume", nil).ok(202, &again)
	if again.Run != run.Run+1 || again.Stages[0] != project.StageRender {
		t.Fatalf("resume after cancel %+v", again)
	}
	e.waitStatus(id, project.Completed, 20*time.Second)
	e.do("POST", base+"/resume", nil).fails(409, "PROJECT_ALREADY_COMPLETED")
}

func TestRetryFromTheFailedStage(t *testing.T) {
	e := newEnv(t, envOptions{worker: true})
	var renders atomic.Int64
	e.stages.on(project.StageRender, func(ctx context.Context, job stage.Job) (any, error) {
		if renders.Add(1) == 1 {
			return nil, permanent("FFMPEG_FAILED")
		}
		return defaultStage(project.StageRender)(ctx, job)
	})
	id := e.createProject("retry")
	base := fmt.Sprintf("/api/v1/projects/%d", id)
	e.do("POST", base+"/retry", nil).fails(409, CodeNothingToRetry)
	e.do("POST", base+"/generate", nil).ok(202, nil)
	e.waitStatus(id, project.Failed, 20*time.Second)
	p := e.project(id)
	if p.Error == nil || p.Error.Code != "FFMPEG_FAILED" || p.Stages[2].Status != project.StageFailed ||
		p.Stages[2].Error == nil || p.Stages[2].Attempts != 1 || p.Stages[1].Status != project.StageCompleted {
		t.Fatalf("failed project %+v / %+v", p.Error, p.Stages[2])
	}
	if p.Progress != 45 { // script (10) + assets (35) of 100
		t.Fatalf("progress of a failed project %d", p.Progress)
	}
	e.do("GET", base+"/result", nil).fails(409, CodeNotCompleted)
	var ref wire.RunRef
	e.do("POST", base+"/retry", nil).ok(202, &ref)
	if ref.Run != 2 || fmt.Sprint(ref.Stages) != "[render thumbnail upload]" {
		t.Fatalf("retry %+v", ref)
	}
	e.waitStatus(id, project.Completed, 20*time.Second)
	st := e.state(id)
	if st.Stages.Script.Run != 1 || st.Stages.Assets.Run != 1 || st.Stages.Render.Run != 2 {
		t.Fatalf("retry redid finished stages: script run %d assets run %d", st.Stages.Script.Run, st.Stages.Assets.Run)
	}
	e.do("POST", base+"/retry", nil).fails(409, CodeNothingToRetry)
}

func TestResultAndDownloads(t *testing.T) {
	e := newEnv(t, envOptions{worker: true})
	id := e.createProject("downloads")
	base := fmt.Sprintf("/api/v1/projects/%d", id)
	e.do("GET", base+"/result", nil).fails(409, CodeNotCompleted)
	for _, f := range []string{"video", "thumbnail", "script"} {
		err := e.do("GET", base+"/"+f, nil).fails(404, CodeOutputNotReady)
		if err.Details["file"] != f {
			t.Fatalf("file detail %v", err.Details)
		}
	}
	e.do("POST", base+"/generate", nil).ok(202, nil)
	e.waitStatus(id, project.Completed, 20*time.Second)

	var res wire.Result
	e.do("GET", base+"/result", nil).ok(200, &res)
	video := videoBytes()
	if res.Video == nil || res.Video.URL != base+"/video" || res.Video.SizeBytes != int64(len(video)) ||
		!strings.HasSuffix(res.Video.Path, "output/final_video.mp4") {
		t.Fatalf("video %+v", res.Video)
	}
	if res.Thumbnail == nil || res.Thumbnail.URL != base+"/thumbnail" || res.Script == nil {
		t.Fatalf("thumbnail/script %+v %+v", res.Thumbnail, res.Script)
	}
	if res.YouTube.Uploaded || res.YouTube.Status != "not uploaded: no YouTube credentials" || res.CompletedAt == nil {
		t.Fatalf("youtube %+v", res.YouTube)
	}
	p := e.project(id)
	if p.Outputs.VideoURL != base+"/video" || p.Outputs.ThumbnailURL == "" || p.Outputs.ScriptURL == "" {
		t.Fatalf("outputs %+v", p.Outputs)
	}
	if p.Stages[4].Status != project.StageSkipped || p.Stages[0].DurationSeconds == nil {
		t.Fatalf("stages %+v", p.Stages)
	}
	// Secrets in stage results are never shown.
	if bytes.Contains(e.do("GET", base, nil).body, []byte("secret.example")) {
		t.Fatal("a session URI leaked into the project view")
	}

	get := func(path string, h ...string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		for i := 0; i+1 < len(h); i += 2 {
			req.Header.Set(h[i], h[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp, b.Bytes()
	}
	resp, body := get(base + "/video")
	if resp.StatusCode != 200 || !bytes.Equal(body, video) || resp.Header.Get("Content-Type") != "video/mp4" ||
		resp.Header.Get("Accept-Ranges") != "bytes" || !strings.Contains(resp.Header.Get("Content-Disposition"), "final_video.mp4") {
		t.Fatalf("full video: %d %v (%d bytes)", resp.StatusCode, resp.Header, len(body))
	}
	resp, body = get(base+"/video", "Range", "bytes=100-199")
	if resp.StatusCode != 206 || !bytes.Equal(body, video[100:200]) ||
		resp.Header.Get("Content-Range") != fmt.Sprintf("bytes 100-199/%d", len(video)) {
		t.Fatalf("range: %d %q (%d bytes)", resp.StatusCode, resp.Header.Get("Content-Range"), len(body))
	}
	resp, body = get(base+"/video", "Range", "bytes=-10")
	if resp.StatusCode != 206 || !bytes.Equal(body, video[len(video)-10:]) {
		t.Fatalf("suffix range: %d (%d bytes)", resp.StatusCode, len(body))
	}
	resp, body = get(base+"/video", "Range", "bytes=299990-")
	if resp.StatusCode != 206 || !bytes.Equal(body, video[299990:]) {
		t.Fatalf("open range: %d", resp.StatusCode)
	}
	resp, body = get(base+"/video", "Range", "bytes=0-0,10-11")
	if resp.StatusCode != 206 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "multipart/byteranges") {
		t.Fatalf("multi range: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	resp, _ = get(base+"/video", "Range", "bytes=400000-")
	if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		t.Fatalf("unsatisfiable range: %d", resp.StatusCode)
	}
	resp, _ = get(base + "/video")
	etag := resp.Header.Get("ETag")
	resp, _ = get(base+"/video", "If-None-Match", etag)
	if etag == "" || resp.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match %q: %d", etag, resp.StatusCode)
	}
	resp, body = get(base+"/video", "Range", "bytes=0-9", "If-Range", `"stale"`)
	if resp.StatusCode != 200 || len(body) != len(video) {
		t.Fatalf("stale If-Range must send the whole file: %d", resp.StatusCode)
	}
	head := e.do("HEAD", base+"/video", nil)
	if head.code != 200 || head.header.Get("Content-Length") != fmt.Sprint(len(video)) || len(head.body) != 0 {
		t.Fatalf("HEAD %d %v", head.code, head.header)
	}
	resp, body = get(base + "/thumbnail")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" || !bytes.HasPrefix(body, []byte("\xFF\xD8")) {
		t.Fatalf("thumbnail %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	resp, body = get(base + "/script")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || !bytes.Contains(body, []byte("segments")) {
		t.Fatalf("script %d %s", resp.StatusCode, body)
	}
}

func TestUploadResultShapes(t *testing.T) {
	st := project.NewState(1, time.Now())
	st.Stages.Upload.Status = project.StageCompleted
	st.Stages.Upload.Result = []byte(`{"video_id":"abc123","privacy":"unlisted","upload_session":"https://x/upload?id=1"}`)
	up := parseUpload(st)
	if !up.Uploaded || up.URL != "https://www.youtube.com/watch?v=abc123" || up.Privacy != "unlisted" {
		t.Fatalf("uploaded %+v", up)
	}
	if got := string(redact(st.Stages.Upload.Result)); strings.Contains(got, "upload?id") || !strings.Contains(got, "abc123") {
		t.Fatalf("redact %s", got)
	}
	st.Stages.Upload.Status = project.StageSkipped
	st.Stages.Upload.Result = []byte(`{"skipped":true}`)
	if up := parseUpload(st); up.Uploaded || up.Reason != "skipped" || up.URL != "" {
		t.Fatalf("skipped %+v", up)
	}
	st.Stages.Upload.Status = project.StagePending
	st.Stages.Upload.Result = nil
	if up := parseUpload(st); up.Reason != "the upload stage has not run" {
		t.Fatalf("pending %+v", up)
	}
}

func TestTasksAndQuotas(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, id := range []string{"bad%20id", "a%2Fb", strings.Repeat("x", 201), "semi;colon"} {
		e.do("GET", "/api/v1/tasks/"+id, nil).fails(404, CodeTaskNotFound)
	}
	e.do("GET", "/api/v1/tasks/00000000-0000-0000-0000-000000000000", nil).fails(404, CodeTaskNotFound)
	h, err := e.client.Delay(context.Background(), tasks.DebugTask, tasks.Args{})
	if err != nil {
		t.Fatal(err)
	}
	var task wire.Task
	e.do("GET", "/api/v1/tasks/"+h.ID(), nil).ok(200, &task)
	if task.Type != "debug_task" || task.Queue != "maintenance" || task.State != "pending" || task.QueueState != "pending" ||
		task.MaxRetries != 3 {
		t.Fatalf("task %+v", task)
	}
	var q map[string]any
	e.do("GET", "/api/v1/quotas", nil).ok(200, &q)
	if svc, ok := q["services"].(map[string]any); !ok || len(svc) != 0 {
		t.Fatalf("quotas without a tracker: %v", q)
	}
}

func TestResumeWithdrawsAPendingPause(t *testing.T) {
	e := newEnv(t, envOptions{worker: true})
	g := newGate()
	e.stages.on(project.StageScript, g.stage(project.StageScript))
	id := e.createProject("withdraw")
	base := fmt.Sprintf("/api/v1/projects/%d", id)
	e.do("POST", base+"/generate", nil).ok(202, nil)
	g.waitStarted(t, 10*time.Second)
	var paused, ref wire.RunRef
	e.do("POST", base+"/pause", nil).ok(202, &paused)
	e.do("POST", base+"/resume", nil).ok(202, &ref)
	if !paused.PauseRequested || ref.PauseRequested || ref.AlreadyRunning || ref.TaskID != paused.TaskID {
		t.Fatalf("pause %+v, then resume %+v", paused, ref)
	}
	g.open()
	st := e.waitStatus(id, project.Completed, 20*time.Second)
	if st.RunSeq != 1 {
		t.Fatalf("%d runs", st.RunSeq)
	}
}

func TestQuotasFromATracker(t *testing.T) {
	srv := redistest.Start(t)
	tracker := quota.New(srv.Client(), quota.Options{})
	if err := tracker.Record(context.Background(), quota.YouTube, 1650); err != nil {
		t.Fatal(err)
	}
	// The tracker counts in a Redis of its own; the API just reports it.
	e := newEnv(t, envOptions{quotas: tracker})
	var snap quota.Snapshot
	e.do("GET", "/api/v1/quotas", nil).ok(200, &snap)
	yt, ok := snap.Services[quota.YouTube]
	if !ok || yt.Used != 1650 || yt.Limit == nil || *yt.Limit != 10000 || snap.YouTube.UploadsLeft != 5 {
		t.Fatalf("snapshot %+v", snap)
	}
}
