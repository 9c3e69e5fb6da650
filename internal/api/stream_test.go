package api

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/progress"
)

// sseEvent is one parsed Server-Sent Event.
type sseEvent struct {
	id   string
	data string
}

// sseClient reads a progress stream.
type sseClient struct {
	resp   *http.Response
	events chan sseEvent
	done   chan struct{}
}

func (e *env) openSSE(t *testing.T, id int64, headers ...string) *sseClient {
	t.Helper()
	return e.openSSEQuery(t, id, "", headers...)
}

// openSSEQuery is openSSE with a query string (such as "?run=next").
func (e *env) openSSEQuery(t *testing.T, id int64, query string, headers ...string) *sseClient {
	t.Helper()
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/projects/%d/events%s", e.srv.URL, id, query), nil)
	if e.token != "" {
		req.Header.Set("Authorization", "Bearer "+e.token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream; charset=utf-8" {
		resp.Body.Close()
		t.Fatalf("SSE: HTTP %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	c := &sseClient{resp: resp, events: make(chan sseEvent, 1024), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		defer close(c.events)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.data != "" {
					c.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			}
		}
	}()
	t.Cleanup(func() { resp.Body.Close(); <-c.done })
	return c
}

func (c *sseClient) next(t *testing.T, d time.Duration) (sseEvent, progress.Message) {
	t.Helper()
	select {
	case ev, ok := <-c.events:
		if !ok {
			t.Fatal("the SSE stream ended")
		}
		var m progress.Message
		if err := json.Unmarshal([]byte(ev.data), &m); err != nil {
			t.Fatalf("SSE data is not a progress message: %v %q", err, ev.data)
		}
		return ev, m
	case <-time.After(d):
		t.Fatalf("no SSE event within %s", d)
	}
	return sseEvent{}, progress.Message{}
}

func (e *env) dialWS(t *testing.T, id int64) *websocket.Conn {
	t.Helper()
	return e.dialWSQuery(t, id, "")
}

// dialWSQuery is dialWS with a query string (such as "?run=next").
func (e *env) dialWSQuery(t *testing.T, id int64, query string) *websocket.Conn {
	t.Helper()
	url := strings.Replace(e.srv.URL, "http://", "ws://", 1) + fmt.Sprintf("/api/v1/projects/%d/progress%s", id, query)
	opts := &websocket.DialOptions{HTTPHeader: http.Header{}}
	if e.token != "" {
		opts.HTTPHeader.Set("Authorization", "Bearer "+e.token)
	}
	c, _, err := websocket.Dial(context.Background(), url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

func readWS(t *testing.T, c *websocket.Conn, d time.Duration) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	typ, b, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("websocket read: %v", err)
	}
	if typ != websocket.MessageText {
		t.Fatalf("message type %v", typ)
	}
	return b
}

// rawMessages subscribes to progress:{id} directly and returns what
// Redis delivers, byte for byte.
func (e *env) rawMessages(t *testing.T, id int64) <-chan string {
	t.Helper()
	ps := e.rdb.Subscribe(context.Background(), progress.Channel(id))
	if _, err := ps.Receive(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ps.Close() })
	out := make(chan string, 256)
	go func() {
		for m := range ps.Channel() {
			out <- m.Payload
		}
	}()
	return out
}

func (e *env) publish(t *testing.T, m progress.Message) {
	t.Helper()
	if ok, err := progress.NewPublisher(e.rdb).Publish(context.Background(), m); err != nil || !ok {
		t.Fatalf("publish %+v: %v %v", m, ok, err)
	}
}

