package render

import (
	"context"
	"fmt"

	"github.com/ytmaker/ytmaker/internal/media/ffmpeg"
)

// Segments shown as video clips (stock footage, the creator's own
// clips) are natural video: every frame is decoded, scaled and encoded,
// which makes them the costliest part of a render. Three things keep
// that cost down without changing what is seen:
//
//   - A clip whose shape is close to the frame's (cropping cuts at most a
//     fifth of it, as FitFill decides) is cropped to the frame's shape and
//     scaled to it in one pass that also converts it to BT.709 limited
//     range (unless it is already). The general FitFill graph, which must also work for clips of
//     any shape, makes a blurred, darkened copy of every frame to lay the
//     clip over and converts colours in a pass of its own; a clip that
//     covers the frame hides that copy completely. The clip's size comes
//     from ffprobe; when it cannot be read the general graph is used.
//   - Frames are dropped to the output rate before they are scaled.
//   - x264 searches motion the simple way (diamond search, one sub-pixel
//     refinement, no sub-8x8 inter partitions), as for Ken Burns motion:
//     about a quarter less encoding time for about a tenth more bits at
//     the same quality setting. Only the analysis changes, not the
//     parameter sets, so the pieces still splice.

// clipCover returns filter graph text that crops a clip (its video
// stream v) to the frame's shape and scales it to the frame, converted to
// BT.709 limited range (ending unlabelled), and true; or false when the clip is not
// close enough to the frame's shape to be cropped (FitFill fits it over a
// blurred copy instead).
func (p *plan) clipCover(v ffmpeg.Stream) (string, bool) {
	w, h := v.Width, v.Height
	if w <= 0 || h <= 0 {
		return "", false
	}
	r := float64(w) * float64(p.h) / (float64(h) * float64(p.w)) // clip shape / frame shape
	if min(r, 1/r) < 0.8 {
		return "", false
	}
	// The crop keeps the centre; the sizes are even for 4:2:0.
	cw, ch := w, h
	if r > 1 {
		cw = min(w, int(float64(h)*float64(p.w)/float64(p.h)+0.5)&^1)
	} else {
		ch = min(h, int(float64(w)*float64(p.h)/float64(p.w)+0.5)&^1)
	}
	var f string
	if cw != w || ch != h {
		f = fmt.Sprintf("crop=%d:%d,", cw, ch)
	}
	// Scaling and converting the colours in one swscale pass converts at
	// the source's size, through a slow path: a 4K frame costs five times
	// its scaling alone. Colours are converted after the scaling, and only
	// when the clip is not already BT.709 limited range (as stock footage
	// is tagged).
	f += fmt.Sprintf("scale=%d:%d,setsar=1", p.w, p.h)
	if v.ColorSpace != "bt709" || v.ColorRange != "tv" {
		f += ",scale=out_color_matrix=bt709:out_range=tv"
	}
	return f, true
}

// clipGraph returns the filter graph text that brings shot k's clip,
// input idx, to the frame at the frame rate, labelled out, and whether
// its colours are already converted (yuvFilter is then not needed).
func (r *renderer) clipGraph(ctx context.Context, idx, k int, out string) (string, bool) {
	p := r.p
	if info, err := r.ff.Probe(ctx, p.shots[k].image); err == nil {
		if v, ok := info.Video(); ok {
			if f, ok := p.clipCover(v); ok {
				return fmt.Sprintf("[%d:v:0]setpts=PTS-STARTPTS,fps=%d,%s[%s];", idx, p.fps, f, out), true
			}
		}
	} else if ctx.Err() != nil {
		return "", false
	}
	return fmt.Sprintf("[%d:v:0]setpts=PTS-STARTPTS,fps=%d[%s_r];", idx, p.fps, out) + p.fitGraph(FitFill, out+"_r", out), false
}

// clipSearch is the x264 analysis for natural video (see above).
const clipSearch = ":me=dia:subme=1:partitions=i8x8,i4x4"

// clipInputArgs adds shot k's clip as an input, looped so that it lasts
// at least the shot (and read no further), and returns its number.
func (p *plan) clipInputArgs(in *inputs, k int) int {
	sh := p.shots[k]
	return in.add("-stream_loop", "-1", "-t", seconds(p.frameTime(sh.to-sh.from+2)), "-i", sh.image)
}
