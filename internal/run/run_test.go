package run

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/project"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// fresh is a project that never ran.
func fresh() *project.State { return project.NewState(7, t0) }

// started is a project with a whole-flow chain run 1, queued at script.
func started() *project.State {
	st := fresh()
	if _, _, err := Start(st, StartOptions{Kind: "chain"}, t0); err != nil {
		panic(err)
	}
	return st
}

// running is started with the script stage running (attempt 1).
func running() *project.State {
	st := started()
	if _, _, _, err := Begin(st, 1, project.StageScript, "p7-r1-script", "h1", 0, t0); err != nil {
		panic(err)
	}
	return st
}

// atLast is a one-stage task run of upload, running.
func atLast() *project.State {
	st := fresh()
	for _, s := range project.Stages[:4] {
		ss := st.Stages.Get(s)
		ss.Status = project.StageCompleted
		ss.Result = json.RawMessage(`{"stage":"` + string(s) + `"}`)
	}
	if _, _, err := Start(st, StartOptions{Kind: "task", Stages: []project.Stage{project.StageUpload}}, t0); err != nil {
		panic(err)
	}
	if _, _, _, err := Begin(st, 1, project.StageUpload, "p7-r1-upload", "h1", 0, t0); err != nil {
		panic(err)
	}
	return st
}

// summary renders effects compactly: type and the fields that matter.
func summary(effects []Effect) string {
	var parts []string
	for _, e := range effects {
		switch e := e.(type) {
		case CreateRecord:
			parts = append(parts, "create "+e.ID)
		case SetRecord:
			parts = append(parts, fmt.Sprintf("set %s=%s", e.ID, e.State))
		case FinishRecord:
			parts = append(parts, fmt.Sprintf("finish %s=%s", e.ID, e.State))
		case Publish:
			fin := ""
			if e.Msg.Final {
				fin = " final"
			}
			parts = append(parts, fmt.Sprintf("publish %s %d %q%s", e.Msg.Stage, e.Msg.Progress, e.Msg.Message, fin))
		case MarkActive:
			parts = append(parts, "active+")
		case UnmarkActive:
			parts = append(parts, "active-")
		case Enqueue:
			parts = append(parts, "enqueue "+e.TaskID)
		case Dequeue:
			parts = append(parts, "dequeue "+e.TaskID)
		case TickBatch:
			parts = append(parts, fmt.Sprintf("tick b%d", e.BatchID))
		case SignalCancel:
			parts = append(parts, "signal")
		default:
			parts = append(parts, fmt.Sprintf("%T", e))
		}
	}
	return strings.Join(parts, "; ")
}

// where renders the state fields the cases check.
func where(st *project.State) string {
	s := string(st.Status)
	if r := st.Run; r != nil {
		s += fmt.Sprintf(" run%d:%s@%s", r.ID, r.State, r.Current)
		if r.PauseRequested {
			s += "+pause"
		}
		if r.CancelRequested {
			s += "+cancel"
		}
	}
	for _, stage := range project.Stages {
		s += " " + string(st.Stages.Get(stage).Status)
	}
	return s
}

