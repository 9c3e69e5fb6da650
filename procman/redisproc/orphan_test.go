package redisproc

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/owner"
)

// startedBy writes dir's started-by record: cmd's process, started by
// parent.
func startedBy(t *testing.T, dir string, cmd *exec.Cmd, parent owner.ID) owner.ID {
	t.Helper()
	st, err := owner.StartTime(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	red := owner.ID{PID: cmd.Process.Pid, Start: st}
	if err := os.WriteFile(startedByFile(dir), []byte(red.String()+" "+parent.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return red
}

// startSleep starts a process that runs until it is signalled; with
// trapTerm, it ignores SIGTERM, as a hung server would.
func startSleep(t *testing.T, trapTerm bool) *exec.Cmd {
	t.Helper()
	script := "echo ready; exec sleep 60"
	if trapTerm {
		script = "trap '' TERM; echo ready; while :; do sleep 0.05; done"
	}
	cmd := exec.Command("sh", "-c", script)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	t.Cleanup(func() { cmd.Process.Kill(); <-exited })
	// Once it says so, the trap is in place.
	if line, _ := bufio.NewReader(out).ReadString('\n'); line != "ready\n" {
		t.Fatalf("child: %q", line)
	}
	go func() { cmd.Wait(); close(exited) }()
	return cmd
}

func TestAwaitOrphan(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	ctx := context.Background()
	dead := owner.ID{PID: os.Getpid(), Start: owner.Self().Start + 1} // a recycled pid

	t.Run("no record", func(t *testing.T) {
		if pid, err := AwaitOrphan(ctx, t.TempDir(), time.Second); pid != 0 || err != nil {
			t.Fatalf("%d %v", pid, err)
		}
	})
	t.Run("starter alive: left alone", func(t *testing.T) {
		dir := t.TempDir()
		red := startedBy(t, dir, startSleep(t, false), owner.Self())
		if pid, err := AwaitOrphan(ctx, dir, 100*time.Millisecond); pid != 0 || err != nil {
			t.Fatalf("%d %v", pid, err)
		}
		if !red.Alive() {
			t.Fatal("the Redis of a live process was stopped")
		}
	})
	t.Run("starter dead: ended", func(t *testing.T) {
		for _, hung := range []bool{false, true} {
			dir := t.TempDir()
			red := startedBy(t, dir, startSleep(t, hung), dead)
			pid, err := AwaitOrphan(ctx, dir, 200*time.Millisecond)
			if pid != red.PID || err != nil {
				t.Fatalf("hung %v: %d %v, want %d", hung, pid, err, red.PID)
			}
			if red.Alive() {
				t.Fatalf("hung %v: the orphan still runs", hung)
			}
		}
	})
}
