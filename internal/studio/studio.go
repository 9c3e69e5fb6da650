// Package studio is YTMaker Studio, the web app served at / next to the
// JSON API: projects with live progress, a form to make a video from a
// text, each project's stages, assets and result, batches, and the
// system's health. Pages are rendered on the server with html/template
// from what the API answers (called in-process, so the rules live in one
// place); a small script keeps them live over Server-Sent Events and
// sends changes to /api/v1. Every asset is embedded: the studio works
// offline and asks no other host for anything. English and Traditional
// Chinese, picked from Accept-Language or the user's choice.
package studio

import (
	"context"
	"crypto/sha256"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ytmaker/ytmaker/internal/store"
)

//go:embed templates/*.html static/*
var files embed.FS

// Config configures the studio.
type Config struct {
	// API is YTMaker's JSON API handler; the studio reads through it
	// in-process. Required.
	API http.Handler
	// Store locates project folders (assets) and DATA_DIR/music. Required.
	Store *store.Store
	// Redis carries the progress of every project to the list pages.
	Redis redis.UniversalClient
	// Token is API_TOKEN: when set, browsers sign in with it first.
	Token string
	// YouTube connects a channel from the System page with OAuth in the
	// browser; nil when no OAuth client is configured.
	YouTube YouTubeConnector
	// SessionTTL is how long a sign-in lasts (default 7 days).
	SessionTTL time.Duration
	// KeepAlive is how often an idle event stream gets a comment
	// (default 15s).
	KeepAlive time.Duration
	Logger    *slog.Logger
}

// Server is the studio's HTTP handler.
type Server struct {
	cfg      Config
	log      *slog.Logger
	handler  http.Handler
	pages    map[string]map[string]*template.Template // page → language → template
	sessions *sessions
	tokenSum [sha256.Size]byte
	static   http.Handler

	done      chan struct{}
	closeOnce sync.Once
}

// New returns the studio.
func New(cfg Config) (*Server, error) {
	if cfg.API == nil || cfg.Store == nil {
		return nil, errors.New("studio: Config.API and Config.Store are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.KeepAlive <= 0 {
		cfg.KeepAlive = 15 * time.Second
	}
	s := &Server{cfg: cfg, log: cfg.Logger.With("component", "studio"), sessions: newSessions(cfg.SessionTTL),
		done: make(chan struct{})}
	if cfg.Token != "" {
		s.tokenSum = sha256.Sum256([]byte(cfg.Token))
	}
	var err error
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	sub, err := fs.Sub(files, "static")
	if err != nil {
		return nil, err
	}
	s.static = http.StripPrefix("/static/", http.FileServerFS(sub))

	mux := http.NewServeMux()
	mux.HandleFunc("GET /static/", s.serveStatic)
	mux.HandleFunc("GET /signin", s.signinPage)
	mux.HandleFunc("POST /signin", s.signin)
	mux.HandleFunc("POST /signout", s.signout)
	mux.HandleFunc("GET /lang/{lang}", s.switchLanguage)
	mux.HandleFunc("GET /{$}", s.page(s.projectsPage))
	mux.HandleFunc("GET /new", s.page(s.newPage))
	mux.HandleFunc("POST /detect-language", s.private(s.detectLanguage))
	mux.HandleFunc("GET /projects/{id}", s.page(s.projectPage))
	mux.HandleFunc("GET /projects/{id}/live", s.private(s.projectLive))
	mux.HandleFunc("GET /projects/{id}/assets/{kind}/{n}", s.private(s.assetFile))
	mux.HandleFunc("GET /batches", s.page(s.batchesPage))
	mux.HandleFunc("GET /batches/{id}", s.page(s.batchPage))
	mux.HandleFunc("GET /batches/{id}/live", s.private(s.batchLive))
	mux.HandleFunc("GET /brands", s.page(s.brandsPage))
	mux.HandleFunc("GET /brands/new", s.page(s.brandFormPage))
	mux.HandleFunc("GET /brands/{name}/edit", s.page(s.brandFormPage))
	mux.HandleFunc("GET /system", s.page(s.systemPage))
	mux.HandleFunc("POST /system/youtube", s.private(s.connectYouTube))
	mux.HandleFunc("GET "+youTubeCallback, s.youTubeAnswer)
	mux.HandleFunc("GET /events", s.private(s.events))
	mux.HandleFunc("/", s.page(s.notFound))
	// State-changing requests from other sites are refused (as the API
	// does): the browser's Sec-Fetch-Site, else Origin against Host.
	s.handler = http.NewCrossOriginProtection().Handler(mux)
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; media-src 'self'; "+
		"style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "+
		"form-action 'self'; frame-ancestors 'none'")
	s.handler.ServeHTTP(w, r)
}

