package pipeline

import (
	"context"

	"github.com/ytmaker/ytmaker/internal/limits"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/providers/gemini"
	"github.com/ytmaker/ytmaker/internal/providers/openaicompat"
	"github.com/ytmaker/ytmaker/internal/providers/stability"
)

// Picture generators (settings.providers.images, IMAGE_PROVIDER). The
// name is also each picture's image_source in the manifest.
const (
	imagesStability = project.ProviderStab
	imagesOpenAI    = project.ProviderOpenAI
	imagesGemini    = project.ProviderGemini
	imagesOffline   = project.ProviderOffline
)

// generatedSources are the image sources of generated pictures (as
// opposed to slides).
var generatedSources = map[string]bool{imagesStability: true, imagesOpenAI: true, imagesGemini: true}

// painter makes one picture for a prompt at an aspect ratio ("16:9" or
// "9:16") and writes it at outPath; a failure is a coded error.
type painter interface {
	Name() string
	Paint(ctx context.Context, prompt, aspect, outPath string) error
}

// imageProvider decides which service draws a project's pictures: the
// project's choice, else IMAGE_PROVIDER, else Stability when its key is
// set, else Gemini when its key is set (one key then gives script, voice
// and pictures), else offline slides. OpenAI-compatible pictures are used
// only when chosen: an OpenAI-compatible URL is often a chat-only server.
// A service chosen explicitly but not configured is an INVALID_INPUT
// error. Gemini pictures picked by auto fall back to slides when the key
// is refused them (see autoFallback).
func (c *Config) imageProvider(choice string) (string, error) {
	if choice == "" || choice == project.ProviderAuto {
		choice = c.ImageProvider
	}
	switch choice {
	case imagesStability:
		if c.StabilityAPIKey == "" {
			return "", missingKey("stability", "STABILITY_API_KEY")
		}
		return choice, nil
	case imagesOpenAI:
		if c.OpenAIImagesBaseURL == "" && c.OpenAIBaseURL == "" && c.OpenAIAPIKey == "" {
			return "", missingKey("openai", "OPENAI_IMAGES_BASE_URL, OPENAI_BASE_URL or OPENAI_API_KEY")
		}
		return choice, nil
	case imagesGemini:
		if c.GeminiAPIKey == "" {
			return "", missingKey("gemini", "GEMINI_API_KEY")
		}
		return choice, nil
	case imagesOffline:
		return choice, nil
	}
	switch {
	case c.StabilityAPIKey != "":
		return imagesStability, nil
	case c.GeminiAPIKey != "":
		return imagesGemini, nil
	}
	return imagesOffline, nil
}

// imageClient returns the generator of pr's pictures, nil for slides.
func (p *Pipeline) imageClient(ctx context.Context, pr *project.Project) (painter, error) {
	which, err := p.cfg.imageProvider(pr.Settings.Providers.Images)
	if err != nil {
		return nil, err
	}
	switch which {
	case imagesStability:
		c, err := stability.New(stability.Config{APIKey: p.cfg.StabilityAPIKey, BaseURL: p.cfg.StabilityBaseURL,
			HTTPClient: p.client(limits.Stability), Logger: p.log})
		if err != nil {
			return nil, err
		}
		return stabilityPainter{c}, nil
	case imagesOpenAI:
		base := p.cfg.OpenAIImagesBaseURL
		if base == "" {
			base = p.cfg.OpenAIBaseURL
		}
		return openAIPainter{openaicompat.NewPainter(openaicompat.PainterConfig{BaseURL: base, APIKey: p.cfg.OpenAIAPIKey,
			Model: p.cfg.OpenAIImageModel, HTTPClient: p.client(limits.OpenAI), Logger: p.log})}, nil
	case imagesGemini:
		c, err := gemini.NewPainter(ctx, gemini.Config{APIKey: p.cfg.GeminiAPIKey, BaseURL: p.cfg.GeminiBaseURL,
			Model: p.cfg.GeminiImageModel, HTTPClient: p.client(limits.Gemini), Logger: p.log})
		if err != nil {
			return nil, err
		}
		return geminiPainter{c}, nil
	}
	return nil, nil
}

// stabilityPainter asks Stability's core model for a cinematic PNG.
type stabilityPainter struct{ c *stability.Client }

func (stabilityPainter) Name() string { return imagesStability }

func (s stabilityPainter) Paint(ctx context.Context, prompt, aspect, out string) error {
	_, err := s.c.Generate(ctx, stability.Request{Prompt: prompt, AspectRatio: aspect, StylePreset: "cinematic", OutPath: out})
	return err
}

// openAIPainter asks /v1/images/generations.
type openAIPainter struct{ c *openaicompat.Painter }

func (openAIPainter) Name() string { return imagesOpenAI }

func (o openAIPainter) Paint(ctx context.Context, prompt, aspect, out string) error {
	_, err := o.c.Paint(ctx, prompt, aspect, out)
	return err
}

// geminiPainter asks a Gemini image model.
type geminiPainter struct{ c *gemini.Painter }

func (geminiPainter) Name() string { return imagesGemini }

func (g geminiPainter) Paint(ctx context.Context, prompt, aspect, out string) error {
	_, err := g.c.Paint(ctx, prompt, aspect, out)
	return err
}
