// Package fakeelevenlabs is an in-process fake of ElevenLabs' text to
// speech API: POST /v1/text-to-speech/{voice_id}/with-timestamps, the
// plain /v1/text-to-speech/{voice_id}, and GET /v1/user/subscription.
//
// It checks the xi-api-key header, the voice and the model, and answers
// with a soft tone as long as the text takes to read (PCM at the asked
// output_format rate) and a character alignment whose times spread the
// text's characters over the audio, as the service does. Errors have the
// service's {"detail":{"status","message"}} shape.
//
// Failures are scripted per call with Fail:
//
//	srv := fakeelevenlabs.New(fakeelevenlabs.Options{APIKey: "k"})
//	srv.Fail(fakeelevenlabs.Status(429), fakeelevenlabs.NoAlignment())
package fakeelevenlabs

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/internal/fakes/fakeaudio"
	"github.com/ytmaker/ytmaker/internal/fakes/fakehttp"
	"github.com/ytmaker/ytmaker/internal/language"
)

// Options configures a Server.
type Options struct {
	APIKey string   // "" accepts any non-empty key
	Voices []string // voice ids that exist; empty accepts every id
}

// Fault describes how the fake answers one call instead of succeeding: a
// speech call, or the subscription a key check reads (where Status,
// Delay, Drop and BadJSON apply). Build one with Status, Quota, Delay,
// Drop, EmptyAudio, BadBase64, NoAlignment or BadJSON.
type Fault struct {
	base fakehttp.Fault
	kind string
}

// Status answers code with the service's usual detail for it.
func Status(code int) Fault { return Fault{base: fakehttp.Fault{Status: code}} }

// Quota answers 401 quota_exceeded: the month's characters are spent.
func Quota() Fault { return Fault{base: fakehttp.Fault{Status: 401}, kind: "quota_exceeded"} }

// Delay answers normally after d.
func Delay(d time.Duration) Fault { return Fault{base: fakehttp.Fault{Delay: d}} }

// Drop cuts the answer short.
func Drop() Fault { return Fault{base: fakehttp.Fault{Drop: true}} }

// EmptyAudio answers 200 with an empty audio_base64.
func EmptyAudio() Fault { return Fault{kind: "empty audio"} }

// BadBase64 answers 200 with audio_base64 that is not base64.
func BadBase64() Fault { return Fault{kind: "bad base64"} }

// NoAlignment answers 200 with the audio and null alignments.
func NoAlignment() Fault { return Fault{kind: "no alignment"} }

// BadJSON answers 200 with a body that is not JSON.
func BadJSON() Fault { return Fault{kind: "bad JSON"} }

// RetryAfter adds a Retry-After header.
func (f Fault) RetryAfter(d time.Duration) Fault { f.base.RetryAfter = d; return f }

func (f Fault) String() string { return f.base.Describe(f.kind) }

// Request is one call the fake received, without the key.
type Request struct {
	Method, Path string
	VoiceID      string
	Text         string
	ModelID      string
	OutputFormat string
	Timestamps   bool
	Status       int
	Fault        string
	Seconds      float64
}

// Server is a running fake; see fakehttp.Server for URL, Fail, Requests.
type Server struct {
	*fakehttp.Server[Fault, Request]
	opts     Options
	faults   fakehttp.Queue[Fault]
	requests fakehttp.Log[Request]
	chars    int
}

// New starts a fake.
func New(opts Options) *Server {
	s := &Server{opts: opts}
	s.Server = fakehttp.NewServer(http.HandlerFunc(s.serve), &s.faults, &s.requests)
	return s
}

var ttsPath = regexp.MustCompile(`^/v1/text-to-speech/([^/]+)(/with-timestamps)?$`)

