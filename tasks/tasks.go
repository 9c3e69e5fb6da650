// Package tasks is the Go face of YTMaker's background jobs — what
// `from app.tasks import ...` was in the Python original:
//
//	c, _ := tasks.New(tasks.Config{RedisURL: "redis://127.0.0.1:6379/0", DataDir: "./data"})
//	h, _ := c.Delay(ctx, tasks.GenerateScript, tasks.Args{ProjectID: 1})   // generate_script_task.delay(project_id=1)
//	res, err := h.Get(ctx, 60*time.Second)                                  // task.get(timeout=60)
//
//	h, _ = c.Chain(ctx, 1)                    // the whole video flow as one chain
//	final, err := h.Get(ctx, 30*time.Minute)  // the last stage's result
//
//	sub, _ := c.SubscribeProgress(ctx, 1)     // progress:{project_id}
//	for m := range sub.C {
//		fmt.Println(m.Stage, m.Progress, m.Message)
//		if m.Progress == 100 { break }
//	}
//
// Waiting never polls Redis in a loop: a finished task publishes its ID and
// Get wakes on it.
package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/chain"
	"github.com/ytmaker/ytmaker/internal/jobspec"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/results"
	"github.com/ytmaker/ytmaker/internal/store"
	"github.com/ytmaker/ytmaker/progress"
)

// Task names.
const (
	GenerateScript    = jobspec.GenerateScript
	GenerateAssets    = jobspec.GenerateAssets
	RenderVideo       = jobspec.RenderVideo
	GenerateThumbnail = jobspec.GenerateThumbnail
	UploadToYouTube   = jobspec.UploadToYouTube
	BatchProcessing   = jobspec.BatchProcessing
	SyncQuotas        = jobspec.SyncQuotas
	DebugTask         = jobspec.DebugTask
)

// Queues.
const (
	QueueVideo       = jobspec.QueueVideo
	QueueBatch       = jobspec.QueueBatch
	QueueMaintenance = jobspec.QueueMaintenance
)

// Project input types, for creating projects from Go.
type (
	// ProjectInput is what a new project is made from.
	ProjectInput = project.Input
	// Settings control how a video is made.
	Settings = project.Settings
	// BatchInput creates a batch of projects.
	BatchInput = project.BatchInput
	// BatchResult is the result of batch_processing_task.
	BatchResult = project.BatchResult
)

// ErrTimeout is returned by Get when the timeout passes before the task
// finishes (the task keeps running).
var ErrTimeout = results.ErrWaitTimeout

// ErrNotFound is returned for an unknown or expired task ID.
var ErrNotFound = results.ErrNotFound

// Config configures a Client. Either Redis (a client you own) or RedisURL
// must be set.
type Config struct {
	Redis     redis.UniversalClient
	RedisURL  string
	DataDir   string
	ResultTTL time.Duration // how long finished results are kept; at least 24 h
	Limits    jobspec.TimeLimits
	Logger    *slog.Logger
}

// Client enqueues tasks and waits for them.
type Client struct {
	rdb       redis.UniversalClient
	ownsRedis bool
	store     *store.Store
	results   *results.Store
	orch      *chain.Orchestrator
	log       *slog.Logger
}

// New returns a client.
func New(cfg Config) (*Client, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rdb, owns := cfg.Redis, false
	if rdb == nil {
		if cfg.RedisURL == "" {
			return nil, errors.New("tasks: Redis or RedisURL is required")
		}
		opt, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("tasks: redis url: %w", err)
		}
		rdb, owns = redis.NewClient(opt), true
	}
	if cfg.DataDir == "" {
		cfg.DataDir = "data"
	}
	st, err := store.Open(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	res := results.New(rdb, cfg.ResultTTL, log)
	orch := chain.New(chain.Config{Store: st, Results: res, Redis: rdb, Limits: cfg.Limits, ResultTTL: cfg.ResultTTL, Logger: log})
	return &Client{rdb: rdb, ownsRedis: owns, store: st, results: res, orch: orch, log: log}, nil
}

// Close releases the client's resources.
func (c *Client) Close() error {
	c.results.Close()
	c.orch.Close()
	if c.ownsRedis {
		return c.rdb.Close()
	}
	return nil
}

// Orchestrator exposes the chain orchestrator to YTMaker's own packages.
func (c *Client) Orchestrator() *chain.Orchestrator { return c.orch }

// Store exposes the project store to YTMaker's own packages.
func (c *Client) Store() *store.Store { return c.store }

// Redis returns the Redis client.
func (c *Client) Redis() redis.UniversalClient { return c.rdb }

// Args are a task's arguments.
type Args struct {
	ProjectID int64           // the five video tasks
	BatchID   int64           // batch_processing_task
	Payload   json.RawMessage // debug_task (any JSON)
}

