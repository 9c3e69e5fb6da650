// Package icons holds a small embedded set of openly licensed
// illustrations (OpenMoji, CC BY-SA 4.0; see third_party/openmoji) and
// picks the one a text calls for, from English or Chinese keywords.
// The choice is deterministic: the same text always gives the same icon.
package icons

import (
	"bytes"
	"embed"
	"fmt"
	"image"
	"image/png"
	"strings"
	"unicode"
)

//go:embed png/*.png
var files embed.FS

// Icon is one illustration.
type Icon struct {
	Name string // e.g. "laptop"
	Code string // OpenMoji code point(s), e.g. "1F4BB"
}

// Match is an icon chosen for a text, with the keywords that chose it.
type Match struct {
	Icon
	Score    int
	Keywords []string
}

type keyword struct {
	word  string
	entry int
	cjk   bool
}

// The keyword indexes, built once from table and never changed.
var enIndex, zhWords = buildIndex()

func buildIndex() (enIndex map[string][]int, zhWords []keyword) {
	enIndex = map[string][]int{}
	for i, e := range table {
		for _, w := range strings.Split(e.en, ",") {
			w = strings.TrimSpace(strings.ToLower(w))
			if w != "" {
				enIndex[w] = append(enIndex[w], i)
			}
		}
		for _, w := range strings.Split(e.zh, ",") {
			if w = strings.TrimSpace(w); w != "" {
				zhWords = append(zhWords, keyword{word: w, entry: i, cjk: true})
			}
		}
	}
	// Longer keywords first, so 「機器人」 is counted before 「人」-like
	// shorter ones that it contains.
	sortKeywords(zhWords)
	return enIndex, zhWords
}

func sortKeywords(k []keyword) {
	for i := 1; i < len(k); i++ {
		for j := i; j > 0 && len([]rune(k[j].word)) > len([]rune(k[j-1].word)); j-- {
			k[j], k[j-1] = k[j-1], k[j]
		}
	}
}

// words splits Latin text into lower-case words.
func words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r)) || r > unicode.MaxLatin1 && isHan(r)
	})
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

// stems returns the forms of a word that may be listed: the word, and the
// word without a plural or verb ending.
func stems(w string) []string {
	out := []string{w}
	for _, suf := range []string{"ies", "es", "s", "ing", "ed", "'s"} {
		if len(w) > len(suf)+2 && strings.HasSuffix(w, suf) {
			base := strings.TrimSuffix(w, suf)
			out = append(out, base)
			if suf == "ies" {
				out = append(out, base+"y")
			}
			if suf == "ing" || suf == "ed" {
				out = append(out, base+"e")
			}
		}
	}
	return out
}

// Best returns the icon whose keywords the text mentions most (each
// distinct keyword counts 3, a repeated one 1 more), and false when no
// keyword matches. Ties go to the icon listed first.
func Best(text string) (Match, bool) { return BestFor("", text) }

// BestFor is Best for a text with a title: a keyword of the title adds 1
// to its icon's score, so the title decides between equally matched
// icons without outweighing the text.
func BestFor(title, text string) (Match, bool) {
	scores, hits := score(text)
	if title != "" {
		ts, th := score(title)
		for i := range scores {
			if ts[i] > 0 {
				scores[i]++
				if len(hits[i]) == 0 {
					hits[i] = th[i]
				}
			}
		}
	}
	best := -1
	for i, s := range scores {
		if s > 0 && (best < 0 || s > scores[best]) {
			best = i
		}
	}
	if best < 0 {
		return Match{}, false
	}
	e := table[best]
	return Match{Icon: Icon{Name: e.name, Code: e.code}, Score: scores[best], Keywords: hits[best]}, true
}

// score counts the keyword matches of every icon in text.
func score(text string) ([]int, [][]string) {
	scores := make([]int, len(table))
	hits := make([][]string, len(table))
	seen := map[string]bool{}
	add := func(i int, kw string) {
		key := fmt.Sprint(i, "\x00", kw)
		if seen[key] {
			scores[i]++ // repeated mentions count, less than new words
			return
		}
		seen[key] = true
		scores[i] += 3
		hits[i] = append(hits[i], kw)
	}
	ws := words(text)
	for k, w := range ws {
		// A word counts once per icon, whichever of its forms is listed.
		matched := map[int]bool{}
		for _, s := range stems(w) {
			for _, i := range enIndex[s] {
				if !matched[i] {
					matched[i] = true
					add(i, w)
				}
			}
		}
		// Two-word keywords ("new year", "social media").
		if k+1 < len(ws) {
			for _, i := range enIndex[w+" "+ws[k+1]] {
				add(i, w+" "+ws[k+1])
			}
		}
	}
	if hasHan(text) {
		rest := text
		for _, kw := range zhWords {
			for {
				j := strings.Index(rest, kw.word)
				if j < 0 {
					break
				}
				add(kw.entry, kw.word)
				// Blank the match so shorter keywords inside it do not
				// count again.
				rest = rest[:j] + strings.Repeat(" ", len(kw.word)) + rest[j+len(kw.word):]
			}
		}
	}
	return scores, hits
}

func hasHan(s string) bool {
	for _, r := range s {
		if isHan(r) {
			return true
		}
	}
	return false
}

// Fallback returns an icon for a text that names none, picked from a few
// general ones by seed.
func Fallback(seed uint64) Icon {
	general := []string{"idea", "memo", "speech-bubble", "target", "key", "star-award", "search", "books"}
	name := general[seed%uint64(len(general))]
	for _, e := range table {
		if e.name == name {
			return Icon{Name: e.name, Code: e.code}
		}
	}
	return Icon{Name: table[0].name, Code: table[0].code}
}

// ByName finds an icon by its name.
func ByName(name string) (Icon, bool) {
	for _, e := range table {
		if e.name == name {
			return Icon{Name: e.name, Code: e.code}, true
		}
	}
	return Icon{}, false
}

// Image decodes an icon's picture (144×144, transparent background).
func Image(ic Icon) (image.Image, error) {
	b, err := files.ReadFile("png/" + ic.Code + ".png")
	if err != nil {
		return nil, fmt.Errorf("icons: no picture for %s (%s): %w", ic.Name, ic.Code, err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("icons: decode %s: %w", ic.Code, err)
	}
	return img, nil
}

// Count is the number of icons in the set.
func Count() int {
	entries, _ := files.ReadDir("png")
	return len(entries)
}
