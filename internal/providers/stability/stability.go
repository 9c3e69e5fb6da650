// Package stability generates images with Stability AI's v2beta Stable
// Image API (core, ultra or sd3).
//
// Each Generate call makes exactly one request and returns precise coded
// errors; retrying is the task system's job. An image the service blurred
// by its content filter (HTTP 200 with finish-reason CONTENT_FILTERED) is
// a failure, STABILITY_CONTENT_FILTERED, and is never written.
package stability

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	_ "image/jpeg" // decoders for verifying answers
	_ "image/png"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	_ "golang.org/x/image/webp"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/atomicfile"
)

// Defaults and limits.
const (
	DefaultBaseURL     = "https://api.stability.ai"
	DefaultModel       = "core"
	DefaultAspectRatio = "16:9"
	DefaultTimeout     = 90 * time.Second
	MaxPromptRunes     = 10000
	MaxSeed            = 4294967294
	// RateLimitPause is how long Stability locks out a client that sent
	// too many requests; used as RetryAfter when a 429 carries none.
	RateLimitPause = 60 * time.Second
	maxImageBytes  = 64 << 20
)

// Codes specific to Stability, beyond those errcode.HTTP derives
// (STABILITY_RATE_LIMITED, STABILITY_SERVER_ERROR, STABILITY_UNAVAILABLE,
// STABILITY_TIMEOUT, STABILITY_AUTH_FAILED, STABILITY_NOT_FOUND,
// STABILITY_BAD_REQUEST).
const (
	CodeNotConfigured       = "STABILITY_NOT_CONFIGURED"
	CodeInvalidRequest      = "STABILITY_INVALID_REQUEST" // refused before sending
	CodeContentFiltered     = "STABILITY_CONTENT_FILTERED"
	CodeContentModerated    = "STABILITY_CONTENT_MODERATED"
	CodeInsufficientCredits = "STABILITY_INSUFFICIENT_CREDITS"
	CodePayloadTooLarge     = "STABILITY_PAYLOAD_TOO_LARGE"
	CodeUnprocessable       = "STABILITY_UNPROCESSABLE"
	CodeAuthFailed          = "STABILITY_AUTH_FAILED"
	CodeTimeout             = "STABILITY_TIMEOUT"
	CodeNetworkError        = "STABILITY_NETWORK_ERROR"
	CodeBadResponse         = "STABILITY_BAD_RESPONSE"
)

// aspectRatios lists the ratios the API accepts.
var aspectRatios = []string{"16:9", "1:1", "21:9", "2:3", "3:2", "4:5", "5:4", "9:16", "9:21"}

// stylePresets lists the style presets core and ultra accept.
var stylePresets = []string{"3d-model", "analog-film", "anime", "cinematic", "comic-book", "digital-art",
	"enhance", "fantasy-art", "isometric", "line-art", "low-poly", "modeling-compound", "neon-punk",
	"origami", "photographic", "pixel-art", "tile-texture"}

// Config configures a Client.
type Config struct {
	APIKey  string // required; never logged
	BaseURL string // "" means DefaultBaseURL
	// Model is the generation endpoint: "core" (default), "ultra" or
	// "sd3".
	Model string
	// SD3Model picks the sd3 variant ("sd3.5-large", "sd3.5-medium", ...);
	// "" leaves the service's default. Ignored for core and ultra.
	SD3Model   string
	HTTPClient *http.Client // nil means http.DefaultClient
	// Timeout bounds each call; 0 means DefaultTimeout. A shorter context
	// deadline wins.
	Timeout  time.Duration
	ClientID string       // optional stability-client-id header
	Logger   *slog.Logger // nil discards
}

// Request describes one image.
type Request struct {
	Prompt         string // required, English, at most 10000 characters
	NegativePrompt string
	AspectRatio    string // 16:9, 1:1, 21:9, 2:3, 3:2, 4:5, 5:4, 9:16 or 9:21; "" means DefaultAspectRatio
	Seed           uint32 // 0 lets the service pick
	StylePreset    string // cinematic, photographic, digital-art, ...; ignored by sd3
	OutputFormat   string // "png" (default), "jpeg" or "webp" (not for sd3)
	OutPath        string // where the image is written, atomically
}

// Result describes a written image.
type Result struct {
	Path   string
	Format string // "png", "jpeg" or "webp", as decoded
	Width  int
	Height int
	Seed   uint32 // the seed the service used
	Bytes  int
}

