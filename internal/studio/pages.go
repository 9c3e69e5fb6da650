package studio

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/internal/api/wire"
	"github.com/ytmaker/ytmaker/internal/brand"
	"github.com/ytmaker/ytmaker/internal/language"
	"github.com/ytmaker/ytmaker/internal/media/slides"
	"github.com/ytmaker/ytmaker/internal/pipeline"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/quota"
	"github.com/ytmaker/ytmaker/internal/script"
	"github.com/ytmaker/ytmaker/procman"
)

// pageSize is the number of projects per page.
const pageSize = 20

// allStatuses are the filter choices of the project list.
var allStatuses = project.AllStatuses

type projectsData struct {
	List     wire.ProjectList
	Status   string
	Query    string
	Page     int
	Pages    int
	Statuses []project.Status
	PrevURL  string
	NextURL  string
}

func (s *Server) projectsPage(w http.ResponseWriter, r *http.Request, v *view) {
	q := r.URL.Query()
	d := projectsData{Statuses: allStatuses, Query: strings.TrimSpace(q.Get("q")), Page: 1}
	if st := project.Status(strings.ToUpper(q.Get("status"))); st.Valid() {
		d.Status = string(st)
	}
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 1 && n < 1<<20 {
		d.Page = n
	}
	api := url.Values{"limit": {strconv.Itoa(pageSize)}, "offset": {strconv.Itoa((d.Page - 1) * pageSize)}}
	if d.Status != "" {
		api.Set("status", d.Status)
	}
	if d.Query != "" {
		api.Set("q", d.Query)
	}
	if err := s.get(r, "/api/v1/projects?"+api.Encode(), &d.List); err != nil {
		s.fail(w, r, v, err)
		return
	}
	d.Pages = max(1, (d.List.Total+pageSize-1)/pageSize)
	link := func(page int) string {
		u := url.Values{}
		if d.Status != "" {
			u.Set("status", d.Status)
		}
		if d.Query != "" {
			u.Set("q", d.Query)
		}
		if page > 1 {
			u.Set("page", strconv.Itoa(page))
		}
		if len(u) == 0 {
			return "/"
		}
		return "/?" + u.Encode()
	}
	if d.Page > 1 {
		d.PrevURL = link(d.Page - 1)
	}
	if d.Page < d.Pages {
		d.NextURL = link(d.Page + 1)
	}
	v.Nav, v.Title, v.Data = "projects", v.T("projects.title"), d
	s.render(w, http.StatusOK, "projects", v)
}

// languages offered on the new-project form (any other tag works through
// the API).
var languages = []struct{ Tag, Name string }{
	{"en", "English"}, {"zh-TW", "正體中文"}, {"zh-CN", "简体中文"}, {"ja", "日本語"}, {"ko", "한국어"},
	{"es", "Español"}, {"fr", "Français"}, {"de", "Deutsch"}, {"pt", "Português"}, {"it", "Italiano"},
	{"vi", "Tiếng Việt"}, {"th", "ไทย"}, {"id", "Bahasa Indonesia"}, {"hi", "हिन्दी"}, {"ru", "Русский"},
}

// musicExts are the background-music files offered.
var musicExts = map[string]bool{".mp3": true, ".m4a": true, ".aac": true, ".wav": true, ".ogg": true, ".flac": true, ".opus": true}

// musicFiles lists DATA_DIR/music (names relative to it).
func (s *Server) musicFiles() []string {
	root := filepath.Join(s.cfg.Store.Root(), "music")
	var out []string
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || len(out) >= 500 {
			return nil
		}
		if d.Type().IsRegular() && musicExts[strings.ToLower(filepath.Ext(path))] {
			if rel, err := filepath.Rel(root, path); err == nil {
				out = append(out, filepath.ToSlash(rel))
			}
		}
		return nil
	})
	sort.Strings(out)
	return out
}

type newData struct {
	Languages any
	Music     []string
	Providers []providerChoice
	Templates []wire.PromptTemplate
	Themes    []string
	Brands    []brand.Brand
}

