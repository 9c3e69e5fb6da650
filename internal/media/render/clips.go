package render

import (
	"context"
	"fmt"
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
			vf := fmt.Sprintf("fps=%d,%s,tpad=stop_mode=clone:stop=-1,%s", p.fps, p.fitFilter(), yuvFilter)
			args := []string{"-i", c.path, "-vf", vf, "-frames:v", fmt.Sprint(c.frames)}
			args = append(args, p.x264Args()...)
			args = append(args, c.out)
			return r.run(ctx, args, p.frameTime(p.introFrames+p.outroFrames), "clips", "video")
		})
	}
	return jobs
}