// CreateProject validates the input and creates a project.
func (c *Client) CreateProject(ctx context.Context, in ProjectInput) (int64, error) {
	p, err := c.store.CreateProject(ctx, in, 0)
	if err != nil {
		return 0, err
	}
	return p.ID, nil
}

// CreateBatch validates the input and creates a batch with its projects.
func (c *Client) CreateBatch(ctx context.Context, in BatchInput) (int64, error) {
	b, err := c.store.CreateBatch(ctx, in)
	if err != nil {
		return 0, err
	}
	return b.ID, nil
}

// Delay enqueues one task and returns its handle — the seed's delay().
// A video task becomes a one-stage run on the project; it fails with
// PROJECT_BUSY while another run occupies the project.
func (c *Client) Delay(ctx context.Context, name string, args Args) (*Handle, error) {
	if s, ok := project.StageForTask(name); ok {
		if args.ProjectID <= 0 {
			return nil, errcode.New(errcode.InvalidInput, "project_id must be a positive integer", false)
		}
		run, err := c.orch.Start(ctx, args.ProjectID, chain.StartOptions{Kind: "task", Stages: []project.Stage{s}})
		if err != nil {
			return nil, err
		}
		return c.Handle(run.HandleID), nil
	}
	switch name {
	case BatchProcessing:
		return c.ProcessBatch(ctx, args.BatchID)
	case SyncQuotas, DebugTask:
		return c.enqueueSimple(ctx, name, args.Payload)
	}
	return nil, errcode.Newf(errcode.InvalidInput, false, "unknown task %q", name)
}

func (c *Client) enqueueSimple(ctx context.Context, name string, payload json.RawMessage) (*Handle, error) {
	if payload == nil {
		payload = json.RawMessage("{}")
	}
	if !json.Valid(payload) {
		return nil, errcode.New(errcode.InvalidInput, "payload must be JSON", false)
	}
	id := uuid.NewString()
	q := jobspec.QueueFor(name)
	if err := c.results.Create(ctx, results.Record{ID: id, Type: name, Queue: q}); err != nil {
		return nil, err
	}
	_, err := c.orch.Client().EnqueueContext(ctx, asynq.NewTask(name, payload), asynq.TaskID(id), asynq.Queue(q),
		asynq.MaxRetry(jobspec.MaxRetries), asynq.Timeout(c.orch.Limits().For(name)+jobspec.TimeoutGrace),
		asynq.Retention(time.Hour))
	if err != nil {
		return nil, errcode.Wrap(err, errcode.RedisUnavailable, true, "enqueue: "+err.Error())
	}
	return c.Handle(id), nil
}

// Chain runs stages (task names such as tasks.GenerateScript, or stage
// names such as "script") on a project as one durable chain — the seed's
// chain(...).apply_async(). With no stages it runs the whole video flow.
func (c *Client) Chain(ctx context.Context, projectID int64, stages ...string) (*Handle, error) {
	list := project.Stages
	if len(stages) > 0 {
		list = nil
		for _, name := range stages {
			s, ok := project.StageForTask(name)
			if !ok {
				s = project.Stage(name)
			}
			if !s.Valid() {
				return nil, errcode.Newf(errcode.InvalidInput, false, "unknown stage %q", name)
			}
			list = append(list, s)
		}
	}
	run, err := c.orch.Start(ctx, projectID, chain.StartOptions{Kind: "chain", Stages: list})
	if err != nil {
		return nil, err
	}
	return c.Handle(run.HandleID), nil
}

// Resume continues a project: a paused run goes on from its current stage;
// otherwise a new chain starts at the first unfinished stage and reuses
// all finished work.
func (c *Client) Resume(ctx context.Context, projectID int64) (*Handle, error) {
	run, err := c.orch.Resume(ctx, projectID)
	if err != nil {
		return nil, err
	}
	return c.Handle(run.HandleID), nil
}

// Pause stops the project's run after its current stage.
func (c *Client) Pause(ctx context.Context, projectID int64) error {
	_, err := c.orch.Pause(ctx, projectID)
	return err
}

// Cancel stops the project's run now; the running stage is not retried.
func (c *Client) Cancel(ctx context.Context, projectID int64) error {
	_, err := c.orch.Cancel(ctx, projectID)
	return err
}

// ProcessBatch runs batch_processing_task on a batch. Its result (see
// BatchResult) arrives when every project of the batch has finished.
func (c *Client) ProcessBatch(ctx context.Context, batchID int64) (*Handle, error) {
	if batchID <= 0 {
		return nil, errcode.New(errcode.InvalidInput, "batch_id must be a positive integer", false)
	}
	run, err := c.orch.StartBatch(ctx, batchID)
	if err != nil {
		return nil, err
	}
	return c.Handle(run.HandleID), nil
}

