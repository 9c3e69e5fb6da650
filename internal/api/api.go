// Package api serves YTMaker over HTTP: /status and /health, the JSON API
// under /api/v1, live progress (WebSocket and Server-Sent Events), the
// queue dashboard and Prometheus metrics.
//
// Every JSON answer is an envelope: {"success":true,"data":...} or
// {"success":false,"error":{"code":"...","message":"...","details":{...}}}.
// Bad input never causes a 500: malformed bodies are 400, oversized ones
// 413, unsupported media types 415, unknown IDs 404, wrong states 409 and
// invalid values 422 (with details.field).
package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ytmaker/ytmaker/internal/engine"
	"github.com/ytmaker/ytmaker/internal/media/ffmpeg"
	"github.com/ytmaker/ytmaker/internal/ownmedia"
	"github.com/ytmaker/ytmaker/internal/quota"
	"github.com/ytmaker/ytmaker/internal/store"
	"github.com/ytmaker/ytmaker/procman"
	"github.com/ytmaker/ytmaker/progress"
)

// Default limits.
const (
	DefaultMaxJSONBytes   = 1 << 20  // 1 MiB
	DefaultMaxUploadBytes = 10 << 20 // 10 MiB
	DefaultPingInterval   = 30 * time.Second
	DefaultKeepAlive      = 15 * time.Second
)

// Prefix is where the JSON API lives.
const Prefix = "/api/v1"

// StatusFunc reports the health of the background services.
type StatusFunc func(ctx context.Context) procman.Status

// QuotaSource reports quota usage (a *quota.Tracker).
type QuotaSource interface {
	Snapshot(ctx context.Context) (quota.Snapshot, error)
}

// Observer sees every finished HTTP request (metrics). route is the
// matched pattern, such as "GET /api/v1/projects/{id}".
type Observer interface {
	ObserveHTTP(route string, status int, d time.Duration)
}

// Config configures the HTTP handler.
type Config struct {
	// Status serves GET /status.
	Status StatusFunc
	// Engine is the job system; without it only /status, /health,
	// /metrics and /monitor are served.
	Engine *engine.Engine
	// Quotas serves GET /api/v1/quotas (nil: an empty document).
	Quotas QuotaSource
	// Providers serves GET /api/v1/providers and the key tests (nil: an
	// empty list).
	Providers ProviderCatalog
	// Metrics serves GET /metrics (nil: not served).
	Metrics http.Handler
	// Monitor is the queue dashboard, mounted at /monitor/ (nil: not
	// served). Build it with NewMonitor(conn, "/monitor").
	Monitor http.Handler
	// Observer sees every request (nil: none).
	Observer Observer
	// Token, when set, is required as "Authorization: Bearer <token>" on
	// every endpoint except /health. Without it, every endpoint answers
	// only requests whose Host is a loopback name (127.0.0.1, localhost,
	// [::1], any port) or the host of an AllowedOrigins entry; others get
	// 421 HOST_NOT_ALLOWED (a guard against DNS rebinding).
	Token string
	// Session, when set, accepts a request signed in another way (the
	// studio's session cookie) in place of the token.
	Session func(*http.Request) bool
	// MCP serves the Model Context Protocol at /mcp, behind the same
	// authentication as the API (nil: not served).
	MCP http.Handler
	// Studio serves every path outside the API's own (the web app at /).
	// It answers its own sign-in; the middleware (origin checks, metrics,
	// panics) is shared.
	Studio http.Handler
	// AllowedOrigins are other browser origins, such as
	// "http://localhost:3000" (a separate front end), trusted to change
	// state and to open the progress WebSocket. The API's own origin
	// always is.
	AllowedOrigins []string
	// PingInterval is how often WebSocket clients are pinged (default 30s).
	PingInterval time.Duration
	// KeepAlive is how often an idle SSE stream gets a comment (default 15s).
	KeepAlive time.Duration
	// MaxJSONBytes and MaxUploadBytes bound request bodies (defaults 1 MiB
	// and 10 MiB).
	MaxJSONBytes   int64
	MaxUploadBytes int64
	// MaxMediaBytes bounds a segment's own picture or clip (default
	// 200 MiB, ownmedia.MaxBytes).
	MaxMediaBytes int64
	// FFmpeg and FFprobe check uploaded media ("" = from PATH).
	FFmpeg, FFprobe string
	Logger          *slog.Logger
}

// Server is YTMaker's HTTP handler.
type Server struct {
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	handler http.Handler
	routes  []route

	store *store.Store
	orch  *engine.Engine
	rdb   redis.UniversalClient
	hub   *hub
	cache fileCache

	tokenSum [sha256.Size]byte
	origins  map[string]bool // AllowedOrigins, for CORS
	// corsMethods answers preflights: every method of the route table.
	corsMethods string
	hosts       hostCheck // Host values served without a token

	done      chan struct{}
	closeOnce sync.Once

	ffOnce sync.Once // the runner that checks uploaded media
	ff     *ffmpeg.Runner
	ffErr  error
}

