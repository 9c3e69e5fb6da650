// Package faketts is an in-process fake of Google Cloud Text-to-Speech's
// REST endpoints POST /v1/text:synthesize and GET /v1/voices (the list a
// key check reads).
//
// It checks the API key (x-goog-api-key header or ?key=), validates the
// request like the service (400 INVALID_ARGUMENT in the google.rpc shape,
// including the 5000-byte input limit), and answers LINEAR16 requests
// with a real WAV file (header included, as the service sends it): a soft
// tone as long as the text would take to read, slower or faster with
// speakingRate. Other encodings are answered 501, as the fake cannot
// produce them.
//
// Failures are scripted per call with Fail:
//
//	srv := faketts.New(faketts.Options{APIKey: "test-key"})
//	defer srv.Close()
//	srv.Fail(faketts.Status(503), faketts.Status(429).RetryAfter(2*time.Second))
package faketts

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/internal/fakes/fakeaudio"
	"github.com/ytmaker/ytmaker/internal/fakes/fakehttp"
	"github.com/ytmaker/ytmaker/internal/language"
)

// MaxInputBytes is the service's limit on input text per request.
const MaxInputBytes = 5000

// Options configures a Server.
type Options struct {
	// APIKey is the key callers must send. "" accepts any non-empty key.
	APIKey string
	// Headerless answers raw PCM samples without a WAV header.
	Headerless bool
	// SecondsPerRequest, when set, fixes the length of every answer
	// instead of estimating it from the text.
	SecondsPerRequest float64
}

// Fault describes how the fake answers one synthesize call instead of
// succeeding. Build one with Status, Delay or Drop, refine it with the
// methods and queue it with Server.Fail.
type Fault struct {
	base fakehttp.Fault
}

// Status answers with an HTTP error in the google.rpc shape (400
// INVALID_ARGUMENT, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 429
// RESOURCE_EXHAUSTED, 500 INTERNAL, 503 UNAVAILABLE, 504
// DEADLINE_EXCEEDED, ...).
func Status(code int) Fault { return Fault{base: fakehttp.Fault{Status: code}} }

// Delay answers normally after d (or delays the fault's answer, as a
// method). The wait ends early when the client goes away.
func Delay(d time.Duration) Fault { return Fault{base: fakehttp.Fault{Delay: d}} }

// Drop closes the connection in the middle of the answer.
func Drop() Fault { return Fault{base: fakehttp.Fault{Drop: true}} }

// RetryAfter adds a Retry-After header and, on a 429, a RetryInfo detail.
func (f Fault) RetryAfter(d time.Duration) Fault { f.base.RetryAfter = d; return f }

// Delay makes the fault's answer arrive after d.
func (f Fault) Delay(d time.Duration) Fault { f.base.Delay = d; return f }

// Message replaces the error message of a Status fault.
func (f Fault) Message(msg string) Fault { f.base.Message = msg; return f }

// String describes the fault, as recorded in Request.Fault.
func (f Fault) String() string { return f.base.Describe("") }

// Request is one call the fake received, secrets removed.
type Request struct {
	Method       string
	Path         string
	Header       http.Header // without x-goog-api-key and Authorization
	Query        url.Values  // without key
	Text         string      // input.text (or input.ssml)
	TextBytes    int
	LanguageCode string
	VoiceName    string
	Encoding     string
	SampleRate   int
	SpeakingRate float64
	Status       int     // HTTP status answered; 0 when the connection was dropped
	Fault        string  // the fault applied, "" for none
	Seconds      float64 // length of the audio answered
}

// Server is a running fake. It is safe for concurrent use.
//
// Its methods URL, Client, Close, Fail, PendingFaults, Requests and Calls
// are those of fakehttp.Server. Each fault given to Fail applies to one
// later call, in order.
type Server struct {
	*server
	opts Options

	faults   fakehttp.Queue[Fault]
	requests fakehttp.Log[Request]
}

// server is the part of a Server that serves and shows its faults and
// requests.
type server = fakehttp.Server[Fault, Request]

// New starts a fake server.
func New(opts Options) *Server {
	s := &Server{opts: opts}
	s.server = fakehttp.NewServer(http.HandlerFunc(s.serve), &s.faults, &s.requests)
	return s
}

