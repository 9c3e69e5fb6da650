// Package gemini writes video scripts with Google's Gemini API through the
// official google.golang.org/genai client.
//
// A Writer makes one generateContent call per attempt and never retries
// API failures itself: it returns coded errors (GEMINI_RATE_LIMITED,
// GEMINI_UNAVAILABLE, GEMINI_AUTH_FAILED, ...) and leaves retrying to the
// task system. The one exception is malformed model output (invalid JSON,
// a script that fails validation, no text, a safety block), which is
// retried once inside Write before it becomes SCRIPT_INVALID or
// GEMINI_BLOCKED.
package gemini

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"google.golang.org/genai"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/prompts"
	"github.com/ytmaker/ytmaker/internal/script"
)

// Defaults for Config.
const (
	// DefaultModel is a current GA Flash model; the 2.5 models are being
	// retired.
	DefaultModel           = "gemini-3.5-flash"
	DefaultBaseURL         = "https://generativelanguage.googleapis.com/"
	DefaultTimeout         = 2 * time.Minute
	DefaultMaxOutputTokens = 16384 // thinking models spend part of this on thoughts
	temperature            = 0.7
)

// Codes specific to Gemini, beyond those errcode.HTTP derives
// (GEMINI_RATE_LIMITED, GEMINI_UNAVAILABLE, GEMINI_SERVER_ERROR,
// GEMINI_TIMEOUT, GEMINI_AUTH_FAILED, GEMINI_BAD_REQUEST).
const (
	CodeNotConfigured      = "GEMINI_NOT_CONFIGURED"
	CodeAuthFailed         = "GEMINI_AUTH_FAILED"
	CodeTimeout            = "GEMINI_TIMEOUT"
	CodeModelNotFound      = "GEMINI_MODEL_NOT_FOUND"
	CodeQuotaExceeded      = "GEMINI_QUOTA_EXCEEDED" // a daily quota: retrying today will not help
	CodeNoQuota            = "GEMINI_NO_QUOTA"       // the key's plan has no quota for the model at all (limit 0)
	CodeFailedPrecondition = "GEMINI_FAILED_PRECONDITION"
	CodeBlocked            = "GEMINI_BLOCKED"
	CodeNetworkError       = "GEMINI_NETWORK_ERROR"
	CodeBadResponse        = "GEMINI_BAD_RESPONSE"
)

// Config configures a Writer.
type Config struct {
	APIKey string // required; never logged
	Model  string // "" means DefaultModel
	// BaseURL of the API, for proxies and tests; "" means DefaultBaseURL.
	// It is always set explicitly, so GOOGLE_GEMINI_BASE_URL is ignored.
	BaseURL string
	// HTTPClient carries the calls; nil means a new client without a
	// global timeout. It is copied, not modified.
	HTTPClient *http.Client
	// Timeout bounds each call; 0 means DefaultTimeout. A shorter context
	// deadline wins.
	Timeout time.Duration
	// MaxOutputTokens bounds the answer, thoughts included; 0 means
	// DefaultMaxOutputTokens.
	MaxOutputTokens int32
	Logger          *slog.Logger // nil discards
}

// Usage counts the tokens Write consumed, for quota accounting. A retried
// call counts twice.
type Usage struct {
	Calls          int
	PromptTokens   int
	OutputTokens   int
	ThoughtsTokens int
	TotalTokens    int
}

func (u *Usage) add(m *genai.GenerateContentResponseUsageMetadata) {
	u.Calls++
	if m == nil {
		return
	}
	u.PromptTokens += int(m.PromptTokenCount)
	u.OutputTokens += int(m.CandidatesTokenCount)
	u.ThoughtsTokens += int(m.ThoughtsTokenCount)
	u.TotalTokens += int(m.TotalTokenCount)
}

// Writer writes scripts with Gemini. It is safe for concurrent use.
type Writer struct {
	client    *genai.Client
	model     string
	maxTokens int32
	apiKey    string
	log       *slog.Logger
}

