package childproc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestTailKeepsLastLines(t *testing.T) {
	tail := &Tail{Lines: 3}
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(tail, "line %d\n", i)
	}
	tail.Write([]byte("progress 1\rprogress 2\r\n\n"))
	if got, want := tail.String(), "line 10\nprogress 1\nprogress 2"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	big := &Tail{MaxBytes: 100}
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(big, "a long line number %d\n", i)
	}
	if s := big.String(); len(s) > 100 || !strings.HasSuffix(s, "number 999") {
		t.Fatalf("bounded tail %q", s)
	}
}

func TestRunExitCode(t *testing.T) {
	err := Run(context.Background(), exec.Command("sh", "-c", "exit 3"), 0)
	if ExitCode(err) != 3 {
		t.Fatalf("exit code %d (%v)", ExitCode(err), err)
	}
	if err := Run(context.Background(), exec.Command("true"), 0); err != nil || ExitCode(err) != -1 {
		t.Fatalf("true: %v", err)
	}
}

func TestRunNotStartedWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	marker := filepath.Join(t.TempDir(), "ran")
	err := Run(ctx, exec.Command("touch", marker), 0)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("command ran after cancellation")
	}
}

func gone(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) > 0 && f[0] == "Z"
}

// TestCancelKillsGroup cancels a shell that ignores SIGTERM and runs a
// grandchild: the whole group goes within the grace period.
func TestCancelKillsGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	cmd := exec.Command("sh", "-c", "trap '' TERM; sleep 60 & echo $! > "+pidFile+"; wait")
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- Run(ctx, cmd, 300*time.Millisecond) }()
	var child int
	for deadline := time.Now().Add(5 * time.Second); child == 0 && time.Now().Before(deadline); {
		if b, err := os.ReadFile(pidFile); err == nil {
			child, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		if child == 0 {
			time.Sleep(5 * time.Millisecond)
		}
	}
	if child == 0 {
		t.Fatal("grandchild did not start")
	}
	start := time.Now()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("took %v", d)
	}
	for deadline := time.Now().Add(time.Second); !gone(child) && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if !gone(child) {
		_ = syscall.Kill(child, syscall.SIGKILL)
		t.Fatal("grandchild survived")
	}
}
