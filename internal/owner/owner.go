// Package owner names a running process in a way that survives pid reuse:
// its pid together with its start time, as the kernel reports it in
// /proc/<pid>/stat. Children and temporary files are tagged with the
// owner that made them, so that a later process can tell leftovers of a
// dead owner from the work of a live one, and never mistakes a new
// process that happens to get a recycled pid for the old owner.
package owner

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// ID identifies a process: its pid and its start time in clock ticks
// since boot (0 where /proc is not available).
type ID struct {
	PID   int
	Start uint64
}

// String formats id as "<pid>x<start>", a form that fits in file names.
func (id ID) String() string { return strconv.Itoa(id.PID) + "x" + strconv.FormatUint(id.Start, 10) }

// Parse reads what String wrote.
func Parse(s string) (ID, error) {
	p, st, ok := strings.Cut(s, "x")
	if !ok {
		return ID{}, fmt.Errorf("owner: %q is not <pid>x<start>", s)
	}
	pid, err := strconv.Atoi(p)
	if err != nil || pid <= 0 {
		return ID{}, fmt.Errorf("owner: bad pid in %q", s)
	}
	start, err := strconv.ParseUint(st, 10, 64)
	if err != nil {
		return ID{}, fmt.Errorf("owner: bad start time in %q", s)
	}
	return ID{PID: pid, Start: start}, nil
}

var self = sync.OnceValue(func() ID {
	pid := os.Getpid()
	st, _ := StartTime(pid)
	return ID{PID: pid, Start: st}
})

// Self returns the identity of the calling process.
func Self() ID { return self() }

// Alive reports whether the process id names is still running: a process
// with that pid exists, is not a zombie, and started at the same time.
func (id ID) Alive() bool {
	if id.PID <= 0 {
		return false
	}
	st, err := readStat(id.PID)
	if err != nil {
		if errors.Is(err, errNoProc) {
			// No /proc: all that can be checked is that the pid exists.
			kerr := syscall.Kill(id.PID, 0)
			return kerr == nil || errors.Is(kerr, syscall.EPERM)
		}
		return false
	}
	return st.state != "Z" && st.state != "X" && (id.Start == 0 || st.start == id.Start)
}

// StartTime returns the start time of process pid in clock ticks since
// boot.
func StartTime(pid int) (uint64, error) {
	st, err := readStat(pid)
	if err != nil {
		return 0, err
	}
	return st.start, nil
}

type stat struct {
	state string
	ppid  int
	pgid  int
	start uint64
}

var errNoProc = errors.New("owner: /proc is not available")

// readStat parses /proc/<pid>/stat. The command name (field 2) may hold
// spaces and parentheses, so the fields are counted from the last ')'.
func readStat(pid int) (stat, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		if _, serr := os.Stat("/proc/self/stat"); serr != nil {
			return stat{}, errNoProc
		}
		return stat{}, err
	}
	return parseStat(string(data))
}

func parseStat(s string) (stat, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return stat{}, errors.New("owner: malformed stat")
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); field 22 (starttime) is f[19].
	if len(f) < 20 {
		return stat{}, errors.New("owner: short stat")
	}
	ppid, err1 := strconv.Atoi(f[1])
	pgid, err2 := strconv.Atoi(f[2])
	start, err3 := strconv.ParseUint(f[19], 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		return stat{}, fmt.Errorf("owner: malformed stat: %w", err)
	}
	return stat{state: f[0], ppid: ppid, pgid: pgid, start: start}, nil
}

// Process describes a running process for a sweep.
type Process struct {
	ID
	PGID int
}

// Stat returns the identity and process group of pid.
func Stat(pid int) (Process, error) {
	st, err := readStat(pid)
	if err != nil {
		return Process{}, err
	}
	if st.state == "Z" || st.state == "X" {
		return Process{}, fmt.Errorf("owner: process %d has exited", pid)
	}
	return Process{ID: ID{PID: pid, Start: st.start}, PGID: st.pgid}, nil
}

var host = sync.OnceValue(func() string {
	name, _ := os.Hostname()
	boot, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	h := fnv32(name + "\x00" + strings.TrimSpace(string(boot)))
	return fmt.Sprintf("%08x", h)
})

// Host returns eight hex digits that name this machine and boot (a hash
// of the host name and the kernel's boot id): pids and start times mean
// something only on the machine and boot they come from.
func Host() string { return host() }

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}
