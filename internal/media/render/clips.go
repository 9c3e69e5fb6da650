package render

import (
	"context"
	"fmt"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/media/subtitles"
)

// clipJobs returns the jobs encoding the avatar clips with the splice
// settings: normalised to the frame (scaled and padded), 30 fps, exactly
// the planned number of frames (the last frame repeats if the clip's
// video runs short).
func (r *renderer) clipJobs() []func(context.Context) error {
	p := r.p
	var jobs []func(context.Context) error
	for _, c := range []struct {
		path, out string
		frames    int
	}{{p.spec.Intro, "intro.h264", p.introFrames}, {p.spec.Outro, "outro.h264", p.outroFrames}} {
		if c.path == "" {
			continue
		}
		jobs = append(jobs, func(ctx context.Context) error {
			vf := fmt.Sprintf("fps=%d,%s,tpad=stop_mode=clone:stop=-1,%s", p.fps, p.fitFilter(), yuvFilter) + r.clipPad()
			args := []string{"-i", c.path, "-vf", vf, "-frames:v", fmt.Sprint(c.frames)}
			args = append(args, r.clipX264Args()...)
			args = append(args, c.out)
			return r.run(ctx, args, p.frameTime(p.introFrames+p.outroFrames), "clips", "video")
		})
	}
	return jobs
}

// clipPad is the filter text (with its leading comma) that adds the
// margins of synthesised Ken Burns motion to a clip's frames, when they
// are to be spliced with its anchors: black, cropped away by the SPS.
func (r *renderer) clipPad() string {
	if !r.kbMargin {
		return ""
	}
	cw, ch := r.p.kbCoded()
	return fmt.Sprintf(",pad=%d:%d:%d:%d", cw, ch, kbMarginLeft, kbMargin)
}

// clipX264Args are the encoder options of a clip: the fast analysis at
// the quality setting that matches the other pieces' (see clipAnalysis),
// unless the spec names a preset.
func (r *renderer) clipX264Args() []string {
	params := r.p.x264Params()
	if r.kbMargin {
		params += kbCrop()
	}
	if r.p.spec.Preset != "" {
		return r.p.x264ArgsWith(params)
	}
	return r.p.x264Encoder("ultrafast", min(r.p.crf+clipCRFOffset, 51), params+clipAnalysis)
}

// clipsFillCores reports whether the render has at least as many video
// clips as encoding runs go at once. Each clip's ffmpeg run is then
// single-threaded (decoder, filters and x264): the runs keep the cores
// busy between them, and threads inside a run would only add the cost of
// handing frames between them (about a tenth of a clip's CPU time).
// encodeClips refines this for the last clips.
func (r *renderer) clipsFillCores() bool {
	n := 0
	for _, sh := range r.p.shots {
		if sh.clip {
			n++
		}
	}
	return n >= r.parallel()
}

// clipName is the encoded file of shot k, a segment's video clip.
func clipName(k int) string { return fmt.Sprintf("clip%03d.h264", k) }

// encodeClips encodes the clips of shots ks, par at once: probed first,
// then the costliest first. While more clips wait than cores, each run is
// single-threaded (see clipsFillCores); the last par clips, which start
// when cores are about to go idle, use threads.
func (r *renderer) encodeClips(ctx context.Context, par int, ks []int) error {
	// A probe mostly waits for ffprobe to start: several go at once.
	if err := r.probeClips(ctx, 4*par, ks); err != nil {
		return err
	}
	order := r.clipOrder(ks)
	return limited(ctx, par, len(order), func(ctx context.Context, i int) error {
		return r.encodeClip(ctx, order[i], len(order) >= par && i < len(order)-par)
	})
}

// encodeClip encodes shot k, a segment's video clip, with the splice
// settings: cut to the shot's frames (looped when it is shorter), filled
// into the frame, with the watermark and the shot's subtitles burned in
// and without its sound; single-threaded when single. ffmpeg streams it:
// a long clip is never held in memory.
func (r *renderer) encodeClip(ctx context.Context, k int, single bool) error {
	p := r.p
	sh := p.shots[k]
	frames := sh.to - sh.from
	var in inputs
	if single {
		in.args = append(in.args, "-threads", "1") // the clip's decoder
	}
	if r.clipProbes != nil && r.clipProbes[k].skipNonRef && !r.opts.decodeEveryFrame {
		in.args = append(in.args, "-skip_frame", "noref")
	}
	g, converted := r.clipGraph(ctx, p.clipInputArgs(&in, k), k, "base")
	g += p.watermark(&in, "base")
	if cues := p.shotCues(k); len(cues) > 0 {
		name := fmt.Sprintf("clip%03d.ass", k)
		if err := subtitles.WriteASSFile(r.path(name), cues, p.w, p.h, p.style); err != nil {
			return errcode.Wrap(err, errcode.FileSystemError, false, "")
		}
		g += ",ass=filename=" + name
	}
	if converted {
		g += ",format=yuv420p"
	} else {
		g += "," + yuvFilter
	}
	g += r.clipPad() + "[v]"
	args := in.args
	if single {
		args = append(args, "-filter_complex_threads", "1")
	}
	args = append(args, "-filter_complex", g, "-map", "[v]", "-frames:v", fmt.Sprint(frames))
	args = append(args, r.clipX264Args()...)
	if single {
		args = append(args, "-threads", "1")
	}
	args = append(args, clipName(k))
	return r.run(ctx, args, p.frameTime(frames), clipName(k), "video")
}
