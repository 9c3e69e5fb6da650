package pipeline

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/media/tts"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/providers/gemini"
	"github.com/ytmaker/ytmaker/internal/stage"
)

// chosen reports whether a project's choice or the *_PROVIDER setting
// names a service, as opposed to leaving it to "auto" (the first service
// whose key is set).
func chosen(choice, setting string) bool {
	return (choice != "" && choice != project.ProviderAuto) || setting != ""
}

// refusedForGood reports whether err is Gemini refusing a key what it
// will refuse on every later call, whatever the text: the key may not use
// the model (403 PERMISSION_DENIED), its project must turn billing on (400
// FAILED_PRECONDITION), the model is not there for it (404) or its plan
// gives the model a quota of 0 (a 429 saying "limit: 0"). A free-tier key
// that writes scripts is often refused pictures or speech this way.
// An invalid key, a quota, a blocked prompt or a retryable error is not
// such a refusal.
func refusedForGood(err error) bool {
	e, ok := errcode.As(err)
	if !ok || e.Retryable {
		return false
	}
	switch e.Code {
	case gemini.CodeFailedPrecondition, gemini.CodeModelNotFound, gemini.CodeNoQuota:
		return true
	case gemini.CodeAuthFailed:
		return e.HTTPStatus == http.StatusForbidden
	}
	return false
}

// autoFallback is a Gemini service picked by "auto" for one run of the
// assets stage, which falls back to the offline one (slides, the offline
// voice) when Gemini refuses the key for good, instead of failing the
// stage: a key set for the script then still gives a video. A service
// chosen explicitly has no fallback and its refusal fails the stage with
// the coded error. It is safe for concurrent use.
type autoFallback struct {
	on bool // the service was picked by auto and a fallback is at hand

	mu  sync.Mutex
	err error // the first refusal
}

// refuse records err when it is a refusal for good and the service may
// fall back. It reports whether the caller falls back, and whether err is
// the first refusal (the one to warn about).
func (f *autoFallback) refuse(err error) (fallBack, first bool) {
	if f == nil || !f.on || !refusedForGood(err) {
		return false, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	first = f.err == nil
	if first {
		f.err = err
	}
	return true, first
}

// refused returns the first refusal, nil while there was none: after one
// the service is not asked again in this run.
func (f *autoFallback) refused() error {
	if f == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// voiceBack is the offline voice standing in for Gemini speech that auto
// picked and that refused the key.
type voiceBack struct {
	autoFallback
	offline tts.Engine
	voice   string // the project's voice, part of a narration's hash
}

// voiceFallback returns the fallback of pr's voice engine: on only when
// it is Gemini speech picked by auto and an offline engine is installed.
func (p *Pipeline) voiceFallback(pr *project.Project, engine tts.Engine) *voiceBack {
	v := &voiceBack{voice: pr.Settings.Voice}
	if engine.Name() != gemini.SpeechEngine || chosen(pr.Settings.Providers.TTS, p.cfg.TTSProvider) {
		return v
	}
	off, err := tts.NewOffline(tts.OfflineConfig{Logger: p.log})
	if err != nil {
		p.log.Warn("no offline voice to stand in for Gemini speech", "err", err)
		return v
	}
	v.on, v.offline = true, off
	return v
}

// narrate reads segment i's text with the offline voice, at a file of
// its own so that Gemini's checkpointed narrations stay as they are. The
// project's voice names a Gemini voice, so the offline engine's own is
// used.
func (v *voiceBack) narrate(ctx context.Context, job stage.Job, i int, text, lang string) (string, tts.Narration, error) {
	rel := fmt.Sprintf("assets/audio/segment_%02d_offline.wav", i+1)
	nar, err := tts.Narrate(ctx, v.offline, tts.Request{Text: text, Language: lang, OutPath: abs(job, rel)}, tts.NarrateOptions{})
	return rel, nar, err
}

// hash is the hash of an offline narration of text, as the manifest
// records it.
func (v *voiceBack) hash(text, lang string) string {
	return hashOf("audio", text, lang, v.voice, v.offline.Name())
}
