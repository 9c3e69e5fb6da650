package subtitles

import (
	"strings"
	"time"
	"unicode"

	"github.com/ytmaker/ytmaker/internal/language"
	"github.com/ytmaker/ytmaker/internal/language/wordseg"
	"github.com/ytmaker/ytmaker/internal/media/align"
)

// Caption styles.
const (
	ModeSentence = "sentence" // whole sentences, two lines at most
	ModeWord     = "word"     // the same lines, the word being spoken highlighted
	ModePunch    = "punch"    // one to three words at a time, large and centred
	ModeNone     = "none"     // no burned-in captions
)

// Modes lists the caption styles.
var Modes = []string{ModeSentence, ModeWord, ModePunch, ModeNone}

// Highlight marks: cue text between MarkStart and MarkEnd is drawn in the
// style's highlight colour. They are private-use characters, which
// narration text never holds (Build removes any).
const (
	MarkStart = '\uE000'
	MarkEnd   = '\uE001'
)

// Word is a word with the time it is spoken.
type Word struct {
	Text       string
	Start, End time.Duration
}

// TimedSentence is a sentence with the times of its words (as written,
// in order; Chinese segmented into words).
type TimedSentence struct {
	Sentence
	Words []Word
}

// StripMarks removes highlight marks.
func StripMarks(s string) string {
	return strings.Map(func(r rune) rune {
		if r == MarkStart || r == MarkEnd {
			return -1
		}
		return r
	}, s)
}

