package pipeline_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ytmaker/ytmaker/internal/fakes/fakeopenai"
	"github.com/ytmaker/ytmaker/internal/fakes/fakestability"
	"github.com/ytmaker/ytmaker/internal/pipeline"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/quota"
	"github.com/ytmaker/ytmaker/internal/script"
)

// used is today's usage of service.
func (s *system) used(service string) int64 {
	s.t.Helper()
	u, err := s.quota.Usage(context.Background(), service)
	if err != nil {
		s.t.Fatal(err)
	}
	return u.Used
}

// narrationBounds are the least and most characters a project's
// narration may be counted as: its script's text without, and with, the
// spaces and line breaks between sentences.
func narrationBounds(t *testing.T, s *system, id int64) (lo, hi int64) {
	t.Helper()
	sc, err := script.Load(s.engine.Store().ProjectDir(id) + "/script.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, seg := range sc.Segments {
		hi += int64(utf8.RuneCountInString(seg.Text))
		lo += int64(len([]rune(strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return -1
			}
			return r
		}, seg.Text))))
	}
	return lo, hi
}

// TestUsageCountedPerProvider runs the chain against the fakes of Gemini,
// Google TTS, Stability and D-ID and checks each provider's counters
// against what its fake received: every request once, the characters
// read aloud, one image per segment, the LLM's tokens.
func TestUsageCountedPerProvider(t *testing.T) {
	s, f := startOnline(t)
	ctx := context.Background()
	id := s.project("Planet", longText(), nil)
	// One picture filtered (a slide instead): the request counts, no
	// image does.
	f.stability.Fail(fakestability.ContentFiltered())
	h, err := s.client.Chain(ctx, id, "script", "assets")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Get(ctx, 3*time.Minute); err != nil {
		t.Fatal(err)
	}
	st := s.state(id)
	var sc pipeline.ScriptResult
	json.Unmarshal(st.Stages.Script.Result, &sc)
	var assets pipeline.AssetsResult
	json.Unmarshal(st.Stages.Assets.Result, &assets)

	if n := int64(len(f.gemini.Requests())); n == 0 || s.used("gemini_requests") != n {
		t.Errorf("gemini_requests %d, the fake got %d", s.used("gemini_requests"), n)
	}
	if s.used("gemini_tokens") != int64(sc.Tokens) || sc.Tokens <= 0 {
		t.Errorf("gemini_tokens %d, the script reports %d", s.used("gemini_tokens"), sc.Tokens)
	}

	var chars int64
	for _, r := range f.tts.Requests() {
		if r.Status == 200 {
			chars += int64(utf8.RuneCountInString(r.Text))
		}
	}
	lo, hi := narrationBounds(t, s, id)
	if got := s.used("google_characters"); got != chars || got < lo || got > hi {
		t.Errorf("google_characters %d; the fake read %d, the narration has %d to %d", got, chars, lo, hi)
	}
	if got, n := s.used("google_requests"), int64(len(f.tts.Requests())); got != n {
		t.Errorf("google_requests %d, the fake got %d", got, n)
	}

	if got, n := s.used("stability_requests"), int64(len(f.stability.Requests())); got != n {
		t.Errorf("stability_requests %d, the fake got %d", got, n)
	}
	if got := s.used("stability_images"); got != int64(assets.ImagesAI) || assets.ImagesAI != assets.Segments-1 {
		t.Errorf("stability_images %d for %d pictures made (%d segments)", got, assets.ImagesAI, assets.Segments)
	}
	if got := s.used("did_requests"); got != 2 || assets.Avatar != "made" {
		t.Errorf("did_requests %d, avatar %q: want the intro and the outro", got, assets.Avatar)
	}
	snap, err := s.quota.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"gemini_requests", "gemini_tokens", "google_requests", "google_characters",
		"stability_requests", "stability_images", "did_requests"} {
		u, ok := snap.Services[name]
		if !ok || u.Used <= 0 || u.Limit != nil {
			t.Errorf("snapshot %s = %+v, %v", name, u, ok)
		}
	}
	if u := snap.Services["google_characters"]; u.Unit != "characters" {
		t.Errorf("unit %q", u.Unit)
	}
}

// settable is a clock a test moves by hand.
type settable struct {
	mu sync.Mutex
	t  time.Time
}

