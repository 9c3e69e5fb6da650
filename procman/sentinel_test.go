package procman_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/redistest"
	"github.com/ytmaker/ytmaker/internal/stage"
	"github.com/ytmaker/ytmaker/internal/store"
	"github.com/ytmaker/ytmaker/internal/workerstages"
	"github.com/ytmaker/ytmaker/procman"
	"github.com/ytmaker/ytmaker/progress"
	"github.com/ytmaker/ytmaker/tasks"
)

// recorder counts stage executions: starts, and runs that finished (the
// side effect), per project and stage.
type recorder struct {
	mu       sync.Mutex
	starts   []time.Time
	finished map[string]int
}

func (r *recorder) stage(name string, d time.Duration) stage.Stage {
	return stage.Func(func(ctx context.Context, job stage.Job) (any, error) {
		r.mu.Lock()
		r.starts = append(r.starts, time.Now())
		r.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err() // interrupted: no side effect
		case <-time.After(d):
		}
		r.mu.Lock()
		r.finished[fmt.Sprintf("%d/%s", job.ProjectID(), name)]++
		r.mu.Unlock()
		return map[string]string{"stage": name}, nil
	})
}

// firstStartAfter is when the first stage started after t.
func (r *recorder) firstStartAfter(t time.Time) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.starts {
		if s.After(t) {
			return s, true
		}
	}
	return time.Time{}, false
}

// TestSentinelFailover runs 10 projects through Sentinel (a master, a
// replica, three sentinels; down-after 5 s) and kill -9's the master
// while they are in flight: every project completes, no stage finishes
// twice, work resumes within 15 s of the kill, /status shows the new
// master and one failover, and the progress snapshots end at 100%.
func TestSentinelFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("real-process failover takes ~20 s")
	}
	g := redistest.StartSentinel(t, 5*time.Second)
	dir := t.TempDir()
	ctx := context.Background()
	rec := &recorder{finished: map[string]int{}}
	stages := map[string]stage.Stage{}
	for _, s := range project.Stages {
		stages[string(s)] = rec.stage(string(s), 400*time.Millisecond)
	}
	out := &syncBuffer{}
	wc := &procman.WorkerConfig{Concurrency: 4}
	workerstages.Set(wc, stages)
	m, err := procman.New(procman.Config{Sentinels: g.Addrs(), MasterName: redistest.MasterName, DataDir: dir,
		Worker: wc, Beat: true,
		ShutdownTimeout: 2 * time.Second, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.StartAll(ctx); err != nil {
		t.Fatal(err)
	}
	defer m.StopAll(ctx)
	if st := m.Status(ctx); st.Redis.Addr != g.Master.Addr || !st.Redis.Sentinel || st.Redis.Owned {
		t.Fatalf("status before the failover: %+v (master %s)", st.Redis, g.Master.Addr)
	}

	const n = 10
	var ids []int64
	for i := range n {
		id, err := m.Client().CreateProject(ctx, tasks.ProjectInput{Name: fmt.Sprintf("p%d", i), Content: "Rivers carve valleys."})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Client().Chain(ctx, id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	// Kill the master once work is well under way.
	waitFor(t, 20*time.Second, "stages to run", func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return len(rec.finished) >= 8
	})
	killed := time.Now()
	g.Master.Kill()

	// No new stage can start without a master: the first start after the
	// replica's promotion is where work resumed (one that starts between
	// the kill and the promotion was taken before the kill).
	replica := redis.NewClient(&redis.Options{Addr: g.Replica.Addr})
	defer replica.Close()
	var promoted time.Time
	waitFor(t, 30*time.Second, "the replica to be promoted", func() bool {
		role, err := replica.Do(ctx, "ROLE").Slice()
		if err == nil && len(role) > 0 && role[0] == "master" {
			promoted = time.Now()
			return true
		}
		return false
	})
	t.Logf("failover: replica promoted %s after kill -9 of the master", promoted.Sub(killed).Round(10*time.Millisecond))
	waitFor(t, 30*time.Second, "work to resume after the failover", func() bool {
		_, ok := rec.firstStartAfter(promoted)
		return ok
	})
	resumed, _ := rec.firstStartAfter(promoted)
	gap := resumed.Sub(killed)
	t.Logf("failover: work resumed %s after kill -9 of the master", gap.Round(10*time.Millisecond))
	if gap > 15*time.Second {
		t.Errorf("work resumed %s after the kill, want ≤ 15s", gap)
	}

	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "every project to complete", func() bool {
		for _, id := range ids {
			s, err := st.State(id)
			if err != nil || s.Run == nil || s.Run.State != project.RunSucceeded {
				return false
			}
		}
		return true
	})
	rec.mu.Lock()
	for _, id := range ids {
		for _, s := range project.Stages {
			if c := rec.finished[fmt.Sprintf("%d/%s", id, s)]; c != 1 {
				t.Errorf("project %d stage %s ran to completion %d times, want 1", id, s, c)
			}
		}
	}
	rec.mu.Unlock()
	// A run that finished while no master answered is settled again
	// after the switch (its final snapshot may have been lost).
	waitFor(t, 20*time.Second, "every progress snapshot to read 100%", func() bool {
		for _, id := range ids {
			snap, err := progress.Snapshot(ctx, m.Redis(), id)
			if err != nil || snap == nil || snap.Progress != 100 {
				return false
			}
		}
		return true
	})
	waitFor(t, 5*time.Second, "status to show the new master", func() bool {
		s := m.Status(ctx)
		return s.Redis.Addr == g.Replica.Addr && s.Redis.Failovers == 1
	})
}
