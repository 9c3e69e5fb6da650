package render

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// benchmarkRender renders the benchmark video: 12 segments of 5 s (60 s),
// 1080p, three subtitle cues per segment, with render (Render or
// RenderFilterGraph) and the given motion. Inputs are made before the
// timer starts. It reports the speed as a multiple of real time.
func benchmarkRender(b *testing.B, motion Motion, slow bool) {
	benchmarkRenderWith(b, motion, slow, Options{})
}

func benchmarkRenderWith(b *testing.B, motion Motion, slow bool, opts Options) {
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
	cpu := startCPU()
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		opts.FFmpeg = ff
		res, err := fn(context.Background(), spec, opts)
		if err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		if res.Duration != 60*time.Second {
			b.Fatalf("rendered %v", res.Duration)
		}
	}
	b.ReportMetric(60/(elapsed.Seconds()/float64(b.N)), "x_realtime")
	cpu.report(b, 60)
}

// cpuStart is the CPU time used before a benchmark loop.
type cpuStart struct{ children, self time.Duration }

func startCPU() cpuStart { return cpuStart{childCPU(), selfCPU()} }

// report reports the CPU time per iteration of the ffmpeg processes and of
// this process together (cpu_s), of this process alone (go_cpu_s: the
// splicing, which synthesises the motion pictures, and the loudness
// measurement), and the speed two otherwise idle cores would reach for a
// video of seconds if the work spread over both (x_realtime_2cores). On a
// shared machine wall time depends on the neighbours, CPU time much less.
func (c cpuStart) report(b *testing.B, seconds float64) {
	n := float64(b.N)
	self := (selfCPU() - c.self).Seconds() / n
	cpu := (childCPU()-c.children).Seconds()/n + self
	b.ReportMetric(self, "go_cpu_s")
	b.ReportMetric(cpu, "cpu_s")
	b.ReportMetric(seconds/(cpu/2), "x_realtime_2cores")
}

// BenchmarkRenderStills is the 60 s, 12-segment 1080p video with
// subtitles and no motion, rendered by Render.
func BenchmarkRenderStills(b *testing.B) { benchmarkRender(b, MotionNone, false) }

// BenchmarkRenderFilterGraph renders the same video with the
// straightforward single filter graph command (the baseline).
func BenchmarkRenderFilterGraph(b *testing.B) { benchmarkRender(b, MotionNone, true) }

// BenchmarkRenderKenBurns renders the same video with Ken Burns motion.
func BenchmarkRenderKenBurns(b *testing.B) { benchmarkRender(b, MotionKenBurns, false) }

// BenchmarkRenderKenBurnsPrevious renders it as the renderer did before
// synthesised motion: x264 encodes every frame.
func BenchmarkRenderKenBurnsPrevious(b *testing.B) {
	benchmarkRenderWith(b, MotionKenBurns, false, Options{everyFrame: true})
}

// BenchmarkRenderZoompan renders it with a plain ffmpeg command: one
// filter graph that zooms every still with zoompan, concatenates, burns
// the subtitles in and encodes every frame.
func BenchmarkRenderZoompan(b *testing.B) { benchmarkRender(b, MotionKenBurns, true) }

// selfCPU is the user and system time of this process.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// childCPU is the user and system time of the finished child processes.
func childCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRender10Minutes renders a 10-minute video of 80 segments
// (7.5 s each), 1080p, with subtitles and no motion, and reports its
// speed and the peak memory of the process and of the largest child.
func BenchmarkRender10Minutes(b *testing.B) {
	ff := needTools(b)
	fs := loadFonts(b)
	dir := b.TempDir()
	segs := makeSegments(b, fs, dir, 80, 1920, 1080, 7500*time.Millisecond, "en", true)
	spec := Spec{Width: 1920, Height: 1080, Segments: segs, Subtitles: true,
		OutPath: filepath.Join(dir, "output", "final_video.mp4"), SRTPath: filepath.Join(dir, "output", "subtitles.srt")}
	b.ResetTimer()
	cpu0 := childCPU()
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		res, err := Render(context.Background(), spec, Options{FFmpeg: ff})
		if err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		if res.Duration != 10*time.Minute || res.Frames != 18000 {
			b.Fatalf("rendered %v, %d frames", res.Duration, res.Frames)
		}
	}
	b.StopTimer()
	b.ReportMetric(600/(elapsed.Seconds()/float64(b.N)), "x_realtime")
	b.ReportMetric((childCPU()-cpu0).Seconds()/float64(b.N), "cpu_s")
	var self, children syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	b.ReportMetric(float64(self.Maxrss)/1024, "peak_MiB_go")
	b.ReportMetric(float64(children.Maxrss)/1024, "peak_MiB_ffmpeg")
}

// BenchmarkRenderOwnMedia is the 60 s video of BenchmarkRenderStills with
// two segments showing the creator's media: segment 3 a square picture
// (filled: over a blurred copy) and segment 7 a 3 s 720p clip looped
// through its 5 s. The other ten stay on the still-picture path.
func BenchmarkRenderOwnMedia(b *testing.B) {
	ff := needTools(b)
	fs := loadFonts(b)
	dir := b.TempDir()
	segs := makeSegments(b, fs, dir, 12, 1920, 1080, 5*time.Second, "en", true)
	square := filepath.Join(dir, "own.png")
	writeHalves(b, square, 800, 800)
	segs[2].Image, segs[2].Fit = square, FitFill
	clip := filepath.Join(dir, "clip.mp4")
	makeClip(b, clip, 1280, 720, 30, 3*time.Second, true)
	segs[6].Clip = clip
	spec := Spec{Width: 1920, Height: 1080, Segments: segs, Subtitles: true,
		OutPath: filepath.Join(dir, "output", "final_video.mp4")}
	b.ResetTimer()
	cpu := startCPU()
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		res, err := Render(context.Background(), spec, Options{FFmpeg: ff})
		if err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		if res.Duration != 60*time.Second || res.Method != "stills" {
			b.Fatalf("rendered %v with %s", res.Duration, res.Method)
		}
	}
	b.ReportMetric(60/(elapsed.Seconds()/float64(b.N)), "x_realtime")
	cpu.report(b, 60)
}
