package render

import (
	"context"
	"fmt"
	"strings"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/media/subtitles"
)

// filterGraph renders the whole video with one ffmpeg run: each still is
// looped (or zoomed) for its segment's frames, the clips are normalised,
// everything is concatenated, the subtitles are burned in on the real
// timeline and every frame is encoded.
func (r *renderer) filterGraph(ctx context.Context) error {
	p := r.p
	r.prog = newProgress(r.opts.OnProgress, map[string]float64{"encode": 10, "verify": 0.4})
	var in inputs
	var g strings.Builder
	var labels []string
	clip := func(path string, frames int, label string) {
		idx := in.add("-i", path)
		fmt.Fprintf(&g, "[%d:v:0]fps=%d,%s,tpad=stop_mode=clone:stop=-1,trim=end_frame=%d,setpts=PTS-STARTPTS,%s[%s];",
			idx, p.fps, p.fitFilter(), frames, yuvFilter, label)
		labels = append(labels, label)
	}
	if p.spec.Intro != "" {
		clip(p.spec.Intro, p.introFrames, "vintro")
	}
	for i, sh := range p.shots {
		frames := sh.to - sh.from
		label := fmt.Sprintf("v%d", i)
		switch {
		case sh.clip:
			// The spliced renderer's graph: cropped or stacked as the
			// clip's shape asks, HDR brought to SDR.
			fg, converted := r.clipGraph(ctx, p.clipInputArgs(&in, i), i, label+"_c")
			g.WriteString(fg)
			conv := yuvFilter
			if converted {
				conv = "format=yuv420p"
			}
			fmt.Fprintf(&g, "[%s_c]trim=end_frame=%d,setpts=PTS-STARTPTS,%s[%s];", label, frames, conv, label)
		case p.spec.Motion == MotionKenBurns:
			idx := in.add("-i", sh.image)
			g.WriteString(p.kenBurnsGraph(i, frames, fmt.Sprintf("%d:v:0", idx), label))
		default:
			idx := in.add("-loop", "1", "-framerate", fmt.Sprint(p.fps), "-t", seconds(p.frameTime(frames+2)), "-i", sh.image)
			g.WriteString(p.fitGraph(sh.fit, fmt.Sprintf("%d:v:0", idx), label+"_f"))
			fmt.Fprintf(&g, "[%s_f]trim=end_frame=%d,setpts=PTS-STARTPTS,%s[%s];", label, frames, yuvFilter, label)
		}
		labels = append(labels, label)
	}
	if p.spec.Outro != "" {
		clip(p.spec.Outro, p.outroFrames, "voutro")
	}
	for _, l := range labels {
		fmt.Fprintf(&g, "[%s]", l)
	}
	fmt.Fprintf(&g, "concat=n=%d:v=1:a=0[base];", len(labels))
	g.WriteString(p.watermark(&in, "base"))
	if cues := p.allCues(); len(cues) > 0 {
		var ass []subtitles.Cue
		for _, c := range cues {
			from, to := p.framesAt(c.Start), p.framesAt(c.End)
			ass = append(ass, p.assCue(from, to, c.Text))
		}
		if err := subtitles.WriteASSFile(r.path("all.ass"), ass, p.w, p.h, p.style); err != nil {
			return errcode.Wrap(err, errcode.FileSystemError, false, "")
		}
		g.WriteString(",ass=filename=all.ass")
	}
	g.WriteString(",format=yuv420p[vout];")
	mix, filter, err := r.soundTrack(ctx)
	if err != nil {
		return err
	}
	mi := in.add("-i", mix)
	fmt.Fprintf(&g, "[%d:a:0]%s[aout]", mi, filter)

	args := append(in.args, "-filter_complex", g.String(), "-map", "[vout]", "-map", "[aout]",
		"-c:v", "libx264", "-preset", p.preset, "-crf", fmt.Sprint(p.crf), "-profile:v", "high", "-pix_fmt", "yuv420p",
		"-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709", "-color_range", "tv",
		"-r", fmt.Sprint(p.fps), "-frames:v", fmt.Sprint(p.totalFrames()))
	args = append(args, p.aacArgs()...)
	args = append(args, "-movflags", "+faststart", "-f", "mp4", r.tmp)
	return r.run(ctx, args, p.frameTime(p.totalFrames()), "encode", "video")
}
