package procman_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/ytmaker/ytmaker/internal/limits"
	"github.com/ytmaker/ytmaker/internal/redistest"
	"github.com/ytmaker/ytmaker/internal/stage"
	"github.com/ytmaker/ytmaker/internal/workerstages"
	"github.com/ytmaker/ytmaker/procman"
	"github.com/ytmaker/ytmaker/procman/redisproc"
	"github.com/ytmaker/ytmaker/tasks"
)

// syncBuffer is a goroutine-safe writer for the step lines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func listening(port int) bool {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 200*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func newManager(t *testing.T, url, dir string, out *syncBuffer, stages map[string]stage.Stage) *procman.Manager {
	t.Helper()
	wc := &procman.WorkerConfig{Concurrency: 2}
	workerstages.Set(wc, stages)
	m, err := procman.New(procman.Config{RedisURL: url, DataDir: dir, Worker: wc,
		Beat: true, ShutdownTimeout: 2 * time.Second, Out: out,
		// Long enough for the test to see the degraded state between the
		// crash and the restart.
		RedisRestartBackoff: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSpawnSuperviseAndStop(t *testing.T) {
	port := redistest.FreePort(t)
	url := "redis://127.0.0.1:" + strconv.Itoa(port) + "/0"
	dir := t.TempDir()
	out := &syncBuffer{}
	m := newManager(t, url, dir, out, nil)
	ctx := context.Background()
	start := time.Now()
	if err := m.StartAll(ctx); err != nil {
		t.Fatal(err)
	}
	defer m.StopAll(ctx)
	waitFor(t, 5*time.Second, "healthy", func() bool { return m.Status(ctx).Status == "healthy" })
	t.Logf("start to healthy: %s", time.Since(start).Round(time.Millisecond))
	st := m.Status(ctx)
	if !st.Services.Redis.Process || !st.Services.Redis.Running || !st.Services.Worker.Process || !st.Services.Beat.Process {
		t.Fatalf("status %+v", st.Services)
	}
	// The Redis we started requires the password kept (0600) in
	// DATA_DIR/redis/password; our own clients use it.
	pw, err := redisproc.LoadPassword(filepath.Join(dir, "redis"))
	if err != nil || len(pw) != 64 {
		t.Fatalf("stored password %q: %v", pw, err)
	}
	if fi, err := os.Stat(redisproc.PasswordFile(filepath.Join(dir, "redis"))); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("password file: %v %v", fi.Mode(), err)
	}
	anon := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port)})
	if err := anon.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		t.Fatalf("Redis answers without the password: %v", err)
	}
	anon.Close()
	// Data written before a crash survives it (append-only file).
	rdb := m.Redis()
	if err := rdb.ConfigSet(ctx, "appendfsync", "always").Err(); err != nil {
		t.Fatal(err)
	}
	rdb.Set(ctx, "survives", "yes", 0)
	pid := st.Redis.PID
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "degraded after killing Redis", func() bool {
		s := m.Status(ctx)
		return s.Status == "degraded" && !s.Services.Redis.Running
	})
	killed := time.Now()
	waitFor(t, 10*time.Second, "healthy after the supervisor restarts Redis", func() bool {
		s := m.Status(ctx)
		return s.Status == "healthy" && s.Redis.PID != pid && s.Redis.Restarts == 1
	})
	t.Logf("healthy again %s after the degraded state was seen (restart backoff 2s)", time.Since(killed).Round(time.Millisecond))
	if v, err := rdb.Get(ctx, "survives").Result(); err != nil || v != "yes" {
		t.Fatalf("data lost across the crash: %q %v", v, err)
	}
	if err := m.StopAll(ctx); err != nil {
		t.Fatal(err)
	}
	if listening(port) {
		t.Fatal("Redis still listening after StopAll")
	}
	if err := syscall.Kill(m.Status(ctx).Redis.PID, 0); err == nil && m.Status(ctx).Redis.PID != 0 {
		t.Fatal("redis-server process survived")
	}
	for _, line := range []string{"✓ Redis started", "✓ Worker started", "✓ Beat started", "✓ Beat stopped", "✓ Worker stopped", "✓ Redis stopped"} {
		if !bytes.Contains([]byte(out.String()), []byte(line)) {
			t.Errorf("missing step line %q in:\n%s", line, out.String())
		}
	}
}

