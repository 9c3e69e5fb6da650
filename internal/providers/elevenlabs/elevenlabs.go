// Package elevenlabs reads narration with ElevenLabs' text to speech API,
// through its with-timestamps endpoint so that every word comes back with
// the time it is spoken (for word captions).
//
// A Client makes one request per call and never retries: failures are
// coded errors (ELEVENLABS_RATE_LIMITED, ELEVENLABS_AUTH_FAILED, ...) and
// the task system retries the retryable ones, honouring Retry-After.
package elevenlabs

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/language"
	"github.com/ytmaker/ytmaker/internal/media/tts"
	"github.com/ytmaker/ytmaker/internal/media/wav"
)

// Defaults for Config.
const (
	DefaultBaseURL = "https://api.elevenlabs.io"
	DefaultModel   = "eleven_multilingual_v2"
	// DefaultVoiceID is "Rachel", one of the premade voices every account
	// has.
	DefaultVoiceID = "21m00Tcm4TlvDq8ikWAM"
	DefaultTimeout = 2 * time.Minute
	// Engine names the engine in results and checkpoints.
	Engine = "elevenlabs"
	// rate is the output format asked for: raw 16-bit mono PCM at 24 kHz,
	// open to every plan (44.1 kHz needs Pro).
	rate         = 24000
	outputFormat = "pcm_24000"
	maxAnswer    = 64 << 20
)

// Codes beyond those errcode.HTTP derives with the ELEVENLABS prefix.
const (
	CodeNotConfigured = "ELEVENLABS_NOT_CONFIGURED"
	CodeAuthFailed    = "ELEVENLABS_AUTH_FAILED"
	CodeQuotaExceeded = "ELEVENLABS_QUOTA_EXCEEDED"
	CodeVoiceNotFound = "ELEVENLABS_VOICE_NOT_FOUND"
	CodeModelNotFound = "ELEVENLABS_MODEL_NOT_FOUND"
	CodeBadAudio      = "ELEVENLABS_BAD_AUDIO"
	CodeBadResponse   = "ELEVENLABS_BAD_RESPONSE"
	CodeNetworkError  = "ELEVENLABS_NETWORK_ERROR"
	CodeTimeout       = "ELEVENLABS_TIMEOUT"
)

// Config configures a Client.
type Config struct {
	APIKey     string // required; never logged
	BaseURL    string // "" means DefaultBaseURL
	VoiceID    string // used when a request names no voice; "" means DefaultVoiceID
	Model      string // "" means DefaultModel
	HTTPClient *http.Client
	Timeout    time.Duration // per call; 0 means DefaultTimeout
	Logger     *slog.Logger
}

// Client is a tts.Engine. It is safe for concurrent use.
type Client struct {
	cfg Config
	hc  *http.Client
	log *slog.Logger
}

