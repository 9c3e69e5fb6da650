package leftover

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/owner"
)

// TestMain lets the test binary make temporary files as another process
// and die without removing them.
func TestMain(m *testing.M) {
	if dir := os.Getenv("LEFTOVER_TEST_DIR"); dir != "" {
		f, err := os.CreateTemp(dir, Pattern("project_state.json", "tmp", ""))
		if err != nil {
			os.Exit(2)
		}
		d, err := os.MkdirTemp(dir, DirPattern("render"))
		if err != nil {
			os.Exit(2)
		}
		p, err := os.MkdirTemp(filepath.Join(dir, "assets"), Pattern("seg001.wav", "parts", ""))
		if err != nil {
			os.Exit(2)
		}
		os.WriteFile(filepath.Join(p, "000.wav"), []byte("x"), 0o644)
		os.WriteFile(filepath.Join(d, "seg000.h264"), []byte("x"), 0o644)
		os.Stdout.WriteString(filepath.Base(f.Name()) + "\n")
		select {} // until killed
	}
	os.Exit(m.Run())
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && path != dir {
			rel, _ := filepath.Rel(dir, path)
			out = append(out, rel)
		}
		return nil
	})
	slices.Sort(out)
	return out
}

// TestSweepRemovesWhatAKilledProcessLeft kills a process that has made a
// temporary file, a render folder and a narration parts folder, and
// expects a sweep to remove them all, while it keeps this live process's
// temporaries, old untagged ones younger than the policy's age, and every
// ordinary file.
func TestSweepRemovesWhatAKilledProcessLeft(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "assets"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LEFTOVER_TEST_DIR="+dir)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, _ := bufio.NewReader(out).ReadString('\n'); !strings.Contains(line, ".tmp-") {
		cmd.Process.Kill()
		t.Fatalf("child: %q", line)
	}
	cmd.Process.Kill()
	cmd.Wait()

	keep := []string{"project_state.json", "assets/seg001.wav", "output/final_video.mp4"}
	for _, k := range keep {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, k)), 0o755)
		os.WriteFile(filepath.Join(dir, k), []byte("keep"), 0o644)
	}
	mine, err := os.CreateTemp(filepath.Join(dir, "output"), Pattern("final_video.mp4", "tmp", ".mp4"))
	if err != nil {
		t.Fatal(err)
	}
	mine.Close()
	mineRender, _ := os.MkdirTemp(dir, DirPattern("render"))
	young := filepath.Join(dir, ".project.json.tmp-123456")
	old := filepath.Join(dir, "assets", ".seg002.wav.tmp-987654.wav")
	oldRender := filepath.Join(dir, ".render-55555")
	for _, f := range []string{young, old} {
		os.WriteFile(f, nil, 0o644)
	}
	os.MkdirAll(filepath.Join(oldRender, "x"), 0o755)
	long := time.Now().Add(-2 * time.Hour)
	os.Chtimes(old, long, long)
	os.Chtimes(oldRender, long, long)

	before := names(t, dir)
	removed, err := Sweep(dir, Startup)
	if err != nil {
		t.Fatal(err)
	}
	got := names(t, dir)
	want := []string{filepath.Base(young), filepath.Base(mineRender), "assets", "assets/seg001.wav",
		"output", "output/" + filepath.Base(mine.Name()), "output/final_video.mp4", "project_state.json"}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("before %v\nafter %v\nwant %v", before, got, want)
	}
	if len(removed) != 5 {
		t.Errorf("removed %v, want 5 paths", removed)
	}
}

func TestStale(t *testing.T) {
	now := time.Now()
	dead := owner.ID{PID: os.Getpid(), Start: owner.Self().Start + 7} // a recycled pid
	tag := Tag()
	for _, c := range []struct {
		name string
		age  time.Duration
		want bool
	}{
		{"project_state.json", 48 * time.Hour, false},
		{".hidden", 48 * time.Hour, false},
		{"." + "x.tmp-" + tag + "-1", 48 * time.Hour, false},
		{".x.tmp-" + owner.Host() + "." + dead.String() + "-1", 0, true},
		{".render-" + owner.Host() + "." + dead.String() + "-1", 0, true},
		{".x.parts-" + owner.Host() + "." + dead.String() + "-1", 0, true},
		{".x.tmp-0badc0de." + dead.String() + "-1", 30 * time.Second, false}, // another machine: by age
		{".x.tmp-0badc0de." + dead.String() + "-1", 2 * time.Minute, true},
		{".x.tmp-12345", 30 * time.Second, false},
		{".x.tmp-12345", 2 * time.Minute, true},
		{"a.render-1", 48 * time.Hour, false},
	} {
		if got := Stale(c.name, now.Add(-c.age), now, time.Minute); got != c.want {
			t.Errorf("Stale(%q, age %v) = %v, want %v", c.name, c.age, got, c.want)
		}
	}
}

func TestTemporary(t *testing.T) {
	for name, want := range map[string]bool{
		".project_state.json.tmp-" + Tag() + "-1": true,
		".narration.wav.parts-" + Tag() + "-1":    true,
		".render-" + Tag() + "-1":                 true,
		".x.tmp-12345":                            true, // untagged, from an older version
		"project_state.json":                      false,
		".hidden":                                 false,
		"a.render-1":                              false,
		"x.render-1":                              false,
		"video.mp4":                               false,
	} {
		if got := Temporary(name); got != want {
			t.Errorf("Temporary(%q) = %v, want %v", name, got, want)
		}
	}
}
