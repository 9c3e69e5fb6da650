// Package engine runs YTMaker's durable chains: a run of stages on one
// project, where each stage passes its result to the next. The project's
// state file is the system of record; asynq only carries the next task.
//
// Every transition happens under the project's lock and is written before
// any side effect (enqueueing the next stage, finishing a handle,
// publishing progress). Side effects are idempotent and derived from the
// written state (settle), so a worker that dies between the two leaves a
// state from which any worker can finish the job: the stage task is
// delivered again, sees its stage finished, and only settles.
package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/rdb"
	"github.com/ytmaker/ytmaker/internal/store"
	"github.com/ytmaker/ytmaker/internal/taskspec"
	"github.com/ytmaker/ytmaker/progress"
)

// Error codes of this package.
const (
	CodeNotRunning       = "PROJECT_NOT_RUNNING"
	CodeAlreadyCompleted = "PROJECT_ALREADY_COMPLETED"
)

// Config configures an Engine.
type Config struct {
	// Redis is a client the caller owns; otherwise RedisURL is dialled
	// and the connection closed with the engine.
	Redis     redis.UniversalClient
	RedisURL  string
	DataDir   string // default "data"
	Limits    taskspec.TimeLimits
	ResultTTL time.Duration // at least 24 h
	Logger    *slog.Logger
}

// Engine starts, advances, pauses, resumes and cancels runs. It is the
// job system assembled: the project store, the task records, asynq's
// client and inspector and the progress publisher on one Redis client.
type Engine struct {
	store     *store.Store
	results   *rdb.Records
	rdb       redis.UniversalClient
	ownsRedis bool
	client    *asynq.Client
	inspector *asynq.Inspector
	pub       *progress.Publisher
	limits    taskspec.TimeLimits
	retention time.Duration
	log       *slog.Logger
	now       func() time.Time
}

// Open assembles an engine.
func Open(cfg Config) (*Engine, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	client, owns := cfg.Redis, false
	if client == nil {
		if cfg.RedisURL == "" {
			return nil, errors.New("engine: Redis or RedisURL is required")
		}
		c, err := rdb.Conn{URL: cfg.RedisURL}.NewClient(rdb.Tuning{})
		if err != nil {
			return nil, err
		}
		client, owns = c, true
	}
	if cfg.DataDir == "" {
		cfg.DataDir = "data"
	}
	st, err := store.Open(cfg.DataDir)
	if err != nil {
		if owns {
			client.Close()
		}
		return nil, err
	}
	// A state the disk refuses (full, read-only) is kept in Redis, so a
	// failure caused by the disk is still recorded and shown.
	st.KeepUnsaved(rdb.NewUnsavedStates(client), log.With("component", "store"))
	ttl := cfg.ResultTTL
	if ttl < rdb.DefaultTTL {
		ttl = rdb.DefaultTTL
	}
	return &Engine{
		store:     st,
		results:   rdb.NewRecords(client, ttl, log),
		rdb:       client,
		ownsRedis: owns,
		client:    asynq.NewClientFromRedisClient(client),
		inspector: asynq.NewInspectorFromRedisClient(client),
		pub:       progress.NewPublisher(client),
		limits:    cfg.Limits,
		retention: ttl,
		log:       log,
		now:       time.Now,
	}, nil
}

// Store returns the project store.
func (o *Engine) Store() *store.Store { return o.store }

// Records returns the task records.
func (o *Engine) Records() *rdb.Records { return o.results }

// Redis returns the Redis client.
func (o *Engine) Redis() redis.UniversalClient { return o.rdb }

// Inspector returns the asynq inspector.
func (o *Engine) Inspector() *asynq.Inspector { return o.inspector }

// Publisher returns the progress publisher.
func (o *Engine) Publisher() *progress.Publisher { return o.pub }

// Limits returns the task time limits.
func (o *Engine) Limits() taskspec.TimeLimits { return o.limits }

// Close releases the engine's resources; the Redis client only if Open
// dialled it.
func (o *Engine) Close() error {
	o.results.Close()
	o.inspector.Close()
	err := o.client.Close()
	if o.ownsRedis {
		err = errors.Join(err, o.rdb.Close())
	}
	return err
}

func busy(run *project.Run) *errcode.Error {
	return errcode.Newf(errcode.ProjectBusy, false, "project already has run %d (%s)", run.ID, run.State).
		WithDetail("handle_id", run.HandleID).WithDetail("run", run.ID).WithDetail("state", string(run.State))
}

