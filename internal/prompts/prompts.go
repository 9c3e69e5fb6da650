// Package prompts turns a script request into the prompt an LLM reads.
//
// A prompt has two parts. The system prompt is fixed: it states the output
// contract every later stage relies on (JSON fields, segment types, English
// image prompts, the segment cap) and is the same for every template. The
// user prompt comes from a named Template, text with placeholders such as
// {content} and {language} that Render fills in. The built-in template
// "default" is used when a project names none; users add their own under
// DATA_DIR/prompts/ (see Store).
package prompts

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ytmaker/ytmaker/internal/script"
)

// Placeholders a template may use, with what each becomes.
var Placeholders = []Placeholder{
	{"content", "the project's source text"},
	{"language", "the narration language as a BCP 47 tag, e.g. en or zh-TW"},
	{"language_name", "the narration language described in English, e.g. Traditional Chinese as written in Taiwan"},
	{"name", "the project name (a note asking for a title when there is none)"},
	{"min_duration", "the shortest narration wanted, in seconds"},
	{"max_duration", "the longest narration wanted, in seconds"},
	{"max_segments", "the most segments the script may have, intro and outro included"},
	{"content_segments", "the most content segments, i.e. max_segments minus the intro and outro"},
}

// Placeholder is one {name} a template may contain.
type Placeholder struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// The labelled lines and source block of the default user prompt. The fake
// LLM servers in internal/fakes read the same conventions.
const (
	LabelName        = "Project name: "
	LabelLanguage    = "Language: "
	LabelMaxSegments = "Maximum segments: "
	SourceOpen       = "<source>"
	SourceClose      = "</source>"
)

// DefaultName is the name of the built-in template.
const DefaultName = "default"

// Default is the built-in template.
var Default = Template{
	Name:        DefaultName,
	Description: "Faithful narration of the source material, in the project's language.",
	BuiltIn:     true,
	Text: LabelName + "{name}\n" +
		LabelLanguage + "{language} ({language_name})\n" +
		LabelMaxSegments + "{max_segments}\n" +
		"Target length: {min_duration} to {max_duration} seconds of narration.\n\n" +
		"Write the script for a video based on this source material. Stay faithful to it and cover its main points in order; do not invent facts.\n" +
		SourceOpen + "\n{content}\n" + SourceClose + "\n",
}

// Durations in seconds used when a request sets none: a segment is read in
// about 10 to 25 seconds.
const (
	minSecondsPerSegment = 10
	maxSecondsPerSegment = 25
)

var languageNames = map[string]string{
	"en":    "English",
	"zh-TW": "Traditional Chinese as written in Taiwan (繁體中文，台灣用語)",
	"zh-CN": "Simplified Chinese (简体中文)",
	"ja":    "Japanese (日本語)",
	"ko":    "Korean (한국어)",
}

// LanguageName describes a language tag to a model.
func LanguageName(tag string) string {
	if n, ok := languageNames[tag]; ok {
		return n
	}
	return "the language with BCP 47 tag " + tag
}

// System returns the system prompt for a normalised request: how to write
// the script and the JSON it must come back as.
func System(req script.Request) string {
	return fmt.Sprintf(`You write narration scripts for YouTube videos. You turn source material into a clear, engaging script that a narrator reads aloud over a sequence of pictures.

Rules:
- Write the title, the description, the tags and the text of every segment in %[1]s. Write every image_prompt and search_terms in English.
- The first segment has type "intro", the last has type "outro", and every segment between them has type "content". Use between 1 and %[2]d content segments, so at most %[3]d segments in total.
- Each segment's text is two to five sentences of plain spoken prose, about 10 to 25 seconds when read aloud. No markdown, lists, emoji, stage directions, speaker labels or URLs.
- The intro greets the viewers and introduces the topic. The outro thanks them and invites them to like and subscribe.
- image_prompt is one English sentence describing a single concrete scene for an image generator: subject, setting, style and lighting. The picture must contain no text, letters or logos.
- search_terms are two or three short English phrases to find stock footage for the segment, most specific first.
- title: engaging and accurate, at most 100 characters. description: two to four sentences, at most 1000 characters. tags: 5 to 12 short keywords.

Answer with JSON only, following the response schema.`, LanguageName(req.Language), req.MaxSegments-2, req.MaxSegments)
}

// JSONInstructions describes the answer's JSON in words, for servers that
// cannot be given a response schema.
const JSONInstructions = `Answer with one JSON object and nothing else: no code fence, no text before or after it. Its form:
{"title": "...", "description": "...", "tags": ["...", "..."], "segments": [{"type": "intro", "text": "...", "image_prompt": "...", "search_terms": ["...", "..."]}, {"type": "content", ...}, {"type": "outro", ...}]}`

// Values returns what each placeholder becomes for a normalised request.
func Values(req script.Request) map[string]string {
	name := req.Name
	if name == "" {
		name = "(none: derive a title from the source material)"
	}
	minSec, maxSec := req.MinSeconds, req.MaxSeconds
	if minSec <= 0 {
		minSec = script.MinSegments * minSecondsPerSegment
	}
	if maxSec <= 0 {
		maxSec = req.MaxSegments * maxSecondsPerSegment
	}
	if maxSec < minSec {
		maxSec = minSec
	}
	return map[string]string{
		"content":          strings.ReplaceAll(req.Content, SourceClose, "</ source>"),
		"language":         req.Language,
		"language_name":    LanguageName(req.Language),
		"name":             name,
		"min_duration":     strconv.Itoa(minSec),
		"max_duration":     strconv.Itoa(maxSec),
		"max_segments":     strconv.Itoa(req.MaxSegments),
		"content_segments": strconv.Itoa(req.MaxSegments - 2),
	}
}

// User renders t's user prompt for a normalised request. A template that
// does not use {content} gets the source block appended, so the model
// always sees the material.
func User(req script.Request, t Template) string {
	if t.Text == "" {
		t = Default
	}
	vals := Values(req)
	out, used := expand(t.Text, vals)
	if !used["content"] {
		out = strings.TrimRight(out, "\n") + "\n\n" + SourceOpen + "\n" + vals["content"] + "\n" + SourceClose + "\n"
	}
	return out
}

// expand replaces each {name} in text with vals[name]; "{{" and "}}" stand
// for literal braces. Unknown names are left as they are (Validate refuses
// them before a template is stored). It reports the names it replaced.
func expand(text string, vals map[string]string) (string, map[string]bool) {
	var b strings.Builder
	used := map[string]bool{}
	for i := 0; i < len(text); {
		switch {
		case strings.HasPrefix(text[i:], "{{"):
			b.WriteByte('{')
			i += 2
		case strings.HasPrefix(text[i:], "}}"):
			b.WriteByte('}')
			i += 2
		case text[i] == '{':
			end := strings.IndexByte(text[i:], '}')
			if end > 0 {
				if v, ok := vals[text[i+1:i+end]]; ok {
					b.WriteString(v)
					used[text[i+1:i+end]] = true
					i += end + 1
					continue
				}
			}
			b.WriteByte('{')
			i++
		default:
			b.WriteByte(text[i])
			i++
		}
	}
	return b.String(), used
}
