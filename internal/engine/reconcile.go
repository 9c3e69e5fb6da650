package engine

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/rdb"
	"github.com/ytmaker/ytmaker/internal/run"
	"github.com/ytmaker/ytmaker/internal/store"
	"github.com/ytmaker/ytmaker/internal/taskspec"
)

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
	r := st.ActiveRun()
	if r == nil {
		// Make sure the handle is finished before the project leaves the
		// active set: a failed settle is tried again next time.
		if st.Run != nil {
			if err := o.settle(ctx, st); err != nil {
				return err
			}
		}
		return o.rdb.SRem(ctx, rdb.ActiveProjects, projectID).Err()
	}
	if err := o.rdb.SAdd(ctx, rdb.ActiveProjects, projectID).Err(); err != nil {
		return err
	}
	if r.State == project.RunPaused {
		return nil
	}
	id := run.TaskID(projectID, r)
	info, err := o.inspector.GetTaskInfo(taskspec.QueueVideo, id)
	switch {
	case errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound):
		ss := st.Stages.Get(r.Current)
		if ss.Status.Finished() {
			return o.settle(ctx, st)
		}
		o.log.Info("re-enqueueing interrupted project", "project", projectID, "run", r.ID, "stage", r.Current)
		_, err := o.stageEvent(ctx, projectID, func(st *project.State) ([]run.Effect, error) {
			return run.Requeue(st, r.ID)
		})
		return err
	case err != nil:
		return err
	}
	switch info.State {
	case asynq.TaskStateCompleted:
		return o.settle(ctx, st)
	case asynq.TaskStateArchived:
		if st.Stages.Get(r.Current).Status.Finished() {
			return o.settle(ctx, st)
		}
		msg := "the worker running this stage was lost"
		if info.LastErr != "" {
			msg += ": " + info.LastErr
		}
		ce := errcode.New(errcode.WorkerLost, msg, true).WithStage(string(r.Current))
		// A worker that recorded the failure in the task record but not in
		// the state file (the disk refused it) did not get lost: tell
		// what it said.
		if rec, rerr := o.results.Get(ctx, id); rerr == nil && rec.State == rdb.Failed && rec.Error != nil {
			ce = rec.Error.Clone().WithStage(string(r.Current))
		}
		_, err := o.FailStage(ctx, projectID, r.ID, r.Current, "", ce, true, 0)
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
