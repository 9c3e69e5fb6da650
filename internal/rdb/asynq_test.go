package rdb

import (
	"context"
	"os"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ytmaker/ytmaker/internal/redistest"
)

// TestAsynqVersion fails when asynq is upgraded: the private key layout in
// asynq.go must then be checked again (and AsynqVersion raised).
func TestAsynqVersion(t *testing.T) {
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*github\.com/hibiken/asynq (v\S+)`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod does not require github.com/hibiken/asynq")
	}
	if got := string(m[1]); got != AsynqVersion {
		t.Fatalf("go.mod requires asynq %s; asynq.go follows the key layout of %s: check it and update AsynqVersion", got, AsynqVersion)
	}
}

// TestAsynqKeyLayout pins the private keys RequeueOrphans relies on
// against a real asynq: where a pending task, an active task and its
// lease live, and that a requeued task runs again.
func TestAsynqKeyLayout(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	ctx := context.Background()
	const q = "layout"

	client := asynq.NewClientFromRedisClient(rdb)
	defer client.Close()
	if _, err := client.EnqueueContext(ctx, asynq.NewTask("t", nil), asynq.TaskID("one"), asynq.Queue(q)); err != nil {
		t.Fatal(err)
	}
	if ids, _ := rdb.LRange(ctx, asynqPendingKey(q), 0, -1).Result(); !slices.Equal(ids, []string{"one"}) {
		t.Fatalf("%s = %v; want [one]", asynqPendingKey(q), ids)
	}
	if st, _ := rdb.HGet(ctx, asynqTaskKeyPrefix(q)+"one", "state").Result(); st != "pending" {
		t.Fatalf("%sone state = %q; want pending", asynqTaskKeyPrefix(q), st)
	}

	started := make(chan struct{}, 3)
	release := make(chan struct{})
	mux := asynq.NewServeMux()
	mux.HandleFunc("t", func(ctx context.Context, _ *asynq.Task) error {
		started <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	})
	server := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: 3, Queues: map[string]int{q: 1},
		TaskCheckInterval: 20 * time.Millisecond, LogLevel: asynq.FatalLevel})
	if err := server.Start(mux); err != nil {
		t.Fatal(err)
	}
	defer server.Shutdown()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("task never started")
	}
	if ids, _ := rdb.LRange(ctx, asynqActiveKey(q), 0, -1).Result(); !slices.Equal(ids, []string{"one"}) {
		t.Fatalf("%s = %v; want [one]", asynqActiveKey(q), ids)
	}
	lease, err := rdb.ZScore(ctx, asynqLeaseKey(q), "one").Result()
	if err != nil {
		t.Fatalf("%s has no lease for the active task: %v", asynqLeaseKey(q), err)
	}
	if d := time.Until(time.Unix(int64(lease), 0)); d < 15*time.Second || d > 31*time.Second {
		t.Fatalf("lease ends in %s; asynq v0.26 leases for 30 s", d)
	}

	// Treat the worker as dead: the task goes back to pending and is
	// delivered again.
	ids, err := RequeueOrphans(ctx, rdb, q, time.Now().Add(time.Minute))
	if err != nil || !slices.Equal(ids, []string{"one"}) {
		t.Fatalf("RequeueOrphans = %v, %v", ids, err)
	}
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("requeued task was not delivered again")
	}

	// A task whose holder died: RequeueHeld frees the holder's project
	// lock and puts the task back, and it is delivered again.
	waitActive := func() {
		deadline := time.Now().Add(10 * time.Second)
		for {
			ids, _ := rdb.LRange(ctx, asynqActiveKey(q), 0, -1).Result()
			if slices.Equal(ids, []string{"one"}) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s = %v; want [one]", asynqActiveKey(q), ids)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitActive()
	h := Holding{Instance: "dead", Queue: q, LockKey: LockKey(7), LockToken: "one@dead"}
	if err := Hold(ctx, rdb, "one", h); err != nil {
		t.Fatal(err)
	}
	rdb.Set(ctx, LockKey(7), "one@dead", LockTTL)
	if ok, err := RequeueHeld(ctx, rdb, "one", Holding{Instance: "other", Queue: q}); ok || err != nil {
		t.Fatalf("RequeueHeld by a worker that is not the holder = %v, %v", ok, err)
	}
	if ok, err := RequeueHeld(ctx, rdb, "one", h); !ok || err != nil {
		t.Fatalf("RequeueHeld = %v, %v", ok, err)
	}
	if n, _ := rdb.Exists(ctx, LockKey(7)).Result(); n != 0 {
		t.Fatal("the dead holder's project lock was not freed")
	}
	if n, _ := rdb.HLen(ctx, HoldersKey).Result(); n != 0 {
		t.Fatal("the dead holder's record was not removed")
	}
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("task requeued from a dead holder was not delivered again")
	}
	close(release)
}