// New returns a client for cfg. It makes no call.
func New(cfg Config) (*Client, error) {
	if cfg.APIKey == "" {
		return nil, errcode.New(CodeNotConfigured, "ElevenLabs API key is not set (ELEVENLABS_API_KEY)", false)
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.VoiceID == "" {
		cfg.VoiceID = DefaultVoiceID
	}
	if cfg.Model == "" {
		cfg.Model = DefaultModel
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, hc: hc, log: log}, nil
}

// Name implements tts.Engine.
func (c *Client) Name() string { return Engine }

// alignment is the character timing of an answer.
type alignment struct {
	Characters []string  `json:"characters"`
	Starts     []float64 `json:"character_start_times_seconds"`
	Ends       []float64 `json:"character_end_times_seconds"`
}

type answer struct {
	Audio      *string    `json:"audio_base64"`
	Alignment  *alignment `json:"alignment"`
	Normalized *alignment `json:"normalized_alignment"`
}

// Synthesize reads req.Text (req.Voice is a voice ID; "" uses the
// configured one) and writes a WAV file at req.OutPath, atomically, with
// the words' times from the character alignment in Result.Words. Missing
// or undecodable audio is a retryable ELEVENLABS_BAD_AUDIO; an answer
// without an alignment keeps the audio and leaves the words to be found
// in it.
func (c *Client) Synthesize(ctx context.Context, req tts.Request) (tts.Result, error) {
	text := strings.TrimSpace(req.Text)
	if text == "" || req.OutPath == "" {
		return tts.Result{}, errcode.New(errcode.InvalidInput, "elevenlabs: no text or no output path", false)
	}
	voice := req.Voice
	if voice == "" {
		voice = c.cfg.VoiceID
	}
	body, _ := json.Marshal(map[string]any{"text": text, "model_id": c.cfg.Model})
	u := c.cfg.BaseURL + "/v1/text-to-speech/" + url.PathEscape(voice) + "/with-timestamps?output_format=" + outputFormat
	cctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(cctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return tts.Result{}, errcode.Wrap(err, errcode.InvalidInput, false, "elevenlabs: "+err.Error())
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set("xi-api-key", c.cfg.APIKey)
	start := time.Now()
	resp, err := c.hc.Do(hreq)
	if err != nil {
		return tts.Result{}, c.transportError(ctx, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return tts.Result{}, c.transportError(ctx, err)
	}
	if resp.StatusCode != http.StatusOK {
		e := statusError(resp, raw, voice, c.cfg.Model)
		c.log.WarnContext(ctx, "elevenlabs request failed", "voice", voice, "code", e.Code, "elapsed", time.Since(start))
		return tts.Result{}, e
	}
	if len(raw) > maxAnswer {
		return tts.Result{}, errcode.Newf(CodeBadResponse, false, "elevenlabs: the answer is larger than %d MiB", maxAnswer>>20)
	}
	var a answer
	if err := json.Unmarshal(raw, &a); err != nil {
		return tts.Result{}, errcode.Newf(CodeBadResponse, true, "elevenlabs: the answer is not JSON: %v", err)
	}
	if a.Audio == nil || *a.Audio == "" {
		return tts.Result{}, errcode.New(CodeBadAudio, "elevenlabs: the answer holds no audio", true)
	}
	pcm, err := base64.StdEncoding.DecodeString(*a.Audio)
	if err != nil {
		return tts.Result{}, errcode.Newf(CodeBadAudio, true, "elevenlabs: audio_base64 is not base64: %v", err)
	}
	if len(pcm) < rate/10*2 {
		return tts.Result{}, errcode.Newf(CodeBadAudio, true, "elevenlabs: the answer holds %d bytes of audio, under 0.1 s", len(pcm))
	}
	if err := wav.WritePCM(req.OutPath, wav.PCM16(rate, 1), pcm); err != nil {
		if e := errcode.Classify(err); e.Code == errcode.DiskFull {
			return tts.Result{}, e
		}
		return tts.Result{}, errcode.Wrap(err, errcode.FileSystemError, false, "write narration: "+err.Error())
	}
	d := wav.FramesDuration(int64(len(pcm)/2), rate)
	words := Words(a.Alignment, d)
	c.log.DebugContext(ctx, "elevenlabs narration written", "voice", voice, "duration", d, "words", len(words),
		"elapsed", time.Since(start))
	return tts.Result{Path: req.OutPath, Duration: d, SampleRate: rate, Engine: Engine, Words: words}, nil
}

// Words groups an alignment's characters into words: runs of letters and
// digits between spaces, and each CJK character on its own (tts.MapWords
// puts them back together as the written words). Times are clamped to
// the audio's length d; an alignment whose lists disagree gives none.
func Words(al *alignment, d time.Duration) []tts.WordTiming {
	if al == nil || len(al.Characters) == 0 || len(al.Starts) != len(al.Characters) || len(al.Ends) != len(al.Characters) {
		return nil
	}
	sec := func(v float64) time.Duration {
		t := time.Duration(v * float64(time.Second))
		return min(max(t, 0), d)
	}
	var out []tts.WordTiming
	var cur strings.Builder
	var from, to float64
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, tts.WordTiming{Word: cur.String(), Start: sec(from), End: sec(max(to, from))})
			cur.Reset()
		}
	}
	for i, ch := range al.Characters {
		r := []rune(ch)
		switch {
		case len(r) == 0 || unicode.IsSpace(r[0]):
			flush()
		case language.IsWide(r[0]) && unicode.IsLetter(r[0]):
			flush()
			from, to = al.Starts[i], al.Ends[i]
			cur.WriteString(ch)
			flush()
		case cur.Len() == 0 && !unicode.IsLetter(r[0]) && !unicode.IsDigit(r[0]):
			// Punctuation between words ("。" after a CJK character, an
			// opening quote) starts no word.
		default:
			if cur.Len() == 0 {
				from = al.Starts[i]
			}
			cur.WriteString(ch)
			to = al.Ends[i]
		}
	}
	flush()
	return out
}

// statusError maps an error answer, {"detail":{"status","message"}} or a
// 422 {"detail":[...]}, to a coded error.
func statusError(resp *http.Response, raw []byte, voice, model string) *errcode.Error {
	var body struct {
		Detail json.RawMessage `json:"detail"`
	}
	json.Unmarshal(raw, &body)
	var d struct {
		Status  string `json:"status"`
		Message string `json:"message"`
	}
	msg := ""
	if json.Unmarshal(body.Detail, &d) != nil || d.Message == "" {
		msg = strings.TrimSpace(string(raw))
		if len(msg) > 300 {
			msg = msg[:300] + "…"
		}
	} else {
		msg = d.Message
	}
	e := errcode.HTTP("ELEVENLABS", resp.StatusCode, resp.Header, fmt.Sprintf("ElevenLabs HTTP %d: %s", resp.StatusCode, msg))
	switch {
	case d.Status == "quota_exceeded":
		e.Code, e.Retryable = CodeQuotaExceeded, false
	case d.Status == "voice_not_found":
		e.Code, e.Retryable = CodeVoiceNotFound, false
		e.WithDetail("voice_id", voice)
	case d.Status == "model_not_found":
		e.Code, e.Retryable = CodeModelNotFound, false
		e.WithDetail("model", model)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		e.Code = CodeAuthFailed
	}
	if d.Status != "" {
		e.WithDetail("status", d.Status)
	}
	return e
}

func (c *Client) transportError(ctx context.Context, err error) *errcode.Error {
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return errcode.Classify(ctx.Err())
	}
	e := errcode.Classify(err)
	switch e.Code {
	case errcode.Cancelled:
		return e
	case errcode.Timeout:
		return errcode.New(CodeTimeout, "ElevenLabs call timed out: "+err.Error(), true).WithCause(err)
	}
	return errcode.New(CodeNetworkError, "ElevenLabs connection failed: "+err.Error(), true).WithCause(err)
}
