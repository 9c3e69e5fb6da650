package pipeline_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/fakes/fakegemini"
	"github.com/ytmaker/ytmaker/internal/fakes/fakeopenai"
	"github.com/ytmaker/ytmaker/internal/media/picture"
	"github.com/ytmaker/ytmaker/internal/pipeline"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/providers/gemini"
)

func TestImageProviderResolution(t *testing.T) {
	cases := []struct {
		cfg    pipeline.Config
		choice string
		want   string
		err    bool
	}{
		{pipeline.Config{}, "auto", "offline", false},
		{pipeline.Config{StabilityAPIKey: "s"}, "", "stability", false},
		// One Gemini key gives the pictures too; Stability comes first.
		{pipeline.Config{GeminiAPIKey: "g", OpenAIAPIKey: "k"}, "auto", "gemini", false},
		{pipeline.Config{GeminiAPIKey: "g", StabilityAPIKey: "s"}, "", "stability", false},
		// An OpenAI key or URL alone does not turn pictures on (it may be
		// a chat-only server).
		{pipeline.Config{OpenAIAPIKey: "k", OpenAIBaseURL: "http://localhost:11434/v1"}, "auto", "offline", false},
		{pipeline.Config{GeminiAPIKey: "g", ImageProvider: "offline"}, "auto", "offline", false},
		{pipeline.Config{GeminiAPIKey: "g", ImageProvider: "gemini"}, "auto", "gemini", false},
		{pipeline.Config{StabilityAPIKey: "s", ImageProvider: "gemini", GeminiAPIKey: "g"}, "stability", "stability", false},
		{pipeline.Config{OpenAIImagesBaseURL: "http://localhost:8080/v1"}, "openai", "openai", false},
		{pipeline.Config{OpenAIAPIKey: "k"}, "openai", "openai", false},
		{pipeline.Config{StabilityAPIKey: "s", ImageProvider: "stability"}, "offline", "offline", false},
		{pipeline.Config{}, "gemini", "", true},
		{pipeline.Config{}, "openai", "", true},
		{pipeline.Config{ImageProvider: "stability"}, "auto", "", true},
	}
	for _, c := range cases {
		got, err := pipeline.ImageProvider(&c.cfg, c.choice)
		if got != c.want || (err != nil) != c.err {
			t.Errorf("%+v / %q: got %q, %v; want %q (error %v)", c.cfg, c.choice, got, err, c.want, c.err)
		}
		if err != nil {
			if e, ok := errcode.As(err); !ok || e.Code != errcode.InvalidInput || e.Details["field"] != "settings.providers" {
				t.Errorf("%q: error %v", c.choice, err)
			}
		}
	}
}

// checkPictures checks that every segment of project id shows a picture
// from source, a checked image of the format's orientation.
func checkPictures(t *testing.T, s *system, id int64, source string, portrait bool) pipeline.AssetsResult {
	t.Helper()
	var assets pipeline.AssetsResult
	json.Unmarshal(s.state(id).Stages.Assets.Result, &assets)
	if assets.ImagesAI != assets.Segments || assets.ImagesFallback != 0 {
		t.Fatalf("assets %+v: want every picture generated", assets)
	}
	var man pipeline.Manifest
	dir := s.engine.Store().ProjectDir(id)
	raw, _ := os.ReadFile(filepath.Join(dir, "assets", "assets.json"))
	if err := json.Unmarshal(raw, &man); err != nil {
		t.Fatal(err)
	}
	for _, seg := range man.Segments {
		data, err := os.ReadFile(filepath.Join(dir, seg.Image))
		if err != nil {
			t.Fatal(err)
		}
		info, err := picture.Check(data)
		if seg.ImageSource != source || err != nil || info.Format != "png" || portrait != (info.Height > info.Width) {
			t.Fatalf("segment %d: source %q, picture %+v %v", seg.Index, seg.ImageSource, info, err)
		}
	}
	return assets
}

