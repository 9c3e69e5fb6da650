// Package fakeopenai is an in-process fake of an OpenAI-compatible server
// (OpenAI itself, or a local Ollama, vLLM or LiteLLM), for tests that use
// the real github.com/openai/openai-go/v3 client.
//
// It serves, under /v1:
//
//   - POST /v1/chat/completions: by default a valid script JSON in the
//     real chat.completion envelope, usage included. The script is built
//     from the prompt by the offline writer (see internal/fakes/fakescript),
//     so it is in the prompt's language. Without a response_format the
//     fake answers as a model left free does: the JSON inside a Markdown
//     code fence, after a sentence of preamble.
//   - POST /v1/audio/speech: a tone as long as reading the input takes.
//   - POST /v1/images/generations: pictures as b64_json in the real
//     images response, at the size asked for (see Options.MaxImageSide).
//   - GET /v1/models: the model list (what a key check reads).
//
// With Options.APIKey "" the fake plays Ollama: any or no Authorization
// header is accepted. With a key it plays OpenAI: a missing or wrong
// bearer token gets 401 invalid_api_key. Options.NoJSONSchema makes it a
// server that refuses json_schema response formats with a 400 naming
// response_format, as some OpenAI-compatible servers do.
//
// Failures are scripted per call with Fail:
//
//	srv := fakeopenai.New(fakeopenai.Options{})
//	defer srv.Close()
//	srv.Fail(fakeopenai.Status(429).RetryAfter(3*time.Second), fakeopenai.BadJSON())
package fakeopenai

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ytmaker/ytmaker/internal/fakes/fakehttp"
	"github.com/ytmaker/ytmaker/internal/fakes/fakescript"
)

// Options configures a Server.
type Options struct {
	// APIKey is the bearer token callers must send; "" accepts any call,
	// with or without a token, as Ollama does.
	APIKey string
	// Models are the model ids the server knows; a call naming another
	// gets 404 model_not_found. Empty accepts every model.
	Models []string
	// NoJSONSchema refuses response_format json_schema with a 400 whose
	// message names response_format.
	NoJSONSchema bool
	// NoResponseFormat refuses every response_format, json_object too.
	NoResponseFormat bool
	// MaxImageSide shrinks the pictures of /v1/images/generations so that
	// their long side is at most this many pixels (faster tests); 0
	// answers the size asked for.
	MaxImageSide int
}

// Request is one call the fake received, without the bearer token.
type Request struct {
	Method string
	Path   string
	// Auth reports whether an Authorization header came with the call.
	Auth   bool
	Header http.Header // without Authorization
	// Body is the request body, cut at 16 KiB.
	Body  string
	Model string
	// ResponseFormat is the response_format type asked for: json_schema,
	// json_object, text or "" for none.
	ResponseFormat string
	// Messages are the chat messages' roles and texts.
	Messages []Message
	// Status is the HTTP status answered; 0 when the connection was
	// dropped.
	Status int
	// Fault describes the fault applied, "" for a normal answer.
	Fault string
	// FinishReason is the choice's finish_reason on a 200 answer.
	FinishReason string
	// Speech holds what a speech call asked for.
	Speech SpeechRequest
	// Image holds what an image generation call asked for.
	Image ImageRequest
}

// Message is one chat message of a Request.
type Message struct {
	Role    string
	Content string
}

// Server is a running fake. It is safe for concurrent use.
//
// Its methods URL, Client, Close, Fail, PendingFaults, Requests and Calls
// are those of fakehttp.Server. BaseURL is what to give the client. Each
// fault given to Fail applies to one later chat, speech, image or models call,
// in order; calls beyond the queue succeed.
type Server struct {
	*server
	opts Options

	faults   fakehttp.Queue[Fault]
	requests fakehttp.Log[Request]
	ids      fakehttp.Counter
}

type server = fakehttp.Server[Fault, Request]

// New starts a fake server.
func New(opts Options) *Server {
	s := &Server{opts: opts}
	s.server = fakehttp.NewServer(http.HandlerFunc(s.serve), &s.faults, &s.requests)
	return s
}

// BaseURL is the API base to give a client: URL followed by /v1.
func (s *Server) BaseURL() string { return s.URL() + "/v1" }

