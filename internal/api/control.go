package api

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/api/wire"
	"github.com/ytmaker/ytmaker/internal/engine"
	"github.com/ytmaker/ytmaker/internal/project"
)

// parseStage accepts a stage name (script), its task name
// (generate_script_task) or its progress name (script_generation).
func parseStage(v string) (project.Stage, bool) {
	v = strings.ToLower(strings.TrimSpace(v))
	if s := project.Stage(v); s.Valid() {
		return s, true
	}
	if s, ok := project.StageForTask(v); ok {
		return s, true
	}
	for _, s := range project.Stages {
		if s.ProgressName() == v {
			return s, true
		}
	}
	return "", false
}

// accepted answers a control request with the run it concerns.
func (s *Server) accepted(w http.ResponseWriter, ref wire.RunRef) {
	if ref.TaskID != "" {
		w.Header().Set("Location", Prefix+"/tasks/"+ref.TaskID)
	}
	writeData(w, http.StatusAccepted, ref)
}

// started answers a Start/Resume outcome. A PROJECT_BUSY error means a
// run is already there: the answer is that run (same task ID), so calling
// again is harmless.
func (s *Server) started(w http.ResponseWriter, r *http.Request, id int64, run *project.Run, err error) {
	if _, busy := engine.BusyRun(err); busy {
		st, serr := s.store.State(id)
		if serr != nil || st.ActiveRun() == nil {
			s.fail(w, r, err) // the run ended meanwhile: let the client try again
			return
		}
		ref := runRef(id, st, st.ActiveRun())
		ref.AlreadyRunning = true
		s.accepted(w, ref)
		return
	}
	if err != nil {
		s.fail(w, r, asNotFound(err, CodeProjectNotFound))
		return
	}
	st, err := s.store.State(id)
	if err != nil {
		s.fail(w, r, asNotFound(err, CodeProjectNotFound))
		return
	}
	ref := runRef(id, st, run)
	if st.Run != nil && st.Run.ID == run.ID {
		ref = runRef(id, st, st.Run) // the freshest state of the same run
	}
	s.accepted(w, ref)
}

// generate starts a chain from the first unfinished stage, or from the
// stage named in {"from": ...}.
func (s *Server) generate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, CodeProjectNotFound, "project")
	if !ok {
		return
	}
	var req wire.GenerateRequest
	if err := s.decodeBody(w, r, &req, true); err != nil {
		s.fail(w, r, err)
		return
	}
	opts := engine.StartOptions{Kind: "chain"}
	if req.From != "" {
		from, ok := parseStage(req.From)
		if !ok {
			s.fail(w, r, invalid("from", "%q is not a stage (script, assets, render, thumbnail, upload)", req.From))
			return
		}
		opts.Stages = project.Stages[from.Index():]
	}
	run, err := s.orch.Start(r.Context(), id, opts)
	s.started(w, r, id, run, err)
}

func (s *Server) pause(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, CodeProjectNotFound, "project")
	if !ok {
		return
	}
	st, err := s.orch.Pause(r.Context(), id)
	if err != nil {
		s.fail(w, r, asNotFound(err, CodeProjectNotFound))
		return
	}
	s.accepted(w, runRef(id, st, nil))
}

func (s *Server) resume(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, CodeProjectNotFound, "project")
	if !ok {
		return
	}
	// Resume also withdraws a pause asked for but not reached yet.
	run, err := s.orch.Resume(r.Context(), id)
	s.started(w, r, id, run, err)
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, CodeProjectNotFound, "project")
	if !ok {
		return
	}
	st, err := s.orch.Cancel(r.Context(), id)
	if err != nil {
		s.fail(w, r, asNotFound(err, CodeProjectNotFound))
		return
	}
	s.accepted(w, runRef(id, st, nil))
}

// failedStage returns the stage that failed, if the project's last run
// failed.
func failedStage(st *project.State) (project.Stage, bool) {
	for _, s := range project.Stages {
		if st.Stages.Get(s).Status == project.StageFailed {
			return s, true
		}
	}
	if st.Status == project.Failed || (st.Run != nil && st.Run.State == project.RunFailed) {
		return st.FirstUnfinished(), true
	}
	return "", false
}

