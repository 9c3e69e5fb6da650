package stability

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/png"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/fakes/fakehttp"
	"github.com/ytmaker/ytmaker/internal/fakes/fakestability"
)

const testKey = "sk-test-0123456789abcdef"

func setup(t *testing.T, mutate ...func(*Config)) (*Client, *fakestability.Server) {
	t.Helper()
	srv := fakehttp.Start(t, fakestability.New, fakestability.Options{APIKey: testKey, MaxSide: 192})
	cfg := Config{APIKey: testKey, BaseURL: srv.URL(), HTTPClient: srv.Client(), Timeout: 10 * time.Second}
	return fakehttp.NewClient(t, New, cfg, mutate...), srv
}

func ctx(t *testing.T) context.Context { return fakehttp.Context(t, 20*time.Second) }

func TestGenerateWritesPNG(t *testing.T) {
	c, srv := setup(t, func(c *Config) { c.ClientID = "ytmaker" })
	out := filepath.Join(t.TempDir(), "images", "segment_01.png")
	res, err := c.Generate(ctx(t), Request{
		Prompt: "A lighthouse on a cliff at dawn", NegativePrompt: "blurry, text",
		Seed: 42, StylePreset: "cinematic", OutPath: out,
	})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("written file is not a PNG: %v", err)
	}
	b := img.Bounds()
	if res.Format != "png" || res.Width != b.Dx() || res.Height != b.Dy() || res.Seed != 42 || res.Path != out {
		t.Errorf("result %+v, image %v", res, b)
	}
	if ratio := float64(b.Dx()) / float64(b.Dy()); ratio < 1.7 || ratio > 1.8 {
		t.Errorf("16:9 image is %dx%d", b.Dx(), b.Dy())
	}

	r := srv.Requests()[0]
	if r.Path != "/v2beta/stable-image/generate/core" || r.Accept != "image/*" || r.Header.Get("Authorization") != "" {
		t.Errorf("request %s accept %q", r.Path, r.Accept)
	}
	if r.Header.Get("Stability-Client-Id") != "ytmaker" {
		t.Error("client id header missing")
	}
	want := map[string]string{"prompt": "A lighthouse on a cliff at dawn", "negative_prompt": "blurry, text",
		"aspect_ratio": "16:9", "seed": "42", "style_preset": "cinematic", "output_format": "png"}
	for k, v := range want {
		if r.Fields[k] != v {
			t.Errorf("field %s = %q, want %q", k, r.Fields[k], v)
		}
	}
}

func TestGeneratePortraitAndModels(t *testing.T) {
	c, srv := setup(t, func(c *Config) { c.Model = "sd3"; c.SD3Model = "sd3.5-large" })
	out := filepath.Join(t.TempDir(), "p.png")
	res, err := c.Generate(ctx(t), Request{Prompt: "a tall tree", AspectRatio: "9:16", StylePreset: "anime", OutPath: out})
	if err != nil {
		t.Fatal(err)
	}
	if res.Height <= res.Width {
		t.Errorf("9:16 image is %dx%d", res.Width, res.Height)
	}
	r := srv.Requests()[0]
	if r.Model != "sd3" || r.Fields["model"] != "sd3.5-large" {
		t.Errorf("sd3 request %+v", r)
	}
	if _, ok := r.Fields["style_preset"]; ok {
		t.Error("style_preset sent to sd3")
	}
	if _, err := c.Generate(ctx(t), Request{Prompt: "x", OutputFormat: "webp", OutPath: out}); errcode.Code(err) != CodeInvalidRequest {
		t.Errorf("webp on sd3: %v", err)
	}
}

func TestContentFilteredIsAFailure(t *testing.T) {
	c, srv := setup(t)
	out := filepath.Join(t.TempDir(), "f.png")
	srv.Fail(fakestability.ContentFiltered())
	_, err := c.Generate(ctx(t), Request{Prompt: "something", OutPath: out})
	if errcode.Code(err) != CodeContentFiltered || errcode.IsRetryable(err) {
		t.Fatalf("err %v, want non-retryable STABILITY_CONTENT_FILTERED", err)
	}
	if _, statErr := os.Stat(out); !os.IsNotExist(statErr) {
		t.Error("a filtered image was written")
	}
	// The next call succeeds.
	if _, err := c.Generate(ctx(t), Request{Prompt: "something else", OutPath: out}); err != nil {
		t.Fatal(err)
	}
}

