package render

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/media/ffmpeg"
)

// Expect is what a rendered file must be.
type Expect struct {
	Width, Height int
	Frames        int           // 0 = not checked
	Duration      time.Duration // total play time
}

// Verify probes a rendered file and checks it: H.264 High profile,
// yuv420p, the expected size, a constant 30 fps, AAC 48 kHz stereo, the
// expected frame count, a duration within 2 % of the expected one, and
// audio and video lengths within 0.1 s of each other. A file that fails
// yields RENDER_VERIFY_FAILED listing every problem.
func Verify(ctx context.Context, ff *ffmpeg.Runner, path string, want Expect) (*ffmpeg.ProbeResult, error) {
	info, err := ff.Probe(ctx, path)
	if err != nil {
		return nil, err
	}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	v, hasV := info.Video()
	a, hasA := info.Audio()
	if !hasV {
		bad("no video stream")
	} else {
		if v.Codec != "h264" {
			bad("video codec %s, want h264", v.Codec)
		}
		if v.Profile != "High" {
			bad("H.264 profile %q, want High", v.Profile)
		}
		if v.PixFmt != "yuv420p" {
			bad("pixel format %s, want yuv420p", v.PixFmt)
		}
		if v.Width != want.Width || v.Height != want.Height {
			bad("size %dx%d, want %dx%d", v.Width, v.Height, want.Width, want.Height)
		}
		if v.RFrameRate != (ffmpeg.Rational{Num: FPS, Den: 1}) || math.Abs(v.AvgFrameRate.Float()-FPS) > 0.01 {
			bad("frame rate %s (average %s), want a constant %d", v.RFrameRate, v.AvgFrameRate, FPS)
		}
		if want.Frames > 0 && v.NbFrames != 0 && int(v.NbFrames) != want.Frames {
			bad("%d frames, want %d", v.NbFrames, want.Frames)
		}
	}
	if !hasA {
		bad("no audio stream")
	} else {
		if a.Codec != "aac" {
			bad("audio codec %s, want aac", a.Codec)
		}
		if a.SampleRate != 48000 || a.Channels != 2 {
			bad("audio %d Hz %d channels, want 48000 Hz stereo", a.SampleRate, a.Channels)
		}
	}
	if want.Duration > 0 {
		if d := info.Duration - want.Duration; math.Abs(float64(d)) > 0.02*float64(want.Duration) {
			bad("duration %v, want %v (±2 %%)", info.Duration.Round(time.Millisecond), want.Duration.Round(time.Millisecond))
		}
	}
	if hasV && hasA && v.Duration > 0 && a.Duration > 0 {
		if d := v.Duration - a.Duration; d > 100*time.Millisecond || d < -100*time.Millisecond {
			bad("video lasts %v but audio %v", v.Duration.Round(time.Millisecond), a.Duration.Round(time.Millisecond))
		}
	}
	if len(problems) > 0 {
		return info, errcode.New(errcode.RenderVerifyFailed, "rendered video is wrong: "+strings.Join(problems, "; "), false).
			WithStage(Stage).WithDetail("problems", problems)
	}
	return info, nil
}
