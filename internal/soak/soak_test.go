package soak

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/project"
)

var t0 = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

func ptr(t time.Time) *time.Time { return &t }

// attempt builds one history entry: started at from, ended at to (to < 0:
// still open) with outcome.
func attempt(run int, from, to float64, outcome string) project.Attempt {
	a := project.Attempt{Run: run, StartedAt: at(from), Outcome: outcome}
	if to >= 0 {
		a.FinishedAt = ptr(at(to))
	}
	return a
}

func state(status project.Status, created float64, finished float64, stages map[project.Stage][]project.Attempt) *project.State {
	st := &project.State{Status: status, Run: &project.Run{ID: 1, CreatedAt: at(created)}}
	if finished >= 0 {
		st.Run.FinishedAt = ptr(at(finished))
	}
	for s, h := range stages {
		st.Stages.Get(s).History = h
	}
	return st
}

func TestIdleGap(t *testing.T) {
	done := project.OutcomeCompleted
	cases := []struct {
		name   string
		st     *project.State
		kills  []Kill
		holder int
		end    float64
		want   float64
	}{
		{"no run", &project.State{}, nil, 0, 100, 0},
		{"queued before the first attempt", state(project.Completed, 0, 20, map[project.Stage][]project.Attempt{
			project.StageScript: {attempt(1, 4, 10, done)},
			project.StageAssets: {attempt(1, 11, 20, done)},
		}), nil, 0, 100, 4},
		{"hand-over between stages", state(project.Completed, 0, 30, map[project.Stage][]project.Attempt{
			project.StageScript: {attempt(1, 0, 10, done)},
			project.StageAssets: {attempt(1, 16, 30, done)},
		}), nil, 0, 100, 6},
		{"a dead worker's attempt ends at the kill, not at the next attempt", state(project.Completed, 0, 40, map[project.Stage][]project.Attempt{
			project.StageScript: {attempt(1, 0, 10, done)},
			project.StageAssets: {attempt(1, 10, 25, project.OutcomeInterrupted), attempt(1, 25, 40, done)},
		}), []Kill{{At: at(3), Role: RoleWorker, PID: 7}, {At: at(14), Role: RoleWorker, PID: 7}}, 0, 100, 11},
		{"the holder's own kill counts, not another worker's", state(project.Completed, 0, 40, map[project.Stage][]project.Attempt{
			project.StageScript: {attempt(1, 0, 10, done)},
			project.StageAssets: {attempt(1, 10, 25, project.OutcomeInterrupted), attempt(1, 25, 40, done)},
		}), []Kill{{At: at(12), Role: RoleWorker, PID: 7}, {At: at(20), Role: RoleServe, PID: 8}}, 8, 100, 5},
		{"a Redis kill stops no attempt", state(project.Completed, 0, 40, map[project.Stage][]project.Attempt{
			project.StageAssets: {attempt(1, 0, 25, project.OutcomeInterrupted), attempt(1, 25, 40, done)},
		}), []Kill{{At: at(12), Role: RoleRedis, PID: 9}}, 0, 100, 0},
		{"a kill outside the attempt does not count", state(project.Completed, 0, 40, map[project.Stage][]project.Attempt{
			project.StageScript: {attempt(1, 0, 10, done)},
			project.StageAssets: {attempt(1, 10, 25, project.OutcomeInterrupted), attempt(1, 25, 40, done)},
		}), []Kill{{At: at(30), Role: RoleWorker}}, 0, 100, 0},
		{"attempts of an earlier run are ignored", func() *project.State {
			st := state(project.Completed, 50, 60, map[project.Stage][]project.Attempt{
				project.StageScript: {attempt(1, 0, 5, done)},
			})
			st.Run.ID = 2
			st.Stages.Script.History = append(st.Stages.Script.History, attempt(2, 52, 60, done))
			return st
		}(), nil, 0, 100, 2},
		{"an unfinished run counts to the end of the soak", state(project.Rendering, 0, -1, map[project.Stage][]project.Attempt{
			project.StageScript: {attempt(1, 0, 10, done)},
		}), nil, 0, 100, 90},
		{"an open attempt covers to the end", state(project.Rendering, 0, -1, map[project.Stage][]project.Attempt{
			project.StageScript: {attempt(1, 1, -1, "")},
		}), nil, 0, 100, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			holder := func(project.Stage, project.Attempt) int { return c.holder }
			if got := IdleGap(c.st, NewDeaths(c.kills), holder, at(c.end)); got != time.Duration(c.want*float64(time.Second)) {
				t.Fatalf("IdleGap = %s, want %gs", got, c.want)
			}
		})
	}
}

