// Package subtitles turns timed sentences into subtitle cues of at most
// two short lines, and writes them as ASS (for burning into video with
// libass) and SRT (a sidecar file for viewers and uploads).
package subtitles

import (
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/internal/language"
	"github.com/ytmaker/ytmaker/internal/media/linebreak"
)

// Cue is one subtitle: lines of text (separated by "\n") shown from Start
// to End.
type Cue struct {
	Start, End time.Duration
	Text       string
}

// Lines returns the cue's lines.
func (c Cue) Lines() []string { return strings.Split(c.Text, "\n") }

// Sentence is a sentence with the time its narration takes.
type Sentence struct {
	Text       string
	Start, End time.Duration
}

// Default line lengths, in display columns (a CJK character is two).
const (
	LatinColumns = 42
	CJKColumns   = 40 // 20 wide characters
)

// Options tune Build.
type Options struct {
	// Language is the text's BCP 47 tag; "" detects it.
	Language string
	// MaxColumns is the longest line in display columns; 0 picks
	// LatinColumns or CJKColumns by language.
	MaxColumns int
	// MaxLines is the most lines per cue; 0 means 2.
	MaxLines int
	// FillGap extends a cue to the start of the next one when the silence
	// between them is shorter, so short pauses do not blank the screen.
	FillGap time.Duration
	// MinDuration is the shortest time a cue from a split sentence is
	// given, when the sentence is long enough to allow it; 0 means 700 ms.
	MinDuration time.Duration
}

// ColumnsFor returns a line length suited to a video frame: the defaults
// for landscape frames, fewer columns for portrait frames, whose subtitles
// use a larger type relative to the width.
func ColumnsFor(width, height int, lang string) int {
	cols := LatinColumns
	if language.IsCJK(lang) {
		cols = CJKColumns
	}
	if width < height {
		// Portrait: the usable width is about 60 % of a landscape line.
		cols = cols * 3 / 5
	}
	return cols
}

// Build makes cues from sentences. A sentence whose text does not fit in
// MaxLines lines is split into several cues, and its time is shared among
// them in proportion to their text width. Lines are balanced and broken
// between words (Latin) or characters (CJK, never before closing
// punctuation).
func Build(sentences []Sentence, opts Options) []Cue {
	maxLines := opts.MaxLines
	if maxLines <= 0 {
		maxLines = 2
	}
	minDur := opts.MinDuration
	if minDur <= 0 {
		minDur = 700 * time.Millisecond
	}
	var cues []Cue
	for _, s := range sentences {
		text := strings.Join(strings.Fields(StripMarks(s.Text)), " ")
		if text == "" || s.End <= s.Start {
			continue
		}
		lang := opts.Language
		if lang == "" {
			lang = language.Detect(text)
		}
		cols := opts.MaxColumns
		if cols <= 0 {
			cols = LatinColumns
			if language.IsCJK(lang) {
				cols = CJKColumns
			}
		}
		chunks := split(text, float64(cols), maxLines)
		cues = append(cues, timeChunks(chunks, s.Start, s.End, minDur)...)
	}
	if opts.FillGap > 0 {
		for i := 0; i+1 < len(cues); i++ {
			if gap := cues[i+1].Start - cues[i].End; gap > 0 && gap < opts.FillGap {
				cues[i].End = cues[i+1].Start
			}
		}
	}
	return cues
}

// split breaks text into chunks of at most maxLines balanced lines each.
func split(text string, cols float64, maxLines int) [][]string {
	lines := linebreak.Wrap(text, cols, linebreak.Columns, true)
	if len(lines) <= maxLines {
		return [][]string{linebreak.Balanced(text, cols, linebreak.Columns, true)}
	}
	// Spread the text evenly over the fewest cues that hold it.
	n := (len(lines) + maxLines - 1) / maxLines
	perCue := (len(lines) + n - 1) / n
	var chunks [][]string
	for i := 0; i < len(lines); i += perCue {
		end := min(i+perCue, len(lines))
		joined := joinLines(lines[i:end])
		chunks = append(chunks, linebreak.Balanced(joined, cols, linebreak.Columns, true))
	}
	return chunks
}

// joinLines rejoins wrapped lines, with a space only between Latin text.
func joinLines(lines []string) string {
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			prev := []rune(lines[i-1])
			next := []rune(l)
			if len(prev) > 0 && len(next) > 0 && !language.IsWide(prev[len(prev)-1]) && !language.IsWide(next[0]) {
				b.WriteByte(' ')
			}
		}
		b.WriteString(l)
	}
	return b.String()
}

// timeChunks shares [start, end) among chunks by text width, giving each
// at least minDur when the whole allows it.
func timeChunks(chunks [][]string, start, end time.Duration, minDur time.Duration) []Cue {
	total := end - start
	weights := make([]float64, len(chunks))
	var sum float64
	for i, c := range chunks {
		w := float64(language.Width(strings.Join(c, "")))
		weights[i] = max(w, 1)
		sum += weights[i]
	}
	// Raise short chunks to the minimum, taking the time from the others.
	if time.Duration(len(chunks))*minDur <= total {
		for iter := 0; iter < 3; iter++ {
			for i := range weights {
				if time.Duration(float64(total)*weights[i]/sum) < minDur {
					weights[i] = float64(minDur) / float64(total) * sum * 1.001
				}
			}
			sum = 0
			for _, w := range weights {
				sum += w
			}
		}
	}
	cues := make([]Cue, len(chunks))
	acc := 0.0
	for i, c := range chunks {
		s := start + time.Duration(float64(total)*acc/sum)
		acc += weights[i]
		e := start + time.Duration(float64(total)*acc/sum)
		if i == len(chunks)-1 {
			e = end
		}
		cues[i] = Cue{Start: s, End: e, Text: strings.Join(c, "\n")}
	}
	return cues
}
