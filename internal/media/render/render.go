// Package render turns a project's segments (a still image, a narration
// WAV and subtitle cues each), optional avatar intro/outro clips and
// optional background music into the final H.264/AAC MP4.
//
// Still segments are rendered without encoding repeated frames. Every
// distinct picture (a segment image with one subtitle cue burned in, or
// none) is encoded once, in one x264 run: an IDR frame where a segment
// starts and a P frame for each change of subtitle. The time each picture
// stays on screen is then filled with synthesized P frames made only of
// skipped macroblocks, which decoders turn into exact copies at a cost of
// a few bytes each; since such a copy is bit-exact, the encoded pictures
// still predict from the pictures they were encoded against. Avatar clips
// and Ken Burns segments are encoded with the same x264 settings and
// spliced in at the bitstream level, so the final file is one
// stream-copied H.264 stream, muxed with a sound track encoded in
// parallel. A straightforward single filter graph renderer remains as a
// fallback and as the benchmark baseline.
package render

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/atomicfile"
	"github.com/ytmaker/ytmaker/internal/leftover"
	"github.com/ytmaker/ytmaker/internal/media/ffmpeg"
	"github.com/ytmaker/ytmaker/internal/media/h264"
	"github.com/ytmaker/ytmaker/internal/media/subtitles"
	"github.com/ytmaker/ytmaker/internal/media/wav"
)

// Stage is the render stage reported with errors.
const Stage = "video_rendering"

// FPS is the output frame rate.
const FPS = 30

// Motion is how a segment's still image is animated.
type Motion string

// Motions.
const (
	MotionNone     Motion = "none"     // the image stands still
	MotionKenBurns Motion = "kenburns" // slow zoom and pan
)

// Segment is one narrated still, a few stills shown one after the other
// while the segment is narrated, or a video clip.
type Segment struct {
	Image string // PNG, JPEG or WebP still; not needed with Clip
	// Fit is how Image (and every later still) is fitted to the frame.
	Fit Fit
	// Clip, when set, is a video (any format ffmpeg reads) shown for the
	// whole segment in place of the stills: cut to the narration's
	// length, or looped when shorter, filled into the frame like FitFill,
	// its sound dropped (the narration is the sound).
	Clip string
	// Later are further stills of the segment, each shown from its At
	// (measured from the segment's start) until the next one or the end.
	// A segment merged from several paragraphs shows each paragraph's
	// slide while that paragraph is spoken.
	Later []Still
	Audio string          // narration; a WAV file (other formats are probed with ffprobe)
	Cues  []subtitles.Cue // subtitles, timed from the segment's start
	// SRTCues, when not nil, are written to the SRT file instead of Cues
	// (word-by-word captions burn in a cue per word but keep whole
	// sentences in the SRT file).
	SRTCues []subtitles.Cue
}

// Fit is how a picture is fitted to the frame.
type Fit string

// Fits.
const (
	// FitPad scales the picture to fit inside the frame and centres it on
	// black: for pictures made for the frame, which fill it.
	FitPad Fit = ""
	// FitFill fills the frame with a picture of any shape: one close to
	// the frame's shape (cropping would cut at most a fifth of it) is
	// scaled to cover the frame and centre-cropped; any other is scaled to
	// fit over a blurred, darkened copy of itself that covers the frame.
	FitFill Fit = "fill"
)

// Watermark is a logo laid over every narrated frame (not over avatar
// clips), under the subtitles.
type Watermark struct {
	Image   string  // PNG, transparency kept
	X, Y    int     // top-left corner in the frame
	Width   int     // scaled to this width, keeping its aspect ratio
	Opacity float64 // 0–1
}

// Still is a picture shown from At into its segment.
type Still struct {
	Image string
	At    time.Duration
}

// Music is a background track, looped under the whole video.
type Music struct {
	Path string
	// Volume scales the music; 0 means 0.25 (about -12 dB).
	Volume float64
	// FadeOut is the fade at the end of the video; 0 means 3 s.
	FadeOut time.Duration
	// NoDucking disables lowering the music while someone speaks.
	NoDucking bool
}