// route is one registered endpoint.
type route struct {
	method  string
	pattern string
	handler http.HandlerFunc
}

// New returns the handler.
func New(cfg Config) *Server {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = DefaultPingInterval
	}
	if cfg.KeepAlive <= 0 {
		cfg.KeepAlive = DefaultKeepAlive
	}
	if cfg.MaxJSONBytes <= 0 {
		cfg.MaxJSONBytes = DefaultMaxJSONBytes
	}
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if cfg.MaxMediaBytes <= 0 {
		cfg.MaxMediaBytes = ownmedia.MaxBytes
	}
	s := &Server{cfg: cfg, log: log.With("component", "http"), mux: http.NewServeMux(), done: make(chan struct{})}
	if cfg.Token != "" {
		s.tokenSum = sha256.Sum256([]byte(cfg.Token))
	}
	if cfg.Engine != nil {
		s.store = cfg.Engine.Store()
		s.orch = cfg.Engine
		s.rdb = cfg.Engine.Redis()
		s.hub = newHub(func(ctx context.Context, id int64) (*progress.Subscription, error) {
			return progress.Subscribe(ctx, s.rdb, id)
		}, 64)
	}
	var methods []string
	for _, rt := range s.routeTable() {
		s.mux.HandleFunc(rt.method+" "+rt.pattern, rt.handler)
		s.routes = append(s.routes, rt)
		if !contains(methods, rt.method) {
			methods = append(methods, rt.method)
		}
	}
	// A front end on an allowed origin may use every method a route has
	// (PUT included: scripts, media, brands, templates).
	s.corsMethods = strings.Join(methods, ", ")
	if cfg.Monitor != nil {
		s.mux.Handle("/monitor/", cfg.Monitor)
	}
	if cfg.MCP != nil {
		s.mux.Handle("/mcp", cfg.MCP)
	}
	s.hosts = newHostCheck(cfg.AllowedOrigins)
	cop := http.NewCrossOriginProtection()
	s.origins = map[string]bool{}
	for _, o := range cfg.AllowedOrigins {
		o = strings.TrimRight(o, "/")
		if err := cop.AddTrustedOrigin(o); err != nil {
			s.log.Warn("ignoring an allowed origin", "origin", o, "err", err)
			continue
		}
		s.origins[o] = true
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, newError(http.StatusForbidden, "CROSS_ORIGIN_REJECTED",
			"cross-origin browser requests that change state are refused"))
	}))
	crossOrigin := cop.Handler(http.HandlerFunc(s.route))
	s.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if cfg.Token == "" && !s.hosts.guard(w, r) {
			return
		}
		crossOrigin.ServeHTTP(w, r)
	})
	return s
}

