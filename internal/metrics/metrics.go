// Package metrics keeps YTMaker's Prometheus metrics in a registry of its
// own (never the global default) and serves them at /metrics. Every name
// starts with ytmaker_.
//
//	m := metrics.New(metrics.Options{})
//	worker := procman.WorkerConfig{TaskDone: m.TaskDone, StageDone: m.StageDone, ...}
//	m.WatchQueues(inspector, "video_generation", "batch_processing", "maintenance")
//	mux.Handle("GET /metrics", m.Handler())
//
// The methods are safe for concurrent use and do nothing on a nil
// *Metrics, so optional wiring needs no checks.
package metrics

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every metric name.
const Namespace = "ytmaker"

// Options configure New.
type Options struct {
	// NoRuntime leaves out the Go runtime and process metrics
	// (ytmaker_go_*, ytmaker_process_*).
	NoRuntime bool
	Logger    *slog.Logger
}

// Metrics holds YTMaker's metrics.
type Metrics struct {
	reg *prometheus.Registry
	log *slog.Logger

	tasksProcessed *prometheus.CounterVec
	tasksFailed    *prometheus.CounterVec
	tasksRetried   *prometheus.CounterVec
	tasksCancelled *prometheus.CounterVec
	taskDuration   *prometheus.HistogramVec
	stageDuration  *prometheus.HistogramVec
	renderSpeed    prometheus.Histogram
	renderLast     prometheus.Gauge
	renderedVideo  prometheus.Counter
	uploadBytes    prometheus.Counter
	httpRequests   *prometheus.CounterVec
	httpDuration   *prometheus.HistogramVec
}

// New returns metrics registered in a new private registry.
func New(opts Options) *Metrics {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	reg := prometheus.NewRegistry()
	m := &Metrics{reg: reg, log: log}
	taskLabels := []string{"task", "queue"}
	m.tasksProcessed = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "tasks_processed_total",
		Help: "Task runs (attempts) that ended, whatever the outcome."}, taskLabels)
	m.tasksFailed = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "tasks_failed_total",
		Help: "Task runs that failed for good (no retry left, or not retryable)."}, taskLabels)
	m.tasksRetried = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "tasks_retried_total",
		Help: "Task runs that failed and were scheduled to run again."}, taskLabels)
	m.tasksCancelled = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "tasks_cancelled_total",
		Help: "Task runs stopped because the user cancelled them."}, taskLabels)
	m.taskDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "task_duration_seconds",
		Help:    "Wall time of task runs.",
		Buckets: []float64{.005, .025, .1, .5, 1, 5, 15, 60, 300, 900, 1800, 3600}}, taskLabels)
	m.stageDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "stage_duration_seconds",
		Help:    "Wall time of pipeline stage attempts, by stage and outcome (ok or error).",
		Buckets: []float64{.1, .5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1200, 1800}}, []string{"stage", "outcome"})
	m.renderSpeed = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Name: "render_speed_ratio",
		Help:    "Render speed: seconds of video made per second of wall time.",
		Buckets: []float64{0.25, 0.5, 1, 2, 5, 10, 20, 50, 100}})
	m.renderLast = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "render_last_speed_ratio",
		Help: "Speed of the last finished render (video seconds per wall second)."})
	m.renderedVideo = prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "rendered_video_seconds_total",
		Help: "Seconds of video rendered."})
	m.uploadBytes = prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "upload_bytes_total",
		Help: "Bytes uploaded to YouTube."})
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "http_requests_total",
		Help: "HTTP requests by route and status code."}, []string{"route", "code"})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "http_request_duration_seconds",
		Help:    "HTTP request latency by route (streams count their whole life).",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5}}, []string{"route"})
	reg.MustRegister(m.tasksProcessed, m.tasksFailed, m.tasksRetried, m.tasksCancelled, m.taskDuration,
		m.stageDuration, m.renderSpeed, m.renderLast, m.renderedVideo, m.uploadBytes, m.httpRequests, m.httpDuration)
	if !opts.NoRuntime {
		wrapped := prometheus.WrapRegistererWithPrefix(Namespace+"_", reg)
		wrapped.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return m
}

