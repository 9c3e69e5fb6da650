package openaicompat

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/media/tts"
	"github.com/ytmaker/ytmaker/internal/media/wav"
)

// Defaults for SpeakerConfig. The tts-1 and gpt-4o-mini-tts models have a
// shutdown announced for 2027-01-06; the model is a setting.
const (
	DefaultSpeechModel   = "gpt-4o-mini-tts"
	DefaultVoice         = "alloy"
	DefaultSpeechTimeout = 2 * time.Minute
	// SpeechEngine names the engine in results and checkpoints.
	SpeechEngine = "openai-tts"
	// speechRate is the rate of response_format pcm: headerless 16-bit
	// mono at 24 kHz, on OpenAI, Kokoro-FastAPI and LocalAI alike.
	speechRate = 24000
	// maxSpeechAnswer bounds one answer (a 220-character piece is well
	// under a megabyte of PCM).
	maxSpeechAnswer = 64 << 20
)

// SpeakerConfig configures a Speaker.
type SpeakerConfig struct {
	// BaseURL of the API, /v1 included (http://localhost:8880/v1 for
	// Kokoro-FastAPI); "" means DefaultBaseURL.
	BaseURL string
	APIKey  string // "" sends no Authorization header; never logged
	Model   string // "" means DefaultSpeechModel
	// Voice is used when a request names none; "" means DefaultVoice.
	Voice      string
	HTTPClient *http.Client
	Timeout    time.Duration // per call; 0 means DefaultSpeechTimeout
	Logger     *slog.Logger
}

// Speaker reads text aloud with /v1/audio/speech. It is a tts.Engine and
// safe for concurrent use.
type Speaker struct {
	client  openai.Client
	model   string
	voice   string
	key     string
	timeout time.Duration
	log     *slog.Logger
}

// NewSpeaker returns a Speaker for cfg. It makes no call.
func NewSpeaker(cfg SpeakerConfig) *Speaker {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Model == "" {
		cfg.Model = DefaultSpeechModel
	}
	if cfg.Voice == "" {
		cfg.Voice = DefaultVoice
	}
	return &Speaker{client: newClient(cfg.BaseURL, cfg.APIKey, cfg.HTTPClient), model: cfg.Model, voice: cfg.Voice,
		key: cfg.APIKey, timeout: timeoutOr(cfg.Timeout, DefaultSpeechTimeout), log: log}
}

// Name implements tts.Engine.
func (s *Speaker) Name() string { return SpeechEngine }

// Synthesize asks for req.Text as 24 kHz PCM and writes it as a WAV file
// at req.OutPath, atomically. An answer without audio, or one that is not
// audio (an HTML error page with status 200), is a retryable
// OPENAI_BAD_AUDIO; API failures are coded as for chat.
func (s *Speaker) Synthesize(ctx context.Context, req tts.Request) (tts.Result, error) {
	text := strings.TrimSpace(req.Text)
	if text == "" || req.OutPath == "" {
		return tts.Result{}, errcode.New(errcode.InvalidInput, "speech: no text or no output path", false)
	}
	voice := req.Voice
	if voice == "" {
		voice = s.voice
	}
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	start := time.Now()
	resp, err := s.client.Audio.Speech.New(cctx, openai.AudioSpeechNewParams{
		Model:          s.model,
		Input:          text,
		Voice:          openai.AudioSpeechNewParamsVoiceUnion{OfAudioSpeechNewsVoiceString2: openai.String(voice)},
		ResponseFormat: openai.AudioSpeechNewParamsResponseFormatPCM,
	})
	if err != nil {
		e := classify(err, s.key, "speech")
		s.log.WarnContext(ctx, "speech failed", "model", s.model, "voice", voice, "code", e.Code, "elapsed", time.Since(start))
		return tts.Result{}, e
	}
	defer resp.Body.Close()
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); strings.HasPrefix(mt, "text/") || mt == "application/json" {
		return tts.Result{}, errcode.Newf(CodeBadAudio, true, "speech: the server answered %s, not audio", mt)
	}
	pcm, err := io.ReadAll(io.LimitReader(resp.Body, maxSpeechAnswer+1))
	if err != nil {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return tts.Result{}, errcode.Classify(ctx.Err())
		}
		return tts.Result{}, classify(err, s.key, "speech")
	}
	if len(pcm) > maxSpeechAnswer {
		return tts.Result{}, errcode.Newf(CodeBadAudio, false, "speech: the answer is larger than %d MiB", maxSpeechAnswer>>20)
	}
	if len(pcm) < speechRate/10*2 { // under 0.1 s
		return tts.Result{}, errcode.Newf(CodeBadAudio, true, "speech: the answer holds %d bytes, no usable audio", len(pcm))
	}
	if strings.HasPrefix(string(pcm[:4]), "RIFF") {
		// A server that ignored response_format and sent a WAV file.
		return tts.Result{}, errcode.New(CodeBadAudio, "speech: asked for raw PCM, got a WAV file (the server ignores response_format)", false)
	}
	info := wav.PCM16(speechRate, 1)
	if err := wav.WritePCM(req.OutPath, info, pcm); err != nil {
		if e := errcode.Classify(err); e.Code == errcode.DiskFull {
			return tts.Result{}, e
		}
		return tts.Result{}, errcode.Wrap(err, errcode.FileSystemError, false, "write narration: "+err.Error())
	}
	d := wav.FramesDuration(int64(len(pcm)/2), speechRate)
	s.log.DebugContext(ctx, "speech written", "model", s.model, "voice", voice, "duration", d, "elapsed", time.Since(start))
	return tts.Result{Path: req.OutPath, Duration: d, SampleRate: speechRate, Engine: SpeechEngine}, nil
}