// Spec describes a video.
type Spec struct {
	Width, Height int // 1920x1080 or 1080x1920 (any even size works)
	FPS           int // must be 30; 0 means 30
	Segments      []Segment
	Subtitles     bool             // burn the segments' cues in
	Style         *subtitles.Style // nil = subtitles.DefaultStyle for the frame and FontFamily
	FontFamily    string           // "" = subtitles.FontFamily for Language
	Language      string           // BCP 47 tag of the narration, for the subtitle font
	Motion        Motion           // "" means MotionNone
	Watermark     *Watermark       // optional logo over the narrated part
	Music         *Music
	Intro, Outro  string // optional avatar clips (any size/rate; normalised)
	OutPath       string // where the MP4 goes, e.g. output/final_video.mp4
	SRTPath       string // optional: also write the subtitles as SRT here
	WorkDir       string // parent of the temporary work directory; "" = OutPath's directory
	CRF           int    // x264 quality; 0 means 20
	// Preset is the x264 preset; "" means veryfast for pictures and
	// the fastest analysis for video clips (see clipAnalysis). A preset
	// given here is used for clips too, at CRF.
	Preset string
}

// Progress reports rendering progress.
type Progress struct {
	Fraction float64       // 0..1, never decreasing
	ETA      time.Duration // 0 when unknown
	Stage    string        // "video", "audio", "splice", "mux", "verify"
}

// Options tune a render.
type Options struct {
	FFmpeg     *ffmpeg.Runner // required
	Logger     *slog.Logger   // nil = discard
	OnProgress func(Progress)
	// Parallel is how many ffmpeg processes may encode Ken Burns segments
	// at once; 0 means the number of CPUs.
	Parallel int
	// KeepWork keeps the work directory (for debugging).
	KeepWork bool
	// legacyMotion selects the earlier motion encoder settings, for
	// benchmarks.
	legacyMotion bool
	// everyFrame encodes every Ken Burns frame with x264 (the renderer
	// before synthesised motion), for benchmarks and tests.
	everyFrame bool
	// kbReference renders Ken Burns as exactly as it can (tests).
	kbReference bool
	// stillsBatch, when positive, is the number of still shots one
	// encoding run takes (tests); 0 means stillsBatch for the frame.
	stillsBatch int
	// decodeEveryFrame decodes clips' non-reference frames even when
	// they are dropped (tests).
	decodeEveryFrame bool
}

// Result describes a rendered video.
type Result struct {
	Path     string
	Duration time.Duration
	Frames   int
	Size     int64
	Method   string // "stills", "kenburns" or "filtergraph"
	Elapsed  time.Duration
	Probe    *ffmpeg.ProbeResult
	// SegmentStarts is where each segment's narration starts on the
	// video's timeline (after the intro).
	SegmentStarts []time.Duration
}

// plan is the frame-exact timeline of a video.
type plan struct {
	spec      Spec
	w, h      int
	fps       int
	durations []time.Duration // narration of each segment
	// segFrames[i] is the first frame of segment i counted from the
	// start of the narration; segFrames[len] is the narration's end.
	segFrames []int
	segStarts []time.Duration // exact narration start of each segment
	shots     []shot          // the stills in order, on the frame grid
	narration time.Duration
	// maxRate is the highest sample rate of the narrations; rateUnknown
	// is set when one could not be read.
	maxRate     int
	rateUnknown bool
	introFrames int
	outroFrames int
	introInfo   *ffmpeg.ProbeResult
	outroInfo   *ffmpeg.ProbeResult
	font        string
	style       subtitles.Style
	crf         int
	preset      string
	// legacyMotion encodes motion with the stills' search settings, as
	// earlier versions did (benchmark baseline).
	legacyMotion bool
	// kbUp is how much a still is enlarged before zoompan crops it (its
	// crop moves by two samples: kbUp 2 is whole pixels on screen), and
	// kbStep the most frames from one encoded anchor to the next.
	kbUp, kbStep int
}

