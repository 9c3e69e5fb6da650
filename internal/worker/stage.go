package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/rdb"
	"github.com/ytmaker/ytmaker/internal/run"
	"github.com/ytmaker/ytmaker/internal/stage"
	"github.com/ytmaker/ytmaker/internal/taskspec"
	"github.com/ytmaker/ytmaker/progress"
)

// progressEvery bounds progress messages to a few per second per project.
const progressEvery = 250 * time.Millisecond

// handleStage runs one of the five video tasks.
func (w *Worker) handleStage(ctx context.Context, t *asynq.Task) error {
	stg, _ := project.StageForTask(t.Type())
	var p taskspec.StagePayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.ProjectID <= 0 {
		return fmt.Errorf("%w: bad payload for %s: %s", asynq.SkipRetry, t.Type(), t.Payload())
	}
	taskID, _ := asynq.GetTaskID(ctx)
	// asynq's retry ceiling for stage tasks is far above the budget (see
	// taskspec.QueueMaxRetry): the budget is kept here, so that a wait
	// never counts against it or gets archived on the last attempt.
	retry, _ := asynq.GetRetryCount(ctx)
	maxRetry := taskspec.MaxRetries
	log := w.log.With("task", taskID, "project", p.ProjectID, "stage", stg, "attempt", retry+1)

	// One stage at a time per project, across all workers. Register for
	// cancellation before looking at the state, so a cancel published
	// while this worker holds the lock always reaches it.
	sctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// Name the lock in the task's holder record first: if this worker
	// dies holding it, another frees it at once.
	// The token names this delivery: it is also the fencing token every
	// state write of the attempt carries (a frozen worker whose stage was
	// taken over cannot write over the new holder's).
	lockKey, lockToken := rdb.LockKey(p.ProjectID), taskID+"@"+w.instance+"#"+uuid.NewString()[:8]
	q, _ := asynq.GetQueueName(ctx)
	if err := rdb.Hold(ctx, w.rdb, taskID, rdb.Holding{Instance: w.instance, Queue: q, LockKey: lockKey, LockToken: lockToken}); err != nil {
		return errcode.Wrap(err, errcode.RedisUnavailable, true, "record task holder: "+err.Error())
	}
	var stale atomic.Bool // set once the lock is lost: progress stops at once
	lock, ok, err := rdb.AcquireLock(ctx, w.rdb, lockKey, lockToken, func() { stale.Store(true); cancel(errLockLost) })
	if err != nil {
		return errcode.Wrap(err, errcode.RedisUnavailable, true, "lock project: "+err.Error())
	}
	if !ok {
		log.Debug("project busy; retrying shortly")
		return errBusy
	}
	defer lock.Release()
	w.cancels.add(p.ProjectID, p.Run, cancel)
	defer w.cancels.remove(p.ProjectID)

	begin, err := w.orch.BeginStage(ctx, p, stg, taskID, lockToken, retry)
	if err != nil {
		if errcode.Code(err) == errcode.NotFound {
			w.finishRecord(ctx, log, taskID, rdb.Failed, nil, errcode.Classify(err))
			return fmt.Errorf("%w: %w", asynq.SkipRetry, err)
		}
		return err
	}
	switch begin.Action {
	case run.ActSkip:
		log.Info("skipping stage task", "reason", begin.Reason)
		return nil
	case run.ActSettled:
		log.Info("stage already finished; moved the run on")
		return nil
	case run.ActPaused:
		log.Info("run paused before the stage started")
		w.finishRecord(ctx, log, taskID, rdb.Cancelled, nil, errcode.New("PAUSED", "the run was paused before this stage started", false))
		return nil
	case run.ActCancelled:
		log.Info("run cancelled before the stage started")
		w.finishRecord(ctx, log, taskID, rdb.Cancelled, nil, errcode.New(errcode.Cancelled, "cancelled by the user", false))
		return fmt.Errorf("%w: cancelled", asynq.RevokeTask)
	}

	bg := context.WithoutCancel(ctx)
	if retry > maxRetry {
		// Failures stop at the budget (below), so only attempts lost with
		// their worker (asynq counts an expired lease) get here: a stage
		// that keeps taking its worker down is not run again.
		ce := errcode.Newf(errcode.WorkerLost, false, "%s was interrupted %d times: its worker was lost each time", stg, retry)
		ce.Stage, ce.Attempt, ce.MaxRetries = string(stg), retry+1, maxRetry
		if _, ferr := w.orch.FailStage(bg, p.ProjectID, p.Run, stg, lockToken, ce, true, 0); ferr != nil {
			return w.reportFailed(log, ferr)
		}
		w.finishRecord(bg, log, taskID, rdb.Failed, nil, ce)
		log.Error("stage failed", "code", ce.Code, "err", ce.Message)
		return fmt.Errorf("%w: %w", asynq.SkipRetry, ce)
	}

	impl := w.cfg.Stages[stg]
	job := &stageJob{w: w, p: p, stage: stg, run: begin.Run, attempt: retry + 1, taskID: taskID, holder: lockToken,
		stale: &stale, log: log, floor: w.orch.ProgressFloor(ctx, p.ProjectID, begin.Run)}
	job.throttle = w.orch.Publisher().Throttle(progressEvery, func(err error) { log.Debug("progress", "err", err) })
	defer job.throttle.Close()
	job.send(0, "Starting", nil, true)

	limit := w.orch.Limits().For(t.Type())
	tctx, tcancel := context.WithTimeoutCause(sctx, limit, errTimeLimit)
	defer tcancel()
	start := time.Now()
	var value any
	if impl == nil {
		err = errcode.Newf(errcode.Internal, false, "no implementation registered for stage %s", stg)
	} else {
		value, err = runSafely(tctx, impl, job)
	}
	if h := w.cfg.Hooks.StageDone; h != nil {
		h(string(stg), time.Since(start), err)
	}
	if err == nil {
		// The stage's last word ("Script ready") goes out before the run moves on.
		job.throttle.Flush(context.WithoutCancel(ctx))
	}
	cause := context.Cause(tctx)

	// The user cancelled: finish the run as cancelled, never retry.
	if errors.Is(cause, errCancelled) {
		log.Info("stage cancelled")
		if _, cerr := w.orch.CancelStage(bg, p.ProjectID, p.Run, stg, lockToken); errors.Is(cerr, run.ErrStale) {
			return w.reportFailed(log, cerr)
		}
		w.finishRecord(bg, log, taskID, rdb.Cancelled, nil, errcode.New(errcode.Cancelled, "cancelled by the user", false))
		return fmt.Errorf("%w: cancelled by the user", asynq.RevokeTask)
	}
	if err == nil {
		raw, merr := json.Marshal(value)
		if merr != nil {
			err = errcode.Wrap(merr, errcode.Internal, false, "stage result is not JSON: "+merr.Error())
		} else {
			skipped := false
			if s, ok := value.(stage.Skipper); ok {
				skipped = s.StageSkipped()
			}
			if _, cerr := w.orch.CompleteStage(bg, p.ProjectID, p.Run, stg, lockToken, raw, skipped); cerr != nil {
				return w.reportFailed(log, cerr)
			}
			if rw := t.ResultWriter(); rw != nil {
				rw.Write(raw)
			}
			w.finishRecord(bg, log, taskID, rdb.Succeeded, raw, nil)
			log.Info("stage finished", "duration", time.Since(start).Round(time.Millisecond), "skipped", skipped)
			return nil
		}
	}

	// Shutdown or a lost lease: asynq puts the task back; record that.
	if ctx.Err() != nil && !errors.Is(cause, errTimeLimit) || errors.Is(cause, errLockLost) {
		if ierr := w.orch.InterruptStage(bg, p.ProjectID, p.Run, stg, lockToken); errors.Is(ierr, run.ErrStale) {
			return w.reportFailed(log, ierr)
		} else if ierr != nil {
			log.Warn("record interruption", "err", ierr)
		}
		log.Warn("stage interrupted", "err", err)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return errcode.Wrap(err, errcode.Internal, true, "project lock lost")
	}

	// A quota wait: run again later without using up an attempt.
	var sn *stage.SnoozeError
	if errors.As(err, &sn) {
		why := sn.Err
		if why == nil {
			why = errcode.New("WAITING", "waiting", true)
		}
		why = why.Clone().WithStage(string(stg))
		if werr := w.orch.WaitStage(bg, p.ProjectID, p.Run, stg, lockToken, sn.Until, why); errors.Is(werr, run.ErrStale) {
			return w.reportFailed(log, werr)
		} else if werr != nil {
			log.Warn("record wait", "err", werr)
		}
		log.Info("stage waits", "until", sn.Until, "reason", why.Message)
		return &snoozed{until: sn.Until, why: why}
	}

	var ce *errcode.Error
	if errors.Is(cause, errTimeLimit) {
		ce = errcode.Newf(errcode.TimeLimitExceeded, true, "%s ran longer than its limit of %s", stg, limit)
	} else {
		ce = errcode.Classify(err).Clone()
	}
	ce.Stage = string(stg)
	ce.Attempt = retry + 1
	ce.MaxRetries = maxRetry
	final := !ce.Retryable || retry >= maxRetry
	retryIn := w.cfg.RetryDelays.Delay(retry, ce)
	if _, ferr := w.orch.FailStage(bg, p.ProjectID, p.Run, stg, lockToken, ce, final, retryIn); errors.Is(ferr, run.ErrStale) {
		return w.reportFailed(log, ferr)
	} else if ferr != nil {
		log.Warn("record stage failure", "err", ferr)
	}
	if final {
		log.Error("stage failed", "code", ce.Code, "err", ce.Message)
		w.finishRecord(bg, log, taskID, rdb.Failed, nil, ce)
		return fmt.Errorf("%w: %w", asynq.SkipRetry, ce)
	}
	log.Warn("stage attempt failed; will retry", "code", ce.Code, "err", ce.Message, "retry_in", retryIn)
	return ce
}

