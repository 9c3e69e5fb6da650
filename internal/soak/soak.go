// Package soak turns what a kill-soak observed — the projects' final
// states, the uploads the YouTube fake received, the processes it killed
// and their memory — into a report: how many projects completed, failed
// or were lost, how often stages ran, whether any video was uploaded
// twice, the longest time a project sat with no worker on it, throughput
// and peak RSS per process. It is pure: the soak itself (which starts and
// kills `ytmaker serve` and `ytmaker worker`) lives with the command's
// tests and `make soak`.
package soak

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/internal/project"
)

// Process roles the soak kills.
const (
	RoleWorker = "worker"
	RoleServe  = "serve"
	RoleRedis  = "redis"
)

// Kill is one kill -9 the soak sent.
type Kill struct {
	At   time.Time
	Role string // RoleWorker, RoleServe or RoleRedis
	Name string // e.g. "worker-2"
	PID  int
}

// Input is what the soak observed.
type Input struct {
	// States holds the final state of every project the soak submitted;
	// a nil state is a project whose state could not be read.
	States map[int64]*project.State
	// Uploads counts the videos the YouTube fake stored for each project.
	Uploads map[int64]int
	// Stray counts uploads that belong to no submitted project.
	Stray int
	Kills []Kill
	// Start and End bound the soak: submission to the last project
	// settling (or the deadline).
	Start, End time.Time
	// PeakRSS is the largest resident set seen per process name, in bytes.
	PeakRSS map[string]int64
	// Holders names the process that ran an attempt (its PID), for the
	// attempts the soak saw running.
	Holders map[AttemptKey]int
}

// AttemptKey names one attempt of a project's stage.
type AttemptKey struct {
	Project int64
	Stage   project.Stage
	Started int64 // the attempt's start, Unix nanoseconds
}

// KeyOf returns the key of attempt a of project id's stage s.
func KeyOf(id int64, s project.Stage, a project.Attempt) AttemptKey {
	return AttemptKey{Project: id, Stage: s, Started: a.StartedAt.UnixNano()}
}