// shot is one still (or a clip) on screen for narration frames [from, to)
// of segment seg.
type shot struct {
	seg      int
	image    string // the still, or the clip
	clip     bool
	fit      Fit
	from, to int
}

// totalFrames is the length of the video in frames.
func (p *plan) totalFrames() int {
	return p.introFrames + p.segFrames[len(p.segFrames)-1] + p.outroFrames
}

// frameTime returns the start time of frame n.
func (p *plan) frameTime(n int) time.Duration {
	return time.Duration(int64(n) * int64(time.Second) / int64(p.fps))
}

// framesAt converts a time to the nearest frame boundary.
func (p *plan) framesAt(d time.Duration) int {
	return int(math.Round(d.Seconds() * float64(p.fps)))
}

func invalid(format string, args ...any) error {
	return errcode.Newf(errcode.InvalidInput, false, format, args...).WithStage(Stage)
}

// newPlan validates spec and computes the timeline.
func newPlan(ctx context.Context, spec Spec, runner *ffmpeg.Runner) (*plan, error) {
	p := &plan{spec: spec, w: spec.Width, h: spec.Height, fps: spec.FPS, crf: spec.CRF, preset: spec.Preset}
	if p.fps == 0 {
		p.fps = FPS
	}
	if p.fps != FPS {
		return nil, invalid("render: frame rate must be %d, not %d", FPS, p.fps)
	}
	if p.w < 16 || p.h < 16 || p.w%2 != 0 || p.h%2 != 0 || p.w > 4096 || p.h > 4096 {
		return nil, invalid("render: bad frame size %dx%d (even sizes up to 4096 only)", p.w, p.h)
	}
	if len(spec.Segments) == 0 {
		return nil, invalid("render: no segments")
	}
	if spec.OutPath == "" {
		return nil, invalid("render: no output path")
	}
	switch spec.Motion {
	case "", MotionNone, MotionKenBurns:
	default:
		return nil, invalid("render: unknown motion %q", spec.Motion)
	}
	if p.crf == 0 {
		p.crf = 20
	}
	if p.crf < 0 || p.crf > 51 {
		return nil, invalid("render: CRF %d out of range", p.crf)
	}
	if p.preset == "" {
		p.preset = "veryfast"
	}
	for i, s := range spec.Segments {
		switch {
		case s.Clip != "":
			if err := mustExist(s.Clip, fmt.Sprintf("segment %d clip", i+1)); err != nil {
				return nil, err
			}
		default:
			if err := mustExist(s.Image, fmt.Sprintf("segment %d image", i+1)); err != nil {
				return nil, err
			}
		}
		switch s.Fit {
		case FitPad, FitFill:
		default:
			return nil, invalid("render: segment %d: unknown fit %q", i+1, s.Fit)
		}
		if err := mustExist(s.Audio, fmt.Sprintf("segment %d narration", i+1)); err != nil {
			return nil, err
		}
		d, rate, err := audioDuration(ctx, runner, s.Audio)
		if err != nil {
			return nil, err
		}
		p.maxRate = max(p.maxRate, rate)
		if rate <= 0 {
			p.rateUnknown = true
		}
		if d <= 0 {
			return nil, invalid("render: segment %d narration %s is empty", i+1, filepath.Base(s.Audio))
		}
		p.durations = append(p.durations, d)
	}
	var t time.Duration
	for _, d := range p.durations {
		p.segStarts = append(p.segStarts, t)
		p.segFrames = append(p.segFrames, p.framesAt(t))
		t += d
	}
	p.narration = t
	p.segFrames = append(p.segFrames, p.framesAt(t))
	for i := 0; i+1 < len(p.segFrames); i++ {
		if p.segFrames[i+1] <= p.segFrames[i] {
			return nil, invalid("render: segment %d narration is shorter than one frame", i+1)
		}
	}
	for i, s := range spec.Segments {
		if s.Clip != "" {
			p.shots = append(p.shots, shot{seg: i, image: s.Clip, clip: true, fit: FitFill, from: p.segFrames[i], to: p.segFrames[i+1]})
			continue
		}
		cur := shot{seg: i, image: s.Image, fit: s.Fit, from: p.segFrames[i]}
		for k, l := range s.Later {
			if err := mustExist(l.Image, fmt.Sprintf("segment %d still %d", i+1, k+2)); err != nil {
				return nil, err
			}
			at := min(max(p.framesAt(p.segStarts[i]+l.At), cur.from), p.segFrames[i+1])
			if at > cur.from {
				cur.to = at
				p.shots = append(p.shots, cur)
				cur = shot{seg: i, image: l.Image, fit: s.Fit, from: at}
			} else {
				cur.image = l.Image // the earlier still would get no frame
			}
		}
		cur.to = p.segFrames[i+1]
		if cur.to > cur.from {
			p.shots = append(p.shots, cur)
		}
	}
	for _, clip := range []struct {
		path   string
		frames *int
		info   **ffmpeg.ProbeResult
		name   string
	}{{spec.Intro, &p.introFrames, &p.introInfo, "intro"}, {spec.Outro, &p.outroFrames, &p.outroInfo, "outro"}} {
		if clip.path == "" {
			continue
		}
		if err := mustExist(clip.path, clip.name+" clip"); err != nil {
			return nil, err
		}
		info, err := runner.Probe(ctx, clip.path)
		if err != nil {
			return nil, err
		}
		v, ok := info.Video()
		if !ok {
			return nil, invalid("render: %s clip %s has no video", clip.name, filepath.Base(clip.path))
		}
		d := v.Duration
		if d <= 0 {
			d = info.Duration
		}
		n := p.framesAt(d)
		if n < 1 {
			return nil, invalid("render: %s clip %s is too short", clip.name, filepath.Base(clip.path))
		}
		*clip.frames, *clip.info = n, info
	}
	if wm := spec.Watermark; wm != nil {
		if err := mustExist(wm.Image, "watermark"); err != nil {
			return nil, err
		}
		if wm.Width < 2 || wm.Width > p.w || wm.X < 0 || wm.Y < 0 || wm.X >= p.w || wm.Y >= p.h || wm.Opacity <= 0 || wm.Opacity > 1 {
			return nil, invalid("render: watermark %dpx at (%d,%d), opacity %.2f does not fit a %dx%d frame", wm.Width, wm.X, wm.Y, wm.Opacity, p.w, p.h)
		}
	}
	if spec.Music != nil && spec.Music.Path != "" {
		if err := mustExist(spec.Music.Path, "music"); err != nil {
			return nil, err
		}
	}
	if spec.Subtitles {
		p.font = spec.FontFamily
		if p.font == "" {
			p.font = subtitles.FontFamily(ctx, spec.Language)
		}
		if spec.Style != nil {
			p.style = *spec.Style
		} else {
			p.style = subtitles.DefaultStyle(p.w, p.h, p.font)
		}
	}
	return p, nil
}

