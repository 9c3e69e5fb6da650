package render

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/ytmaker/ytmaker/internal/media/ffmpeg"
	"github.com/ytmaker/ytmaker/internal/media/mp4"
)

// Segments shown as video clips (stock footage, the creator's own
// clips) are natural video: every frame is decoded, scaled and encoded,
// which makes them the costliest part of a render. What keeps that cost
// down without changing what is seen:
//
//   - A clip whose shape is close to the frame's (cropping cuts at most a
//     fifth of it, as FitFill decides) is cropped to the frame's shape and
//     scaled to it in one pass. The general FitFill graph, which must
//     also work for clips of any shape, makes a blurred, darkened copy of
//     every frame to lay the clip over; a clip that covers the frame
//     hides that copy completely; a clip of another shape is stacked
//     between bands of that copy (clipStack). The clip's size comes from
//     its movie box (package mp4) or ffprobe; when it cannot be read the
//     general graph is used.
//   - Colours are converted only when the clip is not already BT.709
//     limited range (as stock footage is tagged), and then after scaling.
//   - Frames are dropped to the output rate before they are scaled.
//   - x264 analyses clips the fastest way (the "ultrafast" preset with
//     the 8x8 transform and the loop filter, at clipCRFOffset more on
//     the quality scale): about 40 % less encoding time than the search
//     used for pictures, at about the same size and quality. Only the
//     analysis changes, not the parameter sets, so the pieces still
//     splice.
//   - With at least as many clips as cores, each clip's ffmpeg run is
//     single-threaded and the clips run side by side, the costliest
//     first (encodeClips).

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
	if !isBT709(v) {
		f += ",scale=out_color_matrix=bt709:out_range=tv"
	}
	return f, true
}

// clipStack returns filter graph text that fits a clip (its video stream
// v, labelled in) inside the frame over a blurred, darkened copy of
// itself, as FitFill's general graph does, labelled out (ending with
// ";"); false when the clip's size is unknown. Knowing the size, the
// frame is put together by stacking the bands of the copy that show
// above and below (or left and right of) the clip around it, instead of
// laying the clip over the whole copy: an overlay of a 1080p frame costs
// about as much as decoding it.
func (p *plan) clipStack(v ffmpeg.Stream, in, out string) (string, bool) {
	w, h := v.Width, v.Height
	if w <= 0 || h <= 0 {
		return "", false
	}
	// The clip's size in the frame, as the general graph rounds it
	// (2·⌈x/2⌉), and the bands before and after it (the first even).
	even := func(num, den int) int { return (num + 2*den - 1) / (2 * den) * 2 }
	var stack, first, second string
	var fw, fh int
	if w*p.h < h*p.w { // narrower than the frame: bands left and right
		fw, fh = min(even(w*p.h, h), p.w), p.h
		band := (p.w - fw) / 4 * 2
		rest := p.w - fw - band
		if band <= 0 || rest <= 0 {
			return "", false
		}
		stack = "hstack"
		first, second = fmt.Sprintf("%d:%d:0:0", band, p.h), fmt.Sprintf("%d:%d:%d:0", rest, p.h, p.w-rest)
	} else { // wider: bands above and below
		fw, fh = p.w, min(even(h*p.w, w), p.h)
		band := (p.h - fh) / 4 * 2
		rest := p.h - fh - band
		if band <= 0 || rest <= 0 {
			return "", false
		}
		stack = "vstack"
		first, second = fmt.Sprintf("%d:%d:0:0", p.w, band), fmt.Sprintf("%d:%d:0:%d", p.w, rest, p.h-rest)
	}
	return fmt.Sprintf("[%[1]s]split=2[%[2]s_a][%[2]s_b];[%[2]s_b]%[3]s,split=2[%[2]s_b1][%[2]s_b2];"+
		"[%[2]s_b1]crop=%[4]s[%[2]s_1];[%[2]s_b2]crop=%[5]s[%[2]s_2];"+
		"[%[2]s_a]scale=%[6]d:%[7]d,setsar=1,format=yuv420p[%[2]s_fg];"+
		"[%[2]s_1][%[2]s_fg][%[2]s_2]%[8]s=inputs=3[%[2]s];",
		in, out, p.blurredCopy(), first, second, fw, fh, stack), true
}