// NewWriter returns a Writer for cfg. The Gemini API backend is selected
// explicitly and the key, base URL and backend all come from cfg, so the
// GOOGLE_API_KEY, GEMINI_API_KEY, GOOGLE_GEMINI_BASE_URL and
// GOOGLE_GENAI_USE_VERTEXAI environment variables change nothing.
func NewWriter(ctx context.Context, cfg Config) (*Writer, error) {
	if cfg.Model == "" {
		cfg.Model = DefaultModel
	}
	if cfg.MaxOutputTokens == 0 {
		cfg.MaxOutputTokens = DefaultMaxOutputTokens
	}
	client, log, err := newClient(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &Writer{client: client, model: cfg.Model, maxTokens: cfg.MaxOutputTokens, apiKey: cfg.APIKey, log: log}, nil
}

// newClient returns a genai client for the Gemini API backend with cfg's
// key, base URL, HTTP client and timeout, and cfg's logger.
func newClient(ctx context.Context, cfg Config) (*genai.Client, *slog.Logger, error) {
	if cfg.APIKey == "" {
		return nil, nil, errcode.New(CodeNotConfigured, "Gemini API key is not set", false)
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	httpClient := &http.Client{}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		httpClient = &c
	}
	// The client's errors do not carry response headers; this transport
	// keeps Retry-After for the call that asked for it.
	httpClient.Transport = retryAfterTransport{base: httpClient.Transport}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	timeout := cfg.Timeout
	client, err := genai.NewClient(ctx, &genai.ClientConfig{
		APIKey:     cfg.APIKey,
		Backend:    genai.BackendGeminiAPI,
		HTTPClient: httpClient,
		HTTPOptions: genai.HTTPOptions{
			BaseURL:    cfg.BaseURL,
			APIVersion: "v1beta",
			Timeout:    &timeout,
		},
	})
	if err != nil {
		// The client's messages print its whole configuration, key included.
		return nil, nil, errcode.New(CodeNotConfigured, "create Gemini client: "+redact(err.Error(), cfg.APIKey), false)
	}
	return client, log, nil
}

// Model returns the model the Writer calls.
func (w *Writer) Model() string { return w.model }

// Write asks Gemini for a script for req, in req's language (detected from
// the content when empty) with English image prompts, and validates it.
//
// Malformed output is retried once; a second malformed answer is a
// non-retryable SCRIPT_INVALID, or GEMINI_BLOCKED when safety filters
// blocked it. API and transport failures are returned at once as coded
// errors (see the package documentation). Usage covers every call made,
// including failed ones that reported usage.
func (w *Writer) Write(ctx context.Context, req script.Request) (*script.Script, Usage, error) {
	var usage Usage
	req, err := req.Normalize()
	if err != nil {
		return nil, usage, err
	}
	cfg := w.generateConfig(req)
	var bad *errcode.Error
	for attempt := 1; attempt <= 2; attempt++ {
		start := time.Now()
		hold := &retryAfterHolder{}
		resp, err := w.client.Models.GenerateContent(context.WithValue(ctx, retryAfterKey{}, hold),
			w.model, genai.Text(prompts.User(req, prompts.Template{Text: req.Template})), cfg)
		if err != nil {
			e := w.classify(err)
			if d := errcode.ParseRetryAfter(hold.get(), time.Now()); d > 0 && e.Retryable && e.RetryAfter == 0 {
				e.WithRetryAfter(d)
			}
			w.log.WarnContext(ctx, "gemini call failed", "model", w.model, "attempt", attempt,
				"code", e.Code, "retryable", e.Retryable, "elapsed", time.Since(start))
			return nil, usage, e
		}
		usage.add(resp.UsageMetadata)
		s, problem := parseResponse(resp, req)
		if problem == nil {
			w.log.InfoContext(ctx, "gemini script written", "model", w.model, "attempt", attempt,
				"segments", len(s.Segments), "language", s.Language, "total_tokens", usage.TotalTokens,
				"elapsed", time.Since(start))
			return s, usage, nil
		}
		bad = problem.WithDetail("attempts", attempt)
		w.log.WarnContext(ctx, "gemini returned an unusable script", "model", w.model, "attempt", attempt,
			"code", problem.Code, "problem", problem.Message)
	}
	return nil, usage, bad
}

func (w *Writer) generateConfig(req script.Request) *genai.GenerateContentConfig {
	return &genai.GenerateContentConfig{
		SystemInstruction:     genai.NewContentFromText(prompts.System(req), genai.RoleUser),
		Temperature:           genai.Ptr[float32](temperature),
		MaxOutputTokens:       w.maxTokens,
		ResponseMIMEType:      "application/json",
		ResponseSchema:        responseSchema(req.MaxSegments),
		AutomaticContinuation: genai.Ptr(false),
	}
}

// blockReasons are finish reasons that mean a filter stopped the answer.
var blockReasons = map[genai.FinishReason]bool{
	genai.FinishReasonSafety:                 true,
	genai.FinishReasonProhibitedContent:      true,
	genai.FinishReasonBlocklist:              true,
	genai.FinishReasonSPII:                   true,
	genai.FinishReasonImageSafety:            true,
	genai.FinishReasonImageProhibitedContent: true,
}

// wireScript is the JSON the response schema asks for.
type wireScript struct {
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Tags        []string `json:"tags"`
	Segments    []struct {
		Type        string   `json:"type"`
		Text        string   `json:"text"`
		ImagePrompt string   `json:"image_prompt"`
		SearchTerms []string `json:"search_terms"`
	} `json:"segments"`
}

// parseResponse turns a response into a validated script, or describes
// why it cannot (SCRIPT_INVALID or GEMINI_BLOCKED, not retryable).
func parseResponse(resp *genai.GenerateContentResponse, req script.Request) (*script.Script, *errcode.Error) {
	if pf := resp.PromptFeedback; pf != nil && pf.BlockReason != "" {
		return nil, errcode.Newf(CodeBlocked, false, "Gemini blocked the prompt (%s)", pf.BlockReason).
			WithDetail("block_reason", string(pf.BlockReason))
	}
	if len(resp.Candidates) == 0 || resp.Candidates[0] == nil {
		return nil, errcode.New(errcode.ScriptInvalid, "Gemini returned no candidates", false)
	}
	cand := resp.Candidates[0]
	reason := cand.FinishReason
	text := candidateText(cand)
	if text == "" {
		if blockReasons[reason] {
			return nil, errcode.Newf(CodeBlocked, false, "Gemini withheld the answer (finish reason %s)", reason).
				WithDetail("finish_reason", string(reason))
		}
		return nil, errcode.Newf(errcode.ScriptInvalid, false, "Gemini returned no text (finish reason %s)", orUnknown(reason)).
			WithDetail("finish_reason", string(reason))
	}
	var w wireScript
	if err := json.Unmarshal([]byte(stripFence(text)), &w); err != nil {
		if blockReasons[reason] {
			return nil, errcode.Newf(CodeBlocked, false, "Gemini stopped the answer (finish reason %s)", reason).
				WithDetail("finish_reason", string(reason))
		}
		return nil, errcode.Newf(errcode.ScriptInvalid, false, "Gemini output is not valid script JSON (finish reason %s): %v",
			orUnknown(reason), err).WithDetail("finish_reason", string(reason))
	}
	s := &script.Script{
		Title:       w.Title,
		Description: w.Description,
		Tags:        w.Tags,
		Language:    req.Language,
	}
	for _, seg := range w.Segments {
		s.Segments = append(s.Segments, script.Segment{Type: seg.Type, Text: seg.Text, ImagePrompt: seg.ImagePrompt, SearchTerms: seg.SearchTerms})
	}
	if err := s.Validate(); err != nil {
		e, _ := errcode.As(err)
		return nil, errcode.New(errcode.ScriptInvalid, "Gemini script is invalid: "+e.Message, false).
			WithDetail("finish_reason", string(reason))
	}
	s.CapSegments(req.MaxSegments)
	return s, nil
}

// candidateText concatenates the answer's text parts, skipping thoughts.
func candidateText(c *genai.Candidate) string {
	if c.Content == nil {
		return ""
	}
	var b strings.Builder
	for _, p := range c.Content.Parts {
		if p != nil && !p.Thought {
			b.WriteString(p.Text)
		}
	}
	return strings.TrimSpace(b.String())
}

// stripFence removes a Markdown code fence around JSON, which models add
// now and then even in JSON mode.
func stripFence(s string) string {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "```") {
		return s
	}
	s = strings.TrimPrefix(s, "```")
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[i+1:] // drop the language tag line
	}
	return strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "```"))
}