func mustExist(path, what string) error {
	if path == "" {
		return invalid("render: no %s", what)
	}
	st, err := os.Stat(path)
	if err != nil {
		return errcode.Newf(errcode.NotFound, false, "render: %s %s: %v", what, path, err).WithStage(Stage).WithCause(err)
	}
	if st.IsDir() {
		return invalid("render: %s %s is a directory", what, path)
	}
	return nil
}

// audioDuration reads a WAV header, or asks ffprobe for other formats,
// and returns the duration and the sample rate (0 when unknown).
func audioDuration(ctx context.Context, runner *ffmpeg.Runner, path string) (time.Duration, int, error) {
	if info, err := wav.ReadInfo(path); err == nil {
		return info.Duration(), info.SampleRate, nil
	}
	info, err := runner.Probe(ctx, path)
	if err != nil {
		return 0, 0, err
	}
	a, ok := info.Audio()
	if !ok {
		return info.Duration, 0, nil
	}
	if a.Duration > 0 {
		return a.Duration, a.SampleRate, nil
	}
	return info.Duration, a.SampleRate, nil
}

// audioCutoff returns the AAC encoder's cutoff frequency for the sound
// track: half the highest sample rate of its sources, which hold nothing
// above it (narration engines speak at 16–24 kHz), or 0 for the encoder's
// own choice when a source may hold the full band (music, a source of
// unknown or 40 kHz or higher rate). The encoder then spends no time on
// bands that are empty (a 22 kHz narration encodes in two thirds of the
// time), and the bit rate goes to the bands the sound is in.
func (p *plan) audioCutoff() int {
	if p.spec.Music != nil && p.spec.Music.Path != "" {
		return 0
	}
	rate := p.maxRate
	for _, c := range []*ffmpeg.ProbeResult{p.introInfo, p.outroInfo} {
		if c == nil {
			continue
		}
		if a, ok := c.Audio(); ok {
			if a.SampleRate <= 0 {
				return 0
			}
			rate = max(rate, a.SampleRate)
		}
	}
	if rate <= 0 || rate >= 40000 || p.rateUnknown {
		return 0
	}
	return rate / 2
}

