package openaicompat

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/fakes/fakehttp"
	"github.com/ytmaker/ytmaker/internal/fakes/fakeopenai"
	"github.com/ytmaker/ytmaker/internal/prompts"
	"github.com/ytmaker/ytmaker/internal/script"
)

const testKey = "sk-test-0123456789abcdef"

const englishContent = `Honeybees live in colonies of tens of thousands of workers. Each worker has a job that changes as it ages: cleaning cells, feeding larvae, building comb and finally foraging for nectar.

Bees communicate through a waggle dance. The angle of the dance tells other bees the direction of the flowers, and its length tells the distance.

Without bees, many crops such as almonds, apples and blueberries would produce far less fruit.`

const chineseContent = `台灣的茶文化歷史悠久。早在清朝時期，茶葉就從福建傳入台灣，並在北部山區種植。

烏龍茶是台灣最有名的茶之一。阿里山和梨山的高山茶，因為氣候涼爽、雲霧繚繞，香氣特別清雅。`

// isolateEnv sets the variables the openai-go client reads to values that
// would break the test if they were used.
func isolateEnv(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "env-key-must-not-be-used")
	t.Setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1")
}

func newServer(t *testing.T, opts fakeopenai.Options) *fakeopenai.Server {
	t.Helper()
	return fakehttp.Start(t, fakeopenai.New, opts)
}

func newWriter(t *testing.T, srv *fakeopenai.Server, key string, mutate ...func(*WriterConfig)) *Writer {
	t.Helper()
	isolateEnv(t)
	return fakehttp.NewClient(t, NewWriter, WriterConfig{BaseURL: srv.BaseURL(), APIKey: key, Model: "llama3.2",
		HTTPClient: srv.Client(), Timeout: 10 * time.Second}, mutate...)
}

func ctx(t *testing.T) context.Context { return fakehttp.Context(t, 20*time.Second) }

