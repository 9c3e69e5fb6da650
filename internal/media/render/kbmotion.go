package render

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/atomicfile"
	"github.com/ytmaker/ytmaker/internal/media/h264"
	"github.com/ytmaker/ytmaker/internal/media/subtitles"
)

// Ken Burns by synthesised motion. A slow zoom or pan moves every block
// of the picture by a vector that is known exactly, so x264 need not
// encode (and search) every frame: it encodes only "anchor" frames, and
// the frames between two anchors are synthesised P pictures made only of
// motion vectors (h264.MotionPicture) that show the last anchor moved to
// where the picture is at that frame. They are non-reference pictures, so
// each one is a single interpolation of an encoded anchor: no error
// accumulates from one to the next.
//
// The encoded picture is larger than the video by a margin on every side
// (the SPS crops it away), so that picture entering the frame between
// two anchors (a pan, a zoom out) is already in the anchor's margin. The
// left margin is kbMarginLeft: decoders built on libavcodec crop on the
// left only by a multiple of 64 luma samples (av_frame_apply_cropping
// keeps planes 32-byte aligned) and would show a narrower margin.
// Captions and the watermark must not move with the picture: an anchor
// starts wherever a caption starts or ends, and the 8x8 blocks that hold
// overlay pixels keep a zero vector.

const (
	// kbMargin is the picture coded above, below and right of the
	// visible frame, in pixels (a multiple of 16, so that macroblocks stay
	// aligned to the frame), and kbMarginLeft left of it.
	kbMargin     = 16
	kbMarginLeft = 64
	// kbStep is the largest number of frames from one anchor to the next.
	kbStep = 8
	// kbMaxShift bounds how far a visible block may move from its anchor,
	// in pixels: its reference, with the six-tap filter's reach, stays in
	// the margin.
	kbMaxShift = kbMargin - 4
)

// kbView maps the samples of a coded picture (margin included) to the
// source it shows, the fitted still doubled in size and padded by twice
// the margins: sample (cx, cy) shows source point (ox + (cx+0.5)*sx,
// oy + (cy+0.5)*sy).
type kbView struct{ ox, oy, sx, sy float64 }

func (v kbView) sub(u kbView) kbView {
	return kbView{v.ox - u.ox, v.oy - u.oy, v.sx - u.sx, v.sy - u.sy}
}
func (v kbView) add(u kbView, t float64) kbView {
	return kbView{v.ox + t*u.ox, v.oy + t*u.oy, v.sx + t*u.sx, v.sy + t*u.sy}
}

// kbZoom returns the zoom and the top-left corner of the visible part, on
// the doubled (unpadded) still, of frame f of shot k's n frames: the
// motion kenBurnsGraph describes, evaluated exactly.
func (p *plan) kbZoom(k, n, f int) (z, x, y float64) {
	t := math.Min(float64(f)/float64(max(n-1, 1)), 1)
	iw, ih := float64(p.kbUp*p.w), float64(p.kbUp*p.h)
	switch k % 4 {
	case 0:
		z = 1 + 0.12*t
		x = (iw - iw/z) / 2
	case 1:
		z = 1.10
		x = (iw - iw/z) * t
	case 2:
		z = 1.12 - 0.12*t
		x = (iw - iw/z) / 2
	default:
		z = 1.10
		x = (iw - iw/z) * (1 - t)
	}
	return z, x, (ih - ih/z) / 2
}

// kbIdeal is the exact view of frame f.
func (p *plan) kbIdeal(k, n, f int) kbView {
	z, x, y := p.kbZoom(k, n, f)
	ml, mt := float64(kbMarginLeft), float64(kbMargin)
	u := float64(p.kbUp)
	return kbView{ox: x + u*ml - u*ml/z, oy: y + u*mt - u*mt/z, sx: u / z, sy: u / z}
}

// kbCoded is the size of the encoded picture, margins included.
func (p *plan) kbCoded() (w, h int) { return p.w + kbMarginLeft + kbMargin, p.h + 2*kbMargin }

