package childproc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/owner"
)

// TestMain lets the test binary act as a parent that starts children with
// Run, so that a test can kill it with SIGKILL.
func TestMain(m *testing.M) {
	if mode := os.Getenv("CHILDPROC_TEST_PARENT"); mode != "" {
		os.Exit(parent(mode))
	}
	os.Exit(m.Run())
}

// parent starts the children of mode, reports "ready" once they run, and
// waits to be killed.
func parent(mode string) int {
	ctx := context.Background()
	var cmds []*exec.Cmd
	switch mode {
	case "direct":
		cmds = append(cmds, exec.Command("sleep", "300"))
		if ff, err := exec.LookPath("ffmpeg"); err == nil {
			cmds = append(cmds, exec.Command(ff, "-nostdin", "-v", "error", "-re", "-f", "lavfi", "-i", "anullsrc", "-f", "null", "-"))
		}
	case "grandchild":
		cmds = append(cmds, exec.Command("sh", "-c", "sleep 300 & wait"))
	default:
		return 2
	}
	for _, c := range cmds {
		go Run(ctx, c, 0)
	}
	want := len(cmds)
	if mode == "grandchild" {
		want = 2
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if len(childrenOf(owner.Self())) >= want {
			fmt.Println("ready")
			select {}
		}
	}
	return 3
}

// childrenOf lists the live processes tagged with own.
func childrenOf(own owner.ID) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil {
			continue
		}
		if tag, ok := envValue(env, EnvOwner); ok && tag == own.String() && !gone(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// startParent runs the test binary as a parent in mode and returns it
// once its children run.
func startParent(t *testing.T, mode string) (*exec.Cmd, owner.ID) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("needs /proc")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "CHILDPROC_TEST_PARENT="+mode)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	if line, _ := bufio.NewReader(out).ReadString('\n'); strings.TrimSpace(line) != "ready" {
		t.Fatalf("parent: %q", line)
	}
	st, err := owner.StartTime(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	return cmd, owner.ID{PID: cmd.Process.Pid, Start: st}
}

// TestChildrenDieWithKilledParent kills a parent with SIGKILL, which runs
// none of its code, and expects its children (sleep, and ffmpeg where
// installed) to be gone within 2 s.
func TestChildrenDieWithKilledParent(t *testing.T) {
	cmd, own := startParent(t, "direct")
	kids := childrenOf(own)
	if len(kids) == 0 {
		t.Fatal("no child found")
	}
	t.Cleanup(func() {
		for _, pid := range kids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	cmd.Process.Kill()
	killed := time.Now()
	cmd.Wait()
	for deadline := killed.Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if len(childrenOf(own)) == 0 {
			t.Logf("%d children gone %v after the kill", len(kids), time.Since(killed).Round(time.Millisecond))
			return
		}
	}
	t.Fatalf("children %v still alive 2 s after their parent was killed", childrenOf(own))
}

// TestSweepEndsOrphans leaves a grandchild behind a killed parent (the
// parent-death signal reaches children only) and expects Sweep to end it,
// together with a process whose owner's pid now belongs to another
// process, while it leaves the children of a live owner alone.
func TestSweepEndsOrphans(t *testing.T) {
	cmd, dead := startParent(t, "grandchild")
	cmd.Process.Kill()
	cmd.Wait()
	var orphans []int
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if orphans = childrenOf(dead); len(orphans) == 1 {
			break
		}
	}
	if len(orphans) != 1 {
		t.Fatalf("want the grandchild alone to outlive the kill, found %v", orphans)
	}
	t.Cleanup(func() { syscall.Kill(orphans[0], syscall.SIGKILL) })

	// A process tagged with this test's pid but another start time: its
	// owner is a dead process whose pid was given to this one.
	recycled := owner.ID{PID: os.Getpid(), Start: owner.Self().Start + 1}
	impostor := exec.Command("sleep", "300")
	impostor.Env = append(os.Environ(), EnvOwner+"="+recycled.String())
	if err := impostor.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); impostor.Wait() }()
	t.Cleanup(func() { impostor.Process.Kill(); wg.Wait() })

	// A child of a live owner (this test).
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- Run(ctx, exec.Command("sleep", "300"), 0) }()
	defer func() {
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Errorf("live child: %v", err)
		}
	}()
	var live []int
	for deadline := time.Now().Add(5 * time.Second); len(live) == 0 && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		live = childrenOf(owner.Self())
	}
	if len(live) != 1 {
		t.Fatalf("live children %v", live)
	}

	killed, err := Sweep()
	if err != nil {
		t.Fatal(err)
	}
	got := map[int]bool{}
	for _, o := range killed {
		got[o.PID] = true
	}
	if !got[orphans[0]] || !got[impostor.Process.Pid] {
		t.Fatalf("swept %+v, want the orphan %d and the impostor %d", killed, orphans[0], impostor.Process.Pid)
	}
	if got[live[0]] {
		t.Fatal("swept the child of a live owner")
	}
	for deadline := time.Now().Add(2 * time.Second); !gone(orphans[0]) && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if !gone(orphans[0]) {
		t.Fatal("orphan survived the sweep")
	}
	wg.Wait()
	if gone(live[0]) {
		t.Fatal("the live owner's child died")
	}
}

// TestChildOutlivesEndedThreads ends many OS threads while a child runs
// (a goroutine that returns while locked to its thread ends the thread).
// The child must survive: the parent-death signal follows the thread
// that started it, which Run keeps for the child's life.
func TestChildOutlivesEndedThreads(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- Run(ctx, exec.Command("sh", "-c", "echo $$ > "+pidFile+"; exec sleep 300"), 0) }()
	var pid int
	for deadline := time.Now().Add(5 * time.Second); pid == 0 && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if b, err := os.ReadFile(pidFile); err == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
	}
	if pid == 0 {
		t.Fatal("child did not start")
	}
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread() // returning locked ends the thread
			time.Sleep(time.Millisecond)
		}()
	}
	wg.Wait()
	// Give a death signal, had one been sent, time to land.
	time.Sleep(100 * time.Millisecond)
	if gone(pid) {
		t.Fatal("the child died when a thread of its parent ended")
	}
	cancel()
	<-errc
}