// runSafely runs a stage, turning a panic into an error.
func runSafely(ctx context.Context, s stage.Stage, job stage.Job) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errcode.Newf(errcode.Internal, false, "stage panicked: %v", r)
		}
	}()
	return s.Run(ctx, job)
}

// stageJob implements stage.Job for one stage attempt.
type stageJob struct {
	w        *Worker
	p        taskspec.StagePayload
	stage    project.Stage
	run      *project.Run
	attempt  int
	taskID   string
	holder   string       // the fencing token of this delivery
	stale    *atomic.Bool // another delivery took the stage over
	log      *slog.Logger
	throttle *progress.Throttle

	mu    sync.Mutex
	floor int
}

func (j *stageJob) ProjectID() int64                 { return j.p.ProjectID }
func (j *stageJob) Dir() string                      { return j.w.orch.Store().ProjectDir(j.p.ProjectID) }
func (j *stageJob) Input() json.RawMessage           { return j.p.Input }
func (j *stageJob) Attempt() int                     { return j.attempt }
func (j *stageJob) Logger() *slog.Logger             { return j.log }
func (j *stageJob) Progress(pct float64, msg string) { j.send(pct, msg, nil, false) }

func (j *stageJob) ProgressETA(pct float64, eta time.Duration, msg string) {
	j.send(pct, msg, &eta, false)
}

