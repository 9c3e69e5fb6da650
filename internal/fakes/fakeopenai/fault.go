package fakeopenai

import (
	"time"

	"github.com/ytmaker/ytmaker/internal/fakes/fakehttp"
)

// outputKind names a malformed model answer.
type outputKind int

const (
	outputNormal outputKind = iota
	outputBadJSON
	outputBlank
	outputRefusal
	outputLength
	outputNoChoices
	outputText
	outputErrorIn200
	outputEmptyAudio
	outputNotAudio
	outputSilent
	outputNotImage
	outputEmptyImage
)

// Fault describes how the fake answers one call instead of succeeding
// normally. Build one with Status, Quota, Delay, Drop, BadJSON, Blank,
// Refusal, Length, NoChoices, Text, ErrorIn200, EmptyAudio or NotAudio,
// refine it with the methods, and queue it with Server.Fail. Faults are
// values; the methods return modified copies.
type Fault struct {
	base   fakehttp.Fault
	output outputKind
	text   string
	code   string // the error's "code" on a Status fault
}

// Status answers with an HTTP error in OpenAI's shape,
// {"error":{"message","type","param","code"}}, with the service's usual
// message and code for the status (429 rate_limit_exceeded, 401
// invalid_api_key, 404 model_not_found, ...).
func Status(code int) Fault { return Fault{base: fakehttp.Fault{Status: code}} }

// Quota answers 429 insufficient_quota: the account has no credit left,
// which no back-off fixes.
func Quota() Fault { return Fault{base: fakehttp.Fault{Status: 429}, code: "insufficient_quota"} }

// Delay answers normally after d. The wait ends early when the client
// goes away.
func Delay(d time.Duration) Fault { return Fault{base: fakehttp.Fault{Delay: d}} }

// Drop sends the start of a successful answer and closes the connection
// in the middle of the body.
func Drop() Fault { return Fault{base: fakehttp.Fault{Drop: true}} }

// BadJSON answers 200 with message content that is not JSON.
func BadJSON() Fault { return Fault{output: outputBadJSON} }

// Blank answers 200 with content that is only white space and
// finish_reason stop, as DeepSeek's JSON mode now and then does.
func Blank() Fault { return Fault{output: outputBlank} }

// Refusal answers 200 with a refusal and no content.
func Refusal() Fault { return Fault{output: outputRefusal} }

// Length answers 200 with the script cut short and finish_reason length.
func Length() Fault { return Fault{output: outputLength} }

// NoChoices answers 200 with an empty choices list.
func NoChoices() Fault { return Fault{output: outputNoChoices} }

// Text answers 200 with s as the message content (finish_reason stop).
func Text(s string) Fault { return Fault{output: outputText, text: s} }

// ErrorIn200 answers HTTP 200 with an error object instead of a
// completion, as OpenRouter does when a provider fails mid-way.
func ErrorIn200() Fault { return Fault{output: outputErrorIn200} }

// EmptyAudio answers a speech request with 200 and no bytes.
func EmptyAudio() Fault { return Fault{output: outputEmptyAudio} }

// NotAudio answers a speech request with 200 and bytes that are no audio.
func NotAudio() Fault { return Fault{output: outputNotAudio} }

// Silent answers a speech request with audio of the right length that is
// all silence.
func Silent() Fault { return Fault{output: outputSilent} }

// NotImage answers an image generation with b64_json that decodes to an
// HTML page, not a picture.
func NotImage() Fault { return Fault{output: outputNotImage} }

// EmptyImage answers an image generation with an empty data list.
func EmptyImage() Fault { return Fault{output: outputEmptyImage} }

// RetryAfter adds a Retry-After header (whole seconds, rounded up).
func (f Fault) RetryAfter(d time.Duration) Fault { f.base.RetryAfter = d; return f }

// Delay makes the fault's answer arrive after d.
func (f Fault) Delay(d time.Duration) Fault { f.base.Delay = d; return f }

// Message replaces the error message of a Status fault.
func (f Fault) Message(msg string) Fault { f.base.Message = msg; return f }

// String describes the fault, as recorded in Request.Fault.
func (f Fault) String() string {
	var notes []string
	if f.code != "" {
		notes = append(notes, f.code)
	}
	return f.base.Describe(f.output.String(), notes...)
}

// String describes an output fault in Request.Fault; "" for none.
func (k outputKind) String() string {
	switch k {
	case outputBadJSON:
		return "bad JSON"
	case outputBlank:
		return "blank content"
	case outputRefusal:
		return "refusal"
	case outputLength:
		return "length"
	case outputNoChoices:
		return "no choices"
	case outputText:
		return "scripted text"
	case outputErrorIn200:
		return "error in 200"
	case outputEmptyAudio:
		return "empty audio"
	case outputNotAudio:
		return "not audio"
	case outputSilent:
		return "silent audio"
	case outputNotImage:
		return "not an image"
	case outputEmptyImage:
		return "no image"
	}
	return ""
}
