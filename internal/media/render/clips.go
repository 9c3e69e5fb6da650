package render

import (
	"context"
	"fmt"

	"github.com/ytmaker/ytmaker/internal/media/h264"
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

// readClips parses the encoded clips and checks that they can be spliced
// with ref; errFallback when they cannot.
func (r *renderer) readClips(ref *h264.Stream) (intro, outro *h264.Stream, err error) {
	read := func(path string, frames int) (*h264.Stream, error) {
		st, err := readStream(r.path(path))
		if err != nil {
			return nil, err
		}
		if !h264.SameParams(ref, st) {
			r.log.Warn("clip parameter sets differ from the main stream", "clip", path)
			return nil, errFallback
		}
		if len(st.Units) != frames {
			return nil, fmt.Errorf("render: %s holds %d frames, want %d", path, len(st.Units), frames)
		}
		return st, nil
	}
	if r.p.spec.Intro != "" {
		if intro, err = read("intro.h264", r.p.introFrames); err != nil {
			return nil, nil, err
		}
	}
	if r.p.spec.Outro != "" {
		if outro, err = read("outro.h264", r.p.outroFrames); err != nil {
			return nil, nil, err
		}
	}
	return intro, outro, nil
}
