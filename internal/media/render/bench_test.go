package render

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// benchmarkRender renders the benchmark video: 12 segments of 5 s (60 s),
// 1080p, three subtitle cues per segment, with render (Render or
// RenderFilterGraph) and the given motion. Inputs are made before the
// timer starts. It reports the speed as a multiple of real time.
func benchmarkRender(b *testing.B, motion Motion, slow bool) {
	ff := needTools(b)
	fs := loadFonts(b)
	dir := b.TempDir()
	segs := makeSegments(b, fs, dir, 12, 1920, 1080, 5*time.Second, "en", true)
	spec := Spec{Width: 1920, Height: 1080, Segments: segs, Subtitles: true, Motion: motion,
		OutPath: filepath.Join(dir, "output", "final_video.mp4")}
	fn := Render
	if slow {
		fn = RenderFilterGraph
	}
	b.ResetTimer()
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		res, err := fn(context.Background(), spec, Options{FFmpeg: ff})
		if err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		if res.Duration != 60*time.Second {
			b.Fatalf("rendered %v", res.Duration)
		}
	}
	b.ReportMetric(60/(elapsed.Seconds()/float64(b.N)), "x_realtime")
}

// BenchmarkRenderStills is the 60 s, 12-segment 1080p video with
// subtitles and no motion, rendered by Render.
func BenchmarkRenderStills(b *testing.B) { benchmarkRender(b, MotionNone, false) }

// BenchmarkRenderFilterGraph renders the same video with the
// straightforward single filter graph command (the baseline).
func BenchmarkRenderFilterGraph(b *testing.B) { benchmarkRender(b, MotionNone, true) }

// BenchmarkRenderKenBurns renders the same video with Ken Burns motion.
func BenchmarkRenderKenBurns(b *testing.B) { benchmarkRender(b, MotionKenBurns, false) }