func TestWriteWithSchemaAndKey(t *testing.T) {
	srv := newServer(t, fakeopenai.Options{APIKey: testKey})
	w := newWriter(t, srv, testKey)
	s, usage, err := w.Write(ctx(t), script.Request{Name: "How Bees Work Together", Content: englishContent})
	if err != nil {
		t.Fatal(err)
	}
	if s.Title != "How Bees Work Together" || s.Language != "en" || len(s.Segments) < 3 ||
		s.Segments[0].Type != script.Intro || len(s.Segments[1].SearchTerms) == 0 {
		t.Fatalf("script %+v", s)
	}
	if usage.Calls != 1 || usage.TotalTokens <= 0 || usage.TotalTokens != usage.PromptTokens+usage.CompletionTokens {
		t.Errorf("usage %+v", usage)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.Path != "/v1/chat/completions" || !r.Auth || r.Model != "llama3.2" || r.ResponseFormat != "json_schema" ||
		len(r.Messages) != 2 || r.Messages[0].Role != "system" || !strings.Contains(r.Messages[1].Content, prompts.SourceOpen) {
		t.Fatalf("request %+v", r)
	}
	if strings.Contains(r.Body, "max_completion_tokens") || strings.Contains(r.Body, "temperature") {
		t.Errorf("sent settings some servers refuse: %s", r.Body)
	}
	if retries := r.Header.Get("X-Stainless-Retry-Count"); retries != "0" {
		t.Errorf("retry count header %q", retries)
	}
}

func TestWriteWithoutKeyLikeOllama(t *testing.T) {
	srv := newServer(t, fakeopenai.Options{})
	w := newWriter(t, srv, "")
	s, _, err := w.Write(ctx(t), script.Request{Content: chineseContent, MaxSegments: 4})
	if err != nil {
		t.Fatal(err)
	}
	if s.Language != "zh-TW" || len(s.Segments) > 4 {
		t.Fatalf("script %+v", s)
	}
	if r := srv.Requests()[0]; r.Auth {
		t.Error("sent an Authorization header without a key (the environment's key leaked in?)")
	}
}

func TestServerThatRefusesSchemasGetsJSONInWords(t *testing.T) {
	srv := newServer(t, fakeopenai.Options{NoJSONSchema: true})
	w := newWriter(t, srv, "")
	if _, _, err := w.Write(ctx(t), script.Request{Content: englishContent}); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 || reqs[0].Status != 400 || reqs[1].ResponseFormat != "" || reqs[1].Status != 200 {
		t.Fatalf("requests %+v", reqs)
	}
	if reqs[0].Messages[1].Content != reqs[1].Messages[1].Content ||
		!strings.Contains(reqs[1].Messages[0].Content, prompts.JSONInstructions) {
		t.Error("the fallback did not send the same prompt with the JSON instructions")
	}
	// The writer remembers: the next script goes straight to words.
	if _, _, err := w.Write(ctx(t), script.Request{Content: englishContent}); err != nil {
		t.Fatal(err)
	}
	if reqs := srv.Requests(); len(reqs) != 3 || reqs[2].ResponseFormat != "" {
		t.Fatalf("second script: %d requests", len(reqs))
	}
}

func TestBadJSONGetsOneRepair(t *testing.T) {
	srv := newServer(t, fakeopenai.Options{})
	w := newWriter(t, srv, "")
	srv.Fail(fakeopenai.BadJSON())
	s, usage, err := w.Write(ctx(t), script.Request{Content: englishContent})
	if err != nil || len(s.Segments) < 3 {
		t.Fatalf("Write = %v, %v", s, err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 || usage.Calls != 2 {
		t.Fatalf("%d requests, usage %+v", len(reqs), usage)
	}
	repair := reqs[1].Messages
	if len(repair) != 4 || repair[2].Role != "assistant" || !strings.Contains(repair[2].Content, "Sure!") ||
		repair[3].Role != "user" || !strings.Contains(repair[3].Content, "not valid JSON") {
		t.Fatalf("repair messages %+v", repair)
	}

	// Bad twice: SCRIPT_INVALID, not retried.
	srv.Fail(fakeopenai.BadJSON(), fakeopenai.Text(`{"title": "T", "segments": []}`))
	_, _, err = w.Write(ctx(t), script.Request{Content: englishContent})
	e, ok := errcode.As(err)
	if !ok || e.Code != errcode.ScriptInvalid || e.Retryable || e.Details["attempts"] != 2 {
		t.Fatalf("Write = %v, want SCRIPT_INVALID after two attempts", err)
	}
}

func TestMalformedAnswers(t *testing.T) {
	cases := []struct {
		name      string
		faults    []fakeopenai.Fault
		code      string
		retryable bool
	}{
		{"blank", []fakeopenai.Fault{fakeopenai.Blank()}, CodeEmptyAnswer, true},
		{"refusal", []fakeopenai.Fault{fakeopenai.Refusal()}, CodeRefused, false},
		{"no choices", []fakeopenai.Fault{fakeopenai.NoChoices()}, CodeBadResponse, true},
		{"error in 200", []fakeopenai.Fault{fakeopenai.ErrorIn200()}, CodeBadResponse, true},
		{"cut off twice", []fakeopenai.Fault{fakeopenai.Length(), fakeopenai.Length()}, errcode.ScriptInvalid, false},
		{"dropped", []fakeopenai.Fault{fakeopenai.Drop()}, CodeNetworkError, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := newServer(t, fakeopenai.Options{})
			w := newWriter(t, srv, "")
			srv.Fail(c.faults...)
			_, _, err := w.Write(ctx(t), script.Request{Content: englishContent})
			e, ok := errcode.As(err)
			if !ok || e.Code != c.code || e.Retryable != c.retryable {
				t.Fatalf("Write = %v (retryable %v), want %s retryable=%v", err, ok && e.Retryable, c.code, c.retryable)
			}
		})
	}
}

func TestHTTPErrors(t *testing.T) {
	cases := []struct {
		fault      fakeopenai.Fault
		code       string
		retryable  bool
		retryAfter time.Duration
	}{
		{fakeopenai.Status(429).RetryAfter(3 * time.Second), "OPENAI_RATE_LIMITED", true, 3 * time.Second},
		{fakeopenai.Quota(), CodeQuotaExceeded, false, 0},
		{fakeopenai.Status(500), "OPENAI_SERVER_ERROR", true, 0},
		{fakeopenai.Status(503), "OPENAI_UNAVAILABLE", true, 0},
		{fakeopenai.Status(504), "OPENAI_TIMEOUT", true, 0},
		{fakeopenai.Status(400), "OPENAI_BAD_REQUEST", false, 0},
		{fakeopenai.Status(401), CodeAuthFailed, false, 0},
		{fakeopenai.Status(403), CodeAuthFailed, false, 0},
		{fakeopenai.Status(404), CodeModelNotFound, false, 0},
		{fakeopenai.Status(402), CodeQuotaExceeded, false, 0},
	}
	srv := newServer(t, fakeopenai.Options{APIKey: testKey})
	w := newWriter(t, srv, testKey)
	for _, c := range cases {
		srv.Fail(c.fault)
		before := srv.Calls()
		_, _, err := w.Write(ctx(t), script.Request{Content: englishContent})
		e, ok := errcode.As(err)
		if !ok || e.Code != c.code || e.Retryable != c.retryable || e.RetryAfter != c.retryAfter {
			t.Errorf("%v: got %v (retryable %v, retry after %v), want %s retryable=%v after %v",
				c.fault, err, ok && e.Retryable, e.RetryAfter, c.code, c.retryable, c.retryAfter)
		}
		if n := srv.Calls() - before; n != 1 {
			t.Errorf("%v: %d calls; the client must not retry on its own", c.fault, n)
		}
		if strings.Contains(err.Error(), testKey) {
			t.Errorf("%v: key in the error", c.fault)
		}
	}
}

func TestWrongKeyAndUnknownModel(t *testing.T) {
	srv := newServer(t, fakeopenai.Options{APIKey: testKey, Models: []string{"gpt-test"}})
	w := newWriter(t, srv, "sk-wrong")
	_, _, err := w.Write(ctx(t), script.Request{Content: englishContent})
	if errcode.Code(err) != CodeAuthFailed || errcode.IsRetryable(err) {
		t.Fatalf("wrong key: %v", err)
	}
	w = newWriter(t, srv, testKey, func(c *WriterConfig) { c.Model = "gpt-gone" })
	_, _, err = w.Write(ctx(t), script.Request{Content: englishContent})
	if errcode.Code(err) != CodeModelNotFound || !strings.Contains(err.Error(), "gpt-gone") {
		t.Fatalf("unknown model: %v", err)
	}
	if _, err := NewWriter(WriterConfig{BaseURL: srv.BaseURL()}); errcode.Code(err) != CodeNotConfigured {
		t.Fatalf("no model: %v", err)
	}
}

func TestTimeoutIsRetryable(t *testing.T) {
	srv := newServer(t, fakeopenai.Options{})
	w := newWriter(t, srv, "", func(c *WriterConfig) { c.Timeout = 200 * time.Millisecond })
	srv.Fail(fakeopenai.Delay(5 * time.Second))
	_, _, err := w.Write(ctx(t), script.Request{Content: englishContent})
	if e, ok := errcode.As(err); !ok || e.Code != CodeTimeout || !e.Retryable {
		t.Fatalf("Write = %v, want a retryable OPENAI_TIMEOUT", err)
	}
}

func TestTemplateFillsTheUserPrompt(t *testing.T) {
	srv := newServer(t, fakeopenai.Options{})
	w := newWriter(t, srv, "")
	tmpl := "Make it fun for kids, {min_duration}-{max_duration} s, in {language_name}.\n" +
		prompts.SourceOpen + "\n{content}\n" + prompts.SourceClose
	if _, _, err := w.Write(ctx(t), script.Request{Content: englishContent, Template: tmpl, MinSeconds: 45, MaxSeconds: 90}); err != nil {
		t.Fatal(err)
	}
	user := srv.Requests()[0].Messages[1].Content
	if !strings.HasPrefix(user, "Make it fun for kids, 45-90 s, in English.") || !strings.Contains(user, "waggle dance") {
		t.Fatalf("user prompt %q", user)
	}
}

func TestSchemaIsStrictAndMatchesTheParser(t *testing.T) {
	b, _ := json.Marshal(jsonSchema())
	var s map[string]any
	json.Unmarshal(b, &s)
	items := s["properties"].(map[string]any)["segments"].(map[string]any)["items"].(map[string]any)
	for _, name := range []string{"type", "text", "image_prompt", "search_terms"} {
		if _, ok := items["properties"].(map[string]any)[name]; !ok {
			t.Errorf("segment property %s missing", name)
		}
	}
}

func TestExtractJSON(t *testing.T) {
	cases := map[string]string{
		`{"a":1}`:                 `{"a":1}`,
		"```json\n{\"a\":1}\n```": `{"a":1}`,
		"Here you go:\n```\n{\"a\":1}\n```\nEnjoy": `{"a":1}`,
		`Sure: {"a":{"b":2}} hope it helps`:        `{"a":{"b":2}}`,
		`no json here`:                             `no json here`,
	}
	for in, want := range cases {
		if got := extractJSON(in); got != want {
			t.Errorf("extractJSON(%q) = %q, want %q", in, got, want)
		}
	}
}
