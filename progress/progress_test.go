package progress

import (
	"context"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/redistest"
)

func recv(t *testing.T, s *Subscription) Message {
	t.Helper()
	select {
	case m, ok := <-s.C:
		if !ok {
			t.Fatal("subscription closed")
		}
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no message within 5s")
	}
	return Message{}
}

func TestPublishMonotonicFinalOnceAndLateSubscriber(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	ctx := context.Background()
	pub := NewPublisher(rdb)

	sub, err := Subscribe(ctx, rdb, 7)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if m := recv(t, sub); m.Status != StatusNotStarted || m.Stage != StageNotStarted || m.Run != 0 || m.Progress != 0 || m.Final {
		t.Fatalf("first message of a project that never ran = %+v, want not started", m)
	}

	steps := []struct {
		p     int
		final bool
		want  bool
	}{
		{10, false, true},
		{40, false, true},
		{30, false, false}, // backwards: dropped
		{40, false, true},  // equal: allowed
		{100, false, true}, // non-final 100 becomes 99
		{100, true, true},
		{100, true, false}, // second final: dropped
		{50, false, false}, // after final: dropped
	}
	for i, st := range steps {
		ok, err := pub.Publish(ctx, Message{ProjectID: 7, Run: 1, Stage: StageRender, Progress: st.p, Final: st.final})
		if err != nil {
			t.Fatal(err)
		}
		if ok != st.want {
			t.Fatalf("step %d: published=%v want %v", i, ok, st.want)
		}
	}
	var got []int
	for i := 0; i < 5; i++ {
		m := recv(t, sub)
		got = append(got, m.Progress)
		if m.Timestamp == "" || m.ProjectID != 7 || m.Seq == 0 {
			t.Fatalf("bad message %+v", m)
		}
	}
	want := []int{10, 40, 40, 99, 100}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("progress sequence %v, want %v", got, want)
		}
	}
	// A late subscriber first gets the final snapshot.
	late, err := Subscribe(ctx, rdb, 7)
	if err != nil {
		t.Fatal(err)
	}
	defer late.Close()
	if m := recv(t, late); m.Progress != 100 || !m.Final {
		t.Fatalf("late snapshot = %+v", m)
	}
	// A new run starts from zero again.
	if ok, _ := pub.Publish(ctx, Message{ProjectID: 7, Run: 2, Stage: StageScript, Progress: 0}); !ok {
		t.Fatal("new run's first message dropped")
	}
	if m := recv(t, late); m.Run != 2 || m.Progress != 0 {
		t.Fatalf("new run message = %+v", m)
	}
}

func TestThrottleCoalesces(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	ctx := context.Background()
	pub := NewPublisher(rdb)
	sub, err := Subscribe(ctx, rdb, 9)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	recv(t, sub) // not started
	th := pub.Throttle(200*time.Millisecond, nil)
	defer th.Close()
	th.Send(ctx, Message{ProjectID: 9, Run: 1, Progress: 1}, true)
	for p := 2; p <= 50; p++ {
		th.Send(ctx, Message{ProjectID: 9, Run: 1, Progress: p}, false)
	}
	if m := recv(t, sub); m.Progress != 1 {
		t.Fatalf("first = %d", m.Progress)
	}
	// The 49 quick updates collapse into the latest one.
	if m := recv(t, sub); m.Progress != 50 {
		t.Fatalf("coalesced = %d, want 50", m.Progress)
	}
	select {
	case m := <-sub.C:
		t.Fatalf("unexpected extra message %+v", m)
	case <-time.After(400 * time.Millisecond):
	}
}

