package progress

import (
	"strconv"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
)

// StageNotStarted and StatusNotStarted mark the message a subscriber gets
// first when the run it follows has not started yet (or the project has
// never run): progress 0, not final, run = the run awaited (0 when any).
const (
	StageNotStarted  = "not_started"
	StatusNotStarted = "NOT_STARTED"
)

// Scope says which runs of a project a subscription follows. The zero
// Scope (AllRuns) follows every run.
type Scope struct {
	run  int
	next bool
}

// AllRuns follows every run: the project's latest message first, whatever
// run it belongs to (it may be a finished run's final message), then
// every message.
func AllRuns() Scope { return Scope{} }

// NextRun follows the first run that starts after the subscription: the
// messages of the run that is active or finished at that moment, its
// final message included, are not delivered.
func NextRun() Scope { return Scope{next: true} }

// ForRun follows run n only (n > 0; any other n follows every run).
func ForRun(n int) Scope {
	if n <= 0 {
		return Scope{}
	}
	return Scope{run: n}
}

// ParseScope reads a scope as written in a URL: "" (every run), "next",
// or a run number (a positive integer without leading zeros).
func ParseScope(s string) (Scope, error) {
	switch s {
	case "":
		return Scope{}, nil
	case "next":
		return NextRun(), nil
	}
	if s[0] != '0' && len(s) <= 9 && strings.Trim(s, "0123456789") == "" {
		n, _ := strconv.Atoi(s)
		return ForRun(n), nil
	}
	return Scope{}, errcode.Newf(errcode.InvalidInput, false, "run must be \"next\" or a positive run number, not %q", s).
		WithDetail("field", "run")
}

// String returns the scope as ParseScope reads it.
func (s Scope) String() string {
	switch {
	case s.next:
		return "next"
	case s.run > 0:
		return strconv.Itoa(s.run)
	}
	return ""
}

// Run returns the run a ForRun scope names (0 for the others).
func (s Scope) Run() int { return s.run }

// IsNext reports whether s is NextRun.
func (s Scope) IsNext() bool { return s.next }

// NotStarted returns the message that says run (0: any run) of a project
// has not started.
func NotStarted(projectID int64, run int, now time.Time) Message {
	return Message{ProjectID: projectID, Run: run, Stage: StageNotStarted, Progress: 0,
		Message: "Not started", Status: StatusNotStarted, Timestamp: now.UTC().Format(time.RFC3339)}
}

// Follower picks a scope's messages out of a project's stream. Start one
// with Scope.Start; it is not safe for concurrent use.
type Follower struct {
	all   bool
	after int // NextRun: runs up to this one are not followed
	run   int // the run followed; 0 while a next run has not started
	done  bool
}

// Start begins following a project whose latest message is latest (nil
// when there is none). It returns the follower and the message to deliver
// first: latest itself when it belongs to the scope, otherwise a
// not-started message for the awaited run. It fails with a CONFLICT error
// when the scope names a run that is over and that a later run has
// followed (its messages are gone).
func (s Scope) Start(projectID int64, latest *Message, now time.Time) (*Follower, Message, error) {
	latestRun := 0
	if latest != nil {
		latestRun = latest.Run
	}
	switch {
	case s.next:
		return &Follower{after: latestRun}, NotStarted(projectID, latestRun+1, now), nil
	case s.run > 0:
		f := &Follower{run: s.run}
		switch {
		case latest == nil || latestRun < s.run:
			return f, NotStarted(projectID, s.run, now), nil
		case latestRun == s.run:
			f.done = latest.Final
			return f, *latest, nil
		}
		return nil, Message{}, errcode.Newf(errcode.Conflict, false,
			"run %d of project %d is over; the project has started run %d since", s.run, projectID, latestRun).
			WithDetail("run", s.run).WithDetail("latest_run", latestRun)
	}
	if latest == nil {
		return &Follower{all: true}, NotStarted(projectID, 0, now), nil
	}
	return &Follower{all: true}, *latest, nil
}

// Accept reports whether m belongs to the followed runs. For NextRun, the
// first message of a run newer than the latest one at Start chooses the
// run followed from then on.
func (f *Follower) Accept(m Message) bool {
	if f.all {
		return true
	}
	if f.done {
		return false
	}
	if f.run == 0 {
		if m.Run <= f.after {
			return false
		}
		f.run = m.Run
	}
	if m.Run != f.run {
		return false
	}
	f.done = m.Final
	return true
}

// Run returns the run followed: 0 for every run, or while a next run has
// not started.
func (f *Follower) Run() int { return f.run }

// Done reports whether the followed run's final message has been
// accepted: nothing more will be (never true for every run).
func (f *Follower) Done() bool { return f.done }
