// Package script holds the video script model: a title, a description and
// tags for YouTube, and an ordered list of narrated segments (an intro,
// content segments, an outro), each with an English image prompt.
//
// It also provides an offline writer (see OfflineWriter) that turns a
// project's text into a script deterministically, without any API, and the
// validation every script passes before later stages use it.
package script

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/atomicfile"
	"github.com/ytmaker/ytmaker/internal/language"
)

// Segment types.
const (
	Intro   = "intro"
	Content = "content"
	Outro   = "outro"
)

// Limits enforced by Validate. Title and tag limits are YouTube's; the
// description limit is YouTube's 5000 bytes, which also keeps it under
// 5000 characters.
const (
	MaxTitleRunes       = 100
	MaxDescriptionBytes = 5000
	MaxTagsLength       = 500 // YouTube counts the joined tag list, quoting tags with spaces
	MaxTagRunes         = 100
	MinSegments         = 3
)

// Script is a complete video script.
type Script struct {
	Title       string    `json:"title"`
	Description string    `json:"description"`
	Tags        []string  `json:"tags"`
	Language    string    `json:"language"` // BCP 47 tag of the narration, e.g. "en", "zh-TW"
	Segments    []Segment `json:"segments"`
}

// Segment is one narrated part of the video, shown over one image.
type Segment struct {
	Type        string `json:"type"`         // Intro, Content or Outro
	Text        string `json:"text"`         // narration, in the script's language
	ImagePrompt string `json:"image_prompt"` // English description of the picture
	// SearchTerms are English phrases to find stock footage with, most
	// specific first. Validate fills them from the image prompt when the
	// writer gave none.
	SearchTerms []string `json:"search_terms,omitempty"`
}

// Validate normalises s in place and reports the first problem it cannot
// fix as a non-retryable SCRIPT_INVALID error naming that problem.
//
// Normalising trims all text, truncates an over-long title (at a word
// boundary where there is one) and description, removes the angle brackets
// YouTube rejects, cleans, de-duplicates and caps the tags, lower-cases
// segment types, canonicalises or detects the language, and fills a
// missing or non-English image prompt with one derived from the text.
//
// It fails when the title is empty, when there are fewer than three
// segments, when the first is not an intro, the last not an outro or one in
// between not a content segment, or when a segment's text is empty.
func (s *Script) Validate() error {
	if s == nil {
		return invalid("script is missing")
	}
	s.Title = truncateTitle(cleanYouTubeText(collapseSpace(s.Title)), MaxTitleRunes)
	if s.Title == "" {
		return invalid("title is empty")
	}
	s.Description = truncateBytes(cleanYouTubeText(strings.TrimSpace(s.Description)), MaxDescriptionBytes)
	s.Tags = cleanTags(s.Tags)

	if len(s.Segments) < MinSegments {
		return invalid(fmt.Sprintf("script has %d segments, needs at least %d (intro, content, outro)", len(s.Segments), MinSegments))
	}
	for i := range s.Segments {
		seg := &s.Segments[i]
		seg.Type = strings.ToLower(strings.TrimSpace(seg.Type))
		seg.Text = strings.TrimSpace(seg.Text)
		seg.ImagePrompt = collapseSpace(seg.ImagePrompt)
		want := Content
		switch i {
		case 0:
			want = Intro
		case len(s.Segments) - 1:
			want = Outro
		}
		if seg.Type != want {
			return invalidSegment(i, fmt.Sprintf("segment %d has type %q, want %q", i+1, seg.Type, want))
		}
		if seg.Text == "" || !hasLetterOrDigit(seg.Text) {
			return invalidSegment(i, fmt.Sprintf("segment %d (%s) has no text", i+1, seg.Type))
		}
	}

	s.Language = canonicalLanguage(s.Language)
	if s.Language == "" {
		var all strings.Builder
		for _, seg := range s.Segments {
			all.WriteString(seg.Text)
			all.WriteByte('\n')
		}
		s.Language = language.Detect(all.String())
	}

	topic := englishTopic(s.Title, s.Language)
	for i := range s.Segments {
		seg := &s.Segments[i]
		seg.ImagePrompt = englishOnly(seg.ImagePrompt)
		if countWords(seg.ImagePrompt) < 3 {
			seg.ImagePrompt = imagePrompt(seg.Type, seg.Text, s.Language, topic, i)
		}
		seg.SearchTerms = cleanSearchTerms(seg.SearchTerms)
		if len(seg.SearchTerms) == 0 {
			seg.SearchTerms = searchTerms(seg.Type, seg.Text, s.Language, topic)
		}
	}
	return nil
}

