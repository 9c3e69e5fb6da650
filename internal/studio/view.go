package studio

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/internal/api/wire"
)

// view is what every page template gets.
type view struct {
	Lang     string
	Path     string // the request's path and query, for the language switch
	Nav      string // which menu item is current
	Title    string
	AuthOn   bool // a token is set: show "sign out"
	SignedIn bool
	Data     any
}

// T translates a message into the page's language.
func (v *view) T(key string, args ...any) string { return translate(v.Lang, key, args...) }

func (s *Server) newView(r *http.Request) *view {
	return &view{Lang: pickLanguage(r), Path: r.URL.RequestURI(), AuthOn: !s.open(), SignedIn: s.SignedIn(r)}
}

// pageNames are the page templates; each is rendered inside layout.html.
var pageNames = []string{"projects", "new", "project", "batches", "batch", "system", "signin", "notfound", "youtube", "brands", "brand"}

// partials are rendered alone (live updates of a page's parts).
var partials = []string{"project_live", "batch_live"}

func parsePages() (map[string]map[string]*template.Template, error) {
	out := map[string]map[string]*template.Template{}
	for _, lang := range []string{LangEnglish, LangChinese} {
		base, err := template.New("layout.html").Funcs(funcs(lang)).ParseFS(files, "templates/layout.html", "templates/parts.html")
		if err != nil {
			return nil, fmt.Errorf("studio: templates: %w", err)
		}
		for _, name := range pageNames {
			t, err := template.Must(base.Clone()).ParseFS(files, "templates/"+name+".html")
			if err != nil {
				return nil, fmt.Errorf("studio: template %s: %w", name, err)
			}
			if out[name] == nil {
				out[name] = map[string]*template.Template{}
			}
			out[name][lang] = t
		}
		for _, name := range partials {
			if out[name] == nil {
				out[name] = map[string]*template.Template{}
			}
			out[name][lang] = base
		}
	}
	return out, nil
}

// funcs are the template functions, bound to one language.
func funcs(lang string) template.FuncMap {
	return template.FuncMap{
		"t": func(key string, args ...any) string { return translate(lang, key, args...) },
		// tk translates a key built from parts ("status." + s).
		"tk": func(parts ...any) string {
			var b strings.Builder
			for _, p := range parts {
				fmt.Fprint(&b, p)
			}
			return translate(lang, b.String())
		},
		"when": func(t any) string {
			switch v := t.(type) {
			case time.Time:
				if v.IsZero() {
					return ""
				}
				return v.Local().Format("2006-01-02 15:04")
			case *time.Time:
				if v == nil || v.IsZero() {
					return ""
				}
				return v.Local().Format("2006-01-02 15:04")
			}
			return ""
		},
		"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"seconds": func(f *float64) string {
			if f == nil {
				return ""
			}
			return formatDuration(time.Duration(*f * float64(time.Second)))
		},
		"explain": func(code string) map[string]string {
			k := explainKey(code)
			return map[string]string{"What": translate(lang, k+".what"), "Do": translate(lang, k+".do")}
		},
		"statusClass": statusClass,
		"notUploaded": func(status string) string { return notUploaded(lang, status) },
		// tv shows a setting's value in the page's language: the message
		// prefix+value when there is one, else the value as it is.
		"tv": func(prefix, value string) string {
			if _, ok := english[prefix+value]; ok {
				return translate(lang, prefix+value)
			}
			return value
		},
		"add": func(a, b int) int { return a + b },
		"json": func(v any) (template.JS, error) {
			b, err := json.Marshal(v)
			return template.JS(b), err
		},
		"messages":   func() map[string]string { return clientMessages(lang) },
		"qs":         func(v url.Values) string { return v.Encode() },
		"lower":      strings.ToLower,
		"join":       strings.Join,
		"trimPrefix": func(s, prefix string) string { return strings.TrimPrefix(s, prefix) },
	}
}