// publishRun publishes a whole run: 0, 50, then the final 100.
func publishRun(t *testing.T, pub *Publisher, projectID int64, run int) {
	t.Helper()
	for _, m := range []Message{
		{ProjectID: projectID, Run: run, Stage: StageScript, Progress: 0, Message: "Queued"},
		{ProjectID: projectID, Run: run, Stage: StageScript, Progress: 50},
		{ProjectID: projectID, Run: run, Stage: StageCompleted, Progress: 100, Final: true, Message: "Completed"},
	} {
		if ok, err := pub.Publish(context.Background(), m); err != nil || !ok {
			t.Fatalf("publish %+v: %v %v", m, ok, err)
		}
	}
}

// drain reads a run-scoped subscription until it closes.
func drain(t *testing.T, s *Subscription) []Message {
	t.Helper()
	var out []Message
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m, ok := <-s.C:
			if !ok {
				return out
			}
			out = append(out, m)
		case <-deadline:
			t.Fatalf("subscription still open after %d messages: %+v", len(out), out)
		}
	}
}

func TestSubscribeNextRunSkipsThePreviousRun(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	ctx := context.Background()
	pub := NewPublisher(rdb)
	publishRun(t, pub, 3, 1)

	// The documented loop, subscribed just before run 2 starts: it must
	// not stop on run 1's final 100.
	sub, err := SubscribeRun(ctx, rdb, 3, NextRun())
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if m := recv(t, sub); m.Status != StatusNotStarted || m.Run != 2 || m.Progress != 0 || m.Final || m.Timestamp == "" {
		t.Fatalf("first message = %+v, want run 2 not started", m)
	}
	// A late writer of run 1 is refused by the publisher.
	if ok, err := pub.Publish(ctx, Message{ProjectID: 3, Run: 1, Stage: StageRender, Progress: 100, Final: true}); err != nil || ok {
		t.Fatalf("late message of an older run published: %v %v", ok, err)
	}
	publishRun(t, pub, 3, 2)
	got := drain(t, sub)
	if len(got) != 3 {
		t.Fatalf("run 2 subscriber got %d messages, want 3: %+v", len(got), got)
	}
	for i, m := range got {
		if m.Run != 2 {
			t.Fatalf("message %d of run %d: %+v", i, m.Run, m)
		}
	}
	if last := got[2]; !last.Final || last.Progress != 100 {
		t.Fatalf("last = %+v", last)
	}
}

func TestSubscribeForRun(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	ctx := context.Background()
	pub := NewPublisher(rdb)
	publishRun(t, pub, 4, 1)
	publishRun(t, pub, 4, 2)

	// The latest run, already over: its final message, then the end.
	done, err := SubscribeRun(ctx, rdb, 4, ForRun(2))
	if err != nil {
		t.Fatal(err)
	}
	if got := drain(t, done); len(got) != 1 || got[0].Run != 2 || !got[0].Final || got[0].Progress != 100 {
		t.Fatalf("run 2 (over) = %+v", got)
	}
	// A run that is over and was followed by another: a coded conflict.
	if _, err := SubscribeRun(ctx, rdb, 4, ForRun(1)); errcode.Code(err) != errcode.Conflict {
		t.Fatalf("run 1 after run 2: err %v, want %s", err, errcode.Conflict)
	}
	// A future run: not started, then only its messages.
	later, err := SubscribeRun(ctx, rdb, 4, ForRun(4))
	if err != nil {
		t.Fatal(err)
	}
	defer later.Close()
	if m := recv(t, later); m.Status != StatusNotStarted || m.Run != 4 || m.Final {
		t.Fatalf("run 4 before it started = %+v", m)
	}
	publishRun(t, pub, 4, 3)
	publishRun(t, pub, 4, 4)
	got := drain(t, later)
	if len(got) != 3 || got[0].Run != 4 || !got[2].Final {
		t.Fatalf("run 4 = %+v", got)
	}
}

func TestScopeParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Scope
		ok   bool
	}{
		{"", AllRuns(), true},
		{"next", NextRun(), true},
		{"1", ForRun(1), true},
		{"42", ForRun(42), true},
		{"0", Scope{}, false},
		{"01", Scope{}, false},
		{"-1", Scope{}, false},
		{"+1", Scope{}, false},
		{"1.5", Scope{}, false},
		{"NEXT", Scope{}, false},
		{"latest", Scope{}, false},
		{"9999999999", Scope{}, false},
	} {
		got, err := ParseScope(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseScope(%q) = %v, %v", c.in, got, err)
			continue
		}
		if !c.ok {
			if e, _ := errcode.As(err); e == nil || e.Code != errcode.InvalidInput || e.Details["field"] != "run" {
				t.Errorf("ParseScope(%q) error %v: want INVALID_INPUT on field run", c.in, err)
			}
		} else if got.String() != c.in {
			t.Errorf("ParseScope(%q).String() = %q", c.in, got.String())
		}
	}
}

func TestFollower(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	msg := func(run, p int, final bool) Message {
		return Message{ProjectID: 1, Run: run, Progress: p, Final: final, Stage: StageScript}
	}
	ptr := func(m Message) *Message { return &m }
	cases := []struct {
		name      string
		scope     Scope
		latest    *Message
		wantFirst Message // compared on Run, Status, Progress, Final
		feed      []Message
		accepted  []bool
		doneAfter bool
	}{
		{"all, never ran", AllRuns(), nil, NotStarted(1, 0, now),
			[]Message{msg(1, 0, false), msg(1, 100, true), msg(2, 0, false)}, []bool{true, true, true}, false},
		{"all, finished run", AllRuns(), ptr(msg(1, 100, true)), msg(1, 100, true),
			[]Message{msg(2, 0, false)}, []bool{true}, false},
		{"next after a finished run", NextRun(), ptr(msg(1, 100, true)), NotStarted(1, 2, now),
			[]Message{msg(1, 100, true), msg(2, 0, false), msg(2, 60, false), msg(2, 100, true), msg(3, 0, false)},
			[]bool{false, true, true, true, false}, true},
		{"next during an active run", NextRun(), ptr(msg(4, 30, false)), NotStarted(1, 5, now),
			[]Message{msg(4, 40, false), msg(4, 100, true), msg(6, 0, false), msg(6, 10, false), msg(7, 0, false)},
			[]bool{false, false, true, true, false}, false},
		{"next, never ran", NextRun(), nil, NotStarted(1, 1, now),
			[]Message{msg(1, 0, false)}, []bool{true}, false},
		{"run 2 before it starts", ForRun(2), ptr(msg(1, 100, true)), NotStarted(1, 2, now),
			[]Message{msg(1, 100, true), msg(2, 0, false), msg(2, 100, true), msg(3, 0, false)},
			[]bool{false, true, true, false}, true},
		{"run 2 while it runs", ForRun(2), ptr(msg(2, 40, false)), msg(2, 40, false),
			[]Message{msg(2, 50, false)}, []bool{true}, false},
		{"run 2 after it ended", ForRun(2), ptr(msg(2, 100, true)), msg(2, 100, true),
			[]Message{msg(3, 0, false)}, []bool{false}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, first, err := c.scope.Start(1, c.latest, now)
			if err != nil {
				t.Fatal(err)
			}
			w := c.wantFirst
			if first.Run != w.Run || first.Status != w.Status || first.Progress != w.Progress || first.Final != w.Final {
				t.Fatalf("first = %+v, want %+v", first, w)
			}
			for i, m := range c.feed {
				if got := f.Accept(m); got != c.accepted[i] {
					t.Fatalf("message %d (run %d, %d%%): accepted %v, want %v", i, m.Run, m.Progress, got, c.accepted[i])
				}
			}
			if f.Done() != c.doneAfter {
				t.Fatalf("done = %v, want %v", f.Done(), c.doneAfter)
			}
		})
	}
	if _, _, err := ForRun(1).Start(1, ptr(msg(2, 0, false)), now); errcode.Code(err) != errcode.Conflict {
		t.Fatalf("run 1 after run 2 started: %v", err)
	}
}