// CapSegments merges neighbouring content segments, the shortest pair
// first, until s has at most max segments (never fewer than three). A
// merged segment keeps the first segment's image prompt.
func (s *Script) CapSegments(max int) {
	if max < MinSegments {
		max = MinSegments
	}
	for len(s.Segments) > max {
		best, bestLen := -1, 0
		for i := 1; i+2 < len(s.Segments); i++ {
			l := utf8.RuneCountInString(s.Segments[i].Text) + utf8.RuneCountInString(s.Segments[i+1].Text)
			if best < 0 || l < bestLen {
				best, bestLen = i, l
			}
		}
		if best < 0 {
			return
		}
		s.Segments[best].Text = joinText([]string{s.Segments[best].Text, s.Segments[best+1].Text})
		s.Segments = append(s.Segments[:best+1], s.Segments[best+2:]...)
	}
}

// Clone returns a deep copy of s.
func (s *Script) Clone() *Script {
	c := *s
	c.Tags = append([]string(nil), s.Tags...)
	c.Segments = append([]Segment(nil), s.Segments...)
	for i := range c.Segments {
		c.Segments[i].SearchTerms = append([]string(nil), c.Segments[i].SearchTerms...)
	}
	return &c
}

// Text returns the full narration: every segment's text, one per
// paragraph.
func (s *Script) Text() string {
	parts := make([]string, len(s.Segments))
	for i, seg := range s.Segments {
		parts[i] = seg.Text
	}
	return strings.Join(parts, "\n\n")
}

// Save writes s as indented JSON to path, atomically.
func (s *Script) Save(path string) error {
	if err := atomicfile.WriteJSON(path, s, 0o644); err != nil {
		return errcode.Wrap(err, errcode.FileSystemError, false, "save script: "+err.Error())
	}
	return nil
}

// Load reads a script saved by Save and validates it. A missing file is
// NOT_FOUND; a file that is not a valid script is SCRIPT_INVALID.
func Load(path string) (*Script, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errcode.Wrap(err, errcode.NotFound, false, "script file does not exist: "+path)
		}
		return nil, errcode.Wrap(err, errcode.FileSystemError, false, "read script: "+err.Error())
	}
	var s Script
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, errcode.Wrap(err, errcode.ScriptInvalid, false, "script file is not valid JSON: "+err.Error())
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// Limits on a segment's search terms.
const (
	maxSearchTerms     = 3
	maxSearchTermRunes = 60
)

// cleanSearchTerms trims, de-duplicates and caps search terms, keeping
// only English ones.
func cleanSearchTerms(terms []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range terms {
		t = englishOnly(collapseSpace(t))
		k := strings.ToLower(t)
		if t == "" || seen[k] || utf8.RuneCountInString(t) > maxSearchTermRunes {
			continue
		}
		seen[k] = true
		out = append(out, t)
		if len(out) == maxSearchTerms {
			break
		}
	}
	return out
}

// searchTerms derives stock footage queries from a segment: the English
// subjects of its text, and the video's topic (first for the intro and
// outro, whose words are greetings).
func searchTerms(segType, text, lang, topic string) []string {
	terms := englishSubjects(text, lang, maxSearchTerms)
	if topic != "" {
		if segType == Content {
			terms = append(terms, topic)
		} else {
			terms = append([]string{topic}, terms...)
		}
	}
	return cleanSearchTerms(terms)
}

