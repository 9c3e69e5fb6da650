package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("scrape: HTTP %d", rec.Code)
	}
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestTaskOutcomes(t *testing.T) {
	m := New(Options{NoRuntime: true})
	const task, q = "render_video_task", "video_generation"
	m.TaskDone(task, q, time.Second, nil, false)
	m.TaskDone(task, q, time.Second, errors.New("503"), true)
	m.TaskDone(task, q, time.Second, fmt.Errorf("%w: FFMPEG_FAILED", asynq.SkipRetry), false)
	m.TaskDone(task, q, time.Second, fmt.Errorf("%w: cancelled", asynq.RevokeTask), false)
	m.TaskDone(task, q, time.Second, errors.New("project busy"), false)
	m.TaskDone("debug_task", "maintenance", time.Millisecond, nil, false)
	text := scrape(t, m)
	for _, want := range []string{
		`ytmaker_tasks_processed_total{queue="video_generation",task="render_video_task"} 5`,
		`ytmaker_tasks_retried_total{queue="video_generation",task="render_video_task"} 1`,
		`ytmaker_tasks_failed_total{queue="video_generation",task="render_video_task"} 1`,
		`ytmaker_tasks_cancelled_total{queue="video_generation",task="render_video_task"} 1`,
		`ytmaker_tasks_processed_total{queue="maintenance",task="debug_task"} 1`,
		`ytmaker_task_duration_seconds_count{queue="video_generation",task="render_video_task"} 5`,
		`ytmaker_task_duration_seconds_count{queue="maintenance",task="debug_task"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	if strings.Contains(text, `ytmaker_tasks_failed_total{queue="maintenance"`) {
		t.Error("a succeeded task counted as failed")
	}
}

func TestStageRenderUploadAndHTTP(t *testing.T) {
	m := New(Options{})
	m.StageDone("render", 3*time.Second, nil)
	m.StageDone("render", time.Second, errors.New("x"))
	m.RenderFinished(60, 4)
	m.RenderFinished(0, 4) // ignored
	m.UploadBytes(1000)
	m.UploadBytes(-5) // ignored
	m.ObserveHTTP("GET /api/v1/projects/{id}", 200, 3*time.Millisecond)
	text := scrape(t, m)
	for _, want := range []string{
		`ytmaker_stage_duration_seconds_count{outcome="ok",stage="render"} 1`,
		`ytmaker_stage_duration_seconds_sum{outcome="ok",stage="render"} 3`,
		`ytmaker_stage_duration_seconds_count{outcome="error",stage="render"} 1`,
		`ytmaker_render_last_speed_ratio 15`,
		`ytmaker_render_speed_ratio_count 1`,
		`ytmaker_rendered_video_seconds_total 60`,
		`ytmaker_upload_bytes_total 1000`,
		`ytmaker_http_requests_total{code="200",route="GET /api/v1/projects/{id}"} 1`,
		`ytmaker_go_goroutines`,
		`ytmaker_process_resident_memory_bytes`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	for _, name := range regexp.MustCompile(`(?m)^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]`).FindAllStringSubmatch(text, -1) {
		if !strings.HasPrefix(name[1], "ytmaker_") {
			t.Fatalf("%s is not prefixed ytmaker_", name[1])
		}
	}
}

type fakeInspector struct {
	queues []string
	infos  map[string]*asynq.QueueInfo
	err    error
}

func (f *fakeInspector) Queues() ([]string, error) { return f.queues, f.err }

func (f *fakeInspector) GetQueueInfo(q string) (*asynq.QueueInfo, error) {
	if i, ok := f.infos[q]; ok {
		return i, nil
	}
	return nil, asynq.ErrQueueNotFound
}

func TestQueueDepthAtScrapeTime(t *testing.T) {
	m := New(Options{NoRuntime: true})
	insp := &fakeInspector{queues: []string{"video_generation", "custom"}, infos: map[string]*asynq.QueueInfo{
		"video_generation": {Queue: "video_generation", Pending: 4, Active: 2, Retry: 1, Latency: 1500 * time.Millisecond},
		"custom":           {Queue: "custom", Scheduled: 7, Paused: true},
	}}
	if err := m.WatchQueues(insp, "video_generation", "maintenance"); err != nil {
		t.Fatal(err)
	}
	text := scrape(t, m)
	for _, want := range []string{
		`ytmaker_queue_depth{queue="video_generation",state="pending"} 4`,
		`ytmaker_queue_depth{queue="video_generation",state="active"} 2`,
		`ytmaker_queue_depth{queue="video_generation",state="retry"} 1`,
		`ytmaker_queue_latency_seconds{queue="video_generation"} 1.5`,
		`ytmaker_queue_depth{queue="maintenance",state="pending"} 0`,
		`ytmaker_queue_depth{queue="custom",state="scheduled"} 7`,
		`ytmaker_queue_paused{queue="custom"} 1`,
		`ytmaker_queue_inspect_up 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	// Read at scrape time: a change shows at the next scrape.
	insp.infos["video_generation"].Pending = 9
	if !strings.Contains(scrape(t, m), `ytmaker_queue_depth{queue="video_generation",state="pending"} 9`) {
		t.Fatal("queue depth is not read at scrape time")
	}
	insp.err = errors.New("redis down")
	text = scrape(t, m)
	if !strings.Contains(text, "ytmaker_queue_inspect_up 0") || strings.Contains(text, "ytmaker_queue_depth{") {
		t.Fatalf("with Redis down: %s", text)
	}
}

func TestNilMetricsAreSafe(t *testing.T) {
	var m *Metrics
	m.TaskDone("t", "q", time.Second, nil, false)
	m.StageDone("s", time.Second, nil)
	m.RenderFinished(1, 1)
	m.UploadBytes(1)
	m.ObserveHTTP("r", 200, time.Second)
	if err := m.WatchQueues(&fakeInspector{}); err != nil {
		t.Fatal(err)
	}
}

func TestProviderCallsAndRendersAtScrapeTime(t *testing.T) {
	m := New(Options{NoRuntime: true})
	calls := []ProviderCalls{{Provider: "stability", InFlight: 3, MaxInFlight: 4, LastMinute: 120, MaxPerMinute: 150},
		{Provider: "gemini", InFlight: 1, MaxInFlight: 8}}
	var fail bool
	if err := m.WatchProviderCalls(func(ctx context.Context) ([]ProviderCalls, error) {
		if fail {
			return nil, errors.New("redis down")
		}
		return calls, nil
	}); err != nil {
		t.Fatal(err)
	}
	renders := 1
	if err := m.WatchRenders(func() int { return renders }, func() int { return 2 }); err != nil {
		t.Fatal(err)
	}
	text := scrape(t, m)
	for _, want := range []string{
		`ytmaker_provider_calls_in_flight{provider="stability"} 3`,
		`ytmaker_provider_calls_last_minute{provider="stability"} 120`,
		`ytmaker_provider_max_in_flight{provider="stability"} 4`,
		`ytmaker_provider_max_per_minute{provider="stability"} 150`,
		`ytmaker_provider_calls_in_flight{provider="gemini"} 1`,
		`ytmaker_provider_max_per_minute{provider="gemini"} 0`,
		`ytmaker_provider_calls_up 1`,
		`ytmaker_renders_in_flight 1`,
		`ytmaker_renders_max 2`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q", want)
		}
	}
	fail, renders = true, 0
	text = scrape(t, m)
	if !strings.Contains(text, "ytmaker_provider_calls_up 0") || !strings.Contains(text, "ytmaker_renders_in_flight 0") {
		t.Errorf("after Redis went away:\n%s", text)
	}
}
