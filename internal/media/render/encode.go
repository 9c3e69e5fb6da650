package render

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/media/ffmpeg"
	"github.com/ytmaker/ytmaker/internal/media/loudness"
)

// errFallback asks for the filter graph renderer: the pieces of a spliced
// stream turned out not to share their coding parameters.
var errFallback = errors.New("render: streams cannot be spliced")

// x264Params are the encoder settings every spliced piece shares. CAVLC
// (cabac=0) is what skipped pictures are written in; no B-frames and one
// reference frame keep the decoding order simple; stitchable=1 keeps the
// parameter sets independent of the content, so separately encoded pieces
// can be joined; weighted prediction is off so P slices need no weight
// tables.
func (p *plan) x264Params() string {
	return fmt.Sprintf("cabac=0:bframes=0:ref=1:weightp=0:stitchable=1:scenecut=0:keyint=%d:min-keyint=1", 2*p.fps)
}

// x264Args returns the video encoder options for raw Annex B output.
func (p *plan) x264Args() []string {
	return p.x264ArgsWith(p.x264Params())
}

// x264MotionArgs are x264Args for moving pictures. A slow zoom or pan
// moves every block by the same fraction of a pixel from one frame to
// the next, which the simplest motion search (diamond, one sub-pixel
// refinement) finds as well as a wider one: the encoder spends a quarter
// less time for about a tenth more bits. Only the search changes, not the
// parameter sets, so the pieces still splice.
func (p *plan) x264MotionArgs() []string {
	if p.legacyMotion {
		return p.x264Args()
	}
	return p.x264ArgsWith(p.x264Params() + ":me=dia:subme=1")
}

func (p *plan) x264ArgsWith(params string) []string {
	return p.x264Encoder(p.preset, p.crf, params)
}

// x264Encoder returns the video encoder options for raw Annex B output
// with the given preset, quality and x264 parameters.
func (p *plan) x264Encoder(preset string, crf int, params string) []string {
	return []string{
		"-c:v", "libx264", "-preset", preset, "-profile:v", "high", "-crf", strconv.Itoa(crf),
		"-x264-params", params, "-pix_fmt", "yuv420p", "-r", strconv.Itoa(p.fps),
		"-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709", "-color_range", "tv",
		"-an", "-f", "h264",
	}
}

// fitFilter scales a picture into the frame, keeping its aspect ratio,
// and centres it on black.
func (p *plan) fitFilter() string {
	return fmt.Sprintf("scale=%d:%d:force_original_aspect_ratio=decrease,pad=%d:%d:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1",
		p.w, p.h, p.w, p.h)
}

// fitGraph returns filter graph text that fits the stream labelled in to
// the frame as f says, labelled out (ending with ";").
func (p *plan) fitGraph(f Fit, in, out string) string {
	if f != FitFill {
		return fmt.Sprintf("[%s]%s[%s];", in, p.fitFilter(), out)
	}
	// The scale factor: cover the frame when cropping cuts at most a
	// fifth of the picture, else fit inside it. r is the picture's
	// shape relative to the frame's.
	a := float64(p.w) / float64(p.h)
	r := fmt.Sprintf("(iw/ih/%.6f)", a)
	k := fmt.Sprintf("if(gte(min(%s\\,1/%s)\\,0.8)\\,max(%d/iw\\,%d/ih)\\,min(%d/iw\\,%d/ih))", r, r, p.w, p.h, p.w, p.h)
	return fmt.Sprintf("[%[1]s]split=2[%[2]s_a][%[2]s_b];[%[2]s_b]%[3]s[%[2]s_bg];"+
		"[%[2]s_a]scale=w='2*ceil(iw*%[6]s/2)':h='2*ceil(ih*%[6]s/2)',crop=w='min(iw\\,%[4]d)':h='min(ih\\,%[5]d)',setsar=1[%[2]s_fg];"+
		"[%[2]s_bg][%[2]s_fg]overlay=x=(W-w)/2:y=(H-h)/2:format=auto[%[2]s];",
		in, out, p.blurredCopy(), p.w, p.h, k)
}

// blurredCopy is the filter chain that turns a picture into the blurred,
// darkened copy FitFill lays it over, filling the frame. The copy is made
// at an eighth of the size and converted to 4:2:0 there, so that a clip's
// every frame costs only an upscale of 4:2:0 pictures; the blur hides the
// upscaling.
func (p *plan) blurredCopy() string {
	bw, bh := max(p.w/8&^1, 2), max(p.h/8&^1, 2)
	return fmt.Sprintf("scale=%[1]d:%[2]d:force_original_aspect_ratio=increase,crop=%[1]d:%[2]d,gblur=sigma=3,"+
		"format=rgb24,colorchannelmixer=rr=0.55:gg=0.55:bb=0.55,format=yuv420p,scale=%[3]d:%[4]d,setsar=1", bw, bh, p.w, p.h)
}

