// Package fakegemini is an in-process fake of the Gemini API's
// generateContent endpoint, for tests that use the real
// google.golang.org/genai client.
//
// It checks the API key (x-goog-api-key header or ?key=), validates the
// request like the service does (400 INVALID_ARGUMENT in the google.rpc
// error shape), and by default answers with a valid script JSON in the
// real response envelope, usageMetadata included. The script is built from
// the prompt with the offline writer of internal/script, so it is in the
// prompt's language; the fake understands the prompt layout of
// internal/providers/gemini ("Project name:", "Language:", "Maximum
// segments:" lines and a <source> block) and otherwise uses the whole
// prompt as the source text.
//
// Failures are scripted per call with Fail:
//
//	srv := fakegemini.New(fakegemini.Options{APIKey: "test-key"})
//	defer srv.Close()
//	srv.Fail(fakegemini.Status(429).RetryAfter(7*time.Second), fakegemini.Status(503))
//
// makes the next two calls fail, and later calls succeed. Besides
// generateContent the fake answers models.get (GET /v1beta/models/{model})
// and models.list (GET /v1beta/models), the calls a key check makes; a
// fault applies to whichever call comes next, unless ForModel ties it to
// one model. A key that may not use a model at all is scripted with
//
//	srv.Fail(fakegemini.Status(403).ForModel("gemini-3.1-flash-image").Always())
//
// Image models (names containing "-image", such as gemini-3.1-flash-image)
// asked for responseModalities IMAGE answer with a text part and an
// inlineData PNG sized by imageConfig; speech models (names ending in
// "-tts") asked for AUDIO answer with headerless 24 kHz PCM (see media.go).
package fakegemini

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/ytmaker/ytmaker/internal/fakes/fakehttp"
	"github.com/ytmaker/ytmaker/internal/fakes/fakescript"
)

// Options configures a Server.
type Options struct {
	// APIKey is the key callers must send. "" accepts any non-empty key.
	APIKey string
	// RejectModels are model names answered with 404 NOT_FOUND, as for a
	// retired model.
	RejectModels []string
	// ThoughtsTokens is reported as thoughtsTokenCount on every answer and
	// counts against the request's maxOutputTokens, like a thinking model.
	ThoughtsTokens int
	// MaxImageSide shrinks generated pictures so that their long side is
	// at most this many pixels (faster tests); 0 answers the real size.
	MaxImageSide int
}

// Request is one call the fake received, secrets removed.
type Request struct {
	Method string
	Path   string
	Model  string      // from the path, e.g. "gemini-3.5-flash"
	Header http.Header // without x-goog-api-key and Authorization
	Query  url.Values  // without key
	// Body is the request body, cut at 16 KiB.
	Body string
	// Prompt is the text of the user contents; System the system
	// instruction's text.
	Prompt string
	System string
	// Status is the HTTP status answered; 0 when the connection was
	// dropped.
	Status int
	// Fault describes the fault applied, "" for a normal answer.
	Fault string
	// FinishReason is the candidate's finish reason on a 200 answer.
	FinishReason string
	// Modalities are generationConfig.responseModalities.
	Modalities []string
	// AspectRatio and ImageSize are what an image call asked for ("1:1"
	// and "1K" when it named none); Width and Height the picture answered.
	AspectRatio, ImageSize string
	Width, Height          int
	// Voice is the prebuilt voice a speech call asked for; Seconds the
	// length of the audio answered.
	Voice   string
	Seconds float64
}

// Server is a running fake. It is safe for concurrent use.
//
// Its methods URL, Client, Close, Fail, ClearFaults, PendingFaults, Requests and Calls
// are those of fakehttp.Server. URL is the base URL to give the client
// (genai.HTTPOptions.BaseURL). Each fault given to Fail applies to one
// later call, in order; calls beyond the queue succeed.
type Server struct {
	*server
	opts Options

	faults   fakehttp.Queue[Fault]
	requests fakehttp.Log[Request]
	ids      fakehttp.Counter
}

// server is the part of a Server that serves and shows its faults and
// requests.
type server = fakehttp.Server[Fault, Request]

// New starts a fake server.
func New(opts Options) *Server {
	s := &Server{opts: opts}
	s.server = fakehttp.NewServer(http.HandlerFunc(s.serve), &s.faults, &s.requests)
	return s
}

var pathRE = regexp.MustCompile(`^/(v1beta|v1|v1alpha)/models/([^/:]+):([A-Za-z]+)$`)

// modelRE matches models.list (no name) and models.get.
var modelRE = regexp.MustCompile(`^/(v1beta|v1|v1alpha)/models(/([^/:]+))?$`)