// Client calls the Stability API. It is safe for concurrent use.
type Client struct {
	cfg Config
	log *slog.Logger
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.APIKey == "" {
		return nil, errcode.New(CodeNotConfigured, "Stability API key is not set", false)
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.Model == "" {
		cfg.Model = DefaultModel
	}
	switch cfg.Model {
	case "core", "ultra", "sd3":
	default:
		return nil, errcode.Newf(CodeNotConfigured, false, "unknown Stability model %q (want core, ultra or sd3)", cfg.Model)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, log: log}, nil
}

// Generate creates one image and writes it to req.OutPath.
func (c *Client) Generate(ctx context.Context, req Request) (Result, error) {
	if err := c.normalize(&req); err != nil {
		return Result{}, err
	}
	body, contentType, err := c.form(req)
	if err != nil {
		return Result{}, errcode.Wrap(err, errcode.Internal, false, "build Stability request: "+err.Error())
	}
	if c.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.Timeout)
		defer cancel()
	}
	url := c.cfg.BaseURL + "/v2beta/stable-image/generate/" + c.cfg.Model
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return Result{}, errcode.New(CodeNotConfigured, "bad Stability base URL: "+err.Error(), false)
	}
	hreq.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	hreq.Header.Set("Accept", "image/*")
	hreq.Header.Set("Content-Type", contentType)
	if c.cfg.ClientID != "" {
		hreq.Header.Set("Stability-Client-Id", c.cfg.ClientID)
	}

	start := time.Now()
	resp, err := c.cfg.HTTPClient.Do(hreq)
	if err != nil {
		return Result{}, c.transportError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e := c.statusError(resp)
		c.log.WarnContext(ctx, "stability request failed", "model", c.cfg.Model, "status", resp.StatusCode,
			"code", e.Code, "elapsed", time.Since(start))
		return Result{}, e
	}
	data, finish, seed, err := readImage(resp)
	if err != nil {
		return Result{}, err
	}
	switch finish {
	case "", "SUCCESS":
	case "CONTENT_FILTERED":
		c.log.WarnContext(ctx, "stability filtered the image", "model", c.cfg.Model, "seed", seed)
		return Result{}, errcode.New(CodeContentFiltered,
			"Stability's content filter blurred the image; change the prompt", false).
			WithDetail("finish_reason", finish).WithDetail("seed", seed)
	default:
		return Result{}, errcode.Newf(CodeBadResponse, true, "Stability finished with %q", finish).
			WithDetail("finish_reason", finish)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return Result{}, errcode.Wrap(err, CodeBadResponse, true, "Stability returned an undecodable image: "+err.Error())
	}
	if err := atomicfile.WriteFile(req.OutPath, data, 0o644); err != nil {
		return Result{}, fileError(err)
	}
	c.log.InfoContext(ctx, "stability image written", "model", c.cfg.Model, "path", req.OutPath,
		"width", cfg.Width, "height", cfg.Height, "seed", seed, "elapsed", time.Since(start))
	return Result{Path: req.OutPath, Format: format, Width: cfg.Width, Height: cfg.Height, Seed: seed, Bytes: len(data)}, nil
}

// normalize fills defaults and rejects requests the API would refuse.
func (c *Client) normalize(req *Request) error {
	invalid := func(format string, args ...any) error {
		return errcode.Newf(CodeInvalidRequest, false, format, args...)
	}
	req.Prompt = strings.TrimSpace(req.Prompt)
	switch n := utf8.RuneCountInString(req.Prompt); {
	case n == 0:
		return invalid("image prompt is empty")
	case n > MaxPromptRunes:
		return invalid("image prompt has %d characters, at most %d allowed", n, MaxPromptRunes)
	}
	if n := utf8.RuneCountInString(req.NegativePrompt); n > MaxPromptRunes {
		return invalid("negative prompt has %d characters, at most %d allowed", n, MaxPromptRunes)
	}
	if req.AspectRatio == "" {
		req.AspectRatio = DefaultAspectRatio
	}
	if !oneOf(req.AspectRatio, aspectRatios) {
		return invalid("aspect ratio %q is not one of %s", req.AspectRatio, strings.Join(aspectRatios, ", "))
	}
	if req.Seed > MaxSeed {
		return invalid("seed %d is above %d", req.Seed, uint32(MaxSeed))
	}
	if req.StylePreset != "" && !oneOf(req.StylePreset, stylePresets) {
		return invalid("style preset %q is unknown", req.StylePreset)
	}
	if req.OutputFormat == "" {
		req.OutputFormat = "png"
	}
	formats := []string{"png", "jpeg", "webp"}
	if c.cfg.Model == "sd3" {
		formats = formats[:2]
	}
	if !oneOf(req.OutputFormat, formats) {
		return invalid("output format %q is not supported by %s", req.OutputFormat, c.cfg.Model)
	}
	if req.OutPath == "" {
		return invalid("no output path")
	}
	return nil
}