// clipGraph returns the filter graph text that brings shot k's clip,
// input idx, to the frame at the frame rate, labelled out, and whether
// its colours are already converted (yuvFilter is then not needed).
func (r *renderer) clipGraph(ctx context.Context, idx, k int, out string) (string, bool) {
	p := r.p
	bt709 := false // already BT.709 limited range: nothing to convert
	if v, ok := r.clipStream(ctx, k); ok {
		head := fmt.Sprintf("[%d:v:0]setpts=PTS-STARTPTS,fps=%d", idx, p.fps)
		if f, sdr := p.hdrToSDR(v); f != "" {
			head += "," + f
			v = sdr
		}
		if f, ok := p.clipCover(v); ok {
			return fmt.Sprintf("%s,%s[%s];", head, f, out), true
		}
		bt709 = isBT709(v)
		if f, ok := p.clipStack(v, out+"_r", out); ok {
			return fmt.Sprintf("%s[%s_r];", head, out) + f, bt709
		}
	}
	return fmt.Sprintf("[%d:v:0]setpts=PTS-STARTPTS,fps=%d[%s_r];", idx, p.fps, out) + p.fitGraph(FitFill, out+"_r", out), bt709
}

// isHDR reports whether v is HDR video: the HLG or PQ transfer (phones
// record HLG by default).
func isHDR(v ffmpeg.Stream) bool {
	return v.ColorTransfer == "arib-std-b67" || v.ColorTransfer == "smpte2084"
}

// hdrToSDR returns the filter chain that brings an HDR clip (video
// stream v) to SDR BT.709 limited range 4:2:0 at the size it will be
// shown (covering the frame, or fitting inside it, as FitFill decides),
// and the stream that comes out; "" when v is not HDR. Without it an HDR
// clip's BT.2020 colours and HLG or PQ levels were read as BT.709: grey
// and washed out. HLG is made to look right on SDR screens as it is, so
// its levels and primaries are converted directly; PQ holds absolute
// light up to 10,000 nits and is tone-mapped (mobius, 100 nits white).
// The conversion runs at the shown size, after scaling.
func (p *plan) hdrToSDR(v ffmpeg.Stream) (string, ffmpeg.Stream) {
	if !isHDR(v) || v.Width <= 0 || v.Height <= 0 {
		return "", v
	}
	k := min(float64(p.w)/float64(v.Width), float64(p.h)/float64(v.Height))
	if _, cover := p.clipCover(v); cover {
		k = max(float64(p.w)/float64(v.Width), float64(p.h)/float64(v.Height))
	}
	w, h := 2*int(math.Ceil(float64(v.Width)*k/2)), 2*int(math.Ceil(float64(v.Height)*k/2))
	in := "tin=" + v.ColorTransfer
	if v.ColorPrimaries == "bt2020" {
		in += ":pin=bt2020"
	}
	if v.ColorSpace == "bt2020nc" || v.ColorSpace == "bt2020c" {
		in += ":min=" + v.ColorSpace
	}
	if v.ColorRange == "tv" || v.ColorRange == "pc" {
		in += ":rin=" + v.ColorRange
	}
	f := fmt.Sprintf("zscale=w=%d:h=%d:%s:t=bt709:p=bt709:m=bt709:r=tv,format=yuv420p", w, h, in)
	if v.ColorTransfer == "smpte2084" {
		f = fmt.Sprintf("zscale=w=%d:h=%d:%s:t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,"+
			"tonemap=tonemap=mobius:desat=0,zscale=t=bt709:m=bt709:r=tv,format=yuv420p", w, h, in)
	}
	sdr := v
	sdr.Width, sdr.Height = w, h
	sdr.ColorSpace, sdr.ColorRange, sdr.ColorTransfer, sdr.ColorPrimaries = "bt709", "tv", "bt709", "bt709"
	return f, sdr
}

// isBT709 reports whether v is tagged BT.709 limited range, the colours
// the rendered video is tagged with.
func isBT709(v ffmpeg.Stream) bool {
	return v.ColorSpace == "bt709" && v.ColorRange == "tv"
}

