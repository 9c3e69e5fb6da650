package pipeline

import (
	"context"
	"os"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/language"
	"github.com/ytmaker/ytmaker/internal/limits"
	"github.com/ytmaker/ytmaker/internal/media/tts"
	"github.com/ytmaker/ytmaker/internal/media/wav"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/providers/elevenlabs"
	"github.com/ytmaker/ytmaker/internal/providers/gemini"
	"github.com/ytmaker/ytmaker/internal/providers/googletts"
	"github.com/ytmaker/ytmaker/internal/providers/openaicompat"
)

// Voice services (settings.providers.tts, TTS_PROVIDER).
const (
	voiceGoogle     = project.ProviderGoogle
	voiceGemini     = project.ProviderGemini
	voiceOpenAI     = project.ProviderOpenAI
	voiceElevenLabs = project.ProviderElevenLabs
	voiceOffline    = project.ProviderOffline
)

// openAITTSConfigured reports whether OpenAI-compatible speech is set up:
// its own base URL or model, or OpenAI itself (a key without a base URL).
// A base URL alone is not enough: it may be a chat-only server (Ollama).
func (c *Config) openAITTSConfigured() bool {
	return c.OpenAITTSBaseURL != "" || c.OpenAITTSModel != "" || (c.OpenAIAPIKey != "" && c.OpenAIBaseURL == "")
}

// voiceProvider decides which service reads a project's narration: the
// project's choice, else TTS_PROVIDER, else the first configured of Google
// Cloud TTS, ElevenLabs, OpenAI-compatible speech and Gemini speech (one
// Gemini key then gives script, voice and pictures), else offline. A
// service chosen explicitly but not configured is an INVALID_INPUT error.
// Gemini speech picked by auto falls back to the offline voice when the
// key is refused it (see autoFallback).
func (c *Config) voiceProvider(choice string) (string, error) {
	if choice == "" || choice == project.ProviderAuto {
		choice = c.TTSProvider
	}
	switch choice {
	case voiceGoogle:
		if c.GoogleTTSAPIKey == "" {
			return "", missingKey("google", "GOOGLE_TTS_API_KEY")
		}
		return choice, nil
	case voiceGemini:
		if c.GeminiAPIKey == "" {
			return "", missingKey("gemini", "GEMINI_API_KEY")
		}
		return choice, nil
	case voiceElevenLabs:
		if c.ElevenLabsAPIKey == "" {
			return "", missingKey("elevenlabs", "ELEVENLABS_API_KEY")
		}
		return choice, nil
	case voiceOpenAI:
		if c.OpenAITTSBaseURL == "" && c.OpenAIBaseURL == "" && c.OpenAIAPIKey == "" {
			return "", missingKey("openai", "OPENAI_TTS_BASE_URL, OPENAI_BASE_URL or OPENAI_API_KEY")
		}
		return choice, nil
	case voiceOffline:
		return choice, nil
	}
	switch {
	case c.GoogleTTSAPIKey != "":
		return voiceGoogle, nil
	case c.ElevenLabsAPIKey != "":
		return voiceElevenLabs, nil
	case c.openAITTSConfigured():
		return voiceOpenAI, nil
	case c.GeminiAPIKey != "":
		return voiceGemini, nil
	}
	return voiceOffline, nil
}

