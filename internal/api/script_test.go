package api

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/script"
)

// An edited script the assets stage could not make is refused at the
// door, naming the field, and the saved script stays as it was.
func TestPutScriptRefusesWhatCannotBeMade(t *testing.T) {
	e := newEnv(t, envOptions{})
	id := e.scriptedProject()
	path := filepath.Join(e.engine.Store().ProjectDir(id), "script.json")
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	segs := func(n int, text, prompt string) []script.Segment {
		out := []script.Segment{{Type: "intro", Text: "Hello."}}
		for range n - 2 {
			out = append(out, script.Segment{Type: "content", Text: text, ImagePrompt: prompt})
		}
		return append(out, script.Segment{Type: "outro", Text: "Bye."})
	}
	for _, c := range []struct {
		name  string
		segs  []script.Segment
		field string
	}{
		{"too many segments", segs(project.MaxSegmentsLimit+1, "Boats.", ""), "segments"},
		{"a segment longer than a project's text", segs(3, strings.Repeat("船", project.MaxContentLen+1), ""), "segments[1].text"},
		{"an image prompt too long to send", segs(3, "Boats.", strings.Repeat("harbour boats ", 200)), "segments[1].image_prompt"},
	} {
		er := e.do("PUT", fmt.Sprintf("/api/v1/projects/%d/script", id), script.Script{Title: "Harbour", Segments: c.segs}).
			fails(422, errcode.InvalidInput)
		if er.Details["field"] != c.field {
			t.Errorf("%s: field %v, want %s (%s)", c.name, er.Details["field"], c.field, er.Message)
		}
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Fatal("a refused edit changed the script")
	}
	// The most segments allowed, each as long as allowed, are taken.
	e.do("PUT", fmt.Sprintf("/api/v1/projects/%d/script", id),
		script.Script{Title: "Harbour", Segments: segs(project.MaxSegmentsLimit, "Boats come home at dusk.", strings.Repeat("a", maxImagePrompt))}).ok(200, nil)
}