func TestTransitions(t *testing.T) {
	boom := errcode.New("GEMINI_UNAVAILABLE", "503", true).WithStage("script")
	cases := []struct {
		name    string
		state   func() *project.State
		event   func(st *project.State) ([]Effect, error)
		err     error // nil, ErrNoChange, or an error with that code
		where   string
		effects string
	}{
		{
			name:  "start a whole flow",
			state: fresh,
			event: func(st *project.State) ([]Effect, error) {
				_, eff, err := Start(st, StartOptions{Kind: "chain"}, t0)
				return eff, err
			},
			where:   "INITIALIZED run1:queued@script queued pending pending pending pending",
			effects: `active+; create p7-r1-chain; enqueue p7-r1-script; publish script_generation 0 "Queued"`,
		},
		{
			name:  "start while a run is active is busy",
			state: started,
			event: func(st *project.State) ([]Effect, error) {
				_, eff, err := Start(st, StartOptions{Kind: "chain"}, t0)
				return eff, err
			},
			err:   errcode.New(errcode.ProjectBusy, "", false),
			where: "INITIALIZED run1:queued@script queued pending pending pending pending",
		},
		{
			name:  "stages out of order are refused",
			state: fresh,
			event: func(st *project.State) ([]Effect, error) {
				_, eff, err := Start(st, StartOptions{Stages: []project.Stage{project.StageRender, project.StageScript}}, t0)
				return eff, err
			},
			err:   errcode.New(errcode.InvalidInput, "", false),
			where: "INITIALIZED pending pending pending pending pending",
		},
		{
			name:  "a one-stage task run has the stage's task as handle",
			state: fresh,
			event: func(st *project.State) ([]Effect, error) {
				_, eff, err := Start(st, StartOptions{Kind: "task", Stages: []project.Stage{project.StageScript}}, t0)
				return eff, err
			},
			where:   "INITIALIZED run1:queued@script queued pending pending pending pending",
			effects: `active+; enqueue p7-r1-script; publish script_generation 0 "Queued"`,
		},
		{
			name:  "begin marks the stage running",
			state: started,
			event: func(st *project.State) ([]Effect, error) {
				_, _, eff, err := Begin(st, 1, project.StageScript, "p7-r1-script", "h1", 2, t0)
				return eff, err
			},
			where:   "SCRIPT_GENERATING run1:running@script running pending pending pending pending",
			effects: "set p7-r1-script=running; set p7-r1-chain=running",
		},
		{
			name:  "a task of an earlier run is skipped",
			state: started,
			event: func(st *project.State) ([]Effect, error) {
				_, _, eff, err := Begin(st, 0, project.StageScript, "p7-r0-script", "h1", 0, t0)
				return eff, err
			},
			err:   ErrNoChange,
			where: "INITIALIZED run1:queued@script queued pending pending pending pending",
		},
		{
			name: "a redelivered finished stage only settles",
			state: func() *project.State {
				st := running()
				Complete(st, 1, project.StageScript, "h1", json.RawMessage(`{}`), false, false, t0)
				return st
			},
			event: func(st *project.State) ([]Effect, error) {
				_, _, eff, err := Begin(st, 1, project.StageScript, "p7-r1-script", "h1", 0, t0)
				return eff, err
			},
			err:     ErrNoChange,
			where:   "SCRIPT_GENERATED run1:running@assets completed queued pending pending pending",
			effects: `enqueue p7-r1-assets; publish asset_generation 10 "Queued"`,
		},
		{
			name: "begin after a cancel request cancels",
			state: func() *project.State {
				st := started()
				st.Run.CancelRequested = true
				return st
			},
			event: func(st *project.State) ([]Effect, error) {
				_, _, eff, err := Begin(st, 1, project.StageScript, "p7-r1-script", "h1", 0, t0)
				return eff, err
			},
			where:   "CANCELLED run1:cancelled@script+cancel cancelled pending pending pending pending",
			effects: `finish p7-r1-chain=cancelled; publish error 0 "Cancelled" final; active-; dequeue p7-r1-script`,
		},
		{
			name: "begin after a pause request pauses",
			state: func() *project.State {
				st := started()
				st.Run.PauseRequested = true
				return st
			},
			event: func(st *project.State) ([]Effect, error) {
				_, _, eff, err := Begin(st, 1, project.StageScript, "p7-r1-script", "h1", 0, t0)
				return eff, err
			},
			where:   "PAUSED run1:paused@script queued pending pending pending pending",
			effects: `set p7-r1-chain=paused; publish script_generation 0 "Paused"`,
		},
		{
			name:  "complete moves on to the next stage",
			state: running,
			event: func(st *project.State) ([]Effect, error) {
				return Complete(st, 1, project.StageScript, "h1", json.RawMessage(`{"ok":true}`), false, false, t0)
			},
			where:   "SCRIPT_GENERATED run1:running@assets completed queued pending pending pending",
			effects: `enqueue p7-r1-assets; publish asset_generation 10 "Queued"`,
		},
		{
			name:  "complete of the last stage ends the run",
			state: atLast,
			event: func(st *project.State) ([]Effect, error) {
				return Complete(st, 1, project.StageUpload, "h1", json.RawMessage(`{"video_id":"v"}`), false, false, t0)
			},
			where:   "COMPLETED run1:succeeded@upload completed completed completed completed completed",
			effects: `finish p7-r1-upload=succeeded; publish completed 100 "Completed" final; active-`,
		},
		{
			name: "a one-stage run ends on its stage, not on a completed project",
			state: func() *project.State {
				st := fresh()
				if _, _, err := Start(st, StartOptions{Kind: "task", Stages: []project.Stage{project.StageScript}}, t0); err != nil {
					panic(err)
				}
				if _, _, _, err := Begin(st, 1, project.StageScript, "p7-r1-script", "h1", 0, t0); err != nil {
					panic(err)
				}
				return st
			},
			event: func(st *project.State) ([]Effect, error) {
				return Complete(st, 1, project.StageScript, "h1", json.RawMessage(`{}`), false, false, t0)
			},
			where:   "SCRIPT_GENERATED run1:succeeded@script completed pending pending pending pending",
			effects: `finish p7-r1-script=succeeded; publish script_generation 100 "Finished script; the project is not complete" final; active-`,
		},
		{
			name: "a chain of some stages ends on its last one",
			state: func() *project.State {
				st := fresh()
				if _, _, err := Start(st, StartOptions{Kind: "chain", Stages: []project.Stage{project.StageScript, project.StageAssets}}, t0); err != nil {
					panic(err)
				}
				Begin(st, 1, project.StageScript, "p7-r1-script", "h1", 0, t0)
				Complete(st, 1, project.StageScript, "h1", json.RawMessage(`{}`), false, false, t0)
				if _, _, _, err := Begin(st, 1, project.StageAssets, "p7-r1-assets", "h1", 0, t0); err != nil {
					panic(err)
				}
				return st
			},
			event: func(st *project.State) ([]Effect, error) {
				return Complete(st, 1, project.StageAssets, "h1", json.RawMessage(`{}`), false, false, t0)
			},
			where:   "ASSETS_GENERATED run1:succeeded@assets completed completed pending pending pending",
			effects: `finish p7-r1-chain=succeeded; publish asset_generation 100 "Finished script, assets; the project is not complete" final; active-`,
		},
		{
			name: "complete with a pause requested pauses before the next stage",
			state: func() *project.State {
				st := running()
				st.Run.PauseRequested = true
				return st
			},
			event: func(st *project.State) ([]Effect, error) {
				return Complete(st, 1, project.StageScript, "h1", json.RawMessage(`{}`), false, false, t0)
			},
			where:   "PAUSED run1:paused@assets completed queued pending pending pending",
			effects: `set p7-r1-chain=paused; publish asset_generation 10 "Paused"`,
		},
		{
			name:  "a script made for review waits for approval",
			state: running,
			event: func(st *project.State) ([]Effect, error) {
				return Complete(st, 1, project.StageScript, "h1", json.RawMessage(`{}`), false, true, t0)
			},
			where:   "SCRIPT_REVIEW run1:paused@assets completed queued pending pending pending",
			effects: `set p7-r1-chain=paused; publish asset_generation 10 "Waiting for you to review and approve the script"`,
		},
		{
			name:  "complete of a replaced run is a conflict",
			state: running,
			event: func(st *project.State) ([]Effect, error) {
				return Complete(st, 9, project.StageScript, "h1", nil, false, false, t0)
			},
			err:   errcode.New(errcode.Conflict, "", false),
			where: "SCRIPT_GENERATING run1:running@script running pending pending pending pending",
		},
		{
			name:  "a failed attempt waits for its retry",
			state: running,
			event: func(st *project.State) ([]Effect, error) {
				e := boom.Clone()
				e.Attempt = 1
				return Fail(st, 1, project.StageScript, "h1", e, false, 2*time.Second, t0)
			},
			where:   "SCRIPT_GENERATING run1:running@script retrying pending pending pending pending",
			effects: `publish script_generation 0 "Attempt 1 failed (GEMINI_UNAVAILABLE); retrying in 2s"; set p7-r1-script=retrying`,
		},
		{
			name:  "a final failure fails the run",
			state: running,
			event: func(st *project.State) ([]Effect, error) {
				return Fail(st, 1, project.StageScript, "h1", boom, true, 0, t0)
			},
			where:   "FAILED run1:failed@script failed pending pending pending pending",
			effects: `finish p7-r1-chain=failed; publish error 0 "GEMINI_UNAVAILABLE: 503" final; active-`,
		},
		{
			name:  "a quota wait keeps the stage waiting",
			state: atLast,
			event: func(st *project.State) ([]Effect, error) {
				return Wait(st, 1, project.StageUpload, "h1", t0.Add(time.Hour), errcode.New(errcode.YouTubeQuotaExceeded, "quota", true), t0)
			},
			where:   "UPLOADING run1:running@upload completed completed completed completed waiting",
			effects: `publish youtube_upload 0 "Waiting until 2026-01-02T04:04:05Z: quota"; set p7-r1-upload=waiting`,
		},
		{
			name:  "an interrupted stage is queued again",
			state: running,
			event: func(st *project.State) ([]Effect, error) {
				return Interrupt(st, 1, project.StageScript, "h1", t0)
			},
			where:   "SCRIPT_GENERATING run1:running@script queued pending pending pending pending",
			effects: `publish script_generation 0 "Interrupted; the stage will run again"`,
		},
		{
			name:  "interrupting a stage that is not running changes nothing",
			state: started,
			event: func(st *project.State) ([]Effect, error) {
				return Interrupt(st, 1, project.StageScript, "", t0)
			},
			err:   ErrNoChange,
			where: "INITIALIZED run1:queued@script queued pending pending pending pending",
		},
		{
			name:  "a newer delivery takes the stage over",
			state: running,
			event: func(st *project.State) ([]Effect, error) {
				_, _, eff, err := Begin(st, 1, project.StageScript, "p7-r1-script", "h2", 0, t0)
				return eff, err
			},
			where:   "SCRIPT_GENERATING run1:running@script running pending pending pending pending",
			effects: "set p7-r1-script=running; set p7-r1-chain=running",
		},
		{
			name: "a stale attempt cannot interrupt the new holder's stage",
			state: func() *project.State {
				st := running()
				Begin(st, 1, project.StageScript, "p7-r1-script", "h2", 0, t0)
				return st
			},
			event: func(st *project.State) ([]Effect, error) {
				return Interrupt(st, 1, project.StageScript, "h1", t0)
			},
			err:   ErrStale,
			where: "SCRIPT_GENERATING run1:running@script running pending pending pending pending",
		},
		{
			name: "a stale attempt cannot complete the new holder's stage",
			state: func() *project.State {
				st := running()
				Begin(st, 1, project.StageScript, "p7-r1-script", "h2", 0, t0)
				return st
			},
			event: func(st *project.State) ([]Effect, error) {
				return Complete(st, 1, project.StageScript, "h1", json.RawMessage(`{}`), false, false, t0)
			},
			err:   ErrStale,
			where: "SCRIPT_GENERATING run1:running@script running pending pending pending pending",
		},
		{
			name: "a stale attempt cannot fail the new holder's stage",
			state: func() *project.State {
				st := running()
				Begin(st, 1, project.StageScript, "p7-r1-script", "h2", 0, t0)
				return st
			},
			event: func(st *project.State) ([]Effect, error) {
				return Fail(st, 1, project.StageScript, "h1", errcode.New("X", "x", true), true, 0, t0)
			},
			err:   ErrStale,
			where: "SCRIPT_GENERATING run1:running@script running pending pending pending pending",
		},
		{
			name: "a stale attempt cannot make the new holder's stage wait",
			state: func() *project.State {
				st := running()
				Begin(st, 1, project.StageScript, "p7-r1-script", "h2", 0, t0)
				return st
			},
			event: func(st *project.State) ([]Effect, error) {
				return Wait(st, 1, project.StageScript, "h1", t0.Add(time.Hour), errcode.New("X", "x", true), t0)
			},
			err:   ErrStale,
			where: "SCRIPT_GENERATING run1:running@script running pending pending pending pending",
		},
		{
			name: "a stale attempt cannot cancel the run",
			state: func() *project.State {
				st := running()
				Begin(st, 1, project.StageScript, "p7-r1-script", "h2", 0, t0)
				return st
			},
			event: func(st *project.State) ([]Effect, error) {
				return Stopped(st, 1, project.StageScript, "h1", t0)
			},
			err:   ErrStale,
			where: "SCRIPT_GENERATING run1:running@script running pending pending pending pending",
		},
		{
			name: "the engine's own reports are not fenced",
			state: func() *project.State {
				st := running()
				Begin(st, 1, project.StageScript, "p7-r1-script", "h2", 0, t0)
				return st
			},
			event: func(st *project.State) ([]Effect, error) {
				return Interrupt(st, 1, project.StageScript, "", t0)
			},
			where:   "SCRIPT_GENERATING run1:running@script queued pending pending pending pending",
			effects: `publish script_generation 0 "Interrupted; the stage will run again"`,
		},
		{
			name:  "cancel of a running stage held by a worker signals it",
			state: running,
			event: func(st *project.State) ([]Effect, error) {
				return RequestCancel(st, true, t0)
			},
			where:   "SCRIPT_GENERATING run1:running@script+cancel running pending pending pending pending",
			effects: "signal",
		},
		{
			name:  "cancel of a queued run cancels at once",
			state: started,
			event: func(st *project.State) ([]Effect, error) {
				return RequestCancel(st, false, t0)
			},
			where:   "CANCELLED run1:cancelled@script+cancel cancelled pending pending pending pending",
			effects: `finish p7-r1-chain=cancelled; publish error 0 "Cancelled" final; active-; dequeue p7-r1-script`,
		},
		{
			name:  "cancel without a run is refused",
			state: fresh,
			event: func(st *project.State) ([]Effect, error) {
				return RequestCancel(st, false, t0)
			},
			err:   errcode.New(CodeNotRunning, "", false),
			where: "INITIALIZED pending pending pending pending pending",
		},
		{
			name: "a stage stopped by a cancel finishes the run",
			state: func() *project.State {
				st := running()
				st.Run.CancelRequested = true
				return st
			},
			event: func(st *project.State) ([]Effect, error) {
				return Stopped(st, 1, project.StageScript, "h1", t0)
			},
			where:   "CANCELLED run1:cancelled@script+cancel cancelled pending pending pending pending",
			effects: `finish p7-r1-chain=cancelled; publish error 0 "Cancelled" final; active-; dequeue p7-r1-script`,
		},
		{
			name: "resume continues a paused run with a fresh task ID",
			state: func() *project.State {
				st := running()
				st.Run.PauseRequested = true
				Complete(st, 1, project.StageScript, "h1", json.RawMessage(`{}`), false, false, t0)
				return st
			},
			event: func(st *project.State) ([]Effect, error) {
				return Resume(st)
			},
			where:   "SCRIPT_GENERATED run1:queued@assets completed queued pending pending pending",
			effects: `set p7-r1-chain=pending; publish asset_generation 10 "Resumed"; enqueue p7-r1-assets-rs1`,
		},
		{
			name:  "resume without a paused run changes nothing",
			state: running,
			event: func(st *project.State) ([]Effect, error) {
				return Resume(st)
			},
			err:   ErrNoChange,
			where: "SCRIPT_GENERATING run1:running@script running pending pending pending pending",
		},
		{
			name: "a requeue after a lost task enqueues it again",
			state: func() *project.State {
				st := running()
				return st
			},
			event: func(st *project.State) ([]Effect, error) {
				return Requeue(st, 1)
			},
			where:   "SCRIPT_GENERATING run1:running@script queued pending pending pending pending",
			effects: `enqueue p7-r1-script; publish script_generation 0 "Queued"`,
		},
		{
			name:  "an aborted start fails the run",
			state: started,
			event: func(st *project.State) ([]Effect, error) {
				return AbortStart(st, 1, errcode.New(errcode.RedisUnavailable, "down", true), t0)
			},
			where:   "INITIALIZED run1:failed@script pending pending pending pending pending",
			effects: "active-",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := tc.state()
			eff, err := tc.event(st)
			switch want := tc.err.(type) {
			case nil:
				if err != nil {
					t.Fatalf("err = %v", err)
				}
			case *errcode.Error:
				if errcode.Code(err) != want.Code {
					t.Fatalf("err = %v; want code %s", err, want.Code)
				}
			default:
				if !errors.Is(err, want) {
					t.Fatalf("err = %v; want %v", err, want)
				}
			}
			if got := where(st); got != tc.where {
				t.Errorf("state\n got %s\nwant %s", got, tc.where)
			}
			if got := summary(eff); got != tc.effects {
				t.Errorf("effects\n got %s\nwant %s", got, tc.effects)
			}
		})
	}
}

// TestPauseRequest covers RequestPause and PauseQueued, which talk to the
// queue in between.
func TestPauseRequest(t *testing.T) {
	st := started()
	task, err := RequestPause(st)
	if err != nil || task != "p7-r1-script" || !st.Run.PauseRequested {
		t.Fatalf("RequestPause = %q, %v (requested %v)", task, err, st.Run.PauseRequested)
	}
	eff, err := PauseQueued(st, 1)
	if err != nil || st.Run.State != project.RunPaused || st.Status != project.Paused {
		t.Fatalf("PauseQueued: %v, %s", err, where(st))
	}
	if got := summary(eff); got != `set p7-r1-chain=paused; publish script_generation 0 "Paused"` {
		t.Fatalf("effects %s", got)
	}
	if _, err := RequestPause(st); !errors.Is(err, ErrNoChange) {
		t.Fatalf("second pause: %v", err)
	}

	st = running()
	if task, err := RequestPause(st); err != nil || task != "" {
		t.Fatalf("pause of a running stage = %q, %v; want no queued task", task, err)
	}
	if err := WithdrawPause(st); err != nil || st.Run.PauseRequested {
		t.Fatalf("WithdrawPause: %v", err)
	}
	if err := WithdrawPause(st); !errors.Is(err, ErrNoChange) {
		t.Fatalf("second withdraw: %v", err)
	}
}