// clipAnalysis are the x264 parameters added to the "ultrafast" preset
// for natural video (see above): the 8x8 transform the other pieces'
// parameter sets declare, and the loop filter.
const clipAnalysis = ":8x8dct=1:deblock=0,0"

// clipCRFOffset is added to the render's quality setting for clips
// encoded with clipAnalysis. Without adaptive quantisation and
// psychovisual tuning, x264's quality scale shifts: on four of the
// benchmark's clips (grain over test patterns, a fractal zoom without
// grain, a cellular automaton), CRF 26 this way lands within −2.1 to
// +1.0 dB PSNR of the full analysis at CRF 20, with 27 % fewer to 48 %
// more bits, and at equal size within ±0.7 dB of it.
const clipCRFOffset = 6

// clipInputArgs adds shot k's clip as an input, looped so that it lasts
// at least the shot (and read no further), and returns its number.
func (p *plan) clipInputArgs(in *inputs, k int) int {
	sh := p.shots[k]
	return in.add("-stream_loop", "-1", "-t", seconds(p.frameTime(sh.to-sh.from+2)), "-i", sh.image)
}

// clipStream returns the video stream of shot k's clip, as probed by
// probeClips or now; false when it cannot be read (the general graph,
// which needs no size, is used then).
func (r *renderer) clipStream(ctx context.Context, k int) (ffmpeg.Stream, bool) {
	if r.clipProbes != nil && r.clipProbes[k].done {
		return r.clipProbes[k].v, r.clipProbes[k].ok
	}
	return r.probeClip(ctx, r.p.shots[k].image)
}

// probeClip reads a clip's video stream: from the movie box of an MP4 or
// QuickTime file that carries colour tags (package mp4: a millisecond,
// where starting ffprobe costs a tenth of a second of CPU), else with
// ffprobe.
func (r *renderer) probeClip(ctx context.Context, path string) (ffmpeg.Stream, bool) {
	if v, err := mp4.ReadVideo(path); err == nil && v.Colour {
		num, den := v.FrameRate()
		rng := "tv"
		if v.FullRange {
			rng = "pc"
		}
		return ffmpeg.Stream{Type: "video", Codec: v.Codec, Width: v.Width, Height: v.Height,
			AvgFrameRate: ffmpeg.Rational{Num: int(num), Den: int(den)}, Duration: v.Duration,
			ColorSpace: matrixName(v.Matrix), ColorRange: rng,
			ColorTransfer: transferName(v.Transfer), ColorPrimaries: primariesName(v.Primaries)}, true
	}
	info, err := r.ff.Probe(ctx, path)
	if err != nil {
		return ffmpeg.Stream{}, false
	}
	return info.Video()
}

// matrixName is ffmpeg's name of an ITU-T H.273 matrix coefficients
// code point ("" when unspecified or unknown).
func matrixName(code int) string {
	switch code {
	case 0:
		return "gbr"
	case 1:
		return "bt709"
	case 4:
		return "fcc"
	case 5:
		return "bt470bg"
	case 6:
		return "smpte170m"
	case 7:
		return "smpte240m"
	case 8:
		return "ycgco"
	case 9:
		return "bt2020nc"
	case 10:
		return "bt2020c"
	}
	return ""
}

// clipProbe is what probeClips learnt of a clip.
type clipProbe struct {
	v        ffmpeg.Stream
	ok, done bool
	// skipNonRef: the clip's non-reference frames need not be decoded
	// (skipNonRef).
	skipNonRef bool
}

// probeClips probes the clips of shots ks, par at once, for clipStream,
// and reads whether each may skip decoding its non-reference frames
// (skipNonRef).
func (r *renderer) probeClips(ctx context.Context, par int, ks []int) error {
	probes := make([]clipProbe, len(r.p.shots))
	err := limited(ctx, par, len(ks), func(ctx context.Context, i int) error {
		k := ks[i]
		probes[k].v, probes[k].ok = r.probeClip(ctx, r.p.shots[k].image)
		if m := rateMultiple(probes[k].v.AvgFrameRate, r.p.fps); probes[k].ok && m >= 2 {
			n := r.p.shots[k].to - r.p.shots[k].from
			if refs, err := mp4.References(r.p.shots[k].image, n*m); err == nil {
				probes[k].skipNonRef = skipNonRef(refs, probes[k].v.AvgFrameRate, r.p.fps, n)
			}
		}
		probes[k].done = ctx.Err() == nil
		return nil
	})
	if err != nil {
		return err
	}
	r.clipProbes = probes
	return nil
}