func TestHolderPID(t *testing.T) {
	for token, want := range map[string]int{
		"p12-r1-render@vm:4242:a3cac683#1f2e3d4c":      4242,
		"p12-r1-render@host:with:colons:77:a3cac683#x": 77,
		"p12-r1-render@vm:notapid:a3#x":                0,
		"no-at-sign":                                   0,
		"":                                             0,
	} {
		if got := HolderPID(token); got != want {
			t.Errorf("HolderPID(%q) = %d, want %d", token, got, want)
		}
	}
}

func TestAnalyze(t *testing.T) {
	done := project.OutcomeCompleted
	ok := func(extra ...project.Attempt) *project.State {
		return state(project.Completed, 0, 30, map[project.Stage][]project.Attempt{
			project.StageScript: append([]project.Attempt{attempt(1, 0, 10, done)}, extra...),
			project.StageUpload: {attempt(1, 11, 30, done)},
		})
	}
	in := Input{
		States: map[int64]*project.State{
			1: ok(),
			2: ok(attempt(1, 10, 11, done)), // the script completed twice
			3: state(project.Failed, 0, 5, nil),
			4: state(project.Uploading, 0, -1, nil),
			5: nil,
			6: ok(),
		},
		Uploads: map[int64]int{1: 1, 2: 2, 3: 0},
		Stray:   1,
		Kills:   []Kill{{At: at(1), Role: RoleWorker}, {At: at(2), Role: RoleWorker}, {At: at(3), Role: RoleRedis}},
		Start:   at(0), End: at(1800),
		PeakRSS: map[string]int64{"serve": 100 << 20},
	}
	r := Analyze(in)
	if r.Projects != 6 || r.Completed != 3 || r.Failed != 1 || r.Lost != 2 {
		t.Fatalf("counts %+v", r)
	}
	if r.MaxStageExecutions != 2 || r.Repeated != 1 || r.CompletedTwice != 1 {
		t.Fatalf("executions: max %d, repeated %d, completed twice %d", r.MaxStageExecutions, r.Repeated, r.CompletedTwice)
	}
	if r.StageMean[project.StageScript] != 7750*time.Millisecond || r.StageMean[project.StageUpload] != 19*time.Second {
		t.Fatalf("stage means %v", r.StageMean)
	}
	if r.UploadedOnce != 1 || r.Duplicates != 1 || r.NotUploaded != 1 || r.Stray != 1 {
		t.Fatalf("uploads: once %d, dup %d, none %d, stray %d", r.UploadedOnce, r.Duplicates, r.NotUploaded, r.Stray)
	}
	if r.LongestIdle != 1800*time.Second || r.LongestIdleProject != 4 {
		t.Fatalf("idle %s on %d", r.LongestIdle, r.LongestIdleProject)
	}
	if r.VideosPerHour != 6 || r.Kills[RoleWorker] != 2 || r.Kills[RoleRedis] != 1 {
		t.Fatalf("vph %v kills %v", r.VideosPerHour, r.Kills)
	}
	if pass, why := r.OK(15 * time.Second); pass || len(why) != 4 {
		t.Fatalf("OK = %v %q", pass, why)
	}
	var b bytes.Buffer
	r.Write(&b)
	for _, want := range []string{"6: 3 completed, 1 failed, 2 lost", "1 projects exactly once, 1 more than once", "serve 100 MiB", "2 worker, 0 serve, 1 redis"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
	good := Analyze(Input{States: map[int64]*project.State{1: ok()}, Uploads: map[int64]int{1: 1}, Start: at(0), End: at(60)})
	if pass, why := good.OK(15 * time.Second); !pass {
		t.Fatalf("a clean soak fails: %q", why)
	}
}
