// Package progress carries YTMaker's progress messages: JSON on the Redis
// Pub/Sub channel progress:{project_id}, the seed's contract:
//
//	{"project_id":1,"stage":"script_generation","progress":50,
//	 "message":"Calling Gemini API...","timestamp":"2025-10-19T10:00:15Z"}
//
// progress is the percent of the run the caller started (a whole chain or
// one task). Within a run it never goes down, and it is 100 exactly once,
// when the run has finished. The latest message of every project is also
// kept, so a subscriber that joins late first receives the current state.
//
// Every message names its run. A subscriber that waits for a run it is
// about to start asks for NextRun (or ForRun with the run's number) and
// stops on Final; it never sees the previous run's final message:
//
//	sub, _ := progress.SubscribeRun(ctx, rdb, 1, progress.NextRun())
//	defer sub.Close()
//	// ... start the run ...
//	for m := range sub.C { // closes after the run's final message
//		fmt.Println(m.Run, m.Stage, m.Progress, m.Message)
//	}
package progress

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/rdb"
)

// Stage values.
const (
	StageScript    = "script_generation"
	StageAssets    = "asset_generation"
	StageRender    = "video_rendering"
	StageThumbnail = "thumbnail_generation"
	StageUpload    = "youtube_upload"
	StageCompleted = "completed"
	StageError     = "error"
)

// Message is one progress update.
type Message struct {
	ProjectID     int64          `json:"project_id"`
	Stage         string         `json:"stage"`
	Progress      int            `json:"progress"`
	Message       string         `json:"message"`
	Timestamp     string         `json:"timestamp"`
	Status        string         `json:"status,omitempty"`
	StageProgress *int           `json:"stage_progress,omitempty"`
	ETASeconds    *int           `json:"eta_seconds,omitempty"`
	Run           int            `json:"run,omitempty"`
	TaskID        string         `json:"task_id,omitempty"`
	Error         *errcode.Error `json:"error,omitempty"`
	Final         bool           `json:"final,omitempty"`
	Seq           int64          `json:"seq,omitempty"`
}

// Channel returns the Pub/Sub channel of a project.
func Channel(projectID int64) string { return rdb.ProgressChannel(projectID) }

// Publisher publishes progress messages.
type Publisher struct {
	rdb redis.UniversalClient
	now func() time.Time
}

// NewPublisher returns a publisher on rdb.
func NewPublisher(client redis.UniversalClient) *Publisher {
	return &Publisher{rdb: client, now: time.Now}
}

// Publish stores m as the project's latest message and publishes it. It
// reports false when m was dropped because it would move the run's
// progress backwards or came after the run's final message. Progress is
// clamped to 0..100; a non-final message never says 100.
func (p *Publisher) Publish(ctx context.Context, m Message) (bool, error) {
	if m.Timestamp == "" {
		m.Timestamp = p.now().UTC().Format(time.RFC3339)
	}
	m.Progress = max(0, min(m.Progress, 100))
	if !m.Final && m.Progress == 100 {
		m.Progress = 99
	}
	m.Seq = 0
	b, err := json.Marshal(m)
	if err != nil {
		return false, fmt.Errorf("encode progress: %w", err)
	}
	body := strings.TrimSuffix(string(b), "}")
	n, err := rdb.PublishProgress(ctx, p.rdb, m.ProjectID, m.Run, m.Progress, m.Final, body)
	if err != nil {
		return false, errcode.Wrap(err, errcode.RedisUnavailable, true, "publish progress: "+err.Error())
	}
	return n > 0, nil
}

// Snapshot returns a project's latest message, or nil when there is none.
func Snapshot(ctx context.Context, client redis.UniversalClient, projectID int64) (*Message, error) {
	s, err := rdb.ProgressSnapshot(ctx, client, projectID)
	if s == "" && err == nil {
		return nil, nil
	}
	if err != nil {
		return nil, errcode.Wrap(err, errcode.RedisUnavailable, true, "read progress: "+err.Error())
	}
	var m Message
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("decode progress snapshot: %w", err)
	}
	return &m, nil
}

// Throttle sends one project's messages through a Publisher at most once
// per interval: urgent messages (stage boundaries, errors, the final one)
// go at once; others are coalesced and the latest is sent when the
// interval has passed.
type Throttle struct {
	pub   *Publisher
	every time.Duration

	mu      sync.Mutex
	last    time.Time
	pending *Message
	timer   *time.Timer
	closed  bool
	onErr   func(error)
}

// Throttle returns a throttle for one project's messages. onErr (may be
// nil) sees publish failures of deferred messages.
func (p *Publisher) Throttle(every time.Duration, onErr func(error)) *Throttle {
	return &Throttle{pub: p, every: every, onErr: onErr}
}

