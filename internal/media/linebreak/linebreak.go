// Package linebreak breaks text into lines no wider than a limit, never
// inside a word: Latin text between words, Chinese between the words of a
// dictionary segmenter (package wordseg), other wide scripts between
// characters, always keeping closing punctuation off the start of a line
// and opening brackets off its end. Width is measured by a function
// the caller supplies: display columns for subtitles, pixels for images.
package linebreak

import (
	"strings"

	"github.com/ytmaker/ytmaker/internal/language"
	"github.com/ytmaker/ytmaker/internal/language/wordseg"
)

// Measure returns the width of a string in the caller's unit.
type Measure func(s string) float64

// Columns measures display columns (two for a wide character).
func Columns(s string) float64 { return float64(language.Width(s)) }

// noStart and noEnd are the characters that must not begin or end a line.
const (
	noStart = wordseg.NoStart
	noEnd   = wordseg.NoEnd
)

// atom is an unbreakable piece of text.
type atom struct {
	text  string
	space bool // a space separated it from the previous atom
}

// atoms splits text into unbreakable pieces: words (Latin words at spaces,
// Chinese words from the dictionary segmenter, other wide characters one
// by one) with punctuation attached by the line-start and line-end rules.
func atoms(text string) []atom {
	words := wordseg.Split(text)
	out := make([]atom, len(words))
	for i, w := range words {
		out[i] = atom{text: w.Text, space: w.Space}
	}
	return out
}

// Wrap breaks text into lines no wider than max, greedily. Whitespace runs
// become single spaces, or line breaks. An atom wider than max (a very
// long word) gets a line of its own, and is cut between characters only
// when breakWords is set.
func Wrap(text string, max float64, measure Measure, breakWords bool) []string {
	var lines []string
	var line strings.Builder
	for _, a := range atoms(text) {
		if breakWords && measure(a.text) > max {
			// Fill the current line, then cut the word character by character.
			pieces := cut(a.text, max, measure)
			for i, p := range pieces {
				sep := ""
				if i == 0 && a.space && line.Len() > 0 {
					sep = " "
				}
				if line.Len() > 0 && measure(line.String()+sep+p) > max {
					lines = append(lines, line.String())
					line.Reset()
					sep = ""
				}
				line.WriteString(sep + p)
			}
			continue
		}
		sep := ""
		if a.space && line.Len() > 0 {
			sep = " "
		}
		if line.Len() > 0 && measure(line.String()+sep+a.text) > max {
			lines = append(lines, line.String())
			line.Reset()
			sep = ""
		}
		line.WriteString(sep + a.text)
	}
	if line.Len() > 0 {
		lines = append(lines, line.String())
	}
	return lines
}

// cut splits s into pieces no wider than max (at least one rune each).
func cut(s string, max float64, measure Measure) []string {
	var out []string
	var cur strings.Builder
	for _, r := range s {
		if cur.Len() > 0 && measure(cur.String()+string(r)) > max {
			out = append(out, cur.String())
			cur.Reset()
		}
		cur.WriteRune(r)
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// Balanced wraps text into at most the number of lines a greedy Wrap at
// max produces, but with the narrowest width that keeps that count, so
// that lines have similar lengths ("a long first line" / "and a short"
// becomes two halves).
func Balanced(text string, max float64, measure Measure, breakWords bool) []string {
	best := Wrap(text, max, measure, breakWords)
	if len(best) < 2 {
		return best
	}
	n := len(best)
	lo, hi := 0.0, max
	for i := 0; i < 24 && hi-lo > 0.5; i++ {
		mid := (lo + hi) / 2
		lines := Wrap(text, mid, measure, breakWords)
		if len(lines) <= n && widest(lines, measure) <= mid {
			hi = mid
			best = lines
		} else {
			lo = mid
		}
	}
	return best
}

// Widest returns the width of the widest line.
func Widest(lines []string, measure Measure) float64 { return widest(lines, measure) }

func widest(lines []string, measure Measure) float64 {
	w := 0.0
	for _, l := range lines {
		w = max(w, measure(l))
	}
	return w
}
