package render_test

import (
	"context"
	"fmt"
	"log"
	"path/filepath"

	"github.com/ytmaker/ytmaker/internal/media/ffmpeg"
	"github.com/ytmaker/ytmaker/internal/media/fonts"
	"github.com/ytmaker/ytmaker/internal/media/render"
	"github.com/ytmaker/ytmaker/internal/media/slides"
	"github.com/ytmaker/ytmaker/internal/media/subtitles"
	"github.com/ytmaker/ytmaker/internal/media/thumbnail"
	"github.com/ytmaker/ytmaker/internal/media/tts"
)

// Example shows the media layer end to end: narration sentence by
// sentence, cues from its timings, a slide per segment, the video and the
// thumbnail.
func Example() {
	ctx := context.Background()
	project := "data/projects/42"
	texts := []string{"First segment. It has two sentences.", "Second segment."}

	ff, err := ffmpeg.New(ffmpeg.Config{})
	if err != nil {
		log.Fatal(err)
	}
	fs, err := fonts.Load(fonts.Config{}) // once per process
	if err != nil {
		log.Fatal(err)
	}
	defer fs.Close()
	voice, err := tts.NewOffline(tts.OfflineConfig{})
	if err != nil {
		log.Fatal(err)
	}

	const w, h = 1920, 1080
	var segs []render.Segment
	for i, text := range texts {
		audio := filepath.Join(project, "audio", fmt.Sprintf("segment_%02d.wav", i+1))
		n, err := tts.Narrate(ctx, voice, tts.Request{Text: text, Language: "en", OutPath: audio}, tts.NarrateOptions{})
		if err != nil {
			log.Fatal(err)
		}
		var sentences []subtitles.Sentence
		for _, s := range n.Sentences {
			sentences = append(sentences, subtitles.Sentence{Text: s.Text, Start: s.Start, End: s.End})
		}
		cues := subtitles.Build(sentences, subtitles.Options{Language: "en", MaxColumns: subtitles.ColumnsFor(w, h, "en")})

		image := filepath.Join(project, "images", fmt.Sprintf("segment_%02d.png", i+1))
		if _, err := slides.Draw(fs, slides.Spec{Text: slides.KeySentence(text, "en", 0), Title: "My video",
			Footer: fmt.Sprintf("%d / %d", i+1, len(texts)), Width: w, Height: h, Seed: project}, image); err != nil {
			log.Fatal(err)
		}
		segs = append(segs, render.Segment{Image: image, Audio: audio, Cues: cues})
	}

	res, err := render.Render(ctx, render.Spec{
		Width: w, Height: h, Segments: segs, Subtitles: true, Language: "en",
		OutPath: filepath.Join(project, "output", "final_video.mp4"),
		SRTPath: filepath.Join(project, "output", "final_video.srt"),
	}, render.Options{FFmpeg: ff, OnProgress: func(p render.Progress) {
		fmt.Printf("%.0f%% (%s left)\n", 100*p.Fraction, p.ETA)
	}})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := thumbnail.Generate(ctx, fs, thumbnail.Spec{Image: segs[0].Image, Title: "My video",
		OutPath: filepath.Join(project, "output", "thumbnail.jpg")}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Duration)
}