// timedCue is a cue placed on the video's frame grid, in narration frames.
type timedCue struct {
	from, to int // frames [from, to) from the start of the narration
	text     string
}

// segmentCues returns segment i's cues on the frame grid, clipped to the
// segment and to each other.
func (p *plan) segmentCues(i int) []timedCue {
	return p.placeCues(i, p.spec.Segments[i].Cues)
}

// placeCues puts cues of segment i on the frame grid.
func (p *plan) placeCues(i int, cues []subtitles.Cue) []timedCue {
	if !p.spec.Subtitles {
		return nil
	}
	lo, hi := p.segFrames[i], p.segFrames[i+1]
	var out []timedCue
	prevEnd := lo
	for _, c := range cues {
		if strings.TrimSpace(c.Text) == "" || c.End <= c.Start {
			continue
		}
		from := max(p.framesAt(p.segStarts[i]+c.Start), lo, prevEnd)
		to := min(p.framesAt(p.segStarts[i]+c.End), hi)
		if to <= from {
			continue
		}
		out = append(out, timedCue{from, to, c.Text})
		prevEnd = to
	}
	return out
}

// shotCues returns the cues of shot k, in frames from the shot's start.
func (p *plan) shotCues(k int) []subtitles.Cue {
	sh := p.shots[k]
	var out []subtitles.Cue
	for _, c := range p.segmentCues(sh.seg) {
		from, to := max(c.from, sh.from), min(c.to, sh.to)
		if to > from {
			out = append(out, p.assCue(from-sh.from, to-sh.from, c.text))
		}
	}
	return out
}

// assCue returns a cue visible exactly on frames [from, to) of a stream
// that starts at frame zero. libass compares millisecond times derived
// from the frame's timestamp with float arithmetic that may land a
// millisecond early, and ASS keeps centiseconds; starting every boundary a
// millisecond early and truncating keeps each boundary between the two
// frames it separates.
func (p *plan) assCue(from, to int, text string) subtitles.Cue {
	at := func(n int) time.Duration {
		if n <= 0 {
			return 0
		}
		return p.frameTime(n) - time.Millisecond
	}
	return subtitles.Cue{Start: at(from), End: at(to), Text: text}
}

// allCues returns every cue on the whole video's real timeline (intro
// included), for SRT output and the filter graph renderer.
func (p *plan) allCues() []subtitles.Cue { return p.timelineCues(false) }

// srtCues returns the cues of the SRT file on the video's timeline.
func (p *plan) srtCues() []subtitles.Cue { return p.timelineCues(true) }

func (p *plan) timelineCues(srt bool) []subtitles.Cue {
	var out []subtitles.Cue
	for i, s := range p.spec.Segments {
		cues := s.Cues
		if srt && s.SRTCues != nil {
			cues = s.SRTCues
		}
		for _, c := range p.placeCues(i, cues) {
			out = append(out, subtitles.Cue{
				Start: p.frameTime(p.introFrames + c.from),
				End:   p.frameTime(p.introFrames + c.to),
				Text:  c.text,
			})
		}
	}
	return out
}

