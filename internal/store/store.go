// Package store keeps projects and batches on disk under DATA_DIR:
//
//	projects/{id}/project.json        the user's input
//	projects/{id}/project_state.json  where the project is; how to resume
//	projects/{id}/...                 every artifact (script, assets, output)
//	batches/{id}/batch.json           a batch and its runs
//
// Every write is atomic (temporary file, fsync, rename) and happens under
// a per-project lock that holds across goroutines and processes (flock),
// so the files are never half-written, also after kill -9.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/atomicfile"
	"github.com/ytmaker/ytmaker/internal/brand"
	"github.com/ytmaker/ytmaker/internal/media/slides"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/prompts"
)

// File names inside a project folder.
const (
	ProjectFile = "project.json"
	StateFile   = "project_state.json"
	BatchFile   = "batch.json"
)

// ErrNotFound is returned (wrapped in a NOT_FOUND *errcode.Error) when a
// project or batch does not exist.
var ErrNotFound = errors.New("not found")

// Store is the on-disk home of projects and batches.
type Store struct {
	root string
	now  func() time.Time

	mu    sync.Mutex
	locks map[string]*sync.Mutex

	unsaved Unsaved // nil: a state that cannot be written is an error
	kept    keptSet
	log     *slog.Logger
	// writeJSON writes project_state.json (atomicfile.WriteJSON; tests
	// make it fail as a full disk would).
	writeJSON func(path string, v any, perm os.FileMode) error

	prompts *prompts.Store
	brands  *brand.Store
}

// Open prepares dataDir (creating projects/ and batches/) and returns a
// store rooted there.
func Open(dataDir string) (*Store, error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("data directory %q: %w", dataDir, err)
	}
	for _, d := range []string{"projects", "batches"} {
		if err := os.MkdirAll(filepath.Join(abs, d), 0o755); err != nil {
			return nil, errcode.Wrap(err, errcode.FileSystemError, false, fmt.Sprintf("create %s: %v", filepath.Join(abs, d), err))
		}
	}
	return &Store{root: abs, now: time.Now, locks: map[string]*sync.Mutex{}, log: slog.New(slog.DiscardHandler),
		writeJSON: defaultWriteJSON, prompts: prompts.NewStore(filepath.Join(abs, "prompts")),
		brands: brand.NewStore(filepath.Join(abs, "brands"), func(name string) bool {
			_, ok := slides.LookupTheme(name)
			return ok
		})}, nil
}

func defaultWriteJSON(path string, v any, perm os.FileMode) error {
	return atomicfile.WriteJSON(path, v, perm)
}

// Root returns the data directory.
func (s *Store) Root() string { return s.root }

// Prompts returns the prompt templates, kept in DATA_DIR/prompts.
func (s *Store) Prompts() *prompts.Store { return s.prompts }

// Brands returns the brand presets, kept in DATA_DIR/brands; their themes
// must be slide themes.
func (s *Store) Brands() *brand.Store { return s.brands }

// CheckBrand checks that settings.brand names a preset that exists ("" is
// no brand).
func (s *Store) CheckBrand(name string) error {
	if name == "" {
		return nil
	}
	if _, err := s.brands.Get(name); err != nil {
		if errcode.Code(err) == errcode.NotFound {
			return project.InvalidField("settings.brand", "brand %q does not exist (see GET /api/v1/brands)", name)
		}
		return project.InvalidField("settings.brand", "brand %q cannot be used: %s", name, errcode.Classify(err).Message)
	}
	return nil
}

// MusicDir is where background music files live: settings.music names a
// file in it.
func (s *Store) MusicDir() string { return filepath.Join(s.root, "music") }

