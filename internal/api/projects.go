package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/api/wire"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/rdb"
	"github.com/ytmaker/ytmaker/internal/store"
)

// asNotFound gives the core's NOT_FOUND a resource-specific code.
func asNotFound(err error, code string) error {
	if e, ok := errcode.As(err); ok && e.Code == errcode.NotFound {
		return newError(http.StatusNotFound, code, "%s", e.Message)
	}
	return err
}

// busyError refuses a change while a run occupies the project.
func busyError(run *project.Run) error {
	return errcode.Newf(errcode.ProjectBusy, false, "the project has an active run (%d, %s); pause it until it stops, or cancel it, first", run.ID, run.State).
		WithDetail("task_id", run.HandleID).WithDetail("run", run.ID).WithDetail("state", string(run.State))
}

func (s *Server) createProject(w http.ResponseWriter, r *http.Request) {
	var in project.Input
	if err := s.decodeBody(w, r, &in, false); err != nil {
		s.fail(w, r, err)
		return
	}
	id, err := s.orch.CreateProject(r.Context(), in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, st, err := s.load(id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", projectURL(id))
	writeData(w, http.StatusCreated, s.projectView(r.Context(), p, st))
}

// load reads a project and its state (read-only: they may be shared).
func (s *Server) load(id int64) (*project.Project, *project.State, error) {
	return s.cache.load(s.store, id)
}

// Sort keys of GET /projects.
var projectSorts = []string{"created_at", "updated_at", "name", "id", "status"}

func (s *Server) listProjects(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	opts := store.ListOptions{Sort: "created_at", Desc: true, Load: s.load}
	var err error
	if opts.Limit, err = queryInt(q, "limit", 20, 1, 100); err != nil {
		s.fail(w, r, err)
		return
	}
	if opts.Offset, err = queryInt(q, "offset", 0, 0, 1<<30); err != nil {
		s.fail(w, r, err)
		return
	}
	if v := strings.TrimSpace(q.Get("status")); v != "" {
		st := project.Status(strings.ToUpper(v))
		if !st.Valid() {
			s.fail(w, r, invalid("status", "%q is not a project status (INITIALIZED, SCRIPT_GENERATING, ..., COMPLETED, FAILED, PAUSED, CANCELLED)", v))
			return
		}
		opts.Status = st
	}
	if v := strings.TrimSpace(q.Get("batch_id")); v != "" {
		id, ok := parseID(v)
		if !ok {
			s.fail(w, r, invalid("batch_id", "must be a positive integer"))
			return
		}
		opts.BatchID = id
	}
	if v := q.Get("q"); v != "" {
		if len(v) > project.MaxNameLen*4 {
			s.fail(w, r, invalid("q", "is too long"))
			return
		}
		opts.Name = v
	}
	sortKey := q.Get("sort")
	if sortKey == "" {
		sortKey = q.Get("sort_by") // the original API's name
	}
	if sortKey != "" {
		if !contains(projectSorts, sortKey) {
			s.fail(w, r, invalid("sort", "must be one of %s", strings.Join(projectSorts, ", ")))
			return
		}
		opts.Sort = sortKey
	}
	switch strings.ToLower(q.Get("order")) {
	case "", "desc":
	case "asc":
		opts.Desc = false
	default:
		s.fail(w, r, invalid("order", "must be asc or desc"))
		return
	}
	list, total, err := s.store.ListProjects(r.Context(), opts)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := wire.ProjectList{Projects: []wire.ProjectSummary{}, Total: total, Limit: opts.Limit, Offset: opts.Offset}
	for _, it := range list {
		out.Projects = append(out.Projects, s.summaryView(r.Context(), it.Project, it.State))
	}
	writeData(w, http.StatusOK, out)
}

func (s *Server) getProject(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, CodeProjectNotFound, "project")
	if !ok {
		return
	}
	p, st, err := s.load(id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeData(w, http.StatusOK, s.projectView(r.Context(), p, st))
}

// patchProject changes a project's input while no run is active. Stages
// made from what changed are reset to pending (with their checkpoints),
// together with every later stage, in the same locked write.
func (s *Server) patchProject(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, CodeProjectNotFound, "project")
	if !ok {
		return
	}
	var req wire.ProjectPatch
	if err := s.decodeBody(w, r, &req, false); err != nil {
		s.fail(w, r, err)
		return
	}
	var reset []project.Stage
	p, st, err := s.store.UpdateBoth(id, func(p *project.Project, st *project.State) error {
		if run := st.ActiveRun(); run != nil {
			return busyError(run)
		}
		in := project.Input{Name: p.Name, Content: p.Content, Language: p.Language, Settings: p.Settings}
		if req.Name != nil {
			in.Name = *req.Name
		}
		if req.Content != nil {
			in.Content = *req.Content
		}
		if req.Language != nil {
			in.Language = *req.Language
		}
		if len(req.Settings) > 0 {
			merged, err := mergeSettings(p.Settings, req.Settings)
			if err != nil {
				return err
			}
			in.Settings = merged
		}
		if err := in.Validate(); err != nil {
			return err
		}
		// What may have become stale since the project was made (a music
		// file or brand removed, a publish time passed) is checked only
		// when changed.
		if in.Settings.Music != p.Settings.Music {
			if _, err := s.store.MusicPath(in.Settings.Music); err != nil {
				return err
			}
		}
		if in.Settings.Brand != p.Settings.Brand {
			if err := s.store.CheckBrand(in.Settings.Brand); err != nil {
				return err
			}
		}
		if !jsonEqual(in.Settings.YouTube.PublishAt, p.Settings.YouTube.PublishAt) {
			if err := in.Settings.YouTube.CheckPublishAt(time.Now()); err != nil {
				return err
			}
		}
		reset = resetStages(st, firstAffected(p, &in))
		p.Name, p.Content, p.Language, p.Settings = in.Name, in.Content, in.Language, in.Settings
		return nil
	})
	if err != nil {
		s.fail(w, r, asNotFound(err, CodeProjectNotFound))
		return
	}
	if reset == nil {
		reset = []project.Stage{}
	}
	writeData(w, http.StatusOK, wire.PatchResult{Project: s.projectView(r.Context(), p, st), Reset: reset})
}

// mergeSettings applies a JSON merge patch (RFC 7396) to the settings.
func mergeSettings(cur project.Settings, patch json.RawMessage) (project.Settings, error) {
	var pv any
	if err := json.Unmarshal(patch, &pv); err != nil {
		ae := jsonError(err)
		if _, ok := ae.details["field"]; ok {
			ae.details["field"] = "settings"
			ae.message = "settings: " + ae.message
		}
		return cur, ae
	}
	if pv == nil {
		return project.Settings{}, nil // null: every setting back to its default
	}
	if _, ok := pv.(map[string]any); !ok {
		return cur, newError(http.StatusBadRequest, CodeInvalidType, "settings must be an object").
			with("field", "settings").with("expected", "an object")
	}
	raw, err := json.Marshal(cur)
	if err != nil {
		return cur, err
	}
	var cv any
	if err := json.Unmarshal(raw, &cv); err != nil {
		return cur, err
	}
	merged, err := json.Marshal(mergePatch(cv, pv))
	if err != nil {
		return cur, err
	}
	var out project.Settings
	if err := decodeStrict(bytes.NewReader(merged), &out); err != nil {
		var ae *apiError
		if errors.As(err, &ae) {
			if f, ok := ae.details["field"].(string); ok {
				ae.details["field"] = "settings." + f
				ae.message = strings.Replace(ae.message, f, "settings."+f, 1)
			}
		}
		return cur, err
	}
	return out, nil
}

// mergePatch returns target with patch merged in (RFC 7396).
func mergePatch(target, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	tm, ok := target.(map[string]any)
	if !ok {
		tm = map[string]any{}
	}
	for k, v := range pm {
		if v == nil {
			delete(tm, k)
			continue
		}
		tm[k] = mergePatch(tm[k], v)
	}
	return tm
}

func jsonEqual(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// firstAffected returns the earliest stage whose output depends on
// something that changed between p and in ("" when none does).
func firstAffected(p *project.Project, in *project.Input) project.Stage {
	o, n := p.Settings, in.Settings
	switch {
	case p.Content != in.Content, p.Language != in.Language, o.MaxSegments != n.MaxSegments,
		o.Providers.Script != n.Providers.Script, o.Providers.ScriptModel != n.Providers.ScriptModel,
		o.PromptTemplate != n.PromptTemplate:
		return project.StageScript
	case o.Voice != n.Voice, o.Providers.TTS != n.Providers.TTS, o.Providers.Images != n.Providers.Images,
		o.Providers.Avatar != n.Providers.Avatar, !jsonEqual(o.Avatar, n.Avatar), o.Format != n.Format,
		o.Theme != n.Theme, o.Brand != n.Brand, o.Visuals != n.Visuals, o.Providers.Stock != n.Providers.Stock:
		return project.StageAssets
	case o.Motion != n.Motion, !jsonEqual(o.Subtitles, n.Subtitles), o.Music != n.Music, o.MusicVolume != n.MusicVolume,
		o.Captions != n.Captions, !jsonEqual(o.CaptionStyle, n.CaptionStyle):
		return project.StageRender
	case o.YouTube.Title != n.YouTube.Title:
		return project.StageThumbnail
	case !jsonEqual(o.YouTube, n.YouTube):
		return project.StageUpload
	}
	return ""
}

// resetStages sets from and every later stage back to pending, clearing
// results and checkpoints. It returns the stages that had progressed.
func resetStages(st *project.State, from project.Stage) []project.Stage {
	if from == "" {
		return nil
	}
	var reset []project.Stage
	for _, s := range project.Stages[from.Index():] {
		ss := st.Stages.Get(s)
		if ss.Status == project.StagePending && len(ss.Checkpoints) == 0 && ss.Result == nil {
			continue
		}
		*ss = project.StageState{Status: project.StagePending}
		reset = append(reset, s)
	}
	if len(reset) > 0 {
		st.Status = st.SettledStatus()
		st.Error = nil
	}
	return reset
}

func (s *Server) deleteProject(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, CodeProjectNotFound, "project")
	if !ok {
		return
	}
	removeFiles, err := queryBool(r.URL.Query(), "delete_files", false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	err = s.store.DeleteProject(id, removeFiles, func(st *project.State) error {
		if run := st.ActiveRun(); run != nil {
			return busyError(run)
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, asNotFound(err, CodeProjectNotFound))
		return
	}
	rdb.DeleteProgress(r.Context(), s.rdb, id)
	writeData(w, http.StatusOK, wire.Deleted{ID: id, Deleted: true, FilesDeleted: removeFiles})
}
