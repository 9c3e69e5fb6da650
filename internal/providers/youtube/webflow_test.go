package youtube

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/fakes/fakeyoutube"
)

// consent follows the consent address like a browser whose user agrees,
// and returns the query the fake sends back to the redirect URL.
func consent(t *testing.T, authURL string) url.Values {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther || err != nil {
		t.Fatalf("consent answered %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query()
}

func TestWebFlowSavesTheToken(t *testing.T) {
	fake := fakeyoutube.Start(t, fakeyoutube.Options{})
	path := filepath.Join(t.TempDir(), "youtube_token.json")
	f, err := NewWebFlow(authConfig(fake), path)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := f.Connected(); ok {
		t.Fatal("connected before any authorization")
	}
	const redirect = "http://127.0.0.1:8000/oauth/youtube/callback"
	authURL, err := f.Start(redirect)
	if err != nil {
		t.Fatal(err)
	}
	q := consent(t, authURL)
	if err := f.Finish(context.Background(), q); err != nil {
		t.Fatalf("Finish: %v", err)
	}
	tok, err := LoadToken(path)
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("saved token %+v, %v", tok, err)
	}
	if ok, at := f.Connected(); !ok || time.Since(at) > time.Minute {
		t.Fatalf("Connected = %v, %s", ok, at)
	}
	req := fake.AuthRequests()[0]
	if req.Get("redirect_uri") != redirect || req.Get("code_challenge_method") != "S256" || req.Get("access_type") != "offline" {
		t.Fatalf("authorization request %v", req)
	}
	// A state is good once.
	requireCode(t, f.Finish(context.Background(), q), CodeAuthFailed, false)
}

func TestWebFlowRefusals(t *testing.T) {
	fake := fakeyoutube.Start(t, fakeyoutube.Options{})
	path := filepath.Join(t.TempDir(), "youtube_token.json")
	f, err := NewWebFlow(authConfig(fake), path)
	if err != nil {
		t.Fatal(err)
	}
	const redirect = "http://127.0.0.1:8000/oauth/youtube/callback"
	t.Run("forged state", func(t *testing.T) {
		authURL, _ := f.Start(redirect)
		q := consent(t, authURL)
		q.Set("state", "forged")
		requireCode(t, f.Finish(context.Background(), q), CodeAuthFailed, false)
	})
	t.Run("consent denied", func(t *testing.T) {
		fake.SetDenyConsent(true)
		defer fake.SetDenyConsent(false)
		authURL, _ := f.Start(redirect)
		requireCode(t, f.Finish(context.Background(), consent(t, authURL)), CodeAuthFailed, false)
	})
	t.Run("expired", func(t *testing.T) {
		authURL, _ := f.Start(redirect)
		q := consent(t, authURL)
		f.now = func() time.Time { return time.Now().Add(11 * time.Minute) }
		defer func() { f.now = time.Now }()
		requireCode(t, f.Finish(context.Background(), q), CodeAuthFailed, false)
	})
	t.Run("bad redirect", func(t *testing.T) {
		if _, err := f.Start("javascript:alert(1)"); err == nil {
			t.Fatal("a non-http redirect was accepted")
		}
	})
	if ok, _ := f.Connected(); ok {
		t.Fatal("a refused authorization saved a token")
	}
	if _, err := NewWebFlow(AuthConfig{}, path); err == nil {
		t.Fatal("a flow without an OAuth client was made")
	}
}