const maxRecordedBody = 16 << 10

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 32<<20))
	header, query := fakehttp.WithoutGoogleKey(r)
	rec := Request{
		Method: r.Method,
		Path:   r.URL.Path,
		Header: header,
		Query:  query,
		Body:   cut(string(body), maxRecordedBody),
	}
	w, save := s.requests.Track(w, &rec, &rec.Status)
	defer save()

	if code, msg, details := fakehttp.CheckGoogleAPIKey(r, s.opts.APIKey, "generativelanguage.googleapis.com"); code != 0 {
		rec.Status = writeError(w, code, msg, details)
		return
	}

	if m := modelRE.FindStringSubmatch(r.URL.Path); m != nil && r.Method == http.MethodGet {
		rec.Model = m[3]
		s.models(w, r, &rec, m[1], m[3])
		return
	}
	m := pathRE.FindStringSubmatch(r.URL.Path)
	if m == nil || m[3] != "generateContent" {
		rec.Status = writeError(w, http.StatusNotFound, "The fake serves only POST /v1beta/models/{model}:generateContent, GET /v1beta/models and GET /v1beta/models/{model}.", nil)
		return
	}
	rec.Model = m[2]
	if r.Method != http.MethodPost {
		rec.Status = writeError(w, http.StatusMethodNotAllowed, "Method not allowed.", nil)
		return
	}
	for _, rejected := range s.opts.RejectModels {
		if strings.TrimPrefix(rejected, "models/") == rec.Model {
			rec.Status = writeError(w, http.StatusNotFound, fmt.Sprintf("models/%s is not found for API version %s, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.", rec.Model, m[1]), nil)
			return
		}
	}

	var req generateRequest
	if err := json.Unmarshal(body, &req); err != nil {
		rec.Status = writeError(w, http.StatusBadRequest, "Invalid JSON payload received. "+err.Error(), nil)
		return
	}
	rec.Prompt, rec.System = req.userText(), req.systemText()
	if g := req.GenerationConfig; g != nil {
		rec.Modalities = g.ResponseModalities
	}
	if msg := cmp.Or(req.validate(), validateMedia(rec.Model, req.GenerationConfig)); msg != "" {
		rec.Status = writeError(w, http.StatusBadRequest, msg, nil)
		return
	}

	fault := s.nextFault(rec.Model)
	rec.Fault = fault.String()
	if fault.base.Apply(w, r, droppedAnswer, func(code int, msg string) {
		rec.Status = writeStatus(w, code, fault.status, msg, faultDetails(fault))
	}) {
		return
	}

	resp := s.answer(rec.Model, req, fault, &rec)
	if len(resp.Candidates) > 0 {
		rec.FinishReason = resp.Candidates[0].FinishReason
	}
	rec.Status = http.StatusOK
	writeJSON(w, http.StatusOK, resp)
}

// nextFault takes the first queued fault that applies to a call to model
// ("" for models.list), leaving an Always fault queued; the zero Fault
// when none does.
func (s *Server) nextFault(model string) Fault {
	f, _ := s.faults.Take(func(f *Fault) (use, keep bool) {
		if !f.appliesTo(model) {
			return false, false
		}
		return true, f.always
	})
	return f
}

// faultDetails returns the google.rpc details a Status fault carries.
func faultDetails(f Fault) []any {
	var details []any
	if f.base.Status == http.StatusTooManyRequests {
		id := f.quotaID
		if id == "" {
			id = "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"
		}
		v := map[string]any{
			"quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
			"quotaId":     id,
		}
		if f.noQuota {
			v["quotaValue"] = "0"
		}
		details = append(details, map[string]any{
			"@type":      "type.googleapis.com/google.rpc.QuotaFailure",
			"violations": []any{v},
		})
		if f.base.RetryAfter > 0 {
			details = append(details, fakehttp.GoogleRetryInfo(f.base.RetryAfter))
		}
	}
	return details
}

// droppedAnswer is what a Drop fault sends: a script promised and never
// finished.
const droppedAnswer = "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=UTF-8\r\nContent-Length: 4096\r\n\r\n" +
	`{"candidates":[{"content":{"role":"model","parts":[{"text":"{\"title\":`

var statusNames = map[int]string{
	400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
	405: "METHOD_NOT_ALLOWED", 409: "ABORTED", 429: "RESOURCE_EXHAUSTED", 499: "CANCELLED", 500: "INTERNAL",
	501: "UNIMPLEMENTED", 502: "UNAVAILABLE", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
}