func TestSSESnapshotFirstThenLive(t *testing.T) {
	e := newEnv(t, envOptions{})
	id := e.createProject("sse")
	e.publish(t, progress.Message{ProjectID: id, Run: 1, Stage: progress.StageScript, Progress: 5, Message: "before"})
	const clients = 8
	var cs []*sseClient
	for range clients {
		cs = append(cs, e.openSSE(t, id))
	}
	for _, c := range cs {
		ev, m := c.next(t, 5*time.Second)
		if ev.id != "1" || m.Message != "before" || m.Progress != 5 {
			t.Fatalf("first event %+v %+v, want the snapshot", ev, m)
		}
	}
	waitFor(t, 5*time.Second, "one shared subscription", func() bool { return e.api.hub.size() == 1 })
	for i := 2; i <= 5; i++ {
		e.publish(t, progress.Message{ProjectID: id, Run: 1, Stage: progress.StageAssets, Progress: i * 10, Message: fmt.Sprint("live ", i)})
	}
	e.publish(t, progress.Message{ProjectID: id, Run: 1, Stage: progress.StageCompleted, Progress: 100, Final: true, Message: "Completed"})
	for _, c := range cs {
		for i := 2; i <= 6; i++ {
			ev, m := c.next(t, 5*time.Second)
			if ev.id != fmt.Sprint(i) || m.Seq != int64(i) {
				t.Fatalf("event %d: id %q seq %d", i, ev.id, m.Seq)
			}
			if i == 6 && (m.Progress != 100 || !m.Final) {
				t.Fatalf("last event %+v", m)
			}
		}
	}
	// A client that reconnects with Last-Event-ID does not get the
	// snapshot it has seen; a new one does.
	again := e.openSSE(t, id, "Last-Event-ID", "6")
	fresh := e.openSSE(t, id)
	if _, m := fresh.next(t, 5*time.Second); m.Seq != 6 {
		t.Fatalf("snapshot for a new client: seq %d", m.Seq)
	}
	e.publish(t, progress.Message{ProjectID: id, Run: 2, Stage: progress.StageScript, Progress: 0, Message: "new run"})
	if ev, m := again.next(t, 5*time.Second); ev.id != "7" || m.Message != "new run" {
		t.Fatalf("after Last-Event-ID: %+v", ev)
	}
}

func TestSSEKeepAliveAndErrors(t *testing.T) {
	e := newEnv(t, envOptions{keepAlive: 20 * time.Millisecond})
	e.do("GET", "/api/v1/projects/99/events", nil).fails(404, CodeProjectNotFound)
	e.do("GET", "/api/v1/projects/x/events", nil).fails(404, CodeProjectNotFound)
	id := e.createProject("quiet")
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/projects/%d/events", e.srv.URL, id), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("headers %v", resp.Header)
	}
	sc := bufio.NewScanner(resp.Body)
	keepAlives := 0
	for keepAlives < 3 && sc.Scan() {
		if sc.Text() == ": keep-alive" {
			keepAlives++
		}
	}
	if keepAlives != 3 {
		t.Fatalf("saw %d keep-alive comments", keepAlives)
	}
}

func TestWebSocketStream(t *testing.T) {
	e := newEnv(t, envOptions{})
	id := e.createProject("ws")
	raw := e.rawMessages(t, id)
	e.publish(t, progress.Message{ProjectID: id, Run: 1, Stage: progress.StageScript, Progress: 3, Message: "snap <&>"})
	snapRaw := <-raw
	var conns []*websocket.Conn
	for range 5 {
		conns = append(conns, e.dialWS(t, id))
	}
	for _, c := range conns {
		var hello struct {
			Event string `json:"event"`
			Data  struct {
				ProjectID int64  `json:"project_id"`
				Timestamp string `json:"timestamp"`
			} `json:"data"`
		}
		if err := json.Unmarshal(readWS(t, c, 5*time.Second), &hello); err != nil || hello.Event != "connected" ||
			hello.Data.ProjectID != id || hello.Data.Timestamp == "" {
			t.Fatalf("first message %+v %v", hello, err)
		}
		if got := string(readWS(t, c, 5*time.Second)); got != snapRaw {
			t.Fatalf("snapshot differs from what was published:\n got %s\nwant %s", got, snapRaw)
		}
	}
	eta := 42
	e.publish(t, progress.Message{ProjectID: id, Run: 1, Stage: progress.StageAssets, Progress: 40, Message: "assets",
		ETASeconds: &eta, Status: string(project.AssetsGenerating)})
	e.publish(t, progress.Message{ProjectID: id, Run: 1, Stage: progress.StageError, Progress: 40, Final: true, Message: "boom"})
	want := []string{<-raw, <-raw}
	for _, c := range conns {
		for _, w := range want {
			if got := string(readWS(t, c, 5*time.Second)); got != w {
				t.Fatalf("live message differs:\n got %s\nwant %s", got, w)
			}
		}
	}
	if n := e.api.hub.size(); n != 1 {
		t.Fatalf("%d subscriptions for one project", n)
	}
	for _, c := range conns {
		c.Close(websocket.StatusNormalClosure, "bye")
	}
	waitFor(t, 5*time.Second, "the subscription to close after the last client left", func() bool { return e.api.hub.size() == 0 })
}

func TestWebSocketRefusedBeforeUpgrade(t *testing.T) {
	e := newEnv(t, envOptions{})
	base := strings.Replace(e.srv.URL, "http://", "ws://", 1)
	for _, path := range []string{"/api/v1/projects/12/progress", "/api/v1/projects/abc/progress"} {
		_, resp, err := websocket.Dial(context.Background(), base+path, nil)
		if err == nil || resp == nil || resp.StatusCode != 404 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("%s: err %v resp %+v", path, err, resp)
		}
	}
}

