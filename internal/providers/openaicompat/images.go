package openaicompat

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/openai/openai-go/v3"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/atomicfile"
	"github.com/ytmaker/ytmaker/internal/media/picture"
)

// Defaults for PainterConfig. gpt-image-1 was shut down on 2026-10-23 and
// dall-e-2/3 on 2026-05-12; the model is a setting (OPENAI_IMAGE_MODEL).
const (
	DefaultImageModel   = "gpt-image-2"
	DefaultImageTimeout = 3 * time.Minute
	// ImageEngine names the generator in manifests and checkpoints.
	ImageEngine = "openai-images"
	// MaxImagePrompt is the longest prompt the endpoint takes.
	MaxImagePrompt = 32000
)

// CodeBadImage is an answer without a usable picture.
const CodeBadImage = "OPENAI_BAD_IMAGE"

// PainterConfig configures a Painter.
type PainterConfig struct {
	// BaseURL of the API, /v1 included; "" means DefaultBaseURL.
	BaseURL    string
	APIKey     string // "" sends no Authorization header; never logged
	Model      string // "" means DefaultImageModel
	HTTPClient *http.Client
	Timeout    time.Duration // per call; 0 means DefaultImageTimeout
	Logger     *slog.Logger
}

// Painter makes pictures with /v1/images/generations. It is safe for
// concurrent use.
type Painter struct {
	client  openai.Client
	model   string
	key     string
	timeout time.Duration
	log     *slog.Logger
}

// NewPainter returns a Painter for cfg. It makes no call.
func NewPainter(cfg PainterConfig) *Painter {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Model == "" {
		cfg.Model = DefaultImageModel
	}
	return &Painter{client: newClient(cfg.BaseURL, cfg.APIKey, cfg.HTTPClient), model: cfg.Model,
		key: cfg.APIKey, timeout: timeoutOr(cfg.Timeout, DefaultImageTimeout), log: log}
}

// Model returns the model the Painter asks for.
func (p *Painter) Model() string { return p.model }

// ImageSize is the size asked for a picture of aspect ratio ar: the
// standard sizes every GPT image model takes, landscape for wide ratios,
// portrait for tall ones, square otherwise.
func ImageSize(ar string) openai.ImageGenerateParamsSize {
	ws, hs, _ := strings.Cut(ar, ":")
	w, errW := strconv.Atoi(ws)
	h, errH := strconv.Atoi(hs)
	switch {
	case errW != nil || errH != nil:
	case w > h:
		return openai.ImageGenerateParamsSize1536x1024
	case h > w:
		return openai.ImageGenerateParamsSize1024x1536
	}
	return openai.ImageGenerateParamsSize1024x1024
}

// Paint makes one picture for prompt at aspect ratio ar ("16:9", "9:16",
// "1:1") and writes it as PNG at outPath, atomically. The answer's
// b64_json is decoded and checked (a complete PNG, JPEG or WebP of a
// plausible size); an answer without one is a retryable OPENAI_BAD_IMAGE.
// API failures are coded as for chat (OPENAI_RATE_LIMITED with its
// Retry-After, OPENAI_AUTH_FAILED, OPENAI_MODEL_NOT_FOUND,
// OPENAI_BAD_REQUEST, ...).
func (p *Painter) Paint(ctx context.Context, prompt, ar, outPath string) (picture.Info, error) {
	prompt = strings.TrimSpace(prompt)
	switch n := utf8.RuneCountInString(prompt); {
	case n == 0 || outPath == "":
		return picture.Info{}, errcode.New(errcode.InvalidInput, "images: no prompt or no output path", false)
	case n > MaxImagePrompt:
		return picture.Info{}, errcode.Newf(errcode.InvalidInput, false, "images: the prompt has %d characters, at most %d allowed", n, MaxImagePrompt)
	}
	size := ImageSize(ar)
	cctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	start := time.Now()
	resp, err := p.client.Images.Generate(cctx, openai.ImageGenerateParams{
		Model:        p.model,
		Prompt:       prompt,
		N:            openai.Int(1),
		Size:         size,
		OutputFormat: openai.ImageGenerateParamsOutputFormatPNG,
	})
	if err != nil {
		if ctx.Err() != nil {
			return picture.Info{}, errcode.Classify(ctx.Err())
		}
		e := classify(err, p.key, "images")
		p.log.WarnContext(ctx, "image generation failed", "model", p.model, "size", size, "code", e.Code, "elapsed", time.Since(start))
		return picture.Info{}, e
	}
	if len(resp.Data) == 0 || resp.Data[0].B64JSON == "" {
		return picture.Info{}, errcode.New(CodeBadImage, "images: the answer holds no b64_json image", true)
	}
	raw, err := base64.StdEncoding.DecodeString(resp.Data[0].B64JSON)
	if err != nil {
		return picture.Info{}, errcode.New(CodeBadImage, "images: b64_json is not valid base64", true)
	}
	data, info, err := picture.AsPNG(raw)
	if err != nil {
		return picture.Info{}, errcode.New(CodeBadImage, "images: "+err.Error(), true)
	}
	if err := atomicfile.WriteFile(outPath, data, 0o644); err != nil {
		if e := errcode.Classify(err); e.Code == errcode.DiskFull {
			return picture.Info{}, e
		}
		return picture.Info{}, errcode.Wrap(err, errcode.FileSystemError, false, "write image: "+err.Error())
	}
	p.log.DebugContext(ctx, "image written", "model", p.model, "size", size, "format", info.Format,
		"width", info.Width, "height", info.Height, "elapsed", time.Since(start))
	return info, nil
}
