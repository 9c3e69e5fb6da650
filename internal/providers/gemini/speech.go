package gemini

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"time"

	"google.golang.org/genai"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/atomicfile"
	"github.com/ytmaker/ytmaker/internal/media/tts"
	"github.com/ytmaker/ytmaker/internal/media/wav"
)

// Speech goes through generateContent with a speech model and the AUDIO
// modality: older models answer headerless 16-bit mono PCM at 24 kHz
// (audio/L16), the 3.8 models a complete WAV by default.
const (
	// DefaultSpeechModel is the generally available speech model.
	DefaultSpeechModel = "gemini-3.8-flash-tts"
	// DefaultVoice is the prebuilt voice used when none is asked for.
	DefaultVoice = "Kore"
	// SpeechRate is the sample rate of headerless answers.
	SpeechRate = 24000
	// SpeechEngine names the engine in results and logs.
	SpeechEngine = "gemini-tts"
)

// Voices are the prebuilt voices of the speech models.
var Voices = []string{"Zephyr", "Puck", "Charon", "Kore", "Fenrir", "Leda", "Orus", "Aoede", "Callirrhoe", "Autonoe",
	"Enceladus", "Iapetus", "Umbriel", "Algieba", "Despina", "Erinome", "Algenib", "Rasalgethi", "Laomedeia", "Achernar",
	"Alnilam", "Schedar", "Gacrux", "Pulcherrima", "Achird", "Zubenelgenubi", "Vindemiatrix", "Sadachbia", "Sadaltager", "Sulafat"}

// CodeNoAudio is an answer without audio.
const CodeNoAudio = "GEMINI_NO_AUDIO"

// Speaker reads text aloud with a Gemini speech model. It implements
// tts.Engine and is safe for concurrent use.
type Speaker struct {
	client *genai.Client
	model  string
	voice  string
	apiKey string
}

