// Package fakeyoutube is an in-process YouTube Data API v3 and Google OAuth
// server that speaks the real wire protocol, for tests and local runs.
//
// It serves:
//
//   - OAuth: POST /token (refresh_token and authorization_code grants, PKCE
//     checked) and GET /o/oauth2/auth, which approves at once and redirects
//     to the redirect_uri with a code and the state.
//   - Uploads: the documented resumable protocol (POST to start a session,
//     PUT chunks with Content-Range, 308 + Range, "bytes */N" status queries)
//     and what the official Go client sends (POST chunks with
//     X-GUploader-No-308, answered 200 + X-Http-Status-Code-Override: 308;
//     multipart/related uploads for small media; repeated or comma-separated
//     part parameters). Received bytes are stored per session; data is
//     committed in 256 KiB units like the real server.
//   - thumbnails.set (multipart or raw image), videos.list (status,
//     snippet, processingDetails) and channels.list?mine=true (the
//     authorized channel, which a key check reads).
//   - Quota buckets with 403 quotaExceeded, and errors in the googleapis
//     JSON shape.
//
// Faults are queued with Inject (see Fault and its constructors) and every
// request is recorded (Requests) so tests can assert what was sent.
//
// Point a client at it with the server's URL: the YouTube base URL is URL,
// the token URL is TokenURL() and the authorization URL is AuthURL(). API
// calls need a bearer token from the token endpoint (Options.NoAuth turns
// the check off); session URIs are not checked, since their upload_id
// authorizes them as on the real server.
//
// A typical test:
//
//	fake := fakeyoutube.Start(t, fakeyoutube.Options{})
//	fake.Inject(fakeyoutube.CutAt(60))               // drop the connection at 60 %
//	fake.Inject(fakeyoutube.ChunkError(2, 503, ""))  // then a 503 on a later chunk
//	// ... upload with ClientID(), ClientSecret(), RefreshToken(), TokenURL(), URL ...
//	v := fake.Videos()[0]                             // v.Media holds the bytes received
//	reqs := fake.Requests()                           // Op, Content-Range, Bytes, Status, Cut
//
// Other switches: ExpireAccessTokens (next API call answers 401),
// SetInvalidGrant (refresh refused), ExpireSessions/ExpireSession (404/410
// for session URIs), SetThumbnailsForbidden, SetDenyConsent, SetQuotaUsage.
package fakeyoutube

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/fakes/fakehttp"
)

// Defaults for Options.
const (
	DefaultClientID     = "test-client-id"
	DefaultClientSecret = "test-client-secret"
	DefaultRefreshToken = "test-refresh-token"
	// Granularity is the unit in which the real server persists upload data.
	Granularity = 256 << 10
)

// Options configures a Server. The zero value is usable.
type Options struct {
	// ClientID and ClientSecret are the OAuth client credentials the token
	// endpoint accepts; defaults DefaultClientID and DefaultClientSecret.
	ClientID     string
	ClientSecret string
	// RefreshToken is a refresh token the token endpoint accepts from the
	// start; default DefaultRefreshToken. Codes exchanged through the
	// authorization flow add their own.
	RefreshToken string
	// TokenTTL is the lifetime of issued access tokens; default one hour.
	TokenTTL time.Duration
	// NoAuth turns off the bearer check on API calls.
	NoAuth bool
	// Quota configures the daily buckets.
	Quota Quota
	// ProcessingPolls is how many videos.list calls report a new video as
	// still processing before it is "processed"/"succeeded"; default 0.
	ProcessingPolls int
	// MaxThumbnailBytes is the largest accepted thumbnail; default 2 MiB.
	MaxThumbnailBytes int64
	// Logger receives one debug line per request; nil discards.
	Logger *slog.Logger
}

// Quota configures the fake's quota model. By default it follows the 2026
// model: a bucket of InsertCallsPerDay uploads plus DailyUnits shared by
// every other method.
type Quota struct {
	DailyUnits        int64 // default 10,000
	InsertCallsPerDay int64 // default 100
	// InsertUnits > 0 selects the legacy model: each videos.insert costs
	// this many units from DailyUnits and there is no insert bucket.
	InsertUnits    int64
	ThumbnailUnits int64 // default 50
	ListUnits      int64 // default 1
	Unlimited      bool  // never answer quotaExceeded
}

