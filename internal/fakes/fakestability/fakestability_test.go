package fakestability

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/ytmaker/ytmaker/internal/fakes/fakehttp"
)

func generate(t *testing.T, srv *Server, model, key, accept string, fields map[string]string) (*http.Response, []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", srv.URL()+"/v2beta/stable-image/generate/"+model, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return fakehttp.Do(t, req)
}

func TestValidationAndAuth(t *testing.T) {
	srv := New(Options{APIKey: "sk-1", MaxSide: 64})
	defer srv.Close()
	cases := []struct {
		name   string
		model  string
		key    string
		fields map[string]string
		code   int
		errMsg string
	}{
		{"no key", "core", "", map[string]string{"prompt": "x"}, 401, "authorization: invalid or missing header value"},
		{"wrong key", "core", "sk-2", map[string]string{"prompt": "x"}, 401, "authorization"},
		{"no prompt", "core", "sk-1", map[string]string{"aspect_ratio": "16:9"}, 400, "prompt: is required"},
		{"bad ratio", "core", "sk-1", map[string]string{"prompt": "x", "aspect_ratio": "4:3"}, 400, "aspect_ratio"},
		{"bad seed", "core", "sk-1", map[string]string{"prompt": "x", "seed": "-1"}, 400, "seed"},
		{"webp on sd3", "sd3", "sk-1", map[string]string{"prompt": "x", "output_format": "webp"}, 400, "output_format: must be one of png, jpeg"},
		{"bad style", "ultra", "sk-1", map[string]string{"prompt": "x", "style_preset": "oil"}, 400, "style_preset"},
		{"unknown model", "sdxl", "sk-1", map[string]string{"prompt": "x"}, 404, "not found"},
	}
	for _, c := range cases {
		resp, b := generate(t, srv, c.model, c.key, "image/*", c.fields)
		var e struct {
			ID     string
			Name   string
			Errors []string
		}
		json.Unmarshal(b, &e)
		if resp.StatusCode != c.code || e.ID == "" || e.Name == "" || !strings.Contains(strings.Join(e.Errors, ";"), c.errMsg) {
			t.Errorf("%s: %d %s", c.name, resp.StatusCode, b)
		}
	}
}

func TestImagesHaveTheRequestedShape(t *testing.T) {
	srv := New(Options{MaxSide: 210})
	defer srv.Close()
	for ratio, want := range map[string][2]int{"16:9": {210, 120}, "9:16": {120, 210}, "1:1": {210, 210}, "21:9": {210, 87}} {
		resp, b := generate(t, srv, "core", "k", "image/*", map[string]string{"prompt": "a red fox", "aspect_ratio": ratio})
		cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
		if err != nil || format != "png" || cfg.Width != want[0] || cfg.Height != want[1] {
			t.Errorf("%s: %s %dx%d %v", ratio, format, cfg.Width, cfg.Height, err)
		}
		if resp.Header.Get("Finish-Reason") != "SUCCESS" || resp.Header.Get("Seed") == "" || resp.Header.Get("Content-Type") != "image/png" {
			t.Errorf("%s: headers %v", ratio, resp.Header)
		}
	}
	// JSON form, JPEG, and a filtered answer.
	srv.Fail(ContentFiltered())
	resp, b := generate(t, srv, "core", "k", "application/json", map[string]string{"prompt": "x", "output_format": "jpeg", "seed": "9"})
	var j struct {
		Image        string
		FinishReason string `json:"finish_reason"`
		Seed         uint32
	}
	if err := json.Unmarshal(b, &j); err != nil || resp.StatusCode != 200 {
		t.Fatalf("json answer %d %v", resp.StatusCode, err)
	}
	raw, _ := base64.StdEncoding.DecodeString(j.Image)
	if _, format, err := image.DecodeConfig(bytes.NewReader(raw)); err != nil || format != "jpeg" || j.FinishReason != "CONTENT_FILTERED" || j.Seed != 9 {
		t.Errorf("json answer: %s %s %d %v", format, j.FinishReason, j.Seed, err)
	}
	// Different prompts give different pictures.
	_, a := generate(t, srv, "core", "k", "", map[string]string{"prompt": "a cat"})
	_, c := generate(t, srv, "core", "k", "", map[string]string{"prompt": "a dog"})
	if bytes.Equal(a, c) {
		t.Error("two prompts gave the same image")
	}
	if r := srv.Requests()[len(srv.Requests())-1]; r.Fields["prompt"] != "a dog" || r.Status != 200 || r.Width != 210 {
		t.Errorf("recorded %+v", r)
	}
}
