// Package faketts is an in-process fake of Google Cloud Text-to-Speech's
// REST endpoint POST /v1/text:synthesize.
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
	"bufio"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

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
	status     int
	message    string
	retryAfter time.Duration
	delay      time.Duration
	drop       bool
}

// Status answers with an HTTP error in the google.rpc shape (400
// INVALID_ARGUMENT, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 429
// RESOURCE_EXHAUSTED, 500 INTERNAL, 503 UNAVAILABLE, 504
// DEADLINE_EXCEEDED, ...).
func Status(code int) Fault { return Fault{status: code} }

// Delay answers normally after d (or delays the fault's answer, as a
// method). The wait ends early when the client goes away.
func Delay(d time.Duration) Fault { return Fault{delay: d} }

// Drop closes the connection in the middle of the answer.
func Drop() Fault { return Fault{drop: true} }

// RetryAfter adds a Retry-After header and, on a 429, a RetryInfo detail.
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
	}
	if f.retryAfter > 0 {
		parts = append(parts, "retry after "+f.retryAfter.String())
	}
	if f.delay > 0 {
		parts = append(parts, "delay "+f.delay.String())
	}
	return strings.Join(parts, ", ")
}

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
type Server struct {
	ts   *httptest.Server
	opts Options

	mu       sync.Mutex
	faults   []Fault
	requests []Request
}

// New starts a fake server.
func New(opts Options) *Server {
	s := &Server{opts: opts}
	s.ts = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the base URL to give the client.
func (s *Server) URL() string { return s.ts.URL }

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Close shuts the server down, waiting for calls in progress.
func (s *Server) Close() { s.ts.Close() }

// Fail queues faults; each applies to one later call, in order.
func (s *Server) Fail(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, faults...)
}

// PendingFaults returns how many queued faults have not been used yet.
func (s *Server) PendingFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.faults)
}

// Requests returns the calls received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Calls returns how many calls were received.
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

func (s *Server) nextFault() (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		return Fault{}, false
	}
	f := s.faults[0]
	s.faults = s.faults[1:]
	return f, true
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
	rec := Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Query: r.URL.Query()}
	rec.Header.Del("X-Goog-Api-Key")
	rec.Header.Del("Authorization")
	rec.Query.Del("key")
	save := s.record(&rec)
	defer save()
	w = &savingWriter{ResponseWriter: w, save: save, status: &rec.Status}

	key := r.Header.Get("X-Goog-Api-Key")
	if key == "" {
		key = r.URL.Query().Get("key")
	}
	if key == "" {
		writeError(w, http.StatusForbidden, "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.", nil)
		return
	}
	if s.opts.APIKey != "" && key != s.opts.APIKey {
		writeError(w, http.StatusBadRequest, "API key not valid. Please pass a valid API key.", []any{map[string]any{
			"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com",
			"metadata": map[string]string{"service": "texttospeech.googleapis.com"},
		}})
		return
	}
	if r.URL.Path != "/v1/text:synthesize" && r.URL.Path != "/v1beta1/text:synthesize" {
		writeError(w, http.StatusNotFound, "The fake serves only POST /v1/text:synthesize.", nil)
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

	if fault, ok := s.nextFault(); ok {
		rec.Fault = fault.String()
		if fault.delay > 0 && !sleep(r.Context(), fault.delay) {
			return
		}
		if fault.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((fault.retryAfter+time.Second-1)/time.Second)))
		}
		switch {
		case fault.drop:
			dropConnection(w)
			return
		case fault.status != 0:
			var details []any
			if fault.status == http.StatusTooManyRequests && fault.retryAfter > 0 {
				details = append(details, map[string]any{
					"@type":      "type.googleapis.com/google.rpc.RetryInfo",
					"retryDelay": strconv.FormatFloat(fault.retryAfter.Seconds(), 'f', -1, 64) + "s",
				})
			}
			writeError(w, fault.status, fault.message, details)
			return
		}
	}

	rate := rec.SampleRate
	if rate == 0 {
		rate = 24000
	}
	secs := s.opts.SecondsPerRequest
	if secs <= 0 {
		secs = math.Max(0.3, readingSeconds(text)/rec.SpeakingRate)
	}
	rec.Seconds = secs
	audio := tone(rate, secs)
	if !s.opts.Headerless {
		audio = append(wavHeader(rate, len(audio)), audio...)
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

// readingSeconds estimates how long text takes to read aloud: about 2.6
// words a second, or 4.5 full-width characters a second.
func readingSeconds(text string) float64 {
	var wide, words int
	inWord := false
	for _, r := range text {
		switch {
		case language.IsWide(r) && unicode.IsLetter(r):
			wide++
			inWord = false
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if !inWord {
				words++
			}
			inWord = true
		default:
			inWord = false
		}
	}
	return float64(wide)/4.5 + float64(words)/2.6
}

// tone returns 16-bit mono samples of a soft 220 Hz tone with short
// fades, secs long.
func tone(rate int, secs float64) []byte {
	n := int(secs * float64(rate))
	fade := rate / 100
	out := make([]byte, 2*n)
	for i := 0; i < n; i++ {
		amp := 0.2
		if i < fade {
			amp *= float64(i) / float64(fade)
		} else if n-i < fade {
			amp *= float64(n-i) / float64(fade)
		}
		v := int16(amp * 32767 * math.Sin(2*math.Pi*220*float64(i)/float64(rate)))
		binary.LittleEndian.PutUint16(out[2*i:], uint16(v))
	}
	return out
}

func wavHeader(rate, n int) []byte {
	h := make([]byte, 44)
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(36+n))
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1)
	binary.LittleEndian.PutUint16(h[22:], 1)
	binary.LittleEndian.PutUint32(h[24:], uint32(rate))
	binary.LittleEndian.PutUint32(h[28:], uint32(rate*2))
	binary.LittleEndian.PutUint16(h[32:], 2)
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], uint32(n))
	return h
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

func writeError(w http.ResponseWriter, code int, msg string, details []any) {
	if msg == "" {
		msg = defaultMessages[code]
		if msg == "" {
			msg = http.StatusText(code)
		}
	}
	status := statusNames[code]
	if status == "" {
		status = "UNKNOWN"
	}
	e := map[string]any{"code": code, "message": msg, "status": status}
	if len(details) > 0 {
		e["details"] = details
	}
	writeJSON(w, code, map[string]any{"error": e})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// dropConnection promises a body it never finishes and closes the
// connection.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	fmt.Fprint(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 65536\r\n\r\n{\"audioContent\": \"UklGR")
	buf.Flush()
}

// record stores rec as received and returns a function that stores its
// current state again, so a client that sees an answer also sees the call.
func (s *Server) record(rec *Request) (save func()) {
	s.mu.Lock()
	i := len(s.requests)
	s.requests = append(s.requests, *rec)
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.requests[i] = *rec
		s.mu.Unlock()
	}
}

// savingWriter notes the status and stores the request record just
// before the answer starts.
type savingWriter struct {
	http.ResponseWriter
	save    func()
	status  *int
	started bool
}

// WriteHeader saves the record, then starts the answer.
func (w *savingWriter) WriteHeader(code int) {
	if !w.started {
		w.started = true
		*w.status = code
		w.save()
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write starts the answer if needed, then writes b.
func (w *savingWriter) Write(b []byte) (int, error) {
	if !w.started {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Hijack hands over the connection (used to drop it mid-answer).
func (w *savingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if !w.started {
		w.started = true
		w.save()
	}
	return http.NewResponseController(w.ResponseWriter).Hijack()
}