// kbAnchor is an encoded frame: zoompan crops w x h samples at (x, y) of
// the padded source with zoom (as written in the filter) and scales them
// to the coded size.
type kbAnchor struct {
	frame      int
	zoom       string
	x, y, w, h int
	view       kbView // the view that crop makes
	ideal      kbView // the exact view of its frame
}

// kbAnchorAt returns the anchor for frame f: zoompan's crop is whole
// samples, on even positions (4:2:0), of the padded source, so the anchor
// shows nearly, and exactly knowably, the ideal view.
func (p *plan) kbAnchorAt(k, n, f int) kbAnchor {
	ideal := p.kbIdeal(k, n, f)
	cw, ch := p.kbCoded()
	pw, ph := p.kbUp*cw, p.kbUp*ch
	z, _, _ := p.kbZoom(k, n, f)
	zs := strconv.FormatFloat(z, 'f', 6, 64)
	zq, _ := strconv.ParseFloat(zs, 64)
	// As zoompan computes them (vf_zoompan.c): truncated sizes, positions
	// clipped into the picture and rounded down to even.
	w := int(float64(pw) * (1.0 / zq))
	h := int(float64(ph) * (1.0 / zq))
	even := func(v float64, lim int) int {
		i := int(math.Round(v/2)) * 2
		return min(max(i, 0), max(lim, 0)) &^ 1
	}
	x := even(ideal.ox, pw-w)
	y := even(ideal.oy, ph-h)
	return kbAnchor{frame: f, zoom: zs, x: x, y: y, w: w, h: h, ideal: ideal,
		view: kbView{ox: float64(x), oy: float64(y), sx: float64(w) / float64(cw), sy: float64(h) / float64(ch)}}
}

// kbShift is the largest distance, in pixels, that a visible sample of
// view v travels from where it is in the anchor view a.
func (p *plan) kbShift(a, v kbView) float64 {
	ml, mt := float64(kbMarginLeft), float64(kbMargin)
	worst := 0.0
	for _, cx := range []float64{ml, ml + float64(p.w)} {
		for _, cy := range []float64{mt, mt + float64(p.h)} {
			dx := (v.ox+cx*v.sx-a.ox)/a.sx - cx
			dy := (v.oy+cy*v.sy-a.oy)/a.sy - cy
			worst = max(worst, math.Hypot(dx, dy))
		}
	}
	return worst
}

// kbAnchors chooses the anchor frames of shot k (n frames): the first,
// every frame where the overlay changes (changes, in frames from the
// shot's start), and otherwise every kbStep frames or sooner, before the
// picture moves further than the margin allows.
func (p *plan) kbAnchors(k, n int, changes []int) []kbAnchor {
	isChange := make([]bool, n+1)
	for _, c := range changes {
		if c > 0 && c < n {
			isChange[c] = true
		}
	}
	var out []kbAnchor
	for f := 0; f < n; {
		a := p.kbAnchorAt(k, n, f)
		out = append(out, a)
		g := f + 1
		for ; g < n && g-f < p.kbStep && !isChange[g]; g++ {
			if p.kbShift(a.view, p.kbIdeal(k, n, g)) > kbMaxShift-1 {
				break
			}
		}
		f = g
	}
	return out
}

// kbFrameView is the view frame f shows between anchors a and b (b nil
// after the last anchor): the ideal view, corrected by the anchors'
// rounding, blended from a's to b's so that nothing jumps at an anchor.
func (p *plan) kbFrameView(k, n, f int, a, b *kbAnchor) kbView {
	v := p.kbIdeal(k, n, f)
	ea := a.view.sub(a.ideal)
	if b == nil {
		return v.add(ea, 1)
	}
	t := float64(f-a.frame) / float64(b.frame-a.frame)
	eb := b.view.sub(b.ideal)
	return v.add(ea, 1-t).add(eb, t)
}