// yuvFilter converts to BT.709 limited-range 4:2:0, as tagged.
const yuvFilter = "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p"

// seconds formats d for ffmpeg options.
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 6, 64)
}

// inputs collects ffmpeg input arguments and numbers the inputs.
type inputs struct {
	args []string
	n    int
}

func (in *inputs) add(args ...string) int {
	in.args = append(in.args, args...)
	in.n++
	return in.n - 1
}

// audioGraph adds the audio inputs and returns filter graph text ending
// in the label [aout]: the intro clip's sound, the narrations, the outro
// clip's sound, concatenated and resampled to 48 kHz stereo, with the
// music looped, faded out and ducked under the voice. introIdx and
// outroIdx are the clips' input numbers when the caller already added
// them, or -1.
func (p *plan) audioGraph(in *inputs, introIdx, outroIdx int) string {
	const norm = "aresample=48000,aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo"
	var g strings.Builder
	var labels []string
	clip := func(path string, idx int, frames int, hasAudio bool, label string) {
		d := seconds(p.frameTime(frames))
		if !hasAudio {
			fmt.Fprintf(&g, "anullsrc=r=48000:cl=stereo,atrim=end=%s[%s];", d, label)
		} else {
			if idx < 0 {
				idx = in.add("-i", path)
			}
			fmt.Fprintf(&g, "[%d:a:0]%s,apad,atrim=end=%s,asetpts=N/SR/TB[%s];", idx, norm, d, label)
		}
		labels = append(labels, label)
	}
	if p.spec.Intro != "" {
		_, has := p.introInfo.Audio()
		clip(p.spec.Intro, introIdx, p.introFrames, has, "aintro")
	}
	for i, s := range p.spec.Segments {
		idx := in.add("-i", s.Audio)
		fmt.Fprintf(&g, "[%d:a:0]%s[n%d];", idx, norm, i)
		labels = append(labels, fmt.Sprintf("n%d", i))
	}
	if p.spec.Outro != "" {
		_, has := p.outroInfo.Audio()
		clip(p.spec.Outro, outroIdx, p.outroFrames, has, "aoutro")
	}
	for _, l := range labels {
		fmt.Fprintf(&g, "[%s]", l)
	}
	m := p.spec.Music
	if m == nil || m.Path == "" {
		fmt.Fprintf(&g, "concat=n=%d:v=0:a=1[aout]", len(labels))
		return g.String()
	}
	fmt.Fprintf(&g, "concat=n=%d:v=0:a=1[voice];", len(labels))
	total := p.frameTime(p.totalFrames())
	vol := m.Volume
	if vol <= 0 {
		vol = 0.25
	}
	fade := m.FadeOut
	if fade <= 0 {
		fade = 3 * time.Second
	}
	fade = min(fade, total/2)
	mi := in.add("-stream_loop", "-1", "-i", m.Path)
	fmt.Fprintf(&g, "[%d:a:0]%s,volume=%.3f,atrim=end=%s,afade=t=out:st=%s:d=%s[bg];",
		mi, norm, vol, seconds(total), seconds(total-fade), seconds(fade))
	if m.NoDucking {
		g.WriteString("[voice][bg]amix=inputs=2:duration=first:normalize=0[aout]")
		return g.String()
	}
	g.WriteString("[voice]asplit=2[vmain][vkey];" +
		"[bg][vkey]sidechaincompress=threshold=0.02:ratio=8:attack=20:release=400[duck];" +
		"[vmain][duck]amix=inputs=2:duration=first:normalize=0[aout]")
	return g.String()
}

// aacArgs returns the audio encoder options.
func (p *plan) aacArgs() []string {
	args := []string{"-c:a", "aac", "-b:a", "192k", "-ar", "48000", "-ac", "2"}
	if c := p.audioCutoff(); c > 0 {
		args = append(args, "-cutoff", strconv.Itoa(c))
	}
	return args
}

