package limits

import (
	"context"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/rdb"
)

// DefaultRenders is the most renders a worker runs at once unless told
// otherwise: one per two cores, at least one. ffmpeg uses every core it
// is given, so more at once only makes each slower.
func DefaultRenders() int { return max(1, runtime.NumCPU()/2) }

// Gate bounds the renders of one worker process. A nil *Gate bounds
// nothing.
type Gate struct {
	slots   chan struct{}
	maxWait time.Duration
	changed chan struct{}

	mu       sync.Mutex
	inFlight int
}

// NewGate returns a gate of n renders at once (n < 1: DefaultRenders)
// whose Enter waits up to maxWait (≤ 0: DefaultMaxWait).
func NewGate(n int, maxWait time.Duration) *Gate {
	if n < 1 {
		n = DefaultRenders()
	}
	if maxWait <= 0 {
		maxWait = DefaultMaxWait
	}
	return &Gate{slots: make(chan struct{}, n), maxWait: maxWait, changed: make(chan struct{}, 1)}
}

// Max returns the most renders at once.
func (g *Gate) Max() int {
	if g == nil {
		return 0
	}
	return cap(g.slots)
}

// InFlight returns the renders running now.
func (g *Gate) InFlight() int {
	if g == nil {
		return 0
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.inFlight
}

// Enter takes a render slot, waiting up to the gate's wait; then it fails
// with RENDERS_BUSY (see Waiting). The returned function gives the slot
// back.
func (g *Gate) Enter(ctx context.Context) (func(), error) {
	if g == nil {
		return func() {}, nil
	}
	t := time.NewTimer(g.maxWait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, errcode.Newf(RendersBusy, false, "this worker already runs %d renders, its limit; waiting for one to end", cap(g.slots)).
			WithRetryAfter(busySnooze+mrand.N(busySnooze)).WithDetail("max_renders", cap(g.slots))
	}
	g.add(1)
	var once sync.Once
	return func() {
		once.Do(func() {
			<-g.slots
			g.add(-1)
		})
	}, nil
}

func (g *Gate) add(d int) {
	g.mu.Lock()
	g.inFlight += d
	g.mu.Unlock()
	select {
	case g.changed <- struct{}{}:
	default:
	}
}

// reportEvery is how often Report rewrites the records even when nothing
// changed (they expire after rdb.RenderUsageTTL).
const reportEvery = 5 * time.Second

// Report keeps this worker's renders record (and the limits l enforces)
// up to date in Redis for /status, until stop is called, which also
// removes the record. Either of l and g may be nil.
func Report(client redis.UniversalClient, l *Limiter, g *Gate, log *slog.Logger) (stop func()) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	host, _ := os.Hostname()
	u := rdb.RenderUsage{Instance: fmt.Sprintf("%s:%d:%s", host, os.Getpid(), newToken()[:8]), Host: host, PID: os.Getpid(), Max: g.Max()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var changed chan struct{}
	if g != nil {
		changed = g.changed
	}
	go func() {
		defer close(done)
		t := time.NewTicker(reportEvery)
		defer t.Stop()
		recorded := false
		for {
			wctx, wcancel := context.WithTimeout(ctx, 2*time.Second)
			if !recorded && l != nil {
				recorded = l.Record(wctx) == nil
			}
			if g != nil {
				u.InFlight = g.InFlight()
				if err := rdb.PutRenderUsage(wctx, client, u); err != nil && ctx.Err() == nil {
					log.Debug("could not record renders", "err", err)
				}
			}
			wcancel()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				// Rewrite the limits too, in case another worker wrote others.
				recorded = false
			case <-changed:
			}
		}
	}()
	return func() {
		cancel()
		<-done
		if g != nil {
			rctx, rcancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer rcancel()
			rdb.RemoveRenderUsage(rctx, client, u.Instance)
		}
	}
}

// WorkerRenders is one worker's renders now and its limit.
type WorkerRenders struct {
	Host     string
	PID      int
	InFlight int
	Max      int
}

// Renders returns the renders of every live worker that reports them.
func Renders(ctx context.Context, client redis.UniversalClient) ([]WorkerRenders, error) {
	us, err := rdb.RenderUsages(ctx, client)
	if err != nil {
		return nil, err
	}
	out := make([]WorkerRenders, 0, len(us))
	for _, u := range us {
		out = append(out, WorkerRenders{Host: u.Host, PID: u.PID, InFlight: u.InFlight, Max: u.Max})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Host != out[j].Host {
			return out[i].Host < out[j].Host
		}
		return out[i].PID < out[j].PID
	})
	return out, nil
}
