package redisproc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ytmaker/ytmaker/internal/atomicfile"
	"github.com/ytmaker/ytmaker/internal/owner"
)

// startedByFile names, in a Redis data directory, the redis-server last
// started there and the process that started it: "<redis> <parent>\n",
// each as owner.ID ("<pid>x<start time>").
func startedByFile(dir string) string { return filepath.Join(dir, "started-by") }

// recordStart writes startedByFile for the redis-server pid just started.
func recordStart(dir string, pid int) error {
	st, err := owner.StartTime(pid)
	if err != nil {
		return err
	}
	line := owner.ID{PID: pid, Start: st}.String() + " " + owner.Self().String() + "\n"
	return atomicfile.WriteFile(startedByFile(dir), []byte(line), 0o600)
}

// AwaitOrphan waits until the redis-server that a process now dead
// started in dir has exited, and returns its pid (0 when there was none).
//
// A redis-server started here gets SIGTERM from the kernel when the
// process that started it dies (kill -9 included), flushes its
// append-only file and exits, which takes up to a tenth of a second or
// so; until then it still answers on its port. A process that starts in
// that moment must not attach to it, as to a Redis someone else runs: it
// would lose its Redis a moment later and never start one. So it waits
// here first. An orphan still running after timeout (it never got the
// signal, or hangs) is sent SIGTERM and, after a second time timeout,
// SIGKILL. A Redis whose starter is alive is left alone: that one is
// attached to.
func AwaitOrphan(ctx context.Context, dir string, timeout time.Duration) (int, error) {
	data, err := os.ReadFile(startedByFile(dir))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 0, nil
		}
		return 0, err
	}
	redisPart, parentPart, _ := strings.Cut(strings.TrimSpace(string(data)), " ")
	red, err1 := owner.Parse(redisPart)
	parent, err2 := owner.Parse(parentPart)
	if err1 != nil || err2 != nil {
		return 0, nil // not ours to judge: attach or start as before
	}
	if parent.Alive() || !red.Alive() {
		return 0, nil
	}
	for _, sig := range []syscall.Signal{0, syscall.SIGTERM, syscall.SIGKILL} {
		if sig != 0 {
			if err := signal(red, sig); err != nil {
				return red.PID, err
			}
		}
		if exited(ctx, red, timeout) {
			return red.PID, nil
		}
		if err := ctx.Err(); err != nil {
			return red.PID, err
		}
	}
	return red.PID, fmt.Errorf("redis-server %d, left by a dead process, is still running after SIGKILL", red.PID)
}

// exited waits at most timeout (or until ctx is done) for the process id
// to end, and reports whether it has.
func exited(ctx context.Context, id owner.ID, timeout time.Duration) bool {
	for deadline := time.Now().Add(timeout); id.Alive(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
	}
	return true
}

// signal sends sig to the very process id, never to a process that
// reused its pid: the signal goes through a pidfd opened before the
// start time is checked again.
func signal(id owner.ID, sig syscall.Signal) error {
	p, err := os.FindProcess(id.PID)
	if err != nil {
		return nil // gone
	}
	defer p.Release()
	if !id.Alive() {
		return nil
	}
	if err := p.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal redis-server %d: %w", id.PID, err)
	}
	return nil
}
