package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/ytmaker/ytmaker/internal/api/wire"
	"github.com/ytmaker/ytmaker/progress"
)

// wsWriteTimeout bounds one WebSocket write or ping.
const wsWriteTimeout = 10 * time.Second

// streamScope reads the run a progress stream follows: ?run=next, ?run=N,
// or every run when absent.
func streamScope(r *http.Request) (progress.Scope, error) {
	q := r.URL.Query()
	if !q.Has("run") {
		return progress.AllRuns(), nil
	}
	v := q.Get("run")
	scope, err := progress.ParseScope(v)
	if err != nil || v == "" {
		return scope, invalid("run", "must be \"next\" or a positive run number, not %q", v)
	}
	return scope, nil
}

// openStream checks the project and joins its progress topic, following
// scope. Errors are answered as JSON before any upgrade.
func (s *Server) openStream(w http.ResponseWriter, r *http.Request, scope progress.Scope) (int64, *listener, bool) {
	id, ok := pathID(w, r, CodeProjectNotFound, "project")
	if !ok {
		return 0, nil, false
	}
	if _, err := s.store.Project(id); err != nil {
		s.fail(w, r, asNotFound(err, CodeProjectNotFound))
		return 0, nil, false
	}
	l, err := s.hub.join(r.Context(), id, scope)
	if err != nil {
		if err == errShutdown {
			err = newError(http.StatusServiceUnavailable, CodeServiceUnavailable, "the server is shutting down")
		}
		s.fail(w, r, err)
		return 0, nil, false
	}
	return id, l, true
}

func timestamp() string { return time.Now().UTC().Format(time.RFC3339Nano) }

// progressWS streams a project's progress over a WebSocket: first
// {"event":"connected",...}, then the latest message, then every message
// as published on progress:{id}; with ?run=next or ?run=N, only that
// run's messages (a not-started message first while it has not started).
// Every PingInterval the server sends a
// WebSocket ping and a {"event":"ping",...} message (clients of the
// original API answer {"event":"pong"}; other client messages are
// ignored). A client that does not answer pings is disconnected.
func (s *Server) progressWS(w http.ResponseWriter, r *http.Request) {
	scope, err := streamScope(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.checkStreamOrigin(r); err != nil {
		s.fail(w, r, err)
		return
	}
	id, l, ok := s.openStream(w, r, scope)
	if !ok {
		return
	}
	defer s.hub.leave(l)
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: s.cfg.AllowedOrigins})
	if err != nil {
		s.log.Debug("websocket upgrade refused", "project", id, "err", err)
		return // Accept has answered
	}
	defer c.CloseNow()
	c.SetReadLimit(4096)
	// The request's context must not be used after the hijack.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		defer cancel()
		for {
			if _, _, err := c.Read(ctx); err != nil {
				return // the client closed, or the connection broke
			}
		}
	}()
	write := func(v any) bool {
		b, err := json.Marshal(v)
		if err != nil {
			return false
		}
		wctx, wcancel := context.WithTimeout(ctx, wsWriteTimeout)
		defer wcancel()
		return c.Write(wctx, websocket.MessageText, b) == nil
	}
	if !write(wire.Connected{Event: "connected", Data: wire.ConnectedData{ProjectID: id, Timestamp: timestamp()}}) {
		return
	}
	ping := time.NewTicker(s.cfg.PingInterval)
	defer ping.Stop()
	for {
		select {
		case m, open := <-l.C:
			if !open {
				if l.lagged.Load() {
					c.Close(websocket.StatusTryAgainLater, "client too slow; reconnect")
				} else {
					c.Close(websocket.StatusGoingAway, "server shutting down")
				}
				return
			}
			if !write(m) {
				return
			}
		case <-ping.C:
			if !write(wire.Connected{Event: "ping", Data: wire.ConnectedData{Timestamp: timestamp()}}) {
				return
			}
			go func() {
				pctx, pcancel := context.WithTimeout(ctx, wsWriteTimeout)
				defer pcancel()
				if err := c.Ping(pctx); err != nil && ctx.Err() == nil {
					s.log.Debug("websocket ping unanswered; closing", "project", id)
					c.Close(websocket.StatusPolicyViolation, "ping timeout")
					cancel()
				}
			}()
		case <-ctx.Done():
			return
		case <-s.done:
			c.Close(websocket.StatusGoingAway, "server shutting down")
			return
		}
	}
}

