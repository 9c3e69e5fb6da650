package tts

import (
	"context"
	"log/slog"
	"strings"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/language"
)

// OfflineConfig configures Offline.
type OfflineConfig struct {
	Festival FestivalConfig
	ESpeak   ESpeakConfig
	// NoFestival makes every language use espeak-ng.
	NoFestival bool
	Logger     *slog.Logger
}

// Offline chooses an offline engine by language: festival for English
// (falling back to espeak-ng when festival is not installed) and espeak-ng
// for every other language.
type Offline struct {
	festival *Festival
	espeak   *ESpeak
	log      *slog.Logger
}

// NewOffline finds the installed engines. It fails with
// TTS_ENGINE_NOT_FOUND only when neither is installed.
func NewOffline(cfg OfflineConfig) (*Offline, error) {
	o := &Offline{log: cfg.Logger}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	if cfg.Festival.Logger == nil {
		cfg.Festival.Logger = o.log
	}
	if cfg.ESpeak.Logger == nil {
		cfg.ESpeak.Logger = o.log
	}
	var ferr, eerr error
	if !cfg.NoFestival {
		o.festival, ferr = NewFestival(cfg.Festival)
	}
	o.espeak, eerr = NewESpeak(cfg.ESpeak)
	if o.festival == nil && o.espeak == nil {
		hint := ESpeakHint + "; for better English, " + FestivalHint
		e := errcode.New(CodeEngineNotFound, "no offline narration engine found: "+hint, false).
			WithDetail("hint", hint)
		if eerr != nil {
			e.WithCause(eerr)
		} else if ferr != nil {
			e.WithCause(ferr)
		}
		return nil, e
	}
	if o.festival == nil && !cfg.NoFestival {
		o.log.Warn("festival not found; English narration uses espeak-ng", "hint", FestivalHint)
	}
	return o, nil
}

// Name implements Engine.
func (o *Offline) Name() string { return "offline" }

// EngineFor returns the engine used for a language tag.
func (o *Offline) EngineFor(lang string) (Engine, error) {
	base, _, _ := strings.Cut(strings.ToLower(lang), "-")
	if (base == "en" || base == "") && o.festival != nil {
		return o.festival, nil
	}
	if o.espeak != nil {
		return o.espeak, nil
	}
	return nil, errcode.Newf(CodeEngineNotFound, false, "no engine for language %q: %s", lang, ESpeakHint).
		WithDetail("hint", ESpeakHint)
}

// Synthesize implements Engine with the engine chosen for req.Language
// (detected from the text when empty).
func (o *Offline) Synthesize(ctx context.Context, req Request) (Result, error) {
	if req.Language == "" {
		req.Language = language.Detect(req.Text)
	}
	eng, err := o.EngineFor(req.Language)
	if err != nil {
		return Result{}, err
	}
	return eng.Synthesize(ctx, req)
}
