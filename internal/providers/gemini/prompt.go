package gemini

import (
	"google.golang.org/genai"

	"github.com/ytmaker/ytmaker/internal/script"
)

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
						"search_terms": {Type: genai.TypeArray, Items: str("An English stock footage query.")},
					},
					Required:         []string{"type", "text", "image_prompt"},
					PropertyOrdering: []string{"type", "text", "image_prompt", "search_terms"},
				},
			},
		},
		Required:         []string{"title", "description", "tags", "segments"},
		PropertyOrdering: []string{"title", "description", "tags", "segments"},
	}
}
