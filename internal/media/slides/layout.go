package slides

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ytmaker/ytmaker/internal/language"
)

// Kind is a slide layout.
type Kind string

// Layouts.
const (
	KindTitle   Kind = "title"   // intro and outro: the title, large
	KindKey     Kind = "key"     // the key sentence beside an illustration
	KindBullets Kind = "bullets" // a list, when the text enumerates
	KindNumber  Kind = "number"  // a big number, when the text states one
	KindQuote   Kind = "quote"   // a quotation, when the text quotes someone
)

// Content is what a slide shows, chosen from a text.
type Content struct {
	Kind     Kind
	Headline string   // the key sentence (key), the lead (bullets), the caption (number, quote)
	Items    []string // bullets
	Number   string   // number
	Quote    string   // quote
}

var (
	quoteRe = regexp.MustCompile(`“([^”]+)”|"([^"]+)"|「([^」]+)」|『([^』]+)』`)
	// A number worth showing big: a percentage, an amount with a scale
	// word or a unit, a year, or any number of three digits or more.
	numberRe  = regexp.MustCompile(`(?i)(?:[$€£¥]\s?)?\d[\d,]*(?:\.\d+)?\s?(?:%|％|percent\b|per cent\b|million\b|billion\b|trillion\b|thousand\b|萬|万|億|亿|千|百|倍|公里|公斤|km\b|kg\b|°C|度|歲|岁|年|人|元|美元|years?\b|hours?\b|days?\b|minutes?\b|times\b|people\b|meters?\b|metres?\b|miles?\b|calories\b)?`)
	ordinalRe = regexp.MustCompile(`(?i)^(first(ly)?|second(ly)?|third(ly)?|fourth|fifth|next|then|finally|lastly|also|another|step \d+|首先|其次|再者|第[一二三四五六七八九十\d]+|最後|最后|另外|此外|然後|然后)\b?[,，:：、\s]?`)
	bulletRe  = regexp.MustCompile(`^\s*(?:[-*•·]|\d+[.)、])\s+`)
	listSepRe = regexp.MustCompile(`\s*(?:,|，|、|;|；)\s*(?:and |or |和|與|与|及|以及)?\s*|\s+(?:and|or)\s+|(?:和|與|与|及|以及)`)
)

// Choose picks the layout for a segment's text and what it shows. intro
// and outro segments get KindTitle with title as the headline.
func Choose(segType, title, text, lang string) Content {
	text = strings.TrimSpace(text)
	if lang == "" {
		lang = language.Detect(text)
	}
	cjk := language.IsCJK(lang)
	if segType == "intro" || segType == "outro" {
		h := strings.TrimSpace(title)
		if segType == "outro" || h == "" {
			h = KeySentence(text, lang, 0)
		}
		return Content{Kind: KindTitle, Headline: h}
	}
	if c, ok := chooseBullets(text, lang, cjk); ok {
		return c
	}
	if c, ok := chooseQuote(text, lang, cjk); ok {
		return c
	}
	if c, ok := chooseNumber(text, lang); ok {
		return c
	}
	return Content{Kind: KindKey, Headline: KeySentence(text, lang, 0)}
}

