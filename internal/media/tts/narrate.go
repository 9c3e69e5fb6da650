package tts

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"golang.org/x/sync/errgroup"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/language"
	"github.com/ytmaker/ytmaker/internal/leftover"
	"github.com/ytmaker/ytmaker/internal/media/wav"
)

// SentenceTiming is where a sentence lies in a narration.
type SentenceTiming struct {
	Text       string
	Start, End time.Duration
	// Words are the sentence's words as written (Chinese segmented into
	// words) with the times they are spoken, on the narration's timeline.
	Words []WordTiming `json:",omitempty"`
}

// Narration is a narration made sentence by sentence.
type Narration struct {
	Result
	Sentences []SentenceTiming
}

// NarrateOptions tune Narrate.
type NarrateOptions struct {
	// Pause is the silence inserted between sentences; 0 means 150 ms,
	// a negative value none.
	Pause time.Duration
	// MaxChunk is the longest piece (in runes) sent to the engine at once;
	// longer sentences are split at commas, then spaces. 0 means 220.
	MaxChunk int
	// Parallel is how many engine runs may go at once for engines without
	// batch support; 0 means 2.
	Parallel int
}

// Narrate speaks req.Text sentence by sentence and joins the pieces, with
// a pause between sentences, into req.OutPath. The returned timings are
// exact to the sample, so subtitles built from them match the voice.
// Batch engines (festival) synthesize all pieces in one run. Sentences
// with nothing to say (only punctuation, or a script the engine cannot
// read, as Chinese for festival) are left out, and so absent from the
// timings. Word times come from the engine when it reports them; else, in
// English, from festival saying the same text (when installed, one more
// batch run); else from the loudness of the audio (see wordTimes).
func Narrate(ctx context.Context, eng Engine, req Request, opts NarrateOptions) (Narration, error) {
	if err := checkRequest(req); err != nil {
		return Narration{}, err
	}
	if req.Language == "" {
		req.Language = language.Detect(req.Text)
	}
	// festival, when installed, records the templates of English pieces
	// whose engine reports no word times (see templates): the offline
	// chooser's own (none when it was told not to use festival), else the
	// one on the PATH.
	var fest *Festival
	findFestival := true
	if o, ok := eng.(*Offline); ok {
		fest, findFestival = o.festival, false
	}
	// A chooser hands the work to the engine for the language, so that a
	// batch engine behind it is used as one.
	if c, ok := eng.(interface {
		EngineFor(lang string) (Engine, error)
	}); ok {
		e, err := c.EngineFor(req.Language)
		if err != nil {
			return Narration{}, err
		}
		eng = e
	}
	pause := opts.Pause
	if pause == 0 {
		pause = 150 * time.Millisecond
	}
	maxChunk := opts.MaxChunk
	if maxChunk <= 0 {
		maxChunk = 220
	}
	par := opts.Parallel
	if par <= 0 {
		par = 2
	}

	canSay := speakable
	if s, ok := eng.(interface{ Speakable(string) bool }); ok {
		canSay = func(text string) bool { return speakable(text) && s.Speakable(text) }
	}
	sentences := language.SplitSentences(req.Text)
	type piece struct {
		sentence int
		text     string
	}
	var pieces []piece
	var kept []string
	for _, s := range sentences {
		if !canSay(s) {
			continue
		}
		for _, c := range chunk(s, maxChunk) {
			pieces = append(pieces, piece{len(kept), c})
		}
		kept = append(kept, s)
	}
	if len(pieces) == 0 {
		return Narration{}, errcode.Newf(errcode.InvalidInput, false, "tts: nothing speakable in %q", truncate(req.Text, 60))
	}

	dir, err := os.MkdirTemp(filepath.Dir(req.OutPath), leftover.Pattern(filepath.Base(req.OutPath), "parts", ""))
	if err != nil {
		if err := os.MkdirAll(filepath.Dir(req.OutPath), 0o755); err != nil {
			return Narration{}, errcode.Wrap(err, errcode.FileSystemError, false, "")
		}
		if dir, err = os.MkdirTemp(filepath.Dir(req.OutPath), leftover.Pattern(filepath.Base(req.OutPath), "parts", "")); err != nil {
			return Narration{}, errcode.Wrap(err, errcode.FileSystemError, false, "")
		}
	}
	defer os.RemoveAll(dir)

	reqs := make([]Request, len(pieces))
	for i, p := range pieces {
		reqs[i] = Request{Text: p.text, Language: req.Language, Voice: req.Voice, OutPath: filepath.Join(dir, fmt.Sprintf("%03d.wav", i))}
	}
	results := make([]Result, len(reqs))
	if be, ok := eng.(BatchEngine); ok {
		if results, err = be.SynthesizeBatch(ctx, reqs); err != nil {
			return Narration{}, err
		}
	} else if err := runParallel(ctx, par, len(reqs), func(i int) error {
		var err error
		results[i], err = eng.Synthesize(ctx, reqs[i])
		return err
	}); err != nil {
		return Narration{}, err
	}

	// Join: pieces of one sentence back to back, a pause between sentences.
	var parts []wav.Part
	partSentence := []int{}
	piecePart := make([]int, len(pieces))
	for i, p := range pieces {
		if i > 0 && pause > 0 && pieces[i-1].sentence != p.sentence {
			parts = append(parts, wav.Part{Silence: pause})
			partSentence = append(partSentence, -1)
		}
		piecePart[i] = len(parts)
		parts = append(parts, wav.Part{Path: results[i].Path})
		partSentence = append(partSentence, p.sentence)
	}
	// Word times of every piece, from the engine or found in its audio.
	es, _ := eng.(*ESpeak)
	if es == nil && language.IsCJK(req.Language) {
		es, _ = NewESpeak(ESpeakConfig{})
	}
	tmpls := templates(ctx, eng, fest, findFestival, req.Language, reqs, results, dir)
	if err := ctx.Err(); err != nil {
		return Narration{}, cancelled(ctx, err)
	}
	pieceWords := make([][]WordTiming, len(pieces))
	for i, p := range pieces {
		ws, err := wordTimes(ctx, p.text, req.Language, results[i], es, tmpls[i])
		if err != nil {
			return Narration{}, errcode.Wrap(err, errcode.TTSFailed, false, "time the words of the narration")
		}
		pieceWords[i] = ws
	}
	spans, err := wav.Concat(req.OutPath, parts)
	if err != nil {
		return Narration{}, errcode.Wrap(err, errcode.TTSFailed, false, "join narration pieces")
	}
	timings := make([]SentenceTiming, len(kept))
	for i := range timings {
		timings[i] = SentenceTiming{Text: kept[i], Start: -1}
	}
	for k, s := range partSentence {
		if s < 0 {
			continue
		}
		if timings[s].Start < 0 {
			timings[s].Start = spans[k].Start
		}
		timings[s].End = spans[k].End
	}
	for i, p := range pieces {
		off := spans[piecePart[i]].Start
		for _, w := range pieceWords[i] {
			w.Start += off
			w.End += off
			timings[p.sentence].Words = append(timings[p.sentence].Words, w)
		}
	}
	info, err := wav.ReadInfo(req.OutPath)
	if err != nil {
		return Narration{}, errcode.Wrap(err, errcode.TTSFailed, false, "read joined narration")
	}
	return Narration{
		Result:    Result{Path: req.OutPath, Duration: info.Duration(), SampleRate: info.SampleRate, Engine: results[0].Engine},
		Sentences: timings,
	}, nil
}

