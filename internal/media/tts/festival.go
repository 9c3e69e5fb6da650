package tts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/media/childproc"
)

// FestivalHint tells an operator how to install festival and its voice.
const FestivalHint = "install festival and an HTS voice (Debian/Ubuntu: apt-get install festival festvox-us-slt-hts)"

// DefaultFestivalVoice is the HTS voice used for English.
const DefaultFestivalVoice = "cmu_us_slt_arctic_hts"

// FestivalConfig configures the festival engine.
type FestivalConfig struct {
	Path      string        // festival program; "" = "festival" from PATH
	Voice     string        // "" = DefaultFestivalVoice
	Logger    *slog.Logger  // nil = discard
	KillGrace time.Duration // 0 = childproc.DefaultGrace
}

// Festival speaks English with festival and an HTS voice (32 kHz mono).
// It runs festival in batch mode with a generated script, so one process
// synthesizes a whole batch with the voice loaded once.
type Festival struct {
	path  string
	voice string
	log   *slog.Logger
	grace time.Duration
}

var voiceName = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// NewFestival finds the festival program. A missing program yields a
// TTS_ENGINE_NOT_FOUND error with install hints.
func NewFestival(cfg FestivalConfig) (*Festival, error) {
	p := cfg.Path
	if p == "" {
		p = "festival"
	}
	full, err := exec.LookPath(p)
	if err != nil {
		return nil, notFound("festival", FestivalHint, err)
	}
	voice := cfg.Voice
	if voice == "" {
		voice = DefaultFestivalVoice
	}
	if !voiceName.MatchString(voice) {
		return nil, errcode.Newf(errcode.InvalidInput, false, "festival: invalid voice name %q", voice)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Festival{path: full, voice: voice, log: log, grace: cfg.KillGrace}, nil
}

// Name implements Engine.
func (f *Festival) Name() string { return "festival" }

// Speakable reports whether festival can say anything of text (it reads
// Latin script only).
func (f *Festival) Speakable(text string) bool { return FestivalText(text) != "" }

// Synthesize implements Engine.
func (f *Festival) Synthesize(ctx context.Context, req Request) (Result, error) {
	res, err := f.SynthesizeBatch(ctx, []Request{req})
	if err != nil {
		return Result{}, err
	}
	return res[0], nil
}

// SynthesizeBatch implements BatchEngine. Every request must use the same
// voice (Request.Voice or the engine's). A Request.Voice that is not a
// festival voice name (letters, digits and underscores, such as
// cmu_us_slt_arctic_hts) is ignored with a warning.
func (f *Festival) SynthesizeBatch(ctx context.Context, reqs []Request) ([]Result, error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	voice := f.voice
	if v := reqs[0].Voice; v != "" {
		if voiceName.MatchString(v) {
			voice = v
		} else {
			// A voice of another engine (e.g. a cloud voice kept in the
			// project settings) falls back to the default.
			f.log.Warn("festival: ignoring a voice name it cannot use", "voice", v, "using", voice)
		}
	}
	var script strings.Builder
	fmt.Fprintf(&script, "(voice_%s)\n", voice)
	tmps := make([]string, len(reqs))
	defer func() {
		for _, t := range tmps {
			if t != "" {
				os.Remove(t)
			}
		}
	}()
	for i, r := range reqs {
		if err := checkRequest(r); err != nil {
			return nil, err
		}
		if r.Voice != "" && r.Voice != reqs[0].Voice {
			return nil, errcode.New(errcode.InvalidInput, "festival: a batch must use one voice", false)
		}
		text := FestivalText(r.Text)
		if text == "" {
			return nil, errcode.Newf(errcode.InvalidInput, false, "festival: nothing speakable in %q", truncate(r.Text, 60))
		}
		tmp, err := tempPath(r.OutPath, ".wav")
		if err != nil {
			return nil, errcode.Wrap(err, errcode.FileSystemError, false, "")
		}
		tmps[i] = tmp
		abs, err := filepath.Abs(tmp)
		if err != nil {
			return nil, errcode.Wrap(err, errcode.FileSystemError, false, "")
		}
		fmt.Fprintf(&script, "(set! utt%d (Utterance Text %s))\n(utt.synth utt%d)\n(utt.save.wave utt%d %s 'riff)\n",
			i, schemeString(text), i, i, schemeString(abs))
	}
	scriptPath, err := tempPath(reqs[0].OutPath, ".scm")
	if err != nil {
		return nil, errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	defer os.Remove(scriptPath)
	if err := os.WriteFile(scriptPath, []byte(script.String()), 0o600); err != nil {
		return nil, errcode.Wrap(err, errcode.FileSystemError, false, "")
	}

	cmd := exec.Command(f.path, "-b", scriptPath)
	tail := &childproc.Tail{}
	cmd.Stdout = tail
	cmd.Stderr = tail
	start := time.Now()
	if err := childproc.Run(ctx, cmd, f.grace); err != nil {
		if ctx.Err() != nil {
			return nil, cancelled(ctx, err)
		}
		if errors.Is(err, exec.ErrNotFound) {
			return nil, notFound("festival", FestivalHint, err)
		}
		return nil, ttsFailed("festival", fmt.Sprintf("synthesis of %s failed (exit %d)", describe(reqs), childproc.ExitCode(err)), tail.String(), err)
	}
	// festival reports some script errors only on its output.
	if out := tail.String(); strings.Contains(out, "SIOD ERROR") {
		return nil, ttsFailed("festival", "script error (is the voice "+voice+" installed? "+FestivalHint+")", out, nil)
	}
	results := make([]Result, len(reqs))
	for i, r := range reqs {
		res, err := finish("festival", tmps[i], r.OutPath)
		if err != nil {
			return nil, err
		}
		tmps[i] = ""
		results[i] = res
	}
	f.log.Debug("festival synthesized", "requests", len(reqs), "elapsed", time.Since(start))
	return results, nil
}

// schemeString quotes s as a Scheme string literal.
func schemeString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}
