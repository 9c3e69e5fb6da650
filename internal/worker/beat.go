package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/ytmaker/ytmaker/internal/rdb"
	"github.com/ytmaker/ytmaker/internal/taskspec"
)

// Scheduler timing.
const (
	beatInterval = 5 * time.Second
	beatTTL      = 15 * time.Second
	leaderTTL    = 30 * time.Second
)

// Beat is the periodic scheduler: it enqueues sync_quotas once an hour.
// Any number of beats may run (one per serve or scheduler process); one
// holds a lease and enqueues, and the task ID is fixed per hour, so even
// two leaders at once cannot enqueue the same hour twice.
type Beat struct {
	rdb      redis.UniversalClient
	client   *asynq.Client
	results  *rdb.Records
	log      *slog.Logger
	instance string
	now      func() time.Time

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
	leader bool
	lastHr string
}

// NewBeat returns a scheduler.
func NewBeat(rdb redis.UniversalClient, res *rdb.Records, log *slog.Logger) *Beat {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	host, _ := os.Hostname()
	return &Beat{rdb: rdb, client: asynq.NewClientFromRedisClient(rdb), results: res,
		log: log.With("component", "beat"), instance: fmt.Sprintf("%s:%d:%s", host, os.Getpid(), uuid.NewString()[:8]),
		now: time.Now}
}

// Start runs the scheduler until Stop.
func (b *Beat) Start(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cancel != nil {
		return errors.New("beat already running")
	}
	if err := b.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("beat: redis: %w", err)
	}
	lctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	b.done = make(chan struct{})
	go b.run(lctx)
	b.log.Info("beat started", "instance", b.instance)
	return nil
}

func (b *Beat) run(ctx context.Context) {
	defer close(b.done)
	t := time.NewTicker(beatInterval)
	defer t.Stop()
	for {
		b.tick(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (b *Beat) tick(ctx context.Context) {
	now := b.now()
	// Heartbeat: the status endpoint counts live beats across machines.
	pipe := b.rdb.Pipeline()
	pipe.ZAdd(ctx, rdb.BeatsKey, redis.Z{Score: float64(now.Add(beatTTL).Unix()), Member: b.instance})
	pipe.ZRemRangeByScore(ctx, rdb.BeatsKey, "-inf", fmt.Sprint(now.Unix()-1))
	if _, err := pipe.Exec(ctx); err != nil {
		b.log.Debug("beat heartbeat", "err", err)
		return
	}
	lead, err := rdb.RenewLease(ctx, b.rdb, rdb.BeatLeaderKey, b.instance, leaderTTL)
	if err != nil {
		return
	}
	b.mu.Lock()
	was := b.leader
	b.leader = lead
	b.mu.Unlock()
	if b.leader != was {
		b.log.Info("beat leadership changed", "leader", b.leader)
	}
	if !b.leader {
		return
	}
	hour := now.UTC().Format("2006010215")
	if hour == b.lastHr {
		return
	}
	if err := b.enqueueSync(ctx, now); err != nil {
		b.log.Warn("enqueue sync_quotas", "err", err)
		return
	}
	b.lastHr = hour
}

func (b *Beat) enqueueSync(ctx context.Context, now time.Time) error {
	id := taskspec.SyncQuotasID(now)
	if err := b.results.Create(ctx, rdb.Record{ID: id, Type: taskspec.SyncQuotas, Queue: taskspec.QueueMaintenance}); err != nil {
		return err
	}
	_, err := b.client.EnqueueContext(ctx, asynq.NewTask(taskspec.SyncQuotas, []byte(`{}`)), asynq.TaskID(id),
		asynq.Queue(taskspec.QueueMaintenance), asynq.MaxRetry(taskspec.MaxRetries),
		asynq.Timeout(5*time.Minute), asynq.Retention(25*time.Hour))
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil // this hour's run is already enqueued (by us or another beat)
	}
	if err == nil {
		b.log.Info("enqueued sync_quotas", "task", id)
	}
	return err
}

// Leader reports whether this beat currently holds the lease.
func (b *Beat) Leader() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.leader
}

// Stop ends the scheduler and gives up its lease and heartbeat.
func (b *Beat) Stop() {
	b.mu.Lock()
	cancel, done := b.cancel, b.done
	b.cancel = nil
	b.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
	ctx, c := context.WithTimeout(context.Background(), 2*time.Second)
	defer c()
	b.rdb.ZRem(ctx, rdb.BeatsKey, b.instance)
	rdb.ReleaseLease(ctx, b.rdb, rdb.BeatLeaderKey, b.instance)
	b.client.Close()
	b.log.Info("beat stopped")
}

// BeatsAlive counts schedulers whose heartbeat is fresh.
func BeatsAlive(ctx context.Context, client redis.UniversalClient) (int64, error) {
	return client.ZCount(ctx, rdb.BeatsKey, fmt.Sprint(time.Now().Unix()), "+inf").Result()
}

// Info describes a live worker process (from asynq's heartbeats).
type Info struct {
	Host        string         `json:"host"`
	PID         int            `json:"pid"`
	ServerID    string         `json:"server_id"`
	Concurrency int            `json:"concurrency"`
	Queues      map[string]int `json:"queues"`
	Status      string         `json:"status"`
	Active      int            `json:"active_tasks"`
	Started     time.Time      `json:"started"`
}

// Alive lists worker processes with a fresh heartbeat, on any machine
// sharing this Redis.
func Alive(insp *asynq.Inspector) ([]Info, error) {
	servers, err := insp.Servers()
	if err != nil {
		return nil, err
	}
	var out []Info
	for _, s := range servers {
		if s.Status != "active" {
			continue
		}
		out = append(out, Info{Host: s.Host, PID: s.PID, ServerID: s.ID, Concurrency: s.Concurrency,
			Queues: s.Queues, Status: s.Status, Active: len(s.ActiveWorkers), Started: s.Started})
	}
	return out, nil
}
