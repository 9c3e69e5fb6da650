package script

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ytmaker/ytmaker/internal/language"
)

// Narration speeds used to estimate how long a text takes to speak.
const (
	wordsPerSecond     = 2.6 // English, about 155 words a minute
	wideRunesPerSecond = 4.5 // Chinese characters, kana, Hangul syllables
)

// speechSeconds estimates how long s takes to narrate.
func speechSeconds(s string) float64 {
	var wide, words int
	inWord := false
	for _, r := range s {
		switch {
		case language.IsWide(r) && (unicode.IsLetter(r) || unicode.IsNumber(r)):
			wide++
			inWord = false
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if !inWord {
				words++
				inWord = true
			}
		case r == '\'' || r == '’' || r == '-':
			// inside a word: don't, well-known
		default:
			inWord = false
		}
	}
	return float64(wide)/wideRunesPerSecond + float64(words)/wordsPerSecond
}

// countWords counts runs of Latin letters and digits.
func countWords(s string) int {
	return len(strings.FieldsFunc(s, func(r rune) bool {
		return !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)))
	}))
}

// englishOnly drops full-width (CJK) characters from s and tidies the
// punctuation and spaces left behind.
func englishOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if language.IsWide(r) {
			b.WriteRune(' ')
			continue
		}
		b.WriteRune(r)
	}
	out := collapseSpace(b.String())
	out = spaceBeforePunct.ReplaceAllString(out, "$1")
	out = punctRun.ReplaceAllString(out, "$1 ")
	return strings.Trim(out, " ,;:")
}

var (
	spaceBeforePunct = regexp.MustCompile(`\s+([,.;:!?])`)
	punctRun         = regexp.MustCompile(`([,;:])[,;:\s]+`)

	mdHeading = regexp.MustCompile(`^#{1,6}\s+`)
	mdBullet  = regexp.MustCompile(`^(?:[-*+]\s+|[•・●▪]\s*|\d{1,3}[.)]\s+|\d{1,3}、\s*)`)
	mdQuote   = regexp.MustCompile(`^>\s?`)
	mdLink    = regexp.MustCompile(`\[([^\]]+)\]\([^)]*\)`)
	mdMarks   = strings.NewReplacer("**", "", "__", "", "`", "", "~~", "")
	terminals = ".!?。！？…;；:："
)

// line is one line of source text after markdown clean-up.
type line struct {
	text   string
	marked bool // a heading or list item: never joined to its neighbours
}

// cleanParagraph strips light markdown from a paragraph and re-joins lines
// that were hard-wrapped in the middle of a sentence. Headings, list items
// and short unpunctuated lines stay lines of their own.
func cleanParagraph(p string, cjk bool) string {
	var lines []line
	for _, raw := range strings.Split(p, "\n") {
		t := strings.TrimSpace(raw)
		marked := false
		for _, re := range []*regexp.Regexp{mdHeading, mdQuote, mdBullet} {
			if loc := re.FindStringIndex(t); loc != nil && loc[1] > 0 {
				t = strings.TrimSpace(t[loc[1]:])
				marked = re != mdQuote
			}
		}
		t = mdMarks.Replace(mdLink.ReplaceAllString(t, "$1"))
		t = strings.TrimSpace(t)
		if t != "" {
			lines = append(lines, line{text: t, marked: marked})
		}
	}
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			prev := lines[i-1]
			if joinLines(prev, l, cjk) {
				if needsSpace(prev.text, l.text) {
					b.WriteByte(' ')
				}
			} else {
				b.WriteByte('\n')
			}
		}
		b.WriteString(l.text)
	}
	return b.String()
}

// joinLines reports whether next continues the sentence of prev.
func joinLines(prev, next line, cjk bool) bool {
	if prev.marked || next.marked {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(prev.text)
	if strings.ContainsRune(terminals, last) {
		return false
	}
	first, _ := utf8.DecodeRuneInString(next.text)
	if unicode.IsLower(first) {
		return true
	}
	if cjk && language.IsWide(last) && language.IsWide(first) {
		// A short line without punctuation is a heading; a long one was wrapped.
		return utf8.RuneCountInString(prev.text) >= 20
	}
	return false
}

// needsSpace reports whether a space belongs between a and b when they are
// joined: not between two full-width characters.
func needsSpace(a, b string) bool {
	last, _ := utf8.DecodeLastRuneInString(a)
	first, _ := utf8.DecodeRuneInString(b)
	return !(language.IsWide(last) || language.IsWide(first))
}

// joinText joins sentences into one narration text: with spaces in
// languages that use them, and without between full-width characters.
func joinText(parts []string) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 && needsSpace(parts[i-1], p) {
			b.WriteByte(' ')
		}
		b.WriteString(p)
	}
	return b.String()
}

// punctuate ends s with a full stop when it ends in a letter or digit, so
// that headings and list items read as sentences.
func punctuate(s string, cjk bool) string {
	last, _ := utf8.DecodeLastRuneInString(s)
	if !(unicode.IsLetter(last) || unicode.IsDigit(last)) {
		return s
	}
	if cjk {
		return s + "。"
	}
	return s + "."
}

// trimEnd removes trailing sentence punctuation and spaces.
func trimEnd(s string) string {
	return strings.TrimRightFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(".。;；,，、:：…", r)
	})
}

// clauseSplit splits a sentence after commas, semicolons and colons, ASCII
// and full-width, keeping the punctuation with the clause before it.
func clauseSplit(s string) []string {
	var out []string
	start := 0
	for i, r := range s {
		if strings.ContainsRune(",，、;；:：", r) {
			end := i + utf8.RuneLen(r)
			if c := strings.TrimSpace(s[start:end]); c != "" {
				out = append(out, c)
			}
			start = end
		}
	}
	if c := strings.TrimSpace(s[start:]); c != "" {
		out = append(out, c)
	}
	return out
}

// hardSplit cuts s into pieces of about maxSeconds of narration: between
// words in spaced languages, between characters otherwise.
func hardSplit(s string, maxSeconds float64) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if t := strings.TrimSpace(cur.String()); t != "" {
			out = append(out, t)
		}
		cur.Reset()
	}
	for _, tok := range tokens(s) {
		if cur.Len() > 0 && speechSeconds(cur.String()+tok) > maxSeconds {
			flush()
		}
		cur.WriteString(tok)
	}
	flush()
	return out
}

// tokens splits s into pieces that can be cut between: each full-width
// character alone, and each word with the spaces that follow it.
func tokens(s string) []string {
	var out []string
	start := 0
	inSpace := false
	for i, r := range s {
		switch {
		case language.IsWide(r):
			if i > start {
				out = append(out, s[start:i])
			}
			out = append(out, string(r))
			start = i + utf8.RuneLen(r)
			inSpace = false
		case unicode.IsSpace(r):
			inSpace = true
		default:
			if inSpace && i > start {
				out = append(out, s[start:i])
				start = i
			}
			inSpace = false
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// truncateRunes shortens s to at most n runes, at a word boundary for
// spaced text, marking the cut with "…".
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return truncateTitle(s, n)
}