// ttsEngine returns the engine that reads pr's narration.
func (p *Pipeline) ttsEngine(pr *project.Project) (tts.Engine, error) {
	which, err := p.cfg.voiceProvider(pr.Settings.Providers.TTS)
	if err != nil {
		return nil, err
	}
	switch which {
	case voiceGoogle:
		c, err := googletts.New(googletts.Config{APIKey: p.cfg.GoogleTTSAPIKey, BaseURL: p.cfg.GoogleTTSBaseURL,
			HTTPClient: p.client(limits.GoogleTTS), Logger: p.log})
		if err != nil {
			return nil, err
		}
		return googleEngine{c}, nil
	case voiceGemini:
		return gemini.NewSpeaker(context.Background(), gemini.Config{APIKey: p.cfg.GeminiAPIKey, BaseURL: p.cfg.GeminiBaseURL,
			Model: p.cfg.GeminiTTSModel, HTTPClient: p.client(limits.Gemini), Logger: p.log}, p.cfg.GeminiTTSVoice)
	case voiceElevenLabs:
		return elevenlabs.New(elevenlabs.Config{APIKey: p.cfg.ElevenLabsAPIKey, BaseURL: p.cfg.ElevenLabsBaseURL,
			VoiceID: p.cfg.ElevenLabsVoiceID, Model: p.cfg.ElevenLabsModel, HTTPClient: p.client(limits.ElevenLabs), Logger: p.log})
	case voiceOpenAI:
		base := p.cfg.OpenAITTSBaseURL
		if base == "" {
			base = p.cfg.OpenAIBaseURL
		}
		return openaicompat.NewSpeaker(openaicompat.SpeakerConfig{BaseURL: base, APIKey: p.cfg.OpenAIAPIKey,
			Model: p.cfg.OpenAITTSModel, Voice: p.cfg.OpenAITTSVoice, HTTPClient: p.client(limits.OpenAI), Logger: p.log}), nil
	}
	return tts.NewOffline(tts.OfflineConfig{Logger: p.log})
}

// checkedEngines are the engines whose narration checkNarration checks:
// the online services, whose answers the pipeline does not control.
var checkedEngines = map[string]bool{openaicompat.SpeechEngine: true, elevenlabs.Engine: true, googletts.Engine: true,
	gemini.SpeechEngine: true}

// Bounds of a plausible narration, against the time the text takes to
// read at an ordinary pace.
const (
	minPlausibleShare = 0.25
	maxPlausibleShare = 4.0
	plausibleSlack    = 3.0 // seconds, for very short texts
	silencePeak       = 0.003
)

// checkNarration checks a narration an online service made: ffprobe can
// decode it and finds an audio stream, it is not silent, and it lasts
// about as long as reading text takes. A failure is a retryable
// TTS_FAILED naming the reason (a service that answered badly once may
// answer well the next time).
func (p *Pipeline) checkNarration(ctx context.Context, path, text string, engine string) error {
	bad := func(reason, format string, args ...any) error {
		return errcode.Newf(errcode.TTSFailed, true, "narration from %s is unusable: "+format, append([]any{engine}, args...)...).
			WithDetail("reason", reason).WithDetail("engine", engine)
	}
	ff, err := p.ffmpeg()
	if err != nil {
		return err
	}
	pr, err := ff.Probe(ctx, path)
	if err != nil {
		if ctx.Err() != nil {
			return errcode.Classify(ctx.Err())
		}
		return bad("undecodable", "ffprobe cannot read it: %v", err)
	}
	if _, ok := pr.Audio(); !ok {
		return bad("undecodable", "ffprobe finds no audio stream")
	}
	info, err := wav.ReadInfo(path)
	if err != nil {
		return bad("undecodable", "%v", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return errcode.Wrap(err, errcode.FileSystemError, false, "read narration: "+err.Error())
	}
	end := min(info.DataOffset+info.DataSize, int64(len(data)))
	if info.BitsPerSample == 16 && wav.Peak(data[info.DataOffset:end]) < silencePeak {
		return bad("silent", "it is silent")
	}
	got, want := info.Duration().Seconds(), language.ReadingSeconds(text)
	if got < want*minPlausibleShare || got > want*maxPlausibleShare+plausibleSlack {
		return bad("implausible_duration", "it lasts %.1f s where reading the text takes about %.1f s", got, want)
	}
	return nil
}

// googleEngine names the Google Cloud TTS client as a tts.Engine.
type googleEngine struct{ *googletts.Client }

func (googleEngine) Name() string { return googletts.Engine }
