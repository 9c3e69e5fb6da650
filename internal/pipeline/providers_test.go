package pipeline_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/fakes/fakeelevenlabs"
	"github.com/ytmaker/ytmaker/internal/fakes/fakegemini"
	"github.com/ytmaker/ytmaker/internal/fakes/fakeopenai"
	"github.com/ytmaker/ytmaker/internal/pipeline"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/prompts"
	"github.com/ytmaker/ytmaker/internal/script"
)

// TestWholeChainWithOllamaStyleOpenAI runs every stage with the script
// from an OpenAI-compatible server that takes no key and no JSON schema,
// as a local Ollama with an older model might, and real ffmpeg.
func TestWholeChainWithOllamaStyleOpenAI(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "env-key-must-not-be-used")
	llm := fakeopenai.New(fakeopenai.Options{Models: []string{"llama3.2"}, NoJSONSchema: true})
	t.Cleanup(llm.Close)
	s := start(t, options{configure: func(c *pipeline.Config) {
		c.OpenAIBaseURL, c.OpenAIModel = llm.BaseURL(), "llama3.2"
	}})
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
	var res pipeline.ScriptResult
	json.Unmarshal(st.Stages.Script.Result, &res)
	if res.Provider != "openai" || res.Model != "llama3.2" || res.Tokens <= 0 {
		t.Fatalf("script result %+v", res)
	}
	reqs := llm.Requests()
	if len(reqs) != 2 || reqs[0].Status != 400 || reqs[1].Status != 200 || reqs[0].Auth || reqs[1].Auth {
		t.Fatalf("LLM requests: %+v", reqs)
	}
	sc, err := script.Load(res.ScriptPath)
	if err != nil || sc.Title != "Rivers" || len(sc.Segments) < 3 {
		t.Fatalf("script %+v, %v", sc, err)
	}
	var render pipeline.RenderResult
	json.Unmarshal(st.Stages.Render.Result, &render)
	checkVideo(t, render.VideoPath, 1920, 1080)
	u, err := s.quota.Usage(ctx, "openai_requests")
	if err != nil || u.Used != 2 {
		t.Errorf("openai_requests usage %+v, %v", u, err)
	}
}

// TestScriptProviderChoice checks which writer a project gets, from its
// setting, LLM_PROVIDER and the keys configured, over the wire.
func TestScriptProviderChoice(t *testing.T) {
	gem := fakegemini.New(fakegemini.Options{APIKey: "test-key"})
	t.Cleanup(gem.Close)
	llm := fakeopenai.New(fakeopenai.Options{APIKey: "sk-test"})
	t.Cleanup(llm.Close)
	s := start(t, options{gemini: gem, configure: func(c *pipeline.Config) {
		c.OpenAIBaseURL, c.OpenAIAPIKey, c.OpenAIModel = llm.BaseURL(), "sk-test", "gpt-test"
	}})
	ctx := context.Background()
	run := func(choice, model string) (pipeline.ScriptResult, error) {
		id := s.project("Rivers", english, func(in *project.Input) {
			in.Settings.Providers.Script, in.Settings.Providers.ScriptModel = choice, model
		})
		h, err := s.client.Chain(ctx, id, "script")
		if err != nil {
			t.Fatal(err)
		}
		_, err = h.Get(ctx, time.Minute)
		var res pipeline.ScriptResult
		json.Unmarshal(s.state(id).Stages.Script.Result, &res)
		return res, err
	}
	// Both configured: auto takes Gemini.
	if res, err := run("auto", ""); err != nil || res.Provider != "gemini" {
		t.Fatalf("auto: %+v %v", res, err)
	}
	// The project picks the OpenAI-compatible API and a model.
	res, err := run("openai", "gpt-other")
	if err != nil || res.Provider != "openai" || res.Model != "gpt-other" {
		t.Fatalf("openai: %+v %v", res, err)
	}
	if r := llm.Requests(); len(r) != 1 || r[0].Model != "gpt-other" || !r[0].Auth {
		t.Fatalf("LLM requests %+v", r)
	}
	// A refusal for good fails the stage without retries.
	llm.Fail(fakeopenai.Status(401))
	_, err = run("openai", "")
	if e, ok := errcode.As(err); !ok || e.Code != "OPENAI_AUTH_FAILED" {
		t.Fatalf("401: %v", err)
	}
	if n := len(llm.Requests()); n != 2 {
		t.Fatalf("%d LLM requests; a 401 must not be retried", n)
	}
	// A 429 is retried after Retry-After and then succeeds.
	llm.Fail(fakeopenai.Status(429).RetryAfter(time.Second))
	if res, err := run("openai", ""); err != nil || res.Provider != "openai" {
		t.Fatalf("after a 429: %+v %v", res, err)
	}
	if n := len(llm.Requests()); n != 4 {
		t.Fatalf("%d LLM requests, want 4 (the 429 retried once)", n)
	}
}

