package rdb

// Task records: every task YTMaker enqueues has a record — its state,
// result and final error — and callers wait for a task to finish without
// polling: finishing publishes the task's ID on one channel, and each
// process keeps a single subscription that wakes the goroutines waiting
// for that ID.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ytmaker/ytmaker/errcode"
)

// Task states.
const (
	Pending   = "pending"
	Running   = "running"
	Retrying  = "retrying"
	Paused    = "paused"
	Succeeded = "succeeded"
	Failed    = "failed"
	Cancelled = "cancelled"
)

// Terminal reports whether state is final.
func Terminal(state string) bool {
	return state == Succeeded || state == Failed || state == Cancelled
}

// DefaultTTL is how long finished records are kept (the seed's 24 h).
const DefaultTTL = 24 * time.Hour

// activeTTL bounds records of tasks that never finish.
const activeTTL = 7 * 24 * time.Hour

// Record is what is known about one task.
type Record struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Queue      string          `json:"queue,omitempty"`
	ProjectID  int64           `json:"project_id,omitempty"`
	BatchID    int64           `json:"batch_id,omitempty"`
	Run        int             `json:"run,omitempty"`
	State      string          `json:"state"`
	Retries    int             `json:"retries"`
	Result     json.RawMessage `json:"result,omitempty"`
	Error      *errcode.Error  `json:"error,omitempty"`
	CreatedAt  time.Time       `json:"created_at"`
	StartedAt  *time.Time      `json:"started_at,omitempty"`
	FinishedAt *time.Time      `json:"finished_at,omitempty"`
}

// ErrTaskNotFound is returned for an unknown (or expired) task ID.
var ErrTaskNotFound = errors.New("task not found")

// Records reads and writes task records.
type Records struct {
	rdb redis.UniversalClient
	ttl time.Duration
	now func() time.Time
	log *slog.Logger

	mu      sync.Mutex
	waiters map[string]map[chan struct{}]struct{}
	sub     *redis.PubSub
	subErr  error
	closed  bool
	done    chan struct{}
}

