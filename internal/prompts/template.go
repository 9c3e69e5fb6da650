package prompts

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ytmaker/ytmaker/errcode"
)

// Limits on templates.
const (
	MaxNameLen        = 64
	MaxTextLen        = 20000
	MaxDescriptionLen = 500
)

// Template is a named user prompt with {placeholders}.
type Template struct {
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Text        string    `json:"text"`
	BuiltIn     bool      `json:"built_in,omitempty"`
	UpdatedAt   time.Time `json:"updated_at,omitzero"`
}

// ValidName reports whether name can name a template: 1 to 64 lower-case
// letters, digits, '-' and '_', starting with a letter or digit.
func ValidName(name string) bool {
	if name == "" || len(name) > MaxNameLen {
		return false
	}
	for i, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		case (r == '-' || r == '_') && i > 0:
		default:
			return false
		}
	}
	return true
}

// Validate checks t and normalises it in place. Problems are INVALID_INPUT
// errors whose details name the field: "name", "text" or "description".
func (t *Template) Validate() error {
	t.Name = strings.TrimSpace(t.Name)
	if !ValidName(t.Name) {
		return invalid("name", "%q is not a template name: use 1-%d lower-case letters, digits, - and _, starting with a letter or digit", t.Name, MaxNameLen)
	}
	if t.Name == DefaultName {
		return invalid("name", "%q is the built-in template and cannot be changed", DefaultName)
	}
	t.Description = strings.TrimSpace(t.Description)
	if n := utf8.RuneCountInString(t.Description); n > MaxDescriptionLen {
		return invalid("description", "is %d characters; at most %d allowed", n, MaxDescriptionLen)
	}
	if !utf8.ValidString(t.Text) {
		return invalid("text", "is not valid UTF-8 text")
	}
	t.Text = strings.ReplaceAll(t.Text, "\r\n", "\n")
	if strings.TrimSpace(t.Text) == "" {
		return invalid("text", "is required")
	}
	if n := utf8.RuneCountInString(t.Text); n > MaxTextLen {
		return invalid("text", "is %d characters; at most %d allowed", n, MaxTextLen)
	}
	names, err := placeholders(t.Text)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, p := range Placeholders {
		known[p.Name] = true
	}
	for _, n := range names {
		if !known[n] {
			return invalid("text", "unknown placeholder {%s}; known: %s (write {{ and }} for literal braces)", n, knownList()).
				WithDetail("placeholder", n)
		}
	}
	t.BuiltIn = false
	return nil
}

// placeholders lists the {names} in text, refusing unbalanced braces.
func placeholders(text string) ([]string, error) {
	var names []string
	for i := 0; i < len(text); {
		switch {
		case strings.HasPrefix(text[i:], "{{"), strings.HasPrefix(text[i:], "}}"):
			i += 2
		case text[i] == '{':
			end := strings.IndexAny(text[i+1:], "{}\n")
			if end < 0 || text[i+1+end] != '}' {
				return nil, invalid("text", "has a { without a matching } at byte %d (write {{ for a literal brace)", i)
			}
			names = append(names, text[i+1:i+1+end])
			i += end + 2
		case text[i] == '}':
			return nil, invalid("text", "has a } without a matching { at byte %d (write }} for a literal brace)", i)
		default:
			i++
		}
	}
	return names, nil
}

func knownList() string {
	var out []string
	for _, p := range Placeholders {
		out = append(out, "{"+p.Name+"}")
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

func invalid(field, format string, args ...any) *errcode.Error {
	return errcode.Newf(errcode.InvalidInput, false, "%s: %s", field, fmt.Sprintf(format, args...)).
		WithDetail("field", field)
}