const maxRecordedBody = 16 << 10

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 32<<20))
	header := r.Header.Clone()
	header.Del("Authorization")
	rec := Request{Method: r.Method, Path: r.URL.Path, Auth: r.Header.Get("Authorization") != "",
		Header: header, Body: cut(string(body), maxRecordedBody)}
	w, save := s.requests.Track(w, &rec, &rec.Status)
	defer save()

	if s.opts.APIKey != "" {
		auth := r.Header.Get("Authorization")
		if !strings.HasPrefix(auth, "Bearer ") || strings.TrimPrefix(auth, "Bearer ") != s.opts.APIKey {
			msg := "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
			if auth != "" {
				msg = "Incorrect API key provided: sk-****. You can find your API key at https://platform.openai.com/account/api-keys."
			}
			writeError(w, http.StatusUnauthorized, msg, "invalid_request_error", "", "invalid_api_key")
			return
		}
	}
	switch {
	case r.URL.Path == "/v1/models" && r.Method == http.MethodGet:
		if _, answered := s.applyFault(w, r, &rec, droppedModels); answered {
			return
		}
		s.listModels(w)
	case r.URL.Path == "/v1/chat/completions" && r.Method == http.MethodPost:
		s.chat(w, r, body, &rec)
	case r.URL.Path == "/v1/audio/speech" && r.Method == http.MethodPost:
		s.speech(w, r, body, &rec)
	case r.URL.Path == "/v1/images/generations" && r.Method == http.MethodPost:
		s.images(w, r, body, &rec)
	default:
		writeError(w, http.StatusNotFound, fmt.Sprintf("Invalid URL (%s %s)", r.Method, r.URL.Path), "invalid_request_error", "", "")
	}
}

// droppedModels is what a Drop fault sends on GET /v1/models.
const droppedModels = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 256\r\n\r\n{\"object\":\"list\",\"data\":[{\"id"

func (s *Server) listModels(w http.ResponseWriter) {
	models := s.opts.Models
	if len(models) == 0 {
		models = []string{"llama3.2"}
	}
	var data []map[string]any
	for _, m := range models {
		data = append(data, map[string]any{"id": m, "object": "model", "created": 1700000000, "owned_by": "library"})
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
}

// knownModel reports whether the server serves model.
func (s *Server) knownModel(model string) bool {
	return len(s.opts.Models) == 0 || slices.Contains(s.opts.Models, model)
}

// chatRequest is the part of a chat completion request the fake reads.
type chatRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	ResponseFormat *struct {
		Type       string `json:"type"`
		JSONSchema *struct {
			Name   string         `json:"name"`
			Strict bool           `json:"strict"`
			Schema map[string]any `json:"schema"`
		} `json:"json_schema"`
	} `json:"response_format"`
	MaxCompletionTokens int      `json:"max_completion_tokens"`
	MaxTokens           int      `json:"max_tokens"`
	Temperature         *float64 `json:"temperature"`
}

// text returns a message content given as a string or as text parts.
func text(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	json.Unmarshal(raw, &parts)
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
	}
	return b.String()
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request, body []byte, rec *Request) {
	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "We could not parse the JSON body of your request. "+err.Error(), "invalid_request_error", "", "")
		return
	}
	rec.Model = req.Model
	for _, m := range req.Messages {
		rec.Messages = append(rec.Messages, Message{Role: m.Role, Content: text(m.Content)})
	}
	if req.ResponseFormat != nil {
		rec.ResponseFormat = req.ResponseFormat.Type
	}
	if msg, param := s.validateChat(req, rec); s.refuse(w, msg, param, req.Model) {
		return
	}

	fault, answered := s.applyFault(w, r, rec, droppedChat)
	if answered {
		return
	}

	var user, system strings.Builder
	for _, m := range rec.Messages {
		switch m.Role {
		case "user":
			user.WriteString(m.Content + "\n")
		case "system", "developer":
			system.WriteString(m.Content + "\n")
		}
	}
	// A repair request (the conversation goes on after an assistant
	// answer) is answered from the first user message, the prompt.
	prompt := user.String()
	for _, m := range rec.Messages {
		if m.Role == "user" {
			prompt = m.Content
			break
		}
	}
	content, finish := s.content(prompt, rec.ResponseFormat, fault)
	rec.FinishReason = finish
	if fault.output == outputErrorIn200 {
		writeJSON(w, http.StatusOK, map[string]any{"error": map[string]any{"code": 502,
			"message": "Provider returned error", "metadata": map[string]any{"provider_name": "upstream"}}})
		return
	}
	prompTokens := fakescript.Tokens(user.String()) + fakescript.Tokens(system.String())
	outTokens := fakescript.Tokens(content)
	msg := map[string]any{"role": "assistant", "content": content, "refusal": nil}
	if fault.output == outputRefusal {
		msg["content"], msg["refusal"] = nil, "I'm sorry, I can't help with that request."
	}
	var choices []any
	if fault.output != outputNoChoices {
		choices = []any{map[string]any{"index": 0, "message": msg, "logprobs": nil, "finish_reason": finish}}
	} else {
		choices = []any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id":      fmt.Sprintf("chatcmpl-fake%06d", s.ids.Next()),
		"object":  "chat.completion",
		"created": time.Now().Unix(),
		"model":   req.Model,
		"choices": choices,
		"usage": map[string]any{"prompt_tokens": prompTokens, "completion_tokens": outTokens,
			"total_tokens": prompTokens + outTokens},
	})
}

