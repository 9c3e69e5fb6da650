package worker_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/stage"
	"github.com/ytmaker/ytmaker/tasks"
)

var trackActive = redis.NewScript(`
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
local m = tonumber(redis.call('GET', KEYS[2]) or '0')
if v > m then redis.call('SET', KEYS[2], v) end
return v`)

// trackProjects counts projects between script start and upload end, and
// remembers the maximum.
func (e *env) trackProjects() {
	e.stages.on(project.StageScript, func(ctx context.Context, job stage.Job) (any, error) {
		trackActive.Run(ctx, e.rdb, []string{"test:active", "test:maxactive"}, 1)
		return map[string]string{"stage": "script"}, nil
	})
	e.stages.on(project.StageUpload, func(ctx context.Context, job stage.Job) (any, error) {
		trackActive.Run(ctx, e.rdb, []string{"test:active", "test:maxactive"}, -1)
		return map[string]string{"stage": "upload", "video_id": fmt.Sprintf("vid%d", job.ProjectID())}, nil
	})
}

func (e *env) newBatch(n, concurrency int) int64 {
	e.t.Helper()
	in := tasks.BatchInput{Name: "batch", Concurrency: concurrency}
	for i := 0; i < n; i++ {
		in.Projects = append(in.Projects, tasks.ProjectInput{Name: fmt.Sprintf("p%d", i), Content: "Text. More text."})
	}
	id, err := e.client.CreateBatch(context.Background(), in)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func TestBatchBoundedConcurrency(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.trackProjects()
	e.startWorker(4)
	bid := e.newBatch(5, 2)
	h, err := e.client.ProcessBatch(ctx, bid)
	if err != nil {
		t.Fatal(err)
	}
	// Starting it again while it runs joins the same run.
	h2, err := e.client.ProcessBatch(ctx, bid)
	if err != nil || h2.ID() != h.ID() {
		t.Fatalf("second ProcessBatch = %v, %v", h2, err)
	}
	var res tasks.BatchResult
	if err := h.GetInto(ctx, 60*time.Second, &res); err != nil {
		t.Fatal(err)
	}
	if res.BatchID != bid || res.Total != 5 || res.Completed != 5 || res.Failed != 0 || len(res.Results) != 5 {
		t.Fatalf("result %+v", res)
	}
	for _, r := range res.Results {
		if r.Status != project.Completed || r.VideoID != fmt.Sprintf("vid%d", r.ProjectID) {
			t.Errorf("project result %+v", r)
		}
	}
	if m, _ := e.rdb.Get(ctx, "test:maxactive").Int(); m != 2 {
		t.Fatalf("at most %d projects ran at once, want exactly 2", m)
	}
}

func TestBatchSurvivesWorkerCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the dead worker's leases to expire")
	}
	e := newEnv(t)
	ctx := context.Background()
	bid := e.newBatch(4, 2)
	child := e.startChildWorker(project.StageRender, "")
	h, err := e.client.ProcessBatch(ctx, bid)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "two projects to reach render", func() bool {
		return len(e.stages.starts(t, 1, project.StageRender))+len(e.stages.starts(t, 2, project.StageRender)) == 2
	})
	child.Process.Signal(syscall.SIGKILL)
	child.Wait()
	for pid := int64(1); pid <= 4; pid++ {
		e.rdb.Set(ctx, fmt.Sprintf("test:%d:running", pid), 0, 0)
	}
	// Running the batch task again after the crash joins the same run and
	// starts nothing twice.
	if h2, err := e.client.ProcessBatch(ctx, bid); err != nil || h2.ID() != h.ID() {
		t.Fatalf("ProcessBatch after crash = %v, %v", h2, err)
	}
	e.startWorker(4)
	var res tasks.BatchResult
	if err := h.GetInto(ctx, 90*time.Second, &res); err != nil {
		t.Fatal(err)
	}
	if res.Completed != 4 {
		t.Fatalf("result %+v", res)
	}
	for pid := int64(1); pid <= 4; pid++ {
		renders := len(e.stages.starts(t, pid, project.StageRender))
		want := 1
		if pid <= 2 {
			want = 2 // killed mid-render, then recovered
		}
		if renders != want {
			t.Errorf("project %d rendered %d times, want %d", pid, renders, want)
		}
		for _, s := range []project.Stage{project.StageScript, project.StageAssets, project.StageUpload} {
			if n := len(e.stages.starts(t, pid, s)); n != 1 {
				t.Errorf("project %d stage %s ran %d times", pid, s, n)
			}
		}
		if n := e.stages.overlaps(t, pid); n != 0 {
			t.Errorf("project %d had overlapping stages", pid)
		}
	}
	// A new run of a finished batch skips every finished project.
	h3, err := e.client.ProcessBatch(ctx, bid)
	if err != nil {
		t.Fatal(err)
	}
	var res2 tasks.BatchResult
	if err := h3.GetInto(ctx, 10*time.Second, &res2); err != nil || res2.Completed != 4 {
		t.Fatalf("second run %+v %v", res2, err)
	}
	if n := len(e.stages.starts(t, 3, project.StageScript)); n != 1 {
		t.Fatalf("finished project ran again (%d)", n)
	}
}
