package render

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
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

// stillsBatchPixels bounds the decoded pictures one encoding run holds:
// ffmpeg decodes every image of its filter graph up front and keeps it
// for the loop filter, about 13 MiB per 1920x1080 slide on top of the
// encoder's own ~230 MiB, so a run's memory grows with its number of
// shots. Six 1080p slides per run keep an encoder at about 300 MiB,
// whatever the length of the video.
const stillsBatchPixels = 6 * 1920 * 1080

// stillsBatch is the number of still shots one encoding run takes for
// frames of w×h.
func stillsBatch(w, h int) int {
	return max(1, stillsBatchPixels/(w*h))
}

// stillBatch is one encoding run of still shots: shots[k] for k in
// [from, to) of the still shots, whose pictures are pics[picFrom:picTo].
type stillBatch struct {
	shots          []int // shot numbers
	picFrom, picTo int
	name           string // the encoded file
}

// batchStills splits the still shots into runs of at most n shots, as
// even as possible, keeping the order: a run's pictures follow the
// previous run's.
func batchStills(pics []picture, stillShots []int, n int) []stillBatch {
	if len(stillShots) == 0 {
		return nil
	}
	count := (len(stillShots) + n - 1) / n
	var out []stillBatch
	next := 0 // the first picture of the next run
	for b := 0; b < count; b++ {
		lo, hi := b*len(stillShots)/count, (b+1)*len(stillShots)/count
		sb := stillBatch{shots: stillShots[lo:hi], picFrom: next, name: fmt.Sprintf("stills%03d.h264", b)}
		last := stillShots[hi-1]
		for next < len(pics) && pics[next].shot <= last {
			next++
		}
		sb.picTo = next
		out = append(out, sb)
	}
	return out
}

// stills renders still segments. Every distinct picture is encoded once:
// the still shots are encoded in runs of a few shots (stillsBatch), each
// run decoding its shots' images once and repeating each (one frame per
// picture of the shot); libass burns in the subtitles from a script whose
// n-th cue lasts exactly the run's n-th frame, and x264 writes an IDR
// picture at each shot's start and P pictures (a changed subtitle over
// the same image) in between. The runs' streams are then joined, each
// picture lengthened with skipped pictures, while the sound track is
// encoded. Segments shown as video clips are encoded on their own, with
// the same settings, and spliced in between.
func (r *renderer) stills(ctx context.Context) error {
	p := r.p
	pics := p.pictures()
	var stillShots []int
	var clips []int
	for k, sh := range p.shots {
		if sh.clip {
			clips = append(clips, k)
		} else {
			stillShots = append(stillShots, k)
		}
	}
	size := r.opts.stillsBatch
	if size <= 0 {
		size = stillsBatch(p.w, p.h)
	}
	batches := batchStills(pics, stillShots, size)
	weights := map[string]float64{"audio": 1, "splice": 0.2, "mux": 0.5, "verify": 0.3}
	if len(batches) == 0 {
		weights["video"] = 0.5
	}
	for _, b := range batches {
		weights[b.name] = float64(b.picTo-b.picFrom)/float64(p.fps)*0.5 + 0.5
	}
	if p.spec.Intro != "" || p.spec.Outro != "" {
		weights["clips"] = float64(p.introFrames+p.outroFrames) / float64(p.fps) * 0.6
	}
	for _, k := range clips {
		sh := p.shots[k]
		weights[clipName(k)] = float64(sh.to-sh.from) / float64(p.fps) * 0.6
	}
	r.prog = newProgress(r.opts.OnProgress, weights)

	par := r.parallel()
	var jobs []func(context.Context) error
	if len(batches) > 0 {
		// At most par runs at once: memory stays bounded by par runs.
		jobs = append(jobs, func(ctx context.Context) error {
			return limited(ctx, par, len(batches), func(ctx context.Context, i int) error {
				return r.encodeStills(ctx, pics, batches[i])
			})
		})
	} else {
		r.prog.set("video", "video", 1)
	}
	jobs = append(jobs, func(ctx context.Context) error {
		return r.encodeAudio(ctx, r.path("audio.m4a"))
	})
	if len(clips) > 0 {
		jobs = append(jobs, func(ctx context.Context) error {
			return r.encodeClips(ctx, par, clips)
		})
	}
	jobs = append(jobs, r.clipJobs()...)
	if err := all(ctx, jobs...); err != nil {
		return err
	}

	r.prog.set("splice", "splice", 0)
	var names []string
	for _, b := range batches {
		names = append(names, b.name)
	}
	for _, k := range clips {
		names = append(names, clipName(k))
	}
	if err := r.spliceable(r.pieceNames(names...)...); err != nil {
		return err
	}
	err := r.spliceAll(func(w *h264.Writer) error {
		src := &stillsSource{r: r, batches: batches, cur: -1}
		defer src.close()
		next := 0 // the next picture
		for k, sh := range p.shots {
			if sh.clip {
				if err := r.copyClips(w, k, k+1); err != nil {
					return err
				}
				continue
			}
			for ; next < len(pics) && pics[next].shot == k; next++ {
				au, err := src.picture(next)
				if err != nil {
					return err
				}
				if err := w.WriteUnit(au); err != nil {
					return err
				}
				if err := w.WriteSkip(pics[next].frames - 1); err != nil {
					return err
				}
			}
		}
		return src.close()
	})
	if err != nil {
		return err
	}
	r.prog.set("splice", "splice", 1)
	return r.mux(ctx, r.path("video.h264"), r.path("audio.m4a"))
}

