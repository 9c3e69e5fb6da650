package fakegemini

import (
	"time"

	"github.com/ytmaker/ytmaker/internal/fakes/fakehttp"
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
	outputNoMedia
	outputImageSafety
	outputNotMedia
	outputSilentAudio
)

// Fault describes how the fake answers one generateContent call instead of
// succeeding normally. Build one with Status, Delay, Drop, BadJSON,
// MaxTokens, Safety, PromptBlocked, Text or DailyQuota, refine it with the
// methods, and queue it with Server.Fail. Faults are values; the methods
// return modified copies.
type Fault struct {
	base    fakehttp.Fault
	output  outputKind
	text    string
	quotaID string
}

// Status answers with an HTTP error in the API's google.rpc shape:
// 400 INVALID_ARGUMENT, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED,
// 404 NOT_FOUND, 429 RESOURCE_EXHAUSTED, 500 INTERNAL, 503 UNAVAILABLE,
// 504 DEADLINE_EXCEEDED, each with the service's usual message.
func Status(code int) Fault { return Fault{base: fakehttp.Fault{Status: code}} }

// DailyQuota answers 429 RESOURCE_EXHAUSTED for a per-day quota, with a
// QuotaFailure detail naming it.
func DailyQuota() Fault {
	return Fault{base: fakehttp.Fault{Status: 429}, quotaID: "GenerateRequestsPerDayPerProjectPerModel-FreeTier"}
}

// Delay answers normally after d (or the fault's answer, as a method).
// The wait ends early when the client goes away.
func Delay(d time.Duration) Fault { return Fault{base: fakehttp.Fault{Delay: d}} }

// Drop sends the start of a successful answer and closes the connection
// in the middle of the body.
func Drop() Fault { return Fault{base: fakehttp.Fault{Drop: true}} }

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

// NoMedia answers an image or speech call with text only (no inlineData),
// as a model declining to draw does; for speech, no parts at all.
func NoMedia() Fault { return Fault{output: outputNoMedia} }

// ImageSafety answers an image call with finishReason IMAGE_SAFETY and no
// parts.
func ImageSafety() Fault { return Fault{output: outputImageSafety} }

// NotMedia answers an image or speech call with inlineData that is an HTML
// page, not a picture or audio.
func NotMedia() Fault { return Fault{output: outputNotMedia} }

// SilentAudio answers a speech call with silence.
func SilentAudio() Fault { return Fault{output: outputSilentAudio} }

// RetryAfter adds a Retry-After header and, on a 429, a RetryInfo detail
// with retryDelay d (as "59s").
func (f Fault) RetryAfter(d time.Duration) Fault { f.base.RetryAfter = d; return f }

// Delay makes the fault's answer arrive after d.
func (f Fault) Delay(d time.Duration) Fault { f.base.Delay = d; return f }

// Message replaces the error message of a Status fault.
func (f Fault) Message(msg string) Fault { f.base.Message = msg; return f }

// String describes the fault, as recorded in Request.Fault.
func (f Fault) String() string {
	var quota []string
	if f.quotaID != "" {
		quota = append(quota, "quota "+f.quotaID)
	}
	return f.base.Describe(f.output.String(), quota...)
}

// String describes an output fault in Request.Fault; "" for none.
func (k outputKind) String() string {
	switch k {
	case outputBadJSON:
		return "bad JSON"
	case outputMaxTokens:
		return "MAX_TOKENS"
	case outputSafety:
		return "SAFETY"
	case outputPromptBlocked:
		return "prompt blocked"
	case outputText:
		return "scripted text"
	case outputNoMedia:
		return "no media"
	case outputImageSafety:
		return "IMAGE_SAFETY"
	case outputNotMedia:
		return "not media"
	case outputSilentAudio:
		return "silent audio"
	}
	return ""
}
