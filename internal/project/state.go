package project

import (
	"encoding/json"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
)

// Status is a project's overall status, as stored in project_state.json.
type Status string

// The statuses a project moves through.
const (
	Initialized      Status = "INITIALIZED"
	ScriptGenerating Status = "SCRIPT_GENERATING"
	ScriptGenerated  Status = "SCRIPT_GENERATED"
	// ScriptReview: the run stopped after the script, which waits for
	// the user's approval (Settings.ReviewScript).
	ScriptReview        Status = "SCRIPT_REVIEW"
	AssetsGenerating    Status = "ASSETS_GENERATING"
	AssetsGenerated     Status = "ASSETS_GENERATED"
	Rendering           Status = "RENDERING"
	Rendered            Status = "RENDERED"
	ThumbnailGenerating Status = "THUMBNAIL_GENERATING"
	ThumbnailGenerated  Status = "THUMBNAIL_GENERATED"
	Uploading           Status = "UPLOADING"
	Completed           Status = "COMPLETED"
	Failed              Status = "FAILED"
	Paused              Status = "PAUSED"
	Cancelled           Status = "CANCELLED"
)

// AllStatuses lists every status, in pipeline order.
var AllStatuses = []Status{Initialized, ScriptGenerating, ScriptGenerated, ScriptReview, AssetsGenerating, AssetsGenerated,
	Rendering, Rendered, ThumbnailGenerating, ThumbnailGenerated, Uploading, Completed, Failed, Paused, Cancelled}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, v := range AllStatuses {
		if v == s {
			return true
		}
	}
	return false
}

// Stage names one step of the pipeline.
type Stage string

// The five stages, in order.
const (
	StageScript    Stage = "script"
	StageAssets    Stage = "assets"
	StageRender    Stage = "render"
	StageThumbnail Stage = "thumbnail"
	StageUpload    Stage = "upload"
)

// Stages lists the pipeline in order.
var Stages = []Stage{StageScript, StageAssets, StageRender, StageThumbnail, StageUpload}

type stageInfo struct {
	task, progress string
	running, done  Status
	weight         int
}

var stageInfos = map[Stage]stageInfo{
	StageScript:    {"generate_script_task", "script_generation", ScriptGenerating, ScriptGenerated, 10},
	StageAssets:    {"generate_assets_task", "asset_generation", AssetsGenerating, AssetsGenerated, 35},
	StageRender:    {"render_video_task", "video_rendering", Rendering, Rendered, 35},
	StageThumbnail: {"generate_thumbnail_task", "thumbnail_generation", ThumbnailGenerating, ThumbnailGenerated, 5},
	StageUpload:    {"upload_to_youtube_task", "youtube_upload", Uploading, Completed, 15},
}

// Valid reports whether s is one of the five stages.
func (s Stage) Valid() bool { _, ok := stageInfos[s]; return ok }

// TaskName is the seed's task name for the stage, e.g. generate_script_task.
func (s Stage) TaskName() string { return stageInfos[s].task }

// ProgressName is the stage name used in progress messages, e.g.
// script_generation.
func (s Stage) ProgressName() string { return stageInfos[s].progress }

// RunningStatus is the project status while the stage runs.
func (s Stage) RunningStatus() Status { return stageInfos[s].running }

// DoneStatus is the project status once the stage is done.
func (s Stage) DoneStatus() Status { return stageInfos[s].done }

// Weight is the stage's share of a whole run's progress.
func (s Stage) Weight() int { return stageInfos[s].weight }

// Index is the stage's position in the pipeline (0-4), or -1.
func (s Stage) Index() int {
	for i, v := range Stages {
		if v == s {
			return i
		}
	}
	return -1
}

// StageForTask maps a task name back to its stage.
func StageForTask(task string) (Stage, bool) {
	for s, info := range stageInfos {
		if info.task == task {
			return s, true
		}
	}
	return "", false
}

// StageStatus is the status of one stage.
type StageStatus string

// Stage statuses.
const (
	StagePending   StageStatus = "pending"
	StageQueued    StageStatus = "queued"
	StageRunning   StageStatus = "running"
	StageRetrying  StageStatus = "retrying"
	StageWaiting   StageStatus = "waiting" // for a quota reset; not a failure
	StageCompleted StageStatus = "completed"
	StageSkipped   StageStatus = "skipped"
	StageFailed    StageStatus = "failed"
	StageCancelled StageStatus = "cancelled"
)

// Finished reports whether the stage's work is done (completed or
// skipped), so a resumed run can move past it.
func (s StageStatus) Finished() bool { return s == StageCompleted || s == StageSkipped }

// RunState is the state of a run: one invocation of a chain or a single
// task on a project.
type RunState string

// Run states.
const (
	RunQueued    RunState = "queued"
	RunRunning   RunState = "running"
	RunPaused    RunState = "paused"
	RunSucceeded RunState = "succeeded"
	RunFailed    RunState = "failed"
	RunCancelled RunState = "cancelled"
)

// Active reports whether the run still occupies the project.
func (s RunState) Active() bool { return s == RunQueued || s == RunRunning || s == RunPaused }

