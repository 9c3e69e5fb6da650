package openaicompat

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/openai/openai-go/v3"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/prompts"
	"github.com/ytmaker/ytmaker/internal/script"
)

// DefaultChatTimeout bounds one chat call. Local models on a CPU are slow,
// so it is generous.
const DefaultChatTimeout = 5 * time.Minute

// WriterConfig configures a Writer.
type WriterConfig struct {
	// BaseURL of the API, /v1 included (http://localhost:11434/v1 for
	// Ollama); "" means DefaultBaseURL.
	BaseURL string
	// APIKey is sent as a bearer token; "" sends none (Ollama, vLLM
	// without --api-key). Never logged.
	APIKey string
	// Model is required: there is no model every server has.
	Model string
	// HTTPClient carries the calls; nil means a new client.
	HTTPClient *http.Client
	// Timeout bounds each call; 0 means DefaultChatTimeout.
	Timeout time.Duration
	Logger  *slog.Logger // nil discards
}

// Usage counts what Write consumed: every call made, failed ones too, and
// the tokens the answers reported.
type Usage struct {
	Calls            int
	PromptTokens     int
	CompletionTokens int
	TotalTokens      int
}

func (u *Usage) add(c openai.CompletionUsage) {
	u.PromptTokens += int(c.PromptTokens)
	u.CompletionTokens += int(c.CompletionTokens)
	u.TotalTokens += int(c.TotalTokens)
}

// Writer writes scripts with an OpenAI-compatible chat completions API.
// It is safe for concurrent use.
type Writer struct {
	client  openai.Client
	model   string
	key     string
	timeout time.Duration
	log     *slog.Logger
	// noSchema is set once the server has refused a json_schema
	// response_format; later calls ask for JSON in words instead.
	noSchema atomic.Bool
}

