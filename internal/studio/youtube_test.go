package studio

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ytmaker/ytmaker/internal/fakes/fakeyoutube"
	"github.com/ytmaker/ytmaker/internal/providers/youtube"
)

// TestConnectYouTubeFromTheSystemPage: a signed-in user presses Connect,
// consents at (the fake) Google, and arrives back without the session
// cookie (SameSite=Strict is not sent from another site); the token is
// saved and the System page says connected. A forged answer saves nothing.
func TestConnectYouTubeFromTheSystemPage(t *testing.T) {
	fake := fakeyoutube.Start(t, fakeyoutube.Options{})
	tokenFile := filepath.Join(t.TempDir(), "youtube_token.json")
	flow, err := youtube.NewWebFlow(youtube.AuthConfig{ClientID: fake.ClientID(), ClientSecret: fake.ClientSecret(),
		AuthURL: fake.AuthURL(), TokenURL: fake.TokenURL()}, tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	const token = "studio-youtube-token"
	e := newEnv(t, envOptions{token: token, youtube: flow})
	c := e.browser()
	if p := e.do(c, "POST", "/signin", form(url.Values{"token": {token}, "next": {"/system"}}), formHeader); p.code != http.StatusSeeOther {
		t.Fatalf("sign in: %d", p.code)
	}
	p := e.get(c, "/system", nil)
	if p.code != 200 || !strings.Contains(p.body, `action="/system/youtube"`) || !strings.Contains(p.body, "Not connected") {
		t.Fatalf("system page before connecting: %d\n%s", p.code, p.body)
	}
	// Another site cannot start the flow.
	if p := e.do(c, "POST", "/system/youtube", nil, map[string]string{"Sec-Fetch-Site": "cross-site"}); p.code != http.StatusForbidden {
		t.Fatalf("cross-site connect: %d", p.code)
	}
	// Nor can a browser that is not signed in.
	if p := e.do(e.browser(), "POST", "/system/youtube", nil, nil); p.code != http.StatusUnauthorized {
		t.Fatalf("connect without a session: %d", p.code)
	}

	p = e.do(c, "POST", "/system/youtube", nil, nil)
	consentURL := p.header.Get("Location")
	if p.code != http.StatusSeeOther || !strings.HasPrefix(consentURL, fake.AuthURL()) {
		t.Fatalf("connect: %d %q", p.code, consentURL)
	}
	wantRedirect := e.srv.URL + "/oauth/youtube/callback"
	// Google answers with a redirect back to the studio.
	resp, err := e.browser().Get(consentURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := fake.AuthRequests()[0].Get("redirect_uri"); got != wantRedirect {
		t.Fatalf("redirect_uri %q, want %q", got, wantRedirect)
	}
	back := resp.Header.Get("Location")
	if !strings.HasPrefix(back, wantRedirect+"?") {
		t.Fatalf("consent sent the browser to %q", back)
	}
	answer := strings.TrimPrefix(back, e.srv.URL)

	forged, _ := url.Parse(answer)
	q := forged.Query()
	q.Set("state", "forged-state")
	forged.RawQuery = q.Encode()
	if p := e.get(e.browser(), forged.String(), nil); p.code != http.StatusBadRequest || !strings.Contains(p.body, "not connected") {
		t.Fatalf("forged answer: %d\n%s", p.code, p.body)
	}
	if ok, _ := flow.Connected(); ok {
		t.Fatal("a forged answer saved a token")
	}

	if p := e.get(e.browser(), answer, nil); p.code != 200 || !strings.Contains(p.body, "YouTube channel connected") {
		t.Fatalf("answer: %d\n%s", p.code, p.body)
	}
	tok, err := youtube.LoadToken(tokenFile)
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("saved token: %+v %v", tok, err)
	}
	// The same answer a second time is refused.
	if p := e.get(e.browser(), answer, nil); p.code != http.StatusBadRequest {
		t.Fatalf("replayed answer: %d", p.code)
	}
	p = e.get(c, "/system", nil)
	if !strings.Contains(p.body, "Connected (since") || !strings.Contains(p.body, "Connect again") {
		t.Fatalf("system page after connecting:\n%s", p.body)
	}
}

func TestSystemPageWithoutAnOAuthClient(t *testing.T) {
	e := newEnv(t, envOptions{})
	p := e.get(e.browser(), "/system", map[string]string{"Accept-Language": "zh-TW"})
	if !strings.Contains(p.body, "YOUTUBE_CLIENT_ID") || strings.Contains(p.body, `action="/system/youtube"`) {
		t.Fatalf("system page without a client:\n%s", p.body)
	}
	if p := e.get(e.browser(), "/oauth/youtube/callback?state=x&code=y", nil); p.code != http.StatusNotFound {
		t.Fatalf("callback without a client: %d", p.code)
	}
}
