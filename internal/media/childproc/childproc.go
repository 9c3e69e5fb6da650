// Package childproc runs external programs (ffmpeg, festival, espeak-ng)
// in their own process group, so that cancelling the context terminates the
// program and everything it spawned, and keeps the tail of their output for
// error reports.
package childproc

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// DefaultGrace is how long a cancelled process group is given to exit after
// SIGTERM before it is sent SIGKILL.
const DefaultGrace = 500 * time.Millisecond

// Nice is the scheduling priority media programs run at: encoding and
// synthesis are batch work and must not starve the HTTP API and the
// scheduler of CPU on a small machine. The threads and children they start
// inherit it.
const Nice = 10

// Run starts cmd in a new process group and waits for it. When ctx is done
// before the command exits, the whole group receives SIGTERM and, grace
// later (DefaultGrace when grace <= 0), SIGKILL; Run then returns an error
// wrapping ctx.Err(). Otherwise it returns cmd.Wait's error.
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
	// A grandchild that keeps an output pipe open must not block Wait forever.
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = grace + time.Second
	}
	if err := cmd.Start(); err != nil {
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

	err := cmd.Wait()
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

// ExitCode returns the exit status carried by err, or -1 when err does not
// come from a process that exited.
func ExitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}
