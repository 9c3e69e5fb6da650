package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/api/wire"
	"github.com/ytmaker/ytmaker/internal/providers/catalog"
)

// ProviderCatalog lists the services and tests their keys (a
// *catalog.Catalog).
type ProviderCatalog interface {
	List() []catalog.Provider
	Defaults() map[string]string
	TestInterval() time.Duration
	Test(ctx context.Context, name string) (catalog.Result, error)
}

func (s *Server) listProviders(w http.ResponseWriter, r *http.Request) {
	out := wire.ProviderList{Providers: []wire.Provider{}, Defaults: map[string]string{}}
	if s.cfg.Providers != nil {
		for _, p := range s.cfg.Providers.List() {
			out.Providers = append(out.Providers, wire.Provider{Name: p.Name, Kind: p.Kind, Choice: p.Choice, Title: p.Title,
				Configured: p.Configured, Default: p.Default, BuiltIn: p.BuiltIn, Host: p.Host, Model: p.Model, Voice: p.Voice,
				Settings: p.Settings})
		}
		out.Defaults = s.cfg.Providers.Defaults()
		out.TestIntervalSeconds = s.cfg.Providers.TestInterval().Seconds()
	}
	writeData(w, http.StatusOK, out)
}

// testProvider makes the service's cheapest real call. A call that was
// made answers 200, ok or not; the service's failure is in error.
func (s *Server) testProvider(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if s.cfg.Providers == nil {
		s.fail(w, r, newError(http.StatusNotFound, catalog.CodeNotFound, "no service named %q", name).with("name", name))
		return
	}
	res, err := s.cfg.Providers.Test(r.Context(), name)
	if err != nil {
		e, _ := errcode.As(err)
		switch errcode.Code(err) {
		case catalog.CodeNotFound:
			s.fail(w, r, newError(http.StatusNotFound, e.Code, "%s", e.Message).with("name", name))
		case catalog.CodeNotConfigured:
			s.fail(w, r, newError(http.StatusConflict, e.Code, "%s", e.Message).with("name", name))
		case catalog.CodeTestTooSoon:
			secs := int((e.RetryAfter + time.Second - 1) / time.Second)
			w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
			s.fail(w, r, newError(http.StatusTooManyRequests, e.Code, "%s", e.Message).with("name", name).
				with("retry_after_seconds", max(secs, 1)))
		default:
			s.fail(w, r, err)
		}
		return
	}
	if !res.OK && res.Error != nil {
		s.log.Info("provider test failed", "provider", res.Name, "code", res.Error.Code)
	}
	writeData(w, http.StatusOK, wire.ProviderTest{Name: res.Name, OK: res.OK, LatencyMS: res.Latency.Milliseconds(),
		Message: res.Message, Error: res.Error, TestedAt: res.TestedAt})
}