func TestErrorMapping(t *testing.T) {
	cases := []struct {
		fault      fakestability.Fault
		code       string
		retryable  bool
		retryAfter time.Duration
		msg        string
	}{
		{fakestability.Status(429).RetryAfter(7 * time.Second), "STABILITY_RATE_LIMITED", true, 7 * time.Second, "rate_limit_exceeded"},
		{fakestability.Status(429), "STABILITY_RATE_LIMITED", true, RateLimitPause, ""},
		{fakestability.Status(500), "STABILITY_SERVER_ERROR", true, 0, "internal_error"},
		{fakestability.Status(502), "STABILITY_UNAVAILABLE", true, 0, ""},
		{fakestability.Status(503), "STABILITY_UNAVAILABLE", true, 0, ""},
		{fakestability.Status(504), "STABILITY_TIMEOUT", true, 0, ""},
		{fakestability.Status(400), "STABILITY_BAD_REQUEST", false, 0, "bad_request: prompt: is invalid"},
		{fakestability.Status(401), CodeAuthFailed, false, 0, "unauthorized"},
		{fakestability.Status(402), CodeInsufficientCredits, false, 0, "credits"},
		{fakestability.Status(403), CodeContentModerated, false, 0, "content moderation"},
		{fakestability.Status(403).Name("forbidden").Message("key revoked"), CodeAuthFailed, false, 0, "key revoked"},
		{fakestability.Status(404), "STABILITY_NOT_FOUND", false, 0, ""},
		{fakestability.Status(413), CodePayloadTooLarge, false, 0, ""},
		{fakestability.Status(422), CodeUnprocessable, false, 0, "English is the only supported language"},
		{fakestability.Drop(), CodeNetworkError, true, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.fault.String(), func(t *testing.T) {
			cl, srv := setup(t)
			srv.Fail(c.fault)
			out := filepath.Join(t.TempDir(), "x.png")
			_, err := cl.Generate(ctx(t), Request{Prompt: "a cat", OutPath: out})
			e, ok := errcode.As(err)
			if !ok || e.Code != c.code || e.Retryable != c.retryable || e.RetryAfter != c.retryAfter || !strings.Contains(e.Message, c.msg) {
				t.Fatalf("got %v (retryable=%v after=%v), want %s retryable=%v after=%v msg~%q",
					err, e != nil && e.Retryable, func() time.Duration {
						if e != nil {
							return e.RetryAfter
						}
						return 0
					}(), c.code, c.retryable, c.retryAfter, c.msg)
			}
			if srv.Calls() != 1 {
				t.Errorf("%d calls, want exactly one attempt", srv.Calls())
			}
			if _, statErr := os.Stat(out); !os.IsNotExist(statErr) {
				t.Error("an output file exists after a failure")
			}
		})
	}
}

func TestBadKeyNeverLeaks(t *testing.T) {
	var logs bytes.Buffer
	c, _ := setup(t, func(c *Config) {
		c.APIKey = "sk-wrong-secret-key"
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	_, err := c.Generate(ctx(t), Request{Prompt: "a cat", OutPath: filepath.Join(t.TempDir(), "x.png")})
	if errcode.Code(err) != CodeAuthFailed {
		t.Fatalf("err %v", err)
	}
	if strings.Contains(err.Error(), "sk-wrong-secret-key") || strings.Contains(logs.String(), "sk-wrong-secret-key") {
		t.Error("key leaked into the error or logs")
	}
}

func TestTimeoutAndCancel(t *testing.T) {
	c, srv := setup(t, func(c *Config) { c.Timeout = 150 * time.Millisecond })
	srv.Fail(fakestability.Delay(10 * time.Second))
	_, err := c.Generate(ctx(t), Request{Prompt: "a cat", OutPath: filepath.Join(t.TempDir(), "x.png")})
	if errcode.Code(err) != CodeTimeout || !errcode.IsRetryable(err) {
		t.Errorf("err %v, want retryable STABILITY_TIMEOUT", err)
	}
	cctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.Generate(cctx, Request{Prompt: "a cat", OutPath: filepath.Join(t.TempDir(), "x.png")})
	if errcode.Code(err) != errcode.Cancelled || errcode.IsRetryable(err) {
		t.Errorf("err %v, want CANCELLED", err)
	}
}

func TestInvalidRequestsNeverSent(t *testing.T) {
	c, srv := setup(t)
	out := filepath.Join(t.TempDir(), "x.png")
	for _, r := range []Request{
		{Prompt: " ", OutPath: out},
		{Prompt: strings.Repeat("a", MaxPromptRunes+1), OutPath: out},
		{Prompt: "a", AspectRatio: "16:10", OutPath: out},
		{Prompt: "a", StylePreset: "watercolour", OutPath: out},
		{Prompt: "a", Seed: 4294967295, OutPath: out},
		{Prompt: "a"},
	} {
		if _, err := c.Generate(ctx(t), r); errcode.Code(err) != CodeInvalidRequest || errcode.IsRetryable(err) {
			t.Errorf("request %.40v: err %v", r, err)
		}
	}
	if srv.Calls() != 0 {
		t.Errorf("%d invalid requests reached the server", srv.Calls())
	}
	if _, err := New(Config{}); errcode.Code(err) != CodeNotConfigured {
		t.Errorf("no key: %v", err)
	}
	if _, err := New(Config{APIKey: "k", Model: "sdxl"}); errcode.Code(err) != CodeNotConfigured {
		t.Errorf("unknown model: %v", err)
	}
}

func TestJSONAnswerAndUndecodableImage(t *testing.T) {
	// A proxy answering in the JSON form, then one answering garbage.
	var buf bytes.Buffer
	png.Encode(&buf, image.NewGray(image.Rect(0, 0, 32, 18)))
	var garbage atomic.Bool
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !garbage.Load() {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"image":"` + encode(buf.Bytes()) + `","finish_reason":"SUCCESS","seed":7}`))
			return
		}
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Finish-Reason", "SUCCESS")
		w.Write([]byte("not an image"))
	}))
	defer ts.Close()
	c, err := New(Config{APIKey: testKey, BaseURL: ts.URL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "j.png")
	res, err := c.Generate(ctx(t), Request{Prompt: "x", OutPath: out})
	if err != nil || res.Seed != 7 || res.Width != 32 {
		t.Fatalf("json answer: %+v %v", res, err)
	}
	garbage.Store(true)
	if _, err := c.Generate(ctx(t), Request{Prompt: "x", OutPath: filepath.Join(t.TempDir(), "g.png")}); errcode.Code(err) != CodeBadResponse || !errcode.IsRetryable(err) {
		t.Errorf("garbage answer: %v", err)
	}
}

func encode(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
