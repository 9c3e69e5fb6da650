package apiclient

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/progress"
)

// ErrStop, returned by a Watch callback, ends the watch without error.
var ErrStop = errors.New("stop watching")

// Watch follows a project's progress over Server-Sent Events: first the
// latest message, then every new one. It reconnects (resuming after the
// last event seen) when the stream breaks, until ctx ends or fn returns
// an error (ErrStop: a clean stop, Watch returns nil). API errors such as
// PROJECT_NOT_FOUND end the watch at once.
func (c *Client) Watch(ctx context.Context, projectID int64, fn func(progress.Message) error) error {
	return c.watch(ctx, projectID, "", fn)
}

// watch is Watch of the runs that run (a ?run= value; "" for every run)
// names.
func (c *Client) watch(ctx context.Context, projectID int64, run string, fn func(progress.Message) error) error {
	var lastID string
	backoff := 250 * time.Millisecond
	for {
		got, err := c.watchOnce(ctx, projectID, run, &lastID, fn)
		switch {
		case errors.Is(err, ErrStop):
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil && !isTransient(err):
			return err
		}
		if got {
			backoff = 250 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// isTransient reports whether a broken stream is worth reconnecting.
func isTransient(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Status >= 500
	}
	return true // unreachable, reset, EOF: the server may be restarting
}

// watchOnce reads one SSE connection; it reports whether any event
// arrived.
func (c *Client) watchOnce(ctx context.Context, projectID int64, run string, lastID *string, fn func(progress.Message) error) (bool, error) {
	var q url.Values
	if run != "" {
		q = url.Values{"run": {run}}
	}
	req, err := c.newRequest(ctx, "GET", projectPath(projectID)+"/events", q, nil, "")
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "text/event-stream")
	if *lastID != "" {
		req.Header.Set("Last-Event-ID", *lastID)
	}
	resp, err := c.send(c.stream, req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, decodeError(resp)
	}
	got := false
	err = readEvents(resp.Body, func(id, data string) error {
		var m progress.Message
		if err := json.Unmarshal([]byte(data), &m); err != nil {
			return nil // not a progress message: skip it
		}
		got = true
		if id != "" {
			*lastID = id // seq, or run:seq on a stream of one run
		}
		return fn(m)
	})
	if err == nil {
		err = io.ErrUnexpectedEOF // the server ended the stream
	}
	return got, err
}

// readEvents parses a text/event-stream, calling fn for every event with
// data.
func readEvents(r io.Reader, fn func(id, data string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var id string
	var data []string
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if len(data) > 0 {
				if err := fn(id, strings.Join(data, "\n")); err != nil {
					return err
				}
			}
			data = data[:0]
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue // a comment (keep-alive)
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			id = value
		case "data":
			data = append(data, value)
		}
	}
	return sc.Err()
}

// WaitRun follows run of a project (?run=N; 0: every run) until it ends
// and returns its final message (stage "completed" or "error", or the
// last stage of a run of some stages). onMsg (may be nil) sees every
// message of the run. A run that is over and followed by another is a
// CONFLICT error: its end is no longer known.
func (c *Client) WaitRun(ctx context.Context, projectID int64, run int, onMsg func(progress.Message)) (progress.Message, error) {
	var last progress.Message
	scope := ""
	if run > 0 {
		scope = strconv.Itoa(run)
	}
	err := c.watch(ctx, projectID, scope, func(m progress.Message) error {
		if run != 0 && m.Run != run && m.Status != progress.StatusNotStarted {
			return nil // a server without ?run= sends every run
		}
		if onMsg != nil {
			onMsg(m)
		}
		if m.Final || m.Status == string(project.ScriptReview) {
			last = m // ended, or stopped to wait for a script review
			return ErrStop
		}
		return nil
	})
	return last, err
}
