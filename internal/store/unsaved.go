package store

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/project"
)

// Unsaved keeps, outside the data directory, the project states that could
// not be written to their project_state.json because the disk is full or
// the folder read-only, so that a stage failure caused by the disk is
// recorded and shown like any other and is written to the file once the
// disk takes writes again (Flush). A Redis hash implements it.
type Unsaved interface {
	// Put keeps data, the state of project id at version; it fails when a
	// state of the same or a later version is already kept.
	Put(ctx context.Context, id, version int64, data []byte) error
	// Get returns the state kept for project id, or nil.
	Get(ctx context.Context, id int64) ([]byte, error)
	// Delete forgets the state kept for project id if its version is at
	// most version.
	Delete(ctx context.Context, id, version int64) error
	// IDs lists the projects with a kept state.
	IDs(ctx context.Context) ([]int64, error)
}

// unsavedTimeout bounds one call to Unsaved.
const unsavedTimeout = 2 * time.Second

// keptRefresh is how often the list of projects with a kept state is read
// again from the Unsaved store (states kept by other processes show up
// this late at most).
const keptRefresh = time.Second

// keptSet caches which projects have a kept state.
type keptSet struct {
	mu  sync.Mutex
	at  time.Time
	ids map[int64]bool
}

// KeepUnsaved makes the store keep in u the states it cannot write, and
// read them back. Call it before the store is used. log may be nil.
func (s *Store) KeepUnsaved(u Unsaved, log *slog.Logger) {
	s.unsaved = u
	if log != nil {
		s.log = log
	}
}

// HasKept reports whether a state of project id is kept aside (see
// Unsaved): a caller that caches parsed state files must read the state
// again through State while it is. The answer is at most keptRefresh old.
func (s *Store) HasKept(id int64) bool {
	if s.unsaved == nil {
		return false
	}
	k := &s.kept
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ids == nil || time.Since(k.at) > keptRefresh {
		ctx, cancel := context.WithTimeout(context.Background(), unsavedTimeout)
		ids, err := s.unsaved.IDs(ctx)
		cancel()
		if err == nil {
			k.ids = map[int64]bool{}
			for _, id := range ids {
				k.ids[id] = true
			}
		} else if k.ids == nil {
			k.ids = map[int64]bool{}
		}
		k.at = time.Now()
	}
	return k.ids[id]
}

func (s *Store) markKept(id int64, kept bool) {
	s.kept.mu.Lock()
	defer s.kept.mu.Unlock()
	if s.kept.ids == nil {
		return // read at the next HasKept
	}
	if kept {
		s.kept.ids[id] = true
	} else {
		delete(s.kept.ids, id)
	}
}

// keptState returns the state kept aside for id, or nil.
func (s *Store) keptState(id int64) (*project.State, error) {
	ctx, cancel := context.WithTimeout(context.Background(), unsavedTimeout)
	defer cancel()
	data, err := s.unsaved.Get(ctx, id)
	if err != nil || data == nil {
		return nil, err
	}
	var st project.State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// writeState writes st to project_state.json. When the disk refuses it
// and an Unsaved store is set, st is kept there instead and the write
// counts as done: the record of what happened must not be lost to the
// very failure it records. keptVersion is the version of the state kept
// aside when st was read (0 for none); once the file is written again,
// that copy is dropped.
func (s *Store) writeState(id int64, st *project.State, keptVersion int64) error {
	err := s.writeJSON(filepath.Join(s.ProjectDir(id), StateFile), st, 0o644)
	if err == nil {
		if keptVersion > 0 {
			s.dropKept(id, st.Version)
		}
		return nil
	}
	werr := writeErr(err)
	if s.unsaved == nil || errcode.Storage(err) == nil {
		return werr
	}
	data, merr := json.Marshal(st)
	if merr != nil {
		return werr
	}
	ctx, cancel := context.WithTimeout(context.Background(), unsavedTimeout)
	defer cancel()
	if perr := s.unsaved.Put(ctx, id, st.Version, data); perr != nil {
		s.log.Error("project state could neither be written nor kept aside", "project", id, "err", werr, "keep_err", perr)
		return werr
	}
	s.markKept(id, true)
	s.log.Warn("project state kept aside until its file can be written", "project", id, "version", st.Version, "err", werr)
	return nil
}

func (s *Store) dropKept(id, version int64) {
	ctx, cancel := context.WithTimeout(context.Background(), unsavedTimeout)
	defer cancel()
	if err := s.unsaved.Delete(ctx, id, version); err != nil {
		s.log.Warn("forget the state kept aside", "project", id, "err", err)
		return
	}
	s.markKept(id, false)
}

// Flush writes the states kept aside to their files where the disk takes
// them now, and forgets them. It returns how many remain kept aside.
func (s *Store) Flush(ctx context.Context) (int, error) {
	if s.unsaved == nil {
		return 0, nil
	}
	ids, err := s.unsaved.IDs(ctx)
	if err != nil {
		return 0, err
	}
	left := 0
	for _, id := range ids {
		err := s.Lock(id, func() error {
			kept, err := s.keptState(id)
			if err != nil || kept == nil {
				return err
			}
			file, ferr := readEntity[project.State](filepath.Join(s.ProjectDir(id), StateFile), "project", id)
			if ferr == nil && file.Version >= kept.Version {
				s.dropKept(id, kept.Version)
				return nil
			}
			if err := s.writeJSON(filepath.Join(s.ProjectDir(id), StateFile), kept, 0o644); err != nil {
				return writeErr(err)
			}
			s.dropKept(id, kept.Version)
			s.log.Info("project state written back to its file", "project", id, "version", kept.Version)
			return nil
		})
		switch {
		case err == nil:
		case errcode.Code(err) == errcode.NotFound:
			s.dropKept(id, 1<<62) // the project is gone
		default:
			left++
		}
	}
	return left, nil
}
