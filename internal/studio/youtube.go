package studio

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
)

// YouTubeConnector connects a YouTube channel with OAuth in the browser:
// Start returns the consent address for an authorization that answers at
// redirect; Finish takes that answer's query and saves the token.
type YouTubeConnector interface {
	Start(redirect string) (authURL string, err error)
	Finish(ctx context.Context, answer url.Values) error
	Connected() (ok bool, since time.Time)
}

// youTubeCallback is where Google sends the browser back. It must be
// registered with the OAuth client (a "Desktop app" client accepts any
// loopback address, so a studio opened at 127.0.0.1 needs nothing more).
const youTubeCallback = "/oauth/youtube/callback"

// connectYouTube sends the browser to Google's consent page. The form is
// a POST from a signed-in page, so a cross-site page cannot start it.
func (s *Server) connectYouTube(w http.ResponseWriter, r *http.Request) {
	if s.cfg.YouTube == nil {
		http.Redirect(w, r, "/system", http.StatusSeeOther)
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	authURL, err := s.cfg.YouTube.Start(scheme + "://" + r.Host + youTubeCallback)
	if err != nil {
		s.youTubePage(w, r, http.StatusBadRequest, err)
		return
	}
	http.Redirect(w, r, authURL, http.StatusSeeOther)
}

// youTubeAnswer receives Google's redirect. It needs no session: the
// browser arrives from Google's site, so a SameSite=Strict cookie is not
// sent; the single-use state Start made is what proves the answer.
func (s *Server) youTubeAnswer(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if s.cfg.YouTube == nil {
		s.notFound(w, r, s.newView(r))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	err := s.cfg.YouTube.Finish(ctx, r.URL.Query())
	if err != nil {
		s.log.Warn("youtube authorization failed", "code", errcode.Code(err))
		s.youTubePage(w, r, http.StatusBadRequest, err)
		return
	}
	s.log.Info("youtube channel connected")
	s.youTubePage(w, r, http.StatusOK, nil)
}

func (s *Server) youTubePage(w http.ResponseWriter, r *http.Request, status int, err error) {
	v := s.newView(r)
	d := map[string]any{"OK": err == nil}
	if err != nil {
		v.Title = v.T("youtube.failed")
		d["Message"] = errcode.Classify(err).Message
	} else {
		v.Title = v.T("youtube.connected")
		d["Message"] = v.T("youtube.connected.text")
	}
	v.Nav, v.Data = "system", d
	s.render(w, status, "youtube", v)
}
