package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/ytmaker/ytmaker/internal/api/wire"
	"github.com/ytmaker/ytmaker/internal/quota"
	"github.com/ytmaker/ytmaker/internal/rdb"
	"github.com/ytmaker/ytmaker/internal/taskspec"
)

// validTaskID accepts the characters YTMaker's task IDs use (UUIDs and
// names such as chain:12:3).
func validTaskID(id string) bool {
	if id == "" || len(id) > 200 {
		return false
	}
	for _, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '_', c == ':', c == '.':
		default:
			return false
		}
	}
	return true
}

func (s *Server) getTask(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validTaskID(id) {
		writeError(w, newError(http.StatusNotFound, CodeTaskNotFound, "task %q does not exist", id))
		return
	}
	info, err := s.orch.TaskInfo(r.Context(), id)
	if errors.Is(err, rdb.ErrTaskNotFound) {
		err = newError(http.StatusNotFound, CodeTaskNotFound, "task %q does not exist (or its record expired)", id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	info.Result = redact(info.Result)
	writeData(w, http.StatusOK, wire.Task(*info))
}

// debugTask enqueues debug_task (the seed's debug_task): the worker logs
// "Request: ..." with the task's id, queue and payload.
// MaxDebugPayload bounds the payload of POST /api/v1/tasks/debug: a
// check that the workers run, not a way to store data.
const MaxDebugPayload = 16 << 10

func (s *Server) debugTask(w http.ResponseWriter, r *http.Request) {
	var req wire.DebugRequest
	if err := s.decodeBody(w, r, &req, true); err != nil {
		s.fail(w, r, err)
		return
	}
	payload := req.Payload
	if len(payload) > MaxDebugPayload {
		// The worker logs the payload on one line: a large one would
		// flood the log (and stay in Redis with the result for a day).
		s.fail(w, r, invalid("payload", "is %d bytes of JSON; at most %d allowed", len(payload), MaxDebugPayload).
			with("max_bytes", MaxDebugPayload))
		return
	}
	if len(payload) == 0 {
		payload, _ = json.Marshal(map[string]any{"source": "POST /api/v1/tasks/debug", "sent_at": time.Now().UTC().Format(time.RFC3339)})
	}
	id, err := s.orch.EnqueueSimple(r.Context(), taskspec.DebugTask, payload)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", Prefix+"/tasks/"+id)
	writeData(w, http.StatusAccepted, wire.TaskRef{TaskID: id, Type: taskspec.DebugTask, Queue: taskspec.QueueMaintenance})
}

func (s *Server) getQuotas(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Quotas == nil {
		writeData(w, http.StatusOK, quota.Snapshot{GeneratedAt: time.Now().UTC(), Services: map[string]quota.Usage{}})
		return
	}
	snap, err := s.cfg.Quotas.Snapshot(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeData(w, http.StatusOK, snap)
}