// validateChat returns the server's message and param for a bad request,
// or "".
func (s *Server) validateChat(req chatRequest, rec *Request) (string, string) {
	switch {
	case req.Model == "":
		return "you must provide a model parameter", "model"
	case len(req.Messages) == 0:
		return "[] is too short - 'messages'", "messages"
	case req.Temperature != nil && (*req.Temperature < 0 || *req.Temperature > 2):
		return fmt.Sprintf("%v is greater than the maximum of 2 - 'temperature'", *req.Temperature), "temperature"
	}
	for i, m := range req.Messages {
		switch m.Role {
		case "system", "developer", "user", "assistant", "tool":
		default:
			return fmt.Sprintf("Invalid value: '%s'. Supported values are: 'system', 'assistant', 'user', 'tool', and 'developer'.", m.Role), fmt.Sprintf("messages[%d].role", i)
		}
	}
	rf := req.ResponseFormat
	if rf == nil {
		return "", ""
	}
	if s.opts.NoResponseFormat && rf.Type != "text" {
		return "response_format is not supported by this model", "response_format"
	}
	switch rf.Type {
	case "text":
	case "json_object":
		if !strings.Contains(strings.ToLower(allText(rec.Messages)), "json") {
			return "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.", "messages"
		}
	case "json_schema":
		if s.opts.NoJSONSchema {
			return "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.", "response_format"
		}
		js := rf.JSONSchema
		if js == nil || js.Name == "" {
			return "Missing required parameter: 'response_format.json_schema.name'.", "response_format.json_schema.name"
		}
		if js.Strict {
			if msg := strictSchema(js.Schema, "response_format.json_schema.schema"); msg != "" {
				return "Invalid schema for response_format '" + js.Name + "': " + msg, "response_format"
			}
		}
	default:
		return fmt.Sprintf("Invalid value: '%s'. Supported values are: 'json_object', 'json_schema', and 'text'.", rf.Type), "response_format.type"
	}
	return "", ""
}

// strictSchema checks the rules strict mode sets: every object lists all
// its properties as required and sets additionalProperties false.
func strictSchema(s map[string]any, path string) string {
	if s == nil {
		return "schema is missing"
	}
	switch s["type"] {
	case "object":
		if ap, ok := s["additionalProperties"].(bool); !ok || ap {
			return "In context=(" + path + "), 'additionalProperties' is required to be supplied and to be false."
		}
		props, _ := s["properties"].(map[string]any)
		req, _ := s["required"].([]any)
		names := map[string]bool{}
		for _, r := range req {
			n, _ := r.(string)
			names[n] = true
		}
		for name, p := range props {
			if !names[name] {
				return "In context=(" + path + "), 'required' is required to be supplied and to be an array including every key in properties. Missing '" + name + "'."
			}
			pm, _ := p.(map[string]any)
			if msg := strictSchema(pm, path+".properties."+name); msg != "" {
				return msg
			}
		}
	case "array":
		items, _ := s["items"].(map[string]any)
		return strictSchema(items, path+".items")
	case "string", "number", "integer", "boolean", "null":
	default:
		return fmt.Sprintf("In context=(%s), schema must have a 'type' key.", path)
	}
	return ""
}

