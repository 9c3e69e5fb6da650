package project

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
)

// Batch states.
const (
	BatchCreated   = "CREATED"
	BatchRunning   = "RUNNING"
	BatchPaused    = "PAUSED"
	BatchCompleted = "COMPLETED"
	BatchFailed    = "FAILED"
)

// DefaultBatchConcurrency is how many projects of one batch run at once.
const DefaultBatchConcurrency = 2

// Batch is a group of projects processed together, stored as batch.json.
type Batch struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	ProjectIDs  []int64   `json:"project_ids"`
	Concurrency int       `json:"concurrency"`
	Status      string    `json:"status"`
	RunSeq      int       `json:"run_seq"`
	Run         *BatchRun `json:"run,omitempty"`
	Version     int64     `json:"version"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// BatchRun is one invocation of batch_processing_task on a batch.
type BatchRun struct {
	ID         int             `json:"id"`
	HandleID   string          `json:"handle_id"`
	Ticks      int             `json:"ticks"`
	Paused     bool            `json:"paused,omitempty"`
	Started    map[int64]int   `json:"started"` // project ID → project run ID started by this batch run
	StartedAt  time.Time       `json:"started_at"`
	FinishedAt *time.Time      `json:"finished_at,omitempty"`
	Result     json.RawMessage `json:"result,omitempty"`
}

// BatchInput creates a batch.
type BatchInput struct {
	Name        string  `json:"name"`
	Projects    []Input `json:"projects"`
	Concurrency int     `json:"concurrency,omitempty"`
}

// MaxBatchProjects bounds one batch.
const MaxBatchProjects = 500

// Validate checks the batch input and every project in it.
func (b *BatchInput) Validate() error {
	if b.Name == "" {
		b.Name = "batch"
	}
	if len([]rune(b.Name)) > MaxNameLen {
		return InvalidField("name", "at most %d characters", MaxNameLen)
	}
	if len(b.Projects) == 0 {
		return InvalidField("projects", "at least one project is required")
	}
	if len(b.Projects) > MaxBatchProjects {
		return InvalidField("projects", "has %d projects; at most %d allowed", len(b.Projects), MaxBatchProjects)
	}
	if b.Concurrency < 0 || b.Concurrency > 32 {
		return InvalidField("concurrency", "must be between 1 and 32")
	}
	if b.Concurrency == 0 {
		b.Concurrency = DefaultBatchConcurrency
	}
	for i := range b.Projects {
		if err := b.Projects[i].Validate(); err != nil {
			return InBatch(err, i)
		}
	}
	return nil
}

// InBatch names the batch entry i in a project input error: the field
// settings.music becomes projects[i].settings.music.
func InBatch(err error, i int) error {
	if e, ok := errcode.As(err); ok {
		e = e.Clone()
		field, _ := e.Details["field"].(string)
		prefixed := "projects[" + itoa(i) + "]." + field
		e.Details["field"] = prefixed
		e.Message = "projects[" + itoa(i) + "]." + e.Message
		return e
	}
	return err
}

func itoa(i int) string { return strconv.Itoa(i) }

// BatchProjectResult is one line of a batch's result.
type BatchProjectResult struct {
	ProjectID int64          `json:"project_id"`
	Status    Status         `json:"status"`
	VideoID   string         `json:"video_id,omitempty"`
	VideoPath string         `json:"video_path,omitempty"`
	Error     *errcode.Error `json:"error,omitempty"`
}

// BatchResult is batch_processing_task's result.
type BatchResult struct {
	BatchID   int64                `json:"batch_id"`
	Total     int                  `json:"total"`
	Completed int                  `json:"completed"`
	Failed    int                  `json:"failed"`
	Results   []BatchProjectResult `json:"results"`
}
