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
//	sub, _ := c.SubscribeRun(ctx, 1, progress.NextRun()) // progress:{project_id}, the next run only
//	h, _ = c.Chain(ctx, 1, tasks.GenerateThumbnail)       // make the thumbnail again
//	for m := range sub.C { // ends after the run's final message
//		fmt.Println(m.Run, m.Stage, m.Progress, m.Message)
//	}
//
// (or, once the run has started: sub, _ := h.SubscribeProgress(ctx)).
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

	"github.com/redis/go-redis/v9"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/engine"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/rdb"
	"github.com/ytmaker/ytmaker/internal/taskspec"
	"github.com/ytmaker/ytmaker/progress"
)

// Task names.
const (
	GenerateScript    = taskspec.GenerateScript
	GenerateAssets    = taskspec.GenerateAssets
	RenderVideo       = taskspec.RenderVideo
	GenerateThumbnail = taskspec.GenerateThumbnail
	UploadToYouTube   = taskspec.UploadToYouTube
	BatchProcessing   = taskspec.BatchProcessing
	SyncQuotas        = taskspec.SyncQuotas
	DebugTask         = taskspec.DebugTask
)

// Queues.
const (
	QueueVideo       = taskspec.QueueVideo
	QueueBatch       = taskspec.QueueBatch
	QueueMaintenance = taskspec.QueueMaintenance
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
var ErrTimeout = rdb.ErrWaitTimeout

// ErrNotFound is returned for an unknown or expired task ID.
var ErrNotFound = rdb.ErrTaskNotFound

// TimeLimits bound how long each task may run; a zero field keeps the
// default (script 5 min, assets 20 min, render 30 min, thumbnail 2 min,
// upload 30 min, batch 90 min).
type TimeLimits struct {
	Script, Assets, Render, Thumbnail, Upload, Batch time.Duration
}

// Config configures a Client. Either Redis (a client you own) or RedisURL
// must be set.
type Config struct {
	Redis     redis.UniversalClient
	RedisURL  string
	DataDir   string
	ResultTTL time.Duration // how long finished results are kept; at least 24 h
	Limits    TimeLimits
	Logger    *slog.Logger
}

// Client enqueues tasks and waits for them.
type Client struct {
	eng *engine.Engine
}

// New returns a client.
func New(cfg Config) (*Client, error) {
	if cfg.Redis == nil && cfg.RedisURL == "" {
		return nil, errors.New("tasks: Redis or RedisURL is required")
	}
	eng, err := engine.Open(engine.Config{Redis: cfg.Redis, RedisURL: cfg.RedisURL, DataDir: cfg.DataDir,
		Limits: taskspec.TimeLimits(cfg.Limits), ResultTTL: cfg.ResultTTL, Logger: cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("tasks: %w", err)
	}
	return &Client{eng: eng}, nil
}

// Close releases the client's resources (a Redis client passed in Config
// stays open).
func (c *Client) Close() error { return c.eng.Close() }

// Args are a task's arguments.
type Args struct {
	ProjectID int64           // the five video tasks
	BatchID   int64           // batch_processing_task
	Payload   json.RawMessage // debug_task (any JSON)
}

// CreateProject validates the input and creates a project.
func (c *Client) CreateProject(ctx context.Context, in ProjectInput) (int64, error) {
	return c.eng.CreateProject(ctx, in)
}

// CreateBatch validates the input and creates a batch with its projects.
func (c *Client) CreateBatch(ctx context.Context, in BatchInput) (int64, error) {
	return c.eng.CreateBatch(ctx, in)
}

// Delay enqueues one task and returns its handle — the seed's delay().
// A video task becomes a one-stage run on the project; it fails with
// PROJECT_BUSY while another run occupies the project.
func (c *Client) Delay(ctx context.Context, name string, args Args) (*Handle, error) {
	if s, ok := project.StageForTask(name); ok {
		if args.ProjectID <= 0 {
			return nil, errcode.New(errcode.InvalidInput, "project_id must be a positive integer", false)
		}
		run, err := c.eng.Start(ctx, args.ProjectID, engine.StartOptions{Kind: "task", Stages: []project.Stage{s}})
		if err != nil {
			return nil, err
		}
		return c.Handle(run.HandleID), nil
	}
	switch name {
	case BatchProcessing:
		return c.ProcessBatch(ctx, args.BatchID)
	case SyncQuotas, DebugTask:
		id, err := c.eng.EnqueueSimple(ctx, name, args.Payload)
		if err != nil {
			return nil, err
		}
		return c.Handle(id), nil
	}
	return nil, errcode.Newf(errcode.InvalidInput, false, "unknown task %q", name)
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
	run, err := c.eng.Start(ctx, projectID, engine.StartOptions{Kind: "chain", Stages: list})
	if err != nil {
		return nil, err
	}
	return c.Handle(run.HandleID), nil
}

// Resume continues a project: a paused run goes on from its current stage;
// otherwise a new chain starts at the first unfinished stage and reuses
// all finished work.
func (c *Client) Resume(ctx context.Context, projectID int64) (*Handle, error) {
	run, err := c.eng.Resume(ctx, projectID)
	if err != nil {
		return nil, err
	}
	return c.Handle(run.HandleID), nil
}

// Pause stops the project's run after its current stage.
func (c *Client) Pause(ctx context.Context, projectID int64) error {
	_, err := c.eng.Pause(ctx, projectID)
	return err
}

// Cancel stops the project's run now; the running stage is not retried.
func (c *Client) Cancel(ctx context.Context, projectID int64) error {
	_, err := c.eng.Cancel(ctx, projectID)
	return err
}

// ProcessBatch runs batch_processing_task on a batch. Its result (see
// BatchResult) arrives when every project of the batch has finished.
func (c *Client) ProcessBatch(ctx context.Context, batchID int64) (*Handle, error) {
	if batchID <= 0 {
		return nil, errcode.New(errcode.InvalidInput, "batch_id must be a positive integer", false)
	}
	run, err := c.eng.StartBatch(ctx, batchID)
	if err != nil {
		return nil, err
	}
	return c.Handle(run.HandleID), nil
}

// SubscribeProgress subscribes to a project's progress, every run: first
// its latest message (which may be the final message of a run that has
// ended — Message.Run says which run; a project that never ran gets a
// not-started message), then every update. To follow one run, use
// SubscribeRun or Handle.SubscribeProgress. Close the subscription when
// done.
func (c *Client) SubscribeProgress(ctx context.Context, projectID int64) (*progress.Subscription, error) {
	return progress.Subscribe(ctx, c.eng.Redis(), projectID)
}

// SubscribeRun subscribes to the runs of a project that scope names:
// progress.NextRun() (the run about to start: subscribe before starting
// it) or progress.ForRun(n). The first message is the run's latest one,
// or a not-started message while the run has not started; messages of
// other runs are never delivered, and the channel closes after the run's
// final message.
func (c *Client) SubscribeRun(ctx context.Context, projectID int64, scope progress.Scope) (*progress.Subscription, error) {
	return progress.SubscribeRun(ctx, c.eng.Redis(), projectID, scope)
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
	r, err := h.c.eng.Records().Wait(ctx, h.id, timeout)
	if err != nil {
		return nil, err
	}
	if r.State == rdb.Succeeded {
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
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Queue      string          `json:"queue,omitempty"`
	ProjectID  int64           `json:"project_id,omitempty"`
	BatchID    int64           `json:"batch_id,omitempty"`
	Run        int             `json:"run,omitempty"`
	State      string          `json:"state"` // pending, running, retrying, waiting, paused, succeeded, failed, cancelled
	Retries    int             `json:"retries"`
	Result     json.RawMessage `json:"result,omitempty"`
	Error      *errcode.Error  `json:"error,omitempty"`
	CreatedAt  time.Time       `json:"created_at"`
	StartedAt  *time.Time      `json:"started_at,omitempty"`
	FinishedAt *time.Time      `json:"finished_at,omitempty"`
	QueueState string          `json:"queue_state,omitempty"` // pending, active, scheduled, retry, archived, completed
	LastError  string          `json:"last_error,omitempty"`
	NextRunAt  *time.Time      `json:"next_run_at,omitempty"`
	MaxRetries int             `json:"max_retries,omitempty"`
}

// SubscribeProgress follows the progress of the run the handle belongs to
// (a chain, or a task of one stage): its latest message, then its updates;
// the channel closes after the run's final message. It fails with
// INVALID_INPUT for a task that is not part of a project's run.
func (h *Handle) SubscribeProgress(ctx context.Context) (*progress.Subscription, error) {
	info, err := h.c.Info(ctx, h.id)
	if err != nil {
		return nil, err
	}
	if info.ProjectID <= 0 || info.Run <= 0 {
		return nil, errcode.Newf(errcode.InvalidInput, false, "task %s is not part of a project's run", h.id)
	}
	return h.c.SubscribeRun(ctx, info.ProjectID, progress.ForRun(info.Run))
}

// Info returns what is known about task id.
func (h *Handle) Info(ctx context.Context) (*Info, error) { return h.c.Info(ctx, h.id) }

// Info returns what is known about task id.
func (c *Client) Info(ctx context.Context, id string) (*Info, error) {
	ti, err := c.eng.TaskInfo(ctx, id)
	if err != nil {
		return nil, err
	}
	info := Info(*ti)
	return &info, nil
}
