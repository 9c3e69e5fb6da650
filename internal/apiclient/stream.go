package apiclient

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
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
	var lastID int64
	backoff := 250 * time.Millisecond
	for {
		got, err := c.watchOnce(ctx, projectID, &lastID, fn)
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
func (c *Client) watchOnce(ctx context.Context, projectID int64, lastID *int64, fn func(progress.Message) error) (bool, error) {
	req, err := c.newRequest(ctx, "GET", projectPath(projectID)+"/events", nil, nil, "")
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "text/event-stream")
	if *lastID > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(*lastID, 10))
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
		if n, err := strconv.ParseInt(id, 10, 64); err == nil {
			*lastID = n
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

// WaitRun follows a project's progress until run ends and returns its
// final message (stage "completed" or "error"). onMsg (may be nil) sees
// every message of the run. A final message of an earlier run is
// skipped.
func (c *Client) WaitRun(ctx context.Context, projectID int64, run int, onMsg func(progress.Message)) (progress.Message, error) {
	var last progress.Message
	err := c.Watch(ctx, projectID, func(m progress.Message) error {
		if run != 0 && m.Run != 0 && m.Run < run {
			return nil
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
