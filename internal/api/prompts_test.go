package api

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/ytmaker/ytmaker/internal/api/wire"
)

func TestPromptTemplatesCRUD(t *testing.T) {
	e := newEnv(t, envOptions{})
	var list wire.PromptTemplateList
	e.do("GET", "/api/v1/prompt-templates", nil).ok(http.StatusOK, &list)
	if len(list.Templates) != 1 || list.Templates[0].Name != "default" || !list.Templates[0].BuiltIn || len(list.Placeholders) < 4 {
		t.Fatalf("fresh list %+v", list)
	}

	var tp wire.PromptTemplate
	r := e.do("POST", "/api/v1/prompt-templates", map[string]any{"name": "kids", "description": "For children",
		"text": "Explain {content} to a ten-year-old in {language_name}, {min_duration}-{max_duration} s."}).ok(http.StatusCreated, &tp)
	if tp.Name != "kids" || tp.BuiltIn || tp.UpdatedAt.IsZero() || r.header.Get("Location") != "/api/v1/prompt-templates/kids" {
		t.Fatalf("created %+v %v", tp, r.header)
	}
	if _, err := os.Stat(filepath.Join(e.api.store.Root(), "prompts", "kids.json")); err != nil {
		t.Fatalf("not stored in DATA_DIR/prompts: %v", err)
	}
	e.do("POST", "/api/v1/prompt-templates", map[string]any{"name": "kids", "text": "{content}"}).fails(http.StatusConflict, "CONFLICT")
	e.do("PUT", "/api/v1/prompt-templates/kids", map[string]any{"text": "Simple words: {content}"}).ok(http.StatusOK, &tp)
	e.do("PUT", "/api/v1/prompt-templates/news", map[string]any{"text": "News style: {content}"}).ok(http.StatusCreated, &tp)
	e.do("GET", "/api/v1/prompt-templates/kids", nil).ok(http.StatusOK, &tp)
	if tp.Text != "Simple words: {content}" {
		t.Fatalf("got %+v", tp)
	}
	e.do("GET", "/api/v1/prompt-templates", nil).ok(http.StatusOK, &list)
	if len(list.Templates) != 3 || list.Templates[1].Name != "kids" || list.Templates[2].Name != "news" {
		t.Fatalf("list %+v", list.Templates)
	}

	// Validation: 422 naming the field.
	bad := []struct {
		method, path string
		body         map[string]any
		field        string
	}{
		{"POST", "/api/v1/prompt-templates", map[string]any{"name": "x", "text": "{contents}"}, "text"},
		{"POST", "/api/v1/prompt-templates", map[string]any{"name": "x", "text": "open { brace"}, "text"},
		{"POST", "/api/v1/prompt-templates", map[string]any{"name": "Has Space", "text": "{content}"}, "name"},
		{"POST", "/api/v1/prompt-templates", map[string]any{"text": "{content}"}, "name"},
		{"PUT", "/api/v1/prompt-templates/default", map[string]any{"text": "{content}"}, "name"},
		{"PUT", "/api/v1/prompt-templates/a", map[string]any{"name": "b", "text": "{content}"}, "name"},
		{"PUT", "/api/v1/prompt-templates/x", map[string]any{"text": ""}, "text"},
	}
	for _, b := range bad {
		err := e.do(b.method, b.path, b.body).fails(http.StatusUnprocessableEntity, "INVALID_INPUT")
		if err.Details["field"] != b.field {
			t.Errorf("%s %s %v: details %v, want field %s", b.method, b.path, b.body, err.Details, b.field)
		}
	}
	e.do("POST", "/api/v1/prompt-templates", map[string]any{"name": "x", "text": "{content}", "extra": 1}).fails(http.StatusBadRequest, CodeUnknownField)

	// Projects name templates that exist.
	var p wire.Project
	e.do("POST", "/api/v1/projects", map[string]any{"name": "P", "content": "Some text.",
		"settings": map[string]any{"prompt_template": "kids"}}).ok(http.StatusCreated, &p)
	if p.Settings.PromptTemplate != "kids" {
		t.Fatalf("settings %+v", p.Settings)
	}
	err := e.do("POST", "/api/v1/projects", map[string]any{"name": "P", "content": "Some text.",
		"settings": map[string]any{"prompt_template": "missing"}}).fails(http.StatusUnprocessableEntity, "INVALID_INPUT")
	if err.Details["field"] != "settings.prompt_template" {
		t.Fatalf("details %v", err.Details)
	}

	// The unfinished project names it: refused until it names another.
	err = e.do("DELETE", "/api/v1/prompt-templates/kids", nil).fails(http.StatusConflict, CodeInUse)
	if ids, _ := err.Details["projects"].([]any); len(ids) != 1 || ids[0] != float64(p.ID) {
		t.Fatalf("in use: %+v", err)
	}
	e.do("PATCH", fmt.Sprintf("/api/v1/projects/%d", p.ID), map[string]any{"settings": map[string]any{"prompt_template": nil}}).ok(http.StatusOK, nil)
	e.do("DELETE", "/api/v1/prompt-templates/kids", nil).ok(http.StatusOK, nil)
	e.do("DELETE", "/api/v1/prompt-templates/kids", nil).fails(http.StatusNotFound, "PROMPT_TEMPLATE_NOT_FOUND")
	e.do("GET", "/api/v1/prompt-templates/kids", nil).fails(http.StatusNotFound, "PROMPT_TEMPLATE_NOT_FOUND")
	e.do("DELETE", "/api/v1/prompt-templates/default", nil).fails(http.StatusUnprocessableEntity, "INVALID_INPUT")
	e.do("GET", "/api/v1/prompt-templates/default", nil).ok(http.StatusOK, &tp)
	if !tp.BuiltIn || tp.Text == "" {
		t.Fatalf("default %+v", tp)
	}
}
