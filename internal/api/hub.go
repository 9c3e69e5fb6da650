package api

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ytmaker/ytmaker/progress"
)

// hub fans one Redis subscription per project out to every local client
// watching that project, so a thousand browsers on one project cost one
// Redis connection, not a thousand. A client that joins late first gets
// the latest message (the hub's subscription began with the stored
// snapshot and has seen every message since), then live ones. A listener
// may follow one run only (a progress.Scope); the hub then filters the
// shared stream for it.
type hub struct {
	subscribe func(ctx context.Context, id int64) (*progress.Subscription, error)
	buffer    int
	ctx       context.Context
	stop      context.CancelFunc

	mu     sync.Mutex
	closed bool
	topics map[int64]*topic
}

// topic is one project's shared subscription.
type topic struct {
	id    int64
	ready chan struct{} // closed once sub or err is set
	err   error
	sub   *progress.Subscription
	refs  int // listeners joined or joining; guarded by hub.mu

	mu        sync.Mutex
	last      *progress.Message // the latest message; the snapshot (or not-started) first
	listeners map[*listener]struct{}
	ended     bool
}

// listener is one client's view of a topic. C closes when the topic ends
// (server shutdown) or when the client fell too far behind.
type listener struct {
	C      chan progress.Message
	t      *topic
	lagged atomic.Bool
	follow *progress.Follower // nil: every run; guarded by t.mu
}

func newHub(subscribe func(ctx context.Context, id int64) (*progress.Subscription, error), buffer int) *hub {
	ctx, stop := context.WithCancel(context.Background())
	return &hub{subscribe: subscribe, buffer: buffer, ctx: ctx, stop: stop, topics: map[int64]*topic{}}
}

// join adds a listener following scope to project id's topic, subscribing
// to Redis if it is the first. Call leave when done. It fails with a
// CONFLICT error when scope names a run that is over and followed by
// another.
func (h *hub) join(ctx context.Context, id int64, scope progress.Scope) (*listener, error) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, errShutdown
	}
	t := h.topics[id]
	if t == nil {
		t = &topic{id: id, ready: make(chan struct{}), listeners: map[*listener]struct{}{}}
		h.topics[id] = t
		t.refs++
		h.mu.Unlock()
		sub, err := h.subscribe(h.ctx, id)
		if err != nil {
			t.err = err
			h.mu.Lock()
			if h.topics[id] == t {
				delete(h.topics, id) // the next client tries afresh
			}
			h.mu.Unlock()
			close(t.ready)
			h.release(t)
			return nil, err
		}
		t.sub = sub
		// The subscription's first message (the snapshot, or a
		// not-started one) comes at once: keep it before anyone joins,
		// so a listener that follows one run is placed against it.
		if first, ok := <-sub.C; ok {
			t.last = &first
		}
		close(t.ready)
		go h.pump(t)
	} else {
		t.refs++
		h.mu.Unlock()
		select {
		case <-t.ready:
		case <-ctx.Done():
			h.release(t)
			return nil, ctx.Err()
		}
		if t.err != nil {
			h.release(t)
			return nil, t.err
		}
	}
	l := &listener{C: make(chan progress.Message, h.buffer), t: t}
	if err := t.add(l, scope); err != nil {
		h.release(t)
		return nil, err
	}
	return l, nil
}

// add places l against the topic's latest message and sends it its first
// message: the latest one, or, for a listener of one run, that run's
// latest or a not-started message.
func (t *topic) add(l *listener, scope progress.Scope) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ended {
		close(l.C)
		return nil
	}
	first := t.last
	if scope != progress.AllRuns() {
		latest := t.last
		if latest != nil && latest.Stage == progress.StageNotStarted {
			latest = nil
		}
		f, m, err := scope.Start(t.id, latest, time.Now())
		if err != nil {
			return err
		}
		l.follow, first = f, &m
	}
	if first != nil {
		l.C <- *first
	}
	t.listeners[l] = struct{}{}
	return nil
}

// leave removes a listener; the last one out closes the subscription.
func (h *hub) leave(l *listener) {
	t := l.t
	t.mu.Lock()
	if _, ok := t.listeners[l]; ok {
		delete(t.listeners, l)
		close(l.C)
	}
	t.mu.Unlock()
	h.release(t)
}

func (h *hub) release(t *topic) {
	h.mu.Lock()
	t.refs--
	last := t.refs == 0
	if last && h.topics[t.id] == t {
		delete(h.topics, t.id)
	}
	h.mu.Unlock()
	if last && t.sub != nil {
		t.sub.Close()
	}
}

// pump forwards the subscription's messages to every listener. A
// listener whose buffer is full is dropped (its channel closes) rather
// than holding up the others.
func (h *hub) pump(t *topic) {
	for m := range t.sub.C {
		t.mu.Lock()
		msg := m
		t.last = &msg
		for l := range t.listeners {
			if l.follow != nil && !l.follow.Accept(m) {
				continue
			}
			select {
			case l.C <- m:
			default:
				l.lagged.Store(true)
				delete(t.listeners, l)
				close(l.C)
			}
		}
		t.mu.Unlock()
	}
	t.mu.Lock()
	t.ended = true
	for l := range t.listeners {
		delete(t.listeners, l)
		close(l.C)
	}
	t.mu.Unlock()
	h.mu.Lock()
	if h.topics[t.id] == t {
		delete(h.topics, t.id)
	}
	h.mu.Unlock()
}

// close ends every subscription; listeners' channels close.
func (h *hub) close() {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.stop()
}

// size reports how many projects have a live subscription (tests).
func (h *hub) size() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.topics)
}
