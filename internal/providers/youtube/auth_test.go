package youtube

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/fakes/fakeyoutube"
)

func writeJPEG(t *testing.T) (string, []byte) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 160, 90))
	for x := 0; x < 160; x++ {
		for y := 0; y < 90; y++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y * 2), 200, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "thumbnail.jpg")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, buf.Bytes()
}

func TestSetThumbnailAndGetVideo(t *testing.T) {
	fake := fakeyoutube.Start(t, fakeyoutube.Options{ProcessingPolls: 1})
	c := newClient(t, fake, nil)
	ctx := context.Background()
	path, _ := writeVideo(t, 1000, 20)
	res, err := c.Upload(ctx, UploadRequest{VideoPath: path, Metadata: meta()}, Hooks{})
	if err != nil {
		t.Fatal(err)
	}

	v, err := c.GetVideo(ctx, res.VideoID)
	if err != nil {
		t.Fatal(err)
	}
	if v.ProcessingDetails == nil || v.ProcessingDetails.ProcessingStatus != "processing" || v.Status.UploadStatus != "uploaded" {
		t.Fatalf("first poll = %+v %+v", v.Status, v.ProcessingDetails)
	}
	v, _ = c.GetVideo(ctx, res.VideoID)
	if v.ProcessingDetails.ProcessingStatus != "succeeded" || v.Status.UploadStatus != "processed" ||
		v.Status.PrivacyStatus != Private || !v.Status.ContainsSyntheticMedia || v.Snippet.Title != "Test video" {
		t.Fatalf("second poll = %+v %+v", v.Status, v.ProcessingDetails)
	}
	_, err = c.GetVideo(ctx, "nope")
	requireCode(t, err, CodeVideoNotFound, false)

	jpg, img := writeJPEG(t)
	thumbs, err := c.SetThumbnail(ctx, res.VideoID, jpg)
	if err != nil {
		t.Fatalf("SetThumbnail: %v", err)
	}
	if thumbs["maxres"].Width != 1280 || !strings.Contains(thumbs["maxres"].URL, res.VideoID) {
		t.Fatalf("thumbnails = %+v", thumbs)
	}
	stored, _ := fake.Video(res.VideoID)
	if !bytes.Equal(stored.Thumbnail, img) || stored.ThumbnailType != "image/jpeg" {
		t.Fatalf("fake stored %d bytes of %q", len(stored.Thumbnail), stored.ThumbnailType)
	}
	req := opsOf(fake.Requests(), fakeyoutube.OpThumbnail)[0]
	if req.Path != "/upload/youtube/v3/thumbnails/set" || req.Query.Get("videoId") != res.VideoID || req.ContentType != "image/jpeg" {
		t.Fatalf("thumbnail request = %+v", req)
	}

	fake.SetThumbnailsForbidden(true)
	_, err = c.SetThumbnail(ctx, res.VideoID, jpg)
	requireCode(t, err, CodeThumbnailForbidden, false)
	fake.SetThumbnailsForbidden(false)

	_, err = c.SetThumbnail(ctx, "missing0000", jpg)
	requireCode(t, err, CodeVideoNotFound, false)

	notImage := filepath.Join(t.TempDir(), "x.jpg")
	os.WriteFile(notImage, []byte("plain text"), 0o644)
	_, err = c.SetThumbnail(ctx, res.VideoID, notImage)
	requireCode(t, err, errcode.InvalidInput, false)

	fake.Inject(fakeyoutube.QuotaExceeded(fakeyoutube.OpThumbnail))
	_, err = c.SetThumbnail(ctx, res.VideoID, jpg)
	requireCode(t, err, errcode.YouTubeQuotaExceeded, false)
}

// browser follows the authorization URL the way a browser would, in the
// background (as a real browser opens independently of the caller), and
// returns the final page.
type browser struct {
	page   chan string
	status chan int
	edit   func(*url.URL) // changes the redirect before following it
}

func newBrowser() *browser { return &browser{page: make(chan string, 1), status: make(chan int, 1)} }

func (b *browser) open(authURL string) error {
	client := &http.Client{CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if b.edit != nil {
			b.edit(req.URL)
		}
		return nil
	}}
	go func() {
		resp, err := client.Get(authURL)
		if err != nil {
			b.page <- "error: " + err.Error()
			b.status <- 0
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		b.page <- string(body)
		b.status <- resp.StatusCode
	}()
	return nil
}

func authConfig(fake *fakeyoutube.Server) AuthConfig {
	return AuthConfig{
		ClientID:     fake.ClientID(),
		ClientSecret: fake.ClientSecret(),
		AuthURL:      fake.AuthURL(),
		TokenURL:     fake.TokenURL(),
		Timeout:      10 * time.Second,
	}
}