func TestWebSocketPingsAndShutdown(t *testing.T) {
	e := newEnv(t, envOptions{pingInterval: 30 * time.Millisecond})
	id := e.createProject("pings")
	c := e.dialWS(t, id)
	readWS(t, c, 5*time.Second) // connected
	readWS(t, c, 5*time.Second) // not started
	for i := 0; i < 3; i++ {
		var m struct {
			Event string `json:"event"`
		}
		json.Unmarshal(readWS(t, c, 5*time.Second), &m)
		if m.Event != "ping" {
			t.Fatalf("message %d is %q, want a ping", i, m.Event)
		}
		// Clients of the original API answer pings; that is fine.
		c.Write(context.Background(), websocket.MessageText, []byte(`{"event":"pong"}`))
	}
	sse := e.openSSE(t, id)
	e.api.Shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		_, _, err := c.Read(ctx)
		if err == nil {
			continue // a ping sent before the shutdown
		}
		if websocket.CloseStatus(err) != websocket.StatusGoingAway {
			t.Fatalf("close after shutdown: %v", err)
		}
		break
	}
	select {
	case <-sse.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the SSE stream did not end on shutdown")
	}
	e.do("GET", fmt.Sprintf("/api/v1/projects/%d/events", id), nil).fails(503, CodeServiceUnavailable)
}

func TestSlowListenerIsDropped(t *testing.T) {
	e := newEnv(t, envOptions{})
	id := e.createProject("slow")
	h := e.api.hub
	h.buffer = 3
	idle, err := h.join(context.Background(), id, progress.AllRuns())
	if err != nil {
		t.Fatal(err)
	}
	defer h.leave(idle)
	reader, err := h.join(context.Background(), id, progress.AllRuns())
	if err != nil {
		t.Fatal(err)
	}
	defer h.leave(reader)
	if m := <-reader.C; m.Status != progress.StatusNotStarted {
		t.Fatalf("first message %+v, want not started", m)
	}
	for i := 1; i <= 6; i++ {
		e.publish(t, progress.Message{ProjectID: id, Run: 1, Stage: progress.StageScript, Progress: i, Message: "m"})
		select {
		case m := <-reader.C:
			if m.Progress != i {
				t.Fatalf("reader got %d, want %d", m.Progress, i)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the reading listener got nothing")
		}
	}
	n := 0
	for range idle.C {
		n++
	}
	if !idle.lagged.Load() || n != 3 {
		t.Fatalf("idle listener: lagged %v after %d messages", idle.lagged.Load(), n)
	}
}

// TestProgressLatency measures the time from Publish to a WebSocket and an
// SSE client (the target is at most 200 ms).
func TestProgressLatency(t *testing.T) {
	e := newEnv(t, envOptions{})
	id := e.createProject("latency")
	ws := e.dialWS(t, id)
	readWS(t, ws, 5*time.Second) // connected
	readWS(t, ws, 5*time.Second) // not started
	sse := e.openSSE(t, id)
	sse.next(t, 5*time.Second) // not started
	waitFor(t, 5*time.Second, "the subscription", func() bool { return e.api.hub.size() == 1 })
	const n = 200
	var wsLat, sseLat []time.Duration
	pub := progress.NewPublisher(e.rdb)
	for i := 1; i <= n; i++ {
		start := time.Now()
		if _, err := pub.Publish(context.Background(), progress.Message{ProjectID: id, Run: 1, Stage: progress.StageRender,
			Progress: i * 99 / n, Message: "tick"}); err != nil {
			t.Fatal(err)
		}
		wsDone := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, _, err := ws.Read(ctx)
			wsLat = append(wsLat, time.Since(start))
			wsDone <- err
		}()
		sse.next(t, 5*time.Second)
		sseLat = append(sseLat, time.Since(start))
		if err := <-wsDone; err != nil {
			t.Fatalf("websocket read: %v", err)
		}
	}
	for name, lat := range map[string][]time.Duration{"websocket": wsLat, "sse": sseLat} {
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		p50, p99, worst := lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1]
		t.Logf("publish→%s latency over %d messages: p50 %s, p99 %s, max %s", name, n, p50, p99, worst)
		if p99 > 200*time.Millisecond {
			t.Errorf("%s p99 latency %s exceeds 200ms", name, p99)
		}
	}
}
