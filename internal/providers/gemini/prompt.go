package gemini

import (
	"fmt"
	"strings"

	"google.golang.org/genai"

	"github.com/ytmaker/ytmaker/internal/script"
)

// The user prompt's labelled lines and source block. The fake server in
// internal/fakes/fakegemini reads the same conventions to answer in the
// right language.
const (
	labelName        = "Project name: "
	labelLanguage    = "Language: "
	labelMaxSegments = "Maximum segments: "
	sourceOpen       = "<source>"
	sourceClose      = "</source>"
)

// languageNames describes each narration language to the model.
var languageNames = map[string]string{
	"en":    "English",
	"zh-TW": "Traditional Chinese as written in Taiwan (繁體中文，台灣用語)",
	"zh-CN": "Simplified Chinese (简体中文)",
	"ja":    "Japanese (日本語)",
	"ko":    "Korean (한국어)",
}

func languageName(tag string) string {
	if n, ok := languageNames[tag]; ok {
		return n
	}
	return "the language with BCP 47 tag " + tag
}

// systemInstruction tells the model how to write a script.
func systemInstruction(req script.Request) string {
	lang := languageName(req.Language)
	return fmt.Sprintf(`You write narration scripts for YouTube videos. You turn source material into a clear, engaging script that a narrator reads aloud over a sequence of still images.

Rules:
- Write the title, the description, the tags and the text of every segment in %[1]s. Write every image_prompt in English.
- The first segment has type "intro", the last has type "outro", and every segment between them has type "content". Use between 1 and %[2]d content segments, so at most %[3]d segments in total.
- Each segment's text is two to five sentences of plain spoken prose, about 10 to 25 seconds when read aloud. No markdown, lists, emoji, stage directions, speaker labels or URLs.
- Stay faithful to the source material and cover its main points in order. Do not invent facts.
- The intro greets the viewers and introduces the topic. The outro thanks them and invites them to like and subscribe.
- image_prompt is one English sentence describing a single concrete scene for an image generator: subject, setting, style and lighting. The picture must contain no text, letters or logos.
- title: engaging and accurate, at most 100 characters. description: two to four sentences, at most 1000 characters. tags: 5 to 12 short keywords.

Answer with JSON only, following the response schema.`, lang, req.MaxSegments-2, req.MaxSegments)
}

// userPrompt carries the request: labelled lines, then the source text.
func userPrompt(req script.Request) string {
	name := req.Name
	if name == "" {
		name = "(none: derive a title from the source material)"
	}
	var b strings.Builder
	b.WriteString(labelName + name + "\n")
	b.WriteString(labelLanguage + req.Language + " (" + languageName(req.Language) + ")\n")
	fmt.Fprintf(&b, "%s%d\n\n", labelMaxSegments, req.MaxSegments)
	b.WriteString("Write the script for a video based on this source material:\n")
	b.WriteString(sourceOpen + "\n")
	b.WriteString(strings.ReplaceAll(req.Content, sourceClose, "</ source>"))
	b.WriteString("\n" + sourceClose + "\n")
	return b.String()
}

// responseSchema describes the script JSON the model must return.
func responseSchema(maxSegments int) *genai.Schema {
	str := func(desc string) *genai.Schema { return &genai.Schema{Type: genai.TypeString, Description: desc} }
	return &genai.Schema{
		Type: genai.TypeObject,
		Properties: map[string]*genai.Schema{
			"title":       str("Video title, at most 100 characters."),
			"description": str("YouTube description."),
			"tags":        {Type: genai.TypeArray, Items: str("A keyword.")},
			"segments": {
				Type:     genai.TypeArray,
				MaxItems: genai.Ptr(int64(maxSegments)),
				Items: &genai.Schema{
					Type: genai.TypeObject,
					Properties: map[string]*genai.Schema{
						"type":         {Type: genai.TypeString, Enum: []string{script.Intro, script.Content, script.Outro}},
						"text":         str("Narration read aloud."),
						"image_prompt": str("English description of the image shown during this segment."),
					},
					Required:         []string{"type", "text", "image_prompt"},
					PropertyOrdering: []string{"type", "text", "image_prompt"},
				},
			},
		},
		Required:         []string{"title", "description", "tags", "segments"},
		PropertyOrdering: []string{"title", "description", "tags", "segments"},
	}
}