// formatDuration prints a duration for people: 1m05s, 12s, 0.4s.
func formatDuration(d time.Duration) string {
	switch {
	case d < 10*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// statusClass groups project statuses for the badge colours.
func statusClass(status any) string {
	switch fmt.Sprint(status) {
	case "COMPLETED":
		return "ok"
	case "FAILED":
		return "bad"
	case "CANCELLED":
		return "off"
	case "PAUSED", "SCRIPT_REVIEW":
		return "warn"
	case "INITIALIZED", "SCRIPT_GENERATED", "ASSETS_GENERATED", "RENDERED", "THUMBNAIL_GENERATED":
		return "idle"
	}
	return "busy"
}

// render writes a page (inside the layout) or a partial.
func (s *Server) render(w http.ResponseWriter, code int, name string, v *view) {
	var buf bytes.Buffer
	t := s.pages[name][v.Lang]
	var err error
	if contains(partials, name) {
		err = t.ExecuteTemplate(&buf, name, v)
	} else {
		err = t.ExecuteTemplate(&buf, "layout.html", v)
	}
	if err != nil {
		s.log.Error("rendering a page", "page", name, "err", err)
		http.Error(w, "the page could not be rendered; the server log has the details", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// apiError is an error answer of the API.
type apiError struct {
	Status int
	Body   wire.Error
}

func (e *apiError) Error() string { return e.Body.Code + ": " + e.Body.Message }

// call sends one request to the API in-process, as the signed-in user,
// and decodes the envelope's data into out (raw: out receives the body
// as is).
func (s *Server) call(ctx context.Context, r *http.Request, method, path string, out any, raw bool) error {
	req, err := http.NewRequestWithContext(ctx, method, path, nil)
	if err != nil {
		return err
	}
	req.Host = r.Host
	req.RemoteAddr = r.RemoteAddr
	if s.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+s.cfg.Token)
	}
	rec := &recorder{header: http.Header{}}
	s.cfg.API.ServeHTTP(rec, req)
	if rec.code == 0 {
		rec.code = http.StatusOK
	}
	if raw && rec.code == http.StatusOK {
		return json.Unmarshal(rec.body.Bytes(), out)
	}
	var env struct {
		Success bool            `json:"success"`
		Data    json.RawMessage `json:"data"`
		Error   *wire.Error     `json:"error"`
	}
	if err := json.Unmarshal(rec.body.Bytes(), &env); err != nil {
		return fmt.Errorf("studio: %s %s answered %d with %q", method, path, rec.code, truncate(rec.body.String(), 200))
	}
	if !env.Success || rec.code >= 300 {
		e := &apiError{Status: rec.code}
		if env.Error != nil {
			e.Body = *env.Error
		} else {
			e.Body.Code, e.Body.Message = "UNEXPECTED_ANSWER", fmt.Sprintf("%s %s answered %d", method, path, rec.code)
		}
		return e
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(env.Data, out)
}

func (s *Server) get(r *http.Request, path string, out any) error {
	return s.call(r.Context(), r, http.MethodGet, path, out, false)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// recorder is the response of an in-process API call.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.body.Write(b)
}

var _ io.Writer = (*recorder)(nil)

// fail answers a page whose data could not be read: the API's 404 (and
// its 422 for a name that cannot exist, such as /brands/EVIL/edit) as the
// not-found page, another refusal of the request with the API's status
// and message, and anything else (the API unreachable or failing) as a
// 502 error page.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, v *view, err error) {
	code := http.StatusBadGateway
	if ae, ok := err.(*apiError); ok {
		switch {
		case ae.Status == http.StatusNotFound || ae.Status == http.StatusUnprocessableEntity:
			s.notFound(w, r, v)
			return
		case ae.Status >= 400 && ae.Status < 500:
			code = ae.Status
		}
	}
	if code >= 500 {
		s.log.Warn("studio page failed", "path", r.URL.Path, "err", err)
	}
	v.Title = v.T("error.title")
	v.Data = map[string]string{"Message": err.Error()}
	s.render(w, code, "notfound", v)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request, v *view) {
	v.Title = v.T("notfound.title")
	s.render(w, http.StatusNotFound, "notfound", v)
}

// notUploaded says why a video was not uploaded, in the page's language:
// the upload stage's known reasons are translated, any other is shown as
// it came.
func notUploaded(lang, status string) string {
	reason := strings.TrimPrefix(status, "not uploaded: ")
	for prefix, key := range map[string]string{
		"no YouTube credentials":    "project.notuploaded.nocredentials",
		"uploading is turned off":   "project.notuploaded.off",
		"the video is not finished": "project.notuploaded.unfinished",
	} {
		if strings.HasPrefix(reason, prefix) {
			reason = translate(lang, key)
			break
		}
	}
	return translate(lang, "project.notuploaded", reason)
}