// form encodes req as multipart/form-data, which the API requires even
// without files.
func (c *Client) form(req Request) ([]byte, string, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fields := [][2]string{
		{"prompt", req.Prompt},
		{"aspect_ratio", req.AspectRatio},
		{"output_format", req.OutputFormat},
	}
	if req.NegativePrompt != "" {
		fields = append(fields, [2]string{"negative_prompt", req.NegativePrompt})
	}
	if req.Seed != 0 {
		fields = append(fields, [2]string{"seed", strconv.FormatUint(uint64(req.Seed), 10)})
	}
	if req.StylePreset != "" && c.cfg.Model != "sd3" {
		fields = append(fields, [2]string{"style_preset", req.StylePreset})
	}
	if c.cfg.Model == "sd3" && c.cfg.SD3Model != "" {
		fields = append(fields, [2]string{"model", c.cfg.SD3Model})
	}
	for _, f := range fields {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			return nil, "", err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), mw.FormDataContentType(), nil
}

// readImage reads a 200 answer: raw image bytes with finish-reason and
// seed headers, or the JSON form with a base64 image.
func readImage(resp *http.Response) (data []byte, finish string, seed uint32, err error) {
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxImageBytes+1))
	if err != nil {
		return nil, "", 0, transportError(err)
	}
	if len(raw) > maxImageBytes {
		return nil, "", 0, errcode.New(CodeBadResponse, "Stability answer is larger than 64 MiB", true)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt == "application/json" {
		var j struct {
			Image        string `json:"image"`
			FinishReason string `json:"finish_reason"`
			Seed         uint32 `json:"seed"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, "", 0, errcode.Wrap(err, CodeBadResponse, true, "Stability JSON answer is malformed: "+err.Error())
		}
		data, err := base64.StdEncoding.DecodeString(j.Image)
		if err != nil {
			return nil, "", 0, errcode.Wrap(err, CodeBadResponse, true, "Stability image is not valid base64")
		}
		return data, j.FinishReason, j.Seed, nil
	}
	s, _ := strconv.ParseUint(resp.Header.Get("Seed"), 10, 32)
	return raw, strings.ToUpper(strings.TrimSpace(resp.Header.Get("Finish-Reason"))), uint32(s), nil
}

// apiError is the API's error body.
type apiError struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Errors  []string `json:"errors"`
	Message string   `json:"message"` // v1 form
}

// statusError maps a non-200 answer to a coded error.
func (c *Client) statusError(resp *http.Response) *errcode.Error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var ae apiError
	msg := ""
	if json.Unmarshal(raw, &ae) == nil && (ae.Name != "" || len(ae.Errors) > 0 || ae.Message != "") {
		parts := ae.Errors
		if ae.Message != "" {
			parts = append(parts, ae.Message)
		}
		msg = strings.TrimSpace(ae.Name + ": " + strings.Join(parts, "; "))
	} else if t := strings.TrimSpace(string(raw)); t != "" {
		msg = cutRunes(t, 300)
	}
	msg = redact(msg, c.cfg.APIKey)
	if msg != "" {
		msg = "Stability: " + msg
	}
	e := errcode.HTTP("STABILITY", resp.StatusCode, resp.Header, msg)
	switch resp.StatusCode {
	case http.StatusPaymentRequired:
		e.Code = CodeInsufficientCredits
		e.Retryable = false
	case http.StatusForbidden:
		if ae.Name == "content_moderation" || strings.Contains(strings.ToLower(msg), "moderation") {
			e.Code = CodeContentModerated
		}
	case http.StatusRequestEntityTooLarge:
		e.Code = CodePayloadTooLarge
		e.Retryable = false
	case http.StatusUnprocessableEntity:
		e.Code = CodeUnprocessable
		e.Retryable = false
	case http.StatusTooManyRequests:
		if e.RetryAfter == 0 {
			e.WithRetryAfter(RateLimitPause)
		}
	}
	if ae.ID != "" {
		e.WithDetail("request_id", ae.ID)
	}
	if ae.Name != "" {
		e.WithDetail("name", ae.Name)
	}
	return e
}

func (c *Client) transportError(err error) *errcode.Error {
	e := transportError(err)
	e.Message = redact(e.Message, c.cfg.APIKey)
	return e
}

// transportError codes a failure to reach the API or read its answer.
func transportError(err error) *errcode.Error {
	c := errcode.Classify(err)
	switch c.Code {
	case errcode.Cancelled:
		return c
	case errcode.Timeout:
		return errcode.New(CodeTimeout, "Stability call timed out: "+err.Error(), true).WithCause(err)
	}
	return errcode.New(CodeNetworkError, "Stability connection failed: "+err.Error(), true).WithCause(err)
}

// fileError codes a failure to write the image.
func fileError(err error) *errcode.Error {
	c := errcode.Classify(err)
	if c.Code == errcode.DiskFull {
		return c
	}
	return errcode.Wrap(err, errcode.FileSystemError, false, "write image: "+err.Error())
}

func oneOf(s string, list []string) bool {
	for _, x := range list {
		if s == x {
			return true
		}
	}
	return false
}

func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

func redact(msg, key string) string {
	if key == "" {
		return msg
	}
	return strings.ReplaceAll(msg, key, "[REDACTED]")
}
