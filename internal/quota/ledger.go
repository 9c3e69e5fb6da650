package quota

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ytmaker/ytmaker/internal/atomicfile"
)

// Ledger keeps on disk what this process spent of each day's quotas, so
// that counts Redis loses (an asynchronous replica promoted by a failover
// lacks the last increments) come back: a service's usage is never taken
// below the sum of every process's ledger for the day. Each process
// writes only its own file (DIR/<day>/<owner>.json, atomically), so
// processes on machines sharing DATA_DIR never contend for one.
type Ledger struct {
	dir   string
	owner string

	mu   sync.Mutex
	days map[string]*ledgerDay
}

// ledgerDay is one process's record of one day: units added per service
// (reservations minus releases) and the least usage seen for a service
// marked exhausted.
type ledgerDay struct {
	Added   map[string]int64 `json:"added"`
	AtLeast map[string]int64 `json:"at_least,omitempty"`
}

// OpenLedger returns the ledger in dir for the process named owner (a
// name unique among the processes sharing dir, such as host-pid-start).
// Days older than keep are removed.
func OpenLedger(dir, owner string, keep time.Duration, now time.Time) *Ledger {
	l := &Ledger{dir: dir, owner: owner, days: map[string]*ledgerDay{}}
	entries, err := os.ReadDir(dir)
	if err == nil {
		for _, e := range entries {
			d, err := time.Parse(time.DateOnly, e.Name())
			if e.IsDir() && err == nil && now.Sub(d) > keep+24*time.Hour {
				os.RemoveAll(filepath.Join(dir, e.Name()))
			}
		}
	}
	return l
}

func (l *Ledger) day(day string) *ledgerDay {
	d := l.days[day]
	if d == nil {
		d = &ledgerDay{Added: map[string]int64{}, AtLeast: map[string]int64{}}
		// A process restarted under the same owner name continues its file.
		if raw, err := os.ReadFile(l.path(day, l.owner)); err == nil {
			json.Unmarshal(raw, d)
			if d.Added == nil {
				d.Added = map[string]int64{}
			}
			if d.AtLeast == nil {
				d.AtLeast = map[string]int64{}
			}
		}
		l.days[day] = d
	}
	return d
}

func (l *Ledger) path(day, owner string) string {
	return filepath.Join(l.dir, day, owner+".json")
}

// add records units (negative for a release) spent on service on day.
func (l *Ledger) add(day, service string, units int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	d := l.day(day)
	d.Added[service] = max(d.Added[service]+units, 0)
	return l.write(day, d)
}

// raise records that service's usage on day was at least n.
func (l *Ledger) raise(day, service string, n int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	d := l.day(day)
	if n <= d.AtLeast[service] {
		return nil
	}
	d.AtLeast[service] = n
	return l.write(day, d)
}

func (l *Ledger) write(day string, d *ledgerDay) error {
	if err := os.MkdirAll(filepath.Join(l.dir, day), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteJSON(l.path(day, l.owner), d, 0o644)
}

// Floor returns the least usage of service on day the ledgers prove: the
// sum of what every process added, or more if one saw it marked
// exhausted. Unreadable files are skipped.
func (l *Ledger) Floor(day, service string) int64 {
	entries, err := os.ReadDir(filepath.Join(l.dir, day))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0
	}
	var sum, atLeast int64
	seenSelf := false
	l.mu.Lock()
	defer l.mu.Unlock()
	count := func(d *ledgerDay) {
		sum += d.Added[service]
		atLeast = max(atLeast, d.AtLeast[service])
	}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || e.IsDir() {
			continue
		}
		if name == l.owner {
			seenSelf = true
			count(l.day(day)) // this process's memory is the newest
			continue
		}
		raw, err := os.ReadFile(filepath.Join(l.dir, day, e.Name()))
		if err != nil {
			continue
		}
		var d ledgerDay
		if json.Unmarshal(raw, &d) == nil {
			count(&d)
		}
	}
	if !seenSelf {
		if d, ok := l.days[day]; ok {
			count(d)
		}
	}
	return max(sum, atLeast)
}
