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

	started := make(chan struct{}, 2)
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
	server := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: 2, Queues: map[string]int{q: 1},
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
	close(release)
}
