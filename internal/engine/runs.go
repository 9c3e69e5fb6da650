package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/rdb"
	"github.com/ytmaker/ytmaker/internal/run"
	"github.com/ytmaker/ytmaker/internal/taskspec"
)

// Start creates a run on a project and enqueues its first stage. If the
// project already has an active run it returns a PROJECT_BUSY error whose
// details carry the active run's handle ID.
func (o *Engine) Start(ctx context.Context, projectID int64, opts StartOptions) (*project.Run, error) {
	var r *project.Run
	_, effects, err := o.apply(projectID, func(st *project.State) ([]run.Effect, error) {
		var effects []run.Effect
		var err error
		r, effects, err = run.Start(st, opts, o.now())
		return effects, err
	})
	if err != nil {
		return nil, err
	}
	if err := o.perform(ctx, effects); err != nil {
		return nil, o.abortStart(ctx, projectID, r, err)
	}
	return r, nil
}

// abortStart marks a run that could not be enqueued as failed, so the
// project is not left "queued" with nothing in the queue.
func (o *Engine) abortStart(ctx context.Context, projectID int64, r *project.Run, cause error) error {
	ce := errcode.Classify(cause).Clone()
	_, effects, err := o.apply(projectID, func(st *project.State) ([]run.Effect, error) {
		return run.AbortStart(st, r.ID, ce, o.now())
	})
	if err != nil {
		// The run stays queued in its file with nothing in the queue.
		// If it made it into the active set the periodic reconcile
		// enqueues it; if not (Redis was down), the full reconcile that
		// follows Redis's return does.
		o.log.Warn("record the failed start", "project", projectID, "run", r.ID, "err", err)
		return fmt.Errorf("enqueue %s for project %d: %w (and recording that failed: %v)", r.Current, projectID, ce, err)
	}
	if err := o.perform(ctx, effects); err != nil {
		o.log.Warn("settle the failed start", "project", projectID, "run", r.ID, "err", err)
	}
	return fmt.Errorf("enqueue %s for project %d: %w", r.Current, projectID, ce)
}

// Action tells a stage handler what to do with a delivered task.
type Action = run.Action

// Begin is the outcome of BeginStage.
type Begin struct {
	Action Action
	State  *project.State
	Run    *project.Run
	Reason string
}

// BeginStage decides what a delivered stage task must do and, when it
// must run, marks the stage running (attempt = retry+1).
//
// holder is the delivery's fencing token (see run.Begin): the stage's
// later reports must carry it.
func (o *Engine) BeginStage(ctx context.Context, p taskspec.StagePayload, s project.Stage, taskID, holder string, retry int) (*Begin, error) {
	b := &Begin{}
	st, effects, err := o.apply(p.ProjectID, func(st *project.State) ([]run.Effect, error) {
		var effects []run.Effect
		var err error
		b.Action, b.Reason, effects, err = run.Begin(st, p.Run, s, taskID, holder, retry, o.now())
		return effects, err
	})
	if err != nil {
		return nil, err
	}
	b.State, b.Run = st, st.Run
	if err := o.perform(ctx, effects); err != nil {
		o.log.Warn("begin stage", "project", p.ProjectID, "stage", s, "err", err)
	}
	return b, nil
}

