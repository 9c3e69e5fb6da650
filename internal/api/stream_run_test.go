package api

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/progress"
)

// publishRun publishes a whole run of project id: queued, half way, and
// its final message.
func (e *env) publishRun(t *testing.T, id int64, run int) {
	t.Helper()
	e.publish(t, progress.Message{ProjectID: id, Run: run, Stage: progress.StageScript, Progress: 0, Message: "Queued"})
	e.publish(t, progress.Message{ProjectID: id, Run: run, Stage: progress.StageRender, Progress: 50, Message: "half"})
	e.publish(t, progress.Message{ProjectID: id, Run: run, Stage: progress.StageCompleted, Progress: 100, Final: true, Message: "Completed"})
}

func TestProgressStreamRunParameterValidated(t *testing.T) {
	e := newEnv(t, envOptions{})
	id := e.createProject("bad run")
	for _, v := range []string{"", "0", "01", "-1", "abc", "NEXT", "1.5", "+2", "99999999999"} {
		for _, kind := range []string{"events", "progress"} {
			path := fmt.Sprintf("/api/v1/projects/%d/%s?run=%s", id, kind, v)
			err := e.do("GET", path, nil).fails(422, errcode.InvalidInput)
			if err.Details["field"] != "run" {
				t.Fatalf("%s: details %v, want field run", path, err.Details)
			}
		}
	}
	// The project is checked too: an unknown one is a 404 whatever the run.
	e.do("GET", "/api/v1/projects/999/events?run=next", nil).fails(404, CodeProjectNotFound)
}

func TestSSERunScope(t *testing.T) {
	e := newEnv(t, envOptions{})
	id := e.createProject("runs")
	e.publishRun(t, id, 1)

	// Every run (no ?run): the latest message first, run 1's final one,
	// as before.
	all := e.openSSE(t, id)
	if ev, m := all.next(t, 5*time.Second); m.Run != 1 || !m.Final || ev.id != "3" {
		t.Fatalf("unscoped snapshot %+v %+v", ev, m)
	}
	// The next run: a not-started message, nothing of run 1.
	next := e.openSSEQuery(t, id, "?run=next")
	if ev, m := next.next(t, 5*time.Second); m.Status != progress.StatusNotStarted || m.Run != 2 || m.Progress != 0 || m.Final || ev.id != "" {
		t.Fatalf("run=next first event %+v %+v, want run 2 not started", ev, m)
	}
	// A future run by number.
	third := e.openSSEQuery(t, id, "?run=3")
	if _, m := third.next(t, 5*time.Second); m.Status != progress.StatusNotStarted || m.Run != 3 {
		t.Fatalf("run=3 first event %+v", m)
	}
	waitFor(t, 5*time.Second, "one shared subscription", func() bool { return e.api.hub.size() == 1 })
	// A late writer of run 1 is refused by the publisher; nobody sees it.
	if ok, _ := progress.NewPublisher(e.rdb).Publish(context.Background(),
		progress.Message{ProjectID: id, Run: 1, Stage: progress.StageRender, Progress: 100, Final: true}); ok {
		t.Fatal("a message of run 1 was published after run 1 ended")
	}
	e.publish(t, progress.Message{ProjectID: id, Run: 2, Stage: progress.StageScript, Progress: 0, Message: "Queued"})
	ev, m := next.next(t, 5*time.Second)
	if m.Run != 2 || m.Progress != 0 || ev.id != fmt.Sprintf("2:%d", m.Seq) {
		t.Fatalf("run=next got %+v %+v", ev, m)
	}
	lastID := ev.id
	if _, m := all.next(t, 5*time.Second); m.Run != 2 {
		t.Fatalf("unscoped got %+v", m)
	}

	// A client of run=next that reconnects stays on run 2 (its
	// Last-Event-ID names it) and does not get again what it has seen.
	again := e.openSSEQuery(t, id, "?run=next", "Last-Event-ID", lastID)
	// One that connects now, without history, waits for run 3.
	fresh := e.openSSEQuery(t, id, "?run=next")
	if _, m := fresh.next(t, 5*time.Second); m.Status != progress.StatusNotStarted || m.Run != 3 {
		t.Fatalf("run=next during run 2: %+v, want run 3 not started", m)
	}
	// run=2 while it runs: its latest message.
	byNumber := e.openSSEQuery(t, id, "?run=2")
	if ev, m := byNumber.next(t, 5*time.Second); m.Run != 2 || ev.id != lastID {
		t.Fatalf("run=2 snapshot %+v %+v", ev, m)
	}
	e.publish(t, progress.Message{ProjectID: id, Run: 2, Stage: progress.StageCompleted, Progress: 100, Final: true, Message: "Completed"})
	for name, c := range map[string]*sseClient{"run=next": next, "reconnected": again, "run=2": byNumber} {
		if _, m := c.next(t, 5*time.Second); m.Run != 2 || !m.Final || m.Progress != 100 {
			t.Fatalf("%s: got %+v, want run 2's final message", name, m)
		}
	}
	// Run 3 starts: only its followers and the unscoped stream see it.
	e.publish(t, progress.Message{ProjectID: id, Run: 3, Stage: progress.StageScript, Progress: 0, Message: "Queued"})
	for name, c := range map[string]*sseClient{"run=3": third, "fresh run=next": fresh} {
		if _, m := c.next(t, 5*time.Second); m.Run != 3 || m.Progress != 0 {
			t.Fatalf("%s: got %+v", name, m)
		}
	}
	for name, c := range map[string]*sseClient{"run=next": next, "reconnected": again, "run=2": byNumber} {
		select {
		case ev := <-c.events:
			t.Fatalf("%s got a message of another run: %+v", name, ev)
		case <-time.After(200 * time.Millisecond):
		}
	}
	// Run 1 is over and followed by others: a conflict, before any stream.
	err := e.do("GET", fmt.Sprintf("/api/v1/projects/%d/events?run=1", id), nil).fails(409, errcode.Conflict)
	if err.Details["latest_run"] != float64(3) {
		t.Fatalf("conflict details %v", err.Details)
	}
}

