package gemini

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"google.golang.org/genai"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/atomicfile"
	"github.com/ytmaker/ytmaker/internal/media/picture"
)

// Image generation goes through generateContent with a Gemini image
// model: the Imagen models (and genai's GenerateImages, which refuses the
// Gemini API backend) were shut down on 2026-08-17.
const (
	// DefaultImageModel is the GA successor of Imagen fast and standard.
	DefaultImageModel = "gemini-3.1-flash-image"
	// ImageSize is the size class asked for: 2K is 2752x1536 at 16:9,
	// enough for a 1080p frame without upscaling.
	ImageSize = "2K"
	// ImageEngine names the generator in manifests and checkpoints.
	ImageEngine = "gemini-images"
)

// CodeNoImage is an answer without a picture: the model declined or
// answered in text only.
const CodeNoImage = "GEMINI_NO_IMAGE"

// imageRatios are the aspect ratios the image models take.
var imageRatios = []string{"1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"}

// Painter makes pictures with a Gemini image model. It is safe for
// concurrent use.
type Painter struct {
	client *genai.Client
	model  string
	apiKey string
	log    *slog.Logger
}

// NewPainter returns a Painter for cfg; cfg.Model "" means
// DefaultImageModel. It makes no call.
func NewPainter(ctx context.Context, cfg Config) (*Painter, error) {
	if cfg.Model == "" {
		cfg.Model = DefaultImageModel
	}
	client, log, err := newClient(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &Painter{client: client, model: cfg.Model, apiKey: cfg.APIKey, log: log}, nil
}

// Model returns the model the Painter calls.
func (p *Painter) Model() string { return p.model }

// Paint makes one picture for prompt at aspect ratio ar ("16:9", "9:16",
// ...; "" means 16:9) and writes it as PNG at outPath, atomically. The
// answer's parts are searched for the inline image, which is checked (a
// complete PNG, JPEG or WebP of a plausible size). A blocked prompt or
// picture is a GEMINI_BLOCKED error, an answer without a picture a
// retryable GEMINI_NO_IMAGE, a damaged one a retryable GEMINI_BAD_RESPONSE;
// API failures are coded as for scripts.
func (p *Painter) Paint(ctx context.Context, prompt, ar, outPath string) (picture.Info, error) {
	prompt = strings.TrimSpace(prompt)
	if prompt == "" || outPath == "" {
		return picture.Info{}, errcode.New(errcode.InvalidInput, "Gemini image: no prompt or no output path", false)
	}
	if ar == "" {
		ar = "16:9"
	}
	if !oneOf(ar, imageRatios) {
		return picture.Info{}, errcode.Newf(errcode.InvalidInput, false, "Gemini image: aspect ratio %q is not one of %s", ar, strings.Join(imageRatios, ", "))
	}
	start := time.Now()
	hold := &retryAfterHolder{}
	resp, err := p.client.Models.GenerateContent(context.WithValue(ctx, retryAfterKey{}, hold), p.model, genai.Text(prompt),
		&genai.GenerateContentConfig{
			ResponseModalities: []string{"TEXT", "IMAGE"},
			ImageConfig:        &genai.ImageConfig{AspectRatio: ar, ImageSize: ImageSize},
		})
	if err != nil {
		if ctx.Err() != nil {
			return picture.Info{}, errcode.Classify(ctx.Err())
		}
		e := classify(err, p.apiKey)
		if d := errcode.ParseRetryAfter(hold.get(), time.Now()); d > 0 && e.Retryable && e.RetryAfter == 0 {
			e.WithRetryAfter(d)
		}
		p.log.WarnContext(ctx, "gemini image failed", "model", p.model, "code", e.Code, "elapsed", time.Since(start))
		return picture.Info{}, e
	}
	raw, err := inlineImage(resp)
	if err != nil {
		return picture.Info{}, err
	}
	data, info, err := picture.AsPNG(raw)
	if err != nil {
		return picture.Info{}, errcode.New(CodeBadResponse, "Gemini image: "+err.Error(), true)
	}
	if err := atomicfile.WriteFile(outPath, data, 0o644); err != nil {
		if e := errcode.Classify(err); e.Code == errcode.DiskFull {
			return picture.Info{}, e
		}
		return picture.Info{}, errcode.Wrap(err, errcode.FileSystemError, false, "write image: "+err.Error())
	}
	p.log.DebugContext(ctx, "gemini image written", "model", p.model, "aspect_ratio", ar, "format", info.Format,
		"width", info.Width, "height", info.Height, "elapsed", time.Since(start))
	return info, nil
}

// inlineImage returns the first picture among the answer's parts, which
// mix text and inline data.
func inlineImage(resp *genai.GenerateContentResponse) ([]byte, error) {
	if pf := resp.PromptFeedback; pf != nil && pf.BlockReason != "" {
		return nil, errcode.Newf(CodeBlocked, false, "Gemini blocked the image prompt (%s)", pf.BlockReason).
			WithDetail("block_reason", string(pf.BlockReason))
	}
	if len(resp.Candidates) == 0 || resp.Candidates[0] == nil {
		return nil, errcode.New(CodeNoImage, "Gemini returned no candidates for the image", true)
	}
	cand := resp.Candidates[0]
	if cand.Content != nil {
		for _, part := range cand.Content.Parts {
			if part != nil && part.InlineData != nil && strings.HasPrefix(part.InlineData.MIMEType, "image/") && !part.Thought {
				return part.InlineData.Data, nil
			}
		}
	}
	if blockReasons[cand.FinishReason] {
		return nil, errcode.Newf(CodeBlocked, false, "Gemini withheld the image (finish reason %s)", cand.FinishReason).
			WithDetail("finish_reason", string(cand.FinishReason))
	}
	msg := "Gemini answered without an image"
	if t := candidateText(cand); t != "" {
		msg += ": " + cutText(t, 200)
	}
	return nil, errcode.New(CodeNoImage, msg, true).WithDetail("finish_reason", string(cand.FinishReason))
}

func oneOf(s string, list []string) bool {
	for _, x := range list {
		if s == x {
			return true
		}
	}
	return false
}

func cutText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