// NewSpeaker returns a Speaker; cfg.Model "" means DefaultSpeechModel,
// voice "" means DefaultVoice. It makes no call.
func NewSpeaker(ctx context.Context, cfg Config, voice string) (*Speaker, error) {
	if cfg.Model == "" {
		cfg.Model = DefaultSpeechModel
	}
	if voice == "" {
		voice = DefaultVoice
	}
	client, _, err := newClient(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &Speaker{client: client, model: cfg.Model, voice: voice, apiKey: cfg.APIKey}, nil
}

// Check reads the speech model's record: a cheap proof that the key works
// and the model exists.
func (s *Speaker) Check(ctx context.Context) (string, error) {
	w := &Writer{client: s.client, model: s.model, apiKey: s.apiKey, log: slog.New(slog.DiscardHandler)}
	return w.Check(ctx)
}

// Name implements tts.Engine.
func (s *Speaker) Name() string { return SpeechEngine }

// Synthesize implements tts.Engine: it writes req.Text as a WAV file at
// req.OutPath, atomically. req.Voice overrides the Speaker's voice when
// it is one of Voices.
func (s *Speaker) Synthesize(ctx context.Context, req tts.Request) (tts.Result, error) {
	text := strings.TrimSpace(req.Text)
	if text == "" || req.OutPath == "" {
		return tts.Result{}, errcode.New(errcode.InvalidInput, "Gemini speech: no text or no output path", false)
	}
	// A project's voice is used when it names one of Gemini's prebuilt
	// voices; a name meant for another service is not an error here.
	voice := s.voice
	if oneOf(req.Voice, Voices) {
		voice = req.Voice
	}
	hold := &retryAfterHolder{}
	resp, err := s.client.Models.GenerateContent(context.WithValue(ctx, retryAfterKey{}, hold), s.model, genai.Text(text),
		&genai.GenerateContentConfig{
			ResponseModalities: []string{"AUDIO"},
			SpeechConfig: &genai.SpeechConfig{VoiceConfig: &genai.VoiceConfig{
				PrebuiltVoiceConfig: &genai.PrebuiltVoiceConfig{VoiceName: voice}}},
		})
	if err != nil {
		if ctx.Err() != nil {
			return tts.Result{}, errcode.Classify(ctx.Err())
		}
		e := classify(err, s.apiKey)
		if d := errcode.ParseRetryAfter(hold.get(), time.Now()); d > 0 && e.Retryable && e.RetryAfter == 0 {
			e.WithRetryAfter(d)
		}
		return tts.Result{}, e
	}
	data, mime, err := inlineAudio(resp)
	if err != nil {
		return tts.Result{}, err
	}
	var info wav.Info
	if bytes.HasPrefix(data, []byte("RIFF")) {
		// A complete WAV (the 3.8 models' default): checked and kept as is.
		if info, err = wav.Parse(bytes.NewReader(data), int64(len(data))); err != nil {
			return tts.Result{}, errcode.New(CodeBadResponse, "Gemini speech: the WAV answer is damaged: "+err.Error(), true)
		}
		if err := atomicfile.WriteFile(req.OutPath, data, 0o644); err != nil {
			return tts.Result{}, writeErr(err)
		}
		info.DataSize = min(info.DataSize, int64(len(data))-info.DataOffset)
	} else {
		if mime != "" && !strings.HasPrefix(mime, "audio/L16") && !strings.HasPrefix(mime, "audio/pcm") {
			return tts.Result{}, errcode.Newf(CodeBadResponse, true, "Gemini speech: unexpected audio type %q", mime)
		}
		info = wav.PCM16(pcmRate(mime), 1)
		// Any narration lasts more than 50 ms; less is not speech (an
		// error page passed off as audio, for one).
		if least := info.SampleRate / 20 * info.BlockAlign; len(data) < least {
			return tts.Result{}, errcode.Newf(CodeBadResponse, true, "Gemini speech: the answer holds %d bytes, under 50 ms of audio", len(data))
		}
		if err := wav.WritePCM(req.OutPath, info, data); err != nil {
			return tts.Result{}, writeErr(err)
		}
		info.DataSize = int64(len(data) - len(data)%info.BlockAlign)
	}
	return tts.Result{Path: req.OutPath, Duration: info.Duration(), SampleRate: info.SampleRate, Engine: SpeechEngine}, nil
}

// pcmRate reads the rate of an audio/L16 type ("audio/L16;codec=pcm;rate=24000").
func pcmRate(mime string) int {
	for _, p := range strings.Split(mime, ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(p), "rate="); ok {
			n := 0
			for _, c := range v {
				if c < '0' || c > '9' {
					n = 0
					break
				}
				n = n*10 + int(c-'0')
			}
			if n >= 8000 && n <= 96000 {
				return n
			}
		}
	}
	return SpeechRate
}

// inlineAudio returns the audio of the answer's first candidate.
func inlineAudio(resp *genai.GenerateContentResponse) ([]byte, string, error) {
	if pf := resp.PromptFeedback; pf != nil && pf.BlockReason != "" {
		return nil, "", errcode.Newf(CodeBlocked, false, "Gemini blocked the narration text (%s)", pf.BlockReason)
	}
	if len(resp.Candidates) == 0 || resp.Candidates[0] == nil || resp.Candidates[0].Content == nil {
		return nil, "", errcode.New(CodeNoAudio, "Gemini returned no audio", true)
	}
	for _, part := range resp.Candidates[0].Content.Parts {
		if part != nil && part.InlineData != nil && len(part.InlineData.Data) > 0 {
			return part.InlineData.Data, part.InlineData.MIMEType, nil
		}
	}
	return nil, "", errcode.New(CodeNoAudio, "Gemini answered without audio", true)
}

func writeErr(err error) error {
	if e := errcode.Classify(err); e.Code == errcode.DiskFull {
		return e
	}
	return errcode.Wrap(err, errcode.FileSystemError, false, "write narration: "+err.Error())
}
