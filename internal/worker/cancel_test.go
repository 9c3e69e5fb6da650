package worker_test

import (
	"context"
	"os/exec"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/engine"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/rdb"
	"github.com/ytmaker/ytmaker/internal/stage"
)

// TestCancelStopsTheStageWhenTheMessageIsLost cancels through a Redis user
// that may not PUBLISH, so the cancel message never reaches the worker, as
// when its subscription is reconnecting. The durable cancel request must
// still stop the stage and its child process within 2 s.
func TestCancelStopsTheStageWhenTheMessageIsLost(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.rdb.Do(ctx, "ACL", "SETUSER", "nopublish", "on", ">mute", "~*", "&*", "+@all", "-publish").Err(); err != nil {
		t.Fatal(err)
	}
	mute := redis.NewClient(&redis.Options{Addr: e.redis.Addr, Username: "nopublish", Password: "mute"})
	t.Cleanup(func() { mute.Close() })
	if err := mute.Publish(ctx, rdb.CancelChannel, "probe").Err(); err == nil {
		t.Fatal("the muted client can still publish")
	}
	muted, err := engine.Open(engine.Config{Redis: mute, DataDir: e.dir, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { muted.Close() })

	// Watch the channel: the test is only meaningful if nothing arrives.
	sub := e.rdb.Subscribe(ctx, rdb.CancelChannel)
	t.Cleanup(func() { sub.Close() })
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}

	pid := e.newProject("lost-cancel")
	var childPID atomic.Int64
	e.stages.on(project.StageRender, func(ctx context.Context, job stage.Job) (any, error) {
		cmd := exec.CommandContext(ctx, "sleep", "60")
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		childPID.Store(int64(cmd.Process.Pid))
		return nil, cmd.Wait()
	})
	e.startWorker(2)
	h, err := e.client.Chain(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "render to start its child", func() bool { return childPID.Load() != 0 })

	start := time.Now()
	if _, err := muted.Cancel(ctx, pid); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "the child process to die", func() bool {
		return syscall.Kill(int(childPID.Load()), 0) != nil
	})
	if _, err := h.Get(ctx, 5*time.Second); errcode.Code(err) != errcode.Cancelled {
		t.Fatalf("Get = %v, want CANCELLED", err)
	}
	t.Logf("stage stopped %s after a cancel whose message was lost", time.Since(start).Round(time.Millisecond))
	select {
	case m := <-sub.Channel():
		t.Fatalf("a cancel message was delivered (%q): the test did not drop it", m.Payload)
	default:
	}
	if st := e.state(pid); st.Status != project.Cancelled || st.Stages.Render.Status != project.StageCancelled {
		t.Fatalf("state after cancel: %s, render %s", st.Status, st.Stages.Render.Status)
	}
	if n := len(e.stages.starts(t, pid, project.StageRender)); n != 1 {
		t.Fatalf("render ran %d times after cancel", n)
	}
}