// HolderPID returns the PID in a stage's holder token
// ("TASK@HOST:PID:NONCE#NONCE"), or 0.
func HolderPID(token string) int {
	i := strings.LastIndexByte(token, '@')
	if i < 0 {
		return 0
	}
	inst, _, _ := strings.Cut(token[i+1:], "#")
	f := strings.Split(inst, ":")
	if len(f) < 3 {
		return 0
	}
	pid, err := strconv.Atoi(f[len(f)-2])
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// Deaths is when the soak killed processes that run tasks.
type Deaths struct {
	All   []time.Time         // sorted
	ByPID map[int][]time.Time // sorted
}

// NewDeaths indexes the kills of processes that run tasks (workers and
// serve; a Redis kill leaves them running).
func NewDeaths(kills []Kill) Deaths {
	d := Deaths{ByPID: map[int][]time.Time{}}
	for _, k := range kills {
		if k.Role == RoleRedis {
			continue
		}
		d.All = append(d.All, k.At)
		d.ByPID[k.PID] = append(d.ByPID[k.PID], k.At)
	}
	slices.SortFunc(d.All, func(a, b time.Time) int { return a.Compare(b) })
	return d
}

// first returns the first of ts within [from, to), or to.
func first(ts []time.Time, from, to time.Time) time.Time {
	i := sort.Search(len(ts), func(i int) bool { return !ts[i].Before(from) })
	if i < len(ts) && ts[i].Before(to) {
		return ts[i]
	}
	return to
}

// Report is the soak's outcome.
type Report struct {
	Projects  int
	Completed int
	Failed    int
	Lost      int     // neither completed nor failed when the soak ended
	LostIDs   []int64 // first few
	FailedIDs []int64 // first few

	// MaxStageExecutions is the most attempts any stage of any project
	// took; Repeated counts projects with a stage that ran more than once.
	MaxStageExecutions int
	Repeated           int
	// CompletedTwice counts stages that completed more than once (a side
	// effect repeated); it must be 0.
	CompletedTwice int
	// Interrupted counts attempts cut short (by a kill, a lost lock or a
	// shutdown) and run again.
	Interrupted int
	// StageMean is the mean time of a completed attempt, per stage.
	StageMean map[project.Stage]time.Duration

	// Uploads per project as the fake YouTube counted them.
	UploadedOnce int
	NotUploaded  int // completed projects without a video
	Duplicates   int // projects with more than one video
	Stray        int

	LongestIdle        time.Duration
	LongestIdleProject int64

	Wall          time.Duration
	VideosPerHour float64
	Kills         map[string]int
	PeakRSS       map[string]int64
}

// Analyze computes the report.
func Analyze(in Input) Report {
	r := Report{Projects: len(in.States), Stray: in.Stray, Kills: map[string]int{}, PeakRSS: in.PeakRSS,
		Wall: in.End.Sub(in.Start), StageMean: map[project.Stage]time.Duration{}}
	stageTime, stageDone := map[project.Stage]time.Duration{}, map[project.Stage]int{}
	for _, k := range in.Kills {
		r.Kills[k.Role]++
	}
	deaths := NewDeaths(in.Kills)
	ids := make([]int64, 0, len(in.States))
	for id := range in.States {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		st := in.States[id]
		switch {
		case st != nil && st.Status == project.Completed:
			r.Completed++
		case st != nil && st.Status == project.Failed:
			r.Failed++
			if len(r.FailedIDs) < 10 {
				r.FailedIDs = append(r.FailedIDs, id)
			}
		default:
			r.Lost++
			if len(r.LostIDs) < 10 {
				r.LostIDs = append(r.LostIDs, id)
			}
		}
		if st == nil {
			continue
		}
		repeated := false
		for _, s := range project.Stages {
			ss := st.Stages.Get(s)
			n, done := len(ss.History), 0
			for _, a := range ss.History {
				switch a.Outcome {
				case project.OutcomeCompleted:
					done++
					if a.FinishedAt != nil {
						stageTime[s] += a.FinishedAt.Sub(a.StartedAt)
						stageDone[s]++
					}
				case project.OutcomeInterrupted:
					r.Interrupted++
				}
			}
			r.MaxStageExecutions = max(r.MaxStageExecutions, n)
			if n > 1 {
				repeated = true
			}
			if done > 1 {
				r.CompletedTwice++
			}
		}
		if repeated {
			r.Repeated++
		}
		switch n := in.Uploads[id]; {
		case n == 1:
			r.UploadedOnce++
		case n > 1:
			r.Duplicates++
		case st.Status == project.Completed:
			r.NotUploaded++
		}
		holders := func(s project.Stage, a project.Attempt) int { return in.Holders[KeyOf(id, s, a)] }
		if gap := IdleGap(st, deaths, holders, in.End); gap > r.LongestIdle {
			r.LongestIdle, r.LongestIdleProject = gap, id
		}
	}
	for s, n := range stageDone {
		r.StageMean[s] = stageTime[s] / time.Duration(n)
	}
	if r.Wall > 0 {
		r.VideosPerHour = float64(r.Completed) / r.Wall.Hours()
	}
	return r
}

// IdleGap is the longest stretch of the project's latest run during which
// no attempt of any stage was running: from the run's creation to the
// first attempt, between attempts (a stage handing over to the next, a
// retry waiting, a dead worker's task waiting to be taken up) and from the
// last attempt to the run's end (end when it has not ended).
//
// An attempt's record is closed as interrupted only when the next attempt
// begins, so the record alone would hide the time a dead worker's task
// waited: an interrupted attempt ends when the process that held it was
// killed (holder gives its PID, 0 when unknown). When the holder is not
// known, the first kill within the attempt is taken, which may be another
// process's and makes the gap longer, never shorter.
func IdleGap(st *project.State, deaths Deaths, holder func(project.Stage, project.Attempt) int, end time.Time) time.Duration {
	run := st.Run
	if run == nil {
		return 0
	}
	type span struct{ from, to time.Time }
	spanEnd := end
	if run.FinishedAt != nil {
		spanEnd = *run.FinishedAt
	}
	var busy []span
	for _, s := range project.Stages {
		for _, a := range st.Stages.Get(s).History {
			if a.Run != run.ID {
				continue
			}
			to := spanEnd
			if a.FinishedAt != nil {
				to = *a.FinishedAt
			}
			if a.Outcome == project.OutcomeInterrupted {
				if pid := holder(s, a); pid > 0 {
					to = first(deaths.ByPID[pid], a.StartedAt, to)
				} else {
					to = first(deaths.All, a.StartedAt, to)
				}
			}
			busy = append(busy, span{a.StartedAt, to})
		}
	}
	slices.SortFunc(busy, func(a, b span) int { return a.from.Compare(b.from) })
	var longest time.Duration
	covered := run.CreatedAt
	for _, b := range busy {
		if gap := b.from.Sub(covered); gap > longest {
			longest = gap
		}
		if b.to.After(covered) {
			covered = b.to
		}
	}
	if gap := spanEnd.Sub(covered); gap > longest {
		longest = gap
	}
	return longest
}

// OK reports whether the soak met its bar: every project completed, none
// lost, exactly one upload each, no stage's work completed twice, and no
// project idle longer than maxIdle. The reasons say what failed.
func (r Report) OK(maxIdle time.Duration) (bool, []string) {
	var why []string
	if r.Completed != r.Projects {
		why = append(why, fmt.Sprintf("%d of %d projects completed (failed %v, lost %v)", r.Completed, r.Projects, r.FailedIDs, r.LostIDs))
	}
	if r.UploadedOnce != r.Projects || r.Duplicates > 0 || r.Stray > 0 {
		why = append(why, fmt.Sprintf("uploads: %d projects with exactly one, %d with more, %d stray", r.UploadedOnce, r.Duplicates, r.Stray))
	}
	if r.CompletedTwice > 0 {
		why = append(why, fmt.Sprintf("%d stages completed twice", r.CompletedTwice))
	}
	if r.LongestIdle > maxIdle {
		why = append(why, fmt.Sprintf("project %d sat %s with no worker on it (bound %s)", r.LongestIdleProject, r.LongestIdle.Round(100*time.Millisecond), maxIdle))
	}
	return len(why) == 0, why
}

// Write prints the report as a small table.
func (r Report) Write(w io.Writer) {
	fmt.Fprintf(w, "projects            %d: %d completed, %d failed, %d lost\n", r.Projects, r.Completed, r.Failed, r.Lost)
	fmt.Fprintf(w, "stage executions    at most %d per stage; %d projects ran a stage more than once; %d stages completed twice\n",
		r.MaxStageExecutions, r.Repeated, r.CompletedTwice)
	fmt.Fprintf(w, "interrupted         %d attempts cut short and run again\n", r.Interrupted)
	var means []string
	for _, s := range project.Stages {
		if d, ok := r.StageMean[s]; ok {
			means = append(means, fmt.Sprintf("%s %.1fs", s, d.Seconds()))
		}
	}
	fmt.Fprintf(w, "mean stage time     %s\n", strings.Join(means, ", "))
	fmt.Fprintf(w, "YouTube uploads     %d projects exactly once, %d more than once, %d completed without one, %d stray\n",
		r.UploadedOnce, r.Duplicates, r.NotUploaded, r.Stray)
	fmt.Fprintf(w, "longest idle gap    %s (project %d)\n", r.LongestIdle.Round(100*time.Millisecond), r.LongestIdleProject)
	fmt.Fprintf(w, "kills (kill -9)     %d worker, %d serve, %d redis\n", r.Kills[RoleWorker], r.Kills[RoleServe], r.Kills[RoleRedis])
	fmt.Fprintf(w, "wall time           %s\n", r.Wall.Round(time.Second))
	fmt.Fprintf(w, "videos per hour     %.1f\n", r.VideosPerHour)
	names := make([]string, 0, len(r.PeakRSS))
	for n := range r.PeakRSS {
		names = append(names, n)
	}
	slices.Sort(names)
	parts := make([]string, 0, len(names))
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %.0f MiB", n, float64(r.PeakRSS[n])/(1<<20)))
	}
	fmt.Fprintf(w, "peak RSS            %s\n", strings.Join(parts, ", "))
}
