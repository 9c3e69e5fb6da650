package worker

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/internal/rdb"
)

// livenessRenew is how often a worker renews its liveness record and
// looks for tasks held by dead workers.
const livenessRenew = time.Second

// procStart returns the start time of process pid (field 22 of
// /proc/<pid>/stat, in clock ticks since boot), or an error if there is
// no such process or no /proc.
func procStart(pid int) (string, error) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", err
	}
	return parseStatStart(string(raw))
}

// parseStatStart extracts the start time from the text of /proc/<pid>/stat.
// The command name (field 2) is in parentheses and may hold spaces or
// parentheses itself, so fields are counted from the last ')'.
func parseStatStart(stat string) (string, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return "", fmt.Errorf("malformed /proc stat: %q", stat)
	}
	// After ')' come fields 3, 4, ...; the start time is field 22.
	f := strings.Fields(stat[i+1:])
	if len(f) < 20 {
		return "", fmt.Errorf("malformed /proc stat: %q", stat)
	}
	return f[19], nil
}

// machineToken identifies this boot and PID namespace, so that PIDs are
// compared only between processes that share them. Empty when unknown.
func machineToken() string {
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(boot)) + "/" + ns
}

// selfLiveness describes this process.
func selfLiveness(instance, host string) rdb.Liveness {
	l := rdb.Liveness{Instance: instance, Host: host, Machine: machineToken(), PID: os.Getpid()}
	if l.Machine != "" {
		l.Start, _ = procStart(l.PID)
	}
	return l
}

// holderDead judges whether the worker that holds a task is dead. rec is
// its liveness record (ok false: the record expired). A worker on this
// machine is dead as soon as its process is gone or its PID belongs to a
// newer process; one elsewhere, once its record expired.
func holderDead(self rdb.Liveness, rec rdb.Liveness, ok bool, start func(pid int) (string, error)) bool {
	if !ok {
		return true
	}
	if rec.Instance == self.Instance || rec.Host != self.Host || rec.Machine == "" ||
		rec.Machine != self.Machine || rec.Start == "" {
		return false
	}
	s, err := start(rec.PID)
	return err != nil || s != rec.Start
}

// heartbeat renews the liveness record every second.
func (w *Worker) heartbeat(ctx context.Context) {
	t := time.NewTicker(livenessRenew)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rctx, cancel := context.WithTimeout(ctx, livenessRenew)
		if err := rdb.RenewLiveness(rctx, w.rdb, w.self); err != nil {
			w.log.Debug("renew liveness", "err", err)
		}
		cancel()
	}
}

// requeueDeadHolders puts back in their queue the tasks whose holder is
// dead, and frees the project locks those holders had, so the stages run
// again at once.
func (w *Worker) requeueDeadHolders(ctx context.Context) {
	held, err := rdb.Holdings(ctx, w.rdb)
	if err != nil || len(held) == 0 {
		return
	}
	var instances []string
	seen := map[string]bool{}
	for _, h := range held {
		if h.Instance != w.instance && !seen[h.Instance] {
			seen[h.Instance] = true
			instances = append(instances, h.Instance)
		}
	}
	if len(instances) == 0 {
		return
	}
	live, err := rdb.LivenessOf(ctx, w.rdb, instances)
	if err != nil {
		return
	}
	for id, h := range held {
		if h.Instance == w.instance {
			continue
		}
		rec, ok := live[h.Instance]
		if !holderDead(w.self, rec, ok, procStart) {
			continue
		}
		requeued, err := rdb.RequeueHeld(ctx, w.rdb, id, h)
		if err != nil {
			w.log.Debug("requeue a dead worker's task", "task", id, "err", err)
			continue
		}
		if requeued {
			w.log.Warn("requeued a task whose worker died", "task", id, "queue", h.Queue, "holder", h.Instance)
		}
	}
}