// SubscribeProgress subscribes to a project's progress: first its current
// state, then every update. Close the subscription when done.
func (c *Client) SubscribeProgress(ctx context.Context, projectID int64) (*progress.Subscription, error) {
	return progress.Subscribe(ctx, c.rdb, projectID)
}

// Handle returns the handle of a task by ID.
func (c *Client) Handle(id string) *Handle { return &Handle{id: id, c: c} }

// Handle refers to an enqueued task or chain.
type Handle struct {
	id string
	c  *Client
}

// ID returns the task ID.
func (h *Handle) ID() string { return h.id }

// Get blocks until the task finishes and returns its result, or its final
// error (an *errcode.Error with code, message, stage, retryable and
// attempt), or ErrTimeout when timeout passes first (0 = no timeout).
func (h *Handle) Get(ctx context.Context, timeout time.Duration) (json.RawMessage, error) {
	r, err := h.c.results.Wait(ctx, h.id, timeout)
	if err != nil {
		return nil, err
	}
	if r.State == results.Succeeded {
		return r.Result, nil
	}
	if r.Error != nil {
		return nil, r.Error
	}
	return nil, errcode.Newf(errcode.Internal, false, "task ended %s", r.State)
}

// GetInto is Get that decodes the result into v.
func (h *Handle) GetInto(ctx context.Context, timeout time.Duration, v any) error {
	raw, err := h.Get(ctx, timeout)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

// Info describes a task: its record joined with what the queue knows.
type Info struct {
	results.Record
	QueueState string     `json:"queue_state,omitempty"` // pending, active, scheduled, retry, archived, completed
	LastError  string     `json:"last_error,omitempty"`
	NextRunAt  *time.Time `json:"next_run_at,omitempty"`
	MaxRetries int        `json:"max_retries,omitempty"`
}

// Info returns what is known about task id.
func (h *Handle) Info(ctx context.Context) (*Info, error) { return h.c.Info(ctx, h.id) }

// Info returns what is known about task id.
func (c *Client) Info(ctx context.Context, id string) (*Info, error) {
	r, err := c.results.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	info := &Info{Record: *r}
	if r.Queue != "" && r.Type != "chain" {
		if ti, err := c.orch.Inspector().GetTaskInfo(r.Queue, id); err == nil {
			info.QueueState = ti.State.String()
			info.LastError = ti.LastErr
			info.MaxRetries = ti.MaxRetry
			if !ti.NextProcessAt.IsZero() {
				t := ti.NextProcessAt
				info.NextRunAt = &t
			}
			if ti.Retried > info.Retries {
				info.Retries = ti.Retried
			}
		}
	}
	return info, nil
}

// Stage is one step of the pipeline as the worker runs it. YTMaker's own
// stages implement it; tests plug in their own.
type Stage interface {
	Run(ctx context.Context, job Job) (any, error)
}

// StageFunc adapts a function to Stage.
type StageFunc func(ctx context.Context, job Job) (any, error)

// Run calls f.
func (f StageFunc) Run(ctx context.Context, job Job) (any, error) { return f(ctx, job) }

// Job is what a running stage gets to work with.
type Job interface {
	ProjectID() int64
	// Dir is the project's folder; every artifact goes below it.
	Dir() string
	// Input is the previous stage's result (nil for the first stage).
	Input() json.RawMessage
	// Attempt counts from 1.
	Attempt() int
	// Progress reports the stage's own progress (0-100) with a message.
	Progress(percent float64, message string)
	// ProgressETA is Progress with an estimate of the time left.
	ProgressETA(percent float64, eta time.Duration, message string)
	// Checkpoint loads a sub-step checkpoint saved by an earlier attempt
	// of this stage into v; it reports whether one existed.
	Checkpoint(key string, v any) (bool, error)
	// SaveCheckpoint records a finished sub-step in project_state.json.
	SaveCheckpoint(key string, v any) error
	Logger() *slog.Logger
}

// Skipper is implemented by stage results that report the stage chose not
// to do its work (for example an upload without credentials); the stage
// is then recorded as skipped and the run goes on.
type Skipper interface{ StageSkipped() bool }

// SnoozeError asks the worker to run the stage again at Until without
// counting a failed attempt — for example when the YouTube quota is used
// up until midnight Pacific time. Err says why (shown in the status).
type SnoozeError struct {
	Until time.Time
	Err   *errcode.Error
}

func (e *SnoozeError) Error() string {
	return fmt.Sprintf("waiting until %s: %v", e.Until.Format(time.RFC3339), e.Err)
}

// Unwrap returns the reason.
func (e *SnoozeError) Unwrap() error { return e.Err }

// Snooze returns a SnoozeError.
func Snooze(until time.Time, why *errcode.Error) error { return &SnoozeError{Until: until, Err: why} }
