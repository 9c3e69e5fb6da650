package fakegemini

import (
	"fmt"
	"strings"
	"time"
)

// outputKind names a malformed or blocked model answer.
type outputKind int

const (
	outputNormal outputKind = iota
	outputBadJSON
	outputMaxTokens
	outputSafety
	outputPromptBlocked
	outputText
)

// Fault describes how the fake answers one generateContent call instead of
// succeeding normally. Build one with Status, Delay, Drop, BadJSON,
// MaxTokens, Safety, PromptBlocked, Text or DailyQuota, refine it with the
// methods, and queue it with Server.Fail. Faults are values; the methods
// return modified copies.
type Fault struct {
	status     int
	message    string
	retryAfter time.Duration
	delay      time.Duration
	drop       bool
	output     outputKind
	text       string
	quotaID    string
}

// Status answers with an HTTP error in the API's google.rpc shape:
// 400 INVALID_ARGUMENT, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED,
// 404 NOT_FOUND, 429 RESOURCE_EXHAUSTED, 500 INTERNAL, 503 UNAVAILABLE,
// 504 DEADLINE_EXCEEDED, each with the service's usual message.
func Status(code int) Fault { return Fault{status: code} }

// DailyQuota answers 429 RESOURCE_EXHAUSTED for a per-day quota, with a
// QuotaFailure detail naming it.
func DailyQuota() Fault {
	return Fault{status: 429, quotaID: "GenerateRequestsPerDayPerProjectPerModel-FreeTier"}
}

// Delay answers normally after d (or the fault's answer, as a method).
// The wait ends early when the client goes away.
func Delay(d time.Duration) Fault { return Fault{delay: d} }

// Drop sends the start of a successful answer and closes the connection
// in the middle of the body.
func Drop() Fault { return Fault{drop: true} }

// BadJSON answers 200 with model text that is not JSON.
func BadJSON() Fault { return Fault{output: outputBadJSON} }

// MaxTokens answers 200 with finishReason MAX_TOKENS and no text, as a
// thinking model does when its thoughts use up the output budget.
func MaxTokens() Fault { return Fault{output: outputMaxTokens} }

// Safety answers 200 with finishReason SAFETY and no text.
func Safety() Fault { return Fault{output: outputSafety} }

// PromptBlocked answers 200 with promptFeedback.blockReason SAFETY and no
// candidates.
func PromptBlocked() Fault { return Fault{output: outputPromptBlocked} }

// Text answers 200 with s as the model's text (finishReason STOP), for
// scripted outputs such as JSON that fails validation.
func Text(s string) Fault { return Fault{output: outputText, text: s} }

// RetryAfter adds a Retry-After header and, on a 429, a RetryInfo detail
// with retryDelay d (as "59s").
func (f Fault) RetryAfter(d time.Duration) Fault { f.retryAfter = d; return f }

// Delay makes the fault's answer arrive after d.
func (f Fault) Delay(d time.Duration) Fault { f.delay = d; return f }

// Message replaces the error message of a Status fault.
func (f Fault) Message(msg string) Fault { f.message = msg; return f }

// String describes the fault, as recorded in Request.Fault.
func (f Fault) String() string {
	var parts []string
	switch {
	case f.status != 0:
		parts = append(parts, fmt.Sprintf("status %d", f.status))
	case f.drop:
		parts = append(parts, "drop")
	case f.output == outputBadJSON:
		parts = append(parts, "bad JSON")
	case f.output == outputMaxTokens:
		parts = append(parts, "MAX_TOKENS")
	case f.output == outputSafety:
		parts = append(parts, "SAFETY")
	case f.output == outputPromptBlocked:
		parts = append(parts, "prompt blocked")
	case f.output == outputText:
		parts = append(parts, "scripted text")
	}
	if f.quotaID != "" {
		parts = append(parts, "quota "+f.quotaID)
	}
	if f.retryAfter > 0 {
		parts = append(parts, "retry after "+f.retryAfter.String())
	}
	if f.delay > 0 {
		parts = append(parts, "delay "+f.delay.String())
	}
	return strings.Join(parts, ", ")
}