// templates records, for the English pieces whose engine reported no word
// times, the same text with festival, which does: align.Follow carries its
// word times over to the engine's recording. festival is fest, else (when
// find is set) the one on the PATH. Without festival, or when it fails,
// the result is all nil and the words are timed from the loudness of the
// audio alone (align.Words). The recordings go to dir.
func templates(ctx context.Context, eng Engine, fest *Festival, find bool, lang string, reqs []Request, results []Result, dir string) []*Result {
	out := make([]*Result, len(reqs))
	if base, _, _ := strings.Cut(strings.ToLower(lang), "-"); base != "en" {
		return out
	}
	if _, ok := eng.(*Festival); ok {
		return out
	}
	var treqs []Request
	var idx []int
	for i, r := range reqs {
		if len(results[i].Words) > 0 || FestivalText(r.Text) == "" {
			continue
		}
		// The engine's voice is not festival's: festival's own voice.
		treqs = append(treqs, Request{Text: r.Text, Language: lang, OutPath: filepath.Join(dir, fmt.Sprintf("%03d.template.wav", i))})
		idx = append(idx, i)
	}
	if fest == nil && find {
		fest, _ = NewFestival(FestivalConfig{})
	}
	if len(treqs) == 0 || fest == nil {
		return out
	}
	res, err := fest.SynthesizeBatch(ctx, treqs)
	if err != nil {
		fest.log.Warn("festival: no word-time templates; timing words from loudness", "error", err)
		return out
	}
	for k, i := range idx {
		if len(res[k].Words) > 0 {
			out[i] = &res[k]
		}
	}
	return out
}

func speakable(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

// chunk splits a long sentence into pieces of at most max runes, at
// clause punctuation when possible, else at spaces, else anywhere.
func chunk(s string, max int) []string {
	r := []rune(strings.TrimSpace(s))
	if len(r) <= max {
		return []string{string(r)}
	}
	var out []string
	for len(r) > max {
		cut := -1
		for i := max - 1; i >= max/3; i-- {
			if strings.ContainsRune(",;:，；：、", r[i]) {
				cut = i + 1
				break
			}
		}
		if cut < 0 {
			for i := max - 1; i >= max/3; i-- {
				if unicode.IsSpace(r[i]) {
					cut = i + 1
					break
				}
			}
		}
		if cut < 0 {
			cut = max
		}
		if p := strings.TrimSpace(string(r[:cut])); p != "" {
			out = append(out, p)
		}
		r = []rune(strings.TrimSpace(string(r[cut:])))
	}
	if len(r) > 0 {
		out = append(out, string(r))
	}
	return out
}

// runParallel calls f(0..n-1) with at most par calls at once and returns
// the first error; after an error, calls not yet started are skipped.
func runParallel(parent context.Context, par, n int, f func(i int) error) error {
	g, ctx := errgroup.WithContext(parent)
	g.SetLimit(max(par, 1))
	for i := 0; i < n; i++ {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return f(i)
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return parent.Err()
}