// progress combines the progress of weighted passes, some running at
// once, into one monotonic fraction with an ETA.
type progress struct {
	mu      sync.Mutex
	start   time.Time
	weights map[string]float64
	done    map[string]float64
	last    float64
	report  func(Progress)
}

func newProgress(report func(Progress), weights map[string]float64) *progress {
	var sum float64
	for _, w := range weights {
		sum += w
	}
	norm := map[string]float64{}
	for k, w := range weights {
		norm[k] = w / sum
	}
	return &progress{start: time.Now(), weights: norm, done: map[string]float64{}, report: report}
}

// set records that pass name is fraction f done; stage labels the report.
func (pr *progress) set(name, stage string, f float64) {
	if pr == nil || pr.report == nil {
		return
	}
	pr.mu.Lock()
	defer pr.mu.Unlock()
	f = min(max(f, 0), 1)
	if f < pr.done[name] {
		return
	}
	pr.done[name] = f
	var total float64
	for k, w := range pr.weights {
		total += w * pr.done[k]
	}
	if total < pr.last {
		return
	}
	pr.last = total
	var eta time.Duration
	if total > 0.02 && total < 1 {
		el := time.Since(pr.start)
		eta = time.Duration(float64(el) * (1 - total) / total)
	}
	pr.report(Progress{Fraction: total, ETA: eta, Stage: stage})
}

// pass returns an ffmpeg progress callback feeding pass name.
func (pr *progress) pass(name, stage string) func(ffmpeg.Progress) {
	if pr == nil || pr.report == nil {
		return nil
	}
	return func(p ffmpeg.Progress) { pr.set(name, stage, p.Fraction) }
}

// workDir creates the temporary work directory.
func workDir(spec Spec) (string, error) {
	parent := spec.WorkDir
	if parent == "" {
		parent = filepath.Dir(spec.OutPath)
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", errcode.Wrap(err, errcode.FileSystemError, false, "").WithStage(Stage)
	}
	dir, err := os.MkdirTemp(parent, leftover.DirPattern("render"))
	if err != nil {
		return "", errcode.Wrap(err, errcode.FileSystemError, false, "").WithStage(Stage)
	}
	return dir, nil
}

// Render renders spec into spec.OutPath, written under a temporary name in
// the same directory and renamed into place once verified.
func Render(ctx context.Context, spec Spec, opts Options) (*Result, error) {
	return render(ctx, spec, opts, false)
}

// RenderFilterGraph renders spec the straightforward way: one ffmpeg run
// whose filter graph loops each still for its duration, concatenates,
// burns the subtitles in and encodes every frame. It is what Render falls
// back to when clips cannot be spliced, and the baseline of the
// benchmarks.
func RenderFilterGraph(ctx context.Context, spec Spec, opts Options) (*Result, error) {
	return render(ctx, spec, opts, true)
}

