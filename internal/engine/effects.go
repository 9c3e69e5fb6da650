package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/rdb"
	"github.com/ytmaker/ytmaker/internal/run"
	"github.com/ytmaker/ytmaker/internal/taskspec"
	"github.com/ytmaker/ytmaker/progress"
)

// apply runs event on the project's state under its lock and writes the
// result. An event that returns run.ErrNoChange writes nothing; its
// effects (if any) are returned with the current state and a nil error.
func (o *Engine) apply(projectID int64, event func(st *project.State) ([]run.Effect, error)) (*project.State, []run.Effect, error) {
	var effects []run.Effect
	st, err := o.store.UpdateState(projectID, func(st *project.State) error {
		var err error
		effects, err = event(st)
		if errors.Is(err, run.ErrNoChange) {
			return errNoWrite
		}
		return err
	})
	if errors.Is(err, errNoWrite) {
		st, err = o.store.State(projectID)
	}
	if err != nil {
		return nil, nil, err
	}
	return st, effects, nil
}

// errNoWrite aborts an UpdateState without writing.
var errNoWrite = errors.New("no change")

// perform carries out effects in order. It stops at the first effect that
// must succeed for the rest to make sense (writing a record, finishing a
// handle, marking a project active, enqueueing a task) and returns its
// error; other failures are logged. A run whose handle could not be
// finished therefore stays in the active set, and the periodic reconcile
// settles it again.
func (o *Engine) perform(ctx context.Context, effects []run.Effect) error {
	for _, e := range effects {
		switch e := e.(type) {
		case run.CreateRecord:
			if err := o.results.Create(ctx, rdb.Record{ID: e.ID, Type: e.Type, Queue: e.Queue, ProjectID: e.ProjectID,
				Run: e.Run, BatchID: e.BatchID}); err != nil {
				return err
			}
		case run.SetRecord:
			if err := o.results.SetState(ctx, e.ID, e.State, e.Retries); err != nil {
				o.log.Warn("record task state", "task", e.ID, "state", e.State, "err", err)
			}
		case run.FinishRecord:
			if err := o.finishRecord(ctx, e); err != nil {
				o.log.Warn("finish task record; the reconcile will finish it", "task", e.ID, "state", e.State, "err", err)
				return err
			}
		case run.Publish:
			m := e.Msg
			if e.AtLeastFloor {
				m.Progress = max(m.Progress, o.announced(ctx, m.ProjectID, m.Run))
			}
			o.publish(ctx, m)
		case run.MarkActive:
			// The active set is how the reconcile finds a run whose task
			// was lost: a run it cannot see must not start.
			if err := o.rdb.SAdd(ctx, rdb.ActiveProjects, e.ProjectID).Err(); err != nil {
				return errcode.Wrap(err, errcode.RedisUnavailable, true, "mark project active: "+err.Error())
			}
		case run.UnmarkActive:
			if err := o.rdb.SRem(ctx, rdb.ActiveProjects, e.ProjectID).Err(); err != nil {
				o.log.Warn("unmark project active", "project", e.ProjectID, "err", err)
			}
		case run.Enqueue:
			if err := o.enqueueStage(ctx, e); err != nil {
				return err
			}
		case run.Dequeue:
			if err := o.inspector.DeleteTask(taskspec.QueueVideo, e.TaskID); err == nil {
				if err := o.results.Finish(ctx, e.TaskID, rdb.Cancelled, nil, e.Err); err != nil {
					o.log.Warn("finish task record", "task", e.TaskID, "err", err)
				}
			}
		case run.TickBatch:
			if err := o.TickBatchLater(ctx, e.BatchID); err != nil {
				o.log.Warn("schedule batch tick", "batch", e.BatchID, "err", err)
			}
		case run.SignalCancel:
			// Durable: the request is recorded before the message goes out.
			if err := rdb.RequestCancel(ctx, o.rdb, e.ProjectID, e.Run); err != nil {
				return errcode.Wrap(err, errcode.RedisUnavailable, true, err.Error())
			}
		default:
			return fmt.Errorf("engine: unknown effect %T", e)
		}
	}
	return nil
}

// finishRecordBackoff spaces the retries of a failed handle finish before
// it is left to the reconcile.
var finishRecordBackoff = []time.Duration{50 * time.Millisecond, 250 * time.Millisecond, time.Second}

// finishRecord finishes a task record, retrying a failure a few times: a
// handle left unfinished keeps its callers waiting.
func (o *Engine) finishRecord(ctx context.Context, e run.FinishRecord) error {
	err := o.results.Finish(ctx, e.ID, e.State, e.Result, e.Err)
	for _, d := range finishRecordBackoff {
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(d):
		}
		err = o.results.Finish(ctx, e.ID, e.State, e.Result, e.Err)
	}
	return err
}

// settle carries out the effects that follow from a written state.
func (o *Engine) settle(ctx context.Context, st *project.State) error {
	if err := o.perform(ctx, run.Settle(st)); err != nil {
		o.log.Warn("settle project", "project", st.ProjectID, "err", err)
		return err
	}
	return nil
}

func (o *Engine) stageTaskOptions(id, task string) []asynq.Option {
	return []asynq.Option{
		asynq.TaskID(id),
		asynq.Queue(taskspec.QueueFor(task)),
		asynq.MaxRetry(taskspec.QueueMaxRetry), // the handler keeps the budget: waits must not count
		asynq.Timeout(o.limits.For(task) + taskspec.TimeoutGrace),
		asynq.Retention(o.retention),
	}
}

// enqueueStage enqueues a stage task with its record. Enqueueing the same
// task twice is a no-op (deterministic task IDs).
func (o *Engine) enqueueStage(ctx context.Context, e run.Enqueue) error {
	if err := o.results.Create(ctx, rdb.Record{ID: e.TaskID, Type: e.Stage.TaskName(), Queue: taskspec.QueueVideo,
		ProjectID: e.ProjectID, Run: e.Run, BatchID: e.BatchID}); err != nil {
		return err
	}
	payload, _ := json.Marshal(taskspec.StagePayload{ProjectID: e.ProjectID, Run: e.Run, Input: e.Input})
	_, err := o.client.EnqueueContext(ctx, asynq.NewTask(e.Stage.TaskName(), payload), o.stageTaskOptions(e.TaskID, e.Stage.TaskName())...)
	if errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
		return nil
	}
	if err != nil {
		return errcode.Wrap(err, errcode.RedisUnavailable, true, "enqueue: "+err.Error())
	}
	return nil
}

// announced is the progress run runID has already published (0 if its
// latest message is not known).
func (o *Engine) announced(ctx context.Context, projectID int64, runID int) int {
	if m, err := progress.Snapshot(ctx, o.rdb, projectID); err == nil && m != nil && m.Run == runID && !m.Final {
		return m.Progress
	}
	return 0
}

// ProgressFloor is the progress a run has already announced: its latest
// published message (it never goes down), or what the state recorded.
func (o *Engine) ProgressFloor(ctx context.Context, projectID int64, r *project.Run) int {
	return max(r.Progress, o.announced(ctx, projectID, r.ID))
}

// publish sends a progress message; failures are logged, not returned:
// progress must never fail a stage.
func (o *Engine) publish(ctx context.Context, m progress.Message) {
	if _, err := o.pub.Publish(ctx, m); err != nil {
		o.log.Warn("publish progress", "project", m.ProjectID, "err", err)
	}
}
