package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ytmaker/ytmaker/internal/config"
)

func TestCheckDataDir(t *testing.T) {
	dir := t.TempDir()
	fresh := filepath.Join(dir, "a", "b")
	if err := checkDataDir(fresh); err != nil {
		t.Fatalf("a folder to create: %v", err)
	}
	if fi, err := os.Stat(fresh); err != nil || !fi.IsDir() {
		t.Fatalf("not created: %v", err)
	}
	if ents, _ := os.ReadDir(fresh); len(ents) != 0 {
		t.Fatalf("the check left %d files behind", len(ents))
	}
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{file, filepath.Join(file, "below")} {
		err := checkDataDir(bad)
		if err == nil || !strings.Contains(err.Error(), "DATA_DIR="+bad) {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func TestMissingToolsAreNamed(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // nothing installed
	got := missingTools(&config.Config{FFmpeg: "ffmpeg", FFprobe: "ffprobe"})
	if len(got) != 2 || !strings.Contains(got[0], "FFMPEG_NOT_FOUND") || !strings.Contains(got[0], "apt-get install ffmpeg") ||
		!strings.Contains(got[1], "TTS_ENGINE_NOT_FOUND") || !strings.Contains(got[1], "espeak-ng") {
		t.Fatalf("warnings: %q", got)
	}
}

func TestMissingToolsNoneWhenInstalled(t *testing.T) {
	for _, p := range []string{"ffmpeg", "ffprobe", "espeak-ng"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s is not installed", p)
		}
	}
	if got := missingTools(&config.Config{FFmpeg: "ffmpeg", FFprobe: "ffprobe"}); len(got) != 0 {
		t.Fatalf("warnings with everything installed: %q", got)
	}
}

// A DATA_DIR that is a file stops serve and worker at once, naming the
// setting, before Redis is started or contacted.
func TestDataDirThatIsAFileStopsTheServer(t *testing.T) {
	file := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"serve", "--addr", "127.0.0.1:" + strconv.Itoa(freePort(t)), "--redis-url", "redis://127.0.0.1:" + strconv.Itoa(freePort(t)) + "/0"},
		{"worker", "--redis-url", "redis://127.0.0.1:" + strconv.Itoa(freePort(t)) + "/0"},
	} {
		cmd := exec.Command(binary(t), append(args, "--data-dir", file, "--env-file", "/nonexistent")...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
		out, err := cmd.CombinedOutput()
		if err == nil || cmd.ProcessState.ExitCode() != 1 {
			t.Errorf("%s: exit %v, want 1", args[0], err)
		}
		if !strings.Contains(string(out), "DATA_DIR="+file+" is not a folder YTMaker can write in") || strings.Contains(string(out), "Redis") {
			t.Errorf("%s: %s", args[0], out)
		}
	}
}

// generate with no server to hand the job to makes the video itself:
// without ffmpeg it stops before creating a project, saying what to
// install.
func TestGenerateHereWithoutFFmpegStopsFirst(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "article.txt")
	if err := os.WriteFile(text, []byte("Tea is good.\n\nDrink more tea.\n\nGoodbye."), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	cmd := exec.Command(binary(t), "generate", "--content-file", text, "--data-dir", data,
		"--addr", "127.0.0.1:"+strconv.Itoa(freePort(t)), "--redis-url", "redis://127.0.0.1:"+strconv.Itoa(freePort(t))+"/0",
		"--env-file", "/nonexistent")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "FFMPEG=/nonexistent/ffmpeg"}
	out, err := cmd.CombinedOutput()
	if err == nil || cmd.ProcessState.ExitCode() != 1 || !strings.Contains(string(out), "FFMPEG_NOT_FOUND") ||
		!strings.Contains(string(out), "install ffmpeg") {
		t.Fatalf("exit %v:\n%s", err, out)
	}
	if ents, _ := os.ReadDir(filepath.Join(data, "projects")); len(ents) != 0 {
		t.Fatalf("a project was created: %v", ents)
	}
}
