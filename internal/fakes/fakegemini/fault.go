package fakegemini

import (
	"strings"
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
// succeeding normally. Build one with Status, Billing, Delay, Drop,
// BadJSON, MaxTokens, Safety, PromptBlocked, Text or DailyQuota, refine
// it with the methods, and queue it with Server.Fail. Faults are values;
// the methods return modified copies.
//
// A fault applies to the next call, whichever model it names, unless
// ForModel ties it to one model: calls to other models then pass it by
// (and take the faults queued behind it). An Always fault stays queued and
// answers every call it applies to, as a key refused a model is refused
// each time.
type Fault struct {
	base    fakehttp.Fault
	output  outputKind
	text    string
	quotaID string
	noQuota bool   // the quota's limit is 0: the key's plan has none of it
	status  string // google.rpc status name, "" for the code's usual one
	model   string // the only model the fault applies to; "" for any
	always  bool
}

// Status answers with an HTTP error in the API's google.rpc shape:
// 400 INVALID_ARGUMENT, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED,
// 404 NOT_FOUND, 429 RESOURCE_EXHAUSTED, 500 INTERNAL, 503 UNAVAILABLE,
// 504 DEADLINE_EXCEEDED, each with the service's usual message.
func Status(code int) Fault { return Fault{base: fakehttp.Fault{Status: code}} }

// Billing answers 400 FAILED_PRECONDITION, as the service answers a key
// whose project must turn billing on for the call (the free tier is not
// offered in its country, or not for the model).
func Billing() Fault {
	return Fault{base: fakehttp.Fault{Status: 400,
		Message: "Gemini API free tier is not available in your country. Please enable billing on your project in Google AI Studio."},
		status: "FAILED_PRECONDITION"}
}

// DailyQuota answers 429 RESOURCE_EXHAUSTED for a per-day quota, with a
// QuotaFailure detail naming it.
func DailyQuota() Fault {
	return Fault{base: fakehttp.Fault{Status: 429}, quotaID: "GenerateRequestsPerDayPerProjectPerModel-FreeTier"}
}

// NoQuota answers 429 RESOURCE_EXHAUSTED the way Gemini refuses a model
// that the key's plan gives no quota at all (a free-tier key asking for
// pictures): the violated quotas have a limit of 0, said in the message
// and in each violation's quotaValue.
func NoQuota() Fault {
	return Fault{base: fakehttp.Fault{Status: 429,
		Message: "You exceeded your current quota, please check your plan and billing details.\n" +
			"* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 0"},
		quotaID: "GenerateRequestsPerDayPerProjectPerModel-FreeTier", noQuota: true}
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

// ForModel ties the fault to calls to model (as named in the path, such
// as "gemini-3.1-flash-image"); calls to other models pass it by.
func (f Fault) ForModel(model string) Fault { f.model = strings.TrimPrefix(model, "models/"); return f }

// Always keeps the fault queued: it answers every call it applies to,
// and holds back any fault queued behind it for those calls.
func (f Fault) Always() Fault { f.always = true; return f }

// appliesTo reports whether f answers a call to model ("" for
// models.list).
func (f Fault) appliesTo(model string) bool { return f.model == "" || f.model == model }

// String describes the fault, as recorded in Request.Fault.
func (f Fault) String() string {
	var notes []string
	if f.status != "" {
		notes = append(notes, f.status)
	}
	if f.quotaID != "" {
		notes = append(notes, "quota "+f.quotaID)
	}
	if f.noQuota {
		notes = append(notes, "limit 0")
	}
	if f.model != "" {
		notes = append(notes, "model "+f.model)
	}
	if f.always {
		notes = append(notes, "always")
	}
	return f.base.Describe(f.output.String(), notes...)
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
