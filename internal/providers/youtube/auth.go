package youtube

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"golang.org/x/oauth2"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/atomicfile"
)

// AuthConfig configures the installed-app authorization flow.
type AuthConfig struct {
	ClientID     string
	ClientSecret string
	// AuthURL and TokenURL default to Google's endpoints.
	AuthURL  string
	TokenURL string
	// Scopes default to ScopeUpload and ScopeReadOnly.
	Scopes []string
	// Timeout bounds the wait for the browser; default 5 minutes.
	Timeout time.Duration
	// HTTPClient exchanges the code; default http.DefaultClient.
	HTTPClient *http.Client
}

// Authorize runs the OAuth loopback flow for an installed app: it listens
// on 127.0.0.1 at a free port, sends the user to Google's consent page
// (with PKCE, offline access and forced consent so that a refresh token is
// issued), receives the code on the loopback redirect, checks the state,
// and exchanges the code. open is asked to show the URL in a browser (nil,
// or an error, means the user opens it by hand); instructions go to out.
// The returned token carries the refresh token; save it with SaveToken.
func Authorize(ctx context.Context, cfg AuthConfig, open func(url string) error, out io.Writer) (*oauth2.Token, error) {
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errcode.New(errcode.InvalidInput, "youtube auth: the OAuth client id and secret are required", false)
	}
	if out == nil {
		out = io.Discard
	}
	cfg = cfg.withDefaults()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, errcode.Wrap(err, errcode.NetworkError, false, "youtube auth: listen on 127.0.0.1: "+err.Error())
	}
	oc := cfg.oauth("http://" + ln.Addr().String())
	state, err := randomState()
	if err != nil {
		ln.Close()
		return nil, errcode.Wrap(err, errcode.Internal, false, "youtube auth: random state: "+err.Error())
	}
	verifier := oauth2.GenerateVerifier()
	authURL := oc.AuthCodeURL(state, oauth2.AccessTypeOffline, oauth2.ApprovalForce, oauth2.S256ChallengeOption(verifier))

	cb := &callback{state: state, codes: make(chan callbackResult, 1), outcome: make(chan error, 1)}
	srv := &http.Server{Handler: cb, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()

	fmt.Fprintf(out, "To authorize YTMaker to upload to your YouTube channel, open this address in a browser:\n\n  %s\n\nWaiting for the answer on %s ...\n", authURL, oc.RedirectURL)
	if open != nil {
		if err := open(authURL); err != nil {
			fmt.Fprintf(out, "(could not open a browser: %v; open the address by hand)\n", err)
		}
	}

	timer := time.NewTimer(cfg.Timeout)
	defer timer.Stop()
	var res callbackResult
	select {
	case res = <-cb.codes:
	case <-timer.C:
		e := errcode.Newf(errcode.Timeout, false,
			"youtube auth: no answer from the browser within %s; run `ytmaker youtube auth` again", cfg.Timeout)
		cb.outcome <- e // a redirect arriving now gets a failure page
		return nil, e
	case <-ctx.Done():
		e := errcode.Classify(ctx.Err())
		cb.outcome <- e
		return nil, e
	}
	if res.err != nil {
		cb.outcome <- res.err
		return nil, res.err
	}
	tok, err := cfg.exchange(ctx, oc, res.code, verifier)
	if err != nil {
		cb.outcome <- err
		return nil, err
	}
	cb.outcome <- nil
	fmt.Fprintln(out, "Authorization complete.")
	return tok, nil
}