// Run is one invocation on a project: a chain of stages or a single task.
type Run struct {
	ID              int             `json:"id"`
	HandleID        string          `json:"handle_id"`
	Kind            string          `json:"kind"` // chain | task
	Stages          []Stage         `json:"stages"`
	State           RunState        `json:"state"`
	Current         Stage           `json:"current,omitempty"`
	Resumes         int             `json:"resumes,omitempty"`
	PauseRequested  bool            `json:"pause_requested,omitempty"`
	CancelRequested bool            `json:"cancel_requested,omitempty"`
	BatchID         int64           `json:"batch_id,omitempty"`
	Progress        int             `json:"progress"`
	CreatedAt       time.Time       `json:"created_at"`
	StartedAt       *time.Time      `json:"started_at,omitempty"`
	FinishedAt      *time.Time      `json:"finished_at,omitempty"`
	Result          json.RawMessage `json:"result,omitempty"`
	Error           *errcode.Error  `json:"error,omitempty"`
}

// Next returns the stage after s in the run, or "" when s is last.
func (r *Run) Next(s Stage) Stage {
	for i, v := range r.Stages {
		if v == s && i+1 < len(r.Stages) {
			return r.Stages[i+1]
		}
	}
	return ""
}

// Contains reports whether the run includes stage s.
func (r *Run) Contains(s Stage) bool {
	for _, v := range r.Stages {
		if v == s {
			return true
		}
	}
	return false
}

// StageState is one stage's record in project_state.json.
type StageState struct {
	Status   StageStatus `json:"status"`
	Attempts int         `json:"attempts"`
	Run      int         `json:"run,omitempty"`
	TaskID   string      `json:"task_id,omitempty"`
	// Holder is the fencing token of the delivery running the current
	// attempt; reports from any other delivery are refused.
	Holder      string                     `json:"holder,omitempty"`
	StartedAt   *time.Time                 `json:"started_at,omitempty"`
	FinishedAt  *time.Time                 `json:"finished_at,omitempty"`
	Result      json.RawMessage            `json:"result,omitempty"`
	Error       *errcode.Error             `json:"error,omitempty"`
	WaitUntil   *time.Time                 `json:"wait_until,omitempty"`
	Checkpoints map[string]json.RawMessage `json:"checkpoints,omitempty"`
	// History records every attempt, oldest first (the last MaxHistory):
	// StartedAt and FinishedAt above describe the latest one only.
	History []Attempt `json:"history,omitempty"`
}

// MaxHistory bounds StageState.History.
const MaxHistory = 50

// Outcomes of an attempt.
const (
	OutcomeCompleted   = "completed"
	OutcomeSkipped     = "skipped"
	OutcomeFailed      = "failed"      // the stage failed, or will retry
	OutcomeWaiting     = "waiting"     // stopped for a quota wait
	OutcomeInterrupted = "interrupted" // shutdown, lost lock, or a worker that died
	OutcomeCancelled   = "cancelled"
)

// Attempt is one run of a stage's code.
type Attempt struct {
	Attempt    int            `json:"attempt"` // counts from 1 within a run
	Run        int            `json:"run"`
	TaskID     string         `json:"task_id,omitempty"`
	StartedAt  time.Time      `json:"started_at"`
	FinishedAt *time.Time     `json:"finished_at,omitempty"`
	Outcome    string         `json:"outcome,omitempty"` // "" while it runs
	Error      *errcode.Error `json:"error,omitempty"`
}

// Outcome is the attempt outcome of a stage that ended in status s.
func (s StageStatus) Outcome() string {
	if s == StageSkipped {
		return OutcomeSkipped
	}
	return OutcomeCompleted
}

// BeginAttempt records that attempt of run started at now. An earlier
// attempt still open never ended: its worker died, and it is closed as
// interrupted at now.
func (ss *StageState) BeginAttempt(now time.Time, run, attempt int, taskID string) {
	ss.EndAttempt(now, OutcomeInterrupted, nil)
	ss.History = append(ss.History, Attempt{Attempt: attempt, Run: run, TaskID: taskID, StartedAt: now})
	if n := len(ss.History); n > MaxHistory {
		ss.History = append(ss.History[:0], ss.History[n-MaxHistory:]...)
	}
}

// EndAttempt closes the open attempt, if any, with outcome and e.
func (ss *StageState) EndAttempt(now time.Time, outcome string, e *errcode.Error) {
	if n := len(ss.History); n > 0 && ss.History[n-1].Outcome == "" {
		a := &ss.History[n-1]
		end := now
		a.FinishedAt, a.Outcome, a.Error = &end, outcome, e
	}
}

// StageStates holds the five stages in pipeline order (so the JSON file
// reads top to bottom like the pipeline).
type StageStates struct {
	Script    StageState `json:"script"`
	Assets    StageState `json:"assets"`
	Render    StageState `json:"render"`
	Thumbnail StageState `json:"thumbnail"`
	Upload    StageState `json:"upload"`
}

