package worker_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ytmaker/ytmaker/internal/engine"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/redistest"
	"github.com/ytmaker/ytmaker/internal/stage"
	"github.com/ytmaker/ytmaker/internal/taskspec"
	"github.com/ytmaker/ytmaker/internal/worker"
	"github.com/ytmaker/ytmaker/progress"
	"github.com/ytmaker/ytmaker/tasks"
)

// env is one test's system: a real Redis, a client, and (optionally) an
// in-process worker running test stages.
type env struct {
	t      *testing.T
	redis  *redistest.Server
	rdb    redis.UniversalClient
	dir    string
	client *tasks.Client
	stages *recorder
	engine *engine.Engine
	worker *worker.Worker
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("YTMAKER_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func newEnv(t *testing.T) *env { return newEnvWith(t, tasks.TimeLimits{}) }

// newEnvWith is newEnv with task time limits.
func newEnvWith(t *testing.T, limits tasks.TimeLimits) *env {
	t.Helper()
	srv := redistest.Start(t)
	rdb := srv.Client()
	e := &env{t: t, redis: srv, rdb: rdb, dir: t.TempDir(), stages: newRecorder(rdb)}
	c, err := tasks.New(tasks.Config{Redis: rdb, DataDir: e.dir, Logger: testLogger(t), Limits: limits})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	e.client = c
	eng, err := engine.Open(engine.Config{Redis: rdb, DataDir: e.dir, Logger: testLogger(t), Limits: taskspec.TimeLimits(limits)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	e.engine = eng
	return e
}

// startWorker starts an in-process worker; opts adjust its config.
func (e *env) startWorker(concurrency int, opts ...func(*worker.Config)) *worker.Worker {
	e.t.Helper()
	cfg := worker.Config{Engine: e.engine, Concurrency: concurrency,
		ShutdownTimeout: 5 * time.Second, Stages: e.stages.stages(), Logger: testLogger(e.t).With("w", "in-process")}
	for _, o := range opts {
		o(&cfg)
	}
	w, err := worker.New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := w.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(w.Stop)
	e.worker = w
	return w
}

func (e *env) newProject(name string) int64 {
	e.t.Helper()
	id, err := e.client.CreateProject(context.Background(), tasks.ProjectInput{Name: name, Content: "One. Two. Three."})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e *env) state(id int64) *project.State {
	e.t.Helper()
	st, err := e.engine.Store().State(id)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// waitFor polls cond (a cheap local check) until it holds or the deadline
// passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// collect reads progress messages until a final one (or the timeout).
func collect(t *testing.T, sub *progress.Subscription, timeout time.Duration) []progress.Message {
	t.Helper()
	var out []progress.Message
	deadline := time.After(timeout)
	for {
		select {
		case m, ok := <-sub.C:
			if !ok {
				return out
			}
			out = append(out, m)
			if m.Final {
				return out
			}
		case <-deadline:
			t.Fatalf("no final progress message within %s; got %d messages", timeout, len(out))
		}
	}
}

// recorder provides test stages whose behaviour each test scripts, and
// records every attempt (in Redis, so workers in other processes count).
type recorder struct {
	rdb redis.UniversalClient

	mu       sync.Mutex
	behavior map[project.Stage]func(ctx context.Context, job stage.Job) (any, error)
}

func newRecorder(rdb redis.UniversalClient) *recorder {
	return &recorder{rdb: rdb, behavior: map[project.Stage]func(context.Context, stage.Job) (any, error){}}
}

func (r *recorder) on(s project.Stage, f func(ctx context.Context, job stage.Job) (any, error)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.behavior[s] = f
}

func (r *recorder) stages() map[project.Stage]stage.Stage {
	m := map[project.Stage]stage.Stage{}
	for _, s := range project.Stages {
		m[s] = stage.Func(func(ctx context.Context, job stage.Job) (any, error) {
			return r.run(ctx, s, job)
		})
	}
	return m
}

func (r *recorder) run(ctx context.Context, s project.Stage, job stage.Job) (any, error) {
	bg := context.Background()
	key := fmt.Sprintf("test:%d:%s", job.ProjectID(), s)
	// Record the attempt and check that no other stage of this project runs.
	pipe := r.rdb.TxPipeline()
	running := pipe.Incr(bg, fmt.Sprintf("test:%d:running", job.ProjectID()))
	pipe.RPush(bg, key+":starts", time.Now().UnixNano())
	pipe.Exec(bg)
	if running.Val() > 1 {
		r.rdb.Incr(bg, fmt.Sprintf("test:%d:overlaps", job.ProjectID()))
	}
	defer r.rdb.Decr(bg, fmt.Sprintf("test:%d:running", job.ProjectID()))
	r.mu.Lock()
	f := r.behavior[s]
	r.mu.Unlock()
	job.Progress(50, "halfway")
	if f != nil {
		return f(ctx, job)
	}
	return map[string]any{"stage": string(s), "input_len": len(job.Input())}, nil
}

func (r *recorder) starts(t *testing.T, projectID int64, s project.Stage) []time.Time {
	t.Helper()
	vals, err := r.rdb.LRange(context.Background(), fmt.Sprintf("test:%d:%s:starts", projectID, s), 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	var out []time.Time
	for _, v := range vals {
		var n int64
		fmt.Sscan(v, &n)
		out = append(out, time.Unix(0, n))
	}
	return out
}

func (r *recorder) overlaps(t *testing.T, projectID int64) int64 {
	n, _ := r.rdb.Get(context.Background(), fmt.Sprintf("test:%d:overlaps", projectID)).Int64()
	return n
}
