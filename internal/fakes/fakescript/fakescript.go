// Package fakescript is what the fake LLM servers in internal/fakes share:
// they read the prompt layout of internal/prompts and answer with a script
// that the offline writer of internal/script builds from it, so that a
// fake's answer is in the prompt's language and covers its source text.
package fakescript

import (
	"bufio"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/ytmaker/ytmaker/internal/language"
	"github.com/ytmaker/ytmaker/internal/prompts"
	"github.com/ytmaker/ytmaker/internal/script"
)

// Request reads a user prompt laid out as internal/prompts' default
// template lays it out ("Project name:", "Language:" and "Maximum
// segments:" lines and a <source> block). A prompt without a source block
// is taken as the source text as a whole.
func Request(prompt string) script.Request {
	var req script.Request
	sc := bufio.NewScanner(strings.NewReader(prompt))
	sc.Buffer(make([]byte, 0, 64<<10), len(prompt)+1)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, prompts.LabelName) && req.Name == "":
			if v := strings.TrimPrefix(line, prompts.LabelName); !strings.HasPrefix(v, "(none") {
				req.Name = v
			}
		case strings.HasPrefix(line, prompts.LabelLanguage) && req.Language == "":
			if f := strings.Fields(strings.TrimPrefix(line, prompts.LabelLanguage)); len(f) > 0 {
				req.Language = f[0]
			}
		case strings.HasPrefix(line, prompts.LabelMaxSegments) && req.MaxSegments == 0:
			req.MaxSegments, _ = strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, prompts.LabelMaxSegments)))
		}
	}
	if i := strings.Index(prompt, prompts.SourceOpen); i >= 0 {
		rest := prompt[i+len(prompts.SourceOpen):]
		if j := strings.LastIndex(rest, prompts.SourceClose); j >= 0 {
			rest = rest[:j]
		}
		req.Content = strings.TrimSpace(rest)
	} else {
		req.Content = prompt
	}
	if req.Language == "" {
		req.Language = language.Detect(req.Content)
	}
	return req
}

// Write returns the offline writer's script for prompt.
func Write(prompt string) *script.Script {
	sc, err := script.WriteOffline(Request(prompt))
	if err != nil {
		sc, _ = script.WriteOffline(script.Request{Content: "Hello. " + prompt})
	}
	return sc
}

// JSON encodes sc as the response schema of internal/prompts asks for it.
func JSON(sc *script.Script) string {
	type seg struct {
		Type        string   `json:"type"`
		Text        string   `json:"text"`
		ImagePrompt string   `json:"image_prompt"`
		SearchTerms []string `json:"search_terms"`
	}
	out := struct {
		Title       string   `json:"title"`
		Description string   `json:"description"`
		Tags        []string `json:"tags"`
		Segments    []seg    `json:"segments"`
	}{Title: sc.Title, Description: sc.Description, Tags: sc.Tags}
	for _, sg := range sc.Segments {
		out.Segments = append(out.Segments, seg{sg.Type, sg.Text, sg.ImagePrompt, sg.SearchTerms})
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(out)
	return strings.TrimSpace(b.String())
}

// Tokens estimates a token count: about four Latin characters, or one CJK
// character, per token.
func Tokens(s string) int {
	var latin, wide int
	for _, r := range s {
		if language.IsWide(r) {
			wide++
		} else {
			latin++
		}
	}
	return wide + (latin+3)/4
}

// TruncateTokens cuts s to about n tokens.
func TruncateTokens(s string, n int) string {
	var latin, wide int
	for i, r := range s {
		if language.IsWide(r) {
			wide++
		} else {
			latin++
		}
		if wide+(latin+3)/4 > n {
			return s[:i]
		}
	}
	return s
}