// BusyRun returns the active run carried by a PROJECT_BUSY error.
func BusyRun(err error) (handleID string, ok bool) {
	e, isCoded := errcode.As(err)
	if !isCoded || e.Code != errcode.ProjectBusy {
		return "", false
	}
	h, _ := e.Details["handle_id"].(string)
	return h, h != ""
}

// StartOptions describe a new run.
type StartOptions struct {
	// Kind is "chain" (one handle for the whole run) or "task" (a single
	// stage, whose task ID is the handle).
	Kind string
	// Stages to run, in pipeline order. Empty means "from the first
	// unfinished stage to the end" (resume).
	Stages  []project.Stage
	BatchID int64
}

// Start creates a run on a project and enqueues its first stage. If the
// project already has an active run it returns a PROJECT_BUSY error whose
// details carry the active run's handle ID.
func (o *Engine) Start(ctx context.Context, projectID int64, opts StartOptions) (*project.Run, error) {
	if opts.Kind == "" {
		opts.Kind = "chain"
	}
	for i, s := range opts.Stages {
		if !s.Valid() {
			return nil, errcode.Newf(errcode.InvalidInput, false, "unknown stage %q", s)
		}
		if i > 0 && s.Index() <= opts.Stages[i-1].Index() {
			return nil, errcode.New(errcode.InvalidInput, "stages must be in pipeline order", false)
		}
	}
	if opts.Kind == "task" && len(opts.Stages) != 1 {
		return nil, errcode.New(errcode.InvalidInput, "a task run has exactly one stage", false)
	}
	var run *project.Run
	st, err := o.store.UpdateState(projectID, func(st *project.State) error {
		if r := st.ActiveRun(); r != nil {
			return busy(r)
		}
		stages := opts.Stages
		if len(stages) == 0 {
			first := st.FirstUnfinished()
			if first == "" {
				return errcode.New(CodeAlreadyCompleted, "project is already completed; start a chain with explicit stages to make it again", false)
			}
			stages = project.Stages[first.Index():]
		}
		now := o.now().UTC()
		st.RunSeq++
		run = &project.Run{ID: st.RunSeq, Kind: opts.Kind, Stages: stages, State: project.RunQueued,
			Current: stages[0], BatchID: opts.BatchID, CreatedAt: now}
		if opts.Kind == "task" {
			run.HandleID = taskspec.StageTaskID(projectID, run.ID, stages[0], 0)
		} else {
			run.HandleID = taskspec.ChainHandleID(projectID, run.ID)
		}
		run.Progress = 0
		for i, s := range stages {
			ss := st.Stages.Get(s)
			if ss.Status.Finished() {
				// Made again from scratch: forget its sub-step checkpoints.
				ss.Checkpoints = nil
			}
			ss.Run = run.ID
			ss.Attempts = 0
			ss.Error = nil
			ss.StartedAt, ss.FinishedAt = nil, nil
			ss.TaskID = ""
			ss.Result = nil
			if i == 0 {
				ss.Status = project.StageQueued
			} else {
				ss.Status = project.StagePending
			}
		}
		// Later stages outside the run were made from what this run
		// replaces: they must be made again.
		for _, s := range project.Stages[stages[0].Index()+1:] {
			if !run.Contains(s) {
				ss := st.Stages.Get(s)
				if ss.Status != project.StagePending {
					*ss = project.StageState{Status: project.StagePending}
				}
			}
		}
		st.Run = run
		st.Error = nil
		st.Status = st.SettledStatus()
		return nil
	})
	if err != nil {
		return nil, err
	}
	o.rdb.SAdd(ctx, rdb.ActiveProjects, projectID)
	if run.Kind == "chain" {
		if err := o.results.Create(ctx, rdb.Record{ID: run.HandleID, Type: "chain", Queue: taskspec.QueueVideo,
			ProjectID: projectID, Run: run.ID, BatchID: run.BatchID}); err != nil {
			return nil, o.abortStart(ctx, projectID, run, err)
		}
	}
	if err := o.enqueueStage(ctx, projectID, run, run.Current, o.inputFor(st, run.Current)); err != nil {
		return nil, o.abortStart(ctx, projectID, run, err)
	}
	o.publish(ctx, progress.Message{ProjectID: projectID, Run: run.ID, Stage: run.Current.ProgressName(),
		Progress: 0, Message: "Queued", Status: string(st.Status), TaskID: run.HandleID})
	return run, nil
}

