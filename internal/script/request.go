package script

import (
	"strings"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/language"
)

// DefaultMaxSegments is the segment cap when a Request leaves MaxSegments
// at zero.
const DefaultMaxSegments = 12

// Request asks a writer for a script.
type Request struct {
	Name     string // project name; becomes the title
	Content  string // the source text the video is about
	Language string // BCP 47 tag of the narration; "" detects it from Content
	// MaxSegments caps the number of segments, intro and outro included.
	// Zero means DefaultMaxSegments; values below 3 are raised to 3.
	MaxSegments int
	// MinSeconds and MaxSeconds are the narration length wanted, in
	// seconds; zero leaves the choice to the prompt's defaults.
	MinSeconds, MaxSeconds int
	// Template is the text of the user prompt template an LLM writer
	// fills in (see internal/prompts); "" means the built-in default. The
	// offline writer ignores it.
	Template string
}

// Normalize returns r with its text trimmed, the language detected (or
// canonicalised) and MaxSegments defaulted. Empty content is a
// non-retryable INVALID_INPUT error.
func (r Request) Normalize() (Request, error) {
	r.Name = collapseSpace(r.Name)
	r.Content = strings.TrimSpace(strings.ReplaceAll(r.Content, "\r\n", "\n"))
	if r.Content == "" || !hasLetterOrDigit(r.Content) {
		return r, errcode.New(errcode.InvalidInput, "script request has no content", false)
	}
	r.Language = canonicalLanguage(r.Language)
	if r.Language == "" {
		r.Language = language.Detect(r.Content)
	}
	switch {
	case r.MaxSegments <= 0:
		r.MaxSegments = DefaultMaxSegments
	case r.MaxSegments < MinSegments:
		r.MaxSegments = MinSegments
	}
	return r, nil
}
