package gemini

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/fakes/fakegemini"
	"github.com/ytmaker/ytmaker/internal/fakes/fakehttp"
	"github.com/ytmaker/ytmaker/internal/language"
	"github.com/ytmaker/ytmaker/internal/script"
)

const testKey = "AIzaSy-test-key-0123456789"

const englishContent = `Honeybees live in colonies of tens of thousands of workers. Each worker has a job that changes as it ages: cleaning cells, feeding larvae, building comb and finally foraging for nectar.

Bees communicate through a waggle dance. The angle of the dance tells other bees the direction of the flowers, and its length tells the distance.

Without bees, many crops such as almonds, apples and blueberries would produce far less fruit.`

const chineseContent = `台灣的茶文化歷史悠久。早在清朝時期，茶葉就從福建傳入台灣，並在北部山區種植。

烏龍茶是台灣最有名的茶之一。阿里山和梨山的高山茶，因為氣候涼爽、雲霧繚繞，香氣特別清雅。

現在，很多年輕人喜歡珍珠奶茶，也讓台灣的茶走向世界。`

// isolateEnv sets the variables the genai client would otherwise read, to
// values that would break the test if they were used.
func isolateEnv(t *testing.T) {
	t.Setenv("GOOGLE_API_KEY", "env-key-must-not-be-used")
	t.Setenv("GEMINI_API_KEY", "env-key-must-not-be-used")
	t.Setenv("GOOGLE_GEMINI_BASE_URL", "http://127.0.0.1:1")
	t.Setenv("GOOGLE_GENAI_USE_VERTEXAI", "true")
	t.Setenv("GOOGLE_CLOUD_PROJECT", "some-project")
	t.Setenv("GOOGLE_CLOUD_LOCATION", "us-central1")
}

