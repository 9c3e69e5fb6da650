// Package openaicompat talks to OpenAI and to the servers that copy its
// API (a local Ollama, vLLM, LiteLLM, OpenRouter, DeepSeek, Kokoro-FastAPI,
// LocalAI) through the official github.com/openai/openai-go/v3 client: a
// Writer writes video scripts with chat completions and a Speaker reads
// narration with /v1/audio/speech.
//
// Neither retries API failures itself (the client's own retries are turned
// off): they come back as coded errors (OPENAI_RATE_LIMITED,
// OPENAI_UNAVAILABLE, OPENAI_AUTH_FAILED, ...) and the task system retries
// the retryable ones, honouring Retry-After.
package openaicompat

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/ytmaker/ytmaker/errcode"
)

// DefaultBaseURL is OpenAI's API.
const DefaultBaseURL = "https://api.openai.com/v1"

// Codes beyond those errcode.HTTP derives with the OPENAI prefix
// (OPENAI_RATE_LIMITED, OPENAI_UNAVAILABLE, OPENAI_SERVER_ERROR,
// OPENAI_TIMEOUT, OPENAI_AUTH_FAILED, OPENAI_BAD_REQUEST).
const (
	CodeNotConfigured = "OPENAI_NOT_CONFIGURED"
	CodeAuthFailed    = "OPENAI_AUTH_FAILED"
	CodeModelNotFound = "OPENAI_MODEL_NOT_FOUND"
	CodeQuotaExceeded = "OPENAI_QUOTA_EXCEEDED" // no credit left: retrying will not help
	CodeRefused       = "OPENAI_REFUSED"
	CodeEmptyAnswer   = "OPENAI_EMPTY_ANSWER"
	CodeBadResponse   = "OPENAI_BAD_RESPONSE"
	CodeNetworkError  = "OPENAI_NETWORK_ERROR"
	CodeTimeout       = "OPENAI_TIMEOUT"
	CodeBadAudio      = "OPENAI_BAD_AUDIO"
)

// service is the errcode.HTTP prefix.
const service = "OPENAI"

// newClient returns a client for baseURL and key with retries off. A
// client without a key sends no Authorization header, which is what a
// local Ollama expects.
func newClient(baseURL, key string, hc *http.Client) openai.Client {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	if hc == nil {
		hc = &http.Client{}
	}
	return openai.NewClient(
		option.WithBaseURL(strings.TrimRight(baseURL, "/")+"/"),
		option.WithAPIKey(key),
		option.WithHTTPClient(hc),
		option.WithMaxRetries(0),
	)
}

// classify turns an error from the client into a coded one. key is
// removed from messages.
func classify(err error, key, what string) *errcode.Error {
	var ae *openai.Error
	if errors.As(err, &ae) {
		return apiError(ae, key, what)
	}
	c := errcode.Classify(err)
	msg := redact(err.Error(), key)
	switch c.Code {
	case errcode.Cancelled:
		return c
	case errcode.Timeout:
		return errcode.New(CodeTimeout, what+" timed out: "+msg, true).WithCause(err)
	case errcode.NetworkError:
		return errcode.New(CodeNetworkError, what+": connection failed: "+msg, true).WithCause(err)
	}
	return errcode.New(CodeBadResponse, what+": the answer could not be read: "+msg, true).WithCause(err)
}

// apiError maps an error answer to a coded error.
func apiError(ae *openai.Error, key, what string) *errcode.Error {
	msg := redact(strings.TrimSpace(ae.Message), key)
	if msg == "" {
		// Servers such as Kokoro-FastAPI answer in another shape; keep
		// the raw body, short.
		msg = redact(truncate(strings.TrimSpace(ae.RawJSON()), 300), key)
	}
	if msg == "" {
		msg = http.StatusText(ae.StatusCode)
	}
	var header http.Header
	if ae.Response != nil {
		header = ae.Response.Header
	}
	e := errcode.HTTP(service, ae.StatusCode, header, fmt.Sprintf("%s: HTTP %d: %s", what, ae.StatusCode, msg))
	switch {
	case ae.StatusCode == http.StatusUnauthorized || ae.StatusCode == http.StatusForbidden:
		e.Code = CodeAuthFailed
	case ae.StatusCode == http.StatusNotFound:
		e.Code = CodeModelNotFound
	case ae.StatusCode == http.StatusPaymentRequired,
		ae.StatusCode == http.StatusTooManyRequests && ae.Code == "insufficient_quota":
		e.Code, e.Retryable = CodeQuotaExceeded, false
	}
	if ae.Code != "" {
		e.WithDetail("error_code", ae.Code)
	}
	if ae.Type != "" {
		e.WithDetail("error_type", ae.Type)
	}
	if ae.Param != "" {
		e.WithDetail("param", ae.Param)
	}
	return e.WithCause(ae)
}

func redact(msg, key string) string {
	if key == "" {
		return msg
	}
	return strings.ReplaceAll(msg, key, "[REDACTED]")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// timeoutOr returns d, or def when d is 0.
func timeoutOr(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
