// Package youtube uploads finished videos to YouTube through the Data API
// v3 and sets their thumbnails.
//
// Uploads use the resumable protocol, written by hand so that an upload
// interrupted by a crash or a restart continues where the server stopped:
// the session URI and the confirmed offset are handed to the caller after
// every chunk (Hooks.OnSession) to be persisted, and a later Upload given
// that Session asks the server how much it holds and sends only the rest.
//
// Every error is a coded *errcode.Error whose Retryable flag follows
// YouTube's semantics: quota and upload-limit refusals and revoked
// authorization are final, rate limits, server errors and broken
// connections are retried.
package youtube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/ytmaker/ytmaker/errcode"
)

// Defaults for Config.
const (
	DefaultTokenURL  = "https://oauth2.googleapis.com/token"
	DefaultAuthURL   = "https://accounts.google.com/o/oauth2/auth"
	DefaultBaseURL   = "https://www.googleapis.com"
	DefaultChunkSize = 8 << 20
	// DefaultRequestTimeout bounds a request that is not an upload chunk.
	DefaultRequestTimeout = time.Minute
	// DefaultChunkTimeout bounds one chunk: 8 MiB at 14 KB/s.
	DefaultChunkTimeout = 10 * time.Minute
	// ChunkUnit is the size every chunk but the last must be a multiple of.
	ChunkUnit = 256 << 10
)

// OAuth scopes.
const (
	// ScopeUpload allows videos.insert and thumbnails.set.
	ScopeUpload = "https://www.googleapis.com/auth/youtube.upload"
	// ScopeReadOnly allows videos.list on the channel's own (private) videos.
	ScopeReadOnly = "https://www.googleapis.com/auth/youtube.readonly"
)

// Error codes of this package, besides errcode.YouTubeAuthRequired,
// errcode.YouTubeQuotaExceeded and errcode.YouTubeUploadLimit.
const (
	CodeAuthFailed         = "YOUTUBE_AUTH_FAILED"         // OAuth client rejected or consent refused
	CodeRateLimited        = "YOUTUBE_RATE_LIMITED"        // retryable
	CodeInvalidMetadata    = "YOUTUBE_INVALID_METADATA"    // Details["field"] names the field
	CodeThumbnailForbidden = "YOUTUBE_THUMBNAIL_FORBIDDEN" // channel may not set custom thumbnails
	CodeForbidden          = "YOUTUBE_FORBIDDEN"
	CodeVideoNotFound      = "YOUTUBE_VIDEO_NOT_FOUND"
	CodeChannelNotFound    = "YOUTUBE_CHANNEL_NOT_FOUND" // the account has no channel
	CodeSessionExpired     = "YOUTUBE_SESSION_EXPIRED"   // retryable: the next attempt starts a new session
	CodeProtocol           = "YOUTUBE_PROTOCOL_ERROR"    // the server answered something unexpected
)

// AuthHint is the remedy printed with authorization errors.
const AuthHint = "run `ytmaker youtube auth` to authorize YTMaker again"

// Config configures a Client.
type Config struct {
	ClientID     string
	ClientSecret string
	RefreshToken string
	// TokenURL is the OAuth token endpoint; default DefaultTokenURL
	// (GOOGLE_OAUTH_TOKEN_URL).
	TokenURL string
	// BaseURL is the API root; default DefaultBaseURL (YOUTUBE_BASE_URL).
	// Uploads go to BaseURL+"/upload/youtube/v3/...", other calls to
	// BaseURL+"/youtube/v3/...".
	BaseURL string
	// HTTPClient sends every request, including token refreshes; default
	// a client without overall timeout (uploads are long), cancelled
	// through the context.
	HTTPClient *http.Client
	// ChunkSize is the upload chunk size, a multiple of 256 KiB; default
	// 8 MiB.
	ChunkSize int64
	// RequestTimeout bounds each request (answer included) other than an
	// upload chunk, and each token refresh; default DefaultRequestTimeout.
	RequestTimeout time.Duration
	// ChunkTimeout bounds the sending of one upload chunk; default
	// DefaultChunkTimeout. A stalled connection fails the chunk, which is
	// then resumed from the offset the server confirms.
	ChunkTimeout time.Duration
	// MaxRetries is how many transient failures in a row (5xx, broken
	// connection) one Upload call absorbs before returning a retryable
	// error; default 3, negative for none.
	MaxRetries int
	// RetryBackoff is the first pause after a transient failure, doubled
	// for each further one; default 1 s.
	RetryBackoff time.Duration
	// Logger receives progress and recovery logs; nil discards.
	Logger *slog.Logger
	// Now returns the current time; default time.Now.
	Now func() time.Time
}

