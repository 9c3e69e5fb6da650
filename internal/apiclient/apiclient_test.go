package apiclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/api"
	"github.com/ytmaker/ytmaker/internal/api/wire"
	"github.com/ytmaker/ytmaker/internal/engine"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/redistest"
	"github.com/ytmaker/ytmaker/internal/stage"
	"github.com/ytmaker/ytmaker/internal/worker"
	"github.com/ytmaker/ytmaker/procman"
	"github.com/ytmaker/ytmaker/progress"
)

type skipped struct {
	Reason string `json:"reason"`
}

func (skipped) StageSkipped() bool { return true }

// startServer runs a real API (Redis, task client, worker with fast test
// stages) and returns its URL.
func startServer(t *testing.T, token string) string {
	t.Helper()
	rs := redistest.Start(t)
	rdb := rs.Client()
	eng, err := engine.Open(engine.Config{Redis: rdb, DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	stages := map[project.Stage]stage.Stage{}
	for _, s := range project.Stages {
		stages[s] = stage.Func(func(ctx context.Context, job stage.Job) (any, error) {
			job.Progress(50, "half way")
			switch s {
			case project.StageRender:
				path := filepath.Join(job.Dir(), "output", "final_video.mp4")
				os.MkdirAll(filepath.Dir(path), 0o755)
				return map[string]string{"video_path": path}, os.WriteFile(path, []byte("not really an mp4"), 0o644)
			case project.StageUpload:
				return skipped{Reason: "no YouTube credentials"}, nil
			}
			return map[string]string{"stage": string(s)}, nil
		})
	}
	w, err := worker.New(worker.Config{Engine: eng, Concurrency: 2, ShutdownTimeout: 5 * time.Second, Stages: stages})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	h := api.New(api.Config{Engine: eng, Token: token,
		Status: func(ctx context.Context) procman.Status { return procman.Status{Status: "healthy"} }})
	srv := httptest.NewUnstartedServer(h)
	srv.Config.RegisterOnShutdown(h.Shutdown)
	srv.Start()
	t.Cleanup(func() { h.Shutdown(); srv.Close() })
	return srv.URL
}

func TestClientEndToEnd(t *testing.T) {
	url := startServer(t, "tok")
	c, err := New(url, "tok")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Health(ctx); err != nil {
		t.Fatal(err)
	}
	if st, err := c.Status(ctx); err != nil || st.Status != "healthy" {
		t.Fatalf("status %+v %v", st, err)
	}
	p, err := c.CreateProject(ctx, project.Input{Name: "client", Content: "One. Two. Three."})
	if err != nil || p.ID <= 0 || p.Status != project.Initialized {
		t.Fatalf("create %+v %v", p, err)
	}
	run, err := c.Generate(ctx, p.ID, "")
	if err != nil || run.TaskID == "" || run.Run != 1 {
		t.Fatalf("generate %+v %v", run, err)
	}
	var seen []int
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	last, err := c.WaitRun(wctx, p.ID, run.Run, func(m progress.Message) { seen = append(seen, m.Progress) })
	if err != nil || last.Progress != 100 || last.Stage != progress.StageCompleted || !last.Final {
		t.Fatalf("WaitRun: %+v %v (seen %v)", last, err, seen)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] < seen[i-1] {
			t.Fatalf("progress went backwards: %v", seen)
		}
	}
	// Waiting again for the finished run returns at once (the snapshot).
	if again, err := c.WaitRun(wctx, p.ID, run.Run, nil); err != nil || again.Seq != last.Seq {
		t.Fatalf("second WaitRun %+v %v", again, err)
	}
	// Once a later run has started, the end of run 1 is not mistaken for
	// it, nor the other way round: waiting for run 1 is a conflict.
	run2, err := c.Generate(ctx, p.ID, "thumbnail")
	if err != nil || run2.Run != 2 {
		t.Fatalf("generate from thumbnail %+v %v", run2, err)
	}
	last2, err := c.WaitRun(wctx, p.ID, run2.Run, nil)
	if err != nil || last2.Run != 2 || !last2.Final || last2.Seq <= last.Seq {
		t.Fatalf("WaitRun of run 2: %+v %v", last2, err)
	}
	var conflict *Error
	if _, err := c.WaitRun(wctx, p.ID, run.Run, nil); !errors.As(err, &conflict) || conflict.Status != 409 {
		t.Fatalf("WaitRun of run 1 after run 2: %v, want a 409", err)
	}
	res, err := c.Result(ctx, p.ID)
	if err != nil || res.Video == nil || res.YouTube.Uploaded || res.YouTube.Status != "not uploaded: no YouTube credentials" {
		t.Fatalf("result %+v %v", res, err)
	}
	var video bytes.Buffer
	if n, err := c.Download(ctx, p.ID, "video", &video); err != nil || n != int64(len("not really an mp4")) {
		t.Fatalf("download %d %v", n, err)
	}
	if _, err := c.Download(ctx, p.ID, "thumbnail", &video); Code(err) != "OUTPUT_NOT_READY" {
		t.Fatalf("thumbnail download: %v", err)
	}
	task, err := c.Task(ctx, run.TaskID)
	if err != nil || task.State != "succeeded" || task.ProjectID != p.ID {
		t.Fatalf("task %+v %v", task, err)
	}
	upd, err := c.UpdateProject(ctx, p.ID, wire.ProjectPatch{Settings: []byte(`{"youtube":{"title":"Titled"}}`)})
	if err != nil || fmt.Sprint(upd.Reset) != "[thumbnail upload]" {
		t.Fatalf("update %+v %v", upd, err)
	}
	list, err := c.ListProjects(ctx, ListOptions{Status: "RENDERED", Limit: 5})
	if err != nil || list.Total != 1 {
		t.Fatalf("list %+v %v", list, err)
	}
	// Pause/cancel with nothing running: the API's 409 code comes through.
	if _, err := c.Cancel(ctx, p.ID); Code(err) != "PROJECT_NOT_RUNNING" {
		t.Fatalf("cancel: %v", err)
	}
	q, err := c.Quotas(ctx)
	if err != nil || q.Services == nil {
		t.Fatalf("quotas %+v %v", q, err)
	}
	if d, err := c.DeleteProject(ctx, p.ID, true); err != nil || !d.FilesDeleted {
		t.Fatalf("delete %+v %v", d, err)
	}
	var apiErr *Error
	if _, err := c.Project(ctx, p.ID); !errors.As(err, &apiErr) || apiErr.Status != 404 || apiErr.Code != "PROJECT_NOT_FOUND" {
		t.Fatalf("get deleted: %v", err)
	}
}

func TestClientErrors(t *testing.T) {
	url := startServer(t, "right")
	ctx := context.Background()
	anon, _ := New(url, "")
	if _, err := anon.ListProjects(ctx, ListOptions{}); Code(err) != "UNAUTHORIZED" {
		t.Fatalf("no token: %v", err)
	}
	if err := anon.Health(ctx); err != nil {
		t.Fatalf("health needs no token: %v", err)
	}
	c, _ := New(url+"/", "right")
	_, err := c.CreateProject(ctx, project.Input{Name: "", Content: "x"})
	var e *Error
	if !errors.As(err, &e) || e.Status != 422 || e.Code != "INVALID_INPUT" || e.Details["field"] != "name" ||
		!strings.Contains(err.Error(), "name") {
		t.Fatalf("invalid input: %v", err)
	}
	if _, err := c.Task(ctx, "no/such task"); Code(err) != "TASK_NOT_FOUND" {
		t.Fatalf("task: %v", err)
	}
	if _, err := c.Download(ctx, 1, "audio", &bytes.Buffer{}); err == nil {
		t.Fatal("unknown output accepted")
	}
	if _, err := New("ftp://x", ""); err == nil {
		t.Fatal("ftp URL accepted")
	}
	// Nothing listens: a clear message.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	dead, _ := New("http://"+addr, "")
	_, err = dead.Project(ctx, 1)
	var ue *UnreachableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "start one with: ytmaker serve") {
		t.Fatalf("unreachable: %v", err)
	}
}

