package render

import (
	"context"
	"fmt"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/media/h264"
	"github.com/ytmaker/ytmaker/internal/media/subtitles"
)

// kenBurnsGraph animates shot k, a still, over n frames: filter graph
// text from the stream labelled in to out, ending with ";". The picture is fitted
// to the frame, doubled in size (so that zoompan's whole-pixel crop steps
// become half-pixel steps on screen, which hides the jitter), converted to
// 4:2:0 once, then zoomed in, zoomed out or panned, depending on the
// segment's position.
func (p *plan) kenBurnsGraph(k, n int, in, out string) string {
	seg := k
	last := max(n-1, 1)
	t := fmt.Sprintf("min(on/%d\\,1)", last)
	var z, x, y string
	center := "(ih-ih/zoom)/2"
	switch seg % 4 {
	case 0: // zoom in
		z, x, y = "1+0.12*"+t, "(iw-iw/zoom)/2", center
	case 1: // pan left to right
		z, x, y = "1.10", "(iw-iw/zoom)*"+t, center
	case 2: // zoom out
		z, x, y = "1.12-0.12*"+t, "(iw-iw/zoom)/2", center
	default: // pan right to left
		z, x, y = "1.10", "(iw-iw/zoom)*(1-"+t+")", center
	}
	return p.fitGraph(p.shots[k].fit, in, out+"_fit") +
		fmt.Sprintf("[%s_fit]scale=%d:%d,%s,zoompan=z='%s':x='%s':y='%s':d=%d:s=%dx%d:fps=%d,setsar=1[%s];",
			out, 2*p.w, 2*p.h, yuvFilter, z, x, y, n, p.w, p.h, p.fps, out)
}

// kenBurns renders every segment as its own x264 run (several at once),
// with subtitles burned in from a per-segment script, and splices the
// segments and clips into one stream.
func (r *renderer) kenBurns(ctx context.Context) error {
	p := r.p
	if !r.opts.everyFrame && !p.legacyMotion && p.kbUsable() {
		return r.kenBurnsMotion(ctx)
	}
	n := len(p.shots)
	weights := map[string]float64{"audio": 0.5, "splice": 0.1, "mux": 0.3, "verify": 0.2}
	for i, sh := range p.shots {
		weights[fmt.Sprintf("seg%d", i)] = float64(sh.to-sh.from) / float64(p.fps) * 0.5
	}
	if p.spec.Intro != "" || p.spec.Outro != "" {
		weights["clips"] = float64(p.introFrames+p.outroFrames) / float64(p.fps) * 0.3
	}
	r.prog = newProgress(r.opts.OnProgress, weights)

	par := r.parallel()
	segment := func(ctx context.Context, i int) error {
		if p.shots[i].clip {
			return r.encodeClip(ctx, i, r.clipsFillCores())
		}
		frames := p.shots[i].to - p.shots[i].from
		in := inputs{}
		in.add("-i", p.shots[i].image)
		vf := p.kenBurnsGraph(i, frames, "0:v:0", "base") + p.watermark(&in, "base")
		if cues := p.shotCues(i); len(cues) > 0 {
			name := fmt.Sprintf("seg%03d.ass", i)
			if err := subtitles.WriteASSFile(r.path(name), cues, p.w, p.h, p.style); err != nil {
				return errcode.Wrap(err, errcode.FileSystemError, false, "")
			}
			vf += ",ass=filename=" + name
		}
		args := append(in.args, "-filter_complex", vf+"[v]", "-map", "[v]", "-frames:v", fmt.Sprint(frames))
		args = append(args, p.x264MotionArgs()...)
		args = append(args, fmt.Sprintf("seg%03d.h264", i))
		name := fmt.Sprintf("seg%d", i)
		return r.run(ctx, args, p.frameTime(frames), name, "video")
	}
	jobs := []func(context.Context) error{
		func(ctx context.Context) error { return limited(ctx, par, n, segment) },
		func(ctx context.Context) error { return r.encodeAudio(ctx, r.path("audio.m4a")) },
	}
	jobs = append(jobs, r.clipJobs()...)
	if err := all(ctx, jobs...); err != nil {
		return err
	}

	r.prog.set("splice", "splice", 0)
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("seg%03d.h264", i)
		if p.shots[i].clip {
			names[i] = clipName(i)
		}
	}
	if err := r.spliceable(r.pieceNames(names...)...); err != nil {
		return err
	}
	err := r.spliceAll(func(w *h264.Writer) error {
		for i, name := range names {
			if err := r.copyStream(w, name, p.shots[i].to-p.shots[i].from, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	r.prog.set("splice", "splice", 1)
	return r.mux(ctx, r.path("video.h264"), r.path("audio.m4a"))
}