func TestAuthorizeLoopbackFlow(t *testing.T) {
	fake := fakeyoutube.Start(t, fakeyoutube.Options{})
	b := newBrowser()
	var out bytes.Buffer
	tok, err := Authorize(context.Background(), authConfig(fake), b.open, &out)
	if err != nil {
		t.Fatalf("Authorize: %v\n%s", err, out.String())
	}
	if tok.RefreshToken == "" || tok.AccessToken == "" {
		t.Fatalf("token = %+v", tok)
	}
	if page, status := <-b.page, <-b.status; status != 200 || !strings.Contains(page, "Authorization complete") {
		t.Fatalf("browser page %d: %s", status, page)
	}
	q := fake.AuthRequests()[0]
	redirect, _ := url.Parse(q.Get("redirect_uri"))
	if q.Get("access_type") != "offline" || q.Get("prompt") != "consent" || q.Get("code_challenge_method") != "S256" ||
		q.Get("code_challenge") == "" || len(q.Get("state")) < 32 || redirect.Hostname() != "127.0.0.1" ||
		!strings.Contains(q.Get("scope"), ScopeUpload) {
		t.Fatalf("authorization request = %v", q)
	}
	if !strings.Contains(out.String(), fake.AuthURL()) || !strings.Contains(out.String(), "Authorization complete") {
		t.Fatalf("instructions = %q", out.String())
	}

	// The saved refresh token is what the uploader then uses.
	path := filepath.Join(t.TempDir(), "secrets", "youtube_token.json")
	if err := SaveToken(path, tok); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode = %v, %v", fi.Mode(), err)
	}
	loaded, err := LoadToken(path)
	if err != nil || loaded.RefreshToken != tok.RefreshToken {
		t.Fatalf("LoadToken = %+v, %v", loaded, err)
	}
	c := newClient(t, fake, func(c *Config) { c.RefreshToken = loaded.RefreshToken })
	video, _ := writeVideo(t, 500, 21)
	if _, err := c.Upload(context.Background(), UploadRequest{VideoPath: video, Metadata: meta()}, Hooks{}); err != nil {
		t.Fatalf("upload with the new refresh token: %v", err)
	}
}

func TestAuthorizeFailures(t *testing.T) {
	fake := fakeyoutube.Start(t, fakeyoutube.Options{})

	t.Run("consent denied", func(t *testing.T) {
		fake.SetDenyConsent(true)
		defer fake.SetDenyConsent(false)
		b := newBrowser()
		_, err := Authorize(context.Background(), authConfig(fake), b.open, io.Discard)
		requireCode(t, err, CodeAuthFailed, false)
		if page := <-b.page; !strings.Contains(page, "Authorization failed") || !strings.Contains(page, "access_denied") {
			t.Fatalf("page = %s", page)
		}
	})

	t.Run("forged state", func(t *testing.T) {
		b := newBrowser()
		b.edit = func(u *url.URL) {
			if u.Hostname() == "127.0.0.1" && u.Query().Has("code") {
				q := u.Query()
				q.Set("state", "forged")
				u.RawQuery = q.Encode()
			}
		}
		_, err := Authorize(context.Background(), authConfig(fake), b.open, io.Discard)
		ce := requireCode(t, err, CodeAuthFailed, false)
		if !strings.Contains(ce.Message, "state") {
			t.Fatalf("message = %q", ce.Message)
		}
		if status := <-b.status; status != http.StatusBadRequest {
			t.Fatalf("browser status = %d", status)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		cfg := authConfig(fake)
		cfg.Timeout = 50 * time.Millisecond
		_, err := Authorize(context.Background(), cfg, nil, io.Discard)
		requireCode(t, err, errcode.Timeout, false)
	})

	t.Run("wrong client secret", func(t *testing.T) {
		cfg := authConfig(fake)
		cfg.ClientSecret = "wrong"
		b := newBrowser()
		_, err := Authorize(context.Background(), cfg, b.open, io.Discard)
		requireCode(t, err, CodeAuthFailed, false)
		if page := <-b.page; !strings.Contains(page, "Authorization failed") || strings.Contains(page, "wrong") {
			t.Fatalf("page = %s", page)
		}
	})
}

func TestLoadTokenErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := LoadToken(filepath.Join(dir, "missing.json"))
	ce := requireCode(t, err, errcode.YouTubeAuthRequired, false)
	if !strings.Contains(ce.Message, "ytmaker youtube auth") {
		t.Fatalf("message = %q", ce.Message)
	}
	p := filepath.Join(dir, "t.json")
	os.WriteFile(p, []byte(`{"access_token":"a"}`), 0o600)
	_, err = LoadToken(p)
	requireCode(t, err, errcode.YouTubeAuthRequired, false)
	if err := SaveToken(p, nil); errcode.Code(err) != errcode.InvalidInput {
		t.Fatalf("SaveToken(nil) = %v", err)
	}
}