func TestAttachLeavesRedisRunning(t *testing.T) {
	srv := redistest.Start(t)
	out := &syncBuffer{}
	m := newManager(t, srv.URL(0), t.TempDir(), out, nil)
	ctx := context.Background()
	if err := m.StartAll(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "healthy", func() bool { return m.Status(ctx).Status == "healthy" })
	if st := m.Status(ctx); st.Services.Redis.Process || st.Redis.Owned {
		t.Fatalf("attached Redis reported as ours: %+v", st.Services.Redis)
	}
	if err := m.StopAll(ctx); err != nil {
		t.Fatal(err)
	}
	c := srv.Client()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("attached Redis was stopped: %v", err)
	}
	if !strings.Contains(out.String(), "✓ Redis left running (not started by YTMaker)") || strings.Contains(out.String(), "Redis stopped") {
		t.Fatalf("shutdown lines:\n%s", out.String())
	}
}

func TestPortTakenByAnotherProgram(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
			c.Close()
		}
	}()
	port := l.Addr().(*net.TCPAddr).Port
	m := newManager(t, "redis://127.0.0.1:"+strconv.Itoa(port)+"/0", t.TempDir(), &syncBuffer{}, nil)
	err = m.StartAll(context.Background())
	if !errors.Is(err, redisproc.ErrPortTaken) {
		t.Fatalf("StartAll = %v, want port-taken error", err)
	}
}

func TestFailedStartLeavesNoRedis(t *testing.T) {
	port := redistest.FreePort(t)
	// An unknown stage name makes the worker fail after Redis started.
	m := newManager(t, "redis://127.0.0.1:"+strconv.Itoa(port)+"/0", t.TempDir(), &syncBuffer{},
		map[string]stage.Stage{"nonsense": nil})
	if err := m.StartAll(context.Background()); err == nil {
		t.Fatal("StartAll should fail")
	}
	if listening(port) {
		t.Fatal("Redis we started survived a failed start-up")
	}
}

func TestRunningTaskSurvivesShutdown(t *testing.T) {
	srv := redistest.Start(t)
	dir := t.TempDir()
	ctx := context.Background()
	started := make(chan struct{}, 1)
	slow := stage.Func(func(ctx context.Context, job stage.Job) (any, error) {
		started <- struct{}{}
		<-ctx.Done() // longer than the shutdown timeout
		return nil, ctx.Err()
	})
	m := newManager(t, srv.URL(0), dir, &syncBuffer{}, map[string]stage.Stage{"script": slow})
	if err := m.StartAll(ctx); err != nil {
		t.Fatal(err)
	}
	pid, err := m.Client().CreateProject(ctx, tasks.ProjectInput{Name: "p", Content: "Hello there."})
	if err != nil {
		t.Fatal(err)
	}
	h, err := m.Client().Delay(ctx, tasks.GenerateScript, tasks.Args{ProjectID: pid})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	if err := m.StopAll(ctx); err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspector(asynq.RedisClientOpt{Addr: srv.Addr})
	defer insp.Close()
	info, err := insp.GetTaskInfo(tasks.QueueVideo, h.ID())
	if err != nil {
		t.Fatal(err)
	}
	if info.State != asynq.TaskStatePending || info.Retried != 0 {
		t.Fatalf("after shutdown the task is %s (retried %d), want pending with no retry used", info.State, info.Retried)
	}
	// A new server picks it up and finishes it.
	done := stage.Func(func(ctx context.Context, job stage.Job) (any, error) { return map[string]bool{"ok": true}, nil })
	m2 := newManager(t, srv.URL(0), dir, &syncBuffer{}, map[string]stage.Stage{"script": done})
	if err := m2.StartAll(ctx); err != nil {
		t.Fatal(err)
	}
	defer m2.StopAll(ctx)
	raw, err := m2.Client().Handle(h.ID()).Get(ctx, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]bool
	if json.Unmarshal(raw, &v); !v["ok"] {
		t.Fatalf("result %s", raw)
	}
}