func allText(ms []Message) string {
	var b strings.Builder
	for _, m := range ms {
		b.WriteString(m.Content)
	}
	return b.String()
}

// content writes the model's answer and its finish reason.
func (s *Server) content(prompt, format string, f Fault) (string, string) {
	switch f.output {
	case outputBadJSON:
		return `Sure! Here is your script: {"title": "Untitled", "segments": [`, "stop"
	case outputBlank:
		return "\n\n   ", "stop"
	case outputRefusal:
		return "", "stop"
	case outputText:
		return f.text, "stop"
	}
	sc := fakescript.Write(prompt)
	out := "Hello."
	if sc != nil {
		out = fakescript.JSON(sc)
	}
	if f.output == outputLength {
		return fakescript.TruncateTokens(out, fakescript.Tokens(out)/2), "length"
	}
	if format == "" || format == "text" {
		// A model left free wraps its JSON in prose and a code fence.
		out = "Here is the script you asked for:\n\n```json\n" + out + "\n```\n"
	}
	return out, "stop"
}

// droppedChat is what a Drop fault sends: a completion promised and never
// finished.
const droppedChat = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n" +
	`{"id":"chatcmpl-x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"{\"title\":`

var defaultErrors = map[int]struct{ msg, typ, code string }{
	400: {"Invalid request.", "invalid_request_error", ""},
	401: {"Incorrect API key provided: sk-****.", "invalid_request_error", "invalid_api_key"},
	402: {"Insufficient credits. Add more using https://openrouter.ai/settings/credits", "payment_required", ""},
	403: {"Country, region, or territory not supported", "invalid_request_error", "unsupported_country_region_territory"},
	404: {"The model does not exist or you do not have access to it.", "invalid_request_error", "model_not_found"},
	429: {"Rate limit reached for requests. Please try again in 1s.", "requests", "rate_limit_exceeded"},
	500: {"The server had an error while processing your request. Sorry about that!", "server_error", ""},
	502: {"Bad gateway.", "server_error", ""},
	503: {"The engine is currently overloaded, please try again later.", "server_error", ""},
	504: {"Gateway timeout.", "server_error", ""},
}

// writeStatusFault answers a Status or Quota fault.
func writeStatusFault(w http.ResponseWriter, code int, msg, errCode string) {
	d := defaultErrors[code]
	if errCode == "insufficient_quota" {
		d = struct{ msg, typ, code string }{"You exceeded your current quota, please check your plan and billing details.", "insufficient_quota", "insufficient_quota"}
	}
	writeError(w, code, cmp.Or(msg, d.msg, http.StatusText(code)), cmp.Or(d.typ, "invalid_request_error"), "", cmp.Or(errCode, d.code))
}

// writeError answers in OpenAI's error shape; empty param and code are
// sent as null.
func writeError(w http.ResponseWriter, code int, msg, typ, param, errCode string) {
	e := map[string]any{"message": msg, "type": typ, "param": nil, "code": nil}
	if param != "" {
		e["param"] = param
	}
	if errCode != "" {
		e["code"] = errCode
	}
	writeJSON(w, code, map[string]any{"error": e})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	fakehttp.JSON{RawHTML: true}.Write(w, code, v)
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// refuse answers a request that names a bad parameter (msg about param,
// when msg is not empty) with 400, or an unknown model with 404, as
// OpenAI does; it reports whether it answered.
func (s *Server) refuse(w http.ResponseWriter, msg, param, model string) bool {
	if msg != "" {
		writeError(w, http.StatusBadRequest, msg, "invalid_request_error", param, "")
		return true
	}
	if !s.knownModel(model) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("The model `%s` does not exist or you do not have access to it.", model),
			"invalid_request_error", "", "model_not_found")
		return true
	}
	return false
}

// applyFault takes the next queued fault, records it in rec and applies
// it (dropped is the start of the answer a dropped connection cuts); it
// reports whether the fault answered the request.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, rec *Request, dropped string) (Fault, bool) {
	fault, _ := s.faults.Pop()
	rec.Fault = fault.String()
	return fault, fault.base.Apply(w, r, dropped, func(code int, msg string) {
		writeStatusFault(w, code, msg, fault.code)
	})
}
