// Package run is the state machine of a run: a chain of stages on one
// project. It is pure — no Redis, no files, no clock of its own: each
// event takes the project's state (as read under the project's lock) and
// the time, changes the state, and returns the effects that must follow
// once the new state is written (enqueue a stage, publish progress,
// record a task's outcome). package engine applies events under the lock
// and carries the effects out.
//
// Effects are derived from the written state, and each one is idempotent
// (deterministic task IDs, records finished with the same values, a
// second final progress message dropped), so a worker that dies between
// writing and acting leaves a state from which any worker can finish the
// job by settling it again (Settle).
package run

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/taskspec"
	"github.com/ytmaker/ytmaker/progress"
)

// Error codes of the state machine.
const (
	CodeNotRunning       = "PROJECT_NOT_RUNNING"
	CodeAlreadyCompleted = "PROJECT_ALREADY_COMPLETED"
)

// Record states (the task records' own vocabulary).
const (
	RecordPending   = "pending"
	RecordRunning   = "running"
	RecordRetrying  = "retrying"
	RecordWaiting   = "waiting"
	RecordPaused    = "paused"
	RecordSucceeded = "succeeded"
	RecordFailed    = "failed"
	RecordCancelled = "cancelled"
)

// ErrNoChange is returned by an event that leaves the state as it was:
// nothing is to be written.
var ErrNoChange = errors.New("no change")

// Effect is something to do once the new state is written.
type Effect interface{ effect() }

// CreateRecord writes a pending task record (no-op if it exists).
type CreateRecord struct {
	ID, Type, Queue string
	ProjectID       int64
	Run             int
	BatchID         int64
}

// SetRecord records a non-final state of a task.
type SetRecord struct {
	ID, State string
	Retries   int
}

// FinishRecord records a task's final state and wakes its waiters.
type FinishRecord struct {
	ID, State string
	Result    json.RawMessage
	Err       *errcode.Error
}

// Publish sends a progress message. AtLeastFloor raises its progress to
// what the run has already announced.
type Publish struct {
	Msg          progress.Message
	AtLeastFloor bool
}

// MarkActive adds the project to the set of projects with an active run.
type MarkActive struct{ ProjectID int64 }

// UnmarkActive removes the project from that set.
type UnmarkActive struct{ ProjectID int64 }

// Enqueue puts a stage task in the queue (no-op if its ID exists).
type Enqueue struct {
	TaskID    string
	ProjectID int64
	Run       int
	BatchID   int64
	Stage     project.Stage
	Input     json.RawMessage
}

// Dequeue removes a stage task that still waits in the queue; if it was
// removed, its record is finished as cancelled with Err.
type Dequeue struct {
	TaskID string
	Err    *errcode.Error
}

// TickBatch tells the batch a project of it has finished.
type TickBatch struct{ BatchID int64 }

// SignalCancel tells the worker running the project's stage to stop.
type SignalCancel struct {
	ProjectID int64
	Run       int
}

func (CreateRecord) effect() {}
func (SetRecord) effect()    {}
func (FinishRecord) effect() {}
func (Publish) effect()      {}
func (MarkActive) effect()   {}
func (UnmarkActive) effect() {}
func (Enqueue) effect()      {}
func (Dequeue) effect()      {}
func (TickBatch) effect()    {}
func (SignalCancel) effect() {}

// Busy is the PROJECT_BUSY error for a project that already has run r.
func Busy(r *project.Run) *errcode.Error {
	return errcode.Newf(errcode.ProjectBusy, false, "project already has run %d (%s)", r.ID, r.State).
		WithDetail("handle_id", r.HandleID).WithDetail("run", r.ID).WithDetail("state", string(r.State))
}

// BusyRun returns the active run's handle carried by a PROJECT_BUSY error.
func BusyRun(err error) (handleID string, ok bool) {
	e, isCoded := errcode.As(err)
	if !isCoded || e.Code != errcode.ProjectBusy {
		return "", false
	}
	h, _ := e.Details["handle_id"].(string)
	return h, h != ""
}

