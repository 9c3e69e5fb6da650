package pipeline_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/fakes/fakedid"
	"github.com/ytmaker/ytmaker/internal/fakes/fakegemini"
	"github.com/ytmaker/ytmaker/internal/fakes/fakestability"
	"github.com/ytmaker/ytmaker/internal/fakes/faketts"
	"github.com/ytmaker/ytmaker/internal/fakes/fakeyoutube"
	"github.com/ytmaker/ytmaker/internal/pipeline"
	"github.com/ytmaker/ytmaker/internal/project"
)

type online struct {
	gemini    *fakegemini.Server
	stability *fakestability.Server
	did       *fakedid.Server
	tts       *faketts.Server
	youtube   *fakeyoutube.Server
}

func startOnline(t *testing.T) (*system, online) {
	t.Helper()
	f := online{
		gemini:    fakegemini.New(fakegemini.Options{APIKey: "test-key"}),
		stability: fakestability.New(fakestability.Options{APIKey: "sk-test", MaxSide: 640}),
		did:       fakedid.New(fakedid.Options{APIKey: "did-test", PendingPolls: -1}),
		tts:       faketts.New(faketts.Options{APIKey: "tts-test"}),
		youtube:   fakeyoutube.Start(t, fakeyoutube.Options{}),
	}
	t.Cleanup(func() { f.gemini.Close(); f.stability.Close(); f.did.Close(); f.tts.Close() })
	s := start(t, options{gemini: f.gemini, youtube: f.youtube, configure: func(c *pipeline.Config) {
		c.StabilityAPIKey, c.StabilityBaseURL = "sk-test", f.stability.URL()
		c.DIDAPIKey, c.DIDBaseURL = "did-test", f.did.URL()
		c.GoogleTTSAPIKey, c.GoogleTTSBaseURL = "tts-test", f.tts.URL()
	}})
	return s, f
}

// TestWholeChainWithEveryOnlineService runs the chain against fakes of
// Gemini, Google TTS, Stability AI, D-ID and YouTube, with real ffmpeg.
func TestWholeChainWithEveryOnlineService(t *testing.T) {
	s, f := startOnline(t)
	ctx := context.Background()
	id := s.project("Rivers", english, func(in *project.Input) { in.Settings.YouTube.Privacy = "public" })
	h, err := s.client.Chain(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var res pipeline.UploadResult
	if err := h.GetInto(ctx, 3*time.Minute, &res); err != nil {
		t.Fatal(err)
	}
	if !res.Uploaded || !res.ThumbnailSet || res.Privacy != "public" {
		t.Fatalf("upload %+v", res)
	}
	st := s.state(id)
	var script pipeline.ScriptResult
	json.Unmarshal(st.Stages.Script.Result, &script)
	var assets pipeline.AssetsResult
	json.Unmarshal(st.Stages.Assets.Result, &assets)
	if script.Provider != "gemini" || assets.ImagesAI != assets.Segments || assets.Avatar != "made" {
		t.Fatalf("script %+v, assets %+v", script, assets)
	}
	dur := checkVideo(t, res.VideoPath, 1920, 1080)
	var man pipeline.Manifest
	raw, _ := os.ReadFile(filepath.Join(s.engine.Store().ProjectDir(id), "assets", "assets.json"))
	json.Unmarshal(raw, &man)
	if man.Intro == nil || man.Outro == nil || man.Segments[0].Voice != "google-tts" {
		t.Fatalf("manifest: intro %v outro %v voice %q", man.Intro, man.Outro, man.Segments[0].Voice)
	}
	// The avatar clips replace the intro and outro slides: the video lasts
	// as long as the narration.
	if dur < assets.AudioSeconds*0.98 || dur > assets.AudioSeconds*1.02+1 {
		t.Fatalf("video %.2fs, narration %.2fs", dur, assets.AudioSeconds)
	}
	if n := len(f.stability.Requests()); n != assets.Segments {
		t.Fatalf("%d image requests for %d segments", n, assets.Segments)
	}
	v, _ := f.youtube.Video(res.VideoID)
	if int64(len(v.Media)) == 0 || len(v.Thumbnail) == 0 {
		t.Fatal("YouTube got no video or no thumbnail")
	}
}

func TestFewFailedImagesBecomeSlidesManyFailTheStage(t *testing.T) {
	s, f := startOnline(t)
	ctx := context.Background()
	// One filtered image in a dozen or so: replaced by a slide.
	id := s.project("Planet", longText(), nil)
	f.stability.Fail(fakestability.ContentFiltered())
	h, _ := s.client.Chain(ctx, id, "script", "assets")
	if _, err := h.Get(ctx, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	var assets pipeline.AssetsResult
	json.Unmarshal(s.state(id).Stages.Assets.Result, &assets)
	if assets.ImagesFallback != 1 || assets.ImagesAI != assets.Segments-1 {
		t.Fatalf("assets %+v: want one slide in place of the filtered image", assets)
	}
	// Most images refused for good: the stage fails at once.
	id2 := s.project("Rivers", english, nil)
	faults := make([]fakestability.Fault, 20)
	for i := range faults {
		faults[i] = fakestability.Status(403)
	}
	f.stability.Fail(faults...)
	h, _ = s.client.Chain(ctx, id2, "script", "assets")
	_, err := h.Get(ctx, 2*time.Minute)
	if e, ok := errcode.As(err); !ok || e.Code != errcode.TooManyImagesFailed || e.Retryable {
		t.Fatalf("Get = %v, want TOO_MANY_IMAGES_FAILED (not retryable: the refusals were final)", err)
	}
}
