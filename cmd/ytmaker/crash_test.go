package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/apiclient"
	"github.com/ytmaker/ytmaker/internal/leftover"
	"github.com/ytmaker/ytmaker/internal/media/childproc"
	"github.com/ytmaker/ytmaker/internal/owner"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/store"
)

// crashText makes a video of four segments: its render runs an ffmpeg per
// segment, then joins them, for a second or more.
const crashText = "Rivers shape the land around them. Over thousands of years, water carves valleys.\n\n" +
	"Cities grew beside rivers because water meant food, trade and travel.\n\n" +
	"A river's delta is where it slows down and drops its sand. Deltas are rich farmland.\n\n" +
	"Today people work to keep rivers clean, because every city downstream drinks from them."

// child is a process started by a serve process, named with its start
// time so that a recycled pid never passes for it.
type child struct {
	owner.ID
	cmd string
}

// alive reports whether the very process c still runs (a zombie does
// not: it has ended and only waits to be reaped).
func (c child) alive() bool {
	p, err := owner.Stat(c.PID)
	return err == nil && p.Start == c.Start
}

// childrenOf lists the live processes that serve process pid started:
// those whose parent it is (redis-server among them) and those that carry
// its identity in childproc.EnvOwner (ffmpeg, festival and what they
// start).
func childrenOf(t *testing.T, pid int) []child {
	t.Helper()
	st, err := owner.StartTime(pid)
	if err != nil {
		t.Fatalf("serve process %d: %v", pid, err)
	}
	tag := childproc.EnvOwner + "=" + owner.ID{PID: pid, Start: st}.String()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var kids []child
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil || p == pid {
			continue
		}
		proc, err := owner.Stat(p)
		if err != nil {
			continue // gone
		}
		stat, _ := os.ReadFile("/proc/" + e.Name() + "/stat")
		env, _ := os.ReadFile("/proc/" + e.Name() + "/environ")
		if parentOf(string(stat)) != pid && !hasEnv(env, tag) {
			continue
		}
		cmdline, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		kids = append(kids, child{ID: proc.ID, cmd: strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))})
	}
	return kids
}