// abortStart marks a run that could not be enqueued as failed, so the
// project is not left "queued" with nothing in the queue.
func (o *Engine) abortStart(ctx context.Context, projectID int64, run *project.Run, cause error) error {
	ce := errcode.Classify(cause).Clone()
	o.store.UpdateState(projectID, func(st *project.State) error {
		if st.Run == nil || st.Run.ID != run.ID {
			return nil
		}
		now := o.now().UTC()
		st.Run.State = project.RunFailed
		st.Run.Error = ce
		st.Run.FinishedAt = &now
		st.Stages.Get(run.Current).Status = project.StagePending
		st.Status = st.SettledStatus()
		return nil
	})
	o.rdb.SRem(ctx, rdb.ActiveProjects, projectID)
	return fmt.Errorf("enqueue %s for project %d: %w", run.Current, projectID, ce)
}

// inputFor returns the result of the stage before s (what s consumes).
func (o *Engine) inputFor(st *project.State, s project.Stage) json.RawMessage {
	i := s.Index()
	if i <= 0 {
		return nil
	}
	return st.Stages.Get(project.Stages[i-1]).Result
}

func (o *Engine) stageTaskOptions(id, task string) []asynq.Option {
	return []asynq.Option{
		asynq.TaskID(id),
		asynq.Queue(taskspec.QueueFor(task)),
		asynq.MaxRetry(taskspec.MaxRetries),
		asynq.Timeout(o.limits.For(task) + taskspec.TimeoutGrace),
		asynq.Retention(o.retention),
	}
}

// enqueueStage enqueues stage s of run. Enqueueing the same stage of the
// same run twice is a no-op (deterministic task IDs).
func (o *Engine) enqueueStage(ctx context.Context, projectID int64, run *project.Run, s project.Stage, input json.RawMessage) error {
	id := taskspec.StageTaskID(projectID, run.ID, s, run.Resumes)
	if err := o.results.Create(ctx, rdb.Record{ID: id, Type: s.TaskName(), Queue: taskspec.QueueVideo,
		ProjectID: projectID, Run: run.ID, BatchID: run.BatchID}); err != nil {
		return err
	}
	payload, _ := json.Marshal(taskspec.StagePayload{ProjectID: projectID, Run: run.ID, Input: input})
	_, err := o.client.EnqueueContext(ctx, asynq.NewTask(s.TaskName(), payload), o.stageTaskOptions(id, s.TaskName())...)
	if errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
		return nil
	}
	if err != nil {
		return errcode.Wrap(err, errcode.RedisUnavailable, true, "enqueue: "+err.Error())
	}
	return nil
}

// ProgressFloor is the progress a run has already announced: its latest
// published message (it never goes down), or what the state recorded.
func (o *Engine) ProgressFloor(ctx context.Context, projectID int64, run *project.Run) int {
	floor := run.Progress
	if m, err := progress.Snapshot(ctx, o.rdb, projectID); err == nil && m != nil && m.Run == run.ID && !m.Final {
		floor = max(floor, m.Progress)
	}
	return floor
}

// publish sends a progress message; failures are logged, not returned:
// progress must never fail a stage.
func (o *Engine) publish(ctx context.Context, m progress.Message) {
	if _, err := o.pub.Publish(ctx, m); err != nil {
		o.log.Warn("publish progress", "project", m.ProjectID, "err", err)
	}
}

// RunProgress converts a stage's own progress (0-100) into the run's
// progress: each stage of the run owns a share proportional to its weight.
func RunProgress(run *project.Run, s project.Stage, stagePct float64) int {
	total, base := 0, 0
	for _, v := range run.Stages {
		total += v.Weight()
	}
	for _, v := range run.Stages {
		if v == s {
			break
		}
		base += v.Weight()
	}
	if total == 0 {
		return 0
	}
	stagePct = max(0, min(stagePct, 100))
	p := (float64(base) + float64(s.Weight())*stagePct/100) * 100 / float64(total)
	return int(p)
}

// Action tells a stage handler what to do with a delivered task.
type Action int

// Actions.
const (
	ActRun       Action = iota // run the stage
	ActSkip                    // stale or superseded task: do nothing
	ActSettled                 // already done; side effects were re-applied
	ActPaused                  // the run paused before this stage started
	ActCancelled               // the run was cancelled before this stage started
)

// Begin is the outcome of BeginStage.
type Begin struct {
	Action Action
	State  *project.State
	Run    *project.Run
	Reason string
}