// QuotaUsage is what was spent since the last ResetQuota.
type QuotaUsage struct {
	Units       int64 // shared units
	InsertCalls int64 // videos.insert bucket (bucket model only)
}

// Op names the kind of a request, for faults and records.
type Op string

// Request kinds.
const (
	OpAny       Op = ""          // in a Fault: any API request (not OAuth)
	OpToken     Op = "token"     // POST /token
	OpAuthorize Op = "authorize" // GET /o/oauth2/auth
	OpInsert    Op = "insert"    // videos.insert: session start or multipart upload
	OpChunk     Op = "chunk"     // data sent to a session URI
	OpStatus    Op = "status"    // "bytes */N" query to a session URI
	OpThumbnail Op = "thumbnail" // thumbnails.set
	OpList      Op = "list"      // videos.list
	OpChannels  Op = "channels"  // channels.list
	OpOther     Op = "other"     // anything else
)

// Request is one recorded request.
type Request struct {
	Time         time.Time
	Op           Op
	Method       string
	Path         string
	Query        url.Values
	UploadID     string // session requests
	ContentRange string
	ContentType  string
	Header       http.Header // request headers; a bearer token shows as "Bearer ***"
	Bytes        int64       // body bytes read by the server
	Status       int         // answered status; 0 when the connection was cut
	Cut          bool        // the server dropped the connection
}

// Server is a running fake. It is safe for concurrent use.
type Server struct {
	// URL is the base URL, e.g. http://127.0.0.1:PORT (no trailing slash).
	URL string

	ts   *httptest.Server
	opts Options
	log  *slog.Logger

	faults   fakehttp.Queue[Fault]
	requests fakehttp.Log[Request]

	mu              sync.Mutex
	accessTokens    map[string]time.Time // token -> expiry
	refreshTokens   map[string]bool
	codes           map[string]authCode
	invalidGrant    bool
	denyConsent     bool
	thumbsForbidden bool
	sessions        map[string]*session
	videos          map[string]*Video
	videoOrder      []string
	authRequests    []url.Values
	quota           QuotaUsage
}

// New starts a fake on a loopback port. Call Close when done.
func New(opts Options) *Server {
	s := newServer(opts)
	s.ts = httptest.NewServer(s)
	s.URL = s.ts.URL
	return s
}

// Start is New for tests: the server is closed by t.Cleanup.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s := New(opts)
	t.Cleanup(s.Close)
	return s
}

func newServer(opts Options) *Server {
	if opts.ClientID == "" {
		opts.ClientID = DefaultClientID
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = DefaultClientSecret
	}
	if opts.RefreshToken == "" {
		opts.RefreshToken = DefaultRefreshToken
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = time.Hour
	}
	if opts.MaxThumbnailBytes <= 0 {
		opts.MaxThumbnailBytes = 2 << 20
	}
	q := &opts.Quota
	if q.DailyUnits <= 0 {
		q.DailyUnits = 10_000
	}
	if q.InsertCallsPerDay <= 0 {
		q.InsertCallsPerDay = 100
	}
	if q.ThumbnailUnits <= 0 {
		q.ThumbnailUnits = 50
	}
	if q.ListUnits <= 0 {
		q.ListUnits = 1
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{
		opts:          opts,
		log:           log,
		accessTokens:  map[string]time.Time{},
		refreshTokens: map[string]bool{opts.RefreshToken: true},
		codes:         map[string]authCode{},
		sessions:      map[string]*session{},
		videos:        map[string]*Video{},
	}
}

// Close shuts the server down.
func (s *Server) Close() {
	if s.ts != nil {
		s.ts.CloseClientConnections()
		s.ts.Close()
	}
}

// Client returns an HTTP client for the server (no credentials added).
func (s *Server) Client() *http.Client { return s.ts.Client() }

// TokenURL is the OAuth token endpoint.
func (s *Server) TokenURL() string { return s.URL + "/token" }

// AuthURL is the OAuth authorization endpoint.
func (s *Server) AuthURL() string { return s.URL + "/o/oauth2/auth" }

// ClientID returns the accepted OAuth client id.
func (s *Server) ClientID() string { return s.opts.ClientID }

// ClientSecret returns the accepted OAuth client secret.
func (s *Server) ClientSecret() string { return s.opts.ClientSecret }

// RefreshToken returns the refresh token accepted from the start.
func (s *Server) RefreshToken() string { return s.opts.RefreshToken }

// Inject queues faults. Each fires on the matching requests described by
// its fields and is then removed.
func (s *Server) Inject(faults ...Fault) {
	queued := make([]Fault, 0, len(faults))
	for _, f := range faults {
		if f.Times <= 0 {
			f.Times = 1
		}
		queued = append(queued, f)
	}
	s.faults.Push(queued...)
}

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() { s.faults.Clear() }

// PendingFaults returns how many queued faults have not fired yet.
func (s *Server) PendingFaults() int { return s.faults.Len() }

// ExpireAccessTokens makes every access token issued so far invalid, so the
// next API call answers 401 and the client must refresh.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok := range s.accessTokens {
		s.accessTokens[tok] = time.Time{}
	}
}

