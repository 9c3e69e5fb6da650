package script

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ytmaker/ytmaker/internal/language"
)

// term is a candidate keyword: a word, a pair of words or a run of Chinese
// characters, with how often it occurs and where it first does.
type term struct {
	text  string
	count int
	first int
	size  int // words for English, characters for Chinese
}

// rankTerms orders terms by weight, then by first occurrence.
func rankTerms(ts []term) {
	sort.SliceStable(ts, func(i, j int) bool {
		wi, wj := termWeight(ts[i]), termWeight(ts[j])
		if wi != wj {
			return wi > wj
		}
		return ts[i].first < ts[j].first
	})
}

// termWeight favours frequent terms, then pairs of words over single words
// (count × size), then names and long words over short words, adverbs and
// past-tense verbs.
func termWeight(t term) int {
	w := t.count * t.size * 12
	for _, word := range strings.Fields(t.text) {
		r, _ := utf8.DecodeRuneInString(word)
		if unicode.IsUpper(r) {
			w += 4
		}
		if n := utf8.RuneCountInString(word); n < 10 {
			w += n / 3
		} else {
			w += 3
		}
		if strings.HasSuffix(word, "ly") || strings.HasSuffix(word, "ed") {
			w -= 5
		}
	}
	return w
}

// englishWord is a word of running text.
type englishWord struct {
	text       string // as written
	lower      string
	startsSent bool
}

// englishSentences splits text into sentences of Latin-script words.
func englishSentences(text string) [][]englishWord {
	var out [][]englishWord
	for _, sent := range language.SplitSentences(text) {
		var words []englishWord
		for _, w := range strings.FieldsFunc(sent, func(r rune) bool {
			return !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)) || r == '\'' || r == '-')
		}) {
			w = strings.TrimSuffix(strings.Trim(w, "'-"), "'s")
			if w == "" {
				continue
			}
			words = append(words, englishWord{text: w, lower: strings.ToLower(w), startsSent: len(words) == 0})
		}
		out = append(out, words)
	}
	return out
}

// properNouns maps the lower-case form of each word that text capitalises
// in the middle of a sentence to that capitalised form.
func properNouns(text string) map[string]string {
	m := map[string]string{}
	for _, sent := range englishSentences(text) {
		for _, w := range sent {
			if r, _ := utf8.DecodeRuneInString(w.text); !w.startsSent && unicode.IsUpper(r) {
				if _, ok := m[w.lower]; !ok {
					m[w.lower] = w.text
				}
			}
		}
	}
	return m
}

// contentWord reports whether w can be a keyword: not a stop word, not a
// number, at least three letters unless it is an acronym such as "AI".
func contentWord(w englishWord) bool {
	if stopWords[w.lower] || strings.HasSuffix(w.lower, "'s") && stopWords[strings.TrimSuffix(w.lower, "'s")] {
		return false
	}
	letters := 0
	for _, r := range w.lower {
		if unicode.IsLetter(r) {
			letters++
		}
	}
	if letters == 0 {
		return false
	}
	return letters >= 3 || isAcronym(w.text)
}

