package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/api/wire"
	"github.com/ytmaker/ytmaker/internal/engine"
	"github.com/ytmaker/ytmaker/internal/metrics"
	"github.com/ytmaker/ytmaker/internal/project"
	redisconn "github.com/ytmaker/ytmaker/internal/rdb"
	"github.com/ytmaker/ytmaker/internal/redistest"
	"github.com/ytmaker/ytmaker/internal/stage"
	"github.com/ytmaker/ytmaker/internal/worker"
	"github.com/ytmaker/ytmaker/procman"
	"github.com/ytmaker/ytmaker/tasks"
)

// env is one test's system: a real Redis, the task client, optionally a
// worker running fast test stages, and the API on an httptest server.
type env struct {
	t       testing.TB
	redis   *redistest.Server
	rdb     redis.UniversalClient
	dir     string
	client  *tasks.Client
	engine  *engine.Engine
	stages  *testStages
	metrics *metrics.Metrics
	api     *Server
	srv     *httptest.Server
	token   string
}

type envOptions struct {
	worker       bool
	token        string
	pingInterval time.Duration
	keepAlive    time.Duration
	maxJSON      int64
	maxUpload    int64
	quotas       QuotaSource
	providers    ProviderCatalog
	monitor      bool
	origins      []string                 // AllowedOrigins
	deadlines    time.Duration            // the test server's read, write and idle timeouts
	extra        func(mux *http.ServeMux) // more routes on the test server (pages)
}

