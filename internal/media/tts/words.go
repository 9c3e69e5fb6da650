package tts

import (
	"context"
	"time"
	"unicode"

	"github.com/ytmaker/ytmaker/internal/language"
	"github.com/ytmaker/ytmaker/internal/language/wordseg"
	"github.com/ytmaker/ytmaker/internal/media/align"
	"github.com/ytmaker/ytmaker/internal/media/wav"
)

// wordTimes returns the words of text (as written) with the times they
// are spoken in res's audio: the engine's own times mapped onto the
// written words when it reports them; else, given a template (the same
// text said by an engine that reports word times), the template's times
// carried over by align.Follow; else the times align.Words finds in the
// loudness of the audio. lengths for align.Words, when the engine is
// espeak-ng and the text is Chinese, come from espeak-ng saying each word
// on its own (tones make syllable lengths vary too much for a guess from
// the characters).
func wordTimes(ctx context.Context, text, lang string, res Result, es *ESpeak, tmpl *Result) ([]WordTiming, error) {
	display := wordseg.Texts(wordseg.Split(text))
	if len(display) == 0 {
		return nil, nil
	}
	if len(res.Words) > 0 {
		return MapWords(display, res.Words), nil
	}
	var spans []align.Span
	if tmpl != nil {
		spans = follow(res.Path, tmpl, display)
	}
	if spans == nil {
		env, err := wav.Envelope(res.Path, align.Hop)
		if err != nil {
			return nil, err
		}
		var lengths []float64
		if es != nil && language.IsCJK(lang) {
			lengths, _ = es.WordLengths(ctx, display, lang) // nil: fall back to the spelling
		}
		spans = align.Words(env, align.Hop, display, lengths)
	}
	out := make([]WordTiming, len(display))
	for i, w := range display {
		out[i] = WordTiming{Word: w, Start: spans[i].Start, End: spans[i].End}
	}
	return out, nil
}

// follow times the written words of the recording at path from a template
// recording with word times; nil when either cannot be read.
func follow(path string, tmpl *Result, display []string) []align.Span {
	rec, rate, err := wav.Samples(path)
	if err != nil {
		return nil
	}
	ts, trate, err := wav.Samples(tmpl.Path)
	if err != nil {
		return nil
	}
	tw := MapWords(display, tmpl.Words)
	spans := make([]align.Span, len(tw))
	for i, w := range tw {
		spans[i] = align.Span{Start: w.Start, End: w.End}
	}
	return align.Follow(align.Recording{Samples: rec, Rate: rate}, align.Recording{Samples: ts, Rate: trate}, spans)
}

// MapWords times the written words of a text from the words an engine
// reported for it, which may be spelled differently (festival reports
// "50" and "percent" for "50%", folds accents, drops quotes; other engines
// report characters). The letters and digits of both are matched in order
// (a longest common subsequence, ignoring case); a written word takes the
// span of the reported words its letters matched, and a word that matched
// nothing is placed where its neighbours leave room.
func MapWords(written []string, reported []WordTiming) []WordTiming {
	type ch struct {
		r    rune
		word int
	}
	flatten := func(n int, word func(int) string) []ch {
		var out []ch
		for i := 0; i < n; i++ {
			for _, r := range word(i) {
				if unicode.IsLetter(r) || unicode.IsDigit(r) {
					out = append(out, ch{fold(r), i})
				}
			}
		}
		return out
	}
	a := flatten(len(written), func(i int) string { return written[i] })
	b := flatten(len(reported), func(i int) string { return reported[i].Word })
	// LCS table, bounded: pieces are at most a few hundred characters.
	dp := make([][]int32, len(a)+1)
	for i := range dp {
		dp[i] = make([]int32, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i].r == b[j].r {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	out := make([]WordTiming, len(written))
	matched := make([]bool, len(written))
	for i, w := range written {
		out[i].Word = w
	}
	// Walk the table; a reported character is passed over whenever that
	// loses nothing, so that a written word matches the latest reported
	// letters it can ("D" in "R&D" matches "D", not the d of "and").
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case dp[i][j+1] == dp[i][j]:
			j++
		case a[i].r == b[j].r:
			wi, rw := a[i].word, reported[b[j].word]
			if !matched[wi] {
				out[wi].Start, out[wi].End, matched[wi] = rw.Start, rw.End, true
			} else {
				out[wi].Start = min(out[wi].Start, rw.Start)
				out[wi].End = max(out[wi].End, rw.End)
			}
			i++
			j++
		default:
			i++
		}
	}
	// Unmatched written words share the gap between their neighbours.
	for i := 0; i < len(out); {
		if matched[i] {
			i++
			continue
		}
		k := i
		for k < len(out) && !matched[k] {
			k++
		}
		var from, to time.Duration
		if i > 0 {
			from = out[i-1].End
		} else if len(reported) > 0 {
			from = reported[0].Start
		}
		if k < len(out) {
			to = out[k].Start
		} else if len(reported) > 0 {
			to = reported[len(reported)-1].End
		}
		to = max(to, from)
		for m := i; m < k; m++ {
			out[m].Start = from + (to-from)*time.Duration(m-i)/time.Duration(k-i)
			out[m].End = from + (to-from)*time.Duration(m-i+1)/time.Duration(k-i)
		}
		i = k
	}
	// Keep the words in order and not overlapping.
	for i := 1; i < len(out); i++ {
		if out[i].Start < out[i-1].Start {
			out[i].Start = out[i-1].Start
		}
		if out[i-1].End > out[i].Start && out[i].Start >= out[i-1].Start {
			out[i-1].End = max(out[i].Start, out[i-1].Start)
		}
		out[i].End = max(out[i].End, out[i].Start)
	}
	return out
}

func fold(r rune) rune {
	if f, ok := foldTable[r]; ok && len(f) > 0 {
		r = rune(f[0])
	}
	return unicode.ToLower(r)
}