func (j *stageJob) send(pct float64, msg string, eta *time.Duration, urgent bool) {
	if j.stale.Load() {
		return // the stage is someone else's now: say nothing in its name
	}
	j.mu.Lock()
	overall := max(j.floor, run.Progress(j.run, j.stage, pct))
	if overall >= 100 {
		overall = 99 // 100 is said once, when the run ends
	}
	j.floor = overall
	j.mu.Unlock()
	sp := int(max(0, min(pct, 100)))
	m := progress.Message{ProjectID: j.p.ProjectID, Run: j.run.ID, Stage: j.stage.ProgressName(), Progress: overall,
		Message: msg, Status: string(j.stage.RunningStatus()), StageProgress: &sp, TaskID: j.taskID}
	if eta != nil {
		s := int(eta.Round(time.Second) / time.Second)
		m.ETASeconds = &s
	}
	j.throttle.Send(context.Background(), m, urgent)
}

func (j *stageJob) Checkpoint(key string, v any) (bool, error) {
	st, err := j.w.orch.Store().State(j.p.ProjectID)
	if err != nil {
		return false, err
	}
	raw, ok := st.Stages.Get(j.stage).Checkpoints[key]
	if !ok {
		return false, nil
	}
	return true, json.Unmarshal(raw, v)
}