// TestWholeChainWithOpenAIImages makes a video whose pictures come from
// an OpenAI-compatible images endpoint with its own base URL, in the
// portrait format, with real ffmpeg.
func TestWholeChainWithOpenAIImages(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "env-key-must-not-be-used")
	t.Setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1")
	img := fakeopenai.New(fakeopenai.Options{APIKey: "sk-img", MaxImageSide: 480})
	t.Cleanup(img.Close)
	s := start(t, options{configure: func(c *pipeline.Config) {
		c.OpenAIAPIKey, c.OpenAIImagesBaseURL, c.OpenAIImageModel = "sk-img", img.BaseURL(), "gpt-image-2.5-flare"
		c.ImageProvider = "openai"
	}})
	ctx := context.Background()
	id := s.project("Rivers", english, func(in *project.Input) {
		in.Settings.Format, in.Settings.Providers.Script, in.Settings.Providers.TTS = "shorts", "offline", "offline"
	})
	h, err := s.client.Chain(ctx, id, "script", "assets", "render")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Get(ctx, 3*time.Minute); err != nil {
		t.Fatal(err)
	}
	assets := checkPictures(t, s, id, "openai", true)
	reqs := img.Requests()
	if len(reqs) != assets.Segments {
		t.Fatalf("%d image requests for %d segments", len(reqs), assets.Segments)
	}
	if s.used("openai_images") != int64(assets.Segments) || s.used("openai_requests") != int64(len(reqs)) {
		t.Fatalf("counted %d images, %d requests for %d pictures", s.used("openai_images"), s.used("openai_requests"), assets.Segments)
	}
	for _, r := range reqs {
		if r.Path != "/v1/images/generations" || !r.Auth || r.Image.Size != "1024x1536" || r.Image.Model != "gpt-image-2.5-flare" || r.Status != 200 {
			t.Fatalf("image request %+v", r)
		}
	}
	var render pipeline.RenderResult
	json.Unmarshal(s.state(id).Stages.Render.Result, &render)
	checkVideo(t, render.VideoPath, 1080, 1920)
}

