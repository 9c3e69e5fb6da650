package script

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ytmaker/ytmaker/errcode"
)

func validScript() *Script {
	return &Script{
		Title:       "Coffee",
		Description: "All about coffee.",
		Tags:        []string{"coffee"},
		Language:    "en",
		Segments: []Segment{
			{Type: Intro, Text: "Hello.", ImagePrompt: "a cup of coffee on a table"},
			{Type: Content, Text: "Coffee comes from Ethiopia.", ImagePrompt: "Ethiopian highlands at dawn"},
			{Type: Outro, Text: "Bye.", ImagePrompt: "a sunset over coffee fields"},
		},
	}
}

func TestValidateRejects(t *testing.T) {
	cases := []struct {
		name    string
		mutate  func(*Script)
		message string
	}{
		{"empty title", func(s *Script) { s.Title = "  " }, "title is empty"},
		{"too few segments", func(s *Script) { s.Segments = s.Segments[:2] }, "has 2 segments"},
		{"no intro", func(s *Script) { s.Segments[0].Type = Content }, `segment 1 has type "content", want "intro"`},
		{"no outro", func(s *Script) { s.Segments[2].Type = "ending" }, `segment 3 has type "ending", want "outro"`},
		{"intro in the middle", func(s *Script) { s.Segments[1].Type = Intro }, `segment 2 has type "intro", want "content"`},
		{"empty text", func(s *Script) { s.Segments[1].Text = " \n" }, "segment 2 (content) has no text"},
		{"punctuation only", func(s *Script) { s.Segments[2].Text = "……" }, "segment 3 (outro) has no text"},
	}
	for _, c := range cases {
		s := validScript()
		c.mutate(s)
		err := s.Validate()
		e, ok := errcode.As(err)
		if !ok || e.Code != errcode.ScriptInvalid || e.Retryable {
			t.Errorf("%s: err %v, want non-retryable SCRIPT_INVALID", c.name, err)
			continue
		}
		if !strings.Contains(e.Message, c.message) {
			t.Errorf("%s: message %q, want it to contain %q", c.name, e.Message, c.message)
		}
	}
	var nilScript *Script
	if errcode.Code(nilScript.Validate()) != errcode.ScriptInvalid {
		t.Error("nil script validated")
	}
}

func TestValidateNormalizes(t *testing.T) {
	s := validScript()
	s.Title = "  The   " + strings.Repeat("wonderful ", 15) + "<story> of coffee  "
	s.Description = strings.Repeat("Coffee is grown in many countries. ", 200)
	s.Tags = []string{" #coffee ", "Coffee", "", "bad<tag>", "a,b", strings.Repeat("x", 101), "beans"}
	s.Language = ""
	s.Segments[0].Type = " INTRO "
	s.Segments[1].ImagePrompt = "咖啡豆 in a 陶瓷 cup"
	s.Segments[2].ImagePrompt = ""
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if n := utf8.RuneCountInString(s.Title); n > MaxTitleRunes || !strings.HasSuffix(s.Title, "…") || strings.Contains(s.Title, "  ") {
		t.Errorf("title not truncated sensibly (%d runes): %q", n, s.Title)
	}
	if strings.Contains(s.Title, "wonderfu…") {
		t.Errorf("title cut inside a word: %q", s.Title)
	}
	if len(s.Description) > MaxDescriptionBytes || !strings.HasSuffix(s.Description, ".") {
		t.Errorf("description %d bytes, ends %q", len(s.Description), s.Description[len(s.Description)-10:])
	}
	want := []string{"coffee", "badtag", "a b", "beans"}
	if strings.Join(s.Tags, "|") != strings.Join(want, "|") {
		t.Errorf("tags %q, want %q", s.Tags, want)
	}
	if s.Language != "en" {
		t.Errorf("language %q, want detected en", s.Language)
	}
	if s.Segments[0].Type != Intro {
		t.Errorf("type %q not normalised", s.Segments[0].Type)
	}
	for i, seg := range s.Segments {
		if strings.ContainsAny(seg.ImagePrompt, "咖啡豆陶瓷") || len(strings.Fields(seg.ImagePrompt)) < 3 {
			t.Errorf("segment %d image prompt %q", i, seg.ImagePrompt)
		}
	}
}

func TestValidateCapsTagLength(t *testing.T) {
	s := validScript()
	s.Tags = nil
	for i := 0; i < 100; i++ {
		s.Tags = append(s.Tags, "tag number "+strings.Repeat("x", i%7)+string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	total := 0
	for i, tag := range s.Tags {
		total += utf8.RuneCountInString(tag) + 2
		if i > 0 {
			total++
		}
	}
	if total > MaxTagsLength || len(s.Tags) < 10 {
		t.Errorf("%d tags totalling %d characters", len(s.Tags), total)
	}
}

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "script.json")
	s := validScript()
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	for _, key := range []string{`"title"`, `"description"`, `"tags"`, `"language"`, `"segments"`, `"type"`, `"text"`, `"image_prompt"`} {
		if !strings.Contains(string(raw), key) {
			t.Errorf("saved JSON lacks %s", key)
		}
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != s.Title || len(got.Segments) != 3 || got.Segments[1].ImagePrompt != s.Segments[1].ImagePrompt {
		t.Errorf("round trip changed the script: %+v", got)
	}

	if _, err := Load(filepath.Join(dir, "missing.json")); errcode.Code(err) != errcode.NotFound {
		t.Errorf("missing file: %v", err)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{not json"), 0o644)
	if _, err := Load(bad); errcode.Code(err) != errcode.ScriptInvalid {
		t.Errorf("bad JSON: %v", err)
	}
	invalid := filepath.Join(dir, "invalid.json")
	os.WriteFile(invalid, []byte(`{"title":"x","segments":[{"type":"intro","text":"a"}]}`), 0o644)
	if _, err := Load(invalid); errcode.Code(err) != errcode.ScriptInvalid {
		t.Errorf("invalid script: %v", err)
	}
}