// TestSettleIsRepeatable: settling the same state twice gives the same
// effects (each of which is idempotent).
func TestSettleIsRepeatable(t *testing.T) {
	for _, st := range []*project.State{fresh(), started(), running(), atLast()} {
		if a, b := Settle(st), Settle(st); !reflect.DeepEqual(a, b) {
			t.Fatalf("settle differs: %s vs %s", summary(a), summary(b))
		}
	}
}

func TestProgress(t *testing.T) {
	whole := &project.Run{Stages: project.Stages}
	one := &project.Run{Stages: []project.Stage{project.StageRender}}
	for _, tc := range []struct {
		run   *project.Run
		stage project.Stage
		pct   float64
		want  int
	}{
		{whole, project.StageScript, 0, 0},
		{whole, project.StageScript, 100, 10},
		{whole, project.StageAssets, 50, 27},
		{whole, project.StageUpload, 100, 100},
		{one, project.StageRender, 50, 50},
		{one, project.StageRender, 150, 100},
		{one, project.StageRender, -5, 0},
	} {
		if got := Progress(tc.run, tc.stage, tc.pct); got != tc.want {
			t.Errorf("Progress(%v, %s, %v) = %d; want %d", tc.run.Stages, tc.stage, tc.pct, got, tc.want)
		}
	}
}
