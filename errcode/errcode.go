// Package errcode defines the coded errors that YTMaker's tasks, stages and
// providers return, and the rules that decide whether a failure is retried.
//
// Every failure a caller can see carries a stable machine-readable code (for
// example GEMINI_RATE_LIMITED or FFMPEG_FAILED), a human message, the stage it
// happened in, whether it is retryable, and the attempt count. Errors travel
// through Redis and project_state.json as JSON, so the type marshals cleanly.
package errcode

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Generic codes. Providers add their own with a service prefix
// (see HTTP): GEMINI_RATE_LIMITED, STABILITY_AUTH_FAILED, ...
const (
	InvalidInput         = "INVALID_INPUT"
	NotFound             = "NOT_FOUND"
	Conflict             = "CONFLICT"
	ProjectBusy          = "PROJECT_BUSY"
	Cancelled            = "CANCELLED"
	Timeout              = "TIMEOUT"
	TimeLimitExceeded    = "TASK_TIME_LIMIT_EXCEEDED"
	NetworkError         = "NETWORK_ERROR"
	DiskFull             = "DISK_FULL"
	FileSystemError      = "FILE_SYSTEM_ERROR"
	RedisUnavailable     = "REDIS_UNAVAILABLE"
	WorkerLost           = "WORKER_LOST"
	Internal             = "INTERNAL_ERROR"
	ScriptInvalid        = "SCRIPT_INVALID"
	TooManyImagesFailed  = "TOO_MANY_IMAGES_FAILED"
	FFmpegNotFound       = "FFMPEG_NOT_FOUND"
	FFmpegFailed         = "FFMPEG_FAILED"
	RenderVerifyFailed   = "RENDER_VERIFY_FAILED"
	TTSFailed            = "TTS_FAILED"
	YouTubeAuthRequired  = "YOUTUBE_AUTH_REQUIRED"
	YouTubeQuotaExceeded = "YOUTUBE_QUOTA_EXCEEDED"
	YouTubeUploadLimit   = "YOUTUBE_UPLOAD_LIMIT_EXCEEDED"
	// A creator's own picture or clip for a segment: not one of the
	// accepted types, not decodable, or too big.
	MediaUnsupported = "MEDIA_UNSUPPORTED"
	MediaUndecodable = "MEDIA_UNDECODABLE"
	MediaTooLarge    = "MEDIA_TOO_LARGE"
)

// MaxRetryAfter caps how long a server-requested Retry-After is honoured.
const MaxRetryAfter = 60 * time.Second

// Error is a coded failure. The zero value is not useful; build one with
// New, Newf, Wrap or HTTP.
type Error struct {
	Code       string         `json:"code"`
	Message    string         `json:"message"`
	Stage      string         `json:"stage,omitempty"`
	Retryable  bool           `json:"retryable"`
	Attempt    int            `json:"attempt,omitempty"`
	MaxRetries int            `json:"max_retries,omitempty"`
	HTTPStatus int            `json:"http_status,omitempty"`
	RetryAfter time.Duration  `json:"-"`
	Details    map[string]any `json:"details,omitempty"`

	// RetryAfterSeconds mirrors RetryAfter for JSON consumers.
	RetryAfterSeconds float64 `json:"retry_after_seconds,omitempty"`

	cause error
}

// New returns an error with the given code and message.
func New(code, message string, retryable bool) *Error {
	return &Error{Code: code, Message: message, Retryable: retryable}
}

// Newf is New with a formatted message.
func Newf(code string, retryable bool, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Retryable: retryable}
}

// Wrap returns a coded error whose cause is err. The message defaults to
// err's text.
func Wrap(err error, code string, retryable bool, message string) *Error {
	if message == "" && err != nil {
		message = err.Error()
	}
	return &Error{Code: code, Message: message, Retryable: retryable, cause: err}
}

// Error implements error.
func (e *Error) Error() string {
	if e == nil {
		return "<nil>"
	}
	if e.Message == "" {
		return e.Code
	}
	return e.Code + ": " + e.Message
}

// Unwrap returns the cause, if any.
func (e *Error) Unwrap() error { return e.cause }

// WithCause sets the wrapped cause and returns e.
func (e *Error) WithCause(err error) *Error { e.cause = err; return e }

// WithStage sets the stage and returns e.
func (e *Error) WithStage(stage string) *Error { e.Stage = stage; return e }

