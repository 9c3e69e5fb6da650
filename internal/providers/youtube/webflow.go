package youtube

import (
	"context"
	"net/url"
	"os"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/ytmaker/ytmaker/errcode"
)

// WebFlow connects a channel from a web page: the server that shows the
// page is the redirect target. Start returns Google's consent address for
// a redirect URL on this server; Finish receives the redirect, checks its
// state (random, single use, valid 10 minutes, kept in this process with
// its PKCE verifier), exchanges the code and saves the token to
// TokenFile, where uploads read it. It is safe for concurrent use.
type WebFlow struct {
	cfg       AuthConfig
	tokenFile string
	now       func() time.Time

	mu      sync.Mutex
	pending map[string]pendingAuth // by state
}

type pendingAuth struct {
	verifier string
	redirect string
	expires  time.Time
}

// Web flow limits.
const (
	webFlowTTL     = 10 * time.Minute
	webFlowPending = 32
)

// NewWebFlow returns the flow, or YOUTUBE_AUTH_REQUIRED when the OAuth
// client is not configured.
func NewWebFlow(cfg AuthConfig, tokenFile string) (*WebFlow, error) {
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errcode.New(errcode.YouTubeAuthRequired,
			"set YOUTUBE_CLIENT_ID and YOUTUBE_CLIENT_SECRET (an OAuth client of Google Cloud) to connect a channel", false)
	}
	return &WebFlow{cfg: cfg.withDefaults(), tokenFile: tokenFile, now: time.Now, pending: map[string]pendingAuth{}}, nil
}

// Start begins an authorization whose answer comes back to redirect and
// returns the address to send the browser to.
func (f *WebFlow) Start(redirect string) (string, error) {
	u, err := url.Parse(redirect)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errcode.Newf(errcode.InvalidInput, false, "youtube auth: %q is not a redirect URL", redirect)
	}
	state, err := randomState()
	if err != nil {
		return "", errcode.Wrap(err, errcode.Internal, false, "youtube auth: random state: "+err.Error())
	}
	verifier := oauth2.GenerateVerifier()
	now := f.now()
	f.mu.Lock()
	for k, p := range f.pending {
		if now.After(p.expires) {
			delete(f.pending, k)
		}
	}
	for k := range f.pending { // still full: the oldest attempts are abandoned anyway
		if len(f.pending) < webFlowPending {
			break
		}
		delete(f.pending, k)
	}
	f.pending[state] = pendingAuth{verifier: verifier, redirect: redirect, expires: now.Add(webFlowTTL)}
	f.mu.Unlock()
	oc := f.cfg.oauth(redirect)
	return oc.AuthCodeURL(state, oauth2.AccessTypeOffline, oauth2.ApprovalForce, oauth2.S256ChallengeOption(verifier)), nil
}

// Finish handles the redirect's query: it checks the state, exchanges the
// code and saves the token. A state is used once, whatever the outcome.
func (f *WebFlow) Finish(ctx context.Context, q url.Values) error {
	state := q.Get("state")
	f.mu.Lock()
	p, ok := f.pending[state]
	delete(f.pending, state)
	f.mu.Unlock()
	switch {
	case state == "" || !ok:
		return errcode.New(CodeAuthFailed, "youtube auth: this answer belongs to no authorization started here (stale, reused or forged); connect again", false)
	case f.now().After(p.expires):
		return errcode.New(CodeAuthFailed, "youtube auth: the authorization took longer than 10 minutes; connect again", false)
	case q.Get("error") != "":
		return errcode.Newf(CodeAuthFailed, false, "youtube auth: authorization refused (%s)", q.Get("error"))
	case q.Get("code") == "":
		return errcode.New(CodeAuthFailed, "youtube auth: the answer carries no authorization code", false)
	}
	tok, err := f.cfg.exchange(ctx, f.cfg.oauth(p.redirect), q.Get("code"), p.verifier)
	if err != nil {
		return err
	}
	return SaveToken(f.tokenFile, tok)
}

// Connected reports whether a token is saved, and when it was.
func (f *WebFlow) Connected() (bool, time.Time) {
	if _, err := LoadToken(f.tokenFile); err != nil {
		return false, time.Time{}
	}
	fi, err := os.Stat(f.tokenFile)
	if err != nil {
		return false, time.Time{}
	}
	return true, fi.ModTime()
}
