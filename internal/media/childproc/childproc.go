// Package childproc runs external programs (ffmpeg, festival, espeak-ng)
// in their own process group, so that cancelling the context terminates the
// program and everything it spawned, and keeps the tail of their output for
// error reports.
//
// A program must also not outlive the process that started it when that
// process is killed outright (kill -9, the OOM killer), which runs no Go
// code at all. Three things see to it:
//
//   - on Linux the kernel sends the child SIGKILL when its parent dies
//     (the parent-death signal, SysProcAttr.Pdeathsig);
//   - every child carries its owner's identity (pid and start time) in the
//     environment variable named by EnvOwner, which its own children
//     inherit;
//   - Sweep, run when a process starts, kills every process whose owner is
//     dead, which catches what the first cannot: grandchildren, and
//     children of processes that ran without the parent-death signal.
package childproc

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ytmaker/ytmaker/internal/owner"
)

// DefaultGrace is how long a cancelled process group is given to exit after
// SIGTERM before it is sent SIGKILL.
const DefaultGrace = 500 * time.Millisecond

// Nice is the scheduling priority media programs run at: encoding and
// synthesis are batch work and must not starve the HTTP API and the
// scheduler of CPU on a small machine. The threads and children they start
// inherit it.
const Nice = 10

// EnvOwner is the environment variable that tells a child, and every
// process it starts, which process owns it ("<pid>x<start time>", see
// package owner).
const EnvOwner = "YTMAKER_CHILD_OF"

// Run starts cmd in a new process group and waits for it. When ctx is done
// before the command exits, the whole group receives SIGTERM and, grace
// later (DefaultGrace when grace <= 0), SIGKILL; Run then returns an error
// wrapping ctx.Err(). Otherwise it returns cmd.Wait's error.
//
// The child is tagged with EnvOwner and, on Linux, gets SIGKILL from the
// kernel when the calling process dies.
func Run(ctx context.Context, cmd *exec.Cmd, grace time.Duration) error {
	if grace <= 0 {
		grace = DefaultGrace
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s not started: %w", cmd.Path, err)
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	setDeathSignal(cmd.SysProcAttr)
	cmd.Env = withOwner(cmd.Environ(), owner.Self())
	// A grandchild that keeps an output pipe open must not block Wait forever.
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = grace + time.Second
	}
	waited, err := StartLocked(cmd)
	if err != nil {
		return err
	}
	pgid := cmd.Process.Pid
	// Best effort: a failure only means the program runs at our priority.
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, pgid, Nice)

	done := make(chan struct{})
	var (
		mu       sync.Mutex
		signaled bool
	)
	go func() {
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
		mu.Lock()
		signaled = true
		mu.Unlock()
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
	}()

	err = <-waited
	close(done)

	mu.Lock()
	wasSignaled := signaled
	mu.Unlock()
	if wasSignaled {
		// Members of the group that outlived the leader are not waited for
		// by cmd.Wait; make sure none is left running.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		return fmt.Errorf("%s stopped: %w", cmd.Path, ctx.Err())
	}
	return err
}

// StartLocked starts cmd from a goroutine locked to its OS thread and
// waits for it there; the returned channel yields cmd.Wait's error. Use it
// for every child whose SysProcAttr sets Pdeathsig.
//
// The parent-death signal is sent when the thread that created the child
// exits, not when the process does. The Go runtime may end a thread (it
// does so whenever a goroutine locked to one returns without unlocking),
// and an ordinary goroutine may run on any thread, so a child started from
// one could be killed while its parent is alive and well. Keeping the
// starting goroutine on its thread until the child has been waited for
// ties the signal to the child's real lifetime.
func StartLocked(cmd *exec.Cmd) (<-chan error, error) {
	started := make(chan error, 1)
	waited := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		waited <- cmd.Wait()
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return waited, nil
}

// withOwner returns env with EnvOwner set to id (replacing an inherited
// value: a child belongs to the process that starts it).
func withOwner(env []string, id owner.ID) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, EnvOwner+"=") {
			out = append(out, kv)
		}
	}
	return append(out, EnvOwner+"="+id.String())
}

// ExitCode returns the exit status carried by err, or -1 when err does not
// come from a process that exited.
func ExitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}
