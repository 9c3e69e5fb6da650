package api

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/api/wire"
	"github.com/ytmaker/ytmaker/internal/engine"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/script"
)

// putScript replaces a project's script while it waits for review or
// while nothing runs. The assets stage and every later one go back to
// pending with the assets' checkpoints kept: the narration and picture of
// a segment whose text and prompt did not change are reused, so only
// what the edit affects is made again.
func (s *Server) putScript(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, CodeProjectNotFound, "project")
	if !ok {
		return
	}
	var sc script.Script
	if err := s.decodeBody(w, r, &sc, false); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := checkScriptSize(&sc); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := sc.Validate(); err != nil {
		s.fail(w, r, scriptField(err))
		return
	}
	var reset []project.Stage
	_, err := s.store.UpdateState(id, func(st *project.State) error {
		if run := st.ActiveRun(); run != nil && st.Status != project.ScriptReview {
			return busyError(run)
		}
		if ss := st.Stages.Get(project.StageScript); !ss.Status.Finished() {
			return newError(http.StatusConflict, CodeOutputNotReady, "the project has no script yet; generate it first")
		}
		path := filepath.Join(s.store.ProjectDir(id), scriptFile.rel)
		if err := sc.Save(path); err != nil {
			return errcode.Wrap(err, errcode.FileSystemError, false, "saving the script: "+err.Error())
		}
		reset = st.ResetAfterScript()
		return nil
	})
	if err != nil {
		s.fail(w, r, asNotFound(err, CodeProjectNotFound))
		return
	}
	if reset == nil {
		reset = []project.Stage{}
	}
	writeData(w, http.StatusOK, wire.ScriptUpdate{Script: &sc, Reset: reset})
}

// scriptField turns a SCRIPT_INVALID error into a 422 naming the field.
func scriptField(err error) error {
	e, ok := errcode.As(err)
	if !ok || e.Code != errcode.ScriptInvalid {
		return err
	}
	field := "segments"
	if i, ok := e.Details["segment"].(int); ok {
		field = "segments[" + strconv.Itoa(i) + "].text"
		if strings.Contains(e.Message, "type") {
			field = "segments[" + strconv.Itoa(i) + "].type"
		}
	} else if strings.Contains(e.Message, "title") {
		field = "title"
	} else if strings.Contains(e.Message, "missing") {
		field = "script"
	}
	return invalid(field, "%s", e.Message)
}

// approve continues a project that waits for its script to be reviewed.
func (s *Server) approve(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, CodeProjectNotFound, "project")
	if !ok {
		return
	}
	run, err := s.orch.Approve(r.Context(), id)
	if e, ok := errcode.As(err); ok && e.Code == engine.CodeNotInReview {
		err = newError(http.StatusConflict, e.Code, "%s", e.Message)
	}
	if err != nil {
		s.fail(w, r, asNotFound(err, CodeProjectNotFound))
		return
	}
	st, err := s.store.State(id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.accepted(w, runRef(id, st, run))
}

// maxImagePrompt is the longest image prompt an edited script may give a
// segment: the strictest picture service (Stability) takes 2,000
// characters.
const maxImagePrompt = 2000

// checkScriptSize refuses an edited script the later stages could not
// make: more segments than max_segments may ever ask for, a segment
// longer than a project's whole text may be, or an image prompt longer
// than the picture services take. Otherwise the edit was saved and the
// assets stage failed (or narrated for an hour) on it later.
func checkScriptSize(sc *script.Script) error {
	if n := len(sc.Segments); n > project.MaxSegmentsLimit {
		return invalid("segments", "the script has %d segments; at most %d allowed", n, project.MaxSegmentsLimit)
	}
	for i, seg := range sc.Segments {
		if n := utf8.RuneCountInString(seg.Text); n > project.MaxContentLen {
			return invalid(fmt.Sprintf("segments[%d].text", i), "is %d characters; at most %d allowed", n, project.MaxContentLen)
		}
		if n := utf8.RuneCountInString(seg.ImagePrompt); n > maxImagePrompt {
			return invalid(fmt.Sprintf("segments[%d].image_prompt", i), "is %d characters; at most %d allowed", n, maxImagePrompt)
		}
	}
	return nil
}