func TestTwoSchedulersEnqueueOneSyncPerHour(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	var ms []*procman.Manager
	for i := 0; i < 2; i++ {
		m, err := procman.New(procman.Config{RedisURL: srv.URL(0), DataDir: t.TempDir(), Beat: true, Out: &syncBuffer{}})
		if err != nil {
			t.Fatal(err)
		}
		if err := m.StartAll(ctx); err != nil {
			t.Fatal(err)
		}
		defer m.StopAll(ctx)
		ms = append(ms, m)
	}
	c := srv.Client()
	waitFor(t, 5*time.Second, "two live beats", func() bool {
		n, _ := c.ZCount(ctx, "ytmaker:beats", strconv.FormatInt(time.Now().Unix(), 10), "+inf").Result()
		return n == 2
	})
	insp := asynq.NewInspector(asynq.RedisClientOpt{Addr: srv.Addr})
	defer insp.Close()
	var n int
	waitFor(t, 5*time.Second, "this hour's sync_quotas", func() bool {
		list, _ := insp.ListPendingTasks(tasks.QueueMaintenance)
		n = len(list)
		return n >= 1
	})
	// Force a second enqueue attempt from every beat for the same hour: the
	// per-hour task ID refuses duplicates even without the lease.
	c.Del(ctx, "ytmaker:beat:leader")
	time.Sleep(6 * time.Second) // a beat tick (5 s) of each scheduler
	list, _ := insp.ListPendingTasks(tasks.QueueMaintenance)
	if len(list) != 1 || list[0].Type != tasks.SyncQuotas {
		t.Fatalf("%d sync_quotas tasks pending for this hour, want 1", len(list))
	}
}

