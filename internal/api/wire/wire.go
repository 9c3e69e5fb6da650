// Package wire defines the JSON documents of YTMaker's HTTP API (under
// /api/v1). The server encodes them and the Go client decodes them, so both
// sides agree on one definition.
package wire

import (
	"encoding/json"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/brand"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/tasks"
)

// Envelope wraps every JSON answer: {"success":true,"data":...} or
// {"success":false,"error":{...}}.
type Envelope[T any] struct {
	Success bool   `json:"success"`
	Data    T      `json:"data,omitempty"`
	Error   *Error `json:"error,omitempty"`
}

// Error is the error part of a failed answer.
type Error struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

// Project is one project with its state, as GET /projects/{id} returns it.
type Project struct {
	ID       int64            `json:"id"`
	Name     string           `json:"name"`
	Content  string           `json:"content"`
	Language string           `json:"language"`
	Settings project.Settings `json:"settings"`
	BatchID  int64            `json:"batch_id,omitempty"`
	Status   project.Status   `json:"status"`
	// Progress is the overall completion in percent: the live value of the
	// active run, otherwise the share of finished stages.
	Progress     int            `json:"progress"`
	CurrentStage project.Stage  `json:"current_stage,omitempty"`
	Run          *Run           `json:"run,omitempty"`
	Stages       []Stage        `json:"stages"`
	Error        *errcode.Error `json:"error,omitempty"`
	Outputs      Outputs        `json:"outputs"`
	// Media lists the segments that show the creator's own picture or
	// clip.
	Media     []SegmentMedia `json:"media"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
}

// ProjectSummary is one line of GET /projects.
type ProjectSummary struct {
	ID           int64          `json:"id"`
	Name         string         `json:"name"`
	Language     string         `json:"language"`
	BatchID      int64          `json:"batch_id,omitempty"`
	Status       project.Status `json:"status"`
	Progress     int            `json:"progress"`
	CurrentStage project.Stage  `json:"current_stage,omitempty"`
	ErrorCode    string         `json:"error_code,omitempty"`
	YouTubeURL   string         `json:"youtube_url,omitempty"`
	CreatedAt    time.Time      `json:"created_at"`
	UpdatedAt    time.Time      `json:"updated_at"`
}

// ProjectList is GET /projects.
type ProjectList struct {
	Projects []ProjectSummary `json:"projects"`
	Total    int              `json:"total"`
	Limit    int              `json:"limit"`
	Offset   int              `json:"offset"`
}

// Stage is one pipeline stage of a project.
type Stage struct {
	Name            project.Stage       `json:"name"`
	Task            string              `json:"task"`
	Status          project.StageStatus `json:"status"`
	Attempts        int                 `json:"attempts"`
	Run             int                 `json:"run,omitempty"`
	TaskID          string              `json:"task_id,omitempty"`
	StartedAt       *time.Time          `json:"started_at,omitempty"`
	FinishedAt      *time.Time          `json:"finished_at,omitempty"`
	DurationSeconds *float64            `json:"duration_seconds,omitempty"`
	Error           *errcode.Error      `json:"error,omitempty"`
	Result          json.RawMessage     `json:"result,omitempty"`
	// Checkpoints counts the sub-steps saved for a resumed attempt.
	Checkpoints int `json:"checkpoints,omitempty"`
}

// Run is the latest run (chain or single task) of a project.
type Run struct {
	ID              int              `json:"id"`
	TaskID          string           `json:"task_id"`
	Kind            string           `json:"kind"`
	Stages          []project.Stage  `json:"stages"`
	State           project.RunState `json:"state"`
	Current         project.Stage    `json:"current,omitempty"`
	Progress        int              `json:"progress"`
	PauseRequested  bool             `json:"pause_requested,omitempty"`
	CancelRequested bool             `json:"cancel_requested,omitempty"`
	BatchID         int64            `json:"batch_id,omitempty"`
	CreatedAt       time.Time        `json:"created_at"`
	StartedAt       *time.Time       `json:"started_at,omitempty"`
	FinishedAt      *time.Time       `json:"finished_at,omitempty"`
	Error           *errcode.Error   `json:"error,omitempty"`
}

// Outputs links the files a project has made so far.
type Outputs struct {
	VideoURL     string `json:"video_url,omitempty"`
	ThumbnailURL string `json:"thumbnail_url,omitempty"`
	ScriptURL    string `json:"script_url,omitempty"`
}

// ProjectPatch is the body of PATCH /projects/{id}. Absent fields are left
// alone; settings are merged into the current settings (a JSON merge
// patch: null resets a setting to its default).
type ProjectPatch struct {
	Name     *string         `json:"name,omitempty"`
	Content  *string         `json:"content,omitempty"`
	Language *string         `json:"language,omitempty"`
	Settings json.RawMessage `json:"settings,omitempty"`
}

// PatchResult is the answer to PATCH /projects/{id}.
type PatchResult struct {
	Project *Project `json:"project"`
	// Reset lists the stages that must be made again because a setting
	// they depend on changed.
	Reset []project.Stage `json:"reset"`
}

// GenerateRequest is the optional body of POST /projects/{id}/generate.
type GenerateRequest struct {
	// From makes the project again from this stage (script, assets,
	// render, thumbnail, upload). Empty: from the first unfinished stage.
	From string `json:"from,omitempty"`
}

// RunRef answers the control endpoints (generate, pause, resume, cancel,
// retry): the run that now occupies (or last occupied) the project.
type RunRef struct {
	ProjectID int64 `json:"project_id"`
	// TaskID is the run's handle: GET /tasks/{task_id} follows it.
	TaskID string `json:"task_id"`
	Run    int    `json:"run"`
	// Status is the run's state: queued, running, paused, succeeded,
	// failed or cancelled.
	Status        project.RunState `json:"status"`
	ProjectStatus project.Status   `json:"project_status"`
	Stages        []project.Stage  `json:"stages,omitempty"`
	// AlreadyRunning is true when the project was busy and the answer
	// describes the run that was already there.
	AlreadyRunning  bool `json:"already_running,omitempty"`
	PauseRequested  bool `json:"pause_requested,omitempty"`
	CancelRequested bool `json:"cancel_requested,omitempty"`
}

// File is one downloadable output.
type File struct {
	Path      string `json:"path"`
	URL       string `json:"url"`
	SizeBytes int64  `json:"size_bytes"`
}

// YouTubeResult says whether and where the video was uploaded.
type YouTubeResult struct {
	Uploaded bool `json:"uploaded"`
	// Status is "uploaded" or "not uploaded: <reason>".
	Status  string `json:"status"`
	VideoID string `json:"video_id,omitempty"`
	URL     string `json:"url,omitempty"`
	Privacy string `json:"privacy,omitempty"`
}

// Result is GET /projects/{id}/result.
type Result struct {
	ProjectID int64          `json:"project_id"`
	Name      string         `json:"name"`
	Status    project.Status `json:"status"`
	Video     *File          `json:"video,omitempty"`
	Thumbnail *File          `json:"thumbnail,omitempty"`
	Script    *File          `json:"script,omitempty"`
	YouTube   YouTubeResult  `json:"youtube"`
	// Title is the video's title (the YouTube title when set, else the
	// project's name).
	Title       string     `json:"title"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
}

