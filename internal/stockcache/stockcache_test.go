package stockcache

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/atomicfile"
)

func fill(n int) func(context.Context, string) error {
	return func(_ context.Context, path string) error {
		return atomicfile.WriteFile(path, make([]byte, n), 0o644)
	}
}

func TestGetDownloadsOnceAndEvictsLeastRecentlyUsed(t *testing.T) {
	dir := t.TempDir()
	c := New(dir, 250)
	ctx := context.Background()
	calls := 0
	counted := func(n int) func(context.Context, string) error {
		return func(ctx context.Context, path string) error { calls++; return fill(n)(ctx, path) }
	}
	old := time.Now().Add(-time.Hour)
	if _, hit, err := c.Get(ctx, "a.mp4", counted(100)); err != nil || hit {
		t.Fatal(hit, err)
	}
	os.Chtimes(filepath.Join(dir, "a.mp4"), old, old)
	if _, hit, err := c.Get(ctx, "b.mp4", counted(100)); err != nil || hit {
		t.Fatal(hit, err)
	}
	os.Chtimes(filepath.Join(dir, "b.mp4"), old.Add(time.Minute), old.Add(time.Minute))
	// Using a makes b the least recently used.
	if p, hit, err := c.Get(ctx, "a.mp4", counted(100)); err != nil || !hit || p != filepath.Join(dir, "a.mp4") {
		t.Fatal(p, hit, err)
	}
	if calls != 2 {
		t.Fatalf("%d downloads, want 2", calls)
	}
	if _, _, err := c.Get(ctx, "c.mp4", counted(100)); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"a.mp4": true, "b.mp4": false, "c.mp4": true} {
		if _, err := os.Stat(filepath.Join(dir, name)); (err == nil) != want {
			t.Errorf("%s kept = %v, want %v", name, err == nil, want)
		}
	}
}

func TestGetKeepsNothingOfAFailedDownload(t *testing.T) {
	dir := t.TempDir()
	c := New(dir, 0)
	boom := errors.New("boom")
	if _, _, err := c.Get(context.Background(), "x.mp4", func(context.Context, string) error { return boom }); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if _, _, err := c.Get(context.Background(), "../x.mp4", fill(1)); err == nil {
		t.Fatal("a path escaping the folder was accepted")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 0 {
		t.Errorf("left %v", ents)
	}
}

func TestPlaceLinksOrCopies(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.mp4")
	atomicfile.WriteFile(src, []byte("clip"), 0o644)
	dst := filepath.Join(dir, "p", "assets", "segment_01.mp4")
	if err := Place(src, dst); err != nil {
		t.Fatal(err)
	}
	os.Remove(src) // evicted: the project's copy stays
	if b, err := os.ReadFile(dst); err != nil || string(b) != "clip" {
		t.Fatalf("%q, %v", b, err)
	}
	if ents, _ := os.ReadDir(filepath.Dir(dst)); len(ents) != 1 {
		t.Errorf("left %v", ents)
	}
}
