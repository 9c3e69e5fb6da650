// Package wordseg splits text into words that must not be broken: Latin
// words at spaces, Chinese by a dictionary segmenter (github.com/go-ego/gse
// with an embedded dictionary), other wide scripts by character. Closing
// punctuation sticks to the word before it and opening brackets to the
// word after, so that a word is also a unit for line breaking (no line
// starts with ，。、！？」 or ends with 「（) and for timing captions word by
// word.
package wordseg

import (
	_ "embed"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/go-ego/gse"

	"github.com/ytmaker/ytmaker/internal/language"
)

// NoStart holds characters that must not begin a line.
const NoStart = "、。，．,.!?！？：；:;)]}）］｝」』】〕〉》〙〗’”'\"…‥ー々〻ゝゞヽヾぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ・％%‰°℃"

// NoEnd holds characters that must not end a line.
const NoEnd = "([{（［｛「『【〔〈《〘〖‘“$＄£¥￥"

// Word is an unbreakable piece of text.
type Word struct {
	Text  string
	Space bool // whitespace separated it from the previous word
}

// zhDict is the Chinese dictionary (Traditional and Simplified): the
// entries of gse's zh/t_1.txt and zh/s_1.txt (Apache-2.0, partly from
// jieba, MIT) with a frequency of at least 10, 173 k words, 2.5 MB. The full
// dictionaries would add 38 MB to the program and take 300 MB of memory;
// this one loads in about half a second and 90 MB.
//
//go:embed zh.dict
var zhDict string

// chinese loads the segmenter once, on first use.
var chinese = sync.OnceValue(func() *gse.Segmenter {
	seg := &gse.Segmenter{SkipLog: true}
	if err := seg.LoadDictStr(zhDict); err != nil {
		return nil // fall back to one character per word
	}
	return seg
})

// Split returns the words of text in order. Joining them (with a space
// where Word.Space is set) gives back the text with its whitespace runs
// reduced to single spaces.
func Split(text string) []Word {
	var raw []Word
	var cur strings.Builder
	space := false
	flush := func() {
		if cur.Len() > 0 {
			raw = append(raw, Word{Text: cur.String(), Space: space})
			cur.Reset()
			space = false
		}
	}
	runes := []rune(text)
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		switch {
		case unicode.IsSpace(r):
			flush()
			space = len(raw) > 0
		case unicode.Is(unicode.Han, r):
			flush()
			j := i
			for j < len(runes) && unicode.Is(unicode.Han, runes[j]) {
				j++
			}
			for k, w := range segmentHan(string(runes[i:j])) {
				raw = append(raw, Word{Text: w, Space: space && k == 0})
			}
			space = false
			i = j - 1
		case language.IsWide(r):
			flush()
			raw = append(raw, Word{Text: string(r), Space: space})
			space = false
		default:
			// Latin text: a word does not continue a wide character.
			cur.WriteRune(r)
		}
	}
	flush()
	return glue(raw)
}

// segmentHan cuts a run of Han characters into dictionary words.
func segmentHan(run string) []string {
	if utf8.RuneCountInString(run) == 1 {
		return []string{run}
	}
	seg := chinese()
	if seg == nil {
		return strings.Split(run, "")
	}
	var out []string
	for _, w := range seg.Cut(run, true) {
		if w != "" {
			out = append(out, w)
		}
	}
	if strings.Join(out, "") != run {
		return strings.Split(run, "")
	}
	return out
}

// glue attaches closing punctuation to the word before it and opening
// brackets to the word after it.
func glue(raw []Word) []Word {
	var out []Word
	var pending *Word // opening brackets waiting for a word
	for _, w := range raw {
		if pending != nil {
			w.Text = pending.Text + w.Text
			w.Space = pending.Space
			pending = nil
		}
		switch {
		case only(w.Text, NoStart) && len(out) > 0 && !w.Space:
			out[len(out)-1].Text += w.Text
		case only(w.Text, NoEnd):
			p := w
			pending = &p
		default:
			out = append(out, w)
		}
	}
	if pending != nil {
		if len(out) > 0 && !pending.Space {
			out[len(out)-1].Text += pending.Text
		} else {
			out = append(out, *pending)
		}
	}
	return out
}

// only reports whether every rune of s is in set.
func only(s, set string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune(set, r) {
			return false
		}
	}
	return true
}

// Join puts words back together.
func Join(words []Word) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 && w.Space {
			b.WriteByte(' ')
		}
		b.WriteString(w.Text)
	}
	return b.String()
}

// Texts returns the words' texts.
func Texts(words []Word) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = w.Text
	}
	return out
}