// encodeStills encodes the pictures of one run of still shots into
// b.name.
func (r *renderer) encodeStills(ctx context.Context, pics []picture, b stillBatch) error {
	p := r.p
	var in inputs
	var graph strings.Builder
	var cues []subtitles.Cue
	var keys []string
	perShot := map[int]int{}
	for n, pic := range pics[b.picFrom:b.picTo] {
		if perShot[pic.shot] == 0 {
			keys = append(keys, fmt.Sprintf("eq(n,%d)", n))
		}
		perShot[pic.shot]++
		if pic.text != "" {
			cues = append(cues, p.assCue(n, n+1, pic.text))
		}
	}
	for _, k := range b.shots {
		sh := p.shots[k]
		idx := in.add("-i", sh.image)
		graph.WriteString(p.fitGraph(sh.fit, fmt.Sprintf("%d:v:0", idx), fmt.Sprintf("f%d", k)))
		fmt.Fprintf(&graph, "[f%d]loop=loop=%d:size=1:start=0[p%d];", k, perShot[k]-1, k)
	}
	for _, k := range b.shots {
		fmt.Fprintf(&graph, "[p%d]", k)
	}
	fmt.Fprintf(&graph, "concat=n=%d:v=1:a=0,settb=1/%d,setpts=N[base];", len(b.shots), p.fps)
	graph.WriteString(p.watermark(&in, "base"))
	if len(cues) > 0 {
		ass := strings.TrimSuffix(b.name, ".h264") + ".ass"
		if err := subtitles.WriteASSFile(r.path(ass), cues, p.w, p.h, p.style); err != nil {
			return errcode.Wrap(err, errcode.FileSystemError, false, "")
		}
		graph.WriteString(",ass=filename=" + ass)
	}
	graph.WriteString("," + yuvFilter + "[v]")
	n := b.picTo - b.picFrom
	args := append(in.args, "-filter_complex", graph.String(), "-map", "[v]",
		"-frames:v", fmt.Sprint(n), "-force_key_frames", "expr:"+strings.Join(keys, "+"))
	args = append(args, p.x264Args()...)
	args = append(args, b.name)
	return r.run(ctx, args, p.frameTime(n), b.name, "video")
}

// stillsSource reads the encoded pictures of the runs in order, one
// file after the other, checking that each file holds its run's pictures.
type stillsSource struct {
	r       *renderer
	batches []stillBatch
	cur     int // the run read last; -1 before the first
	rd      *h264.Reader
	c       io.Closer
}

// picture returns picture n, the one after the previous call's.
func (s *stillsSource) picture(n int) (*h264.AccessUnit, error) {
	for s.rd == nil || n >= s.batches[s.cur].picTo {
		if err := s.close(); err != nil {
			return nil, err
		}
		s.cur++
		if s.cur >= len(s.batches) {
			return nil, errcode.Newf(errcode.Internal, false, "render: no encoded run holds picture %d", n)
		}
		rd, c, err := s.r.openStream(s.batches[s.cur].name)
		if err != nil {
			return nil, err
		}
		s.rd, s.c = rd, c
	}
	b := s.batches[s.cur]
	au, err := s.rd.Next()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errcode.Newf(errcode.FFmpegFailed, false, "render: %s holds %d pictures, want %d", b.name, n-b.picFrom, b.picTo-b.picFrom)
		}
		return nil, badStream(b.name, err)
	}
	return au, nil
}

// close checks that the open file holds no more pictures and closes it.
func (s *stillsSource) close() error {
	if s.rd == nil {
		return nil
	}
	b := s.batches[s.cur]
	_, err := s.rd.Next()
	s.c.Close()
	s.rd, s.c = nil, nil
	if !errors.Is(err, io.EOF) {
		return errcode.Newf(errcode.FFmpegFailed, false, "render: %s holds more than %d pictures", b.name, b.picTo-b.picFrom)
	}
	return nil
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
	return writeStreamWith(path, h264.NewWriter, fill, wantFrames)
}

// writeStreamWith is writeStream with the Writer newWriter makes.
func writeStreamWith(path string, newWriter func(io.Writer) *h264.Writer, fill func(*h264.Writer) error, wantFrames int) error {
	f, err := os.Create(path)
	if err != nil {
		return errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	w := newWriter(f)
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