var models = []string{"eleven_v3", "eleven_multilingual_v2", "eleven_flash_v2_5", "eleven_flash_v2", "eleven_turbo_v2_5", "eleven_turbo_v2"}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	rec := Request{Method: r.Method, Path: r.URL.Path, OutputFormat: r.URL.Query().Get("output_format")}
	w, save := s.requests.Track(w, &rec, &rec.Status)
	defer save()
	key := r.Header.Get("Xi-Api-Key")
	if key == "" || (s.opts.APIKey != "" && key != s.opts.APIKey) {
		writeDetail(w, http.StatusUnauthorized, "invalid_api_key", "Invalid API key")
		return
	}
	if r.URL.Path == "/v1/user/subscription" && r.Method == http.MethodGet {
		fault, _ := s.faults.Pop()
		rec.Fault = fault.String()
		if fault.base.Apply(w, r, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"tier\":", func(code int, msg string) {
			writeDetail(w, code, strings.ReplaceAll(strings.ToLower(http.StatusText(code)), " ", "_"), cmp.Or(msg, http.StatusText(code)))
		}) {
			return
		}
		if fault.kind == "bad JSON" {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, "{\"tier\": creator")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"tier": "creator", "character_count": s.chars, "character_limit": 100000,
			"next_character_count_reset_unix": time.Now().Add(72 * time.Hour).Unix(), "status": "active"})
		return
	}
	m := ttsPath.FindStringSubmatch(r.URL.Path)
	if m == nil || r.Method != http.MethodPost {
		writeDetail(w, http.StatusNotFound, "not_found", "Not Found")
		return
	}
	rec.VoiceID, rec.Timestamps = m[1], m[2] != ""
	var req struct {
		Text    string `json:"text"`
		ModelID string `json:"model_id"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeValidation(w, "body", "Invalid JSON: "+err.Error())
		return
	}
	rec.Text, rec.ModelID = req.Text, req.ModelID
	switch {
	case strings.TrimSpace(req.Text) == "":
		writeValidation(w, "text", "Field required")
		return
	case req.ModelID != "" && !slices.Contains(models, req.ModelID):
		writeDetail(w, http.StatusBadRequest, "model_not_found", fmt.Sprintf("A model with model ID %s does not exist.", req.ModelID))
		return
	case len(s.opts.Voices) > 0 && !slices.Contains(s.opts.Voices, rec.VoiceID):
		writeDetail(w, http.StatusNotFound, "voice_not_found", fmt.Sprintf("A voice with voice_id %s does not exist.", rec.VoiceID))
		return
	}
	rate := 44100
	switch f := cmp.Or(rec.OutputFormat, "mp3_44100_128"); {
	case strings.HasPrefix(f, "pcm_"):
		rate, _ = strconv.Atoi(strings.TrimPrefix(f, "pcm_"))
		if rate == 44100 || rate == 48000 {
			writeDetail(w, http.StatusForbidden, "output_format_not_allowed", "Your subscription does not allow pcm_44100; upgrade to Pro.")
			return
		}
	default:
		// The fake has no MP3 encoder.
		writeValidation(w, "output_format", "The fake serves pcm_8000 to pcm_24000 only.")
		return
	}

	fault, _ := s.faults.Pop()
	rec.Fault = fault.String()
	if fault.base.Apply(w, r, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 90000\r\n\r\n{\"audio_base64\":\"AAAA", func(code int, msg string) {
		switch {
		case fault.kind == "quota_exceeded":
			writeDetail(w, code, "quota_exceeded", cmp.Or(msg, "This request exceeds your quota. You have 12 credits remaining, while 120 credits are required for this request."))
		case code == 429:
			writeDetail(w, code, "too_many_concurrent_requests", cmp.Or(msg, "Too many concurrent requests for your subscription."))
		default:
			writeDetail(w, code, strings.ReplaceAll(strings.ToLower(http.StatusText(code)), " ", "_"), cmp.Or(msg, http.StatusText(code)))
		}
	}) {
		return
	}
	s.chars += len([]rune(req.Text))
	secs := max(0.3, language.ReadingSeconds(req.Text))
	rec.Seconds = secs
	pcm := fakeaudio.Tone(rate, secs)
	if !rec.Timestamps {
		w.Header().Set("Content-Type", "audio/pcm")
		w.Write(pcm)
		return
	}
	audio := base64.StdEncoding.EncodeToString(pcm)
	var al any = alignment(req.Text, secs)
	switch fault.kind {
	case "empty audio":
		audio = ""
	case "bad base64":
		audio = "this is %% not base64"
	case "no alignment":
		al = nil
	case "bad JSON":
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"audio_base64": "AAAA", "alignment": {"characters": [`)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"audio_base64": audio, "alignment": al, "normalized_alignment": al})
}

// alignment spreads text's characters over secs: letters take time,
// spaces and punctuation a little.
func alignment(text string, secs float64) map[string]any {
	chars := []string{}
	var weights []float64
	total := 0.0
	for _, r := range text {
		chars = append(chars, string(r))
		wt := 1.0
		if r == ' ' || strings.ContainsRune(".,;:!?，。、！？", r) {
			wt = 0.3
		} else if r > 0x2E80 {
			wt = 3 // a CJK character is a syllable
		}
		weights = append(weights, wt)
		total += wt
	}
	starts, ends := make([]float64, len(chars)), make([]float64, len(chars))
	t := 0.0
	for i, wt := range weights {
		d := wt / total * secs
		starts[i], ends[i] = round3(t), round3(t+d)
		t += d
	}
	return map[string]any{"characters": chars, "character_start_times_seconds": starts, "character_end_times_seconds": ends}
}

func round3(v float64) float64 { return float64(int(v*1000+0.5)) / 1000 }

func writeDetail(w http.ResponseWriter, code int, status, msg string) {
	fakehttp.JSON{}.Write(w, code, map[string]any{"detail": map[string]string{"status": status, "message": msg}})
}

func writeValidation(w http.ResponseWriter, field, msg string) {
	fakehttp.JSON{}.Write(w, http.StatusUnprocessableEntity, map[string]any{"detail": []any{
		map[string]any{"loc": []string{"body", field}, "msg": msg, "type": "value_error"}}})
}
