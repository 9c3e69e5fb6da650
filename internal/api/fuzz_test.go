package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/engine"
	"github.com/ytmaker/ytmaker/internal/project"
)

// The fuzz targets run as ordinary tests over their seed corpus (f.Add
// and testdata/fuzz/<Name>/); `go test -fuzz=FuzzName` explores further.

// mustBeClientError fails unless err is an API error answered with 4xx.
func mustBeClientError(t *testing.T, err error) *apiError {
	t.Helper()
	var ae *apiError
	if !errors.As(err, &ae) {
		t.Fatalf("error %T %v is not an API error", err, err)
	}
	if ae.status < 400 || ae.status > 499 || ae.code == "" || ae.message == "" {
		t.Fatalf("error %+v is not a client error", ae)
	}
	return ae
}

// validated runs Validate and checks it fails only with INVALID_INPUT
// naming a field (a 422).
func validated(t *testing.T, in *project.Input) {
	t.Helper()
	err := in.Validate()
	if err == nil {
		return
	}
	ae, ok := toAPIError(err)
	if !ok || ae.status != http.StatusUnprocessableEntity || ae.details["field"] == "" {
		t.Fatalf("Validate error %v maps to %+v", err, ae)
	}
}

func FuzzDecodeProjectInput(f *testing.F) {
	f.Add([]byte(`{"name":"n","content":"c"}`))
	f.Add([]byte(`{"name":"n","content":"c","settings":{"youtube":{"publish_at":"2030-01-01T00:00:00Z","tags":["a"]}}}`))
	f.Add([]byte(`{"name":1}`))
	f.Add([]byte(`{"name":"n","content":"c","x":1}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var in project.Input
		if err := decodeStrict(bytes.NewReader(data), &in); err != nil {
			mustBeClientError(t, err)
			return
		}
		validated(t, &in)
	})
}

func FuzzMergeSettings(f *testing.F) {
	f.Add([]byte(`{"subtitles":false}`))
	f.Add([]byte(`{"youtube":{"title":null,"tags":["x"]},"providers":{"tts":"google"}}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"music_volume":"loud"}`))
	f.Add([]byte(`[1,{"a":2}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cur := project.Settings{}
		if err := cur.Validate(); err != nil {
			t.Fatal(err)
		}
		merged, err := mergeSettings(cur, json.RawMessage(data))
		if err != nil {
			ae := mustBeClientError(t, err)
			if f, ok := ae.details["field"].(string); ok && ae.code != CodeInvalidJSON && !strings.HasPrefix(f, "settings") {
				t.Fatalf("settings error names field %q", f)
			}
			return
		}
		in := project.Input{Name: "n", Content: "c", Settings: merged}
		validated(t, &in)
	})
}

func FuzzParseCSV(f *testing.F) {
	f.Add([]byte(testCSV))
	f.Add([]byte("name,content\nA,B\n"))
	f.Add([]byte("name,content,subtitles,tags\n\"x\"\"y\",\"multi\nline\",yes,a|b\n"))
	f.Add([]byte("content,name\n,\n"))
	f.Add([]byte("name,content\nA,B,C\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		projects, err := parseCSV(bytes.NewReader(data))
		if err != nil {
			mustBeClientError(t, err)
			return
		}
		if len(projects) > project.MaxBatchProjects {
			t.Fatalf("%d projects read", len(projects))
		}
		in := project.BatchInput{Projects: projects}
		if err := in.Validate(); err != nil && errcode.Code(err) != errcode.InvalidInput {
			t.Fatalf("batch validation: %v", err)
		}
	})
}

func FuzzParseJSONL(f *testing.F) {
	f.Add([]byte(testJSONL))
	f.Add([]byte("{\"name\":\"a\",\"content\":\"b\"}\r\n\r\n{\"name\":\"c\",\"content\":\"d\"}"))
	f.Add([]byte("{\"name\":\"a\"}\n{"))
	f.Add([]byte("\xEF\xBB\xBF{}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		projects, err := parseJSONL(bytes.NewReader(data))
		if err != nil {
			mustBeClientError(t, err)
			return
		}
		for i := range projects {
			validated(t, &projects[i])
		}
	})
}

func FuzzParseID(f *testing.F) {
	for _, s := range []string{"1", "0", "-1", "007", "9223372036854775807", "9223372036854775808", "1e3", " 1", "", "١"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := parseID(s)
		if !ok {
			return
		}
		if id <= 0 || strings.TrimLeft(s, "0") != strconv.FormatInt(id, 10) {
			t.Fatalf("parseID(%q) = %d", s, id)
		}
	})
}

// FuzzProjectRequests sends arbitrary bodies to POST /projects and PATCH
// /projects/{id} through the whole handler: the answer is never a 5xx
// and always a JSON envelope.
func FuzzProjectRequests(f *testing.F) {
	f.Add([]byte(`{"name":"n","content":"c"}`), "application/json")
	f.Add([]byte(`{"settings":{"youtube":{"privacy":"public"}}}`), "application/json")
	f.Add([]byte(`{"name":"","content":"c"}`), "")
	f.Add([]byte(`name=x`), "application/x-www-form-urlencoded")
	f.Add([]byte(`{"name":"n","content":"c"}`), "application/json; charset")
	dir := f.TempDir()
	// The handlers used here touch only the project store; no Redis is
	// contacted (the URL points nowhere).
	c, err := engine.Open(engine.Config{RedisURL: "redis://127.0.0.1:1/0", DataDir: dir})
	if err != nil {
		f.Fatal(err)
	}
	defer c.Close()
	s := New(Config{Engine: c, MaxJSONBytes: 64 << 10})
	id, err := c.CreateProject(f.Context(), project.Input{Name: "target", Content: "Some text."})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, ctype string) {
		for _, target := range []struct{ method, path string }{
			{"POST", "/api/v1/projects"},
			{"PATCH", "/api/v1/projects/" + strconv.FormatInt(id, 10)},
		} {
			req := httptest.NewRequest(target.method, target.path, bytes.NewReader(body))
			if ctype != "" {
				req.Header.Set("Content-Type", ctype)
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("%s %s: HTTP %d %s", target.method, target.path, rec.Code, rec.Body)
			}
			var env struct {
				Success *bool           `json:"success"`
				Data    json.RawMessage `json:"data"`
				Error   *struct {
					Code string `json:"code"`
				} `json:"error"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.Success == nil {
				t.Fatalf("%s: not an envelope: %s", target.method, rec.Body)
			}
			if *env.Success != (rec.Code < 300) || (!*env.Success && (env.Error == nil || env.Error.Code == "")) {
				t.Fatalf("%s: envelope %s with HTTP %d", target.method, rec.Body, rec.Code)
			}
		}
	})
}