// Registry returns the private registry (to register more collectors).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(m.log.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      prometheus.WrapRegistererWithPrefix(Namespace+"_", m.reg),
	})
}

// TaskDone records one finished task run (procman.WorkerConfig.TaskDone):
// a nil err succeeded; retried says the task will run again; otherwise an
// error marked asynq.SkipRetry failed for good and one marked
// asynq.RevokeTask was cancelled. Other errors (a run deferred because
// the project was busy) count as processed only.
func (m *Metrics) TaskDone(task, queue string, d time.Duration, err error, retried bool) {
	if m == nil {
		return
	}
	m.tasksProcessed.WithLabelValues(task, queue).Inc()
	m.taskDuration.WithLabelValues(task, queue).Observe(d.Seconds())
	switch {
	case err == nil:
	case retried:
		m.tasksRetried.WithLabelValues(task, queue).Inc()
	case errors.Is(err, asynq.RevokeTask):
		m.tasksCancelled.WithLabelValues(task, queue).Inc()
	case errors.Is(err, asynq.SkipRetry):
		m.tasksFailed.WithLabelValues(task, queue).Inc()
	}
}

// StageDone records one stage attempt (procman.WorkerConfig.StageDone).
func (m *Metrics) StageDone(stage string, d time.Duration, err error) {
	if m == nil {
		return
	}
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.stageDuration.WithLabelValues(stage, outcome).Observe(d.Seconds())
}

// RenderFinished records a finished render of videoSeconds of video that
// took wallSeconds.
func (m *Metrics) RenderFinished(videoSeconds, wallSeconds float64) {
	if m == nil || videoSeconds <= 0 || wallSeconds <= 0 {
		return
	}
	speed := videoSeconds / wallSeconds
	m.renderSpeed.Observe(speed)
	m.renderLast.Set(speed)
	m.renderedVideo.Add(videoSeconds)
}

// UploadBytes adds n bytes sent to YouTube.
func (m *Metrics) UploadBytes(n int64) {
	if m == nil || n <= 0 {
		return
	}
	m.uploadBytes.Add(float64(n))
}

// ObserveHTTP records one HTTP request (api.Observer).
func (m *Metrics) ObserveHTTP(route string, status int, d time.Duration) {
	if m == nil {
		return
	}
	m.httpRequests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.httpDuration.WithLabelValues(route).Observe(d.Seconds())
}

// QueueInspector reads queue sizes (an *asynq.Inspector).
type QueueInspector interface {
	Queues() ([]string, error)
	GetQueueInfo(queue string) (*asynq.QueueInfo, error)
}

// WatchQueues reports queue depth, latency and pause state, read from the
// inspector at scrape time. The named queues are always reported (zero
// when they do not exist yet); others found in Redis are added.
func (m *Metrics) WatchQueues(insp QueueInspector, queues ...string) error {
	if m == nil {
		return nil
	}
	return m.reg.Register(&queueCollector{insp: insp, queues: queues, log: m.log,
		depth: prometheus.NewDesc(Namespace+"_queue_depth", "Tasks in a queue by state (pending, active, scheduled, retry, archived, completed, aggregating).",
			[]string{"queue", "state"}, nil),
		latency: prometheus.NewDesc(Namespace+"_queue_latency_seconds", "Age of the oldest pending task of a queue.",
			[]string{"queue"}, nil),
		paused: prometheus.NewDesc(Namespace+"_queue_paused", "1 when the queue is paused.", []string{"queue"}, nil),
		up:     prometheus.NewDesc(Namespace+"_queue_inspect_up", "1 when the queues could be read from Redis at this scrape.", nil, nil),
	})
}

