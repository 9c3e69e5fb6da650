// Package language detects the language of a text and splits text into
// sentences, for English and for Chinese (Traditional and Simplified),
// Japanese and Korean, whose sentences end in full-width punctuation and
// have no spaces between words.
package language

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Language tags returned by Detect.
const (
	English            = "en"
	ChineseTraditional = "zh-TW"
	ChineseSimplified  = "zh-CN"
	Japanese           = "ja"
	Korean             = "ko"
)

// Detect guesses the BCP 47 tag of text: "zh-TW" or "zh-CN" when Han
// characters dominate (told apart by characters that exist in only one
// script), "ja" when kana are present, "ko" for Hangul, "en" otherwise
// (Latin text, digits, empty input).
func Detect(text string) string {
	var han, kana, hangul, latin, trad, simp int
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r):
			kana++
		case unicode.Is(unicode.Hangul, r):
			hangul++
		case unicode.Is(unicode.Han, r):
			han++
			if strings.ContainsRune(traditionalOnly, r) {
				trad++
			} else if strings.ContainsRune(simplifiedOnly, r) {
				simp++
			}
		case r < utf8.RuneSelf && unicode.IsLetter(r):
			latin++
		}
	}
	switch {
	case kana > 0 && kana*5 >= han:
		return Japanese
	case hangul > 0 && hangul >= han && hangul*2 >= latin:
		return Korean
	case han > 0 && han*2 >= latin/4: // a Han character carries about a word
		if simp > trad {
			return ChineseSimplified
		}
		return ChineseTraditional
	}
	return English
}

// IsCJK reports whether tag names a language written without spaces
// between words.
func IsCJK(tag string) bool {
	base, _, _ := strings.Cut(strings.ToLower(tag), "-")
	switch base {
	case "zh", "ja", "cmn", "yue":
		return true
	}
	return false
}

// Common characters written differently in the two Chinese scripts. The
// lists are short on purpose: a handful of frequent characters tells the
// scripts apart in any paragraph.
const traditionalOnly = "們這個來說為時會對們國學發經過還後麼點樣開關長問題與實現體當於從讓頭應該機電話見觀視覺點裡裏種變認識聽請讀寫語車東門書買賣錢歲幾難氣戰陽陰雲風飛馬鳥魚龍無愛華區際準備廣聲總員處傳業務術論計劃專運動產務師將聯記錄響歡網頁隻條確雖熱辦報導"
const simplifiedOnly = "们这个来说为时会对国学发经过还后么点样开关长问题与实现体当于从让头应该机电话见观视觉里种变认识听请读写语车东门书买卖钱岁几难气战阳阴云风飞马鸟鱼龙无爱华区际准备广声总员处传业务术论计划专运动产师将联记录响欢网页只条确虽热办报导"

// sentenceEnd holds the runes that end a sentence.
const sentenceEnd = ".!?。！？；;…"

// closers may follow a sentence end and belong to the sentence.
const closers = "\"'”’」』）)]》〉"

// SplitSentences splits text into trimmed, non-empty sentences. It breaks
// after . ! ? ; … and their full-width forms (followed by optional closing
// quotes or brackets), and at line breaks. A period inside a number
// ("3.5") or an abbreviation followed by a lower-case word does not break.
func SplitSentences(text string) []string {
	var out []string
	var cur strings.Builder
	runes := []rune(text)
	flush := func() {
		s := strings.TrimSpace(cur.String())
		if s != "" {
			out = append(out, s)
		}
		cur.Reset()
	}
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		if r == '\n' || r == '\r' {
			flush()
			continue
		}
		cur.WriteRune(r)
		if !strings.ContainsRune(sentenceEnd, r) {
			continue
		}
		if r == '.' && !periodEndsSentence(runes, i) {
			continue
		}
		// Swallow runs of terminators and closing quotes: "Really?!" or 「好。」
		for i+1 < len(runes) && (strings.ContainsRune(sentenceEnd, runes[i+1]) || strings.ContainsRune(closers, runes[i+1])) {
			i++
			cur.WriteRune(runes[i])
		}
		flush()
	}
	flush()
	return out
}

func periodEndsSentence(runes []rune, i int) bool {
	// Decimal number: 3.5
	if i > 0 && i+1 < len(runes) && unicode.IsDigit(runes[i-1]) && unicode.IsDigit(runes[i+1]) {
		return false
	}
	// Followed directly by a letter: e.g. "e.g.x" or a domain name.
	if i+1 < len(runes) && unicode.IsLetter(runes[i+1]) {
		return false
	}
	// Followed by space and a lower-case letter: an abbreviation ("approx. five").
	j := i + 1
	for j < len(runes) && runes[j] == ' ' {
		j++
	}
	if j > i+1 && j < len(runes) && unicode.IsLower(runes[j]) {
		return false
	}
	// Single capital initial such as "J. Smith".
	if i >= 1 && unicode.IsUpper(runes[i-1]) && (i == 1 || !unicode.IsLetter(runes[i-2])) {
		return false
	}
	// Common title abbreviations: "Dr. Smith".
	start := i
	for start > 0 && unicode.IsLetter(runes[start-1]) {
		start--
	}
	switch strings.ToLower(string(runes[start:i])) {
	case "mr", "mrs", "ms", "dr", "prof", "st", "mt", "vs", "fig", "jr", "sr":
		return false
	}
	return true
}

// Paragraphs splits text at blank lines and returns trimmed, non-empty
// paragraphs.
func Paragraphs(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	var out []string
	for _, p := range strings.Split(text, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Width returns the display width of s in columns: two for wide (CJK)
// runes, one for others. Subtitle wrapping and slide layout use it.
func Width(s string) int {
	w := 0
	for _, r := range s {
		if IsWide(r) {
			w += 2
		} else {
			w++
		}
	}
	return w
}

// IsWide reports whether r is a full-width character.
func IsWide(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r) ||
		(r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFF60)
}

// ReadingSeconds estimates how long text takes to read aloud: about 2.6
// words a second, or 4.5 full-width characters a second.
func ReadingSeconds(text string) float64 {
	var wide, words int
	inWord := false
	for _, r := range text {
		switch {
		case IsWide(r) && unicode.IsLetter(r):
			wide++
			inWord = false
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if !inWord {
				words++
			}
			inWord = true
		default:
			inWord = false
		}
	}
	return float64(wide)/4.5 + float64(words)/2.6
}