// Configured reports whether the credentials needed to call YouTube are
// present.
func (c Config) Configured() bool {
	return c.ClientID != "" && c.ClientSecret != "" && c.RefreshToken != ""
}

// Client talks to YouTube. It is safe for concurrent use.
type Client struct {
	cfg     Config
	base    *url.URL
	http    *http.Client
	log     *slog.Logger
	now     func() time.Time
	tokens  *tokenCache
	retries int
	backoff time.Duration
}

// New returns a Client. It fails only on invalid configuration (a bad URL
// or chunk size); missing credentials are reported by Configured and by
// each call.
func New(cfg Config) (*Client, error) {
	if cfg.TokenURL == "" {
		cfg.TokenURL = DefaultTokenURL
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.ChunkSize == 0 {
		cfg.ChunkSize = DefaultChunkSize
	}
	if cfg.ChunkSize < 0 || cfg.ChunkSize%ChunkUnit != 0 {
		return nil, errcode.Newf(errcode.InvalidInput, false,
			"youtube: chunk size %d is not a positive multiple of 256 KiB", cfg.ChunkSize)
	}
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, errcode.Newf(errcode.InvalidInput, false, "youtube: invalid base URL %q", cfg.BaseURL)
	}
	if u, err := url.Parse(cfg.TokenURL); err != nil || u.Host == "" {
		return nil, errcode.Newf(errcode.InvalidInput, false, "youtube: invalid token URL %q", cfg.TokenURL)
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.ChunkTimeout <= 0 {
		cfg.ChunkTimeout = DefaultChunkTimeout
	}
	c := &Client{cfg: cfg, base: base, http: cfg.HTTPClient, log: cfg.Logger, now: cfg.Now,
		retries: cfg.MaxRetries, backoff: cfg.RetryBackoff}
	if c.http == nil {
		c.http = &http.Client{}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	switch {
	case c.retries == 0:
		c.retries = 3
	case c.retries < 0:
		c.retries = 0
	}
	if c.backoff <= 0 {
		c.backoff = time.Second
	}
	c.tokens = &tokenCache{
		oauth: &oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			Endpoint:     oauth2.Endpoint{TokenURL: cfg.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
		},
		refresh: cfg.RefreshToken,
		http:    c.http,
		log:     c.log,
	}
	return c, nil
}

// Configured reports whether the client has credentials.
func (c *Client) Configured() bool { return c.cfg.Configured() }

func (c *Client) requireConfigured() error {
	if c.Configured() {
		return nil
	}
	return errcode.New(errcode.YouTubeAuthRequired,
		"YouTube is not authorized (client id, client secret or refresh token missing); "+AuthHint, false)
}

// endpoint returns base + path + query.
func (c *Client) endpoint(path string, q url.Values) string {
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + path
	u.RawQuery = q.Encode()
	return u.String()
}

// tokenCache holds the current access token and refreshes it on demand.
type tokenCache struct {
	oauth   *oauth2.Config
	http    *http.Client
	log     *slog.Logger
	mu      sync.Mutex
	refresh string
	tok     *oauth2.Token
}

// token returns a valid access token, refreshing it when needed.
func (t *tokenCache) token(ctx context.Context) (*oauth2.Token, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok.Valid() {
		return t.tok, nil
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, t.http)
	tok, err := t.oauth.TokenSource(ctx, &oauth2.Token{RefreshToken: t.refresh}).Token()
	if err != nil {
		return nil, tokenError(err)
	}
	if tok.RefreshToken != "" && tok.RefreshToken != t.refresh {
		t.refresh = tok.RefreshToken
	}
	t.tok = tok
	t.log.Debug("youtube access token refreshed", "expiry", tok.Expiry)
	return tok, nil
}

// invalidate forgets tok if it is still the current token.
func (t *tokenCache) invalidate(tok *oauth2.Token) {
	t.mu.Lock()
	if t.tok == tok {
		t.tok = nil
	}
	t.mu.Unlock()
}

// tokenError maps a token endpoint failure to a coded error.
func tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		desc := re.ErrorDescription
		if desc == "" {
			desc = re.ErrorCode
		}
		switch re.ErrorCode {
		case "invalid_grant":
			return errcode.New(errcode.YouTubeAuthRequired,
				"the YouTube authorization has expired or was revoked ("+desc+"); "+AuthHint, false).
				WithCause(err).WithDetail("oauth_error", re.ErrorCode)
		case "invalid_client", "unauthorized_client":
			return errcode.New(CodeAuthFailed,
				"Google rejected the OAuth client id or secret ("+desc+"); check the YouTube client credentials", false).
				WithCause(err).WithDetail("oauth_error", re.ErrorCode)
		}
		if status != 0 {
			var h http.Header
			if re.Response != nil {
				h = re.Response.Header
			}
			e := errcode.HTTP("YOUTUBE_OAUTH", status, h, "token refresh failed: "+desc)
			return e.WithCause(err)
		}
	}
	if ce, ok := errcode.As(err); ok {
		return ce
	}
	return transportError("token refresh", err)
}