// progressSSE streams a project's progress as Server-Sent Events: the
// latest message first, then every message as published, each as one
// "data:" line with "id:" set to its sequence number. With ?run=next or
// ?run=N only that run's messages go out (a not-started message first
// while it has not started), and "id:" is "run:seq", so that a client
// of ?run=next that reconnects stays on the run it was following. A
// reconnecting client's Last-Event-ID skips a snapshot it has already
// seen. Idle streams get a comment line every KeepAlive.
func (s *Server) progressSSE(w http.ResponseWriter, r *http.Request) {
	scope, err := streamScope(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lastRun, lastSeen := parseEventID(r.Header.Get("Last-Event-ID"))
	scoped := scope != progress.AllRuns()
	if scope.IsNext() && lastRun > 0 {
		scope = progress.ForRun(lastRun) // it had started: keep following it
	}
	if scoped && lastRun != scope.Run() {
		lastSeen = 0 // an ID of another run says nothing about this one
	}
	_, l, ok := s.openStream(w, r, scope)
	if !ok {
		return
	}
	defer s.hub.leave(l)
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{}) // a stream outlives any server write timeout
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := io.WriteString(w, "retry: 2000\n: connected\n\n"); err != nil {
		return
	}
	if rc.Flush() != nil {
		return
	}
	keep := time.NewTicker(s.cfg.KeepAlive)
	defer keep.Stop()
	first := true
	for {
		select {
		case m, open := <-l.C:
			if !open {
				return // shutdown or too slow: EventSource reconnects
			}
			if first && lastSeen > 0 && m.Seq != 0 && m.Seq <= lastSeen {
				first = false
				continue
			}
			first = false
			if err := writeEvent(w, m, scoped); err != nil || rc.Flush() != nil {
				return
			}
		case <-keep.C:
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		}
	}
}

// parseEventID reads a Last-Event-ID: "seq", or "run:seq" (a stream of
// one run). Anything else reads as nothing seen.
func parseEventID(v string) (run int, seq int64) {
	v = strings.TrimSpace(v)
	if rs, ss, ok := strings.Cut(v, ":"); ok {
		n, err := strconv.Atoi(rs)
		if err != nil || n <= 0 {
			return 0, 0
		}
		run, v = n, ss
	}
	seq, err := strconv.ParseInt(v, 10, 64)
	if err != nil || seq < 0 {
		return 0, 0
	}
	return run, seq
}

// writeEvent writes one message as an event; scoped streams' IDs carry
// the run.
func writeEvent(w io.Writer, m progress.Message, scoped bool) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	switch {
	case m.Seq != 0 && scoped:
		_, err = fmt.Fprintf(w, "id: %d:%d\ndata: %s\n\n", m.Run, m.Seq, b)
	case m.Seq != 0:
		_, err = fmt.Fprintf(w, "id: %d\ndata: %s\n\n", m.Seq, b)
	default:
		_, err = fmt.Fprintf(w, "data: %s\n\n", b)
	}
	return err
}

// checkStreamOrigin refuses a WebSocket that a page on another site opens
// (browsers send its Origin; a WebSocket is not covered by the
// cross-origin checks of state-changing requests), with the API's coded
// 403 rather than the WebSocket library's plain-text one. Pages served
// here and ALLOWED_ORIGINS pass, and so do clients that send no Origin.
func (s *Server) checkStreamOrigin(r *http.Request) error {
	origin := r.Header.Get("Origin")
	if origin == "" || s.origins[strings.TrimRight(origin, "/")] {
		return nil
	}
	if u, err := url.Parse(origin); err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host) {
		return nil
	}
	return newError(http.StatusForbidden, "CROSS_ORIGIN_REJECTED",
		"a page on %s may not follow this project's progress; add its origin to ALLOWED_ORIGINS", origin).with("origin", origin)
}
