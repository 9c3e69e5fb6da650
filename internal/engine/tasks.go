package engine

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/rdb"
	"github.com/ytmaker/ytmaker/internal/taskspec"
)

// CreateProject validates the input and creates a project.
func (o *Engine) CreateProject(ctx context.Context, in project.Input) (int64, error) {
	p, err := o.store.CreateProject(ctx, in, 0)
	if err != nil {
		return 0, err
	}
	return p.ID, nil
}

// CreateBatch validates the input and creates a batch with its projects.
func (o *Engine) CreateBatch(ctx context.Context, in project.BatchInput) (int64, error) {
	b, err := o.store.CreateBatch(ctx, in)
	if err != nil {
		return 0, err
	}
	return b.ID, nil
}

// EnqueueSimple enqueues a task that is not a project stage (sync_quotas,
// debug_task) with a record, and returns its ID.
func (o *Engine) EnqueueSimple(ctx context.Context, name string, payload json.RawMessage) (string, error) {
	if payload == nil {
		payload = json.RawMessage("{}")
	}
	if !json.Valid(payload) {
		return "", errcode.New(errcode.InvalidInput, "payload must be JSON", false)
	}
	id := uuid.NewString()
	q := taskspec.QueueFor(name)
	if err := o.results.Create(ctx, rdb.Record{ID: id, Type: name, Queue: q}); err != nil {
		return "", err
	}
	_, err := o.client.EnqueueContext(ctx, asynq.NewTask(name, payload), asynq.TaskID(id), asynq.Queue(q),
		asynq.MaxRetry(taskspec.MaxRetries), asynq.Timeout(o.limits.For(name)+taskspec.TimeoutGrace),
		asynq.Retention(time.Hour))
	if err != nil {
		return "", errcode.Wrap(err, errcode.RedisUnavailable, true, "enqueue: "+err.Error())
	}
	return id, nil
}

// TaskInfo is a task's record joined with what the queue knows. The
// public tasks.Info has the same fields.
type TaskInfo struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Queue      string          `json:"queue,omitempty"`
	ProjectID  int64           `json:"project_id,omitempty"`
	BatchID    int64           `json:"batch_id,omitempty"`
	Run        int             `json:"run,omitempty"`
	State      string          `json:"state"`
	Retries    int             `json:"retries"`
	Result     json.RawMessage `json:"result,omitempty"`
	Error      *errcode.Error  `json:"error,omitempty"`
	CreatedAt  time.Time       `json:"created_at"`
	StartedAt  *time.Time      `json:"started_at,omitempty"`
	FinishedAt *time.Time      `json:"finished_at,omitempty"`
	QueueState string          `json:"queue_state,omitempty"`
	LastError  string          `json:"last_error,omitempty"`
	NextRunAt  *time.Time      `json:"next_run_at,omitempty"`
	MaxRetries int             `json:"max_retries,omitempty"`
}

// TaskInfo returns what is known about task id.
func (o *Engine) TaskInfo(ctx context.Context, id string) (*TaskInfo, error) {
	r, err := o.results.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	info := &TaskInfo{ID: r.ID, Type: r.Type, Queue: r.Queue, ProjectID: r.ProjectID, BatchID: r.BatchID, Run: r.Run,
		State: r.State, Retries: r.Retries, Result: r.Result, Error: r.Error, CreatedAt: r.CreatedAt,
		StartedAt: r.StartedAt, FinishedAt: r.FinishedAt}
	if r.Queue != "" && r.Type != "chain" {
		if ti, err := o.inspector.GetTaskInfo(r.Queue, id); err == nil {
			info.QueueState = ti.State.String()
			info.LastError = ti.LastErr
			info.MaxRetries = ti.MaxRetry
			if r.Queue == taskspec.QueueVideo {
				info.MaxRetries = taskspec.MaxRetries // asynq's ceiling is not the budget
			}
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