// Progress converts a stage's own progress (0-100) into the run's
// progress: each stage of the run owns a share proportional to its weight.
func Progress(r *project.Run, s project.Stage, stagePct float64) int {
	total, base := 0, 0
	for _, v := range r.Stages {
		total += v.Weight()
	}
	for _, v := range r.Stages {
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

// TaskID is the ID of the task of the run's current stage.
func TaskID(projectID int64, r *project.Run) string {
	return taskspec.StageTaskID(projectID, r.ID, r.Current, r.Resumes)
}

// inputFor returns the result of the stage before s (what s consumes).
func inputFor(st *project.State, s project.Stage) json.RawMessage {
	i := s.Index()
	if i <= 0 {
		return nil
	}
	return st.Stages.Get(project.Stages[i-1]).Result
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

// Start creates a run. It fails with PROJECT_BUSY while another run is
// active, and with PROJECT_ALREADY_COMPLETED when asked to go on from the
// first unfinished stage of a finished project.
func Start(st *project.State, opts StartOptions, now time.Time) (*project.Run, []Effect, error) {
	if opts.Kind == "" {
		opts.Kind = "chain"
	}
	for i, s := range opts.Stages {
		if !s.Valid() {
			return nil, nil, errcode.Newf(errcode.InvalidInput, false, "unknown stage %q", s)
		}
		if i > 0 && s.Index() <= opts.Stages[i-1].Index() {
			return nil, nil, errcode.New(errcode.InvalidInput, "stages must be in pipeline order", false)
		}
	}
	if opts.Kind == "task" && len(opts.Stages) != 1 {
		return nil, nil, errcode.New(errcode.InvalidInput, "a task run has exactly one stage", false)
	}
	if r := st.ActiveRun(); r != nil {
		return nil, nil, Busy(r)
	}
	stages := opts.Stages
	if len(stages) == 0 {
		first := st.FirstUnfinished()
		if first == "" {
			return nil, nil, errcode.New(CodeAlreadyCompleted, "project is already completed; start a chain with explicit stages to make it again", false)
		}
		stages = project.Stages[first.Index():]
	}
	now = now.UTC()
	st.RunSeq++
	r := &project.Run{ID: st.RunSeq, Kind: opts.Kind, Stages: stages, State: project.RunQueued,
		Current: stages[0], BatchID: opts.BatchID, CreatedAt: now}
	if opts.Kind == "task" {
		r.HandleID = taskspec.StageTaskID(st.ProjectID, r.ID, stages[0], 0)
	} else {
		r.HandleID = taskspec.ChainHandleID(st.ProjectID, r.ID)
	}
	for i, s := range stages {
		ss := st.Stages.Get(s)
		if ss.Status.Finished() {
			// Made again from scratch: forget its sub-step checkpoints.
			ss.Checkpoints = nil
		}
		ss.Run = r.ID
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
	// Later stages outside the run were made from what this run replaces:
	// they must be made again.
	for _, s := range project.Stages[stages[0].Index()+1:] {
		if !r.Contains(s) {
			ss := st.Stages.Get(s)
			if ss.Status != project.StagePending {
				*ss = project.StageState{Status: project.StagePending}
			}
		}
	}
	st.Run = r
	st.Error = nil
	st.Status = st.SettledStatus()

	pid := st.ProjectID
	effects := []Effect{MarkActive{pid}}
	if r.Kind == "chain" {
		effects = append(effects, CreateRecord{ID: r.HandleID, Type: "chain", Queue: taskspec.QueueVideo,
			ProjectID: pid, Run: r.ID, BatchID: r.BatchID})
	}
	effects = append(effects,
		Enqueue{TaskID: TaskID(pid, r), ProjectID: pid, Run: r.ID, BatchID: r.BatchID, Stage: r.Current, Input: inputFor(st, r.Current)},
		Publish{Msg: progress.Message{ProjectID: pid, Run: r.ID, Stage: r.Current.ProgressName(), Progress: 0,
			Message: "Queued", Status: string(st.Status), TaskID: r.HandleID}})
	return r, effects, nil
}

// AbortStart fails run runID whose first stage could not be enqueued, so
// the project is not left "queued" with nothing in the queue.
func AbortStart(st *project.State, runID int, cause *errcode.Error, now time.Time) ([]Effect, error) {
	r := st.Run
	if r == nil || r.ID != runID {
		return nil, ErrNoChange
	}
	now = now.UTC()
	r.State = project.RunFailed
	r.Error = cause
	r.FinishedAt = &now
	st.Stages.Get(r.Current).Status = project.StagePending
	st.Status = st.SettledStatus()
	return []Effect{UnmarkActive{st.ProjectID}}, nil
}

// Action tells a stage handler what to do with a delivered task.
type Action int

// Actions.
const (
	ActRun       Action = iota // run the stage
	ActSkip                    // stale or superseded task: do nothing
	ActSettled                 // already done; side effects are re-applied
	ActPaused                  // the run paused before this stage started
	ActCancelled               // the run was cancelled before this stage started
)

// Begin decides what a delivered task of stage s of run runID must do
// and, when it must run, marks the stage running (attempt = retry+1). It
// returns ErrNoChange (with the action) when nothing is to be written.
//
// holder is the fencing token of this delivery: every later report of the
// attempt (Complete, Fail, Wait, Interrupt, Stopped) must carry it, and
// one that carries another token gets ErrStale.
func Begin(st *project.State, runID int, s project.Stage, taskID, holder string, retry int, now time.Time) (Action, string, []Effect, error) {
	r := st.Run
	ss := st.Stages.Get(s)
	switch {
	case r == nil || r.ID != runID:
		return ActSkip, "task belongs to an earlier run", nil, ErrNoChange
	case ss.Run == r.ID && ss.Status.Finished():
		return ActSettled, "stage already finished", Settle(st), ErrNoChange
	case !r.State.Active():
		return ActSkip, "run is " + string(r.State), nil, ErrNoChange
	case r.State == project.RunPaused:
		return ActSkip, "run is paused", nil, ErrNoChange
	case r.Current != s:
		return ActSkip, "run is at stage " + string(r.Current), nil, ErrNoChange
	case r.CancelRequested:
		cancel(st, now)
		return ActCancelled, "", Settle(st), nil
	case r.PauseRequested:
		pause(st)
		return ActPaused, "", Settle(st), nil
	}
	now = now.UTC()
	if r.StartedAt == nil {
		r.StartedAt = &now
	}
	r.State = project.RunRunning
	ss.Status = project.StageRunning
	ss.Attempts = retry + 1
	ss.TaskID = taskID
	ss.Holder = holder
	ss.Run = r.ID
	ss.StartedAt = &now
	ss.FinishedAt = nil
	ss.WaitUntil = nil
	ss.BeginAttempt(now, r.ID, retry+1, taskID)
	st.Status = s.RunningStatus()
	st.Error = nil
	effects := []Effect{SetRecord{ID: taskID, State: RecordRunning, Retries: retry}}
	if r.Kind == "chain" {
		effects = append(effects, SetRecord{ID: r.HandleID, State: RecordRunning})
	}
	return ActRun, "", effects, nil
}

func pause(st *project.State) {
	st.Run.State = project.RunPaused
	st.Run.PauseRequested = false
	st.Stages.Get(st.Run.Current).Status = project.StageQueued
	st.Status = project.Paused
}

func cancel(st *project.State, now time.Time) {
	now = now.UTC()
	r := st.Run
	r.State = project.RunCancelled
	r.FinishedAt = &now
	r.Error = errcode.New(errcode.Cancelled, "cancelled by the user", false)
	for _, s := range r.Stages {
		ss := st.Stages.Get(s)
		switch ss.Status {
		case project.StageQueued, project.StageRunning, project.StageRetrying, project.StageWaiting:
			ss.Status = project.StageCancelled
			ss.FinishedAt = &now
			ss.EndAttempt(now, project.OutcomeCancelled, r.Error)
		}
	}
	st.Status = project.Cancelled
	st.Error = r.Error
}

// ErrStale is returned for a report from a stage attempt that no longer
// holds its stage: another delivery began it since (the first one was
// frozen or cut off past its lock's expiry). The stale attempt must stop
// without writing anything, since the stage belongs to the newer one.
var ErrStale = errors.New("run: a newer attempt holds this stage")

// fence returns ErrStale unless holder began stage s's current attempt.
// An empty holder is a report from the engine itself, not from an
// attempt, and is never fenced.
func fence(st *project.State, s project.Stage, holder string) error {
	if holder != "" && st.Stages.Get(s).Holder != holder {
		return ErrStale
	}
	return nil
}

// errRunChanged is returned when a stage reports on a run that is no
// longer the project's run.
func errRunChanged() error {
	return errcode.New(errcode.Conflict, "the run changed while the stage ran", false)
}

// Complete records stage s's result and moves the run on: to the next
// stage, to paused (if asked, or for a script review), or to its end.
// review says the project wants its script reviewed before the run goes
// on (Settings.ReviewScript); it matters only after the script stage.
func Complete(st *project.State, runID int, s project.Stage, holder string, result json.RawMessage, skipped, review bool, now time.Time) ([]Effect, error) {
	if err := fence(st, s, holder); err != nil {
		return nil, err
	}
	r := st.Run
	if r == nil || r.ID != runID {
		return nil, errRunChanged()
	}
	now = now.UTC()
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
	r.Progress = max(r.Progress, Progress(r, s, 100))
	next := r.Next(s)
	switch {
	case r.CancelRequested:
		cancel(st, now)
	case next == "":
		r.State = project.RunSucceeded
		r.FinishedAt = &now
		r.Result = result
		r.Progress = 100
	case r.PauseRequested:
		r.Current = next
		pause(st)
	case review && s == project.StageScript:
		// The user reads (and may edit) the script before anything is
		// spent on it; approving continues the run.
		r.Current = next
		pause(st)
		st.Status = project.ScriptReview
	default:
		r.Current = next
		st.Stages.Get(next).Status = project.StageQueued
	}
	return Settle(st), nil
}

// Fail records a failed attempt of stage s. When final, the stage and the
// run fail; otherwise the stage waits for its retry in retryIn.
func Fail(st *project.State, runID int, s project.Stage, holder string, ce *errcode.Error, final bool, retryIn time.Duration, now time.Time) ([]Effect, error) {
	if err := fence(st, s, holder); err != nil {
		return nil, err
	}
	r := st.Run
	if r == nil || r.ID != runID {
		return nil, errRunChanged()
	}
	ss := st.Stages.Get(s)
	ss.Error = ce
	now = now.UTC()
	ss.EndAttempt(now, project.OutcomeFailed, ce)
	if final {
		ss.Status = project.StageFailed
		ss.FinishedAt = &now
		r.State = project.RunFailed
		r.Error = ce
		r.FinishedAt = &now
		st.Status = project.Failed
		st.Error = ce
		return Settle(st), nil
	}
	ss.Status = project.StageRetrying
	msg := fmt.Sprintf("Attempt %d failed (%s); retrying in %s", ce.Attempt, ce.Code, retryIn.Round(time.Second))
	return []Effect{
		Publish{Msg: progress.Message{ProjectID: st.ProjectID, Run: runID, Stage: s.ProgressName(), Progress: r.Progress,
			Message: msg, Status: string(st.Status), Error: ce, TaskID: ss.TaskID}, AtLeastFloor: true},
		SetRecord{ID: ss.TaskID, State: RecordRetrying, Retries: ce.Attempt},
	}, nil
}

// Wait records that stage s runs again at until without a failed attempt
// (a quota wait).
func Wait(st *project.State, runID int, s project.Stage, holder string, until time.Time, why *errcode.Error, now time.Time) ([]Effect, error) {
	if err := fence(st, s, holder); err != nil {
		return nil, err
	}
	r := st.Run
	if r == nil || r.ID != runID {
		return nil, ErrNoChange
	}
	ss := st.Stages.Get(s)
	ss.Status = project.StageWaiting
	u := until.UTC()
	ss.WaitUntil = &u
	ss.Error = why
	ss.EndAttempt(now.UTC(), project.OutcomeWaiting, why)
	msg := fmt.Sprintf("Waiting until %s: %s", u.Format(time.RFC3339), why.Message)
	return []Effect{
		Publish{Msg: progress.Message{ProjectID: st.ProjectID, Run: runID, Stage: s.ProgressName(), Progress: r.Progress,
			Message: msg, Status: string(st.Status), Error: why, TaskID: ss.TaskID}, AtLeastFloor: true},
		SetRecord{ID: ss.TaskID, State: RecordWaiting, Retries: ss.Attempts},
	}, nil
}

// Interrupt records that running stage s was stopped by a shutdown or a
// lost lease: its task is back in the queue and will run again.
func Interrupt(st *project.State, runID int, s project.Stage, holder string, now time.Time) ([]Effect, error) {
	if err := fence(st, s, holder); err != nil {
		return nil, err
	}
	r := st.Run
	if r == nil || r.ID != runID || st.Stages.Get(s).Status != project.StageRunning {
		return nil, ErrNoChange
	}
	st.Stages.Get(s).Status = project.StageQueued
	st.Stages.Get(s).EndAttempt(now.UTC(), project.OutcomeInterrupted, nil)
	return []Effect{Publish{Msg: progress.Message{ProjectID: st.ProjectID, Run: runID, Stage: s.ProgressName(),
		Progress: r.Progress, Message: "Interrupted; the stage will run again", Status: string(st.Status)}, AtLeastFloor: true}}, nil
}

// Stopped finishes run runID as cancelled after its running stage stopped
// because the user cancelled it.
//
// holder fences the report like Complete's; s is the stage that stopped.
func Stopped(st *project.State, runID int, s project.Stage, holder string, now time.Time) ([]Effect, error) {
	if err := fence(st, s, holder); err != nil {
		return nil, err
	}
	if st.Run == nil || st.Run.ID != runID || !st.Run.State.Active() {
		return Settle(st), ErrNoChange
	}
	cancel(st, now)
	return Settle(st), nil
}

// RequestPause asks the active run to stop after its current stage. The
// returned task ID is the current stage's task when it still waits in the
// queue: removing it from the queue lets the run pause at once
// (PauseQueued).
func RequestPause(st *project.State) (queuedTask string, err error) {
	r := st.ActiveRun()
	if r == nil {
		return "", errcode.New(CodeNotRunning, "project has no active run to pause", false)
	}
	if r.State == project.RunPaused {
		return "", ErrNoChange
	}
	r.PauseRequested = true
	if st.Stages.Get(r.Current).Status == project.StageQueued {
		queuedTask = TaskID(st.ProjectID, r)
	}
	return queuedTask, nil
}

// PauseQueued pauses run runID whose current stage was taken out of the
// queue before it started.
func PauseQueued(st *project.State, runID int) ([]Effect, error) {
	if st.Run == nil || st.Run.ID != runID || !st.Run.State.Active() || st.Run.State == project.RunPaused {
		return nil, ErrNoChange
	}
	pause(st)
	return Settle(st), nil
}

// WithdrawPause cancels a pause that was asked for but has not happened
// yet: the run goes on to its end.
func WithdrawPause(st *project.State) error {
	r := st.ActiveRun()
	if r == nil || r.State == project.RunPaused || !r.PauseRequested {
		return ErrNoChange
	}
	r.PauseRequested = false
	return nil
}

// Resume continues a paused run from its current stage. ErrNoChange means
// there is no paused run.
func Resume(st *project.State) ([]Effect, error) {
	r := st.Run
	if r == nil || r.State != project.RunPaused {
		return nil, ErrNoChange
	}
	r.State = project.RunQueued
	r.Resumes++
	r.PauseRequested = false
	st.Stages.Get(r.Current).Status = project.StageQueued
	st.Status = st.SettledStatus()
	var effects []Effect
	if r.Kind == "chain" {
		effects = append(effects, SetRecord{ID: r.HandleID, State: RecordPending})
	}
	effects = append(effects, Publish{Msg: progress.Message{ProjectID: st.ProjectID, Run: r.ID, Stage: r.Current.ProgressName(),
		Progress: r.Progress, Message: "Resumed", Status: string(st.Status), TaskID: r.HandleID}, AtLeastFloor: true})
	return append(effects, Settle(st)...), nil
}

// RequestCancel stops the active run. When a worker runs its stage
// (running, lock held), the worker is signalled and finishes the cancel;
// otherwise the run is cancelled here.
func RequestCancel(st *project.State, lockHeld bool, now time.Time) ([]Effect, error) {
	r := st.ActiveRun()
	if r == nil {
		return nil, errcode.New(CodeNotRunning, "project has no active run to cancel", false)
	}
	r.CancelRequested = true
	if r.State == project.RunRunning && lockHeld {
		return []Effect{SignalCancel{ProjectID: st.ProjectID, Run: r.ID}}, nil
	}
	cancel(st, now)
	return Settle(st), nil
}

// Requeue marks the current stage of the active run queued again, after
// its task was found missing from the queue (a crash or a Redis data
// loss).
func Requeue(st *project.State, runID int) ([]Effect, error) {
	if st.Run == nil || st.Run.ID != runID || !st.Run.State.Active() {
		return nil, ErrNoChange
	}
	st.Stages.Get(st.Run.Current).Status = project.StageQueued
	return Settle(st), nil
}

// Settle returns the effects that follow from a written state. Applying
// them twice does no harm.
func Settle(st *project.State) []Effect {
	r := st.Run
	if r == nil {
		return nil
	}
	pid := st.ProjectID
	final := func(state string, e *errcode.Error, msg progress.Message, floor bool) []Effect {
		out := []Effect{
			FinishRecord{ID: r.HandleID, State: state, Result: r.Result, Err: e},
			Publish{Msg: msg, AtLeastFloor: floor},
			UnmarkActive{pid},
		}
		if r.BatchID != 0 {
			out = append(out, TickBatch{r.BatchID})
		}
		return out
	}
	switch r.State {
	case project.RunSucceeded:
		return final(RecordSucceeded, nil, succeeded(st), false)
	case project.RunFailed:
		return final(RecordFailed, r.Error, progress.Message{ProjectID: pid, Run: r.ID, Stage: progress.StageError,
			Progress: r.Progress, Final: true, Message: errMessage(r.Error), Status: string(st.Status),
			Error: r.Error, TaskID: r.HandleID}, true)
	case project.RunCancelled:
		// Also remove the current stage's task if it still waits in the queue.
		return append(final(RecordCancelled, r.Error, progress.Message{ProjectID: pid, Run: r.ID, Stage: progress.StageError,
			Progress: r.Progress, Final: true, Message: "Cancelled", Status: string(st.Status),
			Error: r.Error, TaskID: r.HandleID}, true),
			Dequeue{TaskID: TaskID(pid, r), Err: r.Error})
	case project.RunPaused:
		var out []Effect
		if r.Kind == "chain" {
			out = append(out, SetRecord{ID: r.HandleID, State: RecordPaused})
		}
		msg := "Paused"
		if st.Status == project.ScriptReview {
			msg = "Waiting for you to review and approve the script"
		}
		return append(out, Publish{Msg: progress.Message{ProjectID: pid, Run: r.ID, Stage: r.Current.ProgressName(),
			Progress: r.Progress, Message: msg, Status: string(st.Status), TaskID: r.HandleID}, AtLeastFloor: true})
	case project.RunQueued, project.RunRunning:
		if st.Stages.Get(r.Current).Status != project.StageQueued {
			return nil
		}
		out := []Effect{Enqueue{TaskID: TaskID(pid, r), ProjectID: pid, Run: r.ID, BatchID: r.BatchID,
			Stage: r.Current, Input: inputFor(st, r.Current)}}
		if r.State == project.RunRunning {
			out = append(out, Publish{Msg: progress.Message{ProjectID: pid, Run: r.ID, Stage: r.Current.ProgressName(),
				Progress: r.Progress, Message: "Queued", Status: string(st.Status), TaskID: r.HandleID}})
		}
		return out
	}
	return nil
}

// succeeded is the final message of a run that succeeded. Only a run that
// leaves the whole project complete says "completed"; a run of some
// stages (one task, or a chain of a few) ends on its last stage, 100 % of
// the run, with the project's status.
func succeeded(st *project.State) progress.Message {
	r := st.Run
	m := progress.Message{ProjectID: st.ProjectID, Run: r.ID, Stage: progress.StageCompleted,
		Progress: 100, Final: true, Message: "Completed", Status: string(st.Status), TaskID: r.HandleID}
	if st.Status != project.Completed {
		names := make([]string, len(r.Stages))
		for i, s := range r.Stages {
			names[i] = string(s)
		}
		m.Stage = r.Current.ProgressName()
		m.Message = "Finished " + strings.Join(names, ", ") + "; the project is not complete"
	}
	return m
}

func errMessage(e *errcode.Error) string {
	if e == nil {
		return "Failed"
	}
	return e.Error()
}