// MusicPath resolves settings.music to a regular file inside MusicDir. An
// empty name is "no music" (""). A path, a name that climbs out, a
// symbolic link leading outside, or a file that does not exist is an
// INVALID_INPUT error naming settings.music.
func (s *Store) MusicPath(name string) (string, error) {
	if name == "" {
		return "", nil
	}
	if err := project.CheckMusicName(name); err != nil {
		return "", err
	}
	dir := s.MusicDir()
	p := filepath.Join(dir, filepath.FromSlash(name))
	real, err := filepath.EvalSymlinks(p)
	if err == nil {
		var realDir string
		if realDir, err = filepath.EvalSymlinks(dir); err == nil {
			if rel, rerr := filepath.Rel(realDir, real); rerr != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				return "", project.InvalidField("settings.music", "%q leads outside %s", name, dir)
			}
		}
	}
	fi, serr := os.Stat(p)
	if err != nil || serr != nil || !fi.Mode().IsRegular() || fi.Size() == 0 {
		return "", project.InvalidField("settings.music", "%q is not a file in %s (put music files there)", name, dir)
	}
	return p, nil
}

// CheckInput validates in (project.Input.Validate) and what only the store
// can check: the music file exists, publish_at is still in the future.
func (s *Store) CheckInput(in *project.Input) error {
	if err := in.Validate(); err != nil {
		return err
	}
	if _, err := s.MusicPath(in.Settings.Music); err != nil {
		return err
	}
	if _, err := s.Prompts().Get(in.Settings.PromptTemplate); err != nil {
		if errcode.Code(err) == prompts.CodeNotFound {
			return project.InvalidField("settings.prompt_template", "template %q does not exist (see GET /api/v1/prompt-templates)", in.Settings.PromptTemplate)
		}
		return err
	}
	if err := s.CheckBrand(in.Settings.Brand); err != nil {
		return err
	}
	return in.Settings.YouTube.CheckPublishAt(s.now())
}

// ProjectDir returns the folder of project id. It is built only from the
// integer, so no input can point it elsewhere.
func (s *Store) ProjectDir(id int64) string {
	return filepath.Join(s.root, "projects", strconv.FormatInt(id, 10))
}

func (s *Store) batchDir(id int64) string {
	return filepath.Join(s.root, "batches", strconv.FormatInt(id, 10))
}

func notFound(kind string, id int64) error {
	return errcode.Newf(errcode.NotFound, false, "%s %d does not exist", kind, id).WithCause(ErrNotFound)
}

// IsNotFound reports whether err says a project or batch does not exist.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// lock takes the in-process mutex and the cross-process flock for key.
func (s *Store) lock(key, lockPath string) (unlock func(), err error) {
	s.mu.Lock()
	m := s.locks[key]
	if m == nil {
		m = &sync.Mutex{}
		s.locks[key] = m
	}
	s.mu.Unlock()
	m.Lock()
	f, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil && errcode.Storage(err) != nil {
		// A read-only folder: an existing lock file still locks when
		// opened for reading. Without one, states go aside (Unsaved) and
		// only this process's lock holds.
		var rerr error
		if f, rerr = os.Open(lockPath); rerr != nil && s.unsaved != nil {
			s.log.Warn("project folder cannot be locked; locking within this process only", "path", lockPath, "err", err)
			return m.Unlock, nil
		}
		if rerr == nil {
			err = nil
		}
	}
	if err != nil {
		m.Unlock()
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		m.Unlock()
		return nil, fmt.Errorf("lock %s: %w", lockPath, err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
		m.Unlock()
	}, nil
}

// nextID allocates the next integer ID in dir (projects or batches), safe
// across processes: the counter lives in dir/.seq under a flock, and the
// new folder is created with mkdir, which fails if it exists.
func (s *Store) nextID(dir string) (int64, string, error) {
	unlock, err := s.lock(dir+"/.seq", filepath.Join(dir, ".seq.lock"))
	if err != nil {
		return 0, "", err
	}
	defer unlock()
	var seq int64
	if b, err := os.ReadFile(filepath.Join(dir, ".seq")); err == nil {
		seq, _ = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	} else {
		// No counter yet (or it was lost): start after the largest folder.
		ids, _ := listIDs(dir)
		if len(ids) > 0 {
			seq = ids[len(ids)-1]
		}
	}
	for {
		seq++
		path := filepath.Join(dir, strconv.FormatInt(seq, 10))
		err := os.Mkdir(path, 0o755)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return 0, "", errcode.Wrap(err, errcode.FileSystemError, false, "")
		}
		if err := atomicfile.WriteFile(filepath.Join(dir, ".seq"), []byte(strconv.FormatInt(seq, 10)+"\n"), 0o644); err != nil {
			return 0, "", errcode.Wrap(err, errcode.FileSystemError, false, "")
		}
		return seq, path, nil
	}
}

