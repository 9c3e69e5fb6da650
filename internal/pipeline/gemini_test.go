package pipeline_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/fakes/fakegemini"
	"github.com/ytmaker/ytmaker/internal/language"
	"github.com/ytmaker/ytmaker/internal/pipeline"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/providers/gemini"
	"github.com/ytmaker/ytmaker/internal/script"
)

// callsTo counts the calls to model the fake answered from the from-th
// on, and how many of them succeeded.
func callsTo(gem *fakegemini.Server, from int, model string) (calls, ok int) {
	for _, r := range gem.Requests()[from:] {
		if r.Model == model {
			calls++
			if r.Status == 200 {
				ok++
			}
		}
	}
	return calls, ok
}

// TestWholeChainOneGeminiKey: with GEMINI_API_KEY the only key and a
// project that leaves every choice to auto, the script, the narration and
// the pictures all come from Gemini, and the video renders.
func TestWholeChainOneGeminiKey(t *testing.T) {
	gem := fakegemini.New(fakegemini.Options{APIKey: "test-key", MaxImageSide: 480})
	t.Cleanup(gem.Close)
	s := start(t, options{gemini: gem})
	ctx := context.Background()
	id := s.project("Rivers", english, nil)
	h, err := s.client.Chain(ctx, id, "script", "assets", "render")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Get(ctx, 3*time.Minute); err != nil {
		t.Fatal(err)
	}
	st := s.state(id)
	var script pipeline.ScriptResult
	json.Unmarshal(st.Stages.Script.Result, &script)
	if script.Provider != "gemini" || st.Stages.Assets.Attempts != 1 {
		t.Fatalf("script %+v; assets took %d attempts", script, st.Stages.Assets.Attempts)
	}
	assets := checkPictures(t, s, id, "gemini", false)
	man := readManifest(t, s, id)
	if len(man.Warnings) != 0 || len(assets.Warnings) != 0 {
		t.Fatalf("warnings %q %q", man.Warnings, assets.Warnings)
	}
	for _, seg := range man.Segments {
		if seg.Voice != gemini.SpeechEngine || seg.Seconds <= 0 {
			t.Fatalf("segment %d voiced by %q (%.1f s), want %s", seg.Index, seg.Voice, seg.Seconds, gemini.SpeechEngine)
		}
	}
	if calls, ok := callsTo(gem, 0, gemini.DefaultModel); calls != 1 || ok != 1 {
		t.Fatalf("%d script calls (%d answered): want 1", calls, ok)
	}
	if calls, ok := callsTo(gem, 0, gemini.DefaultImageModel); calls != assets.Segments || ok != calls {
		t.Fatalf("%d picture calls (%d answered) for %d segments", calls, ok, assets.Segments)
	}
	// A segment may be read in several parts.
	if calls, ok := callsTo(gem, 0, gemini.DefaultSpeechModel); calls < assets.Segments || ok != calls {
		t.Fatalf("%d speech calls (%d answered) for %d segments", calls, ok, assets.Segments)
	}
	for _, r := range gem.Requests() {
		if r.Model == gemini.DefaultSpeechModel && (r.Voice != gemini.DefaultVoice || len(r.Modalities) != 1 || r.Modalities[0] != "AUDIO") {
			t.Fatalf("speech request %+v", r)
		}
	}
	var render pipeline.RenderResult
	json.Unmarshal(s.state(id).Stages.Render.Result, &render)
	checkVideo(t, render.VideoPath, 1920, 1080)
}

