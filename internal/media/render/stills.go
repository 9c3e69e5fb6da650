package render

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/media/h264"
	"github.com/ytmaker/ytmaker/internal/media/subtitles"
)

// picture is one distinct image of the video: a shot's still with one
// subtitle cue (or none), shown for frames frames.
type picture struct {
	shot   int
	text   string
	frames int
}

// pictures lists the distinct pictures of the narration's stills in order
// (clips are encoded on their own).
func (p *plan) pictures() []picture {
	var out []picture
	add := func(shot int, text string, n int) {
		if n <= 0 {
			return
		}
		if k := len(out) - 1; k >= 0 && out[k].shot == shot && out[k].text == text {
			out[k].frames += n
			return
		}
		out = append(out, picture{shot, text, n})
	}
	for k, sh := range p.shots {
		if sh.clip {
			continue
		}
		at := sh.from
		for _, c := range p.segmentCues(sh.seg) {
			from, to := max(c.from, sh.from), min(c.to, sh.to)
			if to <= from {
				continue
			}
			add(k, "", from-at)
			add(k, c.text, to-from)
			at = to
		}
		add(k, "", sh.to-at)
	}
	return out
}

// stills renders still segments. Every distinct picture is encoded once,
// in one ffmpeg run: each segment's image is decoded once and repeated
// (one frame per picture of the segment), libass burns in the subtitles
// from a script whose n-th cue lasts exactly the n-th frame, and x264
// writes an IDR picture at each segment's start and P pictures (a changed
// subtitle over the same image) in between. The pictures are then
// lengthened with skipped pictures while the sound track is encoded.
// Segments shown as video clips are encoded on their own, with the same
// settings, and spliced in between.
func (r *renderer) stills(ctx context.Context) error {
	p := r.p
	pics := p.pictures()
	weights := map[string]float64{"video": float64(len(pics))/float64(p.fps)*0.5 + 0.5, "audio": 1, "splice": 0.2, "mux": 0.5, "verify": 0.3}
	if p.spec.Intro != "" || p.spec.Outro != "" {
		weights["clips"] = float64(p.introFrames+p.outroFrames) / float64(p.fps) * 0.6
	}
	var clips []int
	for k, sh := range p.shots {
		if sh.clip {
			clips = append(clips, k)
			weights[clipName(k)] = float64(sh.to-sh.from) / float64(p.fps) * 0.6
		}
	}
	r.prog = newProgress(r.opts.OnProgress, weights)

	var in inputs
	var graph strings.Builder
	var cues []subtitles.Cue
	var keys []string
	perShot := make([]int, len(p.shots))
	for k, pic := range pics {
		if perShot[pic.shot] == 0 {
			keys = append(keys, fmt.Sprintf("eq(n,%d)", k))
		}
		perShot[pic.shot]++
		if pic.text != "" {
			cues = append(cues, p.assCue(k, k+1, pic.text))
		}
	}
	var stillShots []int
	for k, sh := range p.shots {
		if sh.clip {
			continue
		}
		stillShots = append(stillShots, k)
		idx := in.add("-i", sh.image)
		graph.WriteString(p.fitGraph(sh.fit, fmt.Sprintf("%d:v:0", idx), fmt.Sprintf("f%d", k)))
		fmt.Fprintf(&graph, "[f%d]loop=loop=%d:size=1:start=0[p%d];", k, perShot[k]-1, k)
	}
	for _, k := range stillShots {
		fmt.Fprintf(&graph, "[p%d]", k)
	}
	fmt.Fprintf(&graph, "concat=n=%d:v=1:a=0,settb=1/%d,setpts=N[base];", len(stillShots), p.fps)
	graph.WriteString(p.watermark(&in, "base"))
	if len(cues) > 0 {
		if err := subtitles.WriteASSFile(r.path("stills.ass"), cues, p.w, p.h, p.style); err != nil {
			return errcode.Wrap(err, errcode.FileSystemError, false, "")
		}
		graph.WriteString(",ass=filename=stills.ass")
	}
	graph.WriteString("," + yuvFilter + "[v]")
	encodeStills := func(ctx context.Context) error {
		args := append(in.args, "-filter_complex", graph.String(), "-map", "[v]",
			"-frames:v", fmt.Sprint(len(pics)), "-force_key_frames", "expr:"+strings.Join(keys, "+"))
		args = append(args, p.x264Args()...)
		args = append(args, "stills.h264")
		return r.run(ctx, args, p.frameTime(len(pics)), "video", "video")
	}
	var jobs []func(context.Context) error
	if len(pics) > 0 {
		jobs = append(jobs, encodeStills)
	} else {
		r.prog.set("video", "video", 1)
	}
	jobs = append(jobs, func(ctx context.Context) error {
		return r.encodeAudio(ctx, r.path("audio.m4a"))
	})
	if len(clips) > 0 {
		par := r.opts.Parallel
		if par <= 0 {
			par = runtime.NumCPU()
		}
		jobs = append(jobs, func(ctx context.Context) error {
			return limited(ctx, par, len(clips), func(ctx context.Context, i int) error {
				return r.encodeClip(ctx, clips[i])
			})
		})
	}
	jobs = append(jobs, r.clipJobs()...)
	if err := all(ctx, jobs...); err != nil {
		return err
	}

	r.prog.set("splice", "splice", 0)
	var names []string
	if len(pics) > 0 {
		names = append(names, "stills.h264")
	}
	for _, k := range clips {
		names = append(names, clipName(k))
	}
	if err := r.spliceable(r.pieceNames(names...)...); err != nil {
		return err
	}
	err := r.spliceAll(func(w *h264.Writer) error {
		if len(pics) == 0 {
			return r.copyClips(w, 0, len(p.shots))
		}
		rd, c, err := r.openStream("stills.h264")
		if err != nil {
			return err
		}
		defer c.Close()
		next := 0 // the next picture of stills.h264
		for k, sh := range p.shots {
			if sh.clip {
				if err := r.copyClips(w, k, k+1); err != nil {
					return err
				}
				continue
			}
			for ; next < len(pics) && pics[next].shot == k; next++ {
				au, err := rd.Next()
				if err != nil {
					if errors.Is(err, io.EOF) {
						return errcode.Newf(errcode.FFmpegFailed, false, "render: stills.h264 holds %d pictures, want %d", next, len(pics))
					}
					return badStream("stills.h264", err)
				}
				if err := w.WriteUnit(au); err != nil {
					return err
				}
				if err := w.WriteSkip(pics[next].frames - 1); err != nil {
					return err
				}
			}
		}
		if _, err := rd.Next(); !errors.Is(err, io.EOF) {
			return errcode.Newf(errcode.FFmpegFailed, false, "render: stills.h264 holds more than %d pictures", len(pics))
		}
		return nil
	})
	if err != nil {
		return err
	}
	r.prog.set("splice", "splice", 1)
	return r.mux(ctx, r.path("video.h264"), r.path("audio.m4a"))
}

// copyClips appends the encoded clips among shots [from, to).
func (r *renderer) copyClips(w *h264.Writer, from, to int) error {
	for k := from; k < to; k++ {
		if sh := r.p.shots[k]; sh.clip {
			if err := r.copyStream(w, clipName(k), sh.to-sh.from, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeStream writes a spliced stream and checks its length.
func writeStream(path string, fill func(*h264.Writer) error, wantFrames int) error {
	f, err := os.Create(path)
	if err != nil {
		return errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	w := h264.NewWriter(f)
	err = fill(w)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return errcode.Wrap(err, errcode.Internal, false, "render: splice video stream")
	}
	if w.Frames() != wantFrames {
		return errcode.Newf(errcode.Internal, false, "render: spliced %d frames, want %d", w.Frames(), wantFrames)
	}
	return nil
}