// routeTable lists every endpoint. The OpenAPI document describes exactly
// these (a test checks both directions).
func (s *Server) routeTable() []route {
	rs := []route{
		{"GET", "/status", s.status},
		{"GET", "/health", s.health},
	}
	if s.cfg.Metrics != nil {
		rs = append(rs, route{"GET", "/metrics", s.cfg.Metrics.ServeHTTP})
	}
	rs = append(rs, route{"GET", Prefix + "/openapi.json", s.openAPI})
	if s.orch == nil {
		return rs
	}
	p := Prefix
	return append(rs,
		route{"POST", p + "/projects", s.createProject},
		route{"GET", p + "/projects", s.listProjects},
		route{"GET", p + "/projects/{id}", s.getProject},
		route{"PATCH", p + "/projects/{id}", s.patchProject},
		route{"DELETE", p + "/projects/{id}", s.deleteProject},
		route{"POST", p + "/projects/{id}/generate", s.generate},
		route{"POST", p + "/projects/{id}/pause", s.pause},
		route{"POST", p + "/projects/{id}/resume", s.resume},
		route{"POST", p + "/projects/{id}/cancel", s.cancel},
		route{"POST", p + "/projects/{id}/retry", s.retry},
		route{"GET", p + "/projects/{id}/result", s.result},
		route{"GET", p + "/projects/{id}/video", s.download(videoFile)},
		route{"GET", p + "/projects/{id}/thumbnail", s.download(thumbnailFile)},
		route{"GET", p + "/projects/{id}/script", s.download(scriptFile)},
		route{"PUT", p + "/projects/{id}/script", s.putScript},
		route{"POST", p + "/projects/{id}/approve", s.approve},
		route{"GET", p + "/projects/{id}/segments/{n}/media", s.getMedia},
		route{"PUT", p + "/projects/{id}/segments/{n}/media", s.putMedia},
		route{"DELETE", p + "/projects/{id}/segments/{n}/media", s.deleteMedia},
		route{"GET", p + "/projects/{id}/progress", s.progressWS},
		route{"GET", p + "/projects/{id}/events", s.progressSSE},
		route{"POST", p + "/batches", s.createBatch},
		route{"GET", p + "/batches", s.listBatches},
		route{"GET", p + "/batches/{id}", s.getBatch},
		route{"POST", p + "/batches/{id}/start", s.startBatch},
		route{"POST", p + "/batches/{id}/pause", s.pauseBatch},
		route{"POST", p + "/batches/{id}/resume", s.resumeBatch},
		route{"GET", p + "/tasks/{id}", s.getTask},
		route{"POST", p + "/tasks/debug", s.debugTask},
		route{"GET", p + "/quotas", s.getQuotas},
		route{"GET", p + "/providers", s.listProviders},
		route{"POST", p + "/providers/{name}/test", s.testProvider},
		route{"GET", p + "/prompt-templates", s.listPromptTemplates},
		route{"POST", p + "/prompt-templates", s.createPromptTemplate},
		route{"GET", p + "/prompt-templates/{name}", s.getPromptTemplate},
		route{"PUT", p + "/prompt-templates/{name}", s.putPromptTemplate},
		route{"DELETE", p + "/prompt-templates/{name}", s.deletePromptTemplate},
		route{"GET", p + "/brands", s.listBrands},
		route{"POST", p + "/brands", s.createBrand},
		route{"GET", p + "/brands/{name}", s.getBrand},
		route{"PUT", p + "/brands/{name}", s.putBrand},
		route{"DELETE", p + "/brands/{name}", s.deleteBrand},
		route{"PUT", p + "/brands/{name}/logo", s.putBrandLogo},
		route{"GET", p + "/brands/{name}/logo", s.getBrandLogo},
	)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Shutdown ends every live progress stream (WebSocket clients get a
// "going away" close). Register it with http.Server.RegisterOnShutdown:
// streams never become idle, so Shutdown alone would wait for them.
func (s *Server) Shutdown() {
	s.closeOnce.Do(func() {
		close(s.done)
		if s.hub != nil {
			s.hub.close()
		}
		if sh, ok := s.cfg.Studio.(interface{ Shutdown() }); ok {
			sh.Shutdown() // its event streams too
		}
	})
}

// route authenticates, matches and serves a request, turning panics and
// unmatched paths into JSON errors.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rw := &responseWriter{ResponseWriter: w}
	_, pattern := s.mux.Handler(r)
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
			if !rw.wrote {
				writeError(rw, newError(http.StatusInternalServerError, "INTERNAL_ERROR", "internal error; the server log has the details"))
			}
		}
		d := time.Since(start)
		code := rw.statusCode()
		if !rw.wrote && isUpgrade(r) {
			code = http.StatusSwitchingProtocols // hijacked by the WebSocket
		}
		if s.cfg.Observer != nil {
			route := pattern
			if route == "" {
				route = "unmatched"
			}
			s.cfg.Observer.ObserveHTTP(route, code, d)
		}
		// The path only: a query may carry an access token.
		s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", code, "duration", d)
	}()
	rw.Header().Set("X-Content-Type-Options", "nosniff")
	if longLived(r) {
		lift(rw)
	}
	if s.cors(rw, r) {
		return // a preflight, answered
	}
	if pattern == "" && s.cfg.Studio != nil && !s.ownPath(r.URL.Path) {
		pattern = "studio"
		s.cfg.Studio.ServeHTTP(rw, r)
		return
	}
	if !s.authorized(rw, r) {
		return
	}
	if pattern == "" {
		s.noRoute(rw, r)
		return
	}
	s.mux.ServeHTTP(rw, r)
}

// ownPath reports whether path belongs to the API rather than the studio.
func (s *Server) ownPath(path string) bool {
	for _, p := range []string{Prefix + "/", MonitorPath + "/", "/mcp"} {
		if strings.HasPrefix(path, p) || path+"/" == p {
			return true
		}
	}
	return path == "/status" || path == "/health" || path == "/metrics"
}

// cors lets the browser origins in AllowedOrigins read answers (a front
// end served elsewhere). It answers preflight requests itself and reports
// whether it did.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || !s.origins[origin] {
		return false
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	// Let the front end's script read where a new resource is and how
	// long to wait after a 429.
	h.Set("Access-Control-Expose-Headers", "Location, Retry-After")
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	h.Set("Access-Control-Allow-Methods", s.corsMethods)
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Last-Event-ID, Range")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
	return true
}