func newWriter(t *testing.T, srv *fakegemini.Server, mutate ...func(*Config)) *Writer {
	t.Helper()
	isolateEnv(t)
	cfg := Config{APIKey: testKey, BaseURL: srv.URL(), HTTPClient: srv.Client(), Timeout: 10 * time.Second}
	for _, m := range mutate {
		m(&cfg)
	}
	w, err := NewWriter(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func newServer(t *testing.T, opts fakegemini.Options) *fakegemini.Server {
	t.Helper()
	if opts.APIKey == "" {
		opts.APIKey = testKey
	}
	return fakehttp.Start(t, fakegemini.New, opts)
}

func ctx(t *testing.T) context.Context { return fakehttp.Context(t, 20*time.Second) }

func TestWriteEnglishOverTheWire(t *testing.T) {
	srv := newServer(t, fakegemini.Options{ThoughtsTokens: 120})
	w := newWriter(t, srv)
	s, usage, err := w.Write(ctx(t), script.Request{Name: "How Bees Work Together", Content: englishContent})
	if err != nil {
		t.Fatal(err)
	}
	if s.Language != "en" || s.Title != "How Bees Work Together" || len(s.Segments) < 3 {
		t.Fatalf("script: %+v", s)
	}
	if s.Segments[0].Type != script.Intro || s.Segments[len(s.Segments)-1].Type != script.Outro {
		t.Errorf("segment order: %+v", s.Segments)
	}
	if !strings.Contains(s.Text(), "waggle dance") {
		t.Error("script lost the source's content")
	}
	if usage.Calls != 1 || usage.PromptTokens <= 0 || usage.OutputTokens <= 0 || usage.ThoughtsTokens != 120 ||
		usage.TotalTokens != usage.PromptTokens+usage.OutputTokens+usage.ThoughtsTokens {
		t.Errorf("usage %+v", usage)
	}

	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != "/v1beta/models/gemini-3.5-flash:generateContent" || r.Model != DefaultModel {
		t.Errorf("request line %s %s", r.Method, r.Path)
	}
	if r.Header.Get("X-Goog-Api-Key") != "" || strings.Contains(fmt.Sprint(r.Header), testKey) {
		t.Error("recorded request kept the API key")
	}
	if r.Header.Get("X-Server-Timeout") == "" {
		t.Error("client sent no x-server-timeout")
	}
	var body struct {
		SystemInstruction struct {
			Parts []struct{ Text string } `json:"parts"`
		} `json:"systemInstruction"`
		GenerationConfig struct {
			Temperature      float64        `json:"temperature"`
			MaxOutputTokens  int            `json:"maxOutputTokens"`
			ResponseMimeType string         `json:"responseMimeType"`
			ResponseSchema   map[string]any `json:"responseSchema"`
		} `json:"generationConfig"`
	}
	if err := json.Unmarshal([]byte(r.Body), &body); err != nil {
		t.Fatal(err)
	}
	g := body.GenerationConfig
	if g.Temperature != 0.7 || g.MaxOutputTokens != DefaultMaxOutputTokens || g.ResponseMimeType != "application/json" {
		t.Errorf("generation config %+v", g)
	}
	if g.ResponseSchema["type"] != "OBJECT" || !strings.Contains(r.Body, `"image_prompt"`) {
		t.Errorf("response schema %v", g.ResponseSchema)
	}
	if len(body.SystemInstruction.Parts) == 0 || !strings.Contains(body.SystemInstruction.Parts[0].Text, "in English") {
		t.Error("system instruction does not name the language")
	}
	if !strings.Contains(r.Prompt, "<source>") || !strings.Contains(r.Prompt, "waggle dance") {
		t.Errorf("prompt does not carry the content: %q", r.Prompt)
	}
}

func TestWriteTraditionalChinese(t *testing.T) {
	srv := newServer(t, fakegemini.Options{})
	w := newWriter(t, srv, func(c *Config) { c.Model = "gemini-3.8-flash" })
	s, _, err := w.Write(ctx(t), script.Request{Name: "台灣茶的故事", Content: chineseContent, MaxSegments: 6})
	if err != nil {
		t.Fatal(err)
	}
	if s.Language != language.ChineseTraditional {
		t.Errorf("language %q", s.Language)
	}
	if !strings.Contains(s.Segments[0].Text, "今天的主題是") || len(s.Segments) > 6 {
		t.Errorf("script %+v", s)
	}
	for _, seg := range s.Segments {
		for _, r := range seg.ImagePrompt {
			if language.IsWide(r) {
				t.Fatalf("image prompt not in English: %q", seg.ImagePrompt)
			}
		}
	}
	r := srv.Requests()[0]
	if r.Model != "gemini-3.8-flash" || !strings.Contains(r.System, "Traditional Chinese") || !strings.Contains(r.System, "at most 6 segments") {
		t.Errorf("request model %q system %q", r.Model, r.System)
	}
}

func TestAPIErrorMapping(t *testing.T) {
	cases := []struct {
		fault      fakegemini.Fault
		code       string
		retryable  bool
		retryAfter time.Duration
		status     int
	}{
		{fakegemini.Status(429).RetryAfter(59 * time.Second), "GEMINI_RATE_LIMITED", true, 59 * time.Second, 429},
		{fakegemini.Status(429).RetryAfter(1500 * time.Millisecond), "GEMINI_RATE_LIMITED", true, 1500 * time.Millisecond, 429},
		{fakegemini.Status(429), "GEMINI_RATE_LIMITED", true, 0, 429},
		{fakegemini.DailyQuota().RetryAfter(time.Hour), CodeQuotaExceeded, false, time.Hour, 429},
		{fakegemini.NoQuota().RetryAfter(25 * time.Second), CodeNoQuota, false, 25 * time.Second, 429},
		{fakegemini.Status(500), "GEMINI_SERVER_ERROR", true, 0, 500},
		{fakegemini.Status(502), "GEMINI_UNAVAILABLE", true, 0, 502},
		{fakegemini.Status(503), "GEMINI_UNAVAILABLE", true, 0, 503},
		{fakegemini.Status(503).RetryAfter(5 * time.Second), "GEMINI_UNAVAILABLE", true, 5 * time.Second, 503},
		{fakegemini.Status(504), "GEMINI_TIMEOUT", true, 0, 504},
		{fakegemini.Status(400), "GEMINI_BAD_REQUEST", false, 0, 400},
		{fakegemini.Status(401), CodeAuthFailed, false, 0, 401},
		{fakegemini.Status(403), CodeAuthFailed, false, 0, 403},
		{fakegemini.Status(404), CodeModelNotFound, false, 0, 404},
		{fakegemini.Drop(), CodeNetworkError, true, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.fault.String(), func(t *testing.T) {
			srv := newServer(t, fakegemini.Options{})
			w := newWriter(t, srv)
			srv.Fail(c.fault)
			_, _, err := w.Write(ctx(t), script.Request{Name: "Bees", Content: englishContent})
			e, ok := errcode.As(err)
			if !ok {
				t.Fatalf("error %v is not coded", err)
			}
			if e.Code != c.code || e.Retryable != c.retryable || e.RetryAfter != c.retryAfter || e.HTTPStatus != c.status {
				t.Errorf("got %s retryable=%v retryAfter=%v status=%d (%s); want %s %v %v %d",
					e.Code, e.Retryable, e.RetryAfter, e.HTTPStatus, e.Message, c.code, c.retryable, c.retryAfter, c.status)
			}
			if srv.Calls() != 1 {
				t.Errorf("%d calls; API errors must not be retried inside Write", srv.Calls())
			}
		})
	}
}

func TestBadKeyIsAuthFailureAndNeverLeaks(t *testing.T) {
	srv := newServer(t, fakegemini.Options{APIKey: "the-right-key"})
	var logs bytes.Buffer
	w := newWriter(t, srv, func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	_, _, err := w.Write(ctx(t), script.Request{Name: "Bees", Content: englishContent})
	e, _ := errcode.As(err)
	if e == nil || e.Code != CodeAuthFailed || e.Retryable || e.Details["reason"] != "API_KEY_INVALID" {
		t.Fatalf("err %v, want non-retryable GEMINI_AUTH_FAILED with reason API_KEY_INVALID", err)
	}
	if strings.Contains(err.Error(), testKey) || strings.Contains(logs.String(), testKey) {
		t.Error("API key appears in the error or the logs")
	}
	if logs.Len() == 0 {
		t.Error("nothing was logged for a failed call")
	}
	raw, _ := json.Marshal(e)
	if strings.Contains(string(raw), testKey) {
		t.Error("API key appears in the error's JSON")
	}
}

func TestRejectedModel(t *testing.T) {
	srv := newServer(t, fakegemini.Options{RejectModels: []string{"gemini-2.5-flash"}})
	w := newWriter(t, srv, func(c *Config) { c.Model = "gemini-2.5-flash" })
	_, _, err := w.Write(ctx(t), script.Request{Name: "Bees", Content: englishContent})
	if errcode.Code(err) != CodeModelNotFound || errcode.IsRetryable(err) || !strings.Contains(err.Error(), "gemini-2.5-flash is not found") {
		t.Errorf("err %v", err)
	}
}

func TestTimeouts(t *testing.T) {
	t.Run("client timeout", func(t *testing.T) {
		srv := newServer(t, fakegemini.Options{})
		w := newWriter(t, srv, func(c *Config) { c.Timeout = 200 * time.Millisecond })
		srv.Fail(fakegemini.Delay(10 * time.Second))
		start := time.Now()
		_, _, err := w.Write(ctx(t), script.Request{Name: "Bees", Content: englishContent})
		if errcode.Code(err) != CodeTimeout || !errcode.IsRetryable(err) {
			t.Errorf("err %v, want retryable GEMINI_TIMEOUT", err)
		}
		if time.Since(start) > 5*time.Second {
			t.Errorf("timeout took %v", time.Since(start))
		}
	})
	t.Run("context deadline", func(t *testing.T) {
		srv := newServer(t, fakegemini.Options{})
		w := newWriter(t, srv)
		srv.Fail(fakegemini.Delay(10 * time.Second))
		c, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		_, _, err := w.Write(c, script.Request{Name: "Bees", Content: englishContent})
		if errcode.Code(err) != CodeTimeout || !errcode.IsRetryable(err) {
			t.Errorf("err %v, want retryable GEMINI_TIMEOUT", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		srv := newServer(t, fakegemini.Options{})
		w := newWriter(t, srv)
		c, cancel := context.WithCancel(context.Background())
		cancel()
		_, _, err := w.Write(c, script.Request{Name: "Bees", Content: englishContent})
		if errcode.Code(err) != errcode.Cancelled || errcode.IsRetryable(err) {
			t.Errorf("err %v, want non-retryable CANCELLED", err)
		}
	})
}

func TestMalformedOutputRetriedOnce(t *testing.T) {
	twoSegments := `{"title":"T","description":"D","tags":["a"],"segments":[{"type":"intro","text":"Hi.","image_prompt":"a b c"},{"type":"outro","text":"Bye.","image_prompt":"a b c"}]}`
	cases := []struct {
		name   string
		faults []fakegemini.Fault
		code   string
		msg    string
	}{
		{"bad JSON recovers", []fakegemini.Fault{fakegemini.BadJSON()}, "", ""},
		{"MAX_TOKENS recovers", []fakegemini.Fault{fakegemini.MaxTokens()}, "", ""},
		{"bad JSON twice", []fakegemini.Fault{fakegemini.BadJSON(), fakegemini.BadJSON()}, errcode.ScriptInvalid, "not valid script JSON"},
		{"MAX_TOKENS twice", []fakegemini.Fault{fakegemini.MaxTokens(), fakegemini.MaxTokens()}, errcode.ScriptInvalid, "no text (finish reason MAX_TOKENS)"},
		{"invalid script twice", []fakegemini.Fault{fakegemini.Text(twoSegments), fakegemini.Text(twoSegments)}, errcode.ScriptInvalid, "has 2 segments"},
		{"safety twice", []fakegemini.Fault{fakegemini.Safety(), fakegemini.Safety()}, CodeBlocked, "SAFETY"},
		{"prompt blocked twice", []fakegemini.Fault{fakegemini.PromptBlocked(), fakegemini.PromptBlocked()}, CodeBlocked, "blocked the prompt"},
		{"malformed then overloaded", []fakegemini.Fault{fakegemini.BadJSON(), fakegemini.Status(503)}, "GEMINI_UNAVAILABLE", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := newServer(t, fakegemini.Options{})
			w := newWriter(t, srv)
			srv.Fail(c.faults...)
			s, usage, err := w.Write(ctx(t), script.Request{Name: "Bees", Content: englishContent})
			if srv.Calls() != 2 {
				t.Errorf("%d calls, want exactly 2", srv.Calls())
			}
			if c.code == "" {
				if err != nil || s == nil {
					t.Fatalf("err %v, want recovery on the second call", err)
				}
				if usage.Calls != 2 {
					t.Errorf("usage counts %d calls, want 2", usage.Calls)
				}
				return
			}
			e, ok := errcode.As(err)
			if !ok || e.Code != c.code || !strings.Contains(e.Message, c.msg) {
				t.Fatalf("err %v, want %s containing %q", err, c.code, c.msg)
			}
			if c.code != "GEMINI_UNAVAILABLE" && (e.Retryable || e.Details["attempts"] != 2) {
				t.Errorf("malformed output error: retryable=%v details=%v", e.Retryable, e.Details)
			}
		})
	}
}

func TestFencedJSONAndSegmentCap(t *testing.T) {
	srv := newServer(t, fakegemini.Options{})
	w := newWriter(t, srv)
	var segs []string
	segs = append(segs, `{"type":"intro","text":"Hello there.","image_prompt":"a sunny meadow with bees"}`)
	for i := 0; i < 12; i++ {
		segs = append(segs, fmt.Sprintf(`{"type":"content","text":"Fact number %d about bees.","image_prompt":"a bee on a flower"}`, i))
	}
	segs = append(segs, `{"type":"outro","text":"Goodbye.","image_prompt":"a hive at sunset"}`)
	text := "```json\n" + `{"title":"Bees","description":"All about bees.","tags":["bees"],"segments":[` + strings.Join(segs, ",") + "]}\n```"
	srv.Fail(fakegemini.Text(text))
	s, _, err := w.Write(ctx(t), script.Request{Name: "Bees", Content: englishContent, MaxSegments: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Segments) != 5 {
		t.Fatalf("%d segments, want capped to 5", len(s.Segments))
	}
	for i := 0; i < 12; i++ {
		if !strings.Contains(s.Text(), fmt.Sprintf("Fact number %d ", i)) {
			t.Errorf("capping lost fact %d", i)
		}
	}
	if srv.Calls() != 1 {
		t.Errorf("%d calls", srv.Calls())
	}
}

func TestSmallOutputBudgetHitsMaxTokens(t *testing.T) {
	srv := newServer(t, fakegemini.Options{ThoughtsTokens: 40})
	w := newWriter(t, srv, func(c *Config) { c.MaxOutputTokens = 100 })
	_, usage, err := w.Write(ctx(t), script.Request{Name: "Bees", Content: englishContent})
	if errcode.Code(err) != errcode.ScriptInvalid || !strings.Contains(err.Error(), "MAX_TOKENS") {
		t.Errorf("err %v, want SCRIPT_INVALID after truncated output", err)
	}
	if usage.Calls != 2 || usage.ThoughtsTokens != 80 {
		t.Errorf("usage %+v", usage)
	}
	for _, r := range srv.Requests() {
		if r.FinishReason != "MAX_TOKENS" {
			t.Errorf("fake finished with %q", r.FinishReason)
		}
	}
}

func TestNewWriterNeedsKey(t *testing.T) {
	isolateEnv(t)
	_, err := NewWriter(context.Background(), Config{})
	if errcode.Code(err) != CodeNotConfigured || errcode.IsRetryable(err) {
		t.Errorf("err %v, want GEMINI_NOT_CONFIGURED even with GOOGLE_API_KEY set", err)
	}
	w, err := NewWriter(context.Background(), Config{APIKey: "k"})
	if err != nil || w.Model() != DefaultModel {
		t.Errorf("defaults: %v %v", w, err)
	}
	if _, _, err := w.Write(context.Background(), script.Request{}); errcode.Code(err) != errcode.InvalidInput {
		t.Errorf("empty request: %v", err)
	}
}

func TestRetryDelayForms(t *testing.T) {
	cases := []struct {
		v    any
		want time.Duration
	}{
		{"59s", 59 * time.Second},
		{"0.250s", 250 * time.Millisecond},
		{map[string]any{"seconds": float64(3), "nanos": float64(5e8)}, 3500 * time.Millisecond},
		{map[string]any{"seconds": "7"}, 7 * time.Second},
		{"soon", 0},
	}
	for _, c := range cases {
		d := []map[string]any{{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": c.v}}
		if got := retryDelay(d); got != c.want {
			t.Errorf("retryDelay(%v) = %v, want %v", c.v, got, c.want)
		}
	}
}

func TestZeroQuota(t *testing.T) {
	violation := func(v string) []map[string]any {
		return []map[string]any{{"@type": "type.googleapis.com/google.rpc.QuotaFailure",
			"violations": []any{map[string]any{"quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier", "quotaValue": v}}}}
	}
	for _, c := range []struct {
		name    string
		message string
		details []map[string]any
		want    bool
	}{
		{"message, then a model", "* Quota exceeded for metric: x, limit: 0, model: gemini-3.1-flash-image", nil, true},
		{"message, several lines", "You exceeded your current quota.\n* Quota exceeded for metric: x, limit: 0\n* Quota exceeded", nil, true},
		{"message ends", "Quota exceeded for metric: x, limit: 0", nil, true},
		{"a real limit", "Quota exceeded for metric: x, limit: 20, model: gemini-3.8-flash", nil, false},
		{"a limit starting with 0", "Quota exceeded for metric: x, limit: 05", nil, false},
		{"quotaValue 0", "You exceeded your current quota.", violation("0"), true},
		{"quotaValue 250000", "You exceeded your current quota.", violation("250000"), false},
		{"nothing", "Resource has been exhausted (e.g. check quota).", nil, false},
	} {
		if got := zeroQuota(c.message, c.details); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