// BeginStage decides what a delivered stage task must do and, when it
// must run, marks the stage running (attempt = retry+1).
func (o *Engine) BeginStage(ctx context.Context, p taskspec.StagePayload, s project.Stage, taskID string, retry int) (*Begin, error) {
	b := &Begin{}
	st, err := o.store.UpdateState(p.ProjectID, func(st *project.State) error {
		run := st.Run
		ss := st.Stages.Get(s)
		switch {
		case run == nil || run.ID != p.Run:
			b.Action, b.Reason = ActSkip, "task belongs to an earlier run"
		case ss.Run == run.ID && ss.Status.Finished():
			b.Action, b.Reason = ActSettled, "stage already finished"
		case !run.State.Active():
			b.Action, b.Reason = ActSkip, "run is "+string(run.State)
		case run.State == project.RunPaused:
			b.Action, b.Reason = ActSkip, "run is paused"
		case run.Current != s:
			b.Action, b.Reason = ActSkip, "run is at stage "+string(run.Current)
		case run.CancelRequested:
			o.cancelRun(st)
			b.Action = ActCancelled
		case run.PauseRequested:
			o.pauseRun(st)
			b.Action = ActPaused
		default:
			now := o.now().UTC()
			if run.StartedAt == nil {
				run.StartedAt = &now
			}
			run.State = project.RunRunning
			ss.Status = project.StageRunning
			ss.Attempts = retry + 1
			ss.TaskID = taskID
			ss.Run = run.ID
			ss.StartedAt = &now
			ss.FinishedAt = nil
			ss.WaitUntil = nil
			ss.BeginAttempt(now, run.ID, retry+1, taskID)
			st.Status = s.RunningStatus()
			st.Error = nil
			b.Action = ActRun
			return nil
		}
		if b.Action == ActSkip || b.Action == ActSettled {
			return errNoWrite
		}
		return nil
	})
	if errors.Is(err, errNoWrite) {
		st, err = o.store.State(p.ProjectID)
	}
	if err != nil {
		return nil, err
	}
	b.State, b.Run = st, st.Run
	switch b.Action {
	case ActSettled, ActPaused, ActCancelled:
		o.settle(ctx, st)
	case ActRun:
		o.results.SetState(ctx, taskID, rdb.Running, retry)
		if b.Run.Kind == "chain" {
			o.results.SetState(ctx, b.Run.HandleID, rdb.Running, 0)
		}
	}
	return b, nil
}

// errNoWrite aborts an UpdateState without writing.
var errNoWrite = errors.New("no change")

func (o *Engine) pauseRun(st *project.State) {
	st.Run.State = project.RunPaused
	st.Run.PauseRequested = false
	st.Stages.Get(st.Run.Current).Status = project.StageQueued
	st.Status = project.Paused
}

func (o *Engine) cancelRun(st *project.State) {
	now := o.now().UTC()
	run := st.Run
	run.State = project.RunCancelled
	run.FinishedAt = &now
	run.Error = errcode.New(errcode.Cancelled, "cancelled by the user", false)
	for _, s := range run.Stages {
		ss := st.Stages.Get(s)
		switch ss.Status {
		case project.StageQueued, project.StageRunning, project.StageRetrying, project.StageWaiting:
			ss.Status = project.StageCancelled
			ss.FinishedAt = &now
			ss.EndAttempt(now, project.OutcomeCancelled, run.Error)
		}
	}
	st.Status = project.Cancelled
	st.Error = run.Error
}