func TestScriptProviderResolution(t *testing.T) {
	cases := []struct {
		cfg    pipeline.Config
		choice string
		want   string
		err    bool
	}{
		{pipeline.Config{}, "auto", "offline", false},
		{pipeline.Config{GeminiAPIKey: "k"}, "auto", "gemini", false},
		{pipeline.Config{OpenAIBaseURL: "http://localhost:11434/v1"}, "auto", "openai", false},
		{pipeline.Config{OpenAIAPIKey: "sk"}, "", "openai", false},
		{pipeline.Config{GeminiAPIKey: "k", OpenAIAPIKey: "sk"}, "auto", "gemini", false},
		{pipeline.Config{GeminiAPIKey: "k", OpenAIAPIKey: "sk", LLMProvider: "openai"}, "auto", "openai", false},
		{pipeline.Config{GeminiAPIKey: "k", LLMProvider: "offline"}, "auto", "offline", false},
		{pipeline.Config{GeminiAPIKey: "k", LLMProvider: "offline"}, "gemini", "gemini", false},
		{pipeline.Config{}, "gemini", "", true},
		{pipeline.Config{GeminiAPIKey: "k"}, "openai", "", true},
		{pipeline.Config{LLMProvider: "openai"}, "auto", "", true},
	}
	for _, c := range cases {
		got, err := pipeline.ScriptProvider(&c.cfg, c.choice)
		if got != c.want || (err != nil) != c.err {
			t.Errorf("%+v / %q: got %q, %v; want %q (error %v)", c.cfg, c.choice, got, err, c.want, c.err)
		}
		if err != nil && errcode.Code(err) != errcode.InvalidInput {
			t.Errorf("error %v is not INVALID_INPUT", err)
		}
	}
}