type synthesizeBody struct {
	Input struct {
		Text *string `json:"text"`
		SSML *string `json:"ssml"`
	} `json:"input"`
	Voice *struct {
		LanguageCode string `json:"languageCode"`
		Name         string `json:"name"`
	} `json:"voice"`
	AudioConfig *struct {
		AudioEncoding   string   `json:"audioEncoding"`
		SampleRateHertz int      `json:"sampleRateHertz"`
		SpeakingRate    *float64 `json:"speakingRate"`
	} `json:"audioConfig"`
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	header, query := fakehttp.WithoutGoogleKey(r)
	rec := Request{Method: r.Method, Path: r.URL.Path, Header: header, Query: query}
	w, save := s.requests.Track(w, &rec, &rec.Status)
	defer save()

	if code, msg, details := fakehttp.CheckGoogleAPIKey(r, s.opts.APIKey, "texttospeech.googleapis.com"); code != 0 {
		writeError(w, code, msg, details)
		return
	}
	if r.URL.Path == "/v1/voices" || r.URL.Path == "/v1beta1/voices" {
		s.voices(w, r, &rec)
		return
	}
	if r.URL.Path != "/v1/text:synthesize" && r.URL.Path != "/v1beta1/text:synthesize" {
		writeError(w, http.StatusNotFound, "The fake serves only POST /v1/text:synthesize and GET /v1/voices.", nil)
		return
	}
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "Method not allowed.", nil)
		return
	}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var b synthesizeBody
	if err := json.Unmarshal(raw, &b); err != nil {
		writeError(w, http.StatusBadRequest, "Invalid JSON payload received. "+err.Error(), nil)
		return
	}
	text := ""
	switch {
	case b.Input.Text != nil && b.Input.SSML != nil:
		writeError(w, http.StatusBadRequest, "Only one of `input.text` or `input.ssml` may be set.", nil)
		return
	case b.Input.Text != nil:
		text = *b.Input.Text
	case b.Input.SSML != nil:
		text = stripTags(*b.Input.SSML)
	}
	rec.Text, rec.TextBytes = text, len(text)
	if b.Input.SSML != nil {
		rec.TextBytes = len(*b.Input.SSML)
	}
	if b.Voice != nil {
		rec.LanguageCode, rec.VoiceName = b.Voice.LanguageCode, b.Voice.Name
	}
	if b.AudioConfig != nil {
		rec.Encoding, rec.SampleRate = b.AudioConfig.AudioEncoding, b.AudioConfig.SampleRateHertz
		rec.SpeakingRate = 1
		if b.AudioConfig.SpeakingRate != nil {
			rec.SpeakingRate = *b.AudioConfig.SpeakingRate
		}
	}
	if msg := validate(b, rec); msg != "" {
		writeError(w, http.StatusBadRequest, msg, nil)
		return
	}
	if rec.Encoding != "LINEAR16" {
		writeError(w, http.StatusNotImplemented, "The fake answers audioEncoding LINEAR16 only.", nil)
		return
	}

	fault, _ := s.faults.Pop()
	rec.Fault = fault.String()
	if fault.base.Apply(w, r, droppedAnswer, func(code int, msg string) {
		var details []any
		if code == http.StatusTooManyRequests && fault.base.RetryAfter > 0 {
			details = append(details, fakehttp.GoogleRetryInfo(fault.base.RetryAfter))
		}
		writeError(w, code, msg, details)
	}) {
		return
	}

	rate := rec.SampleRate
	if rate == 0 {
		rate = 24000
	}
	secs := s.opts.SecondsPerRequest
	if secs <= 0 {
		secs = math.Max(0.3, language.ReadingSeconds(text)/rec.SpeakingRate)
	}
	rec.Seconds = secs
	audio := fakeaudio.Tone(rate, secs)
	if !s.opts.Headerless {
		audio = append(fakeaudio.WAVHeader(rate, len(audio)), audio...)
	}
	writeJSON(w, http.StatusOK, map[string]any{"audioContent": base64.StdEncoding.EncodeToString(audio)})
}

var encodings = map[string]bool{"LINEAR16": true, "MP3": true, "OGG_OPUS": true, "MULAW": true, "ALAW": true, "PCM": true, "M4A": true}