// CompleteStage records a stage's result and moves the run on: to the next
// stage, to paused (if asked), or to its end.
func (o *Engine) CompleteStage(ctx context.Context, projectID int64, runID int, s project.Stage, result json.RawMessage, skipped bool) (*project.State, error) {
	review := false
	if s == project.StageScript {
		if p, err := o.store.Project(projectID); err == nil {
			review = p.Settings.ReviewScript
		}
	}
	st, err := o.store.UpdateState(projectID, func(st *project.State) error {
		run := st.Run
		if run == nil || run.ID != runID {
			return errcode.New(errcode.Conflict, "the run changed while the stage ran", false)
		}
		now := o.now().UTC()
		ss := st.Stages.Get(s)
		ss.Status = project.StageCompleted
		if skipped {
			ss.Status = project.StageSkipped
		}
		ss.Result = result
		ss.FinishedAt = &now
		ss.Error = nil
		ss.WaitUntil = nil
		ss.EndAttempt(now, ss.Status.Outcome(), nil)
		st.Status = s.DoneStatus()
		run.Progress = max(run.Progress, RunProgress(run, s, 100))
		next := run.Next(s)
		switch {
		case run.CancelRequested:
			o.cancelRun(st)
		case next == "":
			run.State = project.RunSucceeded
			run.FinishedAt = &now
			run.Result = result
			run.Progress = 100
		case run.PauseRequested:
			run.Current = next
			o.pauseRun(st)
		case review:
			// The user reads (and may edit) the script before anything
			// is spent on it; Approve continues the run.
			run.Current = next
			o.pauseRun(st)
			st.Status = project.ScriptReview
		default:
			run.Current = next
			st.Stages.Get(next).Status = project.StageQueued
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	o.settle(ctx, st)
	return st, nil
}

// CodeNotInReview refuses Approve of a project that waits for no review.
const CodeNotInReview = "NOT_IN_REVIEW"

// Approve continues the run of a project whose script waits for review
// (a freshly made script always does when the project asks for review).
func (o *Engine) Approve(ctx context.Context, projectID int64) (*project.Run, error) {
	st, err := o.store.State(projectID)
	if err != nil {
		return nil, err
	}
	if st.Status != project.ScriptReview {
		return nil, errcode.Newf(CodeNotInReview, false, "the project is %s, not waiting for a script review", st.Status)
	}
	return o.Resume(ctx, projectID)
}

// FailStage records a failed attempt. When final, the stage and the run
// fail; otherwise the stage waits for its retry.
func (o *Engine) FailStage(ctx context.Context, projectID int64, runID int, s project.Stage, ce *errcode.Error, final bool, retryIn time.Duration) (*project.State, error) {
	st, err := o.store.UpdateState(projectID, func(st *project.State) error {
		run := st.Run
		if run == nil || run.ID != runID {
			return errcode.New(errcode.Conflict, "the run changed while the stage ran", false)
		}
		ss := st.Stages.Get(s)
		ss.Error = ce
		now := o.now().UTC()
		ss.EndAttempt(now, project.OutcomeFailed, ce)
		if !final {
			ss.Status = project.StageRetrying
			return nil
		}
		ss.Status = project.StageFailed
		ss.FinishedAt = &now
		run.State = project.RunFailed
		run.Error = ce
		run.FinishedAt = &now
		st.Status = project.Failed
		st.Error = ce
		return nil
	})
	if err != nil {
		return nil, err
	}
	if final {
		o.settle(ctx, st)
	} else {
		msg := fmt.Sprintf("Attempt %d failed (%s); retrying in %s", ce.Attempt, ce.Code, retryIn.Round(time.Second))
		o.publish(ctx, progress.Message{ProjectID: projectID, Run: runID, Stage: s.ProgressName(),
			Progress: o.ProgressFloor(ctx, projectID, st.Run), Message: msg, Status: string(st.Status), Error: ce,
			TaskID: st.Stages.Get(s).TaskID})
		o.results.SetState(ctx, st.Stages.Get(s).TaskID, rdb.Retrying, ce.Attempt)
	}
	return st, nil
}

// WaitStage records that a stage will run again at until without a failed
// attempt (a quota wait), and says so in the progress stream.
func (o *Engine) WaitStage(ctx context.Context, projectID int64, runID int, s project.Stage, until time.Time, why *errcode.Error) error {
	st, err := o.store.UpdateState(projectID, func(st *project.State) error {
		if st.Run == nil || st.Run.ID != runID {
			return errNoWrite
		}
		ss := st.Stages.Get(s)
		ss.Status = project.StageWaiting
		u := until.UTC()
		ss.WaitUntil = &u
		ss.Error = why
		ss.EndAttempt(o.now().UTC(), project.OutcomeWaiting, why)
		return nil
	})
	if err != nil {
		if errors.Is(err, errNoWrite) {
			return nil
		}
		return err
	}
	msg := fmt.Sprintf("Waiting until %s: %s", until.UTC().Format(time.RFC3339), why.Message)
	o.publish(ctx, progress.Message{ProjectID: projectID, Run: runID, Stage: s.ProgressName(),
		Progress: o.ProgressFloor(ctx, projectID, st.Run), Message: msg, Status: string(st.Status), Error: why,
		TaskID: st.Stages.Get(s).TaskID})
	o.results.SetState(ctx, st.Stages.Get(s).TaskID, "waiting", st.Stages.Get(s).Attempts)
	return nil
}

// InterruptStage records that a running stage was stopped by a shutdown
// or a lost lease: its task is back in the queue and will run again.
func (o *Engine) InterruptStage(ctx context.Context, projectID int64, runID int, s project.Stage) {
	st, err := o.store.UpdateState(projectID, func(st *project.State) error {
		if st.Run == nil || st.Run.ID != runID || st.Stages.Get(s).Status != project.StageRunning {
			return errNoWrite
		}
		st.Stages.Get(s).Status = project.StageQueued
		st.Stages.Get(s).EndAttempt(o.now().UTC(), project.OutcomeInterrupted, nil)
		return nil
	})
	if err != nil {
		return
	}
	o.publish(ctx, progress.Message{ProjectID: projectID, Run: runID, Stage: s.ProgressName(),
		Progress: o.ProgressFloor(ctx, projectID, st.Run), Message: "Interrupted; the stage will run again", Status: string(st.Status)})
}

// CancelStage finishes a run whose running stage stopped because the user
// cancelled it.
func (o *Engine) CancelStage(ctx context.Context, projectID int64, runID int) (*project.State, error) {
	st, err := o.store.UpdateState(projectID, func(st *project.State) error {
		if st.Run == nil || st.Run.ID != runID || !st.Run.State.Active() {
			return errNoWrite
		}
		o.cancelRun(st)
		return nil
	})
	if errors.Is(err, errNoWrite) {
		st, err = o.store.State(projectID)
	}
	if err != nil {
		return nil, err
	}
	o.settle(ctx, st)
	return st, nil
}

// settle applies the side effects that follow from the written state. It
// is idempotent: enqueueing uses deterministic task IDs, finishing a
// record twice writes the same values, and the progress publisher drops a
// second final message of a run.
func (o *Engine) settle(ctx context.Context, st *project.State) {
	run := st.Run
	if run == nil {
		return
	}
	pid := st.ProjectID
	final := func(state string, e *errcode.Error, msg progress.Message) {
		o.results.Finish(ctx, run.HandleID, state, run.Result, e)
		o.publish(ctx, msg)
		o.rdb.SRem(ctx, rdb.ActiveProjects, pid)
		if run.BatchID != 0 {
			if err := o.TickBatchLater(ctx, run.BatchID); err != nil {
				o.log.Warn("schedule batch tick", "batch", run.BatchID, "err", err)
			}
		}
	}
	switch run.State {
	case project.RunSucceeded:
		final(rdb.Succeeded, nil, progress.Message{ProjectID: pid, Run: run.ID, Stage: progress.StageCompleted,
			Progress: 100, Final: true, Message: "Completed", Status: string(st.Status), TaskID: run.HandleID})
	case project.RunFailed:
		final(rdb.Failed, run.Error, progress.Message{ProjectID: pid, Run: run.ID, Stage: progress.StageError,
			Progress: o.ProgressFloor(ctx, pid, run), Final: true, Message: errMessage(run.Error), Status: string(st.Status),
			Error: run.Error, TaskID: run.HandleID})
	case project.RunCancelled:
		final(rdb.Cancelled, run.Error, progress.Message{ProjectID: pid, Run: run.ID, Stage: progress.StageError,
			Progress: o.ProgressFloor(ctx, pid, run), Final: true, Message: "Cancelled", Status: string(st.Status),
			Error: run.Error, TaskID: run.HandleID})
		// Remove the current stage's task if it still waits in the queue.
		id := taskspec.StageTaskID(pid, run.ID, run.Current, run.Resumes)
		if err := o.inspector.DeleteTask(taskspec.QueueVideo, id); err == nil {
			o.results.Finish(ctx, id, rdb.Cancelled, nil, run.Error)
		}
	case project.RunPaused:
		if run.Kind == "chain" {
			o.results.SetState(ctx, run.HandleID, rdb.Paused, 0)
		}
		msg := "Paused"
		if st.Status == project.ScriptReview {
			msg = "Waiting for you to review and approve the script"
		}
		o.publish(ctx, progress.Message{ProjectID: pid, Run: run.ID, Stage: run.Current.ProgressName(),
			Progress: o.ProgressFloor(ctx, pid, run), Message: msg, Status: string(st.Status), TaskID: run.HandleID})
	case project.RunQueued, project.RunRunning:
		if st.Stages.Get(run.Current).Status == project.StageQueued {
			if err := o.enqueueStage(ctx, pid, run, run.Current, o.inputFor(st, run.Current)); err != nil {
				o.log.Warn("enqueue next stage", "project", pid, "stage", run.Current, "err", err)
				return
			}
			if run.State == project.RunRunning {
				o.publish(ctx, progress.Message{ProjectID: pid, Run: run.ID, Stage: run.Current.ProgressName(),
					Progress: run.Progress, Message: "Queued", Status: string(st.Status), TaskID: run.HandleID})
			}
		}
	}
}

func errMessage(e *errcode.Error) string {
	if e == nil {
		return "Failed"
	}
	return e.Error()
}

// Pause asks the project's run to stop after its current stage. A run
// whose next stage has not started yet pauses at once.
func (o *Engine) Pause(ctx context.Context, projectID int64) (*project.State, error) {
	st, err := o.store.UpdateState(projectID, func(st *project.State) error {
		run := st.ActiveRun()
		if run == nil {
			return errcode.New(CodeNotRunning, "project has no active run to pause", false)
		}
		if run.State == project.RunPaused {
			return errNoWrite
		}
		run.PauseRequested = true
		return nil
	})
	if errors.Is(err, errNoWrite) {
		return o.store.State(projectID)
	}
	if err != nil {
		return nil, err
	}
	run := st.Run
	if st.Stages.Get(run.Current).Status != project.StageQueued {
		return st, nil
	}
	// The current stage waits in the queue: take it out and pause now.
	id := taskspec.StageTaskID(projectID, run.ID, run.Current, run.Resumes)
	if err := o.inspector.DeleteTask(taskspec.QueueVideo, id); err != nil {
		return st, nil // already picked up (or being): the handler pauses it
	}
	o.results.Finish(ctx, id, rdb.Cancelled, nil, errcode.New("PAUSED", "removed from the queue by a pause", false))
	st, err = o.store.UpdateState(projectID, func(st *project.State) error {
		if st.Run == nil || st.Run.ID != run.ID || !st.Run.State.Active() || st.Run.State == project.RunPaused {
			return errNoWrite
		}
		o.pauseRun(st)
		return nil
	})
	if errors.Is(err, errNoWrite) {
		return o.store.State(projectID)
	}
	if err != nil {
		return nil, err
	}
	o.settle(ctx, st)
	return st, nil
}

// Resume continues a paused run from its current stage. A project whose
// last run failed or was cancelled (or was interrupted) gets a new chain
// run from its first unfinished stage; finished work is reused.
func (o *Engine) Resume(ctx context.Context, projectID int64) (*project.Run, error) {
	var resumed bool
	st, err := o.store.UpdateState(projectID, func(st *project.State) error {
		run := st.Run
		if run == nil || run.State != project.RunPaused {
			return errNoWrite
		}
		run.State = project.RunQueued
		run.Resumes++
		run.PauseRequested = false
		st.Stages.Get(run.Current).Status = project.StageQueued
		st.Status = st.SettledStatus()
		resumed = true
		return nil
	})
	if errors.Is(err, errNoWrite) {
		// A pause asked for but not reached yet is withdrawn instead.
		if st, withdrawn, werr := o.WithdrawPause(ctx, projectID); werr == nil && withdrawn {
			return st.Run, nil
		}
		return o.Start(ctx, projectID, StartOptions{Kind: "chain"})
	}
	if err != nil {
		return nil, err
	}
	if resumed {
		if st.Run.Kind == "chain" {
			o.results.SetState(ctx, st.Run.HandleID, rdb.Pending, 0)
		}
		o.publish(ctx, progress.Message{ProjectID: projectID, Run: st.Run.ID, Stage: st.Run.Current.ProgressName(),
			Progress: o.ProgressFloor(ctx, projectID, st.Run), Message: "Resumed", Status: string(st.Status), TaskID: st.Run.HandleID})
		o.settle(ctx, st)
	}
	return st.Run, nil
}

// Cancel stops the project's run. A running stage is told to stop (its
// child processes are killed) and is never retried.
func (o *Engine) Cancel(ctx context.Context, projectID int64) (*project.State, error) {
	var signal bool
	st, err := o.store.UpdateState(projectID, func(st *project.State) error {
		run := st.ActiveRun()
		if run == nil {
			return errcode.New(CodeNotRunning, "project has no active run to cancel", false)
		}
		run.CancelRequested = true
		held, err := rdb.LockHeld(ctx, o.rdb, rdb.LockKey(projectID))
		if run.State == project.RunRunning && err == nil && held {
			signal = true // a worker runs the stage: it finishes the cancel
			return nil
		}
		o.cancelRun(st)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if signal {
		if err := rdb.RequestCancel(ctx, o.rdb, projectID, st.Run.ID); err != nil {
			return nil, errcode.Wrap(err, errcode.RedisUnavailable, true, err.Error())
		}
		return st, nil
	}
	o.settle(ctx, st)
	return st, nil
}

// Reconcile repairs a project after a crash or a Redis data loss: a run
// whose current task is gone from the queue is enqueued again, a finished
// stage whose successor was never enqueued is moved on, and a task that
// asynq archived without the handler recording it fails the run.
func (o *Engine) Reconcile(ctx context.Context, projectID int64) error {
	st, err := o.store.State(projectID)
	if err != nil {
		if store.IsNotFound(err) {
			o.rdb.SRem(ctx, rdb.ActiveProjects, projectID)
			return nil
		}
		return err
	}
	run := st.ActiveRun()
	if run == nil {
		o.rdb.SRem(ctx, rdb.ActiveProjects, projectID)
		if st.Run != nil {
			o.settle(ctx, st) // make sure the handle is finished
		}
		return nil
	}
	o.rdb.SAdd(ctx, rdb.ActiveProjects, projectID)
	if run.State == project.RunPaused {
		return nil
	}
	id := taskspec.StageTaskID(projectID, run.ID, run.Current, run.Resumes)
	info, err := o.inspector.GetTaskInfo(taskspec.QueueVideo, id)
	switch {
	case errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound):
		ss := st.Stages.Get(run.Current)
		if ss.Status.Finished() {
			o.settle(ctx, st)
			return nil
		}
		o.log.Info("re-enqueueing interrupted project", "project", projectID, "run", run.ID, "stage", run.Current)
		st, err = o.store.UpdateState(projectID, func(st *project.State) error {
			if st.Run == nil || st.Run.ID != run.ID || !st.Run.State.Active() {
				return errNoWrite
			}
			st.Stages.Get(st.Run.Current).Status = project.StageQueued
			return nil
		})
		if err != nil {
			if errors.Is(err, errNoWrite) {
				return nil
			}
			return err
		}
		o.settle(ctx, st)
		return nil
	case err != nil:
		return err
	}
	switch info.State {
	case asynq.TaskStateCompleted:
		o.settle(ctx, st)
	case asynq.TaskStateArchived:
		if st.Stages.Get(run.Current).Status.Finished() {
			o.settle(ctx, st)
			return nil
		}
		msg := "the worker running this stage was lost"
		if info.LastErr != "" {
			msg += ": " + info.LastErr
		}
		ce := errcode.New(errcode.WorkerLost, msg, true).WithStage(string(run.Current))
		// A worker that recorded the failure in the task record but not in
		// the state file (the disk refused it) did not get lost: tell
		// what it said.
		if rec, rerr := o.results.Get(ctx, id); rerr == nil && rec.State == rdb.Failed && rec.Error != nil {
			ce = rec.Error.Clone().WithStage(string(run.Current))
		}
		_, err := o.FailStage(ctx, projectID, run.ID, run.Current, ce, true, 0)
		return err
	}
	return nil
}

// SettleFinishedSince settles again every run that finished at or after
// since: after a Redis failover the new master may lack what settling
// wrote (the final progress snapshot, the handle's record), or settling
// failed while no master answered. Settling is idempotent.
func (o *Engine) SettleFinishedSince(ctx context.Context, since time.Time) error {
	ids, err := o.store.ProjectIDs()
	if err != nil {
		return err
	}
	for _, id := range ids {
		st, err := o.store.State(id)
		if err != nil || st.Run == nil || st.Run.State.Active() || st.Run.FinishedAt == nil || st.Run.FinishedAt.Before(since) {
			continue
		}
		o.settle(ctx, st)
	}
	return nil
}

// ReconcileAll reconciles every project with an active run. full also
// scans every project folder (at start-up), not only the active set.
func (o *Engine) ReconcileAll(ctx context.Context, full bool) error {
	// States the disk refused go back to their files once it takes them.
	if left, err := o.store.Flush(ctx); err != nil {
		o.log.Warn("write back kept project states", "err", err)
	} else if left > 0 {
		o.log.Warn("project states still kept in Redis: the data directory refuses writes", "projects", left)
	}
	var ids []int64
	if full {
		all, err := o.store.ProjectIDs()
		if err != nil {
			return err
		}
		for _, id := range all {
			if st, err := o.store.State(id); err == nil && st.ActiveRun() != nil {
				ids = append(ids, id)
			}
		}
	} else {
		members, err := o.rdb.SMembers(ctx, rdb.ActiveProjects).Result()
		if err != nil {
			return err
		}
		for _, m := range members {
			if id, err := strconv.ParseInt(m, 10, 64); err == nil {
				ids = append(ids, id)
			}
		}
	}
	var firstErr error
	for _, id := range ids {
		if err := o.Reconcile(ctx, id); err != nil {
			o.log.Warn("reconcile project", "project", id, "err", err)
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	return firstErr
}
