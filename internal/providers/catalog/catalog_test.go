package catalog

import (
	"context"

	"encoding/json"
	"golang.org/x/oauth2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/config"
	"github.com/ytmaker/ytmaker/internal/fakes/fakedid"
	"github.com/ytmaker/ytmaker/internal/fakes/fakeelevenlabs"
	"github.com/ytmaker/ytmaker/internal/fakes/fakegemini"
	"github.com/ytmaker/ytmaker/internal/fakes/fakeopenai"
	"github.com/ytmaker/ytmaker/internal/fakes/fakestability"
	"github.com/ytmaker/ytmaker/internal/fakes/fakestock"
	"github.com/ytmaker/ytmaker/internal/fakes/faketts"
	"github.com/ytmaker/ytmaker/internal/fakes/fakeyoutube"
	"github.com/ytmaker/ytmaker/internal/pipeline"
	"github.com/ytmaker/ytmaker/internal/providers/youtube"
)

// load reads a configuration from env alone (no .env, no flags).
func load(t *testing.T, env map[string]string) *config.Config {
	t.Helper()
	if env["DATA_DIR"] == "" {
		env["DATA_DIR"] = t.TempDir()
	}
	c, err := config.Load(config.Sources{Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func byName(list []Provider) map[string]Provider {
	m := map[string]Provider{}
	for _, p := range list {
		m[p.Name] = p
	}
	return m
}

func TestListDefaultsAndConfigured(t *testing.T) {
	cases := []struct {
		name       string
		env        map[string]string
		configured []string
		defaults   map[string]string
	}{
		{"nothing set", map[string]string{},
			[]string{"offline-writer", "offline-voice", "slides"},
			map[string]string{"script": "offline", "tts": "offline", "images": "offline", "avatar": "none", "upload": "none"}},
		{"gemini and stability", map[string]string{"GEMINI_API_KEY": "g-secret-1", "STABILITY_API_KEY": "sk-secret-2"},
			[]string{"gemini", "offline-writer", "gemini-speech", "offline-voice", "stability", "gemini-images", "slides"},
			map[string]string{"script": "gemini", "tts": "gemini", "images": "stability", "avatar": "none", "upload": "none"}},
		{"local ollama, elevenlabs, d-id", map[string]string{"OPENAI_BASE_URL": "http://localhost:11434/v1", "OPENAI_MODEL": "llama3.2",
			"ELEVENLABS_API_KEY": "el-secret-3", "DID_API_KEY": "did-secret-4"},
			[]string{"openai", "offline-writer", "elevenlabs", "offline-voice", "openai-images", "slides", "d-id"},
			map[string]string{"script": "openai", "tts": "elevenlabs", "images": "offline", "avatar": "did", "upload": "none"}},
		{"openai key alone also speaks", map[string]string{"OPENAI_API_KEY": "sk-secret-5", "OPENAI_MODEL": "gpt-4o-mini"},
			[]string{"openai", "offline-writer", "openai-speech", "offline-voice", "openai-images", "slides"},
			map[string]string{"script": "openai", "tts": "openai", "images": "offline", "avatar": "none", "upload": "none"}},
		{"explicit choices win", map[string]string{"GEMINI_API_KEY": "g-secret-6", "GOOGLE_TTS_API_KEY": "t-secret-7",
			"LLM_PROVIDER": "offline", "TTS_PROVIDER": "offline", "IMAGE_PROVIDER": "offline", "YOUTUBE_CLIENT_ID": "id", "YOUTUBE_CLIENT_SECRET": "yt-secret-8",
			"YOUTUBE_REFRESH_TOKEN": "rt-secret-9"},
			[]string{"gemini", "offline-writer", "google-tts", "gemini-speech", "offline-voice", "gemini-images", "slides", "youtube"},
			map[string]string{"script": "offline", "tts": "offline", "images": "offline", "avatar": "none", "upload": "youtube"}},
		{"one gemini key", map[string]string{"GEMINI_API_KEY": "g-secret-12"},
			[]string{"gemini", "offline-writer", "gemini-speech", "offline-voice", "gemini-images", "slides"},
			map[string]string{"script": "gemini", "tts": "gemini", "images": "gemini", "avatar": "none", "upload": "none"}},
		{"one gemini key, pictures chosen", map[string]string{"GEMINI_API_KEY": "g-secret-10", "IMAGE_PROVIDER": "gemini",
			"STABILITY_API_KEY": "sk-secret-11"},
			[]string{"gemini", "offline-writer", "gemini-speech", "offline-voice", "stability", "gemini-images", "slides"},
			map[string]string{"script": "gemini", "tts": "gemini", "images": "gemini", "avatar": "none", "upload": "none"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cat := New(load(t, tc.env), Options{})
			list := cat.List()
			if len(list) != 16 {
				t.Fatalf("%d services, want 16", len(list))
			}
			var configured []string
			defaults := map[string]string{}
			for _, p := range list {
				if p.Configured {
					configured = append(configured, p.Name)
				}
				if p.Default {
					if prev, dup := defaults[p.Kind]; dup {
						t.Errorf("two defaults for %s: %s and %s", p.Kind, prev, p.Name)
					}
					defaults[p.Kind] = p.Choice
				}
				if p.BuiltIn && p.Host != "" {
					t.Errorf("%s is built in but has host %q", p.Name, p.Host)
				}
				if !p.BuiltIn && p.Host == "" {
					t.Errorf("%s has no host", p.Name)
				}
			}
			if strings.Join(configured, ",") != strings.Join(tc.configured, ",") {
				t.Errorf("configured %v, want %v", configured, tc.configured)
			}
			got := cat.Defaults()
			for k, want := range tc.defaults {
				if got[k] != want {
					t.Errorf("default %s = %q, want %q", k, got[k], want)
				}
				if want != "none" && defaults[k] != want {
					t.Errorf("the entry marked default for %s is %q, want %q", k, defaults[k], want)
				}
			}
			// No key, nor any part of one, in anything the list shows.
			raw, _ := json.Marshal(list)
			for k, v := range tc.env {
				if !config.IsSecret(k) {
					continue
				}
				for i := 0; i+6 <= len(v); i++ {
					if strings.Contains(string(raw), v[i:i+6]) {
						t.Fatalf("the list shows part of %s: %s", k, raw)
					}
				}
			}
		})
	}
}

func TestHostNeverCarriesSecrets(t *testing.T) {
	c := load(t, map[string]string{"OPENAI_BASE_URL": "https://user:pw-secret@llm.example.com:8443/v1?token=q-secret", "OPENAI_MODEL": "m"})
	p := byName(New(c, Options{}).List())["openai"]
	if p.Host != "llm.example.com:8443" {
		t.Fatalf("host %q", p.Host)
	}
}

// testedOK runs a test of name and requires success.
func testedOK(t *testing.T, cat *Catalog, name, wantNote string) Result {
	t.Helper()
	r, err := cat.Test(context.Background(), name)
	if err != nil {
		t.Fatalf("test %s: %v", name, err)
	}
	if !r.OK || r.Error != nil || r.Name == "" || r.TestedAt.IsZero() {
		t.Fatalf("test %s: %+v", name, r)
	}
	if !strings.Contains(r.Message, wantNote) {
		t.Fatalf("test %s: note %q, want it to mention %q", name, r.Message, wantNote)
	}
	return r
}

// testedFail runs a test of name and requires a failed call with code.
func testedFail(t *testing.T, cat *Catalog, name, code string, retryable bool) *errcode.Error {
	t.Helper()
	r, err := cat.Test(context.Background(), name)
	if err != nil {
		t.Fatalf("test %s: %v", name, err)
	}
	if r.OK || r.Error == nil || r.Error.Code != code || r.Error.Retryable != retryable {
		t.Fatalf("test %s: %+v (error %+v), want %s retryable=%v", name, r, r.Error, code, retryable)
	}
	return r.Error
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newClock starts at a real time so latencies stay sane.
func newClock() *clock { return &clock{t: time.Now()} }

// fresh returns options whose clock moves past MinInterval before every
// test, so one service can be tested again at once.
func fresh() (Options, *clock) {
	c := newClock()
	return Options{Now: func() time.Time { c.add(time.Minute); return c.now() }}, c
}

func TestOpenAICompatible(t *testing.T) {
	srv := fakeopenai.New(fakeopenai.Options{APIKey: "sk-right", Models: []string{"gpt-4o-mini", "tts-1"}})
	defer srv.Close()
	opts, _ := fresh()
	good := New(load(t, map[string]string{"OPENAI_BASE_URL": srv.BaseURL(), "OPENAI_API_KEY": "sk-right", "OPENAI_MODEL": "gpt-4o-mini",
		"OPENAI_TTS_MODEL": "tts-1"}), opts)
	testedOK(t, good, "openai", "gpt-4o-mini is one of them")
	testedOK(t, good, "openai-speech", "tts-1 is one of them")
	srv.Fail(fakeopenai.Status(503))
	testedFail(t, good, "openai", "OPENAI_UNAVAILABLE", true)
	srv.Fail(fakeopenai.Status(429).RetryAfter(3 * time.Second))
	e := testedFail(t, good, "openai", "OPENAI_RATE_LIMITED", true)
	if e.RetryAfter != 3*time.Second {
		t.Errorf("retry after %v", e.RetryAfter)
	}
	srv.Fail(fakeopenai.Drop())
	testedFail(t, good, "openai", "OPENAI_NETWORK_ERROR", true)
	if srv.PendingFaults() != 0 {
		t.Fatal("faults left")
	}
	bad := New(load(t, map[string]string{"OPENAI_BASE_URL": srv.BaseURL(), "OPENAI_API_KEY": "sk-wrong-key", "OPENAI_MODEL": "gpt-4o-mini"}), opts)
	e = testedFail(t, bad, "openai", "OPENAI_AUTH_FAILED", false)
	if strings.Contains(e.Message, "sk-wrong-key") {
		t.Fatalf("the key is in the message: %s", e.Message)
	}
	for _, r := range srv.Requests() {
		if r.Path != "/v1/models" || r.Method != "GET" {
			t.Fatalf("a test made %s %s, not only GET /v1/models", r.Method, r.Path)
		}
	}
}

func TestOllamaWithoutKey(t *testing.T) {
	srv := fakeopenai.New(fakeopenai.Options{Models: []string{"llama3.2"}})
	defer srv.Close()
	cat := New(load(t, map[string]string{"OPENAI_BASE_URL": srv.BaseURL(), "OPENAI_MODEL": "qwen3"}), Options{})
	testedOK(t, cat, "openai", "qwen3 is not listed")
	if r := srv.Requests(); len(r) != 1 || r[0].Auth {
		t.Fatalf("requests %+v: want one, without Authorization", r)
	}
}

func TestGemini(t *testing.T) {
	srv := fakegemini.New(fakegemini.Options{APIKey: "g-right", RejectModels: []string{"gemini-2.5-flash"}})
	defer srv.Close()
	opts, _ := fresh()
	env := func(key, model string) map[string]string {
		return map[string]string{"GEMINI_API_KEY": key, "GEMINI_MODEL": model, "GEMINI_BASE_URL": srv.URL()}
	}
	good := New(load(t, env("g-right", "gemini-3.5-flash")), opts)
	testedOK(t, good, "gemini", "gemini-3.5-flash")
	srv.Fail(fakegemini.Status(503))
	testedFail(t, good, "gemini", "GEMINI_UNAVAILABLE", true)
	srv.Fail(fakegemini.Status(429))
	testedFail(t, good, "gemini", "GEMINI_RATE_LIMITED", true)
	testedFail(t, New(load(t, env("g-right", "gemini-2.5-flash")), opts), "gemini", "GEMINI_MODEL_NOT_FOUND", false)
	e := testedFail(t, New(load(t, env("g-wrong-key", "gemini-3.5-flash")), opts), "gemini", "GEMINI_AUTH_FAILED", false)
	if strings.Contains(e.Message, "g-wrong-key") {
		t.Fatalf("the key is in the message: %s", e.Message)
	}
	for _, r := range srv.Requests() {
		if r.Method != "GET" || !strings.HasPrefix(r.Path, "/v1beta/models/") {
			t.Fatalf("a test made %s %s", r.Method, r.Path)
		}
	}
}

func TestOpenAIImages(t *testing.T) {
	chat := fakeopenai.New(fakeopenai.Options{})
	defer chat.Close()
	srv := fakeopenai.New(fakeopenai.Options{APIKey: "sk-right", Models: []string{"gpt-image-2", "gpt-image-1-mini"}})
	defer srv.Close()
	opts, _ := fresh()
	good := New(load(t, map[string]string{"OPENAI_BASE_URL": chat.BaseURL(), "OPENAI_IMAGES_BASE_URL": srv.BaseURL(),
		"OPENAI_API_KEY": "sk-right"}), opts)
	if p := byName(good.List())["openai-images"]; !p.Configured || p.Model != "gpt-image-2" || p.Kind != KindImages || p.Choice != "openai" {
		t.Fatalf("entry %+v", p)
	}
	testedOK(t, good, "openai-images", "gpt-image-2 is one of them")
	srv.Fail(fakeopenai.Status(503))
	testedFail(t, good, "openai-images", "OPENAI_UNAVAILABLE", true)
	bad := New(load(t, map[string]string{"OPENAI_IMAGES_BASE_URL": srv.BaseURL(), "OPENAI_API_KEY": "sk-wrong-key"}), opts)
	testedFail(t, bad, "openai-images", "OPENAI_AUTH_FAILED", false)
	if len(chat.Requests()) != 0 {
		t.Fatal("the images test called the chat server")
	}
	for _, r := range srv.Requests() {
		if r.Path != "/v1/models" || r.Method != "GET" {
			t.Fatalf("a test made %s %s, not only GET /v1/models", r.Method, r.Path)
		}
	}
}

func TestGeminiImages(t *testing.T) {
	srv := fakegemini.New(fakegemini.Options{APIKey: "g-right", RejectModels: []string{"imagen-4.0-generate-001"}})
	defer srv.Close()
	opts, _ := fresh()
	env := func(key, model string) map[string]string {
		return map[string]string{"GEMINI_API_KEY": key, "GEMINI_IMAGE_MODEL": model, "GEMINI_BASE_URL": srv.URL()}
	}
	good := New(load(t, env("g-right", "")), opts)
	if p := byName(good.List())["gemini-images"]; !p.Configured || p.Model != "gemini-3.1-flash-image" || p.Choice != "gemini" {
		t.Fatalf("entry %+v", p)
	}
	testedOK(t, good, "gemini-images", "gemini-3.1-flash-image")
	srv.Fail(fakegemini.Status(429))
	testedFail(t, good, "gemini-images", "GEMINI_RATE_LIMITED", true)
	testedFail(t, New(load(t, env("g-right", "imagen-4.0-generate-001")), opts), "gemini-images", "GEMINI_MODEL_NOT_FOUND", false)
	testedFail(t, New(load(t, env("g-wrong-key", "")), opts), "gemini-images", "GEMINI_AUTH_FAILED", false)
	for _, r := range srv.Requests() {
		if r.Method != "GET" || !strings.HasPrefix(r.Path, "/v1beta/models/") {
			t.Fatalf("a test made %s %s", r.Method, r.Path)
		}
	}
}

func TestGeminiSpeech(t *testing.T) {
	srv := fakegemini.New(fakegemini.Options{APIKey: "g-right"})
	defer srv.Close()
	opts, _ := fresh()
	env := map[string]string{"GEMINI_API_KEY": "g-right", "GEMINI_TTS_VOICE": "Puck", "GEMINI_BASE_URL": srv.URL()}
	good := New(load(t, env), opts)
	if p := byName(good.List())["gemini-speech"]; !p.Configured || p.Model != "gemini-3.8-flash-tts" || p.Voice != "Puck" || p.Choice != "gemini" {
		t.Fatalf("entry %+v", p)
	}
	testedOK(t, good, "gemini-speech", "gemini-3.8-flash-tts")
	env["GEMINI_API_KEY"] = "g-wrong-key"
	testedFail(t, New(load(t, env), opts), "gemini-speech", "GEMINI_AUTH_FAILED", false)
	for _, r := range srv.Requests() {
		if r.Method != "GET" || !strings.HasPrefix(r.Path, "/v1beta/models/") {
			t.Fatalf("a test made %s %s", r.Method, r.Path)
		}
	}
}

func TestGoogleTTS(t *testing.T) {
	srv := faketts.New(faketts.Options{APIKey: "t-right"})
	defer srv.Close()
	opts, _ := fresh()
	good := New(load(t, map[string]string{"GOOGLE_TTS_API_KEY": "t-right", "GOOGLE_TTS_BASE_URL": srv.URL()}), opts)
	testedOK(t, good, "google-tts", "2 en-US voices")
	testedOK(t, good, "google", "en-US voices") // the choice names it too
	srv.Fail(faketts.Status(500))
	testedFail(t, good, "google-tts", "GOOGLE_TTS_SERVER_ERROR", true)
	srv.Fail(faketts.Drop())
	testedFail(t, good, "google-tts", "GOOGLE_TTS_NETWORK_ERROR", true)
	bad := New(load(t, map[string]string{"GOOGLE_TTS_API_KEY": "t-wrong", "GOOGLE_TTS_BASE_URL": srv.URL()}), opts)
	testedFail(t, bad, "google-tts", "GOOGLE_TTS_AUTH_FAILED", false)
}

func TestElevenLabs(t *testing.T) {
	srv := fakeelevenlabs.New(fakeelevenlabs.Options{APIKey: "el-right"})
	defer srv.Close()
	opts, _ := fresh()
	good := New(load(t, map[string]string{"ELEVENLABS_API_KEY": "el-right", "ELEVENLABS_BASE_URL": srv.URL()}), opts)
	testedOK(t, good, "elevenlabs", "100000 of 100000 characters left")
	srv.Fail(fakeelevenlabs.Status(503))
	testedFail(t, good, "elevenlabs", "ELEVENLABS_UNAVAILABLE", true)
	srv.Fail(fakeelevenlabs.BadJSON())
	testedFail(t, good, "elevenlabs", "ELEVENLABS_BAD_RESPONSE", true)
	bad := New(load(t, map[string]string{"ELEVENLABS_API_KEY": "el-wrong", "ELEVENLABS_BASE_URL": srv.URL()}), opts)
	testedFail(t, bad, "elevenlabs", "ELEVENLABS_AUTH_FAILED", false)
}

func TestStockServices(t *testing.T) {
	px := fakestock.NewPexels(fakestock.Options{APIKey: "px-right"})
	defer px.Close()
	pb := fakestock.NewPixabay(fakestock.Options{APIKey: "pb-right"})
	defer pb.Close()
	opts, _ := fresh()
	good := New(load(t, map[string]string{"PEXELS_API_KEY": "px-right", "PEXELS_BASE_URL": px.URL(),
		"PIXABAY_API_KEY": "pb-right", "PIXABAY_BASE_URL": pb.URL()}), opts)
	testedOK(t, good, "pexels", "the key searches photos (settings.visuals stock_video or stock_photo)")
	testedOK(t, good, "pixabay", "the key searches images (settings.visuals stock_video or stock_photo)")
	px.Fail(fakestock.Status(503))
	testedFail(t, good, "pexels", "PEXELS_UNAVAILABLE", true)
	pb.Fail(fakestock.Malformed())
	testedFail(t, good, "pixabay", "PIXABAY_BAD_RESPONSE", true)
	bad := New(load(t, map[string]string{"PEXELS_API_KEY": "px-wrong", "PEXELS_BASE_URL": px.URL(),
		"PIXABAY_API_KEY": "pb-wrong", "PIXABAY_BASE_URL": pb.URL()}), opts)
	testedFail(t, bad, "pexels", "PEXELS_AUTH_FAILED", false)
	testedFail(t, bad, "pixabay", "PIXABAY_AUTH_FAILED", false)
	for _, r := range append(px.Requests(), pb.Requests()...) {
		if r.Path != "/v1/search" && r.Path != "/api/" {
			t.Fatalf("a test called %s", r.Path)
		}
	}
	if l := byName(good.List()); !l["pexels"].Configured || l["pexels"].Default || l["pexels"].Kind != KindImages {
		t.Errorf("pexels listed as %+v", l["pexels"])
	}
}

func TestStability(t *testing.T) {
	srv := fakestability.New(fakestability.Options{APIKey: "sk-right", Credits: 12.5})
	defer srv.Close()
	opts, _ := fresh()
	good := New(load(t, map[string]string{"STABILITY_API_KEY": "sk-right", "STABILITY_BASE_URL": srv.URL()}), opts)
	testedOK(t, good, "stability", "12.50 credits left")
	srv.Fail(fakestability.Status(503))
	testedFail(t, good, "stability", "STABILITY_UNAVAILABLE", true)
	srv.Fail(fakestability.Drop())
	testedFail(t, good, "stability", "STABILITY_BAD_RESPONSE", true)
	bad := New(load(t, map[string]string{"STABILITY_API_KEY": "sk-wrong", "STABILITY_BASE_URL": srv.URL()}), opts)
	testedFail(t, bad, "stability", "STABILITY_AUTH_FAILED", false)
	for _, r := range srv.Requests() {
		if r.Path != "/v1/user/balance" {
			t.Fatalf("a test called %s: it must not generate", r.Path)
		}
	}
}

func TestDID(t *testing.T) {
	srv := fakedid.New(fakedid.Options{APIKey: "did-right", Credits: 40})
	defer srv.Close()
	opts, _ := fresh()
	good := New(load(t, map[string]string{"DID_API_KEY": "did-right", "DID_BASE_URL": srv.URL()}), opts)
	testedOK(t, good, "d-id", "40 of 40 credits left")
	testedOK(t, good, "did", "credits left")
	srv.Fail(fakedid.Status(503))
	testedFail(t, good, "d-id", "DID_UNAVAILABLE", true)
	bad := New(load(t, map[string]string{"DID_API_KEY": "did-wrong", "DID_BASE_URL": srv.URL()}), opts)
	testedFail(t, bad, "d-id", "DID_AUTH_FAILED", false)
}

func TestYouTube(t *testing.T) {
	srv := fakeyoutube.New(fakeyoutube.Options{})
	defer srv.Close()
	opts, _ := fresh()
	env := func(refresh string) map[string]string {
		return map[string]string{"YOUTUBE_CLIENT_ID": fakeyoutube.DefaultClientID, "YOUTUBE_CLIENT_SECRET": fakeyoutube.DefaultClientSecret,
			"YOUTUBE_REFRESH_TOKEN": refresh, "YOUTUBE_BASE_URL": srv.URL, "GOOGLE_OAUTH_TOKEN_URL": srv.TokenURL()}
	}
	good := New(load(t, env(fakeyoutube.DefaultRefreshToken)), opts)
	testedOK(t, good, "youtube", `"Fake Channel"`)
	srv.Inject(fakeyoutube.ServerError(fakeyoutube.OpChannels, 503))
	testedFail(t, good, "youtube", "YOUTUBE_UNAVAILABLE", true)
	bad := New(load(t, env("revoked-token")), opts)
	testedFail(t, bad, "youtube", errcode.YouTubeAuthRequired, false)
}

func TestOfflineServices(t *testing.T) {
	cat := New(load(t, map[string]string{}), Options{})
	testedOK(t, cat, "offline-writer", "built in")
	testedOK(t, cat, "slides", "built in")
	r, err := cat.Test(context.Background(), "offline-voice")
	if err != nil {
		t.Fatal(err)
	}
	// espeak-ng is installed wherever the tests run (scripts/install-deps.sh).
	if !r.OK || !strings.Contains(r.Message, "espeak-ng") {
		t.Fatalf("offline voice: %+v %+v", r, r.Error)
	}
}

func TestTestRefusals(t *testing.T) {
	clk := newClock()
	cat := New(load(t, map[string]string{}), Options{Now: clk.now, MinInterval: 5 * time.Second})
	_, err := cat.Test(context.Background(), "nope")
	if errcode.Code(err) != CodeNotFound {
		t.Fatalf("unknown: %v", err)
	}
	_, err = cat.Test(context.Background(), "offline") // three services have this choice
	if errcode.Code(err) != CodeNotFound {
		t.Fatalf("ambiguous: %v", err)
	}
	_, err = cat.Test(context.Background(), "stability")
	if errcode.Code(err) != CodeNotConfigured || !strings.Contains(err.Error(), "STABILITY_API_KEY") {
		t.Fatalf("not configured: %v", err)
	}
	testedOK(t, cat, "slides", "")
	clk.add(2 * time.Second)
	_, err = cat.Test(context.Background(), "slides")
	e, _ := errcode.As(err)
	if e == nil || e.Code != CodeTestTooSoon || e.RetryAfter != 3*time.Second {
		t.Fatalf("too soon: %v", err)
	}
	testedOK(t, cat, "offline-writer", "") // another service is not held back
	clk.add(3 * time.Second)
	testedOK(t, cat, "slides", "")
}

func TestTestTimesOut(t *testing.T) {
	srv := fakeelevenlabs.New(fakeelevenlabs.Options{})
	defer srv.Close()
	srv.Fail(fakeelevenlabs.Delay(10 * time.Second))
	cat := New(load(t, map[string]string{"ELEVENLABS_API_KEY": "k", "ELEVENLABS_BASE_URL": srv.URL()}), Options{Timeout: 200 * time.Millisecond})
	start := time.Now()
	e := testedFail(t, cat, "elevenlabs", "ELEVENLABS_TIMEOUT", true)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the test took %v", d)
	}
	if !strings.Contains(e.Message, "200ms") {
		t.Errorf("message %q", e.Message)
	}
}

func TestYouTubeAuthorizationSavedLater(t *testing.T) {
	dir := t.TempDir()
	cat := New(load(t, map[string]string{"DATA_DIR": dir, "YOUTUBE_CLIENT_ID": "id", "YOUTUBE_CLIENT_SECRET": "s"}), Options{})
	if byName(cat.List())["youtube"].Configured {
		t.Fatal("configured without a refresh token")
	}
	if err := youtube.SaveToken(pipeline.YouTubeTokenFile(dir), &oauth2.Token{RefreshToken: "saved-later"}); err != nil {
		t.Fatal(err)
	}
	if !byName(cat.List())["youtube"].Configured || cat.Defaults()[KindUpload] != "youtube" {
		t.Fatal("the saved authorization is not seen")
	}
}

func TestConcurrentTestsOfOneService(t *testing.T) {
	srv := fakestability.New(fakestability.Options{})
	defer srv.Close()
	srv.Fail(fakestability.Delay(300 * time.Millisecond))
	cat := New(load(t, map[string]string{"STABILITY_API_KEY": "k", "STABILITY_BASE_URL": srv.URL()}), Options{})
	var wg sync.WaitGroup
	codes := make([]string, 8)
	for i := range codes {
		wg.Go(func() {
			r, err := cat.Test(context.Background(), "stability")
			switch {
			case err != nil:
				codes[i] = errcode.Code(err)
			case r.OK:
				codes[i] = "OK"
			default:
				codes[i] = r.Error.Code
			}
		})
	}
	wg.Wait()
	ok := 0
	for _, c := range codes {
		switch c {
		case "OK":
			ok++
		case CodeTestTooSoon:
		default:
			t.Errorf("code %s", c)
		}
	}
	if ok != 1 || srv.Calls() != 1 {
		t.Fatalf("%d tests ran, %d calls reached the service: %v", ok, srv.Calls(), codes)
	}
}