// validate returns the service's message for a bad request, or "".
func validate(b synthesizeBody, rec Request) string {
	switch {
	case b.Input.Text == nil && b.Input.SSML == nil:
		return "Either `input.text` or `input.ssml` must be set."
	case rec.TextBytes > MaxInputBytes:
		return "Either `input.text` or `input.ssml` is longer than the limit of 5000 bytes. This limit is different from quotas. To fix, reduce the byte length of the characters in this request, or consider using the Long Audio API: https://cloud.google.com/text-to-speech/docs/create-audio-text-long-audio-synthesis."
	case strings.TrimSpace(rec.Text) == "":
		return "Request contains an invalid argument: input text is empty."
	case b.Voice == nil || rec.LanguageCode == "":
		return "Voice language code must be specified."
	case rec.VoiceName != "" && !strings.HasPrefix(strings.ToLower(rec.VoiceName), strings.ToLower(rec.LanguageCode)+"-"):
		return fmt.Sprintf("Requested language code '%s' doesn't match the voice '%s''s language code.", rec.LanguageCode, rec.VoiceName)
	case b.AudioConfig == nil || rec.Encoding == "":
		return "AudioConfig.audio_encoding must be specified."
	case !encodings[rec.Encoding]:
		return fmt.Sprintf("Invalid value at 'audio_config.audio_encoding' (type.googleapis.com/google.cloud.texttospeech.v1.AudioEncoding), %q", rec.Encoding)
	case rec.SpeakingRate < 0.25 || rec.SpeakingRate > 4:
		return "Speaking rate must be between 0.25 and 4.0."
	case rec.SampleRate != 0 && (rec.SampleRate < 8000 || rec.SampleRate > 48000):
		return "Sample rate must be between 8000 and 48000 Hz."
	}
	return ""
}

func stripTags(ssml string) string {
	var b strings.Builder
	in := false
	for _, r := range ssml {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}

var statusNames = map[int]string{
	400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
	405: "METHOD_NOT_ALLOWED", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 501: "UNIMPLEMENTED",
	502: "UNAVAILABLE", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
}

var defaultMessages = map[int]string{
	400: "Request contains an invalid argument.",
	401: "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
	403: "Cloud Text-to-Speech API has not been used in this project before or it is disabled.",
	404: "Requested entity was not found.",
	429: "Quota exceeded for quota metric 'Requests' and limit 'Requests per minute'.",
	500: "Internal error encountered.",
	502: "Bad gateway.",
	503: "The service is currently unavailable.",
	504: "Deadline exceeded.",
}

// writeError answers code with msg, or the service's usual message when
// msg is "", in the google.rpc shape.
func writeError(w http.ResponseWriter, code int, msg string, details []any) {
	msg = cmp.Or(msg, defaultMessages[code], http.StatusText(code))
	writeJSON(w, code, fakehttp.GoogleError(code, cmp.Or(statusNames[code], "UNKNOWN"), msg, details))
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	fakehttp.JSON{ContentType: "application/json; charset=UTF-8"}.Write(w, code, v)
}

// droppedAnswer is what a Drop fault sends: audio promised and never
// finished.
const droppedAnswer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 65536\r\n\r\n{\"audioContent\": \"UklGR"

// fakeVoices are the voices GET /v1/voices lists.
var fakeVoices = []struct{ lang, name, gender string }{
	{"en-US", "en-US-Neural2-F", "FEMALE"}, {"en-US", "en-US-Neural2-D", "MALE"},
	{"cmn-TW", "cmn-TW-Wavenet-A", "FEMALE"}, {"cmn-CN", "cmn-CN-Wavenet-A", "FEMALE"},
	{"ja-JP", "ja-JP-Neural2-B", "FEMALE"}, {"ko-KR", "ko-KR-Neural2-A", "FEMALE"},
}

// voices answers GET /v1/voices, filtered by ?languageCode= as the
// service does (a language without a region matches its regions).
func (s *Server) voices(w http.ResponseWriter, r *http.Request, rec *Request) {
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, "Method not allowed.", nil)
		return
	}
	fault, _ := s.faults.Pop()
	rec.Fault = fault.String()
	if fault.base.Apply(w, r, droppedAnswer, func(code int, msg string) {
		var details []any
		if code == http.StatusTooManyRequests && fault.base.RetryAfter > 0 {
			details = append(details, fakehttp.GoogleRetryInfo(fault.base.RetryAfter))
		}
		writeError(w, code, msg, details)
	}) {
		return
	}
	want := strings.ToLower(r.URL.Query().Get("languageCode"))
	list := []any{}
	for _, v := range fakeVoices {
		l := strings.ToLower(v.lang)
		if want != "" && l != want && !strings.HasPrefix(l, want+"-") {
			continue
		}
		list = append(list, map[string]any{"languageCodes": []string{v.lang}, "name": v.name,
			"ssmlGender": v.gender, "naturalSampleRateHertz": 24000})
	}
	writeJSON(w, http.StatusOK, map[string]any{"voices": list})
}