func listIDs(dir string) ([]int64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		id, err := strconv.ParseInt(e.Name(), 10, 64)
		if err != nil || id <= 0 {
			continue
		}
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s is corrupt: %w", path, err)
	}
	return nil
}

func writeErr(err error) error {
	if err == nil {
		return nil
	}
	if e := errcode.Storage(err); e != nil {
		return e
	}
	return errcode.Wrap(err, errcode.FileSystemError, true, "")
}

// CreateProject validates in, allocates an ID and writes the project and
// its initial state. batchID is 0 for a project outside any batch.
func (s *Store) CreateProject(ctx context.Context, in project.Input, batchID int64) (*project.Project, error) {
	if err := s.CheckInput(&in); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	id, dir, err := s.nextID(filepath.Join(s.root, "projects"))
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	p := &project.Project{ID: id, Name: in.Name, Content: in.Content, Language: in.Language,
		Settings: in.Settings, BatchID: batchID, CreatedAt: now, UpdatedAt: now}
	// The state first: a folder with project.json is a complete project.
	if err := atomicfile.WriteJSON(filepath.Join(dir, StateFile), project.NewState(id, now), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, writeErr(err)
	}
	if err := atomicfile.WriteJSON(filepath.Join(dir, ProjectFile), p, 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, writeErr(err)
	}
	return p, nil
}

// Project reads project.json.
func (s *Store) Project(id int64) (*project.Project, error) {
	return readEntity[project.Project](filepath.Join(s.ProjectDir(id), ProjectFile), "project", id)
}

// State reads project_state.json, or the newer state kept aside when the
// file could not be written (see Unsaved).
func (s *Store) State(id int64) (*project.State, error) {
	st, _, err := s.state(id, false)
	return st, err
}

// state is State that also returns the version of a state kept aside (0
// when there is none). exact asks Redis rather than the list of kept
// states HasKept caches (for a read-modify-write under the lock).
func (s *Store) state(id int64, exact bool) (*project.State, int64, error) {
	st, err := readEntity[project.State](filepath.Join(s.ProjectDir(id), StateFile), "project", id)
	if s.unsaved == nil || id <= 0 || (err != nil && errcode.Code(err) == errcode.NotFound) {
		return st, 0, err
	}
	if err == nil && !exact && !s.HasKept(id) {
		return st, 0, nil
	}
	kept, kerr := s.keptState(id)
	if kerr != nil || kept == nil {
		return st, 0, err
	}
	if err != nil || kept.Version > st.Version {
		return kept, kept.Version, nil
	}
	return st, kept.Version, nil
}

// readEntity reads one JSON file of a project or batch: NOT_FOUND when it
// does not exist, FILE_SYSTEM_ERROR when it cannot be read.
func readEntity[T any](path, kind string, id int64) (*T, error) {
	if id <= 0 {
		return nil, notFound(kind, id)
	}
	var v T
	if err := readJSON(path, &v); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, notFound(kind, id)
		}
		return nil, errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	return &v, nil
}

// Lock holds project id's lock while fn runs. Use it to make several
// reads and writes one atomic step.
func (s *Store) Lock(id int64, fn func() error) error {
	dir := s.ProjectDir(id)
	if _, err := os.Stat(filepath.Join(dir, ProjectFile)); err != nil {
		return notFound("project", id)
	}
	unlock, err := s.lock("p"+strconv.FormatInt(id, 10), filepath.Join(dir, ".lock"))
	if err != nil {
		return errcode.Classify(errcode.Wrap(err, errcode.FileSystemError, true, ""))
	}
	defer unlock()
	return fn()
}

// UpdateState reads the state, lets fn change it, and writes it back
// atomically under the project's lock. If fn returns an error nothing is
// written. It returns the state as written.
func (s *Store) UpdateState(id int64, fn func(*project.State) error) (*project.State, error) {
	var out *project.State
	err := s.Lock(id, func() error {
		st, keptVersion, err := s.state(id, true)
		if err != nil {
			return err
		}
		if err := fn(st); err != nil {
			return err
		}
		st.Version++
		st.UpdatedAt = s.now().UTC()
		if err := s.writeState(id, st, keptVersion); err != nil {
			return err
		}
		out = st
		return nil
	})
	return out, err
}

// UpdateBoth changes project.json and project_state.json in one locked
// step (for example a settings change that invalidates finished stages).
// fn also sees the current state, so it can refuse changes while the
// project runs.
func (s *Store) UpdateBoth(id int64, fn func(*project.Project, *project.State) error) (*project.Project, *project.State, error) {
	var op *project.Project
	var ost *project.State
	err := s.Lock(id, func() error {
		p, err := s.Project(id)
		if err != nil {
			return err
		}
		st, err := s.State(id)
		if err != nil {
			return err
		}
		if err := fn(p, st); err != nil {
			return err
		}
		now := s.now().UTC()
		p.UpdatedAt, st.UpdatedAt = now, now
		st.Version++
		if err := atomicfile.WriteJSON(filepath.Join(s.ProjectDir(id), StateFile), st, 0o644); err != nil {
			return writeErr(err)
		}
		if err := atomicfile.WriteJSON(filepath.Join(s.ProjectDir(id), ProjectFile), p, 0o644); err != nil {
			return writeErr(err)
		}
		op, ost = p, st
		return nil
	})
	return op, ost, err
}

// DeleteProject removes project id. With removeFiles the folder and every
// artifact are deleted; without, the folder is moved to DATA_DIR/deleted/
// so the user's files survive. check may refuse (for example while the
// project runs); it is called under the lock.
func (s *Store) DeleteProject(id int64, removeFiles bool, check func(*project.State) error) error {
	return s.Lock(id, func() error {
		st, err := s.State(id)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(st); err != nil {
				return err
			}
		}
		dir := s.ProjectDir(id)
		if removeFiles {
			if err := os.RemoveAll(dir); err != nil {
				return writeErr(err)
			}
			return nil
		}
		dst := filepath.Join(s.root, "deleted", fmt.Sprintf("project-%d-%s", id, s.now().UTC().Format("20060102T150405")))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return writeErr(err)
		}
		if err := os.Rename(dir, dst); err != nil {
			return writeErr(err)
		}
		return nil
	})
}

// Summary is a project with its state, for listings.
type Summary struct {
	Project *project.Project
	State   *project.State
}

// ListOptions filter and order ListProjects.
type ListOptions struct {
	Status  project.Status // "" for all
	BatchID int64          // 0 for all
	Name    string         // "" for all, else names containing it (any case)
	// Load reads one project and its state; nil reads the files. A
	// caller with a cache of parsed files passes it here (the values are
	// only read).
	Load   func(id int64) (*project.Project, *project.State, error)
	Sort   string // created_at (default) | updated_at | name | id | status
	Desc   bool
	Limit  int // 0 = no limit
	Offset int
}

// ListProjects returns the projects matching opts and the total count
// before paging.
func (s *Store) ListProjects(ctx context.Context, opts ListOptions) ([]Summary, int, error) {
	ids, err := listIDs(filepath.Join(s.root, "projects"))
	if err != nil {
		return nil, 0, errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	var out []Summary
	name := strings.ToLower(strings.TrimSpace(opts.Name))
	load := opts.Load
	if load == nil {
		load = func(id int64) (*project.Project, *project.State, error) {
			p, err := s.Project(id)
			if err != nil {
				return nil, nil, err
			}
			st, err := s.State(id)
			return p, st, err
		}
	}
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		p, st, err := load(id)
		if err != nil {
			continue // half-created or deleted meanwhile
		}
		if opts.Status != "" && st.Status != opts.Status {
			continue
		}
		if opts.BatchID != 0 && p.BatchID != opts.BatchID {
			continue
		}
		if name != "" && !strings.Contains(strings.ToLower(p.Name), name) {
			continue
		}
		out = append(out, Summary{Project: p, State: st})
	}
	less := func(i, j int) bool {
		return out[i].Project.CreatedAt.Before(out[j].Project.CreatedAt) || (out[i].Project.CreatedAt.Equal(out[j].Project.CreatedAt) && out[i].Project.ID < out[j].Project.ID)
	}
	switch opts.Sort {
	case "updated_at":
		less = func(i, j int) bool { return out[i].State.UpdatedAt.Before(out[j].State.UpdatedAt) }
	case "name":
		less = func(i, j int) bool {
			return strings.ToLower(out[i].Project.Name) < strings.ToLower(out[j].Project.Name)
		}
	case "id":
		less = func(i, j int) bool { return out[i].Project.ID < out[j].Project.ID }
	case "status":
		less = func(i, j int) bool { return out[i].State.Status < out[j].State.Status }
	}
	sort.SliceStable(out, func(i, j int) bool {
		if opts.Desc {
			return less(j, i)
		}
		return less(i, j)
	})
	total := len(out)
	if opts.Offset > 0 {
		if opts.Offset >= len(out) {
			out = nil
		} else {
			out = out[opts.Offset:]
		}
	}
	if opts.Limit > 0 && len(out) > opts.Limit {
		out = out[:opts.Limit]
	}
	return out, total, nil
}

// ProjectIDs lists every project ID in ascending order.
func (s *Store) ProjectIDs() ([]int64, error) {
	return listIDs(filepath.Join(s.root, "projects"))
}

// CreateBatch validates in, then creates the batch and one project per
// entry (all in the batch).
func (s *Store) CreateBatch(ctx context.Context, in project.BatchInput) (*project.Batch, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	for i := range in.Projects {
		if err := s.CheckInput(&in.Projects[i]); err != nil {
			return nil, project.InBatch(err, i)
		}
	}
	id, dir, err := s.nextID(filepath.Join(s.root, "batches"))
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	b := &project.Batch{ID: id, Name: in.Name, Concurrency: in.Concurrency, Status: project.BatchCreated,
		CreatedAt: now, UpdatedAt: now}
	for _, pin := range in.Projects {
		p, err := s.CreateProject(ctx, pin, id)
		if err != nil {
			return nil, err
		}
		b.ProjectIDs = append(b.ProjectIDs, p.ID)
	}
	if err := atomicfile.WriteJSON(filepath.Join(dir, BatchFile), b, 0o644); err != nil {
		return nil, writeErr(err)
	}
	return b, nil
}

// Batch reads batch.json.
func (s *Store) Batch(id int64) (*project.Batch, error) {
	return readEntity[project.Batch](filepath.Join(s.batchDir(id), BatchFile), "batch", id)
}

// UpdateBatch changes batch.json under the batch's lock.
func (s *Store) UpdateBatch(id int64, fn func(*project.Batch) error) (*project.Batch, error) {
	dir := s.batchDir(id)
	if _, err := os.Stat(filepath.Join(dir, BatchFile)); err != nil {
		return nil, notFound("batch", id)
	}
	unlock, err := s.lock("b"+strconv.FormatInt(id, 10), filepath.Join(dir, ".lock"))
	if err != nil {
		return nil, errcode.Wrap(err, errcode.FileSystemError, true, "")
	}
	defer unlock()
	b, err := s.Batch(id)
	if err != nil {
		return nil, err
	}
	if err := fn(b); err != nil {
		return nil, err
	}
	b.Version++
	b.UpdatedAt = s.now().UTC()
	if err := atomicfile.WriteJSON(filepath.Join(dir, BatchFile), b, 0o644); err != nil {
		return nil, writeErr(err)
	}
	return b, nil
}

// ListBatches returns every batch, newest first.
func (s *Store) ListBatches(ctx context.Context) ([]*project.Batch, error) {
	ids, err := listIDs(filepath.Join(s.root, "batches"))
	if err != nil {
		return nil, errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	var out []*project.Batch
	for i := len(ids) - 1; i >= 0; i-- {
		if b, err := s.Batch(ids[i]); err == nil {
			out = append(out, b)
		}
	}
	return out, nil
}
