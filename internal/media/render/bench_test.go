package render

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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
	opts.FFmpeg = ff
	timeRender(b, fn, spec, opts, "")
}

// timeRender renders the 60 s spec b.N times with fn and reports the
// speed (x_realtime) and the CPU time per video; method, when set, is the
// way every render must have taken.
func timeRender(b *testing.B, fn func(context.Context, Spec, Options) (*Result, error), spec Spec, opts Options, method string) {
	b.Helper()
	b.ResetTimer()
	cpu := startCPU()
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		res, err := fn(context.Background(), spec, opts)
		if err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		if res.Duration != 60*time.Second || method != "" && res.Method != method {
			b.Fatalf("rendered %v with %s", res.Duration, res.Method)
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
	timeRender(b, Render, spec, Options{FFmpeg: ff}, "stills")
}

// stockClip describes a generated stand-in for a stock video download.
type stockClip struct {
	src     string // lavfi source, %s = size, %d = rate
	w, h    int
	fps     string // frame rate (may be fractional)
	secs    float64
	grain   int    // strength of temporal noise (camera grain), 0 = none
	bitrate string // target bit rate, as stock files are delivered
}

// stockClips are the clips of BenchmarkRenderStockClips: the files
// Pexels and Pixabay deliver for a 1080p frame (the stock provider picks
// the smallest file at least the frame's size, so a 4K original comes as
// its 1080p file; some videos only have 720p; one 60 fps, one short
// enough to be looped, one of a cinematic shape that is fitted over a
// blurred copy), encoded as those services deliver them: H.264 High with
// CABAC and B-frames at a stock bit rate, most with some camera grain.
var stockClips = []stockClip{
	{"testsrc2=s=%s:r=%s", 1920, 1080, "30", 8, 6, "8M"},
	{"testsrc2=s=%s:r=%s", 1920, 1080, "30", 6, 6, "8M"},
	{"mandelbrot=s=%s:r=%s:end_scale=0.1", 1280, 720, "30", 6, 0, "5M"},
	{"life=s=480x270:r=%[2]s:mold=10:ratio=0.1:death_color=#203040:life_color=#e0c080,scale=%[1]s:flags=neighbor", 1920, 1080, "25", 7, 6, "8M"},
	{"testsrc2=s=%s:r=%s", 1920, 1080, "30", 2, 6, "8M"},
	{"testsrc2=s=%s:r=%s,hue=h=90", 1920, 1080, "30000/1001", 9, 6, "8M"},
	{"testsrc2=s=%s:r=%s,hue=h=200", 1920, 1080, "25", 6, 6, "8M"},
	{"testsrc2=s=%s:r=%s,negate", 1920, 1080, "60", 6, 6, "12M"},
	{"cellauto=s=640x360:r=%[2]s:rule=110,scale=%[1]s:flags=neighbor,gblur=sigma=2", 1920, 1080, "24", 6, 6, "8M"},
	{"testsrc2=s=%s:r=%s,hue=s=0.3", 1920, 800, "24", 6, 6, "7M"},
	{"testsrc2=s=%s:r=%s,hue=h=300", 1280, 720, "30", 6, 6, "5M"},
	{"testsrc2=s=%s:r=%s,eq=gamma=1.4", 1920, 1080, "30", 7, 6, "8M"},
}

// ownClips are stockClips with two 4K originals in place of their 1080p
// files: a creator's own footage, or a stock video without a 1080p file.
func ownClips() []stockClip {
	c := slices.Clone(stockClips)
	c[1].w, c[1].h, c[1].bitrate = 3840, 2160, "25M"
	c[6].w, c[6].h, c[6].bitrate = 3840, 2160, "25M"
	return c
}

// makeStockClip writes c to path, or keeps the file made by an earlier run
// (generating the 4K clips takes a while).
func makeStockClip(b *testing.B, c stockClip, path string) {
	b.Helper()
	if _, err := os.Stat(path); err == nil {
		return
	}
	vf := fmt.Sprintf(c.src, fmt.Sprintf("%dx%d", c.w, c.h), c.fps)
	if c.grain > 0 {
		vf += fmt.Sprintf(",noise=alls=%d:allf=t", c.grain)
	}
	tmp := path + ".tmp.mp4"
	// The pictures are converted to YUV with the BT.709 matrix they are
	// tagged with.
	args := []string{"-v", "error", "-y", "-f", "lavfi", "-i", vf + ",scale=out_color_matrix=bt709:out_range=tv,format=yuv420p", "-t", fmt.Sprint(c.secs),
		"-c:v", "libx264", "-preset", "faster", "-profile:v", "high", "-b:v", c.bitrate, "-maxrate", c.bitrate, "-bufsize", c.bitrate,
		"-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709", "-color_range", "tv",
		"-movflags", "+faststart", tmp}
	if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		b.Fatalf("make clip %s: %v\n%s", vf, err, out)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRenderStockClips is the 60 s, 12-segment 1080p video with
// subtitles where every segment shows a different stock video clip
// (stockClips), cut to its 5 s of narration or looped, filled into the
// frame, without its sound. The clips are made once and kept in the
// system's temporary directory.
func BenchmarkRenderStockClips(b *testing.B) { benchmarkClips(b, stockClips) }

// BenchmarkRenderOwnClips is BenchmarkRenderStockClips with two of the
// clips 4K (ownClips): decoding a 4K frame costs four times a 1080p one.
func BenchmarkRenderOwnClips(b *testing.B) { benchmarkClips(b, ownClips()) }

func benchmarkClips(b *testing.B, clips []stockClip) {
	ff := needTools(b)
	fs := loadFonts(b)
	dir := b.TempDir()
	cache := filepath.Join(os.TempDir(), "ytmaker-bench-stock-clips-v3")
	if err := os.MkdirAll(cache, 0o755); err != nil {
		b.Fatal(err)
	}
	segs := makeSegments(b, fs, dir, 12, 1920, 1080, 5*time.Second, "en", true)
	for i, c := range clips {
		path := filepath.Join(cache, fmt.Sprintf("clip%02d_%dx%d.mp4", i, c.w, c.h))
		makeStockClip(b, c, path)
		segs[i].Clip, segs[i].Image = path, ""
	}
	spec := Spec{Width: 1920, Height: 1080, Segments: segs, Subtitles: true,
		OutPath: filepath.Join(dir, "output", "final_video.mp4")}
	timeRender(b, Render, spec, Options{FFmpeg: ff}, "stills")
	if out := os.Getenv("YTMAKER_BENCH_KEEP"); out != "" {
		if err := os.Rename(spec.OutPath, out); err != nil {
			b.Fatal(err)
		}
	}
}