// providerChoice is one service choice of the form: the setting and the
// values besides "auto".
type providerChoice struct {
	Use     string
	Choices []string
}

func (s *Server) newPage(w http.ResponseWriter, r *http.Request, v *view) {
	d := newData{Languages: languages, Music: s.musicFiles(), Providers: []providerChoice{
		{"script", []string{project.ProviderGemini, project.ProviderOpenAI, project.ProviderOffline}},
		{"tts", []string{project.ProviderGoogle, project.ProviderGemini, project.ProviderOpenAI, project.ProviderElevenLabs, project.ProviderOffline}},
		{"images", []string{project.ProviderStab, project.ProviderOpenAI, project.ProviderGemini, project.ProviderOffline}},
		{"stock", []string{project.ProviderPexels, project.ProviderPixabay}},
		{"avatar", []string{project.ProviderDID, project.ProviderNone}},
	}}
	d.Templates, d.Brands = s.newFormChoices(r)
	d.Themes = slides.ThemeNames()
	v.Nav, v.Title, v.Data = "new", v.T("new.title"), d
	s.render(w, http.StatusOK, "new", v)
}

// detectLanguage answers the language the API would detect for a text.
func (s *Server) detectLanguage(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
	var in struct {
		Text string `json:"text"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, "send {\"text\":\"...\"}", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"language": language.Detect(in.Text)})
}

// projectData is the project page.
type projectData struct {
	P         *wire.Project
	Result    *wire.Result
	Script    *script.Script
	Assets    []segmentView
	Actions   []string // pause, resume, cancel, retry, generate
	Problem   *problem
	Landscape bool
	// MediaEditable: the segments' own media can be changed now (the
	// script exists and no run works on the project).
	MediaEditable bool
}

type segmentView struct {
	N       int
	Type    string
	Text    string
	Image   string
	Audio   string
	Seconds float64
	Source  string
	// Media is the URL of the creator's own picture or clip, MediaKind
	// image or video.
	Media     string
	MediaKind string
}

// problem is the error shown on the project page.
type problem struct {
	Code, Message, Stage string
	Retrying             bool
	Attempt              int
}

func (s *Server) loadProject(r *http.Request) (*projectData, error) {
	id, ok := pathID(r.PathValue("id"))
	if !ok {
		return nil, &apiError{Status: http.StatusNotFound, Body: wire.Error{Code: "PROJECT_NOT_FOUND"}}
	}
	d := &projectData{P: &wire.Project{}}
	if err := s.get(r, fmt.Sprintf("/api/v1/projects/%d", id), d.P); err != nil {
		return nil, err
	}
	p := d.P
	d.Landscape = p.Settings.Format != project.FormatVertical
	if p.Outputs.ScriptURL != "" {
		var sc script.Script
		if err := s.call(r.Context(), r, http.MethodGet, p.Outputs.ScriptURL, &sc, true); err == nil {
			d.Script = &sc
		}
	}
	if p.Status == project.Completed {
		var res wire.Result
		if err := s.get(r, fmt.Sprintf("/api/v1/projects/%d/result", id), &res); err == nil {
			d.Result = &res
		}
	}
	d.Assets = s.segments(id, p, d.Script)
	d.MediaEditable = d.Script != nil && (p.Run == nil || !p.Run.State.Active() || p.Status == project.ScriptReview)
	d.Actions = actions(p)
	d.Problem = problemOf(p)
	return d, nil
}

// segments lists the project's segments: from the assets manifest once
// the assets stage wrote it, else from the script (no narration or
// picture yet), each with the creator's own media if any.
func (s *Server) segments(id int64, p *wire.Project, sc *script.Script) []segmentView {
	var out []segmentView
	var m pipeline.Manifest
	if b, err := os.ReadFile(filepath.Join(s.cfg.Store.ProjectDir(id), "assets", "assets.json")); err == nil && json.Unmarshal(b, &m) == nil &&
		(sc == nil || len(m.Segments) == len(sc.Segments)) {
		for i, sg := range m.Segments {
			n := i + 1
			sv := segmentView{N: n, Type: sg.Type, Text: sg.Text, Seconds: sg.Seconds, Source: sg.ImageSource}
			if sg.Image != "" {
				sv.Image = fmt.Sprintf("/projects/%d/assets/image/%d", id, n)
			}
			if sg.Audio != "" {
				sv.Audio = fmt.Sprintf("/projects/%d/assets/audio/%d", id, n)
			}
			out = append(out, sv)
		}
	} else if sc != nil {
		for i, sg := range sc.Segments {
			out = append(out, segmentView{N: i + 1, Type: sg.Type, Text: sg.Text})
		}
	}
	for _, md := range p.Media {
		if md.Segment >= 1 && md.Segment <= len(out) {
			// The upload time makes a replaced file's URL new.
			out[md.Segment-1].Media = fmt.Sprintf("%s?v=%s", md.URL, md.SHA256[:min(12, len(md.SHA256))])
			out[md.Segment-1].MediaKind = md.Kind
		}
	}
	return out
}

// actions are the buttons that make sense now; the API decides for real.
func actions(p *wire.Project) []string {
	if p.Status == project.ScriptReview {
		return []string{"cancel"} // the editor saves and approves
	}
	if run := p.Run; run != nil {
		switch run.State {
		case project.RunQueued, project.RunRunning:
			if run.CancelRequested {
				return nil
			}
			if run.PauseRequested {
				return []string{"resume", "cancel"}
			}
			return []string{"pause", "cancel"}
		case project.RunPaused:
			return []string{"resume", "cancel"}
		}
	}
	switch p.Status {
	case project.Failed, project.Cancelled:
		return []string{"retry"}
	case project.Paused:
		return []string{"resume", "cancel"}
	case project.Completed:
		return nil
	}
	return []string{"generate"}
}

// problemOf finds the error to show: the project's, or a stage that is
// retrying.
func problemOf(p *wire.Project) *problem {
	if p.Error != nil && (p.Status == project.Failed || p.Status == project.Cancelled) {
		return &problem{Code: p.Error.Code, Message: p.Error.Message, Stage: p.Error.Stage}
	}
	for _, st := range p.Stages {
		if st.Status == project.StageRetrying && st.Error != nil {
			return &problem{Code: st.Error.Code, Message: st.Error.Message, Stage: string(st.Name), Retrying: true, Attempt: st.Attempts}
		}
	}
	return nil
}

func (s *Server) projectPage(w http.ResponseWriter, r *http.Request, v *view) {
	d, err := s.loadProject(r)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	v.Nav, v.Title, v.Data = "projects", d.P.Name, d
	s.render(w, http.StatusOK, "project", v)
}

// projectLive answers the changing parts of the project page, rendered,
// for the page's script to swap in.
func (s *Server) projectLive(w http.ResponseWriter, r *http.Request) {
	d, err := s.loadProject(r)
	if err != nil {
		code := http.StatusBadGateway
		if ae, ok := err.(*apiError); ok {
			code = ae.Status
		}
		http.Error(w, err.Error(), code)
		return
	}
	v := s.newView(r)
	v.Data = d
	parts := map[string]string{}
	for _, name := range []string{"timeline", "actions", "problem", "result", "script", "assets"} {
		var b strings.Builder
		if err := s.pages["project_live"][v.Lang].ExecuteTemplate(&b, "part_"+name, v); err != nil {
			s.log.Error("rendering a page part", "part", name, "err", err)
			http.Error(w, "render failed", http.StatusInternalServerError)
			return
		}
		parts[name] = b.String()
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"status": d.P.Status, "progress": d.P.Progress, "parts": parts})
}

// assetFile serves one segment's picture or narration.
func (s *Server) assetFile(w http.ResponseWriter, r *http.Request) {
	id, ok1 := pathID(r.PathValue("id"))
	n, ok2 := pathID(r.PathValue("n"))
	if !ok1 || !ok2 || n > 1000 {
		http.NotFound(w, r)
		return
	}
	var rel, ctype string
	switch r.PathValue("kind") {
	case "image":
		rel, ctype = fmt.Sprintf("assets/images/segment_%02d.png", n), "image/png"
	case "audio":
		rel, ctype = fmt.Sprintf("assets/audio/segment_%02d.wav", n), "audio/wav"
	default:
		http.NotFound(w, r)
		return
	}
	f, err := os.Open(filepath.Join(s.cfg.Store.ProjectDir(id), filepath.FromSlash(rel)))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "private, no-cache")
	http.ServeContent(w, r, "", fi.ModTime(), f)
}

type batchesData struct {
	List wire.BatchList
}

func (s *Server) batchesPage(w http.ResponseWriter, r *http.Request, v *view) {
	var d batchesData
	if err := s.get(r, "/api/v1/batches?limit=50", &d.List); err != nil {
		s.fail(w, r, v, err)
		return
	}
	v.Nav, v.Title, v.Data = "batches", v.T("batches.title"), d
	s.render(w, http.StatusOK, "batches", v)
}

func (s *Server) loadBatch(r *http.Request) (*wire.Batch, error) {
	id, ok := pathID(r.PathValue("id"))
	if !ok {
		return nil, &apiError{Status: http.StatusNotFound, Body: wire.Error{Code: "BATCH_NOT_FOUND"}}
	}
	var b wire.Batch
	if err := s.get(r, fmt.Sprintf("/api/v1/batches/%d", id), &b); err != nil {
		return nil, err
	}
	return &b, nil
}

func (s *Server) batchPage(w http.ResponseWriter, r *http.Request, v *view) {
	b, err := s.loadBatch(r)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	v.Nav, v.Title, v.Data = "batches", b.Name, b
	s.render(w, http.StatusOK, "batch", v)
}

func (s *Server) batchLive(w http.ResponseWriter, r *http.Request) {
	b, err := s.loadBatch(r)
	if err != nil {
		code := http.StatusBadGateway
		if ae, ok := err.(*apiError); ok {
			code = ae.Status
		}
		http.Error(w, err.Error(), code)
		return
	}
	v := s.newView(r)
	v.Data = b
	var sb strings.Builder
	if err := s.pages["batch_live"][v.Lang].ExecuteTemplate(&sb, "part_batch", v); err != nil {
		http.Error(w, "render failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"status": b.Status, "progress": b.Progress, "html": sb.String()})
}

type systemData struct {
	Status    procman.Status
	Quotas    *quota.Snapshot
	Providers []wire.Provider
	// TestInterval is the least time in seconds between two tests of one
	// service; the Test button stays disabled that long.
	TestInterval float64
	YouTube      youTubeState
}

// youTubeState is the YouTube channel card of the System page.
type youTubeState struct {
	Available bool // an OAuth client is configured
	Connected bool
	Since     time.Time
}

func (s *Server) systemPage(w http.ResponseWriter, r *http.Request, v *view) {
	var d systemData
	if yt := s.cfg.YouTube; yt != nil {
		d.YouTube.Available = true
		d.YouTube.Connected, d.YouTube.Since = yt.Connected()
	}
	if err := s.get(r, "/status", &d.Status); err != nil {
		s.fail(w, r, v, err)
		return
	}
	var q quota.Snapshot
	if err := s.get(r, "/api/v1/quotas", &q); err == nil {
		d.Quotas = &q
	}
	var pl wire.ProviderList
	if err := s.get(r, "/api/v1/providers", &pl); err == nil {
		d.Providers, d.TestInterval = pl.Providers, pl.TestIntervalSeconds
	}
	v.Nav, v.Title, v.Data = "system", v.T("system.title"), d
	s.render(w, http.StatusOK, "system", v)
}

// pathID reads an ID (or segment number) from a page's path: a positive
// integer written the canonical way, as the API takes it. "01" or "+1"
// is not page 1.
func pathID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != s {
		return 0, false
	}
	return id, true
}