// Captions makes cues in a caption style. Sentence mode is Build; word
// mode keeps Build's lines and adds a cue per word, with the word being
// spoken marked; punch mode shows one to three words at a time (fewer
// when a clause ends), the spoken one marked. Sentences without word
// times get them spread over the sentence by expected length.
func Captions(sentences []TimedSentence, mode string, opts Options) []Cue {
	switch mode {
	case ModeNone:
		return nil
	case ModeWord, ModePunch:
	default:
		plain := make([]Sentence, len(sentences))
		for i, s := range sentences {
			plain[i] = s.Sentence
		}
		return Build(plain, opts)
	}
	var cues []Cue
	for _, s := range sentences {
		words := sentenceWords(s)
		if len(words) == 0 {
			continue
		}
		if mode == ModePunch {
			cues = append(cues, punch(words, s.End)...)
			continue
		}
		cues = append(cues, highlightCues(Build([]Sentence{s.Sentence}, opts), words)...)
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

// sentenceWords returns the sentence's timed words, cleaned of marks, or
// words spread over the sentence when it has no times.
func sentenceWords(s TimedSentence) []Word {
	var out []Word
	for _, w := range s.Words {
		w.Text = strings.TrimSpace(StripMarks(w.Text))
		if w.Text != "" {
			out = append(out, w)
		}
	}
	if len(out) > 0 {
		return out
	}
	texts := wordseg.Texts(wordseg.Split(StripMarks(s.Text)))
	var total float64
	weights := make([]float64, len(texts))
	for i, t := range texts {
		weights[i] = max(align.Weight(t), 0.1)
		total += weights[i]
	}
	span := float64(s.End - s.Start)
	at := 0.0
	for i, t := range texts {
		start := s.Start + time.Duration(span*at/total)
		at += weights[i]
		out = append(out, Word{Text: t, Start: start, End: s.Start + time.Duration(span*at/total)})
	}
	return out
}

// highlightCues splits a sentence's cues into one cue per word, each
// with that word marked. Words are matched to the cues' text in order.
func highlightCues(cues []Cue, words []Word) []Cue {
	type hit struct {
		from, to int // runes of the cue's text
		w        Word
	}
	hits := make([][]hit, len(cues))
	k := 0
	for ci, c := range cues {
		text := []rune(c.Text)
		pos := 0
		for k < len(words) {
			for pos < len(text) && unicode.IsSpace(text[pos]) {
				pos++
			}
			if pos >= len(text) {
				break // the rest belongs to the next cue
			}
			wr := []rune(words[k].Text)
			p := pos
			if p+len(wr) > len(text) || string(text[p:p+len(wr)]) != words[k].Text {
				// Split differently: find the word further on, or skip it.
				if p = indexRunes(text, wr, pos); p < 0 {
					k++
					continue
				}
			}
			hits[ci] = append(hits[ci], hit{p, p + len(wr), words[k]})
			pos = p + len(wr)
			k++
		}
	}
	// A cue starts when its first word is spoken (the sentence's first
	// cue when the sentence starts) and lasts until the next cue.
	starts := make([]time.Duration, len(cues))
	for ci, c := range cues {
		starts[ci] = c.Start
		if ci > 0 && len(hits[ci]) > 0 {
			starts[ci] = min(max(hits[ci][0].w.Start, starts[ci-1]), cues[len(cues)-1].End)
		}
	}
	var out []Cue
	for ci, c := range cues {
		cStart, cEnd := starts[ci], c.End
		if ci+1 < len(cues) {
			cEnd = starts[ci+1]
		}
		if len(hits[ci]) == 0 {
			if cEnd > cStart {
				out = append(out, Cue{Start: cStart, End: cEnd, Text: c.Text})
			}
			continue
		}
		text := []rune(c.Text)
		for i, h := range hits[ci] {
			start := max(h.w.Start, cStart)
			if i == 0 {
				start = cStart
			}
			end := cEnd
			if i+1 < len(hits[ci]) {
				end = max(min(hits[ci][i+1].w.Start, cEnd), start)
			}
			if end <= start {
				continue
			}
			marked := string(text[:h.from]) + string(MarkStart) + string(text[h.from:h.to]) + string(MarkEnd) + string(text[h.to:])
			out = append(out, Cue{Start: start, End: end, Text: marked})
		}
	}
	return out
}

func indexRunes(text, sub []rune, from int) int {
	for i := from; i+len(sub) <= len(text); i++ {
		if string(text[i:i+len(sub)]) == string(sub) {
			return i
		}
	}
	return -1
}

// Punch groups: at most this many words, and this many display columns.
const (
	punchWords   = 3
	punchColumns = 16
)

// punch groups words into short cues: up to three words (one or two when
// they are long or a clause ends), each shown word by word with the
// spoken one marked.
func punch(words []Word, sentenceEnd time.Duration) []Cue {
	var groups [][]Word
	var cur []Word
	width := 0
	for _, w := range words {
		ww := language.Width(w.Text)
		if len(cur) > 0 && (len(cur) >= punchWords || width+ww > punchColumns) {
			groups = append(groups, cur)
			cur, width = nil, 0
		}
		cur = append(cur, w)
		width += ww + 1
		if endsClause(w.Text) {
			groups = append(groups, cur)
			cur, width = nil, 0
		}
	}
	if len(cur) > 0 {
		groups = append(groups, cur)
	}
	var out []Cue
	for g, grp := range groups {
		end := sentenceEnd
		if g+1 < len(groups) {
			end = groups[g+1][0].Start
		}
		texts := make([]string, len(grp))
		for i, w := range grp {
			texts[i] = w.Text
		}
		for i, w := range grp {
			start := w.Start
			if i == 0 {
				start = grp[0].Start
			}
			wEnd := end
			if i+1 < len(grp) {
				wEnd = grp[i+1].Start
			}
			if wEnd <= start {
				continue
			}
			marked := make([]string, len(texts))
			copy(marked, texts)
			marked[i] = string(MarkStart) + texts[i] + string(MarkEnd)
			out = append(out, Cue{Start: start, End: wEnd, Text: joinWords(marked)})
		}
	}
	return out
}

// joinWords joins words with a space only between Latin ends.
func joinWords(ws []string) string {
	var b strings.Builder
	for i, w := range ws {
		if i > 0 {
			prev := []rune(StripMarks(ws[i-1]))
			next := []rune(StripMarks(w))
			if len(prev) > 0 && len(next) > 0 && !language.IsWide(prev[len(prev)-1]) && !language.IsWide(next[0]) {
				b.WriteByte(' ')
			}
		}
		b.WriteString(w)
	}
	return b.String()
}

// endsClause reports whether a word ends with clause punctuation.
func endsClause(w string) bool {
	w = strings.TrimRight(w, "\"'”’」』）)")
	r := []rune(w)
	return len(r) > 0 && strings.ContainsRune(",.;:!?…，。；：！？、", r[len(r)-1])
}
