package gemini

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/fakes/fakegemini"
	"github.com/ytmaker/ytmaker/internal/media/picture"
)

func newPainter(t *testing.T, srv *fakegemini.Server, key string) *Painter {
	t.Helper()
	isolateEnv(t)
	p, err := NewPainter(context.Background(), Config{APIKey: key, BaseURL: srv.URL(), HTTPClient: srv.Client(), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPaintWritesCheckedPNG(t *testing.T) {
	srv := newServer(t, fakegemini.Options{APIKey: testKey, MaxImageSide: 400})
	p := newPainter(t, srv, testKey)
	dir := t.TempDir()
	for _, ar := range []string{"16:9", "9:16"} {
		out := filepath.Join(dir, ar[:1]+".png")
		info, err := p.Paint(context.Background(), " A lighthouse at dawn ", ar, out)
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		got, err := picture.Check(data)
		if err != nil || got != info || got.Format != "png" || (ar == "16:9") != (got.Width > got.Height) {
			t.Fatalf("%s: written %+v %v, returned %+v", ar, got, err, info)
		}
		r := srv.Requests()[len(srv.Requests())-1]
		if r.Model != DefaultImageModel || r.Path != "/v1beta/models/"+DefaultImageModel+":generateContent" ||
			r.AspectRatio != ar || r.ImageSize != ImageSize || r.Prompt != "A lighthouse at dawn" ||
			len(r.Modalities) != 2 || r.Modalities[0] != "TEXT" || r.Modalities[1] != "IMAGE" {
			t.Fatalf("%s: request %+v", ar, r)
		}
		// The wire shape the real API takes.
		var body struct {
			GenerationConfig struct {
				ImageConfig        map[string]string `json:"imageConfig"`
				ResponseModalities []string          `json:"responseModalities"`
			} `json:"generationConfig"`
		}
		if err := json.Unmarshal([]byte(r.Body), &body); err != nil || body.GenerationConfig.ImageConfig["aspectRatio"] != ar {
			t.Fatalf("%s: body %s (%v)", ar, r.Body, err)
		}
		if r.Header.Get("x-goog-api-key") != "" {
			t.Fatal("the key is recorded")
		}
	}
}

func TestPaintErrors(t *testing.T) {
	cases := []struct {
		fault     fakegemini.Fault
		code      string
		retryable bool
		after     time.Duration
	}{
		{fakegemini.Status(429).RetryAfter(9 * time.Second), "GEMINI_RATE_LIMITED", true, 9 * time.Second},
		{fakegemini.DailyQuota(), CodeQuotaExceeded, false, 0},
		{fakegemini.NoQuota(), CodeNoQuota, false, 0},
		{fakegemini.Status(500), "GEMINI_SERVER_ERROR", true, 0},
		{fakegemini.Status(503), "GEMINI_UNAVAILABLE", true, 0},
		{fakegemini.Status(400), "GEMINI_BAD_REQUEST", false, 0},
		{fakegemini.Status(403), CodeAuthFailed, false, 0},
		{fakegemini.Status(404), CodeModelNotFound, false, 0},
		{fakegemini.NoMedia(), CodeNoImage, true, 0},
		{fakegemini.ImageSafety(), CodeBlocked, false, 0},
		{fakegemini.PromptBlocked(), CodeBlocked, false, 0},
		{fakegemini.NotMedia(), CodeBadResponse, true, 0},
		{fakegemini.Drop(), "", true, 0},
	}
	srv := newServer(t, fakegemini.Options{MaxImageSide: 128})
	p := newPainter(t, srv, testKey)
	out := filepath.Join(t.TempDir(), "a.png")
	for _, c := range cases {
		srv.Fail(c.fault)
		_, err := p.Paint(context.Background(), "a harbour", "16:9", out)
		e, ok := errcode.As(err)
		if !ok || (c.code != "" && e.Code != c.code) || e.Retryable != c.retryable || e.RetryAfter != c.after {
			t.Errorf("%v: got %v (%+v), want %s retryable=%v after %v", c.fault, err, e, c.code, c.retryable, c.after)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v left a file", c.fault)
			os.Remove(out)
		}
	}
}

func TestPaintBadKeyAndRequests(t *testing.T) {
	srv := newServer(t, fakegemini.Options{APIKey: testKey, MaxImageSide: 128})
	p := newPainter(t, srv, "wrong-key")
	if _, err := p.Paint(context.Background(), "a cat", "16:9", filepath.Join(t.TempDir(), "a.png")); errcode.Code(err) != CodeAuthFailed {
		t.Fatalf("wrong key: %v", err)
	}
	good := newPainter(t, srv, testKey)
	for _, c := range []struct{ prompt, ar string }{{" ", "16:9"}, {"a cat", "7:5"}} {
		if _, err := good.Paint(context.Background(), c.prompt, c.ar, filepath.Join(t.TempDir(), "a.png")); errcode.Code(err) != errcode.InvalidInput {
			t.Errorf("%q %q: %v", c.prompt, c.ar, err)
		}
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests, want only the wrong key's", n)
	}
	if _, err := NewPainter(context.Background(), Config{}); errcode.Code(err) != CodeNotConfigured {
		t.Errorf("no key: %v", err)
	}
}