func orUnknown(r genai.FinishReason) genai.FinishReason {
	if r == "" {
		return "unspecified"
	}
	return r
}

// classify turns an error from the client into a coded one.
func (w *Writer) classify(err error) *errcode.Error { return classify(err, w.apiKey) }

// classify turns an error from the client into a coded one, key removed.
func classify(err error, key string) *errcode.Error {
	var ae genai.APIError // the client returns APIError as a value
	if errors.As(err, &ae) {
		return apiError(ae, key)
	}
	c := errcode.Classify(err)
	msg := redact(err.Error(), key)
	switch c.Code {
	case errcode.Cancelled:
		return c
	case errcode.Timeout:
		return errcode.New(CodeTimeout, "Gemini call timed out: "+msg, true).WithCause(err)
	case errcode.NetworkError:
		return errcode.New(CodeNetworkError, "Gemini connection failed: "+msg, true).WithCause(err)
	}
	return errcode.New(CodeBadResponse, "Gemini answer could not be read: "+msg, true).WithCause(err)
}

// apiError maps a google.rpc error from the API to a coded error.
func apiError(ae genai.APIError, key string) *errcode.Error {
	msg := redact(strings.TrimSpace(ae.Message), key)
	if ae.Status != "" {
		msg = fmt.Sprintf("%s: %s", ae.Status, msg)
	}
	e := errcode.HTTP("GEMINI", ae.Code, nil, "Gemini "+msg)
	reason := errorReason(ae.Details)
	switch {
	case ae.Code == http.StatusBadRequest && (reason == "API_KEY_INVALID" || strings.Contains(ae.Message, "API key not valid")):
		e.Code = CodeAuthFailed
	case ae.Code == http.StatusBadRequest && ae.Status == "FAILED_PRECONDITION":
		e.Code = CodeFailedPrecondition
	case ae.Code == http.StatusNotFound:
		e.Code = CodeModelNotFound
	case ae.Code == http.StatusTooManyRequests:
		if d := retryDelay(ae.Details); d > 0 {
			e.WithRetryAfter(d)
		}
		switch {
		case zeroQuota(ae.Message, ae.Details):
			e.Code = CodeNoQuota
			e.Retryable = false
		case dailyQuota(ae.Details):
			e.Code = CodeQuotaExceeded
			e.Retryable = false
		}
	}
	if ae.Status != "" {
		e.WithDetail("status", ae.Status)
	}
	if reason != "" {
		e.WithDetail("reason", reason)
	}
	return e.WithCause(ae)
}

