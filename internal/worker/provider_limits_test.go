package worker_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/limits"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/stage"
	"github.com/ytmaker/ytmaker/tasks"
)

// A stage whose service is at its in-flight limit across the cluster
// (another worker holds the only slot) waits, without using an attempt,
// and runs to the end once the slot is free.
func TestStageOverAProviderLimitWaitsWithoutUsingAnAttempt(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	pid := e.newProject("busy service")
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "image") }))
	defer api.Close()
	lims := map[string]limits.Limit{limits.Stability: {InFlight: 1}}
	other := limits.New(limits.Config{Redis: e.redis.Client(), Limits: lims})
	held, err := other.Acquire(ctx, limits.Stability)
	if err != nil {
		t.Fatal(err)
	}
	client := limits.New(limits.Config{Redis: e.rdb, Limits: lims, MaxWait: 300 * time.Millisecond}).Client(limits.Stability, nil)
	e.stages.on(project.StageAssets, func(ctx context.Context, job stage.Job) (any, error) {
		resp, err := client.Get(api.URL)
		if err != nil {
			return nil, limits.Waiting(err) // as the pipeline does for every stage
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return map[string]string{"image": string(b)}, nil
	})
	e.startWorker(2)
	h, err := e.client.Delay(ctx, tasks.GenerateAssets, tasks.Args{ProjectID: pid})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "the assets stage to wait", func() bool {
		return e.state(pid).Stages.Assets.Status == project.StageWaiting
	})
	st := e.state(pid).Stages.Assets
	if st.Error == nil || st.Error.Code != limits.ProviderBusy || st.WaitUntil == nil || st.Attempts != 1 {
		t.Fatalf("waiting stage = %+v (error %+v)", st, st.Error)
	}
	held.Release()
	if _, err := h.Get(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if starts := e.stages.starts(t, pid, project.StageAssets); len(starts) < 2 {
		t.Fatalf("assets ran %d times", len(starts))
	}
	st = e.state(pid).Stages.Assets
	if st.Status != project.StageCompleted || st.Attempts != 1 || st.WaitUntil != nil {
		t.Fatalf("after the wait: %+v", st)
	}
}