// TestWholeChainGeminiOnly makes a video with one Gemini key giving the
// script and the pictures (landscape), with real ffmpeg, and checks that
// a failing picture falls back to a slide as Stability's do.
func TestWholeChainGeminiOnly(t *testing.T) {
	gem := fakegemini.New(fakegemini.Options{APIKey: "test-key", MaxImageSide: 480})
	t.Cleanup(gem.Close)
	s := start(t, options{gemini: gem, configure: func(c *pipeline.Config) { c.GeminiImageModel = "gemini-3-pro-image" }})
	ctx := context.Background()
	id := s.project("Rivers", english, func(in *project.Input) { in.Settings.Providers.Images = "gemini" })
	h, err := s.client.Chain(ctx, id, "script", "assets", "render")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Get(ctx, 3*time.Minute); err != nil {
		t.Fatal(err)
	}
	assets := checkPictures(t, s, id, "gemini", false)
	var images int
	for _, r := range gem.Requests() {
		if r.Model == "gemini-3-pro-image" {
			images++
			if r.AspectRatio != "16:9" || r.Status != 200 || len(r.Modalities) != 2 {
				t.Fatalf("image request %+v", r)
			}
		}
	}
	if images != assets.Segments {
		t.Fatalf("%d image requests for %d segments", images, assets.Segments)
	}
	if got := s.used("gemini_images"); got != int64(images) {
		t.Fatalf("gemini_images %d for %d pictures", got, images)
	}
	if got, n := s.used("gemini_requests"), int64(len(gem.Requests())); got != n {
		t.Fatalf("gemini_requests %d, the fake got %d", got, n)
	}
	var render pipeline.RenderResult
	json.Unmarshal(s.state(id).Stages.Render.Result, &render)
	checkVideo(t, render.VideoPath, 1920, 1080)

	// One picture the model declines, in a long project: a slide instead.
	id2 := s.project("Planet", longText(), func(in *project.Input) { in.Settings.Providers.Images = "gemini" })
	h, err = s.client.Chain(ctx, id2, "script")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Get(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	gem.Fail(fakegemini.NoMedia().ForModel("gemini-3-pro-image"))
	h, _ = s.client.Chain(ctx, id2, "assets")
	if _, err := h.Get(ctx, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	var a2 pipeline.AssetsResult
	json.Unmarshal(s.state(id2).Stages.Assets.Result, &a2)
	if a2.ImagesFallback != 1 || a2.ImagesAI != a2.Segments-1 {
		t.Fatalf("assets %+v: want one slide in place of the declined picture", a2)
	}
}

// TestGeminiSpeechNarrates: with one Gemini key the narration comes from
// Gemini speech when the project asks for it; each narration is a checked
// WAV and the video renders.
func TestGeminiSpeechNarrates(t *testing.T) {
	gem := fakegemini.New(fakegemini.Options{APIKey: "test-key", MaxImageSide: 480})
	t.Cleanup(gem.Close)
	s := start(t, options{gemini: gem, configure: func(c *pipeline.Config) { c.GeminiTTSVoice = "Puck" }})
	ctx := context.Background()
	id := s.project("Tides", english, func(in *project.Input) { in.Settings.Providers.TTS = "gemini" })
	h, err := s.client.Chain(ctx, id, "script", "assets", "render")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Get(ctx, 3*time.Minute); err != nil {
		t.Fatal(err)
	}
	var man pipeline.Manifest
	raw, _ := os.ReadFile(filepath.Join(s.engine.Store().ProjectDir(id), "assets", "assets.json"))
	if err := json.Unmarshal(raw, &man); err != nil || len(man.Segments) == 0 {
		t.Fatalf("manifest: %v", err)
	}
	for _, seg := range man.Segments {
		if seg.Voice != "gemini-tts" {
			t.Fatalf("segment voiced by %q, want gemini-tts", seg.Voice)
		}
	}
	var speech int
	for _, r := range gem.Requests() {
		if r.Voice != "" {
			speech++
			if r.Voice != "Puck" || r.Status != 200 {
				t.Fatalf("speech request %+v", r)
			}
		}
	}
	if a := s.state(id).Stages.Assets.Attempts; a != 1 {
		t.Fatalf("assets took %d attempts: a narration was refused", a)
	}
	if speech < len(man.Segments) { // a segment may be read in several parts
		t.Fatalf("%d speech requests for %d segments", speech, len(man.Segments))
	}
	lo, hi := narrationBounds(t, s, id)
	if got := s.used("gemini_characters"); got < lo || got > hi {
		t.Fatalf("gemini_characters %d, the narration has %d to %d", got, lo, hi)
	}
	var render pipeline.RenderResult
	json.Unmarshal(s.state(id).Stages.Render.Result, &render)
	checkVideo(t, render.VideoPath, 1920, 1080)
}

func TestRefusedForGood(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"403 permission denied", errcode.HTTP("GEMINI", 403, nil, "Gemini PERMISSION_DENIED: no access"), true},
		{"400 billing", errcode.New(gemini.CodeFailedPrecondition, "Gemini FAILED_PRECONDITION: enable billing", false), true},
		{"404 model", errcode.New(gemini.CodeModelNotFound, "Gemini NOT_FOUND: models/x", false), true},
		{"400 invalid key", errcode.New(gemini.CodeAuthFailed, "Gemini INVALID_ARGUMENT: API key not valid", false), false},
		{"401", errcode.HTTP("GEMINI", 401, nil, "Gemini UNAUTHENTICATED"), false},
		{"daily quota", errcode.New(gemini.CodeQuotaExceeded, "Gemini RESOURCE_EXHAUSTED", false), false},
		{"no quota in the plan", errcode.New(gemini.CodeNoQuota, "Gemini RESOURCE_EXHAUSTED: limit: 0", false), true},
		{"rate limited", errcode.HTTP("GEMINI", 429, nil, "Gemini RESOURCE_EXHAUSTED"), false},
		{"blocked", errcode.New(gemini.CodeBlocked, "Gemini blocked the image prompt", false), false},
		{"no image", errcode.New(gemini.CodeNoImage, "Gemini returned no image", true), false},
		{"plain error", errors.New("boom"), false},
		{"wrapped 403", fmt.Errorf("paint: %w", errcode.HTTP("GEMINI", 403, nil, "denied")), true},
	} {
		if got := pipeline.RefusedForGood(c.err); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// TestGeminiPicturesRefusedBecomeSlides: a Gemini key that writes the
// script but is refused pictures for good (a free-tier key) gives a video
// of slides with a warning when the pictures were left to auto; the
// service is not asked again after the refusal. Chosen explicitly, the
// refusal fails the stage with the coded error.
func TestGeminiPicturesRefusedBecomeSlides(t *testing.T) {
	gem := fakegemini.New(fakegemini.Options{APIKey: "test-key", MaxImageSide: 480})
	t.Cleanup(gem.Close)
	s := start(t, options{gemini: gem})
	ctx := context.Background()
	model := gemini.DefaultImageModel
	imageCalls := func(from int) (n int) {
		for _, r := range gem.Requests()[from:] {
			if r.Model == model {
				n++
			}
		}
		return n
	}
	for _, c := range []struct {
		name   string
		fault  fakegemini.Fault
		code   string
		render bool
	}{
		{"403", fakegemini.Status(403).Message("Permission denied: this key may not use " + model + "."), "GEMINI_AUTH_FAILED", true},
		{"billing", fakegemini.Billing(), gemini.CodeFailedPrecondition, false},
		{"no model", fakegemini.Status(404), gemini.CodeModelNotFound, false},
		{"free tier", fakegemini.NoQuota(), gemini.CodeNoQuota, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			gem.ClearFaults()
			gem.Fail(c.fault.ForModel(model).Always())
			from := gem.Calls()
			id := s.project("Rivers", english, func(in *project.Input) { in.Settings.Providers.TTS = "offline" })
			stages := []string{"script", "assets"}
			if c.render {
				stages = append(stages, "render")
			}
			h, err := s.client.Chain(ctx, id, stages...)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := h.Get(ctx, 3*time.Minute); err != nil {
				t.Fatal(err)
			}
			st := s.state(id)
			var script pipeline.ScriptResult
			json.Unmarshal(st.Stages.Script.Result, &script)
			var assets pipeline.AssetsResult
			json.Unmarshal(st.Stages.Assets.Result, &assets)
			if script.Provider != "gemini" || assets.ImagesAI != 0 || assets.ImagesFallback != assets.Segments || st.Stages.Assets.Attempts != 1 {
				t.Fatalf("script %+v, assets %+v after %d attempts: want every picture a slide at the first attempt",
					script, assets, st.Stages.Assets.Attempts)
			}
			if len(assets.Warnings) != 1 || !strings.Contains(assets.Warnings[0], c.code) || !strings.Contains(assets.Warnings[0], "slides") {
				t.Fatalf("warnings %q: want one naming %s", assets.Warnings, c.code)
			}
			man := readManifest(t, s, id)
			if len(man.Warnings) != 1 || man.Warnings[0] != assets.Warnings[0] {
				t.Fatalf("manifest warnings %q", man.Warnings)
			}
			for _, seg := range man.Segments {
				if seg.ImageSource != "slide-fallback" || !strings.Contains(seg.ImageError, c.code) {
					t.Fatalf("segment %d: source %q, error %q", seg.Index, seg.ImageSource, seg.ImageError)
				}
				if _, err := os.Stat(filepath.Join(s.engine.Store().ProjectDir(id), seg.Image)); err != nil {
					t.Fatal(err)
				}
			}
			// Refused once, the service is not asked again: only the calls
			// already under way (at most 4 assets at a time) were made.
			if n := imageCalls(from); n < 1 || n > 4 {
				t.Fatalf("%d image calls, want 1 to 4", n)
			}
			if c.render {
				var render pipeline.RenderResult
				json.Unmarshal(s.state(id).Stages.Render.Result, &render)
				checkVideo(t, render.VideoPath, 1920, 1080)
			}
		})
	}

	// Chosen explicitly, the refusal fails the stage with the coded error.
	gem.ClearFaults()
	gem.Fail(fakegemini.Status(403).ForModel(model).Always())
	id := s.project("Rivers", english, func(in *project.Input) {
		in.Settings.Providers.TTS, in.Settings.Providers.Images = "offline", "gemini"
	})
	h, _ := s.client.Chain(ctx, id, "script", "assets")
	_, err := h.Get(ctx, 2*time.Minute)
	if e, ok := errcode.As(err); !ok || e.Code != errcode.TooManyImagesFailed || e.Retryable || !strings.Contains(e.Message, "GEMINI_AUTH_FAILED") {
		t.Fatalf("chosen gemini, refused: %v; want TOO_MANY_IMAGES_FAILED naming GEMINI_AUTH_FAILED", err)
	}
}
