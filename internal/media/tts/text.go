package tts

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/ytmaker/ytmaker/internal/language"
)

var (
	urlRe   = regexp.MustCompile(`(?i)\b(?:https?://|www\.)\S+`)
	emailRe = regexp.MustCompile(`\b[\w.+-]+@[\w-]+\.[\w.-]+\b`)
)

// CleanText prepares text for any speech engine: it drops markup symbols,
// emoji and control characters, reads links and e-mail addresses as short
// words, turns dashes and bullets into pauses, normalises quotes and
// collapses whitespace.
func CleanText(s string) string {
	s = urlRe.ReplaceAllString(s, " link ")
	s = emailRe.ReplaceAllString(s, " e-mail address ")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case unicode.IsControl(r) || r == '\u200b' || r == '\ufeff':
		case strings.ContainsRune("‘’‚‛′", r):
			b.WriteByte('\'')
		case strings.ContainsRune("“”„‟″«»", r):
			b.WriteByte('"')
		case strings.ContainsRune("—–―‒", r):
			b.WriteString(", ")
		case strings.ContainsRune("•·●▪◦‣∙", r):
			b.WriteString(", ")
		case strings.ContainsRune("*#_~`|^<>{}[]\\", r):
			b.WriteByte(' ')
		case (unicode.Is(unicode.So, r) || unicode.Is(unicode.Sk, r)) && r >= 0x2000 || r == 0xFE0F:
			// emoji and pictographs
		default:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// foldTable maps accented Latin letters to ASCII.
var foldTable = func() map[rune]string {
	m := map[rune]string{}
	add := func(from, to string) {
		for _, r := range from {
			m[r] = to
		}
	}
	add("ÀÁÂÃÄÅĀĂĄ", "A")
	add("àáâãäåāăą", "a")
	add("ÇĆĈĊČ", "C")
	add("çćĉċč", "c")
	add("ĎĐ", "D")
	add("ďđ", "d")
	add("ÈÉÊËĒĔĖĘĚ", "E")
	add("èéêëēĕėęě", "e")
	add("ĜĞĠĢ", "G")
	add("ĝğġģ", "g")
	add("ĤĦ", "H")
	add("ĥħ", "h")
	add("ÌÍÎÏĨĪĬĮİ", "I")
	add("ìíîïĩīĭįı", "i")
	add("Ĵ", "J")
	add("ĵ", "j")
	add("Ķ", "K")
	add("ķ", "k")
	add("ĹĻĽĿŁ", "L")
	add("ĺļľŀł", "l")
	add("ÑŃŅŇ", "N")
	add("ñńņň", "n")
	add("ÒÓÔÕÖØŌŎŐ", "O")
	add("òóôõöøōŏő", "o")
	add("ŔŖŘ", "R")
	add("ŕŗř", "r")
	add("ŚŜŞŠ", "S")
	add("śŝşš", "s")
	add("ŢŤŦ", "T")
	add("ţťŧ", "t")
	add("ÙÚÛÜŨŪŬŮŰŲ", "U")
	add("ùúûüũūŭůűų", "u")
	add("Ŵ", "W")
	add("ŵ", "w")
	add("ÝŸŶ", "Y")
	add("ýÿŷ", "y")
	add("ŹŻŽ", "Z")
	add("źżž", "z")
	m['Æ'], m['æ'], m['Œ'], m['œ'], m['ß'] = "AE", "ae", "OE", "oe", "ss"
	m['Þ'], m['þ'], m['Ð'], m['ð'] = "Th", "th", "D", "d"
	return m
}()

// FestivalText prepares text for festival, which reads Latin-1 at best
// and stumbles over many symbols: on top of CleanText it folds accents,
// spells out symbols (& % + = @ °), drops double quotes and anything else
// outside printable ASCII.
func FestivalText(s string) string {
	s = CleanText(s)
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 {
			switch r {
			case '&':
				b.WriteString(" and ")
			case '%':
				b.WriteString(" percent ")
			case '+':
				b.WriteString(" plus ")
			case '=':
				b.WriteString(" equals ")
			case '@':
				b.WriteString(" at ")
			case '"':
				b.WriteByte(' ')
			default:
				b.WriteRune(r)
			}
			continue
		}
		if f, ok := foldTable[r]; ok {
			b.WriteString(f)
			continue
		}
		switch r {
		case '°':
			b.WriteString(" degrees ")
		case '€':
			b.WriteString(" euros ")
		case '£':
			b.WriteString(" pounds ")
		case '…':
			b.WriteString("...")
		case '×':
			b.WriteString(" times ")
		case '，', '、':
			b.WriteString(", ")
		case '。':
			b.WriteString(". ")
		default:
			if unicode.IsSpace(r) {
				b.WriteByte(' ')
			}
		}
	}
	out := strings.Join(strings.Fields(b.String()), " ")
	// Nothing but punctuation is nothing to say.
	for _, r := range out {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return out
		}
	}
	return ""
}

// chineseSSML wraps Chinese text for espeak-ng's SSML mode: runs of Latin
// letters are read by the English voice, decimal points become 點/点 so
// that numbers are read whole, and XML specials are escaped.
func chineseSSML(s string, mandarin bool) string {
	point := "點"
	if language.Detect(s) == language.ChineseSimplified {
		point = "点"
	}
	runes := []rune(s)
	var b strings.Builder
	b.WriteString("<speak>")
	inLatin := false
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		latin := r < 0x80 && unicode.IsLetter(r)
		// Spaces, apostrophes and hyphens inside a Latin run stay in it.
		if inLatin && !latin && (r == ' ' || r == '\'' || r == '-') && i+1 < len(runes) && runes[i+1] < 0x80 && unicode.IsLetter(runes[i+1]) {
			latin = true
		}
		if mandarin && latin != inLatin {
			if latin {
				b.WriteString(`<voice name="en-us">`)
			} else {
				b.WriteString(`</voice>`)
			}
			inLatin = latin
		}
		switch {
		case r == '.' && i > 0 && i+1 < len(runes) && unicode.IsDigit(runes[i-1]) && unicode.IsDigit(runes[i+1]):
			b.WriteString(point)
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(r)
		}
	}
	if inLatin {
		b.WriteString(`</voice>`)
	}
	b.WriteString("</speak>")
	return b.String()
}
