package errcode

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestHTTPMapping(t *testing.T) {
	cases := []struct {
		status    int
		code      string
		retryable bool
	}{
		{429, "GEMINI_RATE_LIMITED", true},
		{500, "GEMINI_SERVER_ERROR", true},
		{502, "GEMINI_UNAVAILABLE", true},
		{503, "GEMINI_UNAVAILABLE", true},
		{504, "GEMINI_TIMEOUT", true},
		{408, "GEMINI_TIMEOUT", true},
		{400, "GEMINI_BAD_REQUEST", false},
		{401, "GEMINI_AUTH_FAILED", false},
		{403, "GEMINI_AUTH_FAILED", false},
		{404, "GEMINI_NOT_FOUND", false},
		{422, "GEMINI_BAD_REQUEST", false},
	}
	for _, c := range cases {
		e := HTTP("gemini", c.status, nil, "")
		if e.Code != c.code || e.Retryable != c.retryable || e.HTTPStatus != c.status || e.Message == "" {
			t.Errorf("HTTP(%d) = %+v, want %s retryable=%v", c.status, e, c.code, c.retryable)
		}
	}
	h := http.Header{}
	h.Set("Retry-After", "7")
	if e := HTTP("x", 429, h, "slow down"); e.RetryAfter != 7*time.Second || e.RetryAfterSeconds != 7 {
		t.Errorf("Retry-After not read: %+v", e)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	if d := ParseRetryAfter("2.5", now); d != 2500*time.Millisecond {
		t.Errorf("seconds: %s", d)
	}
	if d := ParseRetryAfter(now.Add(30*time.Second).Format(http.TimeFormat), now); d != 30*time.Second {
		t.Errorf("date: %s", d)
	}
	for _, v := range []string{"", "soon", "-3", now.Add(-time.Minute).Format(http.TimeFormat)} {
		if d := ParseRetryAfter(v, now); d != 0 {
			t.Errorf("%q: %s, want 0", v, d)
		}
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestClassify(t *testing.T) {
	coded := New(FFmpegFailed, "boom", false)
	cases := []struct {
		err       error
		code      string
		retryable bool
	}{
		{fmt.Errorf("render: %w", coded), FFmpegFailed, false},
		{context.DeadlineExceeded, Timeout, true},
		{os.ErrDeadlineExceeded, Timeout, true},
		{context.Canceled, Cancelled, false},
		{fmt.Errorf("write: %w", syscall.ENOSPC), DiskFull, false},
		{syscall.ECONNREFUSED, NetworkError, true},
		{io.ErrUnexpectedEOF, NetworkError, true},
		{timeoutErr{}, Timeout, true},
		{errors.New("something odd"), Internal, true},
	}
	for _, c := range cases {
		e := Classify(c.err)
		if e.Code != c.code || e.Retryable != c.retryable {
			t.Errorf("Classify(%v) = %s retryable=%v, want %s %v", c.err, e.Code, e.Retryable, c.code, c.retryable)
		}
		if !errors.Is(e, c.err) && !errors.Is(c.err, e) {
			t.Errorf("Classify(%v) lost the cause", c.err)
		}
	}
	if Classify(nil) != nil || IsRetryable(nil) {
		t.Error("nil must stay nil")
	}
}

func TestJSONAndClone(t *testing.T) {
	e := New("X", "msg", true).WithStage("render").WithDetail("k", "v").WithRetryAfter(3 * time.Second)
	e.Attempt, e.MaxRetries = 2, 3
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var back Error
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Code != "X" || back.Stage != "render" || back.Attempt != 2 || back.Details["k"] != "v" || back.RetryAfterSeconds != 3 {
		t.Fatalf("round trip: %s → %+v", b, back)
	}
	c := e.Clone()
	c.Details["k"] = "changed"
	if e.Details["k"] != "v" {
		t.Fatal("Clone shares the details map")
	}
	if e.Error() != "X: msg" {
		t.Fatalf("Error() = %q", e.Error())
	}
}