var defaultMessages = map[int]string{
	400: "Request contains an invalid argument.",
	401: "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
	403: "Your API key was reported as leaked. Please use another API key.",
	404: "Requested entity was not found.",
	429: "You exceeded your current quota, please check your plan and billing details.",
	500: "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
	502: "Bad gateway.",
	503: "The model is overloaded. Please try again later.",
	504: "The service is unable to finish processing within the deadline.",
}

// writeError answers code with msg, or the service's usual message when
// msg is "", as a google.rpc.Status error, and returns code.
func writeError(w http.ResponseWriter, code int, msg string, details []any) int {
	return writeStatus(w, code, "", msg, details)
}

// writeStatus is writeError with the google.rpc status name given, or
// the code's usual one when status is "".
func writeStatus(w http.ResponseWriter, code int, status, msg string, details []any) int {
	msg = cmp.Or(msg, defaultMessages[code], http.StatusText(code))
	writeJSON(w, code, fakehttp.GoogleError(code, cmp.Or(status, statusNames[code], "UNKNOWN"), msg, details))
	return code
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	fakehttp.JSON{ContentType: "application/json; charset=UTF-8", RawHTML: true}.Write(w, code, v)
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

// generateRequest is the part of a GenerateContentRequest the fake reads.
type generateRequest struct {
	Contents          []content      `json:"contents"`
	SystemInstruction *content       `json:"systemInstruction"`
	GenerationConfig  *generationCfg `json:"generationConfig"`
}

type content struct {
	Role  string `json:"role"`
	Parts []struct {
		Text    string `json:"text"`
		Thought bool   `json:"thought"`
	} `json:"parts"`
}

type generationCfg struct {
	Temperature        *float64       `json:"temperature"`
	MaxOutputTokens    int            `json:"maxOutputTokens"`
	ResponseMimeType   string         `json:"responseMimeType"`
	ResponseSchema     map[string]any `json:"responseSchema"`
	ResponseJSONSchema any            `json:"responseJsonSchema"`
	CandidateCount     int            `json:"candidateCount"`
	ResponseModalities []string       `json:"responseModalities"`
	ImageConfig        *imageCfg      `json:"imageConfig"`
	SpeechConfig       *speechCfg     `json:"speechConfig"`
}

func (r generateRequest) userText() string {
	var b strings.Builder
	for _, c := range r.Contents {
		if c.Role == "" || c.Role == "user" {
			for _, p := range c.Parts {
				b.WriteString(p.Text)
			}
		}
	}
	return b.String()
}

func (r generateRequest) systemText() string {
	if r.SystemInstruction == nil {
		return ""
	}
	var b strings.Builder
	for _, p := range r.SystemInstruction.Parts {
		b.WriteString(p.Text)
	}
	return b.String()
}

// validate returns the service's message for a malformed request, or "".
func (r generateRequest) validate() string {
	if len(r.Contents) == 0 {
		return "* GenerateContentRequest.contents: contents is not specified\n"
	}
	for i, c := range r.Contents {
		if len(c.Parts) == 0 {
			return fmt.Sprintf("* GenerateContentRequest.contents[%d].parts: contents.parts must not be empty.\n", i)
		}
		if c.Role != "" && c.Role != "user" && c.Role != "model" {
			return fmt.Sprintf("Please use a valid role: user, model. Got %q.", c.Role)
		}
	}
	g := r.GenerationConfig
	if g == nil {
		return ""
	}
	if g.Temperature != nil && (*g.Temperature < 0 || *g.Temperature > 2) {
		return "* GenerateContentRequest.generation_config.temperature: must be in the range [0.0, 2.0]\n"
	}
	if g.MaxOutputTokens < 0 {
		return "* GenerateContentRequest.generation_config.max_output_tokens: must be positive\n"
	}
	if g.CandidateCount > 1 {
		return "Only one candidate can be specified in the current model"
	}
	switch g.ResponseMimeType {
	case "", "text/plain", "application/json", "text/x.enum":
	default:
		return fmt.Sprintf("* GenerateContentRequest.generation_config.response_mime_type: allowed mimetypes are `text/plain`, `application/json`, `application/xml`, `application/yaml` and `text/x.enum`. Got %q.\n", g.ResponseMimeType)
	}
	if g.ResponseSchema != nil && g.ResponseJSONSchema != nil {
		return "response_schema and response_json_schema cannot both be set."
	}
	if g.ResponseSchema != nil {
		if g.ResponseMimeType != "application/json" && g.ResponseMimeType != "text/x.enum" {
			return "* GenerateContentRequest.generation_config.response_schema: response_mime_type must be application/json or text/x.enum when response_schema is set.\n"
		}
		if msg := validateSchema(g.ResponseSchema, "generation_config.response_schema"); msg != "" {
			return msg
		}
	}
	return ""
}

var schemaTypes = map[string]bool{"STRING": true, "NUMBER": true, "INTEGER": true, "BOOLEAN": true, "ARRAY": true, "OBJECT": true, "NULL": true}

// validateSchema checks the OpenAPI-subset schema the way the service
// does: known types (compared case-insensitively), items on arrays,
// required names that exist.
func validateSchema(s map[string]any, path string) string {
	t, _ := s["type"].(string)
	t = strings.ToUpper(t)
	if t == "" && s["anyOf"] == nil {
		return fmt.Sprintf("* GenerateContentRequest.%s.type: must be specified\n", path)
	}
	if t != "" && !schemaTypes[t] {
		return fmt.Sprintf("* GenerateContentRequest.%s.type: unknown type %q\n", path, s["type"])
	}
	if t == "ARRAY" {
		items, ok := s["items"].(map[string]any)
		if !ok {
			return fmt.Sprintf("* GenerateContentRequest.%s.items: missing field.\n", path)
		}
		if msg := validateSchema(items, path+".items"); msg != "" {
			return msg
		}
	}
	props, _ := s["properties"].(map[string]any)
	if t == "OBJECT" {
		for name, p := range props {
			pm, ok := p.(map[string]any)
			if !ok {
				return fmt.Sprintf("* GenerateContentRequest.%s.properties[%s]: must be a schema\n", path, name)
			}
			if msg := validateSchema(pm, path+".properties["+name+"]"); msg != "" {
				return msg
			}
		}
	}
	req, _ := s["required"].([]any)
	for _, r := range req {
		name, _ := r.(string)
		if _, ok := props[name]; !ok {
			return fmt.Sprintf("* GenerateContentRequest.%s.required[%s]: property is not defined\n", path, name)
		}
	}
	return ""
}

// Wire types of the response.
type (
	generateResponse struct {
		Candidates     []candidate     `json:"candidates,omitempty"`
		PromptFeedback *promptFeedback `json:"promptFeedback,omitempty"`
		UsageMetadata  usageMetadata   `json:"usageMetadata"`
		ModelVersion   string          `json:"modelVersion"`
		ResponseID     string          `json:"responseId"`
	}
	candidate struct {
		Content       candidateContent `json:"content"`
		FinishReason  string           `json:"finishReason"`
		Index         int              `json:"index"`
		SafetyRatings []safetyRating   `json:"safetyRatings,omitempty"`
	}
	candidateContent struct {
		Role  string `json:"role"`
		Parts []part `json:"parts,omitempty"`
	}
	part struct {
		Text       string      `json:"text,omitempty"`
		InlineData *inlineData `json:"inlineData,omitempty"`
	}
	inlineData struct {
		MIMEType string `json:"mimeType"`
		Data     string `json:"data"`
	}
	promptFeedback struct {
		BlockReason   string         `json:"blockReason"`
		SafetyRatings []safetyRating `json:"safetyRatings,omitempty"`
	}
	safetyRating struct {
		Category    string `json:"category"`
		Probability string `json:"probability"`
		Blocked     bool   `json:"blocked,omitempty"`
	}
	usageMetadata struct {
		PromptTokenCount     int `json:"promptTokenCount"`
		CandidatesTokenCount int `json:"candidatesTokenCount,omitempty"`
		ThoughtsTokenCount   int `json:"thoughtsTokenCount,omitempty"`
		TotalTokenCount      int `json:"totalTokenCount"`
	}
)

// answer builds a 200 response for req, shaped by an output fault.
func (s *Server) answer(model string, req generateRequest, f Fault, rec *Request) generateResponse {
	prompt := req.userText()
	resp := generateResponse{
		ModelVersion: model,
		ResponseID:   fmt.Sprintf("fake-%06d", s.ids.Next()),
	}
	thoughts := s.opts.ThoughtsTokens
	usage := usageMetadata{PromptTokenCount: tokens(prompt) + tokens(req.systemText()), ThoughtsTokenCount: thoughts}
	finish := func(text, reason string) generateResponse {
		c := candidate{Content: candidateContent{Role: "model"}, FinishReason: reason}
		if text != "" {
			c.Content.Parts = []part{{Text: text}}
		}
		if reason == "SAFETY" {
			c.SafetyRatings = []safetyRating{{Category: "HARM_CATEGORY_DANGEROUS_CONTENT", Probability: "HIGH", Blocked: true}}
		}
		resp.Candidates = []candidate{c}
		usage.CandidatesTokenCount = tokens(text)
		usage.TotalTokenCount = usage.PromptTokenCount + usage.CandidatesTokenCount + usage.ThoughtsTokenCount
		resp.UsageMetadata = usage
		return resp
	}
	if g := req.GenerationConfig; (wantsImage(g) || wantsAudio(g)) && f.output != outputPromptBlocked {
		var parts []part
		var reason string
		if wantsImage(g) {
			parts, reason = s.imageAnswer(prompt, g, f, rec)
		} else {
			parts, reason = s.audioAnswer(prompt, g, f, rec)
		}
		resp.Candidates = []candidate{{Content: candidateContent{Role: "model", Parts: parts}, FinishReason: reason}}
		usage.CandidatesTokenCount = 1290
		usage.TotalTokenCount = usage.PromptTokenCount + usage.CandidatesTokenCount + usage.ThoughtsTokenCount
		resp.UsageMetadata = usage
		return resp
	}
	switch f.output {
	case outputBadJSON:
		return finish(`Sure! Here is your script: {"title": "Untitled", "segments": [`, "STOP")
	case outputMaxTokens:
		usage.ThoughtsTokenCount = max(thoughts, 1000)
		return finish("", "MAX_TOKENS")
	case outputSafety:
		return finish("", "SAFETY")
	case outputPromptBlocked:
		resp.PromptFeedback = &promptFeedback{BlockReason: "SAFETY", SafetyRatings: []safetyRating{{Category: "HARM_CATEGORY_HARASSMENT", Probability: "HIGH", Blocked: true}}}
		usage.TotalTokenCount = usage.PromptTokenCount
		usage.ThoughtsTokenCount = 0
		resp.UsageMetadata = usage
		return resp
	case outputText:
		return finish(f.text, "STOP")
	}

	text := modelScript(prompt, req.GenerationConfig)
	if g := req.GenerationConfig; g != nil && g.MaxOutputTokens > 0 && thoughts+tokens(text) > g.MaxOutputTokens {
		budget := g.MaxOutputTokens - thoughts
		if budget <= 0 {
			return finish("", "MAX_TOKENS")
		}
		return finish(truncateTokens(text, budget), "MAX_TOKENS")
	}
	return finish(text, "STOP")
}

// modelScript writes the answer to a script prompt: JSON in JSON mode,
// the narration as prose otherwise.
func modelScript(prompt string, g *generationCfg) string {
	sc := fakescript.Write(prompt)
	if sc == nil {
		return "Hello."
	}
	if g == nil || g.ResponseMimeType != "application/json" {
		return sc.Text()
	}
	return fakescript.JSON(sc)
}

func tokens(s string) int { return fakescript.Tokens(s) }

func truncateTokens(s string, n int) string { return fakescript.TruncateTokens(s, n) }

// Models the fake lists, besides any model a request names.
var listedModels = []string{"gemini-3.5-flash", "gemini-3.5-flash-lite", "gemini-3.8-flash"}

// models answers models.get (name set) and models.list (name "") with
// Model resources in the API's shape.
func (s *Server) models(w http.ResponseWriter, r *http.Request, rec *Request, version, name string) {
	fault := s.nextFault(name)
	rec.Fault = fault.String()
	if fault.base.Apply(w, r, droppedModel, func(code int, msg string) {
		rec.Status = writeStatus(w, code, fault.status, msg, faultDetails(fault))
	}) {
		return
	}
	if name == "" {
		list := []any{}
		for _, m := range listedModels {
			list = append(list, modelResource(m))
		}
		rec.Status = http.StatusOK
		writeJSON(w, http.StatusOK, map[string]any{"models": list})
		return
	}
	for _, rejected := range s.opts.RejectModels {
		if strings.TrimPrefix(rejected, "models/") == name {
			rec.Status = writeError(w, http.StatusNotFound, fmt.Sprintf("models/%s is not found for API version %s.", name, version), nil)
			return
		}
	}
	rec.Status = http.StatusOK
	writeJSON(w, http.StatusOK, modelResource(name))
}

// droppedModel is what a Drop fault sends on a models call.
const droppedModel = "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=UTF-8\r\nContent-Length: 512\r\n\r\n{\"name\": \"models/"

// modelResource is a Model as the API describes one.
func modelResource(name string) map[string]any {
	return map[string]any{
		"name":                       "models/" + name,
		"version":                    "001",
		"displayName":                strings.ToUpper(name[:1]) + name[1:],
		"description":                "A model of the fake Gemini API.",
		"inputTokenLimit":            1048576,
		"outputTokenLimit":           65536,
		"supportedGenerationMethods": []string{"generateContent", "countTokens"},
		"temperature":                1,
		"topP":                       0.95,
		"topK":                       64,
	}
}
