package slides

import (
	"strings"
	"unicode"

	"github.com/ytmaker/ytmaker/internal/language"
)

// Default limits of KeySentence, in display columns.
const (
	KeyColumnsLatin = 110
	KeyColumnsCJK   = 64 // 32 wide characters
)

// KeySentence picks the sentence a slide shows for a segment's text: its
// first sentence, with a final full stop removed, cut to at most
// maxColumns display columns (0 picks KeyColumnsLatin or KeyColumnsCJK by
// language) at a word boundary (Latin) or between characters (CJK) and
// ended with an ellipsis.
func KeySentence(text, lang string, maxColumns int) string {
	sentences := language.SplitSentences(strings.TrimSpace(text))
	if len(sentences) == 0 {
		return ""
	}
	s := strings.Join(strings.Fields(sentences[0]), " ")
	if lang == "" {
		lang = language.Detect(s)
	}
	if maxColumns <= 0 {
		maxColumns = KeyColumnsLatin
		if language.IsCJK(lang) {
			maxColumns = KeyColumnsCJK
		}
	}
	s = strings.TrimRight(s, ".。．")
	if language.Width(s) <= maxColumns {
		return s
	}
	runes := []rune(s)
	cut, width, lastSpace := 0, 0, -1
	for i, r := range runes {
		w := 1
		if language.IsWide(r) {
			w = 2
		}
		if width+w > maxColumns-1 { // room for the ellipsis
			break
		}
		width += w
		cut = i + 1
		if unicode.IsSpace(r) {
			lastSpace = i
		}
	}
	// Do not end inside a Latin word.
	if cut < len(runes) && !language.IsWide(runes[cut]) && !unicode.IsSpace(runes[cut]) &&
		cut > 0 && !language.IsWide(runes[cut-1]) && lastSpace > 0 {
		cut = lastSpace
	}
	out := strings.TrimRightFunc(string(runes[:cut]), func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(",;:，、；：", r)
	})
	return out + "…"
}