func (c *settable) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *settable) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// TestDailyLimitMakesTheStageWaitForTheReset: with STABILITY_DAILY_IMAGES
// reached halfway through the pictures, the assets stage waits for the
// reset (its state says why and until when) without using an attempt,
// then makes the rest once the day has turned, and never fails.
func TestDailyLimitMakesTheStageWaitForTheReset(t *testing.T) {
	reset := quota.NextReset(time.Now(), quota.Pacific())
	clk := &settable{t: reset.Add(-4 * time.Second)}
	const budget = 2
	stab := fakestability.New(fakestability.Options{APIKey: "sk-test", MaxSide: 480})
	t.Cleanup(stab.Close)
	s := start(t, options{
		quota: quota.Options{Now: clk.Now, Limits: quota.DailyLimits(map[string]int64{"stability_images": budget})},
		configure: func(c *pipeline.Config) {
			c.StabilityAPIKey, c.StabilityBaseURL = "sk-test", stab.URL()
			c.LLMProvider, c.TTSProvider = "offline", "offline"
		},
	})
	ctx := context.Background()
	id := s.project("Rivers", english, nil)
	sub, err := s.client.SubscribeProgress(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	h, err := s.client.Chain(ctx, id, "script", "assets")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.After(2 * time.Minute)
	for waiting := false; !waiting; {
		select {
		case m := <-sub.C:
			waiting = strings.HasPrefix(m.Message, "Waiting until") && m.Error != nil && m.Error.Code == "STABILITY_DAILY_LIMIT_REACHED"
		case <-deadline:
			t.Fatal("the assets stage never waited")
		}
	}
	st := s.state(id).Stages.Assets
	if st.Status != project.StageWaiting || st.WaitUntil == nil || st.Error == nil ||
		st.Error.Code != "STABILITY_DAILY_LIMIT_REACHED" || st.Error.Details["service"] != "stability_images" ||
		st.Error.Details["reset_at"] != reset.UTC().Format(time.RFC3339) {
		t.Fatalf("assets stage while waiting: %+v, error %+v", st, st.Error)
	}
	if w := time.Until(*st.WaitUntil); w > 10*time.Second {
		t.Fatalf("waits %v; the tracker's day ends in 4 s", w)
	}
	// Today: two pictures made; the requests of the refused ones were
	// given back (none was sent).
	if img, req, sent := s.used("stability_images"), s.used("stability_requests"), len(stab.Requests()); img != budget || req != budget || sent != budget {
		t.Fatalf("before the reset: %d images, %d requests counted, %d sent", img, req, sent)
	}
	clk.Set(reset.Add(time.Second)) // the day turns
	if _, err := h.Get(ctx, 2*time.Minute); err != nil {
		t.Fatalf("after the reset: %v", err)
	}
	final := s.state(id)
	var assets pipeline.AssetsResult
	json.Unmarshal(final.Stages.Assets.Result, &assets)
	if assets.ImagesAI != assets.Segments || assets.ImagesFallback != 0 {
		t.Fatalf("assets %+v: every picture should be made, none replaced", assets)
	}
	if final.Stages.Assets.Attempts != 1 {
		t.Fatalf("the wait used attempts: %d", final.Stages.Assets.Attempts)
	}
	if got, want := s.used("stability_images"), int64(assets.Segments-budget); got != want {
		t.Fatalf("new day: %d images counted, want %d", got, want)
	}
	if len(stab.Requests()) != assets.Segments {
		t.Fatalf("%d requests for %d pictures", len(stab.Requests()), assets.Segments)
	}
}

// TestTokenBudgetReachedWaits: LLM tokens are known only after a call, so
// a script is refused only once the day's tokens reached the budget; it
// then waits for the reset and is written the next day, its tokens
// counted then.
func TestTokenBudgetReachedWaits(t *testing.T) {
	reset := quota.NextReset(time.Now(), quota.Pacific())
	clk := &settable{t: reset.Add(-4 * time.Second)}
	llm := fakeopenai.New(fakeopenai.Options{})
	t.Cleanup(llm.Close)
	s := start(t, options{
		quota: quota.Options{Now: clk.Now, Limits: quota.DailyLimits(map[string]int64{"openai_tokens": 500})},
		configure: func(c *pipeline.Config) {
			c.OpenAIBaseURL, c.OpenAIModel = llm.BaseURL(), "llama3.2"
		},
	})
	ctx := context.Background()
	if err := s.quota.Record(ctx, "openai_tokens", 500); err != nil {
		t.Fatal(err)
	}
	id := s.project("Rivers", english, nil)
	h, err := s.client.Chain(ctx, id, "script")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for st := s.state(id).Stages.Script; st.Status != project.StageWaiting; st = s.state(id).Stages.Script {
		if time.Now().After(deadline) {
			t.Fatalf("the script never waited: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	st := s.state(id).Stages.Script
	if st.Error == nil || st.Error.Code != "OPENAI_DAILY_LIMIT_REACHED" || st.Error.Details["service"] != "openai_tokens" {
		t.Fatalf("script stage while waiting: %+v", st.Error)
	}
	if n := len(llm.Requests()); n != 0 || s.used("openai_requests") != 0 {
		t.Fatalf("%d requests sent, %d counted, over the token budget", n, s.used("openai_requests"))
	}
	clk.Set(reset.Add(time.Second))
	if _, err := h.Get(ctx, time.Minute); err != nil {
		t.Fatalf("after the reset: %v", err)
	}
	var res pipeline.ScriptResult
	json.Unmarshal(s.state(id).Stages.Script.Result, &res)
	if got := s.used("openai_tokens"); got != int64(res.Tokens) || res.Tokens <= 0 {
		t.Fatalf("new day: %d tokens counted, the script used %d", got, res.Tokens)
	}
	if got, n := s.used("openai_requests"), int64(len(llm.Requests())); got != n || n == 0 {
		t.Fatalf("openai_requests %d, the fake got %d", got, n)
	}
	if a := s.state(id).Stages.Script.Attempts; a != 1 {
		t.Fatalf("the wait used attempts: %d", a)
	}
}