// TestGeminiSpeechRefusedFallsBackToOfflineVoice: a key refused speech
// for good gets the offline voice for the whole narration, with a warning,
// when the voice was left to auto; a narration Gemini made before the
// refusal is read again so that one voice reads the video. Chosen
// explicitly, the refusal fails the stage with the coded error. One asset
// at a time keeps the order of the calls fixed.
func TestGeminiSpeechRefusedFallsBackToOfflineVoice(t *testing.T) {
	gem := fakegemini.New(fakegemini.Options{APIKey: "test-key", MaxImageSide: 480})
	t.Cleanup(gem.Close)
	s := start(t, options{gemini: gem, configure: func(c *pipeline.Config) { c.AssetConcurrency = 1 }})
	ctx := context.Background()
	model := gemini.DefaultSpeechModel
	for _, c := range []struct {
		name   string
		before bool // Gemini reads the first segment before the refusals
		fault  fakegemini.Fault
		code   string
		render bool
	}{
		{"403", false, fakegemini.Status(403).Message("Permission denied on model " + model + "."), "GEMINI_AUTH_FAILED", true},
		{"billing after one narration", true, fakegemini.Billing(), gemini.CodeFailedPrecondition, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			gem.ClearFaults()
			id := s.project("Rivers", english, func(in *project.Input) { in.Settings.Voice = "Puck" })
			h, err := s.client.Chain(ctx, id, "script")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := h.Get(ctx, time.Minute); err != nil {
				t.Fatal(err)
			}
			// Each sentence is one speech call.
			first := 0
			if c.before {
				sc, err := script.Load(filepath.Join(s.engine.Store().ProjectDir(id), "script.json"))
				if err != nil {
					t.Fatal(err)
				}
				first = len(language.SplitSentences(sc.Segments[0].Text))
				for range first {
					gem.Fail(fakegemini.Delay(time.Millisecond).ForModel(model))
				}
			}
			gem.Fail(c.fault.ForModel(model).Always())
			from := gem.Calls()
			stages := []string{"assets"}
			if c.render {
				stages = append(stages, "render")
			}
			if h, err = s.client.Chain(ctx, id, stages...); err != nil {
				t.Fatal(err)
			}
			if _, err := h.Get(ctx, 3*time.Minute); err != nil {
				t.Fatal(err)
			}
			st := s.state(id)
			var assets pipeline.AssetsResult
			json.Unmarshal(st.Stages.Assets.Result, &assets)
			if st.Stages.Assets.Attempts != 1 || assets.ImagesAI != assets.Segments {
				t.Fatalf("assets %+v after %d attempts: want Gemini pictures at the first attempt", assets, st.Stages.Assets.Attempts)
			}
			if len(assets.Warnings) != 1 || !strings.Contains(assets.Warnings[0], c.code) || !strings.Contains(assets.Warnings[0], "offline voice") {
				t.Fatalf("warnings %q: want one naming %s", assets.Warnings, c.code)
			}
			man := readManifest(t, s, id)
			if len(man.Warnings) != 1 || man.Warnings[0] != assets.Warnings[0] {
				t.Fatalf("manifest warnings %q", man.Warnings)
			}
			for _, seg := range man.Segments {
				if seg.Voice == "" || seg.Voice == gemini.SpeechEngine || !strings.HasSuffix(seg.Audio, "_offline.wav") || seg.Seconds <= 0 {
					t.Fatalf("segment %d: voice %q at %s (%.1f s), want the offline voice", seg.Index, seg.Voice, seg.Audio, seg.Seconds)
				}
				if _, err := os.Stat(filepath.Join(s.engine.Store().ProjectDir(id), seg.Audio)); err != nil {
					t.Fatal(err)
				}
			}
			// Refused once, Gemini speech is not asked again: only the
			// sentence read beside the refused one (two at a time) was sent.
			if calls, ok := callsTo(gem, from, model); ok != first || calls < first+1 || calls > first+2 {
				t.Fatalf("%d speech calls, %d answered: want %d answered and one or two refused", calls, ok, first)
			}
			if c.render {
				var render pipeline.RenderResult
				json.Unmarshal(st.Stages.Render.Result, &render)
				dur := checkVideo(t, render.VideoPath, 1920, 1080)
				if dur < assets.AudioSeconds*0.98 {
					t.Fatalf("video %.1f s for %.1f s of narration", dur, assets.AudioSeconds)
				}
			}
		})
	}

	// Chosen explicitly, the refusal fails the stage at once.
	gem.ClearFaults()
	gem.Fail(fakegemini.Status(403).ForModel(model).Always())
	id := s.project("Rivers", english, func(in *project.Input) { in.Settings.Providers.TTS = "gemini" })
	h, _ := s.client.Chain(ctx, id, "script", "assets")
	_, err := h.Get(ctx, 2*time.Minute)
	if e, ok := errcode.As(err); !ok || e.Code != "GEMINI_AUTH_FAILED" || e.Retryable {
		t.Fatalf("chosen gemini speech, refused: %v; want GEMINI_AUTH_FAILED", err)
	}
}