type queueCollector struct {
	insp                       QueueInspector
	queues                     []string
	log                        *slog.Logger
	depth, latency, paused, up *prometheus.Desc
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.depth
	ch <- c.latency
	ch <- c.paused
	ch <- c.up
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	names := append([]string(nil), c.queues...)
	found, err := c.insp.Queues()
	if err != nil {
		c.log.Debug("metrics: list queues", "err", err)
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	for _, q := range found {
		if !contains(names, q) {
			names = append(names, q)
		}
	}
	up := 1.0
	for _, q := range names {
		info := &asynq.QueueInfo{Queue: q}
		if contains(found, q) {
			i, err := c.insp.GetQueueInfo(q)
			if err != nil {
				c.log.Debug("metrics: queue info", "queue", q, "err", err)
				up = 0
				continue
			}
			info = i
		}
		for _, s := range []struct {
			state string
			n     int
		}{{"pending", info.Pending}, {"active", info.Active}, {"scheduled", info.Scheduled}, {"retry", info.Retry},
			{"archived", info.Archived}, {"completed", info.Completed}, {"aggregating", info.Aggregating}} {
			ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(s.n), q, s.state)
		}
		ch <- prometheus.MustNewConstMetric(c.latency, prometheus.GaugeValue, info.Latency.Seconds(), q)
		paused := 0.0
		if info.Paused {
			paused = 1
		}
		ch <- prometheus.MustNewConstMetric(c.paused, prometheus.GaugeValue, paused, q)
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up)
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// ProviderCalls is one online service's calls across all workers and
// its limits (0 = none).
type ProviderCalls struct {
	Provider     string
	InFlight     int
	MaxInFlight  int
	LastMinute   int
	MaxPerMinute int
}

// WatchProviderCalls reports the calls in flight and in the last minute
// of each online service across all workers, with their limits, read
// with read at scrape time.
func (m *Metrics) WatchProviderCalls(read func(ctx context.Context) ([]ProviderCalls, error)) error {
	if m == nil {
		return nil
	}
	labels := []string{"provider"}
	return m.reg.Register(&callsCollector{read: read, log: m.log,
		inFlight: prometheus.NewDesc(Namespace+"_provider_calls_in_flight", "Calls to an online service running now, across all workers.", labels, nil),
		lastMinute: prometheus.NewDesc(Namespace+"_provider_calls_last_minute", "Calls to an online service started in the last minute, across all workers.",
			labels, nil),
		maxInFlight:  prometheus.NewDesc(Namespace+"_provider_max_in_flight", "Most calls to an online service at once (0: no limit).", labels, nil),
		maxPerMinute: prometheus.NewDesc(Namespace+"_provider_max_per_minute", "Most calls to an online service per minute (0: no limit).", labels, nil),
		up:           prometheus.NewDesc(Namespace+"_provider_calls_up", "1 when the provider calls could be read from Redis at this scrape.", nil, nil),
	})
}

type callsCollector struct {
	read                                            func(ctx context.Context) ([]ProviderCalls, error)
	log                                             *slog.Logger
	inFlight, lastMinute, maxInFlight, maxPerMinute *prometheus.Desc
	up                                              *prometheus.Desc
}

func (c *callsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.inFlight
	ch <- c.lastMinute
	ch <- c.maxInFlight
	ch <- c.maxPerMinute
	ch <- c.up
}

func (c *callsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	calls, err := c.read(ctx)
	if err != nil {
		c.log.Debug("metrics: provider calls", "err", err)
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	for _, p := range calls {
		ch <- prometheus.MustNewConstMetric(c.inFlight, prometheus.GaugeValue, float64(p.InFlight), p.Provider)
		ch <- prometheus.MustNewConstMetric(c.lastMinute, prometheus.GaugeValue, float64(p.LastMinute), p.Provider)
		ch <- prometheus.MustNewConstMetric(c.maxInFlight, prometheus.GaugeValue, float64(p.MaxInFlight), p.Provider)
		ch <- prometheus.MustNewConstMetric(c.maxPerMinute, prometheus.GaugeValue, float64(p.MaxPerMinute), p.Provider)
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
}

// WatchRenders reports this worker's renders running now and the most it
// runs at once, read at scrape time.
func (m *Metrics) WatchRenders(inFlight, most func() int) error {
	if m == nil {
		return nil
	}
	if err := m.reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: Namespace, Name: "renders_in_flight",
		Help: "Renders (ffmpeg) this worker runs now."}, func() float64 { return float64(inFlight()) })); err != nil {
		return err
	}
	return m.reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: Namespace, Name: "renders_max",
		Help: "Most renders this worker runs at once (MAX_RENDERS)."}, func() float64 { return float64(most()) }))
}