func testLogger() *slog.Logger {
	if os.Getenv("YTMAKER_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	srv := redistest.Start(t)
	rdb := srv.Client()
	e := &env{t: t, redis: srv, rdb: rdb, dir: t.TempDir(), stages: newTestStages(), token: o.token}
	c, err := tasks.New(tasks.Config{Redis: rdb, DataDir: e.dir, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	e.client = c
	eng, err := engine.Open(engine.Config{Redis: rdb, DataDir: e.dir, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	e.engine = eng
	e.metrics = metrics.New(metrics.Options{NoRuntime: true})
	if err := e.metrics.WatchQueues(eng.Inspector(), tasks.QueueVideo, tasks.QueueBatch, tasks.QueueMaintenance); err != nil {
		t.Fatal(err)
	}
	if o.worker {
		w, err := worker.New(worker.Config{Engine: eng, Concurrency: 4, ShutdownTimeout: 5 * time.Second,
			Stages: e.stages.stages(), Hooks: worker.Hooks{TaskDone: e.metrics.TaskDone, StageDone: e.metrics.StageDone},
			Logger: testLogger()})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Stop)
	}
	cfg := Config{
		Status: func(ctx context.Context) procman.Status { return procman.Status{Status: "healthy", Message: "test"} },
		Engine: eng,
		Quotas: o.quotas, Providers: o.providers,
		Metrics: e.metrics.Handler(), Observer: e.metrics,
		Token: o.token, AllowedOrigins: o.origins,
		PingInterval: o.pingInterval, KeepAlive: o.keepAlive,
		MaxJSONBytes: o.maxJSON, MaxUploadBytes: o.maxUpload,
		Logger: testLogger(),
	}
	if o.monitor {
		mon, err := NewMonitor(redisconn.Conn{URL: srv.URL(0)}, MonitorPath)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { mon.Close() })
		cfg.Monitor = mon
	}
	e.api = New(cfg)
	var h http.Handler = e.api
	if o.extra != nil {
		mux := http.NewServeMux()
		o.extra(mux)
		mux.Handle("/", e.api)
		h = mux
	}
	e.srv = httptest.NewUnstartedServer(h)
	e.srv.Config.RegisterOnShutdown(e.api.Shutdown)
	if o.deadlines > 0 {
		e.srv.Config.ReadTimeout, e.srv.Config.WriteTimeout, e.srv.Config.IdleTimeout = o.deadlines, o.deadlines, o.deadlines
	}
	e.srv.Start()
	t.Cleanup(func() {
		e.api.Shutdown()
		e.srv.Close()
	})
	return e
}

// response is one HTTP answer, decoded.
type response struct {
	t      testing.TB
	code   int
	header http.Header
	body   []byte
	env    struct {
		Success bool            `json:"success"`
		Data    json.RawMessage `json:"data"`
		Error   *wire.Error     `json:"error"`
	}
}

// do sends a request; body may be nil, a string, []byte, an io.Reader or a
// value to encode as JSON. headers are name, value pairs.
func (e *env) do(method, path string, body any, headers ...string) *response {
	e.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	case []byte:
		rd, ct = bytes.NewReader(b), "application/json"
	case io.Reader:
		rd = b
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd, ct = bytes.NewReader(raw), "application/json"
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if e.token != "" {
		req.Header.Set("Authorization", "Bearer "+e.token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	r := &response{t: e.t, code: resp.StatusCode, header: resp.Header}
	r.body, err = io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") && method != http.MethodHead {
		if err := json.Unmarshal(r.body, &r.env); err != nil {
			e.t.Fatalf("%s %s: answer is not JSON: %v\n%s", method, path, err, r.body)
		}
	}
	return r
}

// ok asserts a success envelope with status code and decodes its data.
func (r *response) ok(code int, v any) *response {
	r.t.Helper()
	if r.code != code || !r.env.Success {
		r.t.Fatalf("got HTTP %d (success=%v), want %d: %s", r.code, r.env.Success, code, r.body)
	}
	if v != nil {
		if err := json.Unmarshal(r.env.Data, v); err != nil {
			r.t.Fatalf("decode data: %v\n%s", err, r.body)
		}
	}
	return r
}

// fails asserts an error envelope with status code and error code and
// returns the error.
func (r *response) fails(code int, errCode string) *wire.Error {
	r.t.Helper()
	if r.code != code || r.env.Success || r.env.Error == nil || r.env.Error.Code != errCode {
		r.t.Fatalf("got HTTP %d %s, want %d %s", r.code, r.body, code, errCode)
	}
	if r.env.Error.Message == "" {
		r.t.Fatalf("error without a message: %s", r.body)
	}
	return r.env.Error
}

func (e *env) createProject(name string) int64 {
	e.t.Helper()
	var p wire.Project
	e.do("POST", "/api/v1/projects", map[string]any{"name": name, "content": "First paragraph.\n\nSecond one. Third sentence."}).ok(201, &p)
	return p.ID
}

func (e *env) project(id int64) *wire.Project {
	e.t.Helper()
	var p wire.Project
	e.do("GET", fmt.Sprintf("/api/v1/projects/%d", id), nil).ok(200, &p)
	return &p
}

// state reads the project's state file directly.
func (e *env) state(id int64) *project.State {
	e.t.Helper()
	st, err := e.engine.Store().State(id)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// waitStatus waits until the project rests in status (with no active run,
// or a paused one), reading its state file.
func (e *env) waitStatus(id int64, want project.Status, d time.Duration) *project.State {
	e.t.Helper()
	var st *project.State
	waitFor(e.t, d, fmt.Sprintf("project %d to be %s", id, want), func() bool {
		st = e.state(id)
		return st.Status == want && (st.ActiveRun() == nil || st.Run.State == project.RunPaused)
	})
	return st
}

// waitFor checks cond (a cheap local read) until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// testStages are fast stages whose behaviour a test can replace. By
// default each reports progress and writes the file its real counterpart
// writes; upload is skipped as if no YouTube credentials were set.
type testStages struct {
	mu       sync.Mutex
	behavior map[project.Stage]func(ctx context.Context, job stage.Job) (any, error)
}

func newTestStages() *testStages {
	return &testStages{behavior: map[project.Stage]func(context.Context, stage.Job) (any, error){}}
}

func (s *testStages) on(st project.Stage, f func(ctx context.Context, job stage.Job) (any, error)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.behavior[st] = f
}

func (s *testStages) stages() map[project.Stage]stage.Stage {
	m := map[project.Stage]stage.Stage{}
	for _, st := range project.Stages {
		m[st] = stage.Func(func(ctx context.Context, job stage.Job) (any, error) {
			s.mu.Lock()
			f := s.behavior[st]
			s.mu.Unlock()
			if f != nil {
				return f(ctx, job)
			}
			return defaultStage(st)(ctx, job)
		})
	}
	return m
}

// skipResult is an upload that did not happen.
type skipResult struct {
	Skipped bool   `json:"skipped"`
	Reason  string `json:"reason"`
}

func (skipResult) StageSkipped() bool { return true }

// videoBytes is the test "video": deterministic, big enough for ranges.
func videoBytes() []byte {
	b := make([]byte, 300_000)
	for i := range b {
		b[i] = byte(i * 7 % 251)
	}
	return b
}

func defaultStage(st project.Stage) func(ctx context.Context, job stage.Job) (any, error) {
	return func(ctx context.Context, job stage.Job) (any, error) {
		for _, p := range []float64{25, 50, 75} {
			job.Progress(p, fmt.Sprintf("%s %d%%", st, int(p)))
		}
		write := func(rel string, data []byte) (string, error) {
			path := filepath.Join(job.Dir(), rel)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return "", err
			}
			return path, os.WriteFile(path, data, 0o644)
		}
		switch st {
		case project.StageScript:
			path, err := write("script.json", []byte(`{"title":"Test","segments":[{"type":"intro","text":"Hi"}]}`))
			return map[string]any{"script_path": path, "segments": 1}, err
		case project.StageRender:
			path, err := write(filepath.Join("output", "final_video.mp4"), videoBytes())
			return map[string]any{"video_path": path, "duration": 12.5}, err
		case project.StageThumbnail:
			path, err := write(filepath.Join("output", "thumbnail.jpg"), []byte("\xFF\xD8\xFFfake-jpeg"))
			return map[string]any{"thumbnail_path": path}, err
		case project.StageUpload:
			return skipResult{Skipped: true, Reason: "no YouTube credentials"}, nil
		}
		return map[string]any{"stage": string(st), "upload_session_uri": "https://secret.example/session"}, nil
	}
}

// gate makes a stage wait until released (or cancelled). started receives
// the project ID when the stage begins.
type gate struct {
	started chan int64
	release chan struct{}
	once    sync.Once
}

func newGate() *gate { return &gate{started: make(chan int64, 16), release: make(chan struct{})} }

func (g *gate) open() { g.once.Do(func() { close(g.release) }) }

func (g *gate) stage(st project.Stage) func(ctx context.Context, job stage.Job) (any, error) {
	return func(ctx context.Context, job stage.Job) (any, error) {
		g.started <- job.ProjectID()
		select {
		case <-g.release:
			return defaultStage(st)(ctx, job)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (g *gate) waitStarted(t *testing.T, d time.Duration) int64 {
	t.Helper()
	select {
	case id := <-g.started:
		return id
	case <-time.After(d):
		t.Fatalf("the gated stage did not start within %s", d)
	}
	return 0
}

// permanent is a non-retryable stage failure.
func permanent(code string) error {
	return errcode.New(code, "the test stage failed on purpose", false)
}