func (j *stageJob) SaveCheckpoint(key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", key, err)
	}
	_, err = j.w.orch.Store().UpdateState(j.p.ProjectID, func(st *project.State) error {
		ss := st.Stages.Get(j.stage)
		if ss.Holder != j.holder {
			return run.ErrStale
		}
		if ss.Checkpoints == nil {
			ss.Checkpoints = map[string]json.RawMessage{}
		}
		ss.Checkpoints[key] = raw
		return nil
	})
	return err
}

// handleBatch runs one tick of batch_processing_task.
func (w *Worker) handleBatch(ctx context.Context, t *asynq.Task) error {
	var p taskspec.BatchPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.BatchID <= 0 {
		return fmt.Errorf("%w: bad payload for %s", asynq.SkipRetry, t.Type())
	}
	if p.Run == 0 {
		// Enqueued by hand: start (or join) a run.
		run, err := w.orch.StartBatch(ctx, p.BatchID)
		if err != nil {
			return w.finishSimple(ctx, t, nil, err)
		}
		p.Run = run.ID
	}
	done, err := w.orch.Tick(ctx, p.BatchID, p.Run)
	if err != nil {
		if errcode.Code(err) == errcode.NotFound {
			return fmt.Errorf("%w: %w", asynq.SkipRetry, err)
		}
		return err
	}
	w.log.Debug("batch tick", "batch", p.BatchID, "run", p.Run, "done", done)
	return nil
}

// handleSyncQuotas runs the hourly quota sync.
func (w *Worker) handleSyncQuotas(ctx context.Context, t *asynq.Task) error {
	var v any = map[string]any{"synced": false, "reason": "no quota sync configured"}
	var err error
	if w.cfg.SyncQuotas != nil {
		v, err = w.cfg.SyncQuotas(ctx)
	}
	var raw []byte
	if err == nil {
		raw, err = json.Marshal(v)
	}
	return w.finishSimple(ctx, t, raw, err)
}

// handleDebug is the seed's debug_task: it logs the request.
func (w *Worker) handleDebug(ctx context.Context, t *asynq.Task) error {
	id, _ := asynq.GetTaskID(ctx)
	q, _ := asynq.GetQueueName(ctx)
	retry, _ := asynq.GetRetryCount(ctx)
	started := time.Now()
	if w.log.Enabled(ctx, slog.LevelInfo) {
		w.log.Info(fmt.Sprintf("Request: id=%s queue=%s task=%s retries=%d payload=%s", id, q, t.Type(), retry, t.Payload()))
	}
	var payload any = string(t.Payload())
	if json.Valid(t.Payload()) {
		payload = json.RawMessage(t.Payload())
	}
	raw, _ := json.Marshal(map[string]any{"id": id, "queue": q, "task": t.Type(), "payload": payload, "worker": w.instance,
		"started_at_ns": started.UnixNano()})
	return w.finishSimple(ctx, t, raw, nil)
}

// snoozed is returned to asynq for a stage that waits: retried at until,
// not counted as a failure.
type snoozed struct {
	until time.Time
	why   *errcode.Error
}

func (s *snoozed) Error() string {
	return "waiting until " + s.until.UTC().Format(time.RFC3339) + ": " + s.why.Message
}

// errStale is returned to asynq by a delivery whose stage another delivery
// took over: it wrote nothing and stops. It is not a failure, and its
// retry finds the stage held or finished and does nothing.
var errStale = errors.New("stage taken over by a newer delivery")

// reportFailed returns a stage report's error to asynq: silently for a
// stale delivery, otherwise as a retryable failure.
func (w *Worker) reportFailed(log *slog.Logger, err error) error {
	if errors.Is(err, run.ErrStale) {
		log.Info("another delivery took this stage over; stopping without a write")
		return errStale
	}
	return err
}

// finishRecord finishes the record of a stage task. A failure is logged:
// the run's handle, which callers wait on, is finished by the engine
// (and by the reconcile when that fails), not by this record.
func (w *Worker) finishRecord(ctx context.Context, log *slog.Logger, id, state string, result json.RawMessage, e *errcode.Error) {
	if err := w.orch.Records().Finish(ctx, id, state, result, e); err != nil {
		log.Warn("finish task record", "state", state, "err", err)
	}
}