// SetInvalidGrant makes the token endpoint refuse every refresh token with
// invalid_grant (as Google does for an expired or revoked grant) while on.
func (s *Server) SetInvalidGrant(on bool) {
	s.mu.Lock()
	s.invalidGrant = on
	s.mu.Unlock()
}

// SetDenyConsent makes the authorization endpoint redirect with
// error=access_denied while on.
func (s *Server) SetDenyConsent(on bool) {
	s.mu.Lock()
	s.denyConsent = on
	s.mu.Unlock()
}

// SetThumbnailsForbidden makes thumbnails.set answer 403 forbidden (a
// channel not allowed custom thumbnails) while on.
func (s *Server) SetThumbnailsForbidden(on bool) {
	s.mu.Lock()
	s.thumbsForbidden = on
	s.mu.Unlock()
}

// ExpireSessions makes every existing upload session answer status (404 or
// 410) from now on.
func (s *Server) ExpireSessions(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ss := range s.sessions {
		ss.gone = status
	}
}

// ExpireSession makes one session answer status from now on. id is the
// upload_id or the whole session URI. It reports whether it was found.
func (s *Server) ExpireSession(id string, status int) bool {
	id = uploadIDOf(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.sessions[id]
	if ok {
		ss.gone = status
	}
	return ok
}

// Requests returns a copy of every request received so far, in order.
func (s *Server) Requests() []Request { return s.requests.All() }

// RequestsSince returns the requests after the first n (see Requests).
func (s *Server) RequestsSince(n int) []Request { return s.requests.Since(n) }

// AuthRequests returns the query of every authorization request.
func (s *Server) AuthRequests() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.authRequests)
}

// QuotaUsage returns what was spent since the last ResetQuota.
func (s *Server) QuotaUsage() QuotaUsage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.quota
}

// SetQuotaUsage sets the spent amounts (ResetQuota is SetQuotaUsage of zero).
func (s *Server) SetQuotaUsage(u QuotaUsage) {
	s.mu.Lock()
	s.quota = u
	s.mu.Unlock()
}

// ResetQuota starts a new quota day.
func (s *Server) ResetQuota() { s.SetQuotaUsage(QuotaUsage{}) }