// WithRetryAfter sets the server-requested wait and returns e.
func (e *Error) WithRetryAfter(d time.Duration) *Error {
	e.RetryAfter = d
	e.RetryAfterSeconds = d.Seconds()
	return e
}

// WithDetail adds one detail and returns e.
func (e *Error) WithDetail(key string, v any) *Error {
	if e.Details == nil {
		e.Details = map[string]any{}
	}
	e.Details[key] = v
	return e
}

// Clone returns a shallow copy (details map copied) that keeps the cause.
func (e *Error) Clone() *Error {
	c := *e
	if e.Details != nil {
		c.Details = make(map[string]any, len(e.Details))
		for k, v := range e.Details {
			c.Details[k] = v
		}
	}
	return &c
}

// As returns the first *Error in err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) && e != nil {
		return e, true
	}
	return nil, false
}

// Code returns the code of the first *Error in err's chain, or "" when there
// is none.
func Code(err error) string {
	if e, ok := As(err); ok {
		return e.Code
	}
	return ""
}

// IsRetryable reports whether err should be retried, using Classify.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	return Classify(err).Retryable
}

// Classify turns any error into a coded one. A failure of the storage is
// told as such wherever it shows (see Storage). Otherwise an *Error in the
// chain is returned as is, and else: deadlines and network timeouts are retryable
// TIMEOUT, connection failures are retryable NETWORK_ERROR, a full disk is
// DISK_FULL (not retryable), context cancellation is CANCELLED (not
// retryable), and anything else is a retryable INTERNAL_ERROR (the seed
// retries unknown failures; a permanent failure must say so with a code).
func Classify(err error) *Error {
	if err == nil {
		return nil
	}
	if e := Storage(err); e != nil {
		return e
	}
	if e, ok := As(err); ok {
		return e
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return Wrap(err, Timeout, true, "")
	case errors.Is(err, context.Canceled):
		return Wrap(err, Cancelled, false, "")
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH):
		return Wrap(err, NetworkError, true, "")
	}
	var ne net.Error
	if errors.As(err, &ne) {
		if ne.Timeout() {
			return Wrap(err, Timeout, true, "")
		}
		return Wrap(err, NetworkError, true, "")
	}
	var de *net.DNSError
	if errors.As(err, &de) {
		return Wrap(err, NetworkError, true, "")
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return Wrap(err, NetworkError, true, "")
	}
	return Wrap(err, Internal, true, "")
}

// HTTP maps an HTTP error status from service (an upper-case prefix such as
// "GEMINI") to a coded error, following the seed's policy:
//
//	429            → SERVICE_RATE_LIMITED, retryable, Retry-After honoured
//	408, 504       → SERVICE_TIMEOUT, retryable
//	500            → SERVICE_SERVER_ERROR, retryable
//	502, 503       → SERVICE_UNAVAILABLE, retryable
//	401, 403       → SERVICE_AUTH_FAILED, not retryable
//	404            → SERVICE_NOT_FOUND, not retryable
//	400, 422, ...  → SERVICE_BAD_REQUEST, not retryable
//
// header may be nil; message is what the service said.
func HTTP(service string, status int, header http.Header, message string) *Error {
	service = strings.ToUpper(service)
	var e *Error
	switch {
	case status == http.StatusTooManyRequests:
		e = New(service+"_RATE_LIMITED", message, true)
	case status == http.StatusRequestTimeout || status == http.StatusGatewayTimeout:
		e = New(service+"_TIMEOUT", message, true)
	case status == http.StatusInternalServerError:
		e = New(service+"_SERVER_ERROR", message, true)
	case status == http.StatusBadGateway || status == http.StatusServiceUnavailable:
		e = New(service+"_UNAVAILABLE", message, true)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		e = New(service+"_AUTH_FAILED", message, false)
	case status == http.StatusNotFound:
		e = New(service+"_NOT_FOUND", message, false)
	case status >= 500:
		e = New(service+"_SERVER_ERROR", message, true)
	default:
		e = New(service+"_BAD_REQUEST", message, false)
	}
	e.HTTPStatus = status
	if e.Message == "" {
		e.Message = fmt.Sprintf("%s answered HTTP %d", strings.ToLower(service), status)
	}
	if header != nil {
		if d := ParseRetryAfter(header.Get("Retry-After"), time.Now()); d > 0 {
			e.WithRetryAfter(d)
		}
	}
	return e
}

// ParseRetryAfter reads a Retry-After header value: delay-seconds or an
// HTTP date. It returns 0 when the value is empty or unparsable.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