// retry starts a new chain from the first unfinished stage of a project
// whose last run failed; finished stages are reused.
func (s *Server) retry(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, CodeProjectNotFound, "project")
	if !ok {
		return
	}
	st, err := s.store.State(id)
	if err != nil {
		s.fail(w, r, asNotFound(err, CodeProjectNotFound))
		return
	}
	if run := st.ActiveRun(); run != nil {
		s.fail(w, r, busyError(run))
		return
	}
	if _, failed := failedStage(st); !failed {
		s.fail(w, r, newError(http.StatusConflict, CodeNothingToRetry, "nothing failed: the project is %s", st.Status).
			with("status", string(st.Status)))
		return
	}
	run, err := s.orch.Start(r.Context(), id, engine.StartOptions{Kind: "chain"})
	if _, busy := engine.BusyRun(err); busy {
		s.fail(w, r, err) // someone started it between our read and now
		return
	}
	s.started(w, r, id, run, err)
}

// result describes a completed project's outputs.
func (s *Server) result(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, CodeProjectNotFound, "project")
	if !ok {
		return
	}
	p, st, err := s.load(id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if st.Status != project.Completed {
		s.fail(w, r, newError(http.StatusConflict, CodeNotCompleted, "the project is %s, not COMPLETED", st.Status).
			with("status", string(st.Status)))
		return
	}
	up := parseUpload(st)
	res := wire.Result{ProjectID: id, Name: p.Name, Status: st.Status, Title: p.Name,
		Video: s.outputInfo(id, videoFile), Thumbnail: s.outputInfo(id, thumbnailFile), Script: s.outputInfo(id, scriptFile),
		YouTube: wire.YouTubeResult{Uploaded: up.Uploaded, VideoID: up.VideoID, URL: up.URL, Privacy: up.Privacy}}
	if p.Settings.YouTube.Title != "" {
		res.Title = p.Settings.YouTube.Title
	}
	if up.Uploaded {
		res.YouTube.Status = "uploaded"
	} else {
		res.YouTube.Status = "not uploaded: " + up.Reason
	}
	if st.Run != nil && st.Run.FinishedAt != nil {
		res.CompletedAt = st.Run.FinishedAt
	} else {
		res.CompletedAt = st.Stages.Upload.FinishedAt
	}
	writeData(w, http.StatusOK, res)
}

// download serves one output file with range requests, conditional
// requests and HEAD (http.ServeContent).
func (s *Server) download(f outputFile) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(w, r, CodeProjectNotFound, "project")
		if !ok {
			return
		}
		if _, err := s.store.Project(id); err != nil {
			s.fail(w, r, asNotFound(err, CodeProjectNotFound))
			return
		}
		file, err := os.Open(s.outputPath(id, f))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				s.fail(w, r, newError(http.StatusNotFound, CodeOutputNotReady, "the %s of project %d has not been made yet", f.kind, id).
					with("file", f.kind))
				return
			}
			s.fail(w, r, err)
			return
		}
		defer file.Close()
		fi, err := file.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			s.fail(w, r, newError(http.StatusNotFound, CodeOutputNotReady, "the %s of project %d has not been made yet", f.kind, id).
				with("file", f.kind))
			return
		}
		name := fmt.Sprintf("project-%d-%s", id, filepath.Base(f.rel))
		h := w.Header()
		h.Set("Content-Type", f.contentType)
		h.Set("Content-Disposition", `inline; filename="`+name+`"`)
		h.Set("ETag", `"`+strconv.FormatInt(fi.Size(), 36)+"-"+strconv.FormatInt(fi.ModTime().UnixNano(), 36)+`"`)
		h.Set("Cache-Control", "no-cache")
		http.ServeContent(w, r, name, fi.ModTime(), file)
	}
}

// errorIs reports whether err carries code.
func errorIs(err error, code string) bool { return errcode.Code(err) == code }
