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

// clipX264Args are the encoder options of a clip.
func (r *renderer) clipX264Args() []string {
	if !r.kbMargin {
		return r.p.x264ArgsWith(r.p.x264Params() + clipSearch)
	}
	return r.p.x264ArgsWith(r.p.x264Params() + kbCrop() + clipSearch)
}

// clipName is the encoded file of shot k, a segment's video clip.
func clipName(k int) string { return fmt.Sprintf("clip%03d.h264", k) }

// clipInput adds shot k's clip as an input, looped so that it lasts at
// least the shot (and read no further), and returns filter graph text
// that fits it to the frame at the frame rate, labelled out.
func (p *plan) clipInput(in *inputs, k int, out string) string {
	idx := p.clipInputArgs(in, k)
	return fmt.Sprintf("[%d:v:0]setpts=PTS-STARTPTS,fps=%d[%s_r];", idx, p.fps, out) + p.fitGraph(FitFill, out+"_r", out)
}

// encodeClip encodes shot k, a segment's video clip, with the splice
// settings: cut to the shot's frames (looped when it is shorter), filled
// into the frame, with the watermark and the shot's subtitles burned in
// and without its sound. ffmpeg streams it: a long clip is never held in
// memory.
func (r *renderer) encodeClip(ctx context.Context, k int) error {
	p := r.p
	sh := p.shots[k]
	frames := sh.to - sh.from
	var in inputs
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
	args := append(in.args, "-filter_complex", g, "-map", "[v]", "-frames:v", fmt.Sprint(frames))
	args = append(args, r.clipX264Args()...)
	args = append(args, clipName(k))
	return r.run(ctx, args, p.frameTime(frames), clipName(k), "video")
}