func TestUploadBatch(t *testing.T) {
	url := startServer(t, "")
	c, _ := New(url, "")
	ctx := context.Background()
	csv := "name,content,tags\nfirst,\"Text one, with a comma.\",a|b\nsecond,Text two.,\n"
	b, err := c.UploadBatch(ctx, "weekly.csv", strings.NewReader(csv), BatchFileOptions{Concurrency: 2, Start: true})
	if err != nil || b.Name != "weekly" || b.Counts.Total != 2 || b.Run == nil {
		t.Fatalf("upload %+v %v", b, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for b.Status != project.BatchCompleted {
		if time.Now().After(deadline) {
			t.Fatalf("batch not completed: %+v", b)
		}
		time.Sleep(20 * time.Millisecond)
		if b, err = c.Batch(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
	}
	if b.Counts.Completed != 2 {
		t.Fatalf("counts %+v", b.Counts)
	}
	if _, err := c.UploadBatch(ctx, "list.txt", strings.NewReader(csv), BatchFileOptions{}); err == nil {
		t.Fatal(".txt accepted")
	}
	jb, err := c.CreateBatch(ctx, project.BatchInput{Name: "json", Projects: []project.Input{{Name: "a", Content: "b"}}}, false)
	if err != nil || jb.Status != project.BatchCreated {
		t.Fatalf("json batch %+v %v", jb, err)
	}
	if _, err := c.PauseBatch(ctx, jb.ID); Code(err) != "BATCH_NOT_RUNNING" {
		t.Fatalf("pause idle batch: %v", err)
	}
	list, err := c.Batches(ctx, 10, 0)
	if err != nil || list.Total != 2 {
		t.Fatalf("batches %+v %v", list, err)
	}
}

// TestWatchReconnects serves a stream that breaks after one event: the
// client reconnects with Last-Event-ID and goes on.
func TestWatchReconnects(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("run") != "1" {
			http.Error(w, "WaitRun must ask for its run", 400)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		switch conns.Add(1) {
		case 1:
			fmt.Fprint(w, ": hello\n\nid: 1:4\ndata: {\"project_id\":1,\"run\":1,\"progress\":40,\"stage\":\"asset_generation\"}\n\n")
			// the connection ends here
		default:
			if r.Header.Get("Last-Event-ID") != "1:4" {
				http.Error(w, "no Last-Event-ID", 400)
				return
			}
			fmt.Fprint(w, "id: 1:5\ndata: {\"project_id\":1,\"run\":1,\"progress\":100,\"stage\":\"completed\",\"final\":true}\n\n")
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}
	}))
	defer srv.Close()
	c, _ := New(srv.URL, "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []int
	last, err := c.WaitRun(ctx, 1, 1, func(m progress.Message) { got = append(got, m.Progress) })
	if err != nil || last.Progress != 100 || fmt.Sprint(got) != "[40 100]" || conns.Load() != 2 {
		t.Fatalf("WaitRun %+v %v, got %v over %d connections", last, err, got, conns.Load())
	}
	// An API error is not retried.
	if err := c.Watch(ctx, 0, func(progress.Message) error { return nil }); err == nil {
		t.Fatal("Watch with a bad answer did not fail")
	}
}

func TestBaseURL(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:8000":        "http://127.0.0.1:8000",
		"0.0.0.0:8000":          "http://127.0.0.1:8000",
		":9000":                 "http://127.0.0.1:9000",
		"[::]:8000":             "http://[::1]:8000",
		"https://yt.example/":   "https://yt.example",
		"ytmaker.internal:8000": "http://ytmaker.internal:8000",
	} {
		if got := BaseURL(in); got != want {
			t.Errorf("BaseURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// Names are escaped once: the server reads back exactly the name given,
// slashes, spaces and percent signs included, and a base URL's own path
// is kept.
func TestPathNamesEscapedOnce(t *testing.T) {
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.URL.EscapedPath()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"success":false,"error":{"code":"TASK_NOT_FOUND","message":"no"}}`)
	}))
	defer srv.Close()
	for base, prefix := range map[string]string{srv.URL: "", srv.URL + "/ytm/": "/ytm"} {
		c, err := New(base, "")
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range map[string]string{
			"../x":        "/api/v1/tasks/..%2Fx",
			"a b%c":       "/api/v1/tasks/a%20b%25c",
			"p1-r1-chain": "/api/v1/tasks/p1-r1-chain",
		} {
			if _, err := c.Task(context.Background(), name); err == nil {
				t.Fatalf("%q: no error", name)
			}
			if p := <-got; p != prefix+want {
				t.Errorf("base %s, task %q: the server saw %s, want %s", base, name, p, prefix+want)
			}
		}
	}
}

// Uploads outlast the JSON calls' timeout: a large clip on a slow uplink
// takes longer than a JSON call may.
func TestUploadsOutlastTheCallTimeout(t *testing.T) {
	const slow = 600 * time.Millisecond
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		time.Sleep(slow) // the upload (or the server's checks of it) takes a while
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/media"):
			fmt.Fprint(w, `{"success":true,"data":{"segments":[]}}`)
		case strings.HasSuffix(r.URL.Path, "/logo"):
			fmt.Fprint(w, `{"success":true,"data":{"name":"rivers","channel":"Rivers"}}`)
		default:
			fmt.Fprint(w, `{"success":true,"data":{"id":1}}`)
		}
	}))
	defer srv.Close()
	c, err := New(srv.URL, "", WithHTTPClient(&http.Client{Timeout: slow / 3}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Task(ctx, "p1-r1-chain"); err == nil {
		t.Fatal("a JSON call outlived its timeout; the test proves nothing")
	} else if strings.Contains(err.Error(), "start one") || !strings.Contains(err.Error(), "did not answer in time") {
		// The server is there, only slow: do not tell the user to start one.
		t.Errorf("a slow server is reported as %q", err)
	}
	if _, err := c.SetMedia(ctx, 1, 2, "clip.mp4", strings.NewReader("a large clip")); err != nil {
		t.Errorf("media upload: %v", err)
	}
	if _, err := c.UploadBrandLogo(ctx, "rivers", strings.NewReader("a logo")); err != nil {
		t.Errorf("logo upload: %v", err)
	}
	if _, err := c.UploadBatch(ctx, "projects.csv", strings.NewReader("name,content\na,b\n"), BatchFileOptions{}); err != nil {
		t.Errorf("batch upload: %v", err)
	}
}
