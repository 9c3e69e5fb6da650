package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/progress"
	"github.com/ytmaker/ytmaker/tasks"
)

// TestSubscribeNextRunBeforeANewRun is the documented "subscribe, start,
// stop on 100" loop on a project that has run before: subscribed to the
// next run just before it starts, it sees nothing of the previous run (in
// particular not its final 100), and it ends on the new run's own end.
func TestSubscribeNextRunBeforeANewRun(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	pid := e.newProject("two runs")
	e.startWorker(2)

	// Run 1: the script task alone. Its end is the script's end, not the
	// project's completion.
	h1, err := e.client.Delay(ctx, tasks.GenerateScript, tasks.Args{ProjectID: pid})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h1.Get(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	sub1, err := h1.SubscribeProgress(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The task's result is recorded as the stage completes, and the run's
	// final message follows it: a subscriber that comes just then may see
	// the stage's last message first. Whatever it sees belongs to run 1
	// and ends on the one final message.
	end1 := collect(t, sub1, 5*time.Second)
	sub1.Close()
	for i, m := range end1 {
		if m.Run != 1 || m.Final != (i == len(end1)-1) || i > 1 {
			t.Fatalf("run 1 (over) gave %d messages: %+v", len(end1), end1)
		}
	}
	if m := end1[len(end1)-1]; m.Run != 1 || !m.Final || m.Progress != 100 || m.Stage != progress.StageScript ||
		m.Status != string(project.ScriptGenerated) || m.Message == "Completed" {
		t.Fatalf("end of a script-only run = %+v; it must not say the project completed", m)
	}

	// The next run, subscribed before it starts.
	sub, err := e.client.SubscribeRun(ctx, pid, progress.NextRun())
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	h2, err := e.client.Chain(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	var got []progress.Message
	deadline := time.After(30 * time.Second)
	for open := true; open; {
		select {
		case m, ok := <-sub.C:
			if !ok {
				open = false
				break
			}
			got = append(got, m)
		case <-deadline:
			t.Fatalf("the run-2 subscription did not end; got %+v", got)
		}
	}
	if len(got) < 3 {
		t.Fatalf("got %d messages: %+v", len(got), got)
	}
	if m := got[0]; m.Status != progress.StatusNotStarted || m.Run != 2 || m.Progress != 0 || m.Final {
		t.Fatalf("first message = %+v, want run 2 not started", m)
	}
	hundreds := 0
	for i, m := range got[1:] {
		if m.Run != 2 {
			t.Fatalf("message %d belongs to run %d: %+v", i+1, m.Run, m)
		}
		if m.Progress == 100 {
			hundreds++
		}
	}
	last := got[len(got)-1]
	if hundreds != 1 || !last.Final || last.Progress != 100 || last.Stage != progress.StageCompleted || last.Status != string(project.Completed) {
		t.Fatalf("want one 100, the last, saying completed: hundreds=%d last=%+v", hundreds, last)
	}
	if _, err := h2.Get(ctx, 10*time.Second); err != nil {
		t.Fatal(err)
	}

	// Run 1 is over and run 2 followed it: asking for run 1 is a conflict.
	if _, err := e.client.SubscribeRun(ctx, pid, progress.ForRun(1)); errcode.Code(err) != errcode.Conflict {
		t.Fatalf("subscribe to run 1 after run 2: %v, want %s", err, errcode.Conflict)
	}
}

// TestSubscribeProjectThatNeverRan gets an explicit not-started snapshot,
// on every scope.
func TestSubscribeProjectThatNeverRan(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	pid := e.newProject("idle")
	for _, c := range []struct {
		scope progress.Scope
		run   int
	}{{progress.AllRuns(), 0}, {progress.NextRun(), 1}, {progress.ForRun(1), 1}} {
		sub, err := e.client.SubscribeRun(ctx, pid, c.scope)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case m := <-sub.C:
			if m.ProjectID != pid || m.Status != progress.StatusNotStarted || m.Stage != progress.StageNotStarted ||
				m.Progress != 0 || m.Final || m.Run != c.run {
				t.Fatalf("scope %q: first message %+v", c.scope, m)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("scope %q: no snapshot", c.scope)
		}
		sub.Close()
	}
}
