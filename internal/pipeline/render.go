package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"io/fs"
	"math"
	"os"
	"strings"
	"time"
	"unicode"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/atomicfile"
	"github.com/ytmaker/ytmaker/internal/media/render"
	"github.com/ytmaker/ytmaker/internal/media/subtitles"
	"github.com/ytmaker/ytmaker/internal/media/tts"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/providers/stock"
	"github.com/ytmaker/ytmaker/internal/stage"
)

// RenderResult is render_video_task's result.
type RenderResult struct {
	VideoPath     string  `json:"video_path"`
	SubtitlesPath string  `json:"subtitles_path,omitempty"`
	Seconds       float64 `json:"duration_seconds"`
	Width         int     `json:"width"`
	Height        int     `json:"height"`
	FPS           int     `json:"fps"`
	Frames        int     `json:"frames"`
	Bytes         int64   `json:"size_bytes"`
	RenderSeconds float64 `json:"render_seconds"`
	Speed         float64 `json:"speed"` // video seconds per wall second
	Method        string  `json:"method"`
}

func loadManifest(job stage.Job) (*Manifest, error) {
	b, err := os.ReadFile(abs(job, manifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errcode.New(errcode.InvalidInput, "the assets have not been generated yet: run generate_assets_task first", false)
	}
	if err != nil {
		return nil, errcode.Wrap(err, errcode.FileSystemError, true, "")
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, errcode.Wrap(err, errcode.FileSystemError, false, "assets/assets.json is corrupt: "+err.Error())
	}
	return &m, nil
}

// musicPath resolves the project's background music: a file inside
// DATA_DIR/music (no other place, so settings cannot point ffmpeg at
// arbitrary files).
func (p *Pipeline) musicPath(pr *project.Project) (string, error) {
	return p.cfg.Store.MusicPath(strings.TrimSpace(pr.Settings.Music))
}

func (p *Pipeline) runRender(ctx context.Context, job stage.Job) (any, error) {
	pr, err := p.load(job)
	if err != nil {
		return nil, err
	}
	man, err := loadManifest(job)
	if err != nil {
		return nil, err
	}
	ff, err := p.ffmpeg()
	if err != nil {
		return nil, err
	}
	music, err := p.musicPath(pr)
	if err != nil {
		return nil, err
	}
	w, h := pr.Settings.Size()
	br, err := p.brandOf(pr)
	if err != nil {
		return nil, err
	}
	fs, err := p.fontSet()
	if err != nil {
		return nil, err
	}
	wm, err := p.watermark(fs, br, job, w, h)
	if err != nil {
		return nil, err
	}
	spec := render.Spec{Watermark: wm, Width: w, Height: h, Subtitles: pr.Settings.SubtitlesOn(), Language: man.Language,
		Motion: render.Motion(pr.Settings.Motion), OutPath: abs(job, videoFile), SRTPath: abs(job, srtFile),
		WorkDir: job.Dir()}
	if music != "" {
		spec.Music = &render.Music{Path: music, Volume: pr.Settings.MusicVolume}
	}
	segs := man.Segments
	// A talking-head clip replaces the slide of the segment it speaks.
	if man.Intro != nil && len(segs) > 1 {
		spec.Intro = abs(job, man.Intro.Path)
		segs = segs[1:]
	}
	if man.Outro != nil && len(segs) > 1 {
		spec.Outro = abs(job, man.Outro.Path)
		segs = segs[:len(segs)-1]
	}
	mode := pr.Settings.CaptionMode()
	if spec.Subtitles {
		st, err := captionStyle(ctx, pr.Settings, w, h, man.Language)
		if err != nil {
			return nil, err
		}
		spec.Style, spec.FontFamily = &st, st.FontName
	}
	cols := subtitles.ColumnsFor(w, h, man.Language)
	if mode == project.CaptionsPunch {
		cols = cols * 2 / 3
	}
	copts := subtitles.Options{Language: man.Language, MaxColumns: cols}
	for _, s := range segs {
		if !fileExists(abs(job, s.Audio)) || s.Media == "" && !fileExists(abs(job, s.Image)) {
			return nil, errcode.Newf(errcode.InvalidInput, false, "segment %d's assets are missing: run generate_assets_task again", s.Index)
		}
		if s.Media != "" && !fileExists(abs(job, s.Media)) {
			return nil, errcode.Newf(errcode.InvalidInput, false, "segment %d's own media %s is missing: upload it again or remove it", s.Index, s.Media)
		}
		sentences := make([]subtitles.TimedSentence, len(s.Sentences))
		plain := make([]subtitles.Sentence, len(s.Sentences))
		for i, t := range s.Sentences {
			plain[i] = subtitles.Sentence{Text: t.Text, Start: t.Start, End: t.End}
			sentences[i].Sentence = plain[i]
			for _, wt := range t.Words {
				sentences[i].Words = append(sentences[i].Words, subtitles.Word{Text: wt.Word, Start: wt.Start, End: wt.End})
			}
		}
		seg := render.Segment{Image: abs(job, s.Image), Audio: abs(job, s.Audio), Cues: subtitles.Captions(sentences, mode, copts)}
		if mode != project.CaptionsSentence {
			// The SRT file stays sentence by sentence.
			seg.SRTCues = subtitles.Build(plain, subtitles.Options{Language: man.Language, MaxColumns: subtitles.ColumnsFor(w, h, man.Language)})
		}
		switch s.MediaKind {
		case project.MediaImage:
			seg.Image, seg.Fit = abs(job, s.Media), render.FitFill
			spec.Segments = append(spec.Segments, seg)
			continue
		case project.MediaVideo:
			seg.Image, seg.Clip = "", abs(job, s.Media)
			spec.Segments = append(spec.Segments, seg)
			continue
		}
		if s.Stock != nil {
			// A stock clip plays for the whole segment (looped or cut); a
			// stock photo of any shape fills the frame.
			if s.Stock.Kind == stock.Video {
				seg.Image, seg.Clip = "", abs(job, s.Image)
			} else {
				seg.Fit = render.FitFill
			}
			spec.Segments = append(spec.Segments, seg)
			continue
		}
		starts := stillStarts(s.Stills, s.Sentences)
		for k, st := range s.Stills {
			if !fileExists(abs(job, st.Image)) {
				return nil, errcode.Newf(errcode.InvalidInput, false, "segment %d's assets are missing: run generate_assets_task again", s.Index)
			}
			seg.Later = append(seg.Later, render.Still{Image: abs(job, st.Image), At: starts[k]})
		}
		spec.Segments = append(spec.Segments, seg)
	}
	job.Progress(1, fmt.Sprintf("Rendering %d segments at %dx%d", len(spec.Segments), w, h))
	start := time.Now()
	out, err := render.Render(ctx, spec, render.Options{FFmpeg: ff, Logger: job.Logger(), OnProgress: func(pg render.Progress) {
		job.ProgressETA(pg.Fraction*100, pg.ETA, "Rendering: "+pg.Stage)
	}})
	if err != nil {
		return nil, err
	}
	wall := time.Since(start)
	if err := writeCaptionsJSON(abs(job, captionsFile), segs, out.SegmentStarts); err != nil {
		return nil, err
	}
	res := RenderResult{VideoPath: out.Path, Seconds: out.Duration.Seconds(), Width: w, Height: h, FPS: render.FPS,
		Frames: out.Frames, Bytes: out.Size, RenderSeconds: wall.Seconds(), Method: out.Method}
	if fileExists(spec.SRTPath) {
		res.SubtitlesPath = spec.SRTPath
	}
	if wall > 0 {
		res.Speed = out.Duration.Seconds() / wall.Seconds()
	}
	if p.cfg.RenderFinished != nil {
		p.cfg.RenderFinished(out.Duration.Seconds(), wall.Seconds())
	}
	job.Progress(100, fmt.Sprintf("Rendered %.1f s of video in %.1f s (%.1f× real time)", res.Seconds, res.RenderSeconds, res.Speed))
	return res, nil
}

// stillStarts finds when each still's text starts being spoken: the start
// of the first sentence at or after the point where the narrated text
// reaches it (texts compared by their letters and digits only, so
// punctuation and spacing changes made for speech do not matter).
func stillStarts(stills []Still, sentences []tts.SentenceTiming) []time.Duration {
	out := make([]time.Duration, len(stills))
	if len(sentences) == 0 {
		return out
	}
	// offsets[i] is how much text precedes sentence i.
	offsets := make([]int, len(sentences)+1)
	for i, s := range sentences {
		offsets[i+1] = offsets[i] + len(textKey(s.Text))
	}
	var segText strings.Builder
	for _, s := range sentences {
		segText.WriteString(textKey(s.Text))
	}
	all := segText.String()
	from := 0
	for k, st := range stills {
		key := textKey(st.Text)
		pos := -1
		if probe := key[:min(len(key), 24)]; probe != "" {
			if j := strings.Index(all[from:], probe); j >= 0 {
				pos = from + j
			}
		}
		if pos < 0 {
			// Not found verbatim: keep the order, start after the last.
			if k > 0 {
				out[k] = out[k-1]
			}
			continue
		}
		from = pos + 1
		// A paragraph starts a sentence: pick the sentence whose start is
		// nearest.
		best := 0
		for i := range sentences {
			if d, bd := offsets[i]-pos, offsets[best]-pos; d*d < bd*bd {
				best = i
			}
		}
		out[k] = max(sentences[best].Start, out[max(k-1, 0)])
	}
	return out
}

// textKey keeps the letters and digits of s, lower-cased.
func textKey(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}

// captionStyle is the caption look for the project: the defaults of the
// caption mode and frame, with the project's overrides.
func captionStyle(ctx context.Context, s project.Settings, w, h int, lang string) (subtitles.Style, error) {
	cs := s.CaptionStyle
	if cs == nil {
		cs = &project.CaptionStyle{}
	}
	font := cs.Font
	if font == "" {
		font = subtitles.FontFamily(ctx, lang)
	}
	st := subtitles.StyleFor(s.CaptionMode(), w, h, font)
	if cs.Size > 0 {
		scale := float64(cs.Size) / float64(st.FontSize)
		st.FontSize = cs.Size
		st.Outline = math.Round(st.Outline*scale*10) / 10
		st.Shadow = math.Round(st.Shadow*scale*10) / 10
	}
	for _, c := range []struct {
		v     string
		dst   *color.NRGBA
		field string
	}{{cs.Color, &st.Primary, "color"}, {cs.Highlight, &st.Highlight, "highlight"}, {cs.OutlineColor, &st.OutlineColor, "outline_color"}} {
		if c.v == "" {
			continue
		}
		col, err := project.ParseColor(c.v)
		if err != nil {
			return st, project.InvalidField("settings.caption_style."+c.field, "%v", err)
		}
		*c.dst = col
	}
	if cs.Outline != nil {
		st.Outline = *cs.Outline
	}
	if cs.Box != nil && *cs.Box {
		// libass draws the opaque box (border style 3) in the outline
		// colour, grown by the outline width.
		st.BorderStyle = 3
		st.OutlineColor = color.NRGBA{0, 0, 0, 0xB0}
		if cs.BoxColor != "" {
			col, err := project.ParseColor(cs.BoxColor)
			if err != nil {
				return st, project.InvalidField("settings.caption_style.box_color", "%v", err)
			}
			st.OutlineColor = col
		}
		st.Outline = max(st.Outline, math.Round(float64(st.FontSize)*0.15))
		st.Shadow = 0
	}
	if cs.Position != "" {
		st.SetPosition(cs.Position, w, h)
	}
	return st, nil
}

// captionWord is one entry of captions.json.
type captionWord struct {
	Word    string  `json:"word"`
	Start   float64 `json:"start"` // seconds on the video's timeline
	End     float64 `json:"end"`
	Segment int     `json:"segment"` // the script segment's index
}

// writeCaptionsJSON writes every narrated word with its time on the
// video's timeline (output/captions.json, beside subtitles.srt).
func writeCaptionsJSON(path string, segs []SegmentAssets, starts []time.Duration) error {
	words := []captionWord{}
	for i, s := range segs {
		if i >= len(starts) {
			break
		}
		for _, sent := range s.Sentences {
			for _, w := range sent.Words {
				words = append(words, captionWord{Word: w.Word, Segment: s.Index,
					Start: math.Round((starts[i]+w.Start).Seconds()*1000) / 1000,
					End:   math.Round((starts[i]+w.End).Seconds()*1000) / 1000})
			}
		}
	}
	b, err := json.MarshalIndent(words, "", "  ")
	if err != nil {
		return errcode.Wrap(err, errcode.Internal, false, "")
	}
	if err := atomicfile.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	return nil
}