// kbField fills f with the vectors that move anchor view a to view v.
// mask, when not nil, marks the 8x8 blocks of the visible frame (w/8 by
// h/8) that hold overlay pixels. The overlays stay where they are: a
// block that holds some, or whose moved reference (with the reach of the
// interpolation filter) would take some of the anchor's, keeps a zero
// vector and shows the anchor as it is.
func (p *plan) kbField(f *h264.MotionField, a, v kbView, mask []byte) {
	bw, bh := 2*f.WidthInMbs, 2*f.HeightInMbs
	mbx, mby := kbMarginLeft/8, kbMargin/8
	vw, vh := p.w/8, p.h/8
	// The view is the anchor's scaled and moved: a block's vector
	// depends on its column (x) and its row (y) only.
	qx := make([]int32, bw)
	for bx := range qx {
		cx := float64(bx*8) + 3.5
		qx[bx] = int32(math.Round(((v.ox+(cx+0.5)*v.sx-a.ox)/a.sx - 0.5 - cx) * 4))
	}
	// overlay reports whether the visible samples [x0, x1) x [y0, y1)
	// touch a masked block.
	overlay := func(x0, y0, x1, y1 int) bool {
		for my := max(y0, 0) / 8; my < vh && my*8 < y1; my++ {
			for mx := max(x0, 0) / 8; mx < vw && mx*8 < x1; mx++ {
				if mask[my*vw+mx] != 0 {
					return true
				}
			}
		}
		return false
	}
	// near marks the blocks within reach of a masked one: only those
	// need the exact test.
	var near []bool
	if mask != nil {
		near = kbNear(mask, vw, vh, (kbMaxShift+4+7)/8)
	}
	for by := range bh {
		cy := float64(by*8) + 3.5
		qy := int32(math.Round(((v.oy+(cy+0.5)*v.sy-a.oy)/a.sy - 0.5 - cy) * 4))
		my := by - mby
		for bx := range bw {
			mv := h264.MV{X: qx[bx], Y: qy}
			if mx := bx - mbx; near != nil && mx >= 0 && my >= 0 && mx < vw && my < vh && near[my*vw+mx] {
				x, y := mx*8, my*8
				rx, ry := x+int(mv.X>>2), y+int(mv.Y>>2)
				if overlay(x, y, x+8, y+8) || overlay(rx-2, ry-2, rx+8+4, ry+8+4) {
					mv = h264.MV{}
				}
			}
			f.Set(bx, by, mv)
		}
	}
}

// kbNear returns mask (w x h blocks) dilated by r blocks.
func kbNear(mask []byte, w, h, r int) []bool {
	rows := make([]bool, len(mask)) // dilated along rows
	for y := range h {
		for x := range w {
			if mask[y*w+x] != 0 {
				for i := max(x-r, 0); i <= min(x+r, w-1); i++ {
					rows[y*w+i] = true
				}
			}
		}
	}
	out := make([]bool, len(mask))
	for y := range h {
		for x := range w {
			if rows[y*w+x] {
				for j := max(y-r, 0); j <= min(y+r, h-1); j++ {
					out[j*w+x] = true
				}
			}
		}
	}
	return out
}

// kbAnchorGraph is filter graph text that makes shot k's anchors from
// the still labelled in: fitted, doubled, padded by the margin (its edge
// repeated), cropped and scaled by zoompan to the coded size, stamped
// with the time of their frame, labelled out.
func (p *plan) kbAnchorGraph(k int, anchors []kbAnchor, in, out string) string {
	cw, ch := p.kbCoded()
	pl, pm := p.kbUp*kbMarginLeft, p.kbUp*kbMargin
	sum := func(val func(a kbAnchor) string) string {
		var b strings.Builder
		for j, a := range anchors {
			if j > 0 {
				b.WriteString("+")
			}
			fmt.Fprintf(&b, "%s*eq(on\\,%d)", val(a), j)
		}
		return b.String()
	}
	z := sum(func(a kbAnchor) string { return a.zoom })
	x := sum(func(a kbAnchor) string { return strconv.Itoa(a.x) })
	y := sum(func(a kbAnchor) string { return strconv.Itoa(a.y) })
	return p.fitGraph(p.shots[k].fit, in, out+"_fit") +
		fmt.Sprintf("[%s_fit]scale=%d:%d,%s,pad=%d:%d:%d:%d,fillborders=left=%d:right=%d:top=%d:bottom=%d:mode=smear,"+
			"zoompan=z='%s':x='%s':y='%s':d=%d:s=%dx%d:fps=%d,setsar=1,setpts='%s'[%s];",
			out, p.kbUp*p.w, p.kbUp*p.h, yuvFilter, p.kbUp*cw, p.kbUp*ch, pl, pm, pl, pm, pm, pm,
			z, x, y, len(anchors), cw, ch, p.fps, kbPTS(kbFrames(anchors)), out)
}