// transportError codes a failure to talk to the server at all. The message
// leaves out the URL (session URIs act as credentials).
func transportError(op string, err error) *errcode.Error {
	ce := errcode.Classify(err).Clone()
	inner := err
	var ue *url.Error
	if errors.As(err, &ue) {
		inner = ue.Err
	}
	ce.Message = fmt.Sprintf("youtube %s: %v", op, inner)
	return ce.WithCause(err)
}

// send issues the request built by build with a bearer token, within
// RequestTimeout. A 401 answer makes it refresh the token once and send a
// fresh request. Transport failures (a passed deadline included) are
// returned as they are (uncoded) so callers can tell them from answers;
// token failures are coded.
func (c *Client) send(ctx context.Context, build func() (*http.Request, error)) (*http.Response, error) {
	return c.sendWithin(ctx, c.cfg.RequestTimeout, build)
}

// sendWithin is send with the deadline d for the request and its answer:
// the answer's body is readable until d, and closing it releases the
// deadline.
func (c *Client) sendWithin(ctx context.Context, d time.Duration, build func() (*http.Request, error)) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		tctx, tcancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
		tok, err := c.tokens.token(tctx)
		tcancel()
		if err != nil {
			return nil, err
		}
		req, err := build()
		if err != nil {
			return nil, errcode.Wrap(err, errcode.Internal, false, "youtube: build request: "+err.Error())
		}
		rctx, cancel := context.WithTimeout(ctx, d)
		req = req.WithContext(rctx)
		tok.SetAuthHeader(req)
		resp, err := c.http.Do(req)
		if err != nil {
			cancel()
			return nil, err
		}
		if resp.StatusCode == http.StatusUnauthorized && attempt == 0 {
			drain(resp)
			cancel()
			c.tokens.invalidate(tok)
			c.log.Info("youtube rejected the access token; refreshing it once")
			continue
		}
		resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
		return resp, nil
	}
}

// cancelOnClose releases a request's deadline when its answer is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// drain reads and closes a response body so the connection can be reused.
func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
}

// pause waits d or until ctx ends.
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
