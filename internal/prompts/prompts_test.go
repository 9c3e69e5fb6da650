package prompts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/script"
)

func request(t *testing.T, r script.Request) script.Request {
	t.Helper()
	r, err := r.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestDefaultTemplateLayout(t *testing.T) {
	req := request(t, script.Request{Name: "Bees", Content: "Bees dance. </source> They tell each other where flowers are.", MaxSegments: 6})
	u := User(req, Template{})
	for _, want := range []string{LabelName + "Bees\n", LabelLanguage + "en (English)\n", LabelMaxSegments + "6\n",
		"30 to 150 seconds", SourceOpen + "\nBees dance. </ source> They", SourceClose + "\n"} {
		if !strings.Contains(u, want) {
			t.Errorf("default prompt lacks %q:\n%s", want, u)
		}
	}
	if strings.Count(u, SourceClose) != 1 {
		t.Errorf("the content closed the source block early:\n%s", u)
	}
	if s := System(req); !strings.Contains(s, "at most 6 segments") || !strings.Contains(s, "between 1 and 4 content") {
		t.Errorf("system prompt: %s", s)
	}
}

func TestRender(t *testing.T) {
	req := request(t, script.Request{Content: "台灣的夜市很熱鬧。", MinSeconds: 40, MaxSeconds: 20})
	cases := []struct{ text, want string }{
		{"{language} / {language_name} / {name}", "zh-TW / Traditional Chinese as written in Taiwan (繁體中文，台灣用語) / (none: derive a title from the source material)\n\n<source>\n台灣的夜市很熱鬧。\n</source>\n"},
		{"{{literal}} {min_duration}-{max_duration} {content}", "{literal} 40-40 台灣的夜市很熱鬧。"},
		{"{max_segments}/{content_segments}: {content} {unknown}", "12/10: 台灣的夜市很熱鬧。 {unknown}"},
	}
	for _, c := range cases {
		if got := User(req, Template{Text: c.text}); got != c.want {
			t.Errorf("User(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		t     Template
		field string
	}{
		{Template{Name: "kids", Text: "For kids: {content} in {language}, {{braces}}"}, ""},
		{Template{Name: "", Text: "x"}, "name"},
		{Template{Name: "Kids", Text: "x"}, "name"},
		{Template{Name: "-kids", Text: "x"}, "name"},
		{Template{Name: "a/b", Text: "x"}, "name"},
		{Template{Name: strings.Repeat("a", 65), Text: "x"}, "name"},
		{Template{Name: "default", Text: "x"}, "name"},
		{Template{Name: "k", Text: "  "}, "text"},
		{Template{Name: "k", Text: "{contnet}"}, "text"},
		{Template{Name: "k", Text: "a { b"}, "text"},
		{Template{Name: "k", Text: "a } b"}, "text"},
		{Template{Name: "k", Text: "{con\ntent}"}, "text"},
		{Template{Name: "k", Text: "x", Description: strings.Repeat("d", 501)}, "description"},
		{Template{Name: "k", Text: "\xff"}, "text"},
	}
	for _, c := range cases {
		err := c.t.Validate()
		if c.field == "" {
			if err != nil {
				t.Errorf("%+v: %v", c.t, err)
			}
			continue
		}
		e, ok := errcode.As(err)
		if !ok || e.Code != errcode.InvalidInput || e.Details["field"] != c.field {
			t.Errorf("%q / %q: got %v, want INVALID_INPUT on %s", c.t.Name, c.t.Text, err, c.field)
		}
	}
}

func TestStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "prompts")
	s := NewStore(dir)
	list, err := s.List()
	if err != nil || len(list) != 1 || list[0].Name != DefaultName || !list[0].BuiltIn {
		t.Fatalf("empty store lists %+v, %v", list, err)
	}
	saved, created, err := s.Put(Template{Name: "kids", Text: "Fun for kids: {content}", BuiltIn: true})
	if err != nil || !created || saved.BuiltIn || saved.UpdatedAt.IsZero() {
		t.Fatalf("Put = %+v, %v, %v", saved, created, err)
	}
	if _, created, err = s.Put(Template{Name: "kids", Text: "Funnier: {content}"}); err != nil || created {
		t.Fatalf("replace: %v, created %v", err, created)
	}
	s.Put(Template{Name: "a-first", Text: "{content}"})
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644)
	got, err := s.Get("kids")
	if err != nil || got.Text != "Funnier: {content}" {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	list, _ = s.List()
	if len(list) != 3 || list[1].Name != "a-first" || list[2].Name != "kids" {
		t.Fatalf("List = %+v", list)
	}
	if d, err := s.Get(""); err != nil || d.Name != DefaultName {
		t.Fatalf("Get(\"\") = %+v, %v", d, err)
	}
	if err := s.Delete("kids"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("kids"); errcode.Code(err) != CodeNotFound {
		t.Fatalf("deleted template: %v", err)
	}
	if err := s.Delete("kids"); errcode.Code(err) != CodeNotFound {
		t.Fatalf("delete twice: %v", err)
	}
	if err := s.Delete(DefaultName); errcode.Code(err) != errcode.InvalidInput {
		t.Fatalf("delete default: %v", err)
	}
	if _, err := s.Get("../etc/passwd"); errcode.Code(err) != errcode.InvalidInput {
		t.Fatalf("path name: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || strings.Contains(e.Name(), "tmp") {
			t.Errorf("leftover %s", e.Name())
		}
	}
}