// kbPTS is a setpts expression that gives the n-th frame the time of
// frame frames[n].
func kbPTS(frames []int) string {
	var b strings.Builder
	for j, f := range frames {
		if j > 0 {
			b.WriteString("+")
		}
		fmt.Fprintf(&b, "%d*eq(N\\,%d)", f, j)
	}
	return b.String()
}

// kbKeyTimes lists, for -force_key_frames, the anchors that start a
// new 2 s interval of the shot, by their time in the encoded stream of
// anchors (one frame each): key frames come every 2 s of video, as when
// every frame was encoded, not every 60 anchors.
func (p *plan) kbKeyTimes(anchors []kbAnchor) string {
	var b strings.Builder
	gop := 2 * p.fps
	for j, a := range anchors {
		if j == 0 || a.frame/gop != anchors[j-1].frame/gop {
			if b.Len() > 0 {
				b.WriteString(",")
			}
			b.WriteString(strconv.FormatFloat(float64(j)/float64(p.fps), 'f', 6, 64))
		}
	}
	return b.String()
}

// kbFrames returns the frames of anchors.
func kbFrames(anchors []kbAnchor) []int {
	out := make([]int, len(anchors))
	for j, a := range anchors {
		out[j] = a.frame
	}
	return out
}

// kbStates returns the frames of shot k (n frames long) where what the
// overlays show may change: its start and every caption start and end.
func kbStates(n int, changes []int) []int {
	out := []int{0}
	for _, c := range changes {
		if c > 0 && c < n {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// kbUsable reports whether the video can be made by synthesised motion:
// a frame of whole 8x8 blocks (the overlay mask).
func (p *plan) kbUsable() bool { return p.w%8 == 0 && p.h%8 == 0 }

// kbCrop is the x264 parameter that crops the margins away.
func kbCrop() string {
	return fmt.Sprintf(":crop-rect=%d,%d,%d,%d", kbMarginLeft, kbMargin, kbMargin, kbMargin)
}

// kbChanges returns the frames of shot k, from its start, where a caption
// starts or ends.
func (p *plan) kbChanges(k int) []int {
	sh := p.shots[k]
	var out []int
	for _, c := range p.segmentCues(sh.seg) {
		from, to := max(c.from, sh.from), min(c.to, sh.to)
		if to > from {
			out = append(out, from-sh.from, to-sh.from)
		}
	}
	return out
}

// kbMaskName and kbSegName are shot k's files: the overlay masks of its
// anchors and its encoded anchors.
func kbMaskName(k int) string { return fmt.Sprintf("seg%03d.mask", k) }
func kbSegName(k int) string  { return fmt.Sprintf("seg%03d.h264", k) }

// kenBurnsMotion renders the Ken Burns video by synthesised motion: one
// ffmpeg run per shot (several at once) encodes its anchors, with the
// watermark and captions burned in, and writes the overlay mask of each;
// the splice then writes each anchor followed by the motion pictures up to
// the next. Clips (intro, outro, a segment's own) are encoded with the
// same margins and spliced between.
func (r *renderer) kenBurnsMotion(ctx context.Context) (err error) {
	p := r.p
	n := len(p.shots)
	weights := map[string]float64{"audio": 0.5, "splice": 0.2, "mux": 0.3, "verify": 0.2}
	for i, sh := range p.shots {
		weights[fmt.Sprintf("seg%d", i)] = float64(sh.to-sh.from) / float64(p.fps) * 0.15
		if sh.clip {
			weights[clipName(i)] = float64(sh.to-sh.from) / float64(p.fps) * 0.5
		}
	}
	if p.spec.Intro != "" || p.spec.Outro != "" {
		weights["clips"] = float64(p.introFrames+p.outroFrames) / float64(p.fps) * 0.3
	}
	r.prog = newProgress(r.opts.OnProgress, weights)
	r.kbMargin = true
	defer func() {
		if err != nil {
			r.kbMargin = false // a fallback encodes clips as usual
		}
	}()
	par := r.parallel()
	anchors := make([][]kbAnchor, n)
	states := make([][]int, n)
	masked := make([]bool, n)
	segment := func(ctx context.Context, i int) error {
		if p.shots[i].clip {
			return r.encodeClip(ctx, i, r.clipsFillCores())
		}
		frames := p.shots[i].to - p.shots[i].from
		changes := p.kbChanges(i)
		// An anchor also every 2 s, where a key frame goes.
		breaks := slices.Clone(changes)
		for f := 2 * p.fps; f < frames; f += 2 * p.fps {
			breaks = append(breaks, f)
		}
		anchors[i] = p.kbAnchors(i, frames, breaks)
		states[i] = kbStates(frames, changes)
		as := anchors[i]
		in := inputs{}
		in.add("-i", p.shots[i].image)
		g := p.kbAnchorGraph(i, as, "0:v:0", "zp")
		cues := p.shotCues(i)
		ass := ""
		if len(cues) > 0 {
			name := fmt.Sprintf("seg%03d.ass", i)
			if err := subtitles.WriteASSFile(r.path(name), cues, p.w, p.h, p.style); err != nil {
				return errcode.Wrap(err, errcode.FileSystemError, false, "")
			}
			ass = ",ass=filename=" + name
		}
		masked[i] = len(cues) > 0 || p.spec.Watermark != nil
		ml, m := kbMarginLeft, kbMargin
		// The overlays go on the visible part only, which is then put back.
		g += fmt.Sprintf("[zp]split[full][vis0];[vis0]crop=%d:%d:%d:%d[vis0c];", p.w, p.h, ml, m) +
			p.watermark(&in, "vis0c") + ass + "[vis1];"
		if masked[i] {
			// The mask: the same overlays drawn on black and on white, once
			// for each caption (at the frames of states[i]); a sample is overlay where either moves
			// by more than 4 levels of luma from the plain colour (format
			// conversions move a flat colour by 1 or so). Then one value
			// per 8x8 block, non-zero where the block holds any.
			for _, bg := range []struct{ color, test string }{{"black", "gt(val\\,20)"}, {"white", "lt(val\\,231)"}} {
				g += fmt.Sprintf("color=c=%s:s=%dx%d:r=%d,format=yuv420p,trim=end_frame=%d,setpts='%s'[bg%s];",
					bg.color, p.w, p.h, p.fps, len(states[i]), kbPTS(states[i]), bg.color) +
					p.watermark(&in, "bg"+bg.color) + ass +
					fmt.Sprintf(",format=yuv420p,extractplanes=y,lut=c0='255*%s'[m%s];", bg.test, bg.color)
			}
			g += fmt.Sprintf("[mblack][mwhite]blend=all_mode=lighten,scale=%d:%d:flags=area+accurate_rnd,setpts=N[mask];", p.w/8, p.h/8)
		}
		g += fmt.Sprintf("[full][vis1]overlay=%d:%d,setpts=N[v]", ml, m)
		// The graph lists every anchor: for a long shot it outgrows what
		// one command-line argument may hold, so ffmpeg reads it from a file.
		script := fmt.Sprintf("seg%03d.graph", i)
		err := atomicfile.Write(r.path(script), 0o644, func(w io.Writer) error {
			_, err := io.WriteString(w, g)
			return err
		})
		if err != nil {
			return errcode.Wrap(err, errcode.FileSystemError, false, "")
		}
		args := append(in.args, "-filter_complex_script", script, "-map", "[v]", "-frames:v", strconv.Itoa(len(as)),
			"-force_key_frames", p.kbKeyTimes(as))
		args = append(args, p.x264ArgsWith(p.x264Params()+":me=dia:subme=1"+kbCrop())...)
		args = append(args, kbSegName(i))
		if masked[i] {
			args = append(args, "-map", "[mask]", "-frames:v", strconv.Itoa(len(states[i])), "-f", "rawvideo", "-pix_fmt", "gray", kbMaskName(i))
		}
		return r.run(ctx, args, p.frameTime(len(as)), fmt.Sprintf("seg%d", i), "video")
	}
	jobs := []func(context.Context) error{
		func(ctx context.Context) error { return limited(ctx, par, n, segment) },
		func(ctx context.Context) error { return r.encodeAudio(ctx, r.path("audio.m4a")) },
	}
	if err := all(ctx, append(jobs, r.clipJobs()...)...); err != nil {
		return err
	}

	r.prog.set("splice", "splice", 0)
	names := make([]string, n)
	for i := range names {
		names[i] = kbSegName(i)
		if p.shots[i].clip {
			names[i] = clipName(i)
		}
	}
	if err := r.spliceable(r.pieceNames(names...)...); err != nil {
		return err
	}
	err = r.spliceAllWith(h264.NewMotionWriter, func(w *h264.Writer) error {
		for i := range n {
			var err error
			if p.shots[i].clip {
				err = r.copyStream(w, clipName(i), p.shots[i].to-p.shots[i].from, nil)
			} else {
				err = r.kbSplice(w, i, anchors[i], states[i], masked[i])
			}
			if err != nil {
				return err
			}
			r.prog.set("splice", "splice", float64(i+1)/float64(n))
		}
		return nil
	})
	if err != nil {
		return err
	}
	return r.mux(ctx, r.path("video.h264"), r.path("audio.m4a"))
}

// kbSplice writes shot k: each encoded anchor, then motion pictures up to
// the next anchor. With masked set, the shot's mask file holds a mask for
// each of states (the frames where the overlays change).
func (r *renderer) kbSplice(w *h264.Writer, k int, as []kbAnchor, states []int, masked bool) error {
	p := r.p
	frames := p.shots[k].to - p.shots[k].from
	var masks []byte
	mlen := (p.w / 8) * (p.h / 8)
	if masked {
		var err error
		if masks, err = os.ReadFile(r.path(kbMaskName(k))); err != nil {
			return errcode.Wrap(err, errcode.FileSystemError, false, "")
		}
		if len(masks) != mlen*len(states) {
			return errcode.Newf(errcode.FFmpegFailed, false, "render: %s holds %d bytes, want %d", kbMaskName(k), len(masks), mlen*len(states))
		}
	}
	rd, c, err := r.openStream(kbSegName(k))
	if err != nil {
		return err
	}
	defer c.Close()
	var field *h264.MotionField
	for j := range as {
		au, err := rd.Next()
		if err != nil {
			return badStream(kbSegName(k), err)
		}
		if err := w.WriteUnit(au); err != nil {
			return err
		}
		if field == nil {
			pps := rd.Params().PPS[au.Picture.PPSID]
			sps := rd.Params().SPS[pps.SPSID]
			if err := h264.CheckMotion(sps, pps); err != nil {
				return err
			}
			field = h264.NewMotionField(sps.WidthInMbs, sps.FrameHeightInMbs())
		}
		end := frames
		var next *kbAnchor
		if j+1 < len(as) {
			next = &as[j+1]
			end = next.frame
		}
		var mask []byte
		if masked {
			// The anchor's state is the last that starts at or before it
			// (every state starts at an anchor).
			st, _ := slices.BinarySearch(states, as[j].frame+1)
			mask = masks[(st-1)*mlen : st*mlen]
		}
		for f := as[j].frame + 1; f < end; f++ {
			v := p.kbFrameView(k, frames, f, &as[j], next)
			p.kbField(field, as[j].view, v, mask)
			if err := w.WriteMotion(field); err != nil {
				return err
			}
		}
	}
	if _, err := rd.Next(); !errors.Is(err, io.EOF) {
		return errcode.Newf(errcode.FFmpegFailed, false, "render: %s holds more than %d pictures", kbSegName(k), len(as))
	}
	return nil
}