// A Go program that uses procman alone gets the whole video pipeline: the
// five stages run and an offline video comes out, with no stage wiring of
// its own.
func TestStartAllRunsTheWholePipeline(t *testing.T) {
	port := redistest.FreePort(t)
	dir := t.TempDir()
	m, err := procman.New(procman.Config{RedisURL: "redis://127.0.0.1:" + strconv.Itoa(port) + "/0", DataDir: dir,
		Worker: &procman.WorkerConfig{Concurrency: 2}, Beat: true, ShutdownTimeout: 2 * time.Second, Out: &syncBuffer{},
		// No provider keys, whatever the machine's environment holds.
		Env: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := m.StartAll(ctx); err != nil {
		t.Fatal(err)
	}
	defer m.StopAll(ctx)
	waitFor(t, 10*time.Second, "healthy", func() bool { return m.Status(ctx).Status == "healthy" })
	c := m.Client()
	id, err := c.CreateProject(ctx, tasks.ProjectInput{Name: "Rivers", Language: "en",
		Content: "Rivers shape the land around them. Over thousands of years, water carves valleys.\n\n" +
			"Cities grew beside rivers because water meant food, trade and travel."})
	if err != nil {
		t.Fatal(err)
	}
	h, err := c.Chain(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Skipped       bool   `json:"skipped"`
		VideoPath     string `json:"video_path"`
		ThumbnailPath string `json:"thumbnail_path"`
	}
	if err := h.GetInto(ctx, 4*time.Minute, &res); err != nil {
		t.Fatalf("chain: %v", err)
	}
	if !res.Skipped {
		t.Fatalf("without YouTube credentials the upload is skipped: %+v", res)
	}
	for _, p := range []string{res.VideoPath, res.ThumbnailPath} {
		fi, err := os.Stat(p)
		if err != nil || fi.Size() < 1000 {
			t.Fatalf("%q: %v (size %d)", p, err, sizeOf(fi))
		}
		if !strings.HasPrefix(p, dir) {
			t.Fatalf("%q is outside DataDir %s", p, dir)
		}
	}
}

func sizeOf(fi os.FileInfo) int64 {
	if fi == nil {
		return 0
	}
	return fi.Size()
}

// Status answers within its context's deadline even when Redis is slow to
// answer what the queue inspector asks (it takes no context of its own).
func TestStatusHonoursItsContext(t *testing.T) {
	srv := redistest.Start(t)
	m := newManager(t, srv.URL(0), t.TempDir(), &syncBuffer{}, nil)
	ctx := context.Background()
	if err := m.StartAll(ctx); err != nil {
		t.Fatal(err)
	}
	defer m.StopAll(ctx)
	waitFor(t, 10*time.Second, "healthy", func() bool { return m.Status(ctx).Status == "healthy" })
	// Scripts (the inspector's queue counts) wait 3 s; PING does not.
	if err := srv.Client().Do(ctx, "CLIENT", "PAUSE", "3000", "WRITE").Err(); err != nil {
		t.Fatal(err)
	}
	defer srv.Client().Do(ctx, "CLIENT", "UNPAUSE")
	sctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	st := m.Status(sctx)
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Fatalf("Status took %s with a 300ms context", d)
	}
	if len(st.Problems) == 0 {
		t.Fatalf("an incomplete status says nothing: %+v", st)
	}
}

// TestWorkerStagesNeedsWorkerConfig checks that the stage override only
// accepts a *procman.WorkerConfig.
func TestWorkerStagesNeedsWorkerConfig(t *testing.T) {
	workerstages.Set(&procman.WorkerConfig{}, nil) // accepted
	defer func() {
		if recover() == nil {
			t.Error("workerstages.Set accepted a value that is not a *procman.WorkerConfig")
		}
	}()
	workerstages.Set(procman.WorkerConfig{}, nil)
}

// /status shows each provider's calls across the cluster with the limits
// the workers enforce, and each worker's renders.
func TestStatusShowsLimits(t *testing.T) {
	srv := redistest.Start(t)
	env := map[string]string{"MAX_RENDERS": "3", "LIMIT_STABILITY_IN_FLIGHT": "2"}
	m, err := procman.New(procman.Config{RedisURL: srv.URL(0), DataDir: t.TempDir(),
		Worker: &procman.WorkerConfig{Concurrency: 1}, Beat: true, ShutdownTimeout: 2 * time.Second, Out: &syncBuffer{},
		Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := m.StartAll(ctx); err != nil {
		t.Fatal(err)
	}
	defer m.StopAll(ctx)
	// Another worker's call to Stability is under way.
	other := limits.New(limits.Config{Redis: srv.Client(), Limits: map[string]limits.Limit{limits.Stability: {InFlight: 2}}})
	slot, err := other.Acquire(ctx, limits.Stability)
	if err != nil {
		t.Fatal(err)
	}
	defer slot.Release()
	var st procman.Status
	waitFor(t, 10*time.Second, "the limits in /status", func() bool {
		st = m.Status(ctx)
		if len(st.Limits.Renders) != 1 {
			return false
		}
		for _, p := range st.Limits.Providers {
			if p.Provider == limits.Stability {
				return p.MaxInFlight == 2
			}
		}
		return false
	})
	if r := st.Limits.Renders[0]; r.PID != os.Getpid() || r.Max != 3 || r.InFlight != 0 {
		t.Fatalf("renders %+v", st.Limits.Renders)
	}
	if len(st.Limits.Providers) != len(limits.Providers) {
		t.Fatalf("providers %+v", st.Limits.Providers)
	}
	for _, p := range st.Limits.Providers {
		if p.Provider == limits.Stability && (p.InFlight != 1 || p.LastMinute != 1 || p.MaxPerMinute != 150) {
			t.Fatalf("stability %+v", p)
		}
	}
	raw, _ := json.Marshal(st)
	if !strings.Contains(string(raw), `"limits":{"providers":[{"provider":"gemini","in_flight":0,"max_in_flight":8,`) {
		t.Fatalf("status JSON: %s", raw)
	}
}