func invalid(msg string) *errcode.Error {
	return errcode.New(errcode.ScriptInvalid, msg, false)
}

func invalidSegment(i int, msg string) *errcode.Error {
	return invalid(msg).WithDetail("segment", i)
}

// canonicalLanguage normalises the spellings of the tags this project
// uses; other tags are returned trimmed.
func canonicalLanguage(tag string) string {
	tag = strings.TrimSpace(strings.ReplaceAll(tag, "_", "-"))
	switch strings.ToLower(tag) {
	case "":
		return ""
	case "zh-tw", "zh-hant", "zh-hant-tw", "zh-hk", "cmn-tw", "zh-hant-hk":
		return language.ChineseTraditional
	case "zh", "zh-cn", "zh-hans", "zh-hans-cn", "zh-sg", "cmn-cn":
		return language.ChineseSimplified
	case "en", "en-us", "en-gb", "en-au", "en-ca":
		return language.English
	case "ja", "ja-jp":
		return language.Japanese
	case "ko", "ko-kr":
		return language.Korean
	}
	return tag
}

// cleanYouTubeText replaces the angle brackets YouTube refuses in titles
// and descriptions.
func cleanYouTubeText(s string) string {
	return strings.NewReplacer("<", "‹", ">", "›").Replace(s)
}

// collapseSpace trims s and turns every run of white space into one space.
func collapseSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// truncateTitle shortens s to at most limit runes, cutting at a word
// boundary when one is near the end and marking the cut with "…".
func truncateTitle(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	r := []rune(s)[:limit-1]
	if cut := lastSpace(r); cut > 0 && cut >= len(r)-30 {
		r = r[:cut]
	}
	out := strings.TrimRightFunc(string(r), func(c rune) bool {
		return unicode.IsSpace(c) || unicode.IsPunct(c)
	})
	return out + "…"
}

func lastSpace(r []rune) int {
	for i := len(r) - 1; i >= 0; i-- {
		if unicode.IsSpace(r[i]) {
			return i
		}
	}
	return -1
}

// truncateBytes shortens s to at most limit bytes, preferring to end at a
// line or sentence boundary in the last fifth, and never splitting a rune.
func truncateBytes(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	const ellipsis = "…"
	cut := limit - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	head := s[:cut]
	if i := strings.LastIndexAny(head, "\n.!?。！？"); i >= cut*4/5 {
		_, size := utf8.DecodeRuneInString(head[i:])
		return strings.TrimSpace(head[:i+size])
	}
	return strings.TrimSpace(head) + ellipsis
}

// cleanTags trims tags, drops a leading '#', removes characters YouTube
// refuses, drops empty, over-long and duplicate tags, and keeps the list
// within YouTube's total length.
func cleanTags(tags []string) []string {
	out := make([]string, 0, len(tags))
	seen := map[string]bool{}
	total := 0
	for _, t := range tags {
		t = strings.NewReplacer("<", "", ">", "", ",", " ", "\"", "").Replace(t)
		t = collapseSpace(strings.TrimLeft(strings.TrimSpace(t), "#"))
		if t == "" || utf8.RuneCountInString(t) > MaxTagRunes {
			continue
		}
		key := strings.ToLower(t)
		if seen[key] {
			continue
		}
		cost := utf8.RuneCountInString(t)
		if strings.Contains(t, " ") {
			cost += 2 // YouTube counts the quotes around a tag with spaces
		}
		if len(out) > 0 {
			cost++ // the comma between tags
		}
		if total+cost > MaxTagsLength {
			break
		}
		total += cost
		seen[key] = true
		out = append(out, t)
	}
	return out
}

func hasLetterOrDigit(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}