// parentOf returns the parent pid in the text of /proc/<pid>/stat (the
// second field after the command's closing parenthesis), or 0.
func parentOf(stat string) int {
	f := strings.Fields(stat[strings.LastIndexByte(stat, ')')+1:])
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

func hasEnv(env []byte, kv string) bool {
	for _, v := range strings.Split(string(env), "\x00") {
		if v == kv {
			return true
		}
	}
	return false
}

// temporaries lists every temporary file or folder below dir.
func temporaries(t *testing.T, dir string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // removed while walking
		}
		if leftover.Temporary(d.Name()) {
			found = append(found, path)
			if d.IsDir() {
				return fs.SkipDir
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestKilledServeRendersAgainWithin3s kills `ytmaker serve` with SIGKILL
// while it renders, and restarts it at once on the same data directory
// and the same Redis address (the Redis serve itself started, which dies
// with it and is started again from its append-only file): no child of the
// killed serve outlives it by 2 s, the render stage runs again within 3 s
// of the restart, and once the project is complete no temporary file or
// folder is left anywhere in the data directory.
func TestKilledServeRendersAgainWithin3s(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs /proc")
	}
	if testing.Short() {
		t.Skip("runs a whole project through the binary, killed and restarted (~30 s)")
	}
	for _, bin := range []string{"redis-server", "ffmpeg"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not installed", bin)
		}
	}
	ctx := context.Background()
	dir := t.TempDir()
	args := []string{"--data-dir", dir, "--redis-url", "redis://127.0.0.1:" + strconv.Itoa(freePort(t)) + "/0"}
	first := serve(t, args...)
	first.waitHealthy(t)
	api, err := apiclient.New(apiclient.BaseURL(first.addr), "")
	if err != nil {
		t.Fatal(err)
	}
	no := false
	p, err := api.CreateProject(ctx, project.Input{Name: "Rivers", Language: "en", Content: crashText,
		Settings: project.Settings{YouTube: project.YouTube{Upload: &no}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.Generate(ctx, p.ID, ""); err != nil {
		t.Fatal(err)
	}
	generated := time.Now()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}

	// Wait for the render to run: the API says RENDERING and serve has an
	// ffmpeg child.
	pid := first.cmd.Process.Pid
	var kids []child
	rendering := func() bool {
		got, err := api.Project(ctx, p.ID)
		if err != nil || got.Status != project.Rendering {
			if err == nil && (got.Status == project.Failed || got.Status == project.Rendered || got.Status == project.Completed) {
				t.Fatalf("project %s before the render could be interrupted; output:\n%s", got.Status, first.out())
			}
			return false
		}
		kids = childrenOf(t, pid)
		for _, k := range kids {
			if strings.Contains(k.cmd, "ffmpeg") {
				return true
			}
		}
		return false
	}
	for deadline := time.Now().Add(40 * time.Second); !rendering(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the render never ran; output:\n%s", first.out())
		}
	}
	t.Logf("rendering %v after the run started", time.Since(generated).Round(time.Millisecond))
	before, err := st.State(p.ID)
	if err != nil {
		t.Fatal(err)
	}
	attempts := len(before.Stages.Render.History)

	// kill -9, and start again at once.
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	<-first.exited
	second := serve(t, args...)
	restarted := time.Now()
	t.Cleanup(func() {
		// Stop it with its Redis before the data directory goes.
		select {
		case <-second.exited:
		default:
			second.interrupt(t, 10*time.Second)
		}
	})
	temps := temporaries(t, dir)
	t.Logf("killed serve (pid %d) mid-render with %d children and %d temporaries; restarted %v later",
		pid, len(kids), len(temps), restarted.Sub(killed).Round(time.Millisecond))
	for _, k := range kids {
		t.Logf("  child %d: %.100s", k.PID, k.cmd)
	}

	// (a) every child gone within 2 s of the kill; (b) the render stage
	// running again, a new attempt of the same run in project_state.json,
	// within 3 s of the restart. Both are watched together, and each is
	// given longer than its bound so that a failure reports the real time.
	var gone, running time.Duration
	var alive []child
	for deadline := time.Now().Add(20 * time.Second); (gone == 0 || running == 0) && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if gone == 0 {
			alive = alive[:0]
			for _, k := range kids {
				if k.alive() {
					alive = append(alive, k)
				}
			}
			if len(alive) == 0 {
				gone = time.Since(killed)
			}
		}
		if running == 0 {
			if s, err := st.State(p.ID); err == nil && s.Stages.Render.Status == project.StageRunning {
				if h := s.Stages.Render.History; len(h) > attempts && h[len(h)-1].Outcome == "" && h[len(h)-1].StartedAt.After(killed) {
					running = time.Since(restarted)
				}
			}
		}
	}
	t.Logf("children of the killed serve gone %v after the kill", gone.Round(time.Millisecond))
	t.Logf("render running again %v after the restart", running.Round(time.Millisecond))
	if gone == 0 || gone > 2*time.Second {
		for _, k := range alive {
			t.Errorf("child %d still alive 2 s after the kill: %s", k.PID, k.cmd)
		}
	}
	if running == 0 || running > 3*time.Second {
		t.Errorf("the render stage was not running again within 3 s of the restart (took %v); output:\n%s", running, second.out())
	}
	if t.Failed() {
		t.FailNow()
	}

	// (c) the project completes, with no temporary left behind.
	second.waitHealthy(t)
	api, err = apiclient.New(apiclient.BaseURL(second.addr), "")
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(45 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		got, err := api.Project(ctx, p.ID)
		if err == nil && got.Status == project.Completed {
			break
		}
		if err == nil && (got.Status == project.Failed || got.Status == project.Cancelled) || time.Now().After(deadline) {
			var status string
			if got != nil {
				status = fmt.Sprintf("%s %d%% (stage %s, error %v)", got.Status, got.Progress, got.CurrentStage, got.Error)
			}
			t.Fatalf("project did not complete after the restart: %s %v; children %v; output:\n%s", status, err, childrenOf(t, second.cmd.Process.Pid), second.out())
		}
	}
	t.Logf("project completed %v after the restart", time.Since(restarted).Round(time.Millisecond))
	if left := temporaries(t, dir); len(left) > 0 {
		t.Fatalf("temporaries left once the project completed: %v", left)
	}
	if code := second.interrupt(t, 8*time.Second); code != 0 {
		t.Fatalf("exit code %d; output:\n%s", code, second.out())
	}
}