// NewRecords returns the record store. ttl is how long finished records
// are kept; values below 24 h are raised to 24 h.
func NewRecords(rdb redis.UniversalClient, ttl time.Duration, log *slog.Logger) *Records {
	if ttl < DefaultTTL {
		ttl = DefaultTTL
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Records{rdb: rdb, ttl: ttl, now: time.Now, log: log, waiters: map[string]map[chan struct{}]struct{}{}, done: make(chan struct{})}
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// Create writes a new pending record. An existing record with the same ID
// is left alone (enqueueing is idempotent).
func (s *Records) Create(ctx context.Context, r Record) error {
	if r.CreatedAt.IsZero() {
		r.CreatedAt = s.now()
	}
	if r.State == "" {
		r.State = Pending
	}
	k := TaskKey(r.ID)
	fields := []any{"id", r.ID, "type", r.Type, "queue", r.Queue, "state", r.State, "retries", r.Retries,
		"created_at", ts(r.CreatedAt)}
	if r.ProjectID != 0 {
		fields = append(fields, "project_id", r.ProjectID)
	}
	if r.BatchID != 0 {
		fields = append(fields, "batch_id", r.BatchID)
	}
	if r.Run != 0 {
		fields = append(fields, "run", r.Run)
	}
	args := append([]any{int(activeTTL / time.Second)}, fields...)
	return redisErr(createRecord.Run(ctx, s.rdb, []string{k}, args...).Err())
}

// SetState records a non-final state change (running, retrying, paused).
// A record that has reached a final state keeps it: a late update from a
// concurrent worker never reopens a finished task.
func (s *Records) SetState(ctx context.Context, id, state string, retries int) error {
	args := []any{int(activeTTL / time.Second), "state", state, "retries", retries}
	if state == Running {
		args = append(args, "started_at", ts(s.now()))
	}
	return redisErr(setOpenRecord.Run(ctx, s.rdb, []string{TaskKey(id)}, args...).Err())
}

// Finish records the final state with the result or error, keeps the
// record for the retention period, and wakes every waiter.
func (s *Records) Finish(ctx context.Context, id, state string, result json.RawMessage, e *errcode.Error) error {
	if !Terminal(state) {
		return fmt.Errorf("rdb: %q is not a final state", state)
	}
	k := TaskKey(id)
	fields := []any{"id", id, "state", state, "finished_at", ts(s.now())}
	if result != nil {
		fields = append(fields, "result", string(result))
	}
	if e != nil {
		b, _ := json.Marshal(e)
		fields = append(fields, "error", string(b))
	}
	pipe := s.rdb.TxPipeline()
	pipe.HSet(ctx, k, fields...)
	pipe.Expire(ctx, k, s.ttl)
	pipe.Publish(ctx, DoneChannel, id)
	_, err := pipe.Exec(ctx)
	return redisErr(err)
}

// Get returns the record of task id.
func (s *Records) Get(ctx context.Context, id string) (*Record, error) {
	m, err := s.rdb.HGetAll(ctx, TaskKey(id)).Result()
	if err != nil {
		return nil, redisErr(err)
	}
	if len(m) == 0 {
		return nil, ErrTaskNotFound
	}
	return parse(m), nil
}

func parse(m map[string]string) *Record {
	r := &Record{ID: m["id"], Type: m["type"], Queue: m["queue"], State: m["state"]}
	r.ProjectID, _ = strconv.ParseInt(m["project_id"], 10, 64)
	r.BatchID, _ = strconv.ParseInt(m["batch_id"], 10, 64)
	r.Run, _ = strconv.Atoi(m["run"])
	r.Retries, _ = strconv.Atoi(m["retries"])
	if v := m["result"]; v != "" {
		r.Result = json.RawMessage(v)
	}
	if v := m["error"]; v != "" {
		var e errcode.Error
		if json.Unmarshal([]byte(v), &e) == nil {
			r.Error = &e
		}
	}
	parseT := func(v string) *time.Time {
		if v == "" {
			return nil
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return nil
		}
		return &t
	}
	if t := parseT(m["created_at"]); t != nil {
		r.CreatedAt = *t
	}
	r.StartedAt = parseT(m["started_at"])
	r.FinishedAt = parseT(m["finished_at"])
	return r
}

// ErrWaitTimeout is returned by Wait when the timeout passes first.
var ErrWaitTimeout = errors.New("timed out waiting for the task to finish")

// Wait blocks until task id reaches a final state, the timeout passes
// (ErrWaitTimeout) or ctx ends. It wakes on the done channel; as a guard
// against a notification lost while Redis restarted, it also re-reads the
// record every few seconds — never in a busy loop.
func (s *Records) Wait(ctx context.Context, id string, timeout time.Duration) (*Record, error) {
	ch, cancel, err := s.watch(ctx, id)
	if err != nil {
		return nil, err
	}
	defer cancel()
	var deadline <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		deadline = t.C
	}
	recheck := time.NewTicker(5 * time.Second)
	defer recheck.Stop()
	for {
		r, err := s.Get(ctx, id)
		if err != nil {
			if errors.Is(err, ErrTaskNotFound) {
				return nil, err
			}
			// Redis is down: keep waiting; the recheck retries.
			s.log.Debug("waiting for task: redis error", "task", id, "err", err)
		} else if Terminal(r.State) {
			return r, nil
		}
		select {
		case <-ch:
		case <-recheck.C:
		case <-deadline:
			return nil, ErrWaitTimeout
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// watch registers interest in id and makes sure the shared subscription
// runs. The returned channel receives a value when id may have finished.
func (s *Records) watch(ctx context.Context, id string) (<-chan struct{}, func(), error) {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, nil, errors.New("rdb: records closed")
	}
	if s.sub == nil {
		s.sub = s.rdb.Subscribe(context.Background(), DoneChannel)
		// Wait for the subscription to be live so no completion is missed
		// between the caller's first read and the subscription.
		if _, err := s.sub.Receive(ctx); err != nil {
			s.sub.Close()
			s.sub = nil
			s.mu.Unlock()
			return nil, nil, redisErr(err)
		}
		go s.dispatch(s.sub)
	}
	set := s.waiters[id]
	if set == nil {
		set = map[chan struct{}]struct{}{}
		s.waiters[id] = set
	}
	set[ch] = struct{}{}
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		delete(s.waiters[id], ch)
		if len(s.waiters[id]) == 0 {
			delete(s.waiters, id)
		}
		s.mu.Unlock()
	}, nil
}

func (s *Records) dispatch(sub *redis.PubSub) {
	for msg := range sub.Channel(redis.WithChannelSize(1024)) {
		s.mu.Lock()
		for ch := range s.waiters[msg.Payload] {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
		s.mu.Unlock()
	}
}

// Close stops the shared subscription.
func (s *Records) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.sub != nil {
		err := s.sub.Close()
		s.sub = nil
		return err
	}
	return nil
}

func redisErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return errcode.Wrap(err, errcode.RedisUnavailable, true, "redis: "+err.Error())
}