// Get returns the record for stage s.
func (ss *StageStates) Get(s Stage) *StageState {
	switch s {
	case StageScript:
		return &ss.Script
	case StageAssets:
		return &ss.Assets
	case StageRender:
		return &ss.Render
	case StageThumbnail:
		return &ss.Thumbnail
	case StageUpload:
		return &ss.Upload
	}
	return nil
}

// State is project_state.json: where a project is and everything needed
// to resume it.
type State struct {
	ProjectID int64          `json:"project_id"`
	Status    Status         `json:"status"`
	RunSeq    int            `json:"run_seq"`
	Run       *Run           `json:"run,omitempty"`
	Stages    StageStates    `json:"stages"`
	Error     *errcode.Error `json:"error,omitempty"`
	// Media are the creator's own pictures and clips, by segment.
	Media     []SegmentMedia `json:"media,omitempty"`
	Version   int64          `json:"version"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
}

// NewState returns the state of a freshly created project.
func NewState(id int64, now time.Time) *State {
	s := &State{ProjectID: id, Status: Initialized, CreatedAt: now, UpdatedAt: now}
	for _, st := range Stages {
		s.Stages.Get(st).Status = StagePending
	}
	return s
}

// ActiveRun returns the run that occupies the project, or nil.
func (s *State) ActiveRun() *Run {
	if s.Run != nil && s.Run.State.Active() {
		return s.Run
	}
	return nil
}

// FirstUnfinished returns the first stage that is not completed or
// skipped, or "" when all are.
func (s *State) FirstUnfinished() Stage {
	for _, st := range Stages {
		if !s.Stages.Get(st).Status.Finished() {
			return st
		}
	}
	return ""
}

// SettledStatus is the status a project rests in when nothing runs: the
// done-status of its last finished stage in pipeline order.
func (s *State) SettledStatus() Status {
	status := Initialized
	for _, st := range Stages {
		if !s.Stages.Get(st).Status.Finished() {
			break
		}
		status = st.DoneStatus()
	}
	return status
}

// Progress is the overall completion of the project's pipeline in
// percent (finished stages by weight), independent of any run.
func (s *State) Progress() int {
	total, done := 0, 0
	for _, st := range Stages {
		total += st.Weight()
		if s.Stages.Get(st).Status.Finished() {
			done += st.Weight()
		}
	}
	if total == 0 {
		return 0
	}
	return done * 100 / total
}

// Running reports whether some stage is marked running.
func (s *State) Running() (Stage, bool) {
	for _, st := range Stages {
		if s.Stages.Get(st).Status == StageRunning {
			return st, true
		}
	}
	return "", false
}

// Kinds of a creator's own media.
const (
	MediaImage = "image"
	MediaVideo = "video"
)

// SegmentMedia is a creator's own picture or video clip, shown for a
// segment in place of the generated picture.
type SegmentMedia struct {
	Segment     int       `json:"segment"` // 1-based
	Kind        string    `json:"kind"`    // image | video
	File        string    `json:"file"`    // relative to the project folder, e.g. media/segment_03.mp4
	ContentType string    `json:"content_type"`
	Bytes       int64     `json:"size_bytes"`
	SHA256      string    `json:"sha256"`
	Width       int       `json:"width"`
	Height      int       `json:"height"`
	Seconds     float64   `json:"duration_seconds,omitempty"` // clips only
	UploadedAt  time.Time `json:"uploaded_at"`
}

// MediaFor returns segment n's own media, or nil.
func (s *State) MediaFor(n int) *SegmentMedia {
	for i := range s.Media {
		if s.Media[i].Segment == n {
			return &s.Media[i]
		}
	}
	return nil
}

// SetMedia records m as its segment's media (kept sorted by segment) and
// returns the record it replaces, if any.
func (s *State) SetMedia(m SegmentMedia) *SegmentMedia {
	old := s.RemoveMedia(m.Segment)
	i := 0
	for i < len(s.Media) && s.Media[i].Segment < m.Segment {
		i++
	}
	s.Media = append(s.Media, SegmentMedia{})
	copy(s.Media[i+1:], s.Media[i:])
	s.Media[i] = m
	return old
}

// RemoveMedia forgets segment n's media and returns it, or nil.
func (s *State) RemoveMedia(n int) *SegmentMedia {
	for i := range s.Media {
		if s.Media[i].Segment == n {
			old := s.Media[i]
			s.Media = append(s.Media[:i], s.Media[i+1:]...)
			return &old
		}
	}
	return nil
}

// ResetAfterScript sets the assets stage and every later finished one
// back to pending, keeping the assets' checkpoints (whatever did not
// change is reused), and returns the stages it reset. With no active run
// the project's status follows.
func (s *State) ResetAfterScript() []Stage {
	reset := []Stage{}
	for _, name := range Stages[StageAssets.Index():] {
		ss := s.Stages.Get(name)
		if !ss.Status.Finished() {
			continue
		}
		keep := ss.Checkpoints
		*ss = StageState{Status: StagePending}
		if name == StageAssets {
			ss.Checkpoints = keep
		}
		reset = append(reset, name)
	}
	if len(reset) > 0 && s.ActiveRun() == nil {
		s.Status = s.SettledStatus()
		s.Error = nil
	}
	return reset
}