func render(ctx context.Context, spec Spec, opts Options, slow bool) (*Result, error) {
	start := time.Now()
	if opts.FFmpeg == nil {
		return nil, invalid("render: no ffmpeg runner")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p, err := newPlan(ctx, spec, opts.FFmpeg)
	if err != nil {
		return nil, err
	}
	p.legacyMotion = opts.legacyMotion
	p.kbUp, p.kbStep = 2, kbStep
	if opts.kbReference {
		// Every frame encoded, at a quarter pixel's precision and nearly
		// losslessly: the exact motion, to measure the others against.
		p.kbUp, p.kbStep, p.crf = 8, 1, 1
	}
	if err := os.MkdirAll(filepath.Dir(spec.OutPath), 0o755); err != nil {
		return nil, errcode.Wrap(err, errcode.FileSystemError, false, "").WithStage(Stage)
	}
	dir, err := workDir(spec)
	if err != nil {
		return nil, err
	}
	if !opts.KeepWork {
		defer os.RemoveAll(dir)
	}
	tmp := filepath.Join(filepath.Dir(spec.OutPath), "."+filepath.Base(spec.OutPath)+".tmp-"+filepath.Base(dir)[len(".render-"):]+".mp4")
	defer os.Remove(tmp)

	if report := opts.OnProgress; report != nil {
		// A fallback restarts the passes; the caller sees no step back.
		var mu sync.Mutex
		last := 0.0
		opts.OnProgress = func(pr Progress) {
			mu.Lock()
			defer mu.Unlock()
			if pr.Fraction < last {
				return
			}
			last = pr.Fraction
			report(pr)
		}
	}
	r := &renderer{p: p, dir: dir, ff: opts.FFmpeg, log: log, opts: opts, tmp: tmp}
	method := "filtergraph"
	switch {
	case slow:
		err = r.filterGraph(ctx)
	case spec.Motion == MotionKenBurns:
		method = "kenburns"
		err = r.kenBurns(ctx)
	default:
		method = "stills"
		err = r.stills(ctx)
	}
	if errors.Is(err, errFallback) || errors.Is(err, h264.ErrParamMismatch) || errors.Is(err, h264.ErrUnsupported) {
		log.Warn("clips cannot be spliced; rendering with one filter graph")
		method = "filtergraph"
		err = r.filterGraph(ctx)
	}
	if err != nil {
		return nil, r.wrap(ctx, err)
	}
	r.prog.set("verify", "verify", 0)
	probe, err := Verify(ctx, opts.FFmpeg, tmp, Expect{
		Width: p.w, Height: p.h, Frames: p.totalFrames(),
		Duration: p.frameTime(p.totalFrames()),
	})
	if err != nil {
		return nil, r.wrap(ctx, err)
	}
	if spec.SRTPath != "" && spec.Subtitles {
		if err := subtitles.WriteSRTFile(spec.SRTPath, p.srtCues()); err != nil {
			return nil, errcode.Wrap(err, errcode.FileSystemError, false, "").WithStage(Stage)
		}
	}
	if err := atomicfile.Rename(tmp, spec.OutPath); err != nil {
		return nil, errcode.Wrap(err, errcode.FileSystemError, false, "").WithStage(Stage)
	}
	r.prog.set("verify", "verify", 1)
	st, _ := os.Stat(spec.OutPath)
	res := &Result{Path: spec.OutPath, Duration: p.frameTime(p.totalFrames()), Frames: p.totalFrames(),
		Method: method, Elapsed: time.Since(start), Probe: probe}
	for _, s := range p.segStarts {
		res.SegmentStarts = append(res.SegmentStarts, p.frameTime(p.introFrames)+s)
	}
	if st != nil {
		res.Size = st.Size()
	}
	log.Info("video rendered", "path", spec.OutPath, "method", method, "duration", res.Duration,
		"frames", res.Frames, "elapsed", res.Elapsed, "bytes", res.Size)
	return res, nil
}

// renderer holds the state of one render.
type renderer struct {
	p    *plan
	dir  string
	ff   *ffmpeg.Runner
	log  *slog.Logger
	opts Options
	tmp  string // the MP4 being written
	prog *progress
	// kbMargin is set when clips are encoded with the margins of
	// synthesised Ken Burns motion, to splice with its anchors.
	kbMargin bool
	// clipProbes, indexed by shot, holds what probeClips learnt of the
	// clips (nil before).
	clipProbes []clipProbe

	// The mixed sound track, made once (soundTrack).
	soundOnce sync.Once
	mix       string
	mixFilter string
	soundErr  error
}

// parallel is how many encoding runs go at once: Options.Parallel, else
// one per CPU.
func (r *renderer) parallel() int {
	if r.opts.Parallel > 0 {
		return r.opts.Parallel
	}
	return runtime.NumCPU()
}

// wrap codes an error for the caller.
func (r *renderer) wrap(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return errcode.Classify(ctx.Err()).WithCause(err).WithStage(Stage)
	}
	e := errcode.Classify(err)
	if e.Stage == "" {
		e.Stage = Stage
	}
	return e
}

// path returns a file name in the work directory.
func (r *renderer) path(name string) string { return filepath.Join(r.dir, name) }
