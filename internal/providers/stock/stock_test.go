package stock_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/fakes/fakehttp"
	"github.com/ytmaker/ytmaker/internal/fakes/fakestock"
	"github.com/ytmaker/ytmaker/internal/providers/stock"
)

func library(t *testing.T) fakestock.Options {
	dir := t.TempDir()
	return fakestock.Options{APIKey: "k-secret", Videos: []fakestock.Media{
		fakestock.Clip(t, dir, 0, 160, 90, 1),
		fakestock.Clip(t, dir, 1, 90, 160, 1),
		fakestock.Clip(t, dir, 2, 160, 90, 2),
	}}
}

func newPexels(t *testing.T, srv *fakestock.Server, key string) *stock.Pexels {
	c, err := stock.NewPexels(stock.Config{APIKey: key, BaseURL: srv.URL(), HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newPixabay(t *testing.T, srv *fakestock.Server, key string) *stock.Pixabay {
	c, err := stock.NewPixabay(stock.Config{APIKey: key, BaseURL: srv.URL(), HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPexelsSearchesWithTheKeyAndOrientation(t *testing.T) {
	srv := fakestock.NewPexels(library(t))
	defer srv.Close()
	c := newPexels(t, srv, "k-secret")
	ctx := fakehttp.Context(t, 30*time.Second)
	got, err := c.Search(ctx, stock.Query{Terms: "city  night", Kind: stock.Video, Orientation: stock.Landscape, Width: 160, Height: 90})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d landscape videos, want 2: %+v", len(got), got)
	}
	for _, a := range got {
		if a.Width < a.Height || a.URL == "" || a.Author == "" || a.PageURL == "" || a.Seconds <= 0 || a.Provider != "pexels" {
			t.Errorf("bad asset %+v", a)
		}
	}
	r := srv.Requests()[0]
	if r.Path != "/videos/search" || r.Query.Get("query") != "city night" || r.Query.Get("orientation") != "landscape" ||
		r.Query.Get("per_page") != "15" || !r.Auth {
		t.Errorf("request = %+v", r)
	}
	path := filepath.Join(t.TempDir(), "a.mp4")
	n, err := c.Download(ctx, got[0], path, 0)
	if err != nil || n == 0 {
		t.Fatalf("download: %d, %v", n, err)
	}
	if fi, _ := os.Stat(path); fi == nil || fi.Size() != n {
		t.Errorf("file not written")
	}

	photos, err := c.Search(ctx, stock.Query{Terms: "forest", Kind: stock.Photo, Orientation: stock.Portrait})
	if err != nil || len(photos) != 3 || photos[0].Height <= photos[0].Width || photos[0].Kind != stock.Photo {
		t.Fatalf("photos = %+v, %v", photos, err)
	}
	if p := srv.Requests()[len(srv.Requests())-1].Path; p != "/v1/search" {
		t.Errorf("photo search path %s", p)
	}
}

func TestPixabaySearchesWithTheKeyParameter(t *testing.T) {
	srv := fakestock.NewPixabay(library(t))
	defer srv.Close()
	c := newPixabay(t, srv, "k-secret")
	ctx := fakehttp.Context(t, 30*time.Second)
	got, err := c.Search(ctx, stock.Query{Terms: "ocean", Kind: stock.Video, Orientation: stock.Portrait, Width: 90, Height: 160})
	if err != nil {
		t.Fatal(err)
	}
	// Pixabay does not filter videos by orientation: the client does.
	if len(got) != 1 || got[0].Height <= got[0].Width || got[0].Width != 90 || got[0].AuthorURL == "" {
		t.Fatalf("got %+v", got)
	}
	r := srv.Requests()[0]
	if r.Path != "/api/videos/" || r.Query.Get("q") != "ocean" || r.Query.Get("orientation") != "" || !r.Auth {
		t.Errorf("request = %+v", r)
	}
	photos, err := c.Search(ctx, stock.Query{Terms: "ocean", Kind: stock.Photo, Orientation: stock.Landscape})
	if err != nil || len(photos) != 3 {
		t.Fatalf("photos = %+v, %v", photos, err)
	}
	if r := srv.Requests()[1]; r.Path != "/api/" || r.Query.Get("orientation") != "horizontal" || r.Query.Get("image_type") != "photo" {
		t.Errorf("request = %+v", r)
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		pexels    bool
		key       string
		fault     *fakestock.Fault
		code      string
		retryable bool
		after     time.Duration
	}{
		{"pexels bad key", true, "wrong", nil, "PEXELS_AUTH_FAILED", false, 0},
		{"pixabay bad key", false, "wrong", nil, "PIXABAY_AUTH_FAILED", false, 0},
		{"pexels 429", true, "k-secret", ptr(fakestock.Status(429).RetryAfter(7 * time.Second)), "PEXELS_RATE_LIMITED", true, 7 * time.Second},
		{"pixabay 429 reset header", false, "k-secret", ptr(fakestock.Status(429)), "PIXABAY_RATE_LIMITED", true, 60 * time.Second},
		{"pexels 503", true, "k-secret", ptr(fakestock.Status(503)), "PEXELS_UNAVAILABLE", true, 0},
		{"pixabay 500", false, "k-secret", ptr(fakestock.Status(500)), "PIXABAY_SERVER_ERROR", true, 0},
		{"pexels 404", true, "k-secret", ptr(fakestock.Status(404)), "PEXELS_NOT_FOUND", false, 0},
		{"pixabay 400", false, "k-secret", ptr(fakestock.Status(400)), "PIXABAY_BAD_REQUEST", false, 0},
		{"pexels 403", true, "k-secret", ptr(fakestock.Status(403)), "PEXELS_AUTH_FAILED", false, 0},
		{"pexels malformed", true, "k-secret", ptr(fakestock.Malformed()), "PEXELS_BAD_RESPONSE", true, 0},
		{"pixabay dropped", false, "k-secret", ptr(fakestock.Drop()), "PIXABAY_NETWORK_ERROR", true, 0},
		{"pexels timeout", true, "k-secret", ptr(fakestock.Delay(5 * time.Second)), "PEXELS_TIMEOUT", true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := fakestock.Options{APIKey: "k-secret"}
			var srv *fakestock.Server
			var search func() error
			ctx := fakehttp.Context(t, 30*time.Second)
			q := stock.Query{Terms: "sea", Kind: stock.Photo}
			if tc.pexels {
				srv = fakestock.NewPexels(opts)
				c, _ := stock.NewPexels(stock.Config{APIKey: tc.key, BaseURL: srv.URL(), HTTPClient: srv.Client(), Timeout: 300 * time.Millisecond})
				search = func() error { _, err := c.Search(ctx, q); return err }
			} else {
				srv = fakestock.NewPixabay(opts)
				c, _ := stock.NewPixabay(stock.Config{APIKey: tc.key, BaseURL: srv.URL(), HTTPClient: srv.Client(), Timeout: 300 * time.Millisecond})
				search = func() error { _, err := c.Search(ctx, q); return err }
			}
			defer srv.Close()
			if tc.fault != nil {
				srv.Fail(*tc.fault)
			}
			err := search()
			e, _ := errcode.As(err)
			if e == nil || e.Code != tc.code || e.Retryable != tc.retryable {
				t.Fatalf("err = %v (%+v), want %s retryable=%v", err, e, tc.code, tc.retryable)
			}
			if tc.after != 0 && e.RetryAfter != tc.after {
				t.Errorf("RetryAfter = %v, want %v", e.RetryAfter, tc.after)
			}
			if strings.Contains(err.Error(), tc.key) && tc.key != "" {
				t.Errorf("error shows the key: %v", err)
			}
			if srv.Calls() != 1 {
				t.Errorf("%d calls, want exactly 1 (retrying is the task system's job)", srv.Calls())
			}
		})
	}
}

func TestDownloadFaults(t *testing.T) {
	opts := library(t)
	srv := fakestock.NewPexels(opts)
	defer srv.Close()
	c := newPexels(t, srv, "k-secret")
	ctx := fakehttp.Context(t, 30*time.Second)
	got, err := c.Search(ctx, stock.Query{Terms: "x", Kind: stock.Video})
	if err != nil || len(got) == 0 {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "v.mp4")

	srv.Fail(fakestock.ZeroByte())
	if _, err := c.Download(ctx, got[0], path, 0); errcode.Code(err) != "PEXELS_BAD_RESPONSE" {
		t.Errorf("zero-byte: %v", err)
	}
	if _, err := c.Download(ctx, got[0], path, 100); errcode.Code(err) != "PEXELS_FILE_TOO_LARGE" {
		t.Errorf("cap: %v", err)
	}
	srv.Fail(fakestock.Drop().OnDownload())
	if _, err := c.Download(ctx, got[0], path, 0); !errcode.IsRetryable(err) {
		t.Errorf("dropped download: %v", err)
	}
	srv.Fail(fakestock.Status(http.StatusNotFound).OnDownload())
	if _, err := c.Download(ctx, got[0], path, 0); errcode.Code(err) != "PEXELS_NOT_FOUND" {
		t.Errorf("404 download: %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a failed download left a file: %v", err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 0 {
		t.Errorf("left over: %v", ents)
	}
}

func TestNotConfigured(t *testing.T) {
	if _, err := stock.NewPexels(stock.Config{}); errcode.Code(err) != "PEXELS_NOT_CONFIGURED" {
		t.Errorf("pexels: %v", err)
	}
	if _, err := stock.NewPixabay(stock.Config{}); errcode.Code(err) != "PIXABAY_NOT_CONFIGURED" {
		t.Errorf("pixabay: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }
