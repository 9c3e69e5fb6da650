package prompts

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/atomicfile"
)

// CodeNotFound is the code of a template that does not exist.
const CodeNotFound = "PROMPT_TEMPLATE_NOT_FOUND"

// Store keeps templates as one JSON file each (NAME.json) in a folder,
// usually DATA_DIR/prompts. Files are written atomically. The built-in
// template is not a file: it is always there and cannot be changed. A
// Store is safe for concurrent use within a process; between processes
// the atomic writes keep every file whole.
type Store struct {
	dir string
	now func() time.Time
	mu  sync.Mutex
}

// NewStore returns the store of templates in dir. The folder is created
// on the first write.
func NewStore(dir string) *Store {
	return &Store{dir: dir, now: time.Now}
}

// Dir returns the folder of the templates.
func (s *Store) Dir() string { return s.dir }

func (s *Store) path(name string) string { return filepath.Join(s.dir, name+".json") }

// Get returns the template called name: the built-in one for "" and
// DefaultName. A name that is not valid is INVALID_INPUT (field "name");
// a template that does not exist is PROMPT_TEMPLATE_NOT_FOUND.
func (s *Store) Get(name string) (Template, error) {
	if name == "" || name == DefaultName {
		return Default, nil
	}
	if !ValidName(name) {
		return Template{}, invalid("name", "%q is not a template name", name)
	}
	data, err := os.ReadFile(s.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return Template{}, errcode.Newf(CodeNotFound, false, "prompt template %q does not exist (see GET /api/v1/prompt-templates)", name).
			WithDetail("name", name)
	}
	if err != nil {
		return Template{}, errcode.Wrap(err, errcode.FileSystemError, false, "read prompt template: "+err.Error())
	}
	var t Template
	if err := json.Unmarshal(data, &t); err != nil {
		return Template{}, errcode.Wrap(err, errcode.FileSystemError, false, "prompt template "+name+" is damaged: "+err.Error())
	}
	t.Name = name
	return t, nil
}

// List returns every template, the built-in one first, then the others by
// name. Files that are not templates are skipped.
func (s *Store) List() ([]Template, error) {
	out := []Template{Default}
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, errcode.Wrap(err, errcode.FileSystemError, false, "list prompt templates: "+err.Error())
	}
	var names []string
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if ok && e.Type().IsRegular() && ValidName(name) && name != DefaultName {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		t, err := s.Get(n)
		if err != nil {
			continue // removed meanwhile, or damaged
		}
		out = append(out, t)
	}
	return out, nil
}

// Put validates t and stores it, replacing a template of the same name.
// It reports whether the template is new.
func (s *Store) Put(t Template) (Template, bool, error) {
	if err := t.Validate(); err != nil {
		return Template{}, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return Template{}, false, errcode.Wrap(err, errcode.FileSystemError, false, "create "+s.dir+": "+err.Error())
	}
	_, err := os.Stat(s.path(t.Name))
	created := errors.Is(err, fs.ErrNotExist)
	t.UpdatedAt = s.now().UTC().Truncate(time.Second)
	if err := atomicfile.WriteJSON(s.path(t.Name), t, 0o644); err != nil {
		return Template{}, false, errcode.Wrap(err, errcode.FileSystemError, false, "save prompt template: "+err.Error())
	}
	return t, created, nil
}

// Delete removes the template called name. The built-in template cannot
// be removed (INVALID_INPUT); a missing one is PROMPT_TEMPLATE_NOT_FOUND.
func (s *Store) Delete(name string) error {
	if name == DefaultName {
		return invalid("name", "%q is the built-in template and cannot be deleted", DefaultName)
	}
	if !ValidName(name) {
		return invalid("name", "%q is not a template name", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err := os.Remove(s.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return errcode.Newf(CodeNotFound, false, "prompt template %q does not exist", name).WithDetail("name", name)
	}
	if err != nil {
		return errcode.Wrap(err, errcode.FileSystemError, false, "delete prompt template: "+err.Error())
	}
	return atomicfile.SyncDir(s.dir)
}