// Batch is GET /batches/{id}.
type Batch struct {
	ID          int64          `json:"id"`
	Name        string         `json:"name"`
	Status      string         `json:"status"`
	Concurrency int            `json:"concurrency"`
	Counts      BatchCounts    `json:"counts"`
	Progress    int            `json:"progress"`
	Projects    []BatchProject `json:"projects"`
	Run         *BatchRun      `json:"run,omitempty"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
}

// BatchCounts counts a batch's projects by where they are.
type BatchCounts struct {
	Total     int `json:"total"`
	Completed int `json:"completed"`
	Failed    int `json:"failed"`
	Cancelled int `json:"cancelled"`
	Running   int `json:"running"`
	Paused    int `json:"paused"`
	Pending   int `json:"pending"`
}

// BatchProject is one project of a batch.
type BatchProject struct {
	ID         int64          `json:"id"`
	Name       string         `json:"name"`
	Status     project.Status `json:"status"`
	Progress   int            `json:"progress"`
	ErrorCode  string         `json:"error_code,omitempty"`
	Error      string         `json:"error,omitempty"`
	YouTubeURL string         `json:"youtube_url,omitempty"`
}

// BatchRun is the batch's latest run of batch_processing_task.
type BatchRun struct {
	ID         int             `json:"id"`
	TaskID     string          `json:"task_id"`
	Paused     bool            `json:"paused,omitempty"`
	StartedAt  time.Time       `json:"started_at"`
	FinishedAt *time.Time      `json:"finished_at,omitempty"`
	Result     json.RawMessage `json:"result,omitempty"`
}

// BatchSummary is one line of GET /batches.
type BatchSummary struct {
	ID        int64       `json:"id"`
	Name      string      `json:"name"`
	Status    string      `json:"status"`
	Counts    BatchCounts `json:"counts"`
	Progress  int         `json:"progress"`
	TaskID    string      `json:"task_id,omitempty"`
	CreatedAt time.Time   `json:"created_at"`
	UpdatedAt time.Time   `json:"updated_at"`
}

// BatchList is GET /batches.
type BatchList struct {
	Batches []BatchSummary `json:"batches"`
	Total   int            `json:"total"`
	Limit   int            `json:"limit"`
	Offset  int            `json:"offset"`
}

// BatchRunRef answers POST /batches/{id}/start, pause and resume.
type BatchRunRef struct {
	BatchID int64  `json:"batch_id"`
	TaskID  string `json:"task_id,omitempty"`
	Run     int    `json:"run,omitempty"`
	Status  string `json:"status"`
}

// Task is GET /tasks/{id}: the task's record joined with what its queue
// knows (the public task API's Info).
type Task = tasks.Info

// DebugRequest is the optional body of POST /tasks/debug.
type DebugRequest struct {
	// Payload is logged by the worker as it is ("Request: ...").
	Payload json.RawMessage `json:"payload,omitempty"`
}

// TaskRef answers POST /tasks/debug: the enqueued task, followed with
// GET /tasks/{task_id}.
type TaskRef struct {
	TaskID string `json:"task_id"`
	Type   string `json:"type"`
	Queue  string `json:"queue"`
}

// Deleted answers DELETE /projects/{id}.
type Deleted struct {
	ID           int64 `json:"id"`
	Deleted      bool  `json:"deleted"`
	FilesDeleted bool  `json:"files_deleted"`
}

// Connected is the first WebSocket message of a progress stream:
// {"event":"connected","data":{"project_id":1,"timestamp":"..."}}.
type Connected struct {
	Event string        `json:"event"`
	Data  ConnectedData `json:"data"`
}

// ConnectedData is the data of a connected or ping event.
type ConnectedData struct {
	ProjectID int64  `json:"project_id,omitempty"`
	Timestamp string `json:"timestamp"`
}

// PromptTemplate is a named script prompt (GET /prompt-templates/{name}).
type PromptTemplate struct {
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Text        string    `json:"text"`
	BuiltIn     bool      `json:"built_in"`
	UpdatedAt   time.Time `json:"updated_at,omitzero"`
}

// PromptTemplateInput is the body of POST /prompt-templates and PUT
// /prompt-templates/{name}.
type PromptTemplateInput struct {
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	Text        string `json:"text"`
}

// PromptTemplateList is GET /prompt-templates: every template, the
// built-in one first, and the placeholders a template may use.
type PromptTemplateList struct {
	Templates    []PromptTemplate `json:"templates"`
	Placeholders []Placeholder    `json:"placeholders"`
}

// Placeholder is one {name} a prompt template may contain.
type Placeholder struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// PromptTemplateDeleted answers DELETE /prompt-templates/{name}.
type PromptTemplateDeleted struct {
	Name    string `json:"name"`
	Deleted bool   `json:"deleted"`
}

// BrandList is GET /brands: every brand preset, by name.
type BrandList struct {
	Brands []brand.Brand `json:"brands"`
}