// noRoute answers a request that matched no pattern: 405 with Allow when
// the path exists for other methods, else 404.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{"GET", "POST", "PATCH", "PUT", "DELETE"} {
		if m == r.Method {
			continue
		}
		r2 := r.Clone(r.Context())
		r2.Method = m
		if _, p := s.mux.Handler(r2); p != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		if contains(allow, "GET") {
			allow = append(allow, "HEAD")
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, newError(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED",
			"%s is not allowed on %s; use %s", r.Method, r.URL.Path, strings.Join(allow, ", ")))
		return
	}
	writeError(w, newError(http.StatusNotFound, "NOT_FOUND", "no endpoint at %s", r.URL.Path))
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// authorized checks the bearer token when one is configured. /health is
// always open. Browsers cannot set headers on EventSource and WebSocket,
// so the two progress streams also take ?access_token=; the dashboard
// also takes HTTP Basic credentials (any user name, the token as
// password) so a browser can log in to it.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.Token == "" || r.URL.Path == "/health" {
		return true
	}
	if s.cfg.Session != nil && r.Header.Get("Authorization") == "" && s.cfg.Session(r) {
		return true
	}
	return checkToken(w, r, s.tokenSum, strings.HasPrefix(r.URL.Path, MonitorPath),
		r.Method == http.MethodGet && isStreamPath(r.URL.Path))
}

// Protect requires token on every request to h (as a bearer token, or as
// the password of HTTP Basic credentials so browsers can log in). With an
// empty token, h answers only loopback Host values and the hosts of
// allowedOrigins (421 HOST_NOT_ALLOWED otherwise), as the API does.
// `ytmaker monitor` uses it.
func Protect(token string, allowedOrigins []string, h http.Handler) http.Handler {
	if token == "" {
		hosts := newHostCheck(allowedOrigins)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if hosts.guard(w, r) {
				h.ServeHTTP(w, r)
			}
		})
	}
	sum := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if checkToken(w, r, sum, true, false) {
			h.ServeHTTP(w, r)
		}
	})
}

// checkToken compares the request's token with the one whose SHA-256 is
// want, in constant time, and answers 401 when it is missing or wrong.
func checkToken(w http.ResponseWriter, r *http.Request, want [sha256.Size]byte, basic, query bool) bool {
	var given string
	auth := r.Header.Get("Authorization")
	if scheme, tok, ok := strings.Cut(auth, " "); ok && strings.EqualFold(scheme, "Bearer") {
		given = strings.TrimSpace(tok)
	} else if _, pass, ok := r.BasicAuth(); ok && basic {
		given = pass
	} else if auth == "" && query {
		given = r.URL.Query().Get("access_token")
	}
	if given != "" {
		sum := sha256.Sum256([]byte(given))
		if subtle.ConstantTimeCompare(sum[:], want[:]) == 1 {
			return true
		}
	}
	w.Header().Add("WWW-Authenticate", `Bearer realm="ytmaker"`)
	if basic {
		w.Header().Add("WWW-Authenticate", `Basic realm="ytmaker monitor"`)
	}
	code, msg := "UNAUTHORIZED", "this server requires Authorization: Bearer <API_TOKEN>"
	if given != "" {
		code, msg = "INVALID_TOKEN", "the API token is wrong"
	}
	writeError(w, newError(http.StatusUnauthorized, code, "%s", msg))
	return false
}

func isStreamPath(p string) bool {
	return strings.HasPrefix(p, Prefix+"/projects/") && (strings.HasSuffix(p, "/events") || strings.HasSuffix(p, "/progress"))
}

// status always answers 200 with the seed's document.
func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Status == nil {
		writeData(w, http.StatusOK, map[string]any{"status": "degraded", "message": "no status source"})
		return
	}
	writeData(w, http.StatusOK, s.cfg.Status(r.Context()))
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "healthy", "timestamp": time.Now().UTC().Format(time.RFC3339)})
}

// responseWriter records the status code for logs and metrics. It
// unwraps for http.ResponseController and WebSocket hijacking.
type responseWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (w *responseWriter) WriteHeader(code int) {
	if !w.wrote {
		w.code, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.code, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets streaming handlers flush through the wrapper.
func (w *responseWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		w.wrote = true
		if w.code == 0 {
			w.code = http.StatusOK
		}
		f.Flush()
	}
}

// Unwrap returns the wrapped writer.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *responseWriter) statusCode() int {
	if w.code == 0 {
		return http.StatusOK // nothing written: net/http answers 200
	}
	return w.code
}

// openAPI serves the OpenAPI 3 document.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(openAPIDocument)
}

var errShutdown = errors.New("server is shutting down")

func isUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}
