package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/store"
)

// CodeInUse refuses to delete a brand preset or a prompt template that an
// unfinished project names: that project would fail at its next stage.
const CodeInUse = "IN_USE"

// maxInUseShown bounds the project IDs an IN_USE error lists.
const maxInUseShown = 20

// unfinishedUsers returns the IDs of the projects not yet completed whose
// settings uses picks, in ID order.
func (s *Server) unfinishedUsers(ctx context.Context, uses func(project.Settings) bool) ([]int64, error) {
	list, _, err := s.store.ListProjects(ctx, store.ListOptions{Sort: "id"})
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, it := range list {
		if it.State != nil && it.State.Status == project.Completed {
			continue
		}
		if uses(it.Project.Settings) {
			ids = append(ids, it.Project.ID)
		}
	}
	return ids, nil
}

// refuseInUse answers 409 IN_USE and reports true when unfinished
// projects name what is about to be deleted, unless the request says
// ?force=true. A completed project keeps its video; it is refused with a
// clear error only if it is changed or rendered again.
//
// cli is the command that forces it, for the message.
func (s *Server) refuseInUse(w http.ResponseWriter, r *http.Request, what, name, cli string, uses func(project.Settings) bool) bool {
	if v := r.URL.Query().Get("force"); v != "" {
		force, err := strconv.ParseBool(v)
		if err != nil {
			s.fail(w, r, invalid("force", "must be true or false"))
			return true
		}
		if force {
			return false
		}
	}
	ids, err := s.unfinishedUsers(r.Context(), uses)
	if err != nil {
		s.fail(w, r, err)
		return true
	}
	if len(ids) == 0 {
		return false
	}
	shown := ids[:min(len(ids), maxInUseShown)]
	s.fail(w, r, newError(http.StatusConflict, CodeInUse,
		"%s %q is used by %d unfinished project(s), which would fail at their next stage: give them another first, or force the deletion (?force=true, or %s --force)",
		what, name, len(ids), cli).with("projects", shown).with("count", len(ids)))
	return true
}