// TestProjectPromptTemplate checks that a project's prompt template is
// what the LLM reads, and that a deleted one stops the stage with a clear
// error.
func TestProjectPromptTemplate(t *testing.T) {
	llm := fakeopenai.New(fakeopenai.Options{})
	t.Cleanup(llm.Close)
	s := start(t, options{configure: func(c *pipeline.Config) {
		c.OpenAIBaseURL, c.OpenAIModel = llm.BaseURL(), "llama3.2"
	}})
	ctx := context.Background()
	store := s.engine.Store().Prompts()
	if _, _, err := store.Put(prompts.Template{Name: "kids", Text: "Explain to children, in {language_name}:\n<source>\n{content}\n</source>"}); err != nil {
		t.Fatal(err)
	}
	id := s.project("Rivers", english, func(in *project.Input) { in.Settings.PromptTemplate = "kids" })
	h, _ := s.client.Chain(ctx, id, "script")
	if _, err := h.Get(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	var res pipeline.ScriptResult
	json.Unmarshal(s.state(id).Stages.Script.Result, &res)
	user := llm.Requests()[0].Messages[1].Content
	if res.Template != "kids" || !strings.HasPrefix(user, "Explain to children, in English:") || !strings.Contains(user, "Cities grew beside rivers") {
		t.Fatalf("result %+v, prompt %q", res, user)
	}
	store.Delete("kids")
	id = s.project("Rivers", english, nil)
	s.engine.Store().UpdateBoth(id, func(p *project.Project, _ *project.State) error {
		p.Settings.PromptTemplate = "kids"
		return nil
	})
	h, _ = s.client.Chain(ctx, id, "script")
	_, err := h.Get(ctx, time.Minute)
	if e, ok := errcode.As(err); !ok || e.Code != errcode.InvalidInput || e.Details["field"] != "settings.prompt_template" {
		t.Fatalf("deleted template: %v", err)
	}
}

// TestWholeChainWithElevenLabs narrates with the ElevenLabs fake and keeps
// its character alignment as the words' times, then renders with real
// ffmpeg.
func TestWholeChainWithElevenLabs(t *testing.T) {
	el := fakeelevenlabs.New(fakeelevenlabs.Options{APIKey: "xi-test", Voices: []string{"voice-a", "voice-b"}})
	t.Cleanup(el.Close)
	s := start(t, options{configure: func(c *pipeline.Config) {
		c.ElevenLabsAPIKey, c.ElevenLabsBaseURL, c.ElevenLabsVoiceID = "xi-test", el.URL(), "voice-a"
	}})
	ctx := context.Background()
	id := s.project("Rivers", english, nil)
	el.Fail(fakeelevenlabs.Status(429).RetryAfter(time.Second)) // retried
	h, _ := s.client.Chain(ctx, id, "script", "assets", "render")
	if _, err := h.Get(ctx, 3*time.Minute); err != nil {
		t.Fatal(err)
	}
	var man pipeline.Manifest
	raw, _ := os.ReadFile(filepath.Join(s.engine.Store().ProjectDir(id), "assets", "assets.json"))
	json.Unmarshal(raw, &man)
	seg := man.Segments[1]
	if seg.Voice != "elevenlabs" || len(seg.Sentences) == 0 || len(seg.Sentences[0].Words) < 3 {
		t.Fatalf("segment %+v", seg)
	}
	// The words' times are ElevenLabs' alignment: the fake spreads the
	// characters evenly, so a sentence's first word starts where the
	// sentence does and the last ends where it ends.
	first := seg.Sentences[0]
	if w := first.Words; w[0].Start != first.Start || w[len(w)-1].End > first.End+time.Millisecond || w[1].Start < w[0].End {
		t.Fatalf("sentence %+v", first)
	}
	var render pipeline.RenderResult
	json.Unmarshal(s.state(id).Stages.Render.Result, &render)
	checkVideo(t, render.VideoPath, 1920, 1080)
	reqs := el.Requests()
	if reqs[0].Status != 429 || reqs[1].VoiceID != "voice-a" || reqs[1].OutputFormat != "pcm_24000" {
		t.Fatalf("requests %+v", reqs[:2])
	}
	// Counted: every request once, the 429 too; the characters read
	// aloud, not those of the refused request (pieces read before the
	// 429 stopped their segment are read again, and paid again, by the
	// next attempt). The 429 fails the stage's attempt, which stops the
	// other calls in flight (at most 3 beside it): one stopped after its
	// request was written out is counted, as the provider may have had
	// it, even when the fake never got to answer it.
	var chars, longest int64
	for _, r := range reqs {
		n := int64(utf8.RuneCountInString(r.Text))
		longest = max(longest, n)
		if r.Status == 200 {
			chars += n
		}
	}
	lo, _ := narrationBounds(t, s, id)
	if got := s.used("elevenlabs_characters"); got < chars || got > chars+3*longest || got < lo {
		t.Errorf("elevenlabs_characters %d; the fake read %d (longest request %d), the narration has at least %d", got, chars, longest, lo)
	}
	if got := s.used("elevenlabs_requests"); got < int64(len(reqs)) || got > int64(len(reqs))+3 {
		t.Errorf("elevenlabs_requests %d, the fake got %d", got, len(reqs))
	}

	// The project's voice, and an unknown one that fails for good.
	id = s.project("Rivers", english, func(in *project.Input) { in.Settings.Voice = "voice-b" })
	h, _ = s.client.Chain(ctx, id, "script", "assets")
	if _, err := h.Get(ctx, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	if r := el.Requests(); r[len(r)-1].VoiceID != "voice-b" {
		t.Fatalf("voice %q", r[len(r)-1].VoiceID)
	}
	id = s.project("Rivers", english, func(in *project.Input) { in.Settings.Voice = "ghost" })
	h, _ = s.client.Chain(ctx, id, "script", "assets")
	_, err := h.Get(ctx, 2*time.Minute)
	if e, ok := errcode.As(err); !ok || e.Code != "ELEVENLABS_VOICE_NOT_FOUND" || e.Retryable {
		t.Fatalf("unknown voice: %v", err)
	}
}

// TestOpenAISpeechAndNarrationChecks narrates with OpenAI-compatible
// speech and checks that silent audio fails the stage with TTS_FAILED.
func TestOpenAISpeechAndNarrationChecks(t *testing.T) {
	srv := fakeopenai.New(fakeopenai.Options{APIKey: "sk-test"})
	t.Cleanup(srv.Close)
	s := start(t, options{configure: func(c *pipeline.Config) {
		c.OpenAIAPIKey, c.OpenAITTSBaseURL, c.OpenAITTSVoice = "sk-test", srv.BaseURL(), "nova"
		c.LLMProvider = "offline"
	}})
	ctx := context.Background()
	id := s.project("Rivers", english, func(in *project.Input) { in.Settings.Providers.TTS = "openai" })
	h, _ := s.client.Chain(ctx, id, "script", "assets")
	if _, err := h.Get(ctx, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	var assets pipeline.AssetsResult
	json.Unmarshal(s.state(id).Stages.Assets.Result, &assets)
	if r := srv.Requests(); len(r) == 0 || r[0].Speech.Voice != "nova" || assets.AudioSeconds <= 0 {
		t.Fatalf("requests %+v, assets %+v", r, assets)
	}
	faults := make([]fakeopenai.Fault, 200)
	for i := range faults {
		faults[i] = fakeopenai.Silent()
	}
	srv.Fail(faults...)
	id = s.project("Rivers", english, func(in *project.Input) { in.Settings.Providers.TTS = "openai" })
	h, _ = s.client.Chain(ctx, id, "script", "assets")
	_, err := h.Get(ctx, 2*time.Minute)
	if e, ok := errcode.As(err); !ok || e.Code != errcode.TTSFailed || e.Details["reason"] != "silent" {
		t.Fatalf("silent narration: %v", err)
	}
}

func TestVoiceProviderResolution(t *testing.T) {
	cases := []struct {
		cfg    pipeline.Config
		choice string
		want   string
		err    bool
	}{
		{pipeline.Config{}, "auto", "offline", false},
		{pipeline.Config{GoogleTTSAPIKey: "g", ElevenLabsAPIKey: "e"}, "auto", "google", false},
		{pipeline.Config{ElevenLabsAPIKey: "e"}, "", "elevenlabs", false},
		{pipeline.Config{OpenAIBaseURL: "http://localhost:11434/v1"}, "auto", "offline", false},
		{pipeline.Config{OpenAIAPIKey: "sk"}, "auto", "openai", false},
		{pipeline.Config{OpenAITTSBaseURL: "http://localhost:8880/v1"}, "auto", "openai", false},
		{pipeline.Config{GoogleTTSAPIKey: "g", ElevenLabsAPIKey: "e", TTSProvider: "elevenlabs"}, "auto", "elevenlabs", false},
		// One Gemini key reads the narration too, after every other voice.
		{pipeline.Config{GeminiAPIKey: "k"}, "auto", "gemini", false},
		{pipeline.Config{GeminiAPIKey: "k", OpenAITTSBaseURL: "http://localhost:8880/v1"}, "", "openai", false},
		{pipeline.Config{GeminiAPIKey: "k", ElevenLabsAPIKey: "e"}, "auto", "elevenlabs", false},
		{pipeline.Config{GeminiAPIKey: "k", GoogleTTSAPIKey: "g"}, "auto", "google", false},
		{pipeline.Config{GeminiAPIKey: "k", OpenAIBaseURL: "http://localhost:11434/v1"}, "auto", "gemini", false},
		{pipeline.Config{GeminiAPIKey: "k", TTSProvider: "offline"}, "auto", "offline", false},
		{pipeline.Config{GoogleTTSAPIKey: "g", TTSProvider: "offline"}, "google", "google", false},
		{pipeline.Config{OpenAIBaseURL: "http://x/v1"}, "openai", "openai", false},
		{pipeline.Config{}, "elevenlabs", "", true},
		{pipeline.Config{}, "openai", "", true},
		{pipeline.Config{TTSProvider: "google"}, "auto", "", true},
	}
	for _, c := range cases {
		got, err := pipeline.VoiceProvider(&c.cfg, c.choice)
		if got != c.want || (err != nil) != c.err {
			t.Errorf("%+v / %q: got %q, %v; want %q (error %v)", c.cfg, c.choice, got, err, c.want, c.err)
		}
	}
}
