package childproc

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"syscall"

	"github.com/ytmaker/ytmaker/internal/owner"
)

// Orphan is a process Sweep ended.
type Orphan struct {
	PID   int
	Owner owner.ID // the dead process that started it (or its parent)
	Cmd   string   // its command line, for the log
}

// Sweep kills every process on this host that carries EnvOwner naming a
// process that is no longer running: the children (and their children) of
// a YTMaker process that was killed before it could end them. A process
// whose owner is alive is left alone, and so is one whose owner's pid now
// belongs to a newer process: owners are compared with their start time,
// so a recycled pid never passes for the old owner, and a victim is
// signalled through a pidfd opened after its start time was read, so a
// victim's recycled pid is never signalled either. Processes of other
// users, whose environment cannot be read, are skipped.
//
// Sweep runs a second pass when the first killed anything, for children
// forked in between. It returns what it killed.
func Sweep() ([]Orphan, error) {
	var killed []Orphan
	for pass := 0; pass < 2; pass++ {
		got, err := sweepOnce()
		killed = append(killed, got...)
		if err != nil || len(got) == 0 {
			return killed, err
		}
	}
	return killed, nil
}

func sweepOnce() ([]Orphan, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil // no /proc: nothing to find
		}
		return nil, err
	}
	self := os.Getpid()
	var killed []Orphan
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil {
			continue // gone, or another user's
		}
		tag, ok := envValue(env, EnvOwner)
		if !ok {
			continue
		}
		own, err := owner.Parse(tag)
		if err != nil || own.Alive() {
			continue
		}
		if o, ok := kill(pid, own); ok {
			killed = append(killed, o)
		}
	}
	return killed, nil
}

// kill sends SIGKILL to pid, making sure the signal reaches the very
// process whose environment was read.
func kill(pid int, own owner.ID) (Orphan, bool) {
	before, err := owner.Stat(pid)
	if err != nil {
		return Orphan{}, false
	}
	// On Linux, FindProcess holds a pidfd: a signal through it cannot
	// reach another process even if pid is reused from here on.
	p, err := os.FindProcess(pid)
	if err != nil {
		return Orphan{}, false
	}
	defer p.Release()
	if after, err := owner.Stat(pid); err != nil || after.Start != before.Start {
		return Orphan{}, false
	}
	env, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return Orphan{}, false
	}
	if tag, ok := envValue(env, EnvOwner); !ok || tag != own.String() {
		return Orphan{}, false
	}
	cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err := p.Signal(syscall.SIGKILL); err != nil {
		return Orphan{}, false
	}
	return Orphan{PID: pid, Owner: own, Cmd: string(bytes.TrimRight(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}), " "))}, true
}

// envValue finds key in a NUL-separated environment block.
func envValue(env []byte, key string) (string, bool) {
	prefix := []byte(key + "=")
	for _, kv := range bytes.Split(env, []byte{0}) {
		if bytes.HasPrefix(kv, prefix) {
			return string(kv[len(prefix):]), true
		}
	}
	return "", false
}