// CompleteStage records a stage's result and moves the run on: to the next
// stage, to paused (if asked), or to its end. holder fences the report
// (run.ErrStale when another delivery took the stage over; "" for none).
func (o *Engine) CompleteStage(ctx context.Context, projectID int64, runID int, s project.Stage, holder string, result json.RawMessage, skipped bool) (*project.State, error) {
	review := false
	if s == project.StageScript {
		if p, err := o.store.Project(projectID); err == nil {
			review = p.Settings.ReviewScript
		}
	}
	return o.stageEvent(ctx, projectID, func(st *project.State) ([]run.Effect, error) {
		return run.Complete(st, runID, s, holder, result, skipped, review, o.now())
	})
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
func (o *Engine) FailStage(ctx context.Context, projectID int64, runID int, s project.Stage, holder string, ce *errcode.Error, final bool, retryIn time.Duration) (*project.State, error) {
	return o.stageEvent(ctx, projectID, func(st *project.State) ([]run.Effect, error) {
		return run.Fail(st, runID, s, holder, ce, final, retryIn, o.now())
	})
}

// WaitStage records that a stage will run again at until without a failed
// attempt (a quota wait), and says so in the progress stream.
func (o *Engine) WaitStage(ctx context.Context, projectID int64, runID int, s project.Stage, holder string, until time.Time, why *errcode.Error) error {
	_, err := o.stageEvent(ctx, projectID, func(st *project.State) ([]run.Effect, error) {
		return run.Wait(st, runID, s, holder, until, why, o.now())
	})
	return err
}

// InterruptStage records that a running stage was stopped by a shutdown
// or a lost lease: its task is back in the queue and will run again.
func (o *Engine) InterruptStage(ctx context.Context, projectID int64, runID int, s project.Stage, holder string) error {
	_, err := o.stageEvent(ctx, projectID, func(st *project.State) ([]run.Effect, error) {
		return run.Interrupt(st, runID, s, holder, o.now())
	})
	return err
}

// CancelStage finishes a run whose running stage stopped because the user
// cancelled it.
func (o *Engine) CancelStage(ctx context.Context, projectID int64, runID int, s project.Stage, holder string) (*project.State, error) {
	return o.stageEvent(ctx, projectID, func(st *project.State) ([]run.Effect, error) {
		return run.Stopped(st, runID, s, holder, o.now())
	})
}

// stageEvent applies an event reported by a stage and carries out its
// effects.
func (o *Engine) stageEvent(ctx context.Context, projectID int64, event func(st *project.State) ([]run.Effect, error)) (*project.State, error) {
	st, effects, err := o.apply(projectID, event)
	if err != nil {
		return nil, err
	}
	if err := o.perform(ctx, effects); err != nil {
		o.log.Warn("carry out run effects", "project", projectID, "err", err)
	}
	return st, nil
}

// Pause asks the project's run to stop after its current stage. A run
// whose next stage has not started yet pauses at once.
func (o *Engine) Pause(ctx context.Context, projectID int64) (*project.State, error) {
	var queued string
	st, _, err := o.apply(projectID, func(st *project.State) ([]run.Effect, error) {
		var err error
		queued, err = run.RequestPause(st)
		return nil, err
	})
	if err != nil || queued == "" {
		return st, err
	}
	// The current stage waits in the queue: take it out and pause now.
	if err := o.inspector.DeleteTask(taskspec.QueueVideo, queued); err != nil {
		return st, nil // already picked up (or being): the handler pauses it
	}
	if err := o.results.Finish(ctx, queued, rdb.Cancelled, nil, errcode.New("PAUSED", "removed from the queue by a pause", false)); err != nil {
		o.log.Warn("finish task record", "task", queued, "err", err)
	}
	runID := st.Run.ID
	return o.stageEvent(ctx, projectID, func(st *project.State) ([]run.Effect, error) {
		return run.PauseQueued(st, runID)
	})
}

// Resume continues a paused run from its current stage. A project whose
// last run failed or was cancelled (or was interrupted) gets a new chain
// run from its first unfinished stage; finished work is reused.
func (o *Engine) Resume(ctx context.Context, projectID int64) (*project.Run, error) {
	resumed := false
	st, effects, err := o.apply(projectID, func(st *project.State) ([]run.Effect, error) {
		effects, err := run.Resume(st)
		resumed = err == nil
		return effects, err
	})
	if err != nil {
		return nil, err
	}
	if !resumed {
		// A pause asked for but not reached yet is withdrawn instead.
		if st, withdrawn, werr := o.WithdrawPause(ctx, projectID); werr == nil && withdrawn {
			return st.Run, nil
		}
		return o.Start(ctx, projectID, StartOptions{Kind: "chain"})
	}
	if err := o.perform(ctx, effects); err != nil {
		o.log.Warn("resume", "project", projectID, "err", err)
	}
	return st.Run, nil
}

// Cancel stops the project's run. A running stage is told to stop (its
// child processes are killed) and is never retried.
func (o *Engine) Cancel(ctx context.Context, projectID int64) (*project.State, error) {
	st, effects, err := o.apply(projectID, func(st *project.State) ([]run.Effect, error) {
		held, err := rdb.LockHeld(ctx, o.rdb, rdb.LockKey(projectID))
		return run.RequestCancel(st, err == nil && held, o.now())
	})
	if err != nil {
		return nil, err
	}
	if err := o.perform(ctx, effects); err != nil {
		return nil, err
	}
	return st, nil
}