// errorReason returns google.rpc.ErrorInfo's reason, if any.
func errorReason(details []map[string]any) string {
	for _, d := range details {
		if t, _ := d["@type"].(string); strings.HasSuffix(t, "google.rpc.ErrorInfo") {
			r, _ := d["reason"].(string)
			return r
		}
	}
	return ""
}

// retryDelay reads google.rpc.RetryInfo's retryDelay ("59s", "1.5s", or a
// {seconds, nanos} object).
func retryDelay(details []map[string]any) time.Duration {
	for _, d := range details {
		t, _ := d["@type"].(string)
		if !strings.HasSuffix(t, "google.rpc.RetryInfo") {
			continue
		}
		switch v := d["retryDelay"].(type) {
		case string:
			if dur, err := time.ParseDuration(v); err == nil && dur > 0 {
				return dur
			}
		case map[string]any:
			secs, _ := v["seconds"].(float64)
			if s, ok := v["seconds"].(string); ok {
				fmt.Sscan(s, &secs)
			}
			nanos, _ := v["nanos"].(float64)
			if dur := time.Duration(secs*float64(time.Second) + nanos); dur > 0 {
				return dur
			}
		}
	}
	return 0
}

// dailyQuota reports whether a 429 is about a per-day quota, which no
// short back-off can fix.
func dailyQuota(details []map[string]any) bool {
	for _, v := range quotaViolations(details) {
		if id, _ := v["quotaId"].(string); strings.Contains(id, "PerDay") {
			return true
		}
	}
	return false
}

// quotaViolations returns the violations of an error's QuotaFailure
// details.
func quotaViolations(details []map[string]any) []map[string]any {
	var out []map[string]any
	for _, d := range details {
		t, _ := d["@type"].(string)
		if !strings.HasSuffix(t, "google.rpc.QuotaFailure") {
			continue
		}
		vs, _ := d["violations"].([]any)
		for _, v := range vs {
			if m, ok := v.(map[string]any); ok {
				out = append(out, m)
			}
		}
	}
	return out
}

// zeroLimit finds "limit: 0" in an error message, not "limit: 0.5" or
// "limit: 05".
var zeroLimit = regexp.MustCompile(`limit: 0([^0-9.]|$)`)

// zeroQuota reports whether a 429 names a quota whose limit is 0: the
// key's plan does not include the model (a free-tier key asking for
// pictures), so no wait ever helps. Gemini says so in the message
// ("limit: 0") and, in some answers, in a violation's quotaValue.
func zeroQuota(message string, details []map[string]any) bool {
	if zeroLimit.MatchString(message) {
		return true
	}
	for _, v := range quotaViolations(details) {
		if q, _ := v["quotaValue"].(string); q == "0" {
			return true
		}
	}
	return false
}

// retryAfterKey carries a *retryAfterHolder in a call's context.
type retryAfterKey struct{}

// retryAfterHolder keeps the Retry-After header of a call's response.
type retryAfterHolder struct {
	mu sync.Mutex
	v  string
}

func (h *retryAfterHolder) set(v string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.v = v
}

func (h *retryAfterHolder) get() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.v
}

// retryAfterTransport records each response's Retry-After header in the
// holder found in the request's context.
type retryAfterTransport struct {
	base http.RoundTripper
}

// RoundTrip sends r with the base transport and records Retry-After.
func (t retryAfterTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(r)
	if resp != nil {
		if h, ok := r.Context().Value(retryAfterKey{}).(*retryAfterHolder); ok {
			h.set(resp.Header.Get("Retry-After"))
		}
	}
	return resp, err
}

// redact removes the API key from a message.
func redact(msg, key string) string {
	if key == "" {
		return msg
	}
	return strings.ReplaceAll(msg, key, "[REDACTED]")
}