func TestWebSocketRunScope(t *testing.T) {
	e := newEnv(t, envOptions{})
	id := e.createProject("ws runs")
	e.publishRun(t, id, 1)
	read := func(c *websocket.Conn) progress.Message {
		t.Helper()
		var m progress.Message
		if err := json.Unmarshal(readWS(t, c, 5*time.Second), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	next := e.dialWSQuery(t, id, "?run=next")
	readWS(t, next, 5*time.Second) // connected
	if m := read(next); m.Status != progress.StatusNotStarted || m.Run != 2 || m.Final {
		t.Fatalf("run=next first message %+v", m)
	}
	e.publishRun(t, id, 2)
	for i, want := range []int{0, 50, 100} {
		if m := read(next); m.Run != 2 || m.Progress != want {
			t.Fatalf("message %d: %+v", i, m)
		}
	}
	byNumber := e.dialWSQuery(t, id, "?run=2")
	readWS(t, byNumber, 5*time.Second) // connected
	if m := read(byNumber); m.Run != 2 || !m.Final {
		t.Fatalf("run=2 after it ended: %+v", m)
	}
	// Refused before the upgrade: a bad value, and a run that is over.
	base := strings.Replace(e.srv.URL, "http://", "ws://", 1)
	for q, status := range map[string]int{"?run=zero": 422, "?run=1": 409} {
		_, resp, err := websocket.Dial(context.Background(), base+fmt.Sprintf("/api/v1/projects/%d/progress%s", id, q), nil)
		if err == nil || resp == nil || resp.StatusCode != status {
			t.Fatalf("%s: err %v resp %+v, want HTTP %d", q, err, resp, status)
		}
	}
}