// Send publishes m now if urgent or if the interval has passed; otherwise
// it replaces any pending message and schedules it.
func (t *Throttle) Send(ctx context.Context, m Message, urgent bool) error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	now := t.pub.now()
	if urgent || now.Sub(t.last) >= t.every {
		t.pending = nil
		if t.timer != nil {
			t.timer.Stop()
			t.timer = nil
		}
		t.last = now
		t.mu.Unlock()
		_, err := t.pub.Publish(ctx, m)
		return err
	}
	t.pending = &m
	if t.timer == nil {
		wait := t.every - now.Sub(t.last)
		t.timer = time.AfterFunc(wait, t.flushPending)
	}
	t.mu.Unlock()
	return nil
}

func (t *Throttle) flushPending() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := t.Flush(ctx); err != nil && t.onErr != nil {
		t.onErr(err)
	}
}

// Flush publishes a pending message now, if there is one.
func (t *Throttle) Flush(ctx context.Context) error {
	t.mu.Lock()
	m := t.pending
	t.pending = nil
	if t.timer != nil {
		t.timer.Stop()
		t.timer = nil
	}
	if m == nil || t.closed {
		t.mu.Unlock()
		return nil
	}
	t.last = t.pub.now()
	t.mu.Unlock()
	_, err := t.pub.Publish(ctx, *m)
	return err
}

// Close drops any pending message; later Sends do nothing.
func (t *Throttle) Close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	t.pending = nil
	if t.timer != nil {
		t.timer.Stop()
		t.timer = nil
	}
}

// Subscription delivers a project's messages: first the current snapshot
// (or a not-started message), then every new message of the runs its
// Scope follows, in order, without duplicates.
type Subscription struct {
	C      <-chan Message
	ps     *redis.PubSub
	cancel context.CancelFunc
	done   chan struct{}
}

// Subscribe subscribes to a project's progress, every run (AllRuns): the
// project's latest message first — it may be the final message of a run
// that has ended; Message.Run says which — then every new message. A
// project without any message gets a not-started one. The channel closes
// when ctx ends or Close is called.
func Subscribe(ctx context.Context, client redis.UniversalClient, projectID int64) (*Subscription, error) {
	return SubscribeRun(ctx, client, projectID, AllRuns())
}

// SubscribeRun subscribes to the runs of a project that scope names (see
// Scope.Start for the first message). A subscription to one run (ForRun,
// NextRun) delivers nothing of other runs and closes its channel after
// the run's final message. It fails with a CONFLICT error when asked for
// a run that is over and that a later run has followed.
func SubscribeRun(ctx context.Context, client redis.UniversalClient, projectID int64, scope Scope) (*Subscription, error) {
	ps := client.Subscribe(ctx, Channel(projectID))
	// Wait until the subscription is live before reading the snapshot, so
	// no message falls between the two.
	if _, err := ps.Receive(ctx); err != nil {
		ps.Close()
		return nil, errcode.Wrap(err, errcode.RedisUnavailable, true, "subscribe: "+err.Error())
	}
	snap, err := Snapshot(ctx, client, projectID)
	if err != nil {
		ps.Close()
		return nil, err
	}
	follow, first, err := scope.Start(projectID, snap, time.Now())
	if err != nil {
		ps.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	out := make(chan Message, 64)
	s := &Subscription{C: out, ps: ps, cancel: cancel, done: make(chan struct{})}
	live := ps.Channel(redis.WithChannelSize(256))
	go func() {
		defer close(s.done)
		defer close(out)
		defer ps.Close()
		// Only the snapshot can repeat a live message (one published
		// between SUBSCRIBE and the snapshot read); once a newer live
		// message has passed, nothing is filtered, so a sequence that
		// restarts after a Redis restart is not mistaken for duplicates.
		var snapSeq int64
		if snap != nil {
			snapSeq = snap.Seq
		}
		select {
		case out <- first:
		case <-ctx.Done():
			return
		}
		for !follow.Done() {
			select {
			case <-ctx.Done():
				return
			case raw, ok := <-live:
				if !ok {
					return
				}
				var m Message
				if err := json.Unmarshal([]byte(raw.Payload), &m); err != nil {
					continue
				}
				if snapSeq != 0 {
					if m.Seq != 0 && m.Seq <= snapSeq {
						continue
					}
					snapSeq = 0
				}
				if !follow.Accept(m) {
					continue
				}
				select {
				case out <- m:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return s, nil
}

// Close ends the subscription and waits for its goroutine.
func (s *Subscription) Close() {
	s.cancel()
	<-s.done
}