// ServeHTTP routes a request. The Server can be mounted in another mux.
//
// A request is recorded when it arrives and its record completed before
// the answer leaves (or the connection is dropped), so a client that got
// its answer always finds the request complete in Requests.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body := &countingBody{r: r.Body}
	r.Body = body
	op := classify(r)
	entry := Request{
		Time:         time.Now(),
		Op:           op,
		Method:       r.Method,
		Path:         r.URL.Path,
		Query:        r.URL.Query(),
		UploadID:     r.URL.Query().Get("upload_id"),
		ContentRange: r.Header.Get("Content-Range"),
		ContentType:  r.Header.Get("Content-Type"),
		Header:       r.Header.Clone(),
	}
	if strings.HasPrefix(entry.Header.Get("Authorization"), "Bearer ") {
		entry.Header.Set("Authorization", "Bearer ***")
	}
	save := s.requests.Record(&entry)
	w = fakehttp.BeforeAnswer(w, func(code int) {
		entry.Status, entry.Bytes, entry.Cut = code, body.n, code == 0
		save()
	})
	cut := s.route(w, r, op)
	if !cut {
		entry.Bytes = body.n
		save()
	}
	s.log.Debug("fakeyoutube request", "op", op, "method", r.Method, "path", r.URL.Path,
		"content_range", entry.ContentRange, "bytes", body.n, "status", entry.Status, "cut", cut)
}

func classify(r *http.Request) Op {
	p := r.URL.Path
	q := r.URL.Query()
	switch {
	case p == "/token" || p == "/o/oauth2/token":
		return OpToken
	case p == "/o/oauth2/auth" || p == "/o/oauth2/v2/auth":
		return OpAuthorize
	case p == "/upload/youtube/v3/videos" && q.Get("upload_id") != "":
		if m := contentRangeRe.FindStringSubmatch(r.Header.Get("Content-Range")); m != nil && m[1] == "*" {
			return OpStatus
		}
		return OpChunk
	case (p == "/upload/youtube/v3/videos" || p == "/youtube/v3/videos") && r.Method == http.MethodPost:
		return OpInsert
	case p == "/upload/youtube/v3/thumbnails/set" || p == "/youtube/v3/thumbnails/set":
		return OpThumbnail
	case p == "/youtube/v3/videos" && r.Method == http.MethodGet:
		return OpList
	case p == "/youtube/v3/channels" && r.Method == http.MethodGet:
		return OpChannels
	}
	return OpOther
}

// route handles r and reports whether the connection was cut.
func (s *Server) route(w http.ResponseWriter, r *http.Request, op Op) (cut bool) {
	if f, ok := s.takeFault(op); ok {
		if f.Delay > 0 && !fakehttp.Sleep(r.Context(), f.Delay) {
			return false
		}
		if f.Drop {
			io.Copy(io.Discard, r.Body)
			return hangUp(w)
		}
		if f.Status != 0 {
			io.Copy(io.Discard, r.Body)
			if op == OpToken {
				writeOAuthError(w, f.Status, f.Reason, f.Message)
			} else {
				writeFault(w, &f)
			}
			return false
		}
	}
	switch op {
	case OpToken:
		s.handleToken(w, r)
	case OpAuthorize:
		s.handleAuthorize(w, r)
	case OpInsert:
		s.handleInsert(w, r)
	case OpChunk, OpStatus:
		return s.handleSession(w, r, op)
	case OpThumbnail:
		s.handleThumbnail(w, r)
	case OpList:
		s.handleList(w, r)
	case OpChannels:
		s.handleChannels(w, r)
	default:
		writeError(w, http.StatusNotFound, "notFound", "global", "The requested URL "+r.URL.Path+" was not found on this server.")
	}
	return false
}

// takeFault returns the first queued fault that fires for op, if any.
// Cut faults are handled by the session handler instead.
func (s *Server) takeFault(op Op) (Fault, bool) {
	return s.faults.Take(func(f *Fault) (use, keep bool) {
		if f.isCut() || !f.matches(op) {
			return false, false
		}
		if f.Skip > 0 {
			f.Skip--
			return false, false
		}
		f.Times--
		return true, f.Times > 0
	})
}

// hangUp drops the client connection without an answer. It reports true
// when the connection could be taken over.
func hangUp(w http.ResponseWriter) bool {
	rc := http.NewResponseController(w)
	conn, _, err := rc.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // aborts the connection without a reply
	}
	if tc, ok := conn.(interface{ SetLinger(int) error }); ok {
		tc.SetLinger(0) // reset, as a dropped connection looks to the client
	}
	conn.Close()
	return true
}

func newID(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// countingBody counts the bytes a handler reads.
type countingBody struct {
	r io.ReadCloser
	n int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingBody) Close() error { return c.r.Close() }