// Shutdown ends the studio's live event streams. Register it with
// http.Server.RegisterOnShutdown.
func (s *Server) Shutdown() { s.closeOnce.Do(func() { close(s.done) }) }

// SignedIn reports whether the request carries a live studio session.
// The API accepts such requests (api.Config.Session), so the pages'
// scripts can call /api/v1 without ever holding the token.
func (s *Server) SignedIn(r *http.Request) bool {
	c, err := r.Cookie(sessionCookie)
	return err == nil && s.sessions.valid(c.Value)
}

func (s *Server) open() bool { return s.cfg.Token == "" }

// page wraps a page handler: without a session (when a token is set) the
// browser goes to the sign-in page, and comes back after.
func (s *Server) page(fn func(w http.ResponseWriter, r *http.Request, v *view)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.open() && !s.SignedIn(r) {
			http.Redirect(w, r, "/signin?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		fn(w, r, s.newView(r))
	}
}

// private wraps a data endpoint of the pages: 401 without a session.
func (s *Server) private(fn http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.open() && !s.SignedIn(r) {
			http.Error(w, "sign in first", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		fn(w, r)
	}
}

// serveStatic serves the embedded CSS, script and icon. They change only
// with the binary, so browsers may keep them briefly.
func (s *Server) serveStatic(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=300")
	s.static.ServeHTTP(w, r)
}

func (s *Server) signinPage(w http.ResponseWriter, r *http.Request) {
	if s.open() || s.SignedIn(r) {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	v := s.newView(r)
	v.Data = map[string]string{"Next": safeNext(r.URL.Query().Get("next"))}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, http.StatusOK, "signin", v)
}

// signin exchanges the token for a session cookie.
func (s *Server) signin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	if s.open() {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	token := strings.TrimSpace(r.PostForm.Get("token"))
	if !tokenMatches(token, s.tokenSum) {
		v := s.newView(r)
		msg := "signin.wrong"
		if token == "" {
			msg = "signin.missing"
		}
		v.Data = map[string]string{"Next": next, "Error": v.T(msg)}
		w.Header().Set("Cache-Control", "no-store")
		// 200: the form again, with the message (browsers log a 401
		// page as an error).
		s.render(w, http.StatusOK, "signin", v)
		return
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.sessions.end(c.Value) // a fresh ID on every sign-in
	}
	setSessionCookie(w, r, s.sessions.create(), s.sessions.ttl)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) signout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.sessions.end(c.Value)
	}
	clearSessionCookie(w, r)
	target := "/signin"
	if s.open() {
		target = "/"
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// switchLanguage remembers the chosen language and goes back.
func (s *Server) switchLanguage(w http.ResponseWriter, r *http.Request) {
	lang, ok := supported(r.PathValue("lang"))
	if !ok {
		http.Error(w, "unsupported language", http.StatusNotFound)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
}

// safeNext keeps a redirect target on this site: a path, never a
// scheme-relative or absolute URL. Browsers drop tabs and line breaks from
// a Location and read a backslash as a slash, so "/\t/evil.example" would
// lead to //evil.example: a target holding a control character, a space
// or a backslash anywhere is refused (a path from RequestURI never has
// one; they arrive escaped).
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/signin") ||
		strings.ContainsFunc(next, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '\\' }) {
		return "/"
	}
	return next
}

// events streams every project's progress messages (the list pages show
// many projects; one stream serves them all).
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Redis == nil {
		http.Error(w, "no live progress", http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	ps := s.cfg.Redis.PSubscribe(ctx, progressPattern)
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		http.Error(w, "redis is not answering", http.StatusServiceUnavailable)
		return
	}
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write([]byte("retry: 2000\n: connected\n\n")); err != nil || rc.Flush() != nil {
		return
	}
	msgs := ps.Channel(redis.WithChannelSize(256))
	keep := time.NewTicker(s.cfg.KeepAlive)
	defer keep.Stop()
	for {
		select {
		case m, ok := <-msgs:
			if !ok {
				return
			}
			if strings.ContainsAny(m.Payload, "\r\n") {
				continue // one line per event; publishers send compact JSON
			}
			if _, err := w.Write([]byte("data: " + m.Payload + "\n\n")); err != nil || rc.Flush() != nil {
				return
			}
		case <-keep.C:
			if _, err := w.Write([]byte(": keep-alive\n\n")); err != nil || rc.Flush() != nil {
				return
			}
		case <-ctx.Done():
			return
		case <-s.done:
			return
		}
	}
}

// progressPattern matches every project's progress channel
// (progress.Channel).
const progressPattern = "progress:*"
