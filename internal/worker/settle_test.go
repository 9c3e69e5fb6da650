package worker_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/rdb"
)

// failFinish makes Redis refuse the write that finishes task record id
// (the pipeline that publishes it on rdb.DoneChannel) while left > 0, or
// for good while left < 0.
type failFinish struct {
	id   atomic.Value // string
	left atomic.Int64
	hits atomic.Int64
}

func (f *failFinish) DialHook(next redis.DialHook) redis.DialHook { return next }
func (f *failFinish) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return next
}

func (f *failFinish) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		id, _ := f.id.Load().(string)
		for _, c := range cmds {
			a := c.Args()
			if id == "" || len(a) < 3 || c.Name() != "publish" || a[1] != rdb.DoneChannel || a[2] != id {
				continue
			}
			if n := f.left.Load(); n != 0 {
				if n > 0 {
					f.left.Add(-1)
				}
				f.hits.Add(1)
				err := &net.OpError{Op: "write", Net: "tcp", Err: errors.New("injected failure")}
				for _, c := range cmds {
					c.SetErr(err)
				}
				return err
			}
		}
		return next(ctx, cmds)
	}
}

// TestHandleFinishedDespiteFailedFinish: the write that finishes a run's
// handle fails twice; the engine retries it and Get returns at once.
func TestHandleFinishedDespiteFailedFinish(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f := &failFinish{}
	e.rdb.AddHook(f)
	pid := e.newProject("finish-fails")
	f.id.Store(handleIDFor(pid))
	f.left.Store(2)
	e.startWorker(2)
	h, err := e.client.Chain(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	if h.ID() != handleIDFor(pid) {
		t.Fatalf("handle %s, want %s", h.ID(), handleIDFor(pid))
	}
	if _, err := h.Get(ctx, 20*time.Second); err != nil {
		t.Fatalf("Get = %v", err)
	}
	if n := f.hits.Load(); n != 2 {
		t.Fatalf("%d injected failures happened, want 2", n)
	}
}

// TestReconcileFinishesHandleAfterLongFailure: the handle cannot be
// finished for a while (Redis refuses it past the retries); the project
// stays in the active set, and the next reconcile finishes the handle.
func TestReconcileFinishesHandleAfterLongFailure(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f := &failFinish{}
	e.rdb.AddHook(f)
	pid := e.newProject("finish-fails-long")
	f.id.Store(handleIDFor(pid))
	f.left.Store(-1)
	e.startWorker(2)
	h, err := e.client.Chain(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the run to complete in its state file", func() bool {
		return e.state(pid).Status == project.Completed
	})
	waitFor(t, 10*time.Second, "the finish to be tried and refused", func() bool { return f.hits.Load() >= 4 })
	member, err := e.rdb.SIsMember(ctx, rdb.ActiveProjects, pid).Result()
	if err != nil || !member {
		t.Fatalf("project in the active set = %v (%v); want true while its handle is unfinished", member, err)
	}
	f.left.Store(0)
	if err := e.engine.ReconcileAll(ctx, false); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Get(ctx, 5*time.Second); err != nil {
		t.Fatalf("Get after the reconcile = %v", err)
	}
	if member, _ := e.rdb.SIsMember(ctx, rdb.ActiveProjects, pid).Result(); member {
		t.Fatal("project still in the active set after its handle finished")
	}
}

func handleIDFor(pid int64) string { return "p" + strconv.FormatInt(pid, 10) + "-r1-chain" }
