package openaicompat

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/fakes/fakeopenai"
	"github.com/ytmaker/ytmaker/internal/media/picture"
)

func newPainter(t *testing.T, srv *fakeopenai.Server, key string) *Painter {
	t.Helper()
	isolateEnv(t)
	return NewPainter(PainterConfig{BaseURL: srv.BaseURL(), APIKey: key, HTTPClient: srv.Client(), Timeout: 10 * time.Second})
}

func TestImageSize(t *testing.T) {
	for ar, want := range map[string]string{"16:9": "1536x1024", "9:16": "1024x1536", "1:1": "1024x1024", "": "1024x1024", "x": "1024x1024"} {
		if got := string(ImageSize(ar)); got != want {
			t.Errorf("ImageSize(%q) = %s, want %s", ar, got, want)
		}
	}
}

func TestPaintWritesCheckedPNG(t *testing.T) {
	srv := newServer(t, fakeopenai.Options{APIKey: testKey, MaxImageSide: 384})
	p := newPainter(t, srv, testKey)
	dir := t.TempDir()
	for _, c := range []struct{ ar, size string }{{"16:9", "1536x1024"}, {"9:16", "1024x1536"}} {
		out := filepath.Join(dir, c.ar[:1]+".png")
		info, err := p.Paint(ctx(t), "  A lighthouse at dawn, cinematic  ", c.ar, out)
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		got, err := picture.Check(data)
		if err != nil || got.Format != "png" || got != info {
			t.Fatalf("%s: written %+v %v, returned %+v", c.ar, got, err, info)
		}
		if (c.ar == "16:9") != (got.Width > got.Height) {
			t.Fatalf("%s: picture is %dx%d", c.ar, got.Width, got.Height)
		}
		r := srv.Requests()[len(srv.Requests())-1]
		if r.Path != "/v1/images/generations" || !r.Auth || r.Image.Model != DefaultImageModel || r.Image.Size != c.size ||
			r.Image.N != 1 || r.Image.OutputFormat != "png" || r.Image.Prompt != "A lighthouse at dawn, cinematic" {
			t.Fatalf("%s: request %+v", c.ar, r)
		}
	}
}

func TestPaintNoKeyAndModel(t *testing.T) {
	srv := newServer(t, fakeopenai.Options{MaxImageSide: 128})
	isolateEnv(t)
	p := NewPainter(PainterConfig{BaseURL: srv.BaseURL(), Model: "gpt-image-2.5-flare", HTTPClient: srv.Client()})
	if _, err := p.Paint(ctx(t), "a cat", "1:1", filepath.Join(t.TempDir(), "c.png")); err != nil {
		t.Fatal(err)
	}
	if r := srv.Requests()[0]; r.Auth || r.Image.Model != "gpt-image-2.5-flare" || r.Image.Size != "1024x1024" {
		t.Fatalf("request %+v", r)
	}
}

func TestPaintErrors(t *testing.T) {
	cases := []struct {
		fault     fakeopenai.Fault
		code      string
		retryable bool
		after     time.Duration
	}{
		{fakeopenai.Status(429).RetryAfter(7 * time.Second), "OPENAI_RATE_LIMITED", true, 7 * time.Second},
		{fakeopenai.Status(500), "OPENAI_SERVER_ERROR", true, 0},
		{fakeopenai.Status(503), "OPENAI_UNAVAILABLE", true, 0},
		{fakeopenai.Quota(), CodeQuotaExceeded, false, 0},
		{fakeopenai.Status(400), "OPENAI_BAD_REQUEST", false, 0},
		{fakeopenai.Status(401), CodeAuthFailed, false, 0},
		{fakeopenai.Status(403), CodeAuthFailed, false, 0},
		{fakeopenai.Status(404), CodeModelNotFound, false, 0},
		{fakeopenai.EmptyImage(), CodeBadImage, true, 0},
		{fakeopenai.NotImage(), CodeBadImage, true, 0},
		{fakeopenai.Drop(), "", true, 0},
	}
	srv := newServer(t, fakeopenai.Options{MaxImageSide: 128})
	p := newPainter(t, srv, "")
	out := filepath.Join(t.TempDir(), "a.png")
	for _, c := range cases {
		srv.Fail(c.fault)
		_, err := p.Paint(ctx(t), "a harbour", "16:9", out)
		e, ok := errcode.As(err)
		if !ok || (c.code != "" && e.Code != c.code) || e.Retryable != c.retryable || e.RetryAfter != c.after {
			t.Errorf("%v: got %v (%+v), want %s retryable=%v after %v", c.fault, err, e, c.code, c.retryable, c.after)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v left a file", c.fault)
		}
	}
}

func TestPaintRefusedBeforeSending(t *testing.T) {
	srv := newServer(t, fakeopenai.Options{})
	p := newPainter(t, srv, "")
	for _, prompt := range []string{"  ", strings.Repeat("x", MaxImagePrompt+1)} {
		if _, err := p.Paint(ctx(t), prompt, "16:9", filepath.Join(t.TempDir(), "a.png")); errcode.Code(err) != errcode.InvalidInput {
			t.Errorf("prompt of %d characters: %v", len(prompt), err)
		}
	}
	// A retired model is the server's to refuse: a clear 400.
	isolateEnv(t)
	old := NewPainter(PainterConfig{BaseURL: srv.BaseURL(), Model: "dall-e-3", HTTPClient: srv.Client()})
	if _, err := old.Paint(ctx(t), "a cat", "16:9", filepath.Join(t.TempDir(), "a.png")); errcode.Code(err) != "OPENAI_BAD_REQUEST" {
		t.Errorf("retired model: %v", err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests, want only the retired model's", n)
	}
}