// NewWriter returns a Writer for cfg. It makes no call.
func NewWriter(cfg WriterConfig) (*Writer, error) {
	if strings.TrimSpace(cfg.Model) == "" {
		return nil, errcode.New(CodeNotConfigured, "no model for the OpenAI-compatible API: set OPENAI_MODEL (or the project's settings.providers.script_model)", false)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Writer{
		client:  newClient(cfg.BaseURL, cfg.APIKey, cfg.HTTPClient),
		model:   cfg.Model,
		key:     cfg.APIKey,
		timeout: timeoutOr(cfg.Timeout, DefaultChatTimeout),
		log:     log,
	}, nil
}

// Model returns the model the Writer calls.
func (w *Writer) Model() string { return w.model }

// Write asks the model for a script for req and validates it.
//
// The script is asked for with a JSON schema (response_format
// json_schema). A server that refuses that with a 400 naming the response
// format is asked again, and from then on, with the same prompt and the
// JSON described in words. An answer that is not a valid script gets one
// repair request, which shows the model its answer and what is wrong with
// it; a second bad answer is a non-retryable SCRIPT_INVALID. A refusal is
// OPENAI_REFUSED; an empty answer is a retryable OPENAI_EMPTY_ANSWER. API
// and transport failures come back at once as coded errors (see the
// package documentation).
func (w *Writer) Write(ctx context.Context, req script.Request) (*script.Script, Usage, error) {
	var usage Usage
	req, err := req.Normalize()
	if err != nil {
		return nil, usage, err
	}
	system, user := prompts.System(req), prompts.User(req, prompts.Template{Text: req.Template})
	msgs := []openai.ChatCompletionMessageParamUnion{openai.SystemMessage(system), openai.UserMessage(user)}

	content, err := w.ask(ctx, msgs, &usage)
	if err != nil {
		return nil, usage, err
	}
	s, problem := parse(content.text, content.finish, req)
	if problem == nil {
		w.log.InfoContext(ctx, "script written", "model", w.model, "segments", len(s.Segments),
			"language", s.Language, "total_tokens", usage.TotalTokens)
		return s, usage, nil
	}
	w.log.WarnContext(ctx, "the model's script is unusable; asking for a repair", "model", w.model,
		"problem", problem.Message, "finish_reason", content.finish)
	msgs = append(msgs, openai.AssistantMessage(content.text), openai.UserMessage(repairPrompt(problem.Message)))
	content, err = w.ask(ctx, msgs, &usage)
	if err != nil {
		return nil, usage, err
	}
	s, problem = parse(content.text, content.finish, req)
	if problem != nil {
		return nil, usage, problem.WithDetail("attempts", 2).WithDetail("provider", "openai")
	}
	w.log.InfoContext(ctx, "script written after a repair", "model", w.model, "segments", len(s.Segments),
		"total_tokens", usage.TotalTokens)
	return s, usage, nil
}

// answer is the text of a completion and why it ended.
type answer struct {
	text, finish string
}

// ask sends one chat request, falling back to JSON in words when the
// server refuses the response schema.
func (w *Writer) ask(ctx context.Context, msgs []openai.ChatCompletionMessageParamUnion, usage *Usage) (answer, error) {
	if !w.noSchema.Load() {
		a, err := w.call(ctx, msgs, true, usage)
		if err == nil || !refusesSchema(err) {
			return a, err
		}
		w.noSchema.Store(true)
		w.log.WarnContext(ctx, "the server refuses JSON schemas; asking for JSON in words", "model", w.model,
			"error", err.Error())
	}
	return w.call(ctx, withJSONInstructions(msgs), false, usage)
}

// call makes one chat completion call.
func (w *Writer) call(ctx context.Context, msgs []openai.ChatCompletionMessageParamUnion, schema bool, usage *Usage) (answer, error) {
	params := openai.ChatCompletionNewParams{Model: w.model, Messages: msgs}
	if schema {
		params.ResponseFormat = openai.ChatCompletionNewParamsResponseFormatUnion{
			OfJSONSchema: &openai.ResponseFormatJSONSchemaParam{JSONSchema: openai.ResponseFormatJSONSchemaJSONSchemaParam{
				Name: "video_script", Strict: openai.Bool(true), Schema: jsonSchema()}},
		}
	}
	cctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	start := time.Now()
	usage.Calls++
	resp, err := w.client.Chat.Completions.New(cctx, params)
	if err != nil {
		e := classify(err, w.key, "chat completion")
		if e.Code == CodeTimeout && ctx.Err() == nil {
			e.Message = "chat completion took longer than " + w.timeout.String() + ": " + e.Message
		}
		w.log.WarnContext(ctx, "chat completion failed", "model", w.model, "code", e.Code,
			"retryable", e.Retryable, "elapsed", time.Since(start))
		return answer{}, e
	}
	usage.add(resp.Usage)
	if len(resp.Choices) == 0 {
		// OpenRouter reports failures after the start with HTTP 200 and
		// an error object.
		var body struct {
			Error *struct {
				Message string `json:"message"`
				Code    any    `json:"code"`
			} `json:"error"`
		}
		if json.Unmarshal([]byte(resp.RawJSON()), &body) == nil && body.Error != nil {
			return answer{}, errcode.Newf(CodeBadResponse, true, "chat completion failed upstream: %s (code %v)",
				redact(body.Error.Message, w.key), body.Error.Code)
		}
		return answer{}, errcode.New(CodeBadResponse, "chat completion has no choices", true)
	}
	c := resp.Choices[0]
	if c.Message.Refusal != "" {
		return answer{}, errcode.New(CodeRefused, "the model refused: "+truncate(c.Message.Refusal, 300), false).
			WithDetail("finish_reason", c.FinishReason)
	}
	if c.FinishReason == "content_filter" {
		return answer{}, errcode.New(CodeRefused, "the provider's content filter stopped the answer", false).
			WithDetail("finish_reason", c.FinishReason)
	}
	if strings.TrimSpace(c.Message.Content) == "" {
		return answer{}, errcode.Newf(CodeEmptyAnswer, true, "the model answered nothing (finish reason %s)", orUnknown(c.FinishReason)).
			WithDetail("finish_reason", c.FinishReason)
	}
	return answer{text: c.Message.Content, finish: c.FinishReason}, nil
}

// refusesSchema reports whether err is a server's 400 (or 422) about the
// response format.
func refusesSchema(err error) bool {
	var ae *openai.Error
	if !errors.As(err, &ae) || (ae.StatusCode != 400 && ae.StatusCode != 422) {
		return false
	}
	s := strings.ToLower(ae.Param + " " + ae.Message + " " + ae.RawJSON())
	return strings.Contains(s, "response_format") || strings.Contains(s, "json_schema") || strings.Contains(s, "response format")
}

// withJSONInstructions returns msgs with the JSON described in words
// after the system prompt.
func withJSONInstructions(msgs []openai.ChatCompletionMessageParamUnion) []openai.ChatCompletionMessageParamUnion {
	out := make([]openai.ChatCompletionMessageParamUnion, 0, len(msgs))
	for i, m := range msgs {
		if i == 0 && m.OfSystem != nil {
			out = append(out, openai.SystemMessage(m.OfSystem.Content.OfString.Value+"\n\n"+prompts.JSONInstructions))
			continue
		}
		out = append(out, m)
	}
	return out
}

func repairPrompt(problem string) string {
	return "Your answer cannot be used: " + problem + "\n\nAnswer again with the complete script as one valid JSON object that follows the required form, and nothing else."
}

// jsonSchema is the script's JSON Schema in the subset strict mode takes:
// every property required, no additional properties.
func jsonSchema() map[string]any {
	str := func(desc string) map[string]any { return map[string]any{"type": "string", "description": desc} }
	strs := func(desc string) map[string]any { return map[string]any{"type": "array", "items": str(desc)} }
	return map[string]any{
		"type":                 "object",
		"additionalProperties": false,
		"required":             []string{"title", "description", "tags", "segments"},
		"properties": map[string]any{
			"title":       str("Video title, at most 100 characters."),
			"description": str("YouTube description."),
			"tags":        strs("A keyword."),
			"segments": map[string]any{
				"type": "array",
				"items": map[string]any{
					"type":                 "object",
					"additionalProperties": false,
					"required":             []string{"type", "text", "image_prompt", "search_terms"},
					"properties": map[string]any{
						"type":         map[string]any{"type": "string", "enum": []string{script.Intro, script.Content, script.Outro}},
						"text":         str("Narration read aloud."),
						"image_prompt": str("English description of the image shown during this segment."),
						"search_terms": strs("An English stock footage query."),
					},
				},
			},
		},
	}
}

// wireScript is the JSON the schema describes.
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

// parse turns the model's text into a validated script, or describes why
// it cannot (a non-retryable SCRIPT_INVALID).
func parse(text, finish string, req script.Request) (*script.Script, *errcode.Error) {
	raw := extractJSON(text)
	var ws wireScript
	if err := json.Unmarshal([]byte(raw), &ws); err != nil {
		msg := "the answer is not valid JSON (" + err.Error() + ")"
		if finish == "length" {
			msg = "the answer was cut off at the output limit and is not complete JSON; write a shorter script"
		}
		return nil, errcode.New(errcode.ScriptInvalid, msg, false).WithDetail("finish_reason", finish)
	}
	s := &script.Script{Title: ws.Title, Description: ws.Description, Tags: ws.Tags, Language: req.Language}
	for _, seg := range ws.Segments {
		s.Segments = append(s.Segments, script.Segment{Type: seg.Type, Text: seg.Text, ImagePrompt: seg.ImagePrompt, SearchTerms: seg.SearchTerms})
	}
	if err := s.Validate(); err != nil {
		e, _ := errcode.As(err)
		return nil, errcode.New(errcode.ScriptInvalid, "the script is invalid: "+e.Message, false).WithDetail("finish_reason", finish)
	}
	s.CapSegments(req.MaxSegments)
	return s, nil
}

// extractJSON returns the JSON object in a model's text: the text itself,
// the inside of a Markdown code fence, or the span from the first { to the
// last }, for models that wrap their JSON in prose.
func extractJSON(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "```"); i >= 0 {
		rest := s[i+3:]
		if nl := strings.IndexByte(rest, '\n'); nl >= 0 {
			rest = rest[nl+1:]
		}
		if j := strings.Index(rest, "```"); j >= 0 {
			return strings.TrimSpace(rest[:j])
		}
	}
	if json.Valid([]byte(s)) {
		return s
	}
	if i, j := strings.IndexByte(s, '{'), strings.LastIndexByte(s, '}'); i >= 0 && j > i {
		return s[i : j+1]
	}
	return s
}

func orUnknown(r string) string {
	if r == "" {
		return "unspecified"
	}
	return r
}