// chooseBullets finds an enumeration: list lines, sentences opening with
// ordinals, or a sentence listing three or more items after a colon.
func chooseBullets(text, lang string, cjk bool) (Content, bool) {
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if bulletRe.MatchString(l) {
			lines = append(lines, strings.TrimSpace(bulletRe.ReplaceAllString(l, "")))
		}
	}
	if len(lines) >= 3 {
		return Content{Kind: KindBullets, Items: shortItems(lines, lang, cjk)}, true
	}
	sentences := language.SplitSentences(text)
	var ord []string
	lead := ""
	for _, s := range sentences {
		s = strings.TrimSpace(s)
		if m := ordinalRe.FindString(s); m != "" && len(strings.TrimSpace(m)) > 0 {
			ord = append(ord, strings.TrimSpace(s[len(m):]))
		} else if len(ord) == 0 && lead == "" {
			lead = s
		}
	}
	if len(ord) >= 3 {
		return Content{Kind: KindBullets, Headline: KeySentence(lead, lang, 0), Items: shortItems(ord, lang, cjk)}, true
	}
	for _, s := range sentences {
		i := strings.IndexAny(s, ":：")
		if i < 0 {
			continue
		}
		head, rest := strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+len(string([]rune(s[i:])[0])):])
		rest = strings.TrimRight(rest, ".。!！?？")
		parts := listSepRe.Split(rest, -1)
		var items []string
		for _, p := range parts {
			if p = strings.TrimSpace(p); p != "" {
				items = append(items, p)
			}
		}
		if len(items) >= 3 && len(items) <= 8 {
			return Content{Kind: KindBullets, Headline: KeySentence(head, lang, 0), Items: shortItems(items, lang, cjk)}, true
		}
	}
	return Content{}, false
}

// shortItems keeps at most five items, each cut to its first clause.
func shortItems(items []string, lang string, cjk bool) []string {
	if len(items) > 5 {
		items = items[:5]
	}
	maxCols := 56
	if cjk {
		maxCols = 32
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		it = strings.TrimSpace(strings.TrimRight(it, ".。;；,，"))
		if r, _ := utf8.DecodeRuneInString(it); unicode.IsLower(r) {
			it = string(unicode.ToUpper(r)) + it[utf8.RuneLen(r):]
		}
		out = append(out, KeySentence(it, lang, maxCols))
	}
	return out
}

// chooseQuote finds a quotation long enough to show on its own.
func chooseQuote(text, lang string, cjk bool) (Content, bool) {
	for _, m := range quoteRe.FindAllStringSubmatch(text, -1) {
		q := ""
		for _, g := range m[1:] {
			if g != "" {
				q = strings.TrimSpace(g)
			}
		}
		n := utf8.RuneCountInString(q)
		long := len(strings.Fields(q)) >= 4
		if cjk {
			long = n >= 6
		}
		if long && n <= 160 {
			if r, size := utf8.DecodeRuneInString(q); unicode.IsLower(r) {
				q = string(unicode.ToUpper(r)) + q[size:]
			}
			return Content{Kind: KindQuote, Quote: KeySentence(q, lang, 0)}, true
		}
	}
	return Content{}, false
}

// chooseNumber finds the first salient number of the first two sentences.
func chooseNumber(text, lang string) (Content, bool) {
	sentences := language.SplitSentences(text)
	if len(sentences) > 2 {
		sentences = sentences[:2]
	}
	for _, s := range sentences {
		for _, loc := range numberRe.FindAllStringIndex(s, -1) {
			n := strings.TrimSpace(s[loc[0]:loc[1]])
			digits := 0
			for _, r := range n {
				if r >= '0' && r <= '9' {
					digits++
				}
			}
			hasUnit := strings.IndexFunc(n, func(r rune) bool { return !(r >= '0' && r <= '9' || r == ',' || r == '.' || r == ' ') }) >= 0
			// Skip a digit glued to a word ("COVID-19", "mp3").
			if loc[0] > 0 {
				prev, _ := utf8.DecodeLastRuneInString(s[:loc[0]])
				if unicode.IsLetter(prev) && prev < 0x2E80 || prev == '-' {
					continue
				}
			}
			if digits >= 3 || hasUnit && digits >= 1 {
				return Content{Kind: KindNumber, Number: compactNumber(n), Headline: KeySentence(s, lang, 0)}, true
			}
		}
	}
	return Content{}, false
}

// compactNumber shortens the unit words of a number ("70 percent" →
// "70%").
func compactNumber(n string) string {
	r := strings.NewReplacer(" percent", "%", "percent", "%", " per cent", "%", "％", "%")
	return r.Replace(n)
}