// withDefaults fills in Google's endpoints, the scopes, the timeout and
// the HTTP client.
func (cfg AuthConfig) withDefaults() AuthConfig {
	if cfg.AuthURL == "" {
		cfg.AuthURL = DefaultAuthURL
	}
	if cfg.TokenURL == "" {
		cfg.TokenURL = DefaultTokenURL
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{ScopeUpload, ScopeReadOnly}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Minute
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	return cfg
}

func (cfg AuthConfig) oauth(redirect string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		Endpoint:     oauth2.Endpoint{AuthURL: cfg.AuthURL, TokenURL: cfg.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
		Scopes:       cfg.Scopes,
		RedirectURL:  redirect,
	}
}

// exchange trades an authorization code for a token that must carry a
// refresh token.
func (cfg AuthConfig) exchange(ctx context.Context, oc *oauth2.Config, code, verifier string) (*oauth2.Token, error) {
	xctx := context.WithValue(ctx, oauth2.HTTPClient, cfg.HTTPClient)
	tok, err := oc.Exchange(xctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		ce := errcode.Classify(tokenError(err)).Clone()
		ce.Message = "youtube auth: code exchange failed: " + ce.Message
		return nil, ce
	}
	if tok.RefreshToken == "" {
		return nil, errcode.New(errcode.YouTubeAuthRequired,
			"youtube auth: Google returned no refresh token; remove YTMaker's access at https://myaccount.google.com/permissions and connect again", false)
	}
	return tok, nil
}

func randomState() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

type callbackResult struct {
	code string
	err  error
}

// callback receives the browser's redirect. The first request carrying
// code, error or state decides the flow; the page it shows waits for the
// code exchange so that success means success.
type callback struct {
	state   string
	codes   chan callbackResult // capacity 1: only the first answer counts
	outcome chan error
}

func (cb *callback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !q.Has("code") && !q.Has("error") && !q.Has("state") {
		http.NotFound(w, r) // favicon and other stray requests
		return
	}
	var res callbackResult
	switch {
	case subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(cb.state)) != 1:
		res.err = errcode.New(CodeAuthFailed, "youtube auth: the answer's state does not match this request (stale or forged redirect)", false)
	case q.Get("error") != "":
		res.err = errcode.Newf(CodeAuthFailed, false, "youtube auth: authorization refused (%s)", q.Get("error"))
	case q.Get("code") == "":
		res.err = errcode.New(CodeAuthFailed, "youtube auth: the answer carries no authorization code", false)
	default:
		res.code = q.Get("code")
	}
	select {
	case cb.codes <- res:
	default:
		writePage(w, http.StatusConflict, false, "This authorization was already answered. You can close this tab.")
		return
	}
	var outcome error
	select {
	case outcome = <-cb.outcome:
	case <-r.Context().Done():
		return
	case <-time.After(time.Minute):
		outcome = errors.New("the code exchange did not finish")
	}
	if outcome != nil {
		writePage(w, http.StatusBadRequest, false, outcome.Error())
		return
	}
	writePage(w, http.StatusOK, true, "YTMaker can now upload videos to your channel. You can close this tab and return to the terminal.")
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>YTMaker authorization</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}.ok{color:#1a7f37}.fail{color:#b42318}</style></head>
<body><h1 class="{{if .OK}}ok{{else}}fail{{end}}">{{if .OK}}Authorization complete{{else}}Authorization failed{{end}}</h1>
<p>{{.Message}}</p>{{if not .OK}}<p>Run <code>ytmaker youtube auth</code> again to retry.</p>{{end}}</body></html>
`))

func writePage(w http.ResponseWriter, status int, ok bool, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	pageTmpl.Execute(w, struct {
		OK      bool
		Message string
	}{ok, msg})
}

// SaveToken writes tok to path as JSON with mode 0600, atomically.
func SaveToken(path string, tok *oauth2.Token) error {
	if tok == nil || tok.RefreshToken == "" {
		return errcode.New(errcode.InvalidInput, "youtube: refusing to save a token without a refresh token", false)
	}
	if err := atomicfile.WriteJSON(path, tok, 0o600); err != nil {
		return errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	return nil
}

// LoadToken reads a token saved by SaveToken. A missing file or a token
// without refresh token is YOUTUBE_AUTH_REQUIRED.
func LoadToken(path string) (*oauth2.Token, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, errcode.Newf(errcode.YouTubeAuthRequired, false, "no YouTube token at %s; %s", path, AuthHint)
	}
	if err != nil {
		return nil, errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	var tok oauth2.Token
	if err := json.Unmarshal(data, &tok); err != nil {
		return nil, errcode.Newf(errcode.YouTubeAuthRequired, false, "the YouTube token file %s is unreadable; %s", path, AuthHint)
	}
	if tok.RefreshToken == "" {
		return nil, errcode.Newf(errcode.YouTubeAuthRequired, false, "the YouTube token file %s holds no refresh token; %s", path, AuthHint)
	}
	return &tok, nil
}
