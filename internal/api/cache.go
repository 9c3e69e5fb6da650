package api

import (
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/store"
)

// fileCache keeps parsed project.json and project_state.json files, so a
// busy GET /projects/{id} does not parse the same (large) state file over
// and over. An entry is valid while both files keep their identity:
// the store replaces them atomically by renaming a new file into place,
// so any change gives a new inode, size or modification time. The cached
// values are shared and must be treated as read-only.
type fileCache struct {
	mu      sync.Mutex
	entries map[int64]*cacheEntry
}

type cacheEntry struct {
	pKey, sKey fileKey
	p          *project.Project
	st         *project.State
}

// fileKey identifies one version of a file.
type fileKey struct {
	ino   uint64
	size  int64
	mtime int64
}

// maxCacheEntries bounds the cache; past it, the cache starts over.
const maxCacheEntries = 4096

func statKey(path string) (fileKey, bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileKey{}, false
	}
	k := fileKey{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		k.ino = uint64(st.Ino)
	}
	return k, true
}

// load returns the project and its state, from the cache when the files
// have not changed.
func (c *fileCache) load(st *store.Store, id int64) (*project.Project, *project.State, error) {
	dir := st.ProjectDir(id)
	pKey, okP := statKey(filepath.Join(dir, store.ProjectFile))
	sKey, okS := statKey(filepath.Join(dir, store.StateFile))
	// A state the disk refused is kept aside, not in the file: read it.
	if okP && okS && !st.HasKept(id) {
		c.mu.Lock()
		e := c.entries[id]
		c.mu.Unlock()
		if e != nil && e.pKey == pKey && e.sKey == sKey {
			return e.p, e.st, nil
		}
	}
	// The keys were taken before reading: if a file is replaced meanwhile,
	// the entry is stale at once and the next call reads again.
	p, err := st.Project(id)
	if err != nil {
		return nil, nil, asNotFound(err, CodeProjectNotFound)
	}
	state, err := st.State(id)
	if err != nil {
		return nil, nil, asNotFound(err, CodeProjectNotFound)
	}
	if okP && okS {
		c.mu.Lock()
		if c.entries == nil || len(c.entries) >= maxCacheEntries {
			c.entries = map[int64]*cacheEntry{}
		}
		c.entries[id] = &cacheEntry{pKey: pKey, sKey: sKey, p: p, st: state}
		c.mu.Unlock()
	}
	return p, state, nil
}