// clipOrder returns the clips of shots ks in the order to encode them:
// the costliest first, so that the cheapest run last, when some cores
// may already be idle.
func (r *renderer) clipOrder(ks []int) []int {
	cost := make(map[int]float64, len(ks))
	for _, k := range ks {
		var v ffmpeg.Stream
		ok := false
		if r.clipProbes != nil {
			v, ok = r.clipProbes[k].v, r.clipProbes[k].ok
		}
		_, cover := r.p.clipCover(v)
		cost[k] = clipCost(r.p.shots[k].to-r.p.shots[k].from, r.p.fps, v, ok, cover)
	}
	order := slices.Clone(ks)
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(cost[b], cost[a]) })
	return order
}

// clipCost estimates the CPU time of encoding frames frames (at fps) of
// a clip whose video stream is v (ok false when unknown), relative to
// encoding one frame: x264 costs about as much per frame as decoding a
// 1080p frame; decoding grows with the clip's size and with its frame
// rate above fps (frames that are dropped are decoded too); the blurred
// copy under a clip that does not cover the frame (cover false) adds
// about half.
func clipCost(frames, fps int, v ffmpeg.Stream, ok, cover bool) float64 {
	decode := 1.0 // a 1080p clip at the frame rate, when unknown
	if ok && v.Width > 0 && v.Height > 0 {
		decode = float64(v.Width*v.Height) / (1920 * 1080)
		if rate := v.AvgFrameRate.Float(); rate > float64(fps) {
			decode *= rate / float64(fps)
		}
	}
	c := float64(frames) * (1 + decode)
	if !cover {
		c *= 1.5
	}
	return c
}

// transferName is ffmpeg's name of an ITU-T H.273 transfer
// characteristics code point ("" when unspecified or not one the
// renderer tells apart).
func transferName(code int) string {
	switch code {
	case 1:
		return "bt709"
	case 6:
		return "smpte170m"
	case 13:
		return "iec61966-2-1"
	case 14:
		return "bt2020-10"
	case 15:
		return "bt2020-12"
	case 16:
		return "smpte2084"
	case 18:
		return "arib-std-b67"
	}
	return ""
}

// primariesName is ffmpeg's name of an ITU-T H.273 colour primaries
// code point ("" when unspecified or not one the renderer tells apart).
func primariesName(code int) string {
	switch code {
	case 1:
		return "bt709"
	case 5:
		return "bt470bg"
	case 6:
		return "smpte170m"
	case 9:
		return "bt2020"
	case 12:
		return "smpte432"
	}
	return ""
}

// rateMultiple returns m when rate is exactly m times fps, else 0.
func rateMultiple(rate ffmpeg.Rational, fps int) int {
	if rate.Den <= 0 || rate.Num <= 0 || fps <= 0 || rate.Num%(rate.Den*fps) != 0 {
		return 0
	}
	return rate.Num / (rate.Den * fps)
}

// skipNonRef reports whether a clip (refs: whether each frame, in
// presentation order, is a reference picture) can be decoded without its
// non-reference frames for a shot of n frames at fps, with the very same
// result: its rate is a whole multiple m ≥ 2 of fps, so the frame rate
// filter keeps frames 0, m, 2m… and drops the others, and every kept
// frame is a reference picture (the ones a decoder skipping the others
// still decodes). A clip shorter than the shot loops; its length must
// then be a multiple of m for the kept frames to stay on that grid; a
// longer one is read only as far as the shot needs. A 60 fps clip is then
// decoded at about half the cost. (An encoder that varies its B-frame
// runs moves the grid at the first change: then nothing is skipped.)
func skipNonRef(refs []bool, rate ffmpeg.Rational, fps, n int) bool {
	m := rateMultiple(rate, fps)
	used := len(refs)
	switch {
	case m < 2 || used == 0:
		return false
	case used >= n*m:
		used = n * m
	case used%m != 0:
		return false
	}
	for i := 0; i < used; i += m {
		if !refs[i] {
			return false
		}
	}
	return true
}