func isAcronym(s string) bool {
	if utf8.RuneCountInString(s) < 2 {
		return false
	}
	for _, r := range s {
		if !unicode.IsUpper(r) && !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// englishTerms counts content words and adjacent pairs of content words in
// text. Display forms keep acronyms and proper nouns capitalised and
// lower-case everything else.
func englishTerms(text string) []term {
	display := map[string]string{}
	form := func(w englishWord) string {
		switch {
		case isAcronym(w.text):
			return w.text
		case !w.startsSent && unicode.IsUpper([]rune(w.text)[0]):
			return w.text
		}
		return w.lower
	}
	idx := map[string]int{}
	var ts []term
	add := func(key string, size, pos int) {
		if i, ok := idx[key]; ok {
			ts[i].count++
			return
		}
		idx[key] = len(ts)
		ts = append(ts, term{text: key, count: 1, first: pos, size: size})
	}
	pos := 0
	for _, sent := range englishSentences(text) {
		for i, w := range sent {
			pos++
			if !contentWord(w) {
				continue
			}
			f := form(w)
			if prev, ok := display[w.lower]; !ok || (prev == w.lower && f != w.lower) {
				display[w.lower] = f
			}
			add(w.lower, 1, pos)
			if i+1 < len(sent) && contentWord(sent[i+1]) {
				add(w.lower+" "+sent[i+1].lower, 2, pos)
			}
		}
	}
	for i := range ts {
		parts := strings.Split(ts[i].text, " ")
		for j, p := range parts {
			if d, ok := display[p]; ok {
				parts[j] = d
			}
		}
		ts[i].text = strings.Join(parts, " ")
	}
	return ts
}

// englishKeywords returns up to n keywords of text, best first. Pairs of
// words must occur at least twice; single words at least minCount times.
func englishKeywords(text string, n, minCount int) []string {
	ts := englishTerms(text)
	var keep []term
	for _, t := range ts {
		if (t.size == 2 && t.count >= 2) || (t.size == 1 && t.count >= minCount) {
			keep = append(keep, t)
		}
	}
	rankTerms(keep)
	return pickTerms(keep, n)
}

// pickTerms takes up to n terms in order. A term contained in one already
// taken is skipped; a term containing one already taken replaces it
// ("coffee houses" replaces "coffee").
func pickTerms(ts []term, n int) []string {
	var out []string
next:
	for _, t := range ts {
		lt := strings.ToLower(t.text)
		for i, o := range out {
			lo := strings.ToLower(o)
			if strings.Contains(lo, lt) {
				continue next
			}
			if strings.Contains(lt, lo) {
				out[i] = t.text
				continue next
			}
		}
		if len(out) == n {
			break
		}
		out = append(out, t.text)
	}
	return out
}

// pickDistinct takes up to n terms in order, skipping any that contains or
// is contained in one already taken.
func pickDistinct(ts []term, n int) []string {
	var out []string
next:
	for _, t := range ts {
		if len(out) == n {
			break
		}
		for _, o := range out {
			if strings.Contains(o, t.text) || strings.Contains(t.text, o) {
				continue next
			}
		}
		out = append(out, t.text)
	}
	return out
}

// cjkTerms counts runs of two to four Han characters that occur at least
// twice in text, dropping runs that start or end with a function
// character and runs that are mostly part of a longer frequent run
// ("人工" inside "人工智慧").
func cjkTerms(text string) []term {
	counts := map[string]*term{}
	pos := 0
	for _, run := range hanRuns(text) {
		for i := range run {
			pos++
			for n := 2; n <= 4 && i+n <= len(run); n++ {
				g := run[i : i+n]
				if functionChars[g[0]] || functionChars[g[n-1]] || containsParticle(g) {
					continue
				}
				key := string(g)
				if t, ok := counts[key]; ok {
					t.count++
				} else {
					counts[key] = &term{text: key, count: 1, first: pos, size: n}
				}
			}
		}
	}
	var cands []*term
	for _, t := range counts {
		if t.count >= 2 {
			cands = append(cands, t)
		}
	}
	var out []term
	for _, t := range cands {
		covered := false
		for _, u := range cands {
			if u.size > t.size && strings.Contains(u.text, t.text) && u.count*5 >= t.count*4 {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, *t)
		}
	}
	rankTerms(out)
	return out
}

// hanRuns returns the maximal runs of Han characters in text.
func hanRuns(text string) [][]rune {
	var out [][]rune
	var cur []rune
	for _, r := range text {
		if unicode.Is(unicode.Han, r) {
			cur = append(cur, r)
			continue
		}
		if len(cur) > 0 {
			out = append(out, cur)
			cur = nil
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// latinTerms returns the Latin-script words of CJK text that look like
// names (acronyms, capitalised or mixed-case words such as "YouTube"),
// most frequent first.
func latinTerms(text string) []term {
	idx := map[string]int{}
	var ts []term
	for i, w := range strings.FieldsFunc(text, func(r rune) bool {
		return !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)))
	}) {
		first, _ := utf8.DecodeRuneInString(w)
		if !unicode.IsUpper(first) || utf8.RuneCountInString(w) < 2 || stopWords[strings.ToLower(w)] {
			continue
		}
		key := strings.ToLower(w)
		if j, ok := idx[key]; ok {
			ts[j].count++
			continue
		}
		idx[key] = len(ts)
		ts = append(ts, term{text: w, count: 1, first: i, size: 1})
	}
	rankTerms(ts)
	return ts
}

// englishSubjects returns up to n English phrases naming what text is
// about, in the order they appear: keywords for English text, dictionary
// translations and Latin-script names for CJK text.
func englishSubjects(text, lang string, n int) []string {
	if !language.IsCJK(lang) {
		var ts []term
		for _, t := range englishTerms(text) {
			if t.size == 1 || t.count >= 2 {
				ts = append(ts, t)
			}
		}
		rankTerms(ts)
		chosen := pickTerms(ts, n)
		order := map[string]int{}
		for _, t := range ts {
			order[t.text] = t.first
		}
		sort.SliceStable(chosen, func(i, j int) bool { return order[chosen[i]] < order[chosen[j]] })
		return chosen
	}
	type hit struct {
		pos  int
		text string
	}
	var hits []hit
	seen := map[string]bool{}
	covered := make([]bool, len(text))
	for _, k := range dictionaryKeys {
		for off := 0; ; {
			i := strings.Index(text[off:], k)
			if i < 0 {
				break
			}
			i += off
			off = i + len(k)
			free := true
			for j := i; j < i+len(k); j++ {
				if covered[j] {
					free = false
					break
				}
			}
			if !free {
				continue
			}
			for j := i; j < i+len(k); j++ {
				covered[j] = true
			}
			if en := dictionary[k]; !seen[en] {
				seen[en] = true
				hits = append(hits, hit{i, en})
			}
		}
	}
	for _, t := range latinTerms(text) {
		if !seen[strings.ToLower(t.text)] {
			seen[strings.ToLower(t.text)] = true
			hits = append(hits, hit{strings.Index(text, t.text), t.text})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].pos < hits[j].pos })
	var out []string
	for _, h := range hits {
		if len(out) == n {
			break
		}
		out = append(out, h.text)
	}
	return out
}

// functionChars are Chinese characters that rarely begin or end a
// meaningful word: particles, pronouns, copulas, common adverbs.
var functionChars = runeSet("的了是在和與与或也就都而及之於于嗎吗呢吧啊著着過过把被從从對对讓让將将並并很還还但我你他她它們们這这那其此每各些一個个有不要會会可以為为到說说去來来看就又再更最已")

// particles are Chinese characters that almost never occur inside a word.
var particles = runeSet("的了嗎吗呢吧啊和與与是也都很就被把")

func containsParticle(g []rune) bool {
	for _, r := range g {
		if particles[r] {
			return true
		}
	}
	return false
}

func runeSet(s string) map[rune]bool {
	m := make(map[rune]bool, len(s))
	for _, r := range s {
		m[r] = true
	}
	return m
}

// stopWords are English words too common to be keywords.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a about above after again against all almost also although always am an and any anyone anything
are aren't around as at be because been before being below between both but by can can't cannot could couldn't did didn't
do does doesn't doing don't done down during each either else enough even ever every everyone everything few first for from
further get gets getting got had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him
himself his how how's however i i'd i'll i'm i've if in into is isn't it it's its itself just know known let let's like lot lots
made make makes many may me might more most much must my myself need needs never new next no nor not nothing now of off often
on once one only onto or other others our ours ourselves out over own people per perhaps quite rather really said same say
says second see seen she she'd she'll she's should shouldn't since so some someone something sometimes still such take takes
than that that's the their theirs them themselves then there there's therefore these they they'd they'll they're they've
thing things think this those though three through thus to today too took two under unless until up upon us use used uses
using very via want wants was wasn't way ways we we'd we'll we're we've well were weren't what what's when when's where
where's whether which while who who's whom whose why why's will with within without won't would wouldn't yet you you'd
you'll you're you've your yours yourself yourselves also got going gonna let's okay ok yes hello welcome thanks thank
become became becomes began begin begins came come comes went go goes gone found find finds gave give gives given keep keeps
kept turn turns turned grew grow grows show shows showed try tried tries tell told call called put puts set sets seem seems
seemed look looks looked bring brought run runs ran why's getting makes making taking found helps help helped each
another around last long great little big small good best better right left high low part parts kind kinds sort lots day
days year years time times soon later ago early far away back nearly fully`) {
		m[w] = true
	}
	return m
}()
