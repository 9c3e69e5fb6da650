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
	"github.com/ytmaker/ytmaker/internal/taskspec"
)

// A batch runs the chains of its projects, a bounded number at once. It
// does not hold a worker slot while they run: batch_processing_task is a
// short "tick" that starts chains while slots are free and finishes the
// batch when every project is done; each project's run, when it ends,
// enqueues the next tick. Running a tick again (after a crash, or twice at
// once) is harmless: the batch file is updated under its lock and a
// project's state refuses a second active run.

// StartBatch starts a run of batch_processing_task on a batch and returns
// the run. If the batch is already running, its current run is returned.
func (o *Engine) StartBatch(ctx context.Context, batchID int64) (*project.BatchRun, error) {
	var fresh bool
	b, err := o.store.UpdateBatch(batchID, func(b *project.Batch) error {
		if b.Run != nil && b.Run.FinishedAt == nil {
			if b.Run.Paused {
				b.Run.Paused = false
				b.Status = project.BatchRunning
			}
			return nil
		}
		b.RunSeq++
		b.Run = &project.BatchRun{ID: b.RunSeq, HandleID: taskspec.BatchHandleID(batchID, b.RunSeq),
			Started: map[int64]int{}, StartedAt: o.now().UTC()}
		b.Status = project.BatchRunning
		fresh = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	run := b.Run
	if fresh {
		if err := o.results.Create(ctx, rdb.Record{ID: run.HandleID, Type: taskspec.BatchProcessing,
			Queue: taskspec.QueueBatch, BatchID: batchID, Run: run.ID}); err != nil {
			return nil, err
		}
	}
	if err := o.enqueueTick(ctx, batchID, run.ID, run.HandleID); err != nil {
		return nil, err
	}
	return run, nil
}

func (o *Engine) enqueueTick(ctx context.Context, batchID int64, runID int, id string) error {
	payload, _ := json.Marshal(taskspec.BatchPayload{BatchID: batchID, Run: runID})
	opts := []asynq.Option{asynq.TaskID(id), asynq.Queue(taskspec.QueueBatch), asynq.MaxRetry(taskspec.MaxRetries),
		asynq.Timeout(o.limits.For(taskspec.BatchProcessing) + taskspec.TimeoutGrace), asynq.Retention(time.Hour)}
	_, err := o.client.EnqueueContext(ctx, asynq.NewTask(taskspec.BatchProcessing, payload), opts...)
	if errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
		return nil
	}
	if err != nil {
		return errcode.Wrap(err, errcode.RedisUnavailable, true, "enqueue batch tick: "+err.Error())
	}
	return nil
}

// TickBatchLater enqueues a tick of the batch's current run (after one of
// its projects finished).
func (o *Engine) TickBatchLater(ctx context.Context, batchID int64) error {
	b, err := o.store.UpdateBatch(batchID, func(b *project.Batch) error {
		if b.Run == nil || b.Run.FinishedAt != nil {
			return errNoWrite
		}
		b.Run.Ticks++
		return nil
	})
	if errors.Is(err, errNoWrite) {
		return nil
	}
	if err != nil {
		return err
	}
	return o.enqueueTick(ctx, batchID, b.Run.ID, taskspec.BatchTickID(batchID, b.Run.ID, b.Run.Ticks))
}

// PauseBatch stops a batch from starting more projects; running ones
// finish.
func (o *Engine) PauseBatch(ctx context.Context, batchID int64) (*project.Batch, error) {
	return o.store.UpdateBatch(batchID, func(b *project.Batch) error {
		if b.Run == nil || b.Run.FinishedAt != nil {
			return errcode.New(CodeNotRunning, "batch is not running", false)
		}
		b.Run.Paused = true
		b.Status = project.BatchPaused
		return nil
	})
}

// Tick is the body of batch_processing_task: it starts chains while the
// batch has free slots and, when every project has finished, records the
// batch's result on its handle. It reports whether the batch is done.
func (o *Engine) Tick(ctx context.Context, batchID int64, runID int) (bool, error) {
	var toStart []int64
	var result *project.BatchResult
	b, err := o.store.UpdateBatch(batchID, func(b *project.Batch) error {
		run := b.Run
		if run == nil || run.ID != runID || run.FinishedAt != nil {
			return errNoWrite
		}
		res := project.BatchResult{BatchID: batchID, Total: len(b.ProjectIDs)}
		busySlots, pending := 0, []int64{}
		for _, pid := range b.ProjectIDs {
			st, err := o.store.State(pid)
			if err != nil {
				res.Failed++
				res.Results = append(res.Results, project.BatchProjectResult{ProjectID: pid, Status: project.Failed,
					Error: errcode.Classify(err)})
				continue
			}
			startedRun, started := run.Started[pid]
			active := st.ActiveRun()
			switch {
			case active != nil:
				busySlots++
			case st.Status == project.Completed:
				res.Completed++
				res.Results = append(res.Results, projectResult(pid, st))
			case started && st.Run != nil && st.Run.ID >= startedRun:
				// The run this batch started has ended without completing.
				res.Failed++
				res.Results = append(res.Results, projectResult(pid, st))
			default:
				pending = append(pending, pid)
			}
		}
		if !run.Paused {
			for _, pid := range pending {
				if busySlots >= max(1, b.Concurrency) {
					break
				}
				toStart = append(toStart, pid)
				busySlots++
			}
		}
		if busySlots == 0 && len(pending) == 0 {
			now := o.now().UTC()
			run.FinishedAt = &now
			raw, _ := json.Marshal(res)
			run.Result = raw
			b.Status = project.BatchCompleted
			if res.Completed == 0 && res.Failed > 0 {
				b.Status = project.BatchFailed
			}
			result = &res
			// The handle finishes before the batch says so: whoever sees
			// the batch completed finds its result too. If the write
			// below fails, the next tick finishes it again (same values).
			if err := o.results.Finish(ctx, run.HandleID, rdb.Succeeded, raw, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, errNoWrite) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	if result != nil {
		return true, nil
	}
	o.results.SetState(ctx, b.Run.HandleID, rdb.Running, 0)
	for _, pid := range toStart {
		run, err := o.Start(ctx, pid, StartOptions{Kind: "chain", BatchID: batchID})
		var startedRun int
		switch {
		case err == nil:
			startedRun = run.ID
		case errcode.Code(err) == errcode.ProjectBusy:
			continue // started meanwhile: it will tick us when it ends
		case errcode.Code(err) == CodeAlreadyCompleted:
			continue
		default:
			o.log.Warn("batch: start project", "batch", batchID, "project", pid, "err", err)
			return false, fmt.Errorf("start project %d: %w", pid, err)
		}
		if _, err := o.store.UpdateBatch(batchID, func(b *project.Batch) error {
			if b.Run == nil || b.Run.ID != runID {
				return errNoWrite
			}
			b.Run.Started[pid] = startedRun
			return nil
		}); err != nil && !errors.Is(err, errNoWrite) {
			return false, err
		}
	}
	return false, nil
}

func projectResult(pid int64, st *project.State) project.BatchProjectResult {
	r := project.BatchProjectResult{ProjectID: pid, Status: st.Status, Error: st.Error}
	var up struct {
		VideoID   string `json:"video_id"`
		VideoPath string `json:"video_path"`
	}
	if raw := st.Stages.Upload.Result; len(raw) > 0 {
		json.Unmarshal(raw, &up)
	}
	r.VideoID = up.VideoID
	if up.VideoPath != "" {
		r.VideoPath = up.VideoPath
	} else if raw := st.Stages.Render.Result; len(raw) > 0 {
		var rr struct {
			VideoPath string `json:"video_path"`
		}
		json.Unmarshal(raw, &rr)
		r.VideoPath = rr.VideoPath
	}
	if st.Status == project.Completed {
		r.Error = nil
	}
	return r
}
