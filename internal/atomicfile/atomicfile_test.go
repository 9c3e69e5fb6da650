package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "state.json")
	if err := WriteJSON(path, map[string]int{"a": 1}, 0o640); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), `"a": 1`) {
		t.Fatalf("content %q", b)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v", fi.Mode().Perm())
	}
	// A failed write leaves the old file and no temporary file behind.
	err := Write(path, 0o640, func(w io.Writer) error {
		w.Write([]byte("half"))
		return errors.New("disk trouble")
	})
	if err == nil {
		t.Fatal("want error")
	}
	if b2, _ := os.ReadFile(path); string(b2) != string(b) {
		t.Fatalf("target changed after a failed write: %q", b2)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("leftover files: %v", entries)
	}
}

func TestRename(t *testing.T) {
	dir := t.TempDir()
	tmp := filepath.Join(dir, "video.mp4.tmp")
	os.WriteFile(tmp, []byte("data"), 0o644)
	if err := Rename(tmp, filepath.Join(dir, "video.mp4")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Fatal("temporary name still there")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "video.mp4")); string(b) != "data" {
		t.Fatalf("content %q", b)
	}
}
