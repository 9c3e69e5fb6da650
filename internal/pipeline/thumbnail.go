package pipeline

import (
	"context"
	"fmt"

	"github.com/ytmaker/ytmaker/internal/media/thumbnail"
	"github.com/ytmaker/ytmaker/internal/script"
	"github.com/ytmaker/ytmaker/internal/stage"
)

// ThumbnailResult is generate_thumbnail_task's result.
type ThumbnailResult struct {
	ThumbnailPath string `json:"thumbnail_path"`
	Width         int    `json:"width"`
	Height        int    `json:"height"`
	Bytes         int    `json:"size_bytes"`
	Title         string `json:"title"`
	Hook          string `json:"hook"`
}

func (p *Pipeline) runThumbnail(ctx context.Context, job stage.Job) (any, error) {
	pr, err := p.load(job)
	if err != nil {
		return nil, err
	}
	fs, err := p.fontSet()
	if err != nil {
		return nil, err
	}
	sc, _ := script.Load(abs(job, scriptFile))
	title := metadata(pr, sc).Title
	lang := pr.Language
	if sc != nil && sc.Language != "" {
		lang = sc.Language
	}
	// The strongest generated picture of the video. Offline slides carry
	// text of their own, so with only slides the hook goes on the theme's
	// background beside the video's illustration instead.
	var pictures []string
	if man, err := loadManifest(job); err == nil {
		for _, s := range man.Segments {
			if generatedSources[s.ImageSource] && fileExists(abs(job, s.Image)) {
				pictures = append(pictures, abs(job, s.Image))
			}
		}
	}
	img := thumbnail.Strongest(pictures)
	br, err := p.brandOf(pr)
	if err != nil {
		return nil, err
	}
	theme := themeOf(pr, br, title)
	job.Progress(20, "Drawing the thumbnail...")
	r, err := thumbnail.Generate(ctx, fs, thumbnail.Spec{Image: img, Title: title, Language: lang, Theme: theme, Text: pr.Content,
		OutPath: abs(job, thumbnailFile), Seed: fmt.Sprintf("%d:%s", pr.ID, pr.Name)})
	if err != nil {
		return nil, err
	}
	job.Progress(100, fmt.Sprintf("Thumbnail ready (%dx%d, %d KB)", r.Width, r.Height, r.Bytes/1024))
	return ThumbnailResult{ThumbnailPath: r.Path, Width: r.Width, Height: r.Height, Bytes: r.Bytes, Title: title, Hook: r.Hook}, nil
}
