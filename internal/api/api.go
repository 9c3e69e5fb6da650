// Package api serves YTMaker over HTTP: /status and /health, the JSON API
// under /api/v1, live progress (WebSocket and Server-Sent Events), the
// queue dashboard and Prometheus metrics.
package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/ytmaker/ytmaker/procman"
)

// StatusFunc reports the health of the background services.
type StatusFunc func(ctx context.Context) procman.Status

// Config configures the HTTP handler.
type Config struct {
	Status StatusFunc
	Logger *slog.Logger
}

// Server is YTMaker's HTTP handler.
type Server struct {
	cfg Config
	log *slog.Logger
	mux *http.ServeMux
}

// New returns the handler.
func New(cfg Config) *Server {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: log, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /status", s.status)
	s.mux.HandleFunc("GET /health", s.health)
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// status always answers 200 with the seed's document.
func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	st := s.cfg.Status(r.Context())
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "data": st})
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "healthy", "timestamp": time.Now().UTC().Format(time.RFC3339)})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}