// encodeAudio renders the sound track to an M4A file, mixed to the
// reference loudness (see soundTrack).
func (r *renderer) encodeAudio(ctx context.Context, out string) error {
	mix, filter, err := r.soundTrack(ctx)
	if err != nil {
		return err
	}
	args := []string{"-i", mix, "-af", filter, "-vn"}
	args = append(args, r.p.aacArgs()...)
	args = append(args, "-f", "mp4", out)
	return r.run(ctx, args, r.p.frameTime(r.p.totalFrames()), "audio", "audio")
}

// soundTrack mixes the narration, clips' sound and ducked music into a
// WAV file in the work directory, measures its loudness (package
// loudness, in this process: no second decoding run), and returns the
// file with the filter that brings it to TargetLUFS with true peaks under
// MaxTruePk. The whole track is measured once and scaled by one gain
// (with a limiter for rare peaks), so the mix keeps its dynamics and the
// cost is two quick passes over the audio, whatever the video.
func (r *renderer) soundTrack(ctx context.Context) (string, string, error) {
	r.soundOnce.Do(func() {
		var in inputs
		graph := r.p.audioGraph(&in, -1, -1)
		mix := r.path("mix.wav")
		args := append(in.args, "-filter_complex", graph, "-map", "[aout]", "-vn",
			"-c:a", "pcm_f32le", "-ar", "48000", "-ac", "2", "-f", "wav", mix)
		if err := r.ff.Run(ctx, args, ffmpegOptions(r.dir, r.p.frameTime(r.p.totalFrames()), nil)); err != nil {
			r.soundErr = err
			return
		}
		m, err := loudness.MeasureWAV(mix)
		if err != nil {
			r.soundErr = errcode.Wrap(err, errcode.FFmpegFailed, false, "render: measure the sound track")
			return
		}
		l := Loudness(m)
		r.mix, r.mixFilter = mix, loudnessFilter(l)
		r.log.Debug("sound track measured", "lufs", l.Integrated, "true_peak", l.TruePeak, "filter", r.mixFilter)
	})
	return r.mix, r.mixFilter, r.soundErr
}

// mux joins the spliced video stream and the sound track without
// re-encoding. Timestamps are generated at the frame rate, so the MP4 has
// a constant 30 fps.
func (r *renderer) mux(ctx context.Context, video, audio string) error {
	args := []string{
		"-fflags", "+genpts", "-r", strconv.Itoa(r.p.fps), "-f", "h264", "-i", video,
		"-i", audio, "-map", "0:v:0", "-map", "1:a:0", "-c", "copy",
		"-movflags", "+faststart", "-f", "mp4", r.tmp,
	}
	return r.run(ctx, args, r.p.frameTime(r.p.totalFrames()), "mux", "mux")
}

// run runs ffmpeg in the work directory, feeding pass name's progress.
func (r *renderer) run(ctx context.Context, args []string, expected time.Duration, name, stage string) error {
	opts := ffmpegOptions(r.dir, expected, r.prog.pass(name, stage))
	if err := r.ff.Run(ctx, args, opts); err != nil {
		return err
	}
	r.prog.set(name, stage, 1)
	return nil
}

// all runs fns at once and returns the first error, cancelling the others.
func all(ctx context.Context, fns ...func(context.Context) error) error {
	g, ctx := errgroup.WithContext(ctx)
	for _, f := range fns {
		g.Go(func() error { return f(ctx) })
	}
	return g.Wait()
}

// limited runs n jobs with at most par at once, returning the first error;
// after an error, jobs not yet started are skipped.
func limited(parent context.Context, par, n int, job func(context.Context, int) error) error {
	g, ctx := errgroup.WithContext(parent)
	g.SetLimit(max(par, 1))
	for i := 0; i < n && ctx.Err() == nil; i++ {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			return job(ctx, i)
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return parent.Err()
}

func ffmpegOptions(dir string, expected time.Duration, cb func(ffmpeg.Progress)) ffmpeg.RunOptions {
	return ffmpeg.RunOptions{Dir: dir, Expected: expected, OnProgress: cb}
}

// watermark adds the watermark input and returns the filter graph text
// that lays it over the stream labelled base, ending unlabelled (more
// filters may follow with a comma); "" and base's label when there is no
// watermark.
func (p *plan) watermark(in *inputs, base string) string {
	wm := p.spec.Watermark
	if wm == nil {
		return "[" + base + "]null"
	}
	idx := in.add("-i", wm.Image)
	return fmt.Sprintf("[%d:v:0]format=rgba,scale=%d:-1,colorchannelmixer=aa=%.3f[wm%s];[%s][wm%s]overlay=%d:%d:format=auto",
		idx, wm.Width, wm.Opacity, base, base, base, wm.X, wm.Y)
}
