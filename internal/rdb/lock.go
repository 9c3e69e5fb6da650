package rdb

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// Lock makes one stage at a time run on a project, across every worker: a
// Redis key with a random token and a short TTL that the holder keeps
// renewing. A crashed holder's lock expires within LockTTL.
type Lock struct {
	rdb   redis.UniversalClient
	key   string
	token string
	stop  chan struct{}
	done  chan struct{}
}

// Lock timing.
const (
	LockTTL   = 15 * time.Second
	lockRenew = 5 * time.Second
)

// AcquireLock takes the lock key with token, or reports false when
// someone holds it. onLost is called (once) if the lock is lost while
// held.
func AcquireLock(ctx context.Context, rdb redis.UniversalClient, key, token string, onLost func()) (*Lock, bool, error) {
	ok, err := rdb.SetNX(ctx, key, token, LockTTL).Result()
	if err != nil || !ok {
		return nil, false, err
	}
	l := &Lock{rdb: rdb, key: key, token: token, stop: make(chan struct{}), done: make(chan struct{})}
	go l.renew(onLost)
	return l, true, nil
}

// Token returns the value the lock holds while it is held.
func (l *Lock) Token() string { return l.token }

func (l *Lock) renew(onLost func()) {
	defer close(l.done)
	t := time.NewTicker(lockRenew)
	defer t.Stop()
	failures := 0
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			n, err := renewIfHeld.Run(ctx, l.rdb, []string{l.key}, l.token, LockTTL.Milliseconds()).Int()
			cancel()
			switch {
			case err == nil && n == 1:
				failures = 0
			case err == nil && n == 0:
				// Someone else holds it now: we must stop.
				onLost()
				return
			default:
				// Redis unreachable: keep trying until the TTL would run out.
				failures++
				if time.Duration(failures)*lockRenew >= LockTTL {
					onLost()
					return
				}
			}
		}
	}
}

// Release gives the lock up if still held.
func (l *Lock) Release() {
	close(l.stop)
	<-l.done
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	deleteIfHeld.Run(ctx, l.rdb, []string{l.key}, l.token)
}

// LockHeld reports whether anyone holds the lock key.
func LockHeld(ctx context.Context, rdb redis.UniversalClient, key string) (bool, error) {
	n, err := rdb.Exists(ctx, key).Result()
	return n == 1, err
}

// LockHeldBy reports whether the lock key holds token.
func LockHeldBy(ctx context.Context, rdb redis.UniversalClient, key, token string) (bool, error) {
	v, err := rdb.Get(ctx, key).Result()
	if err == redis.Nil {
		return false, nil
	}
	return v == token, err
}

// RenewLease extends the lease key held by owner, or takes it if free; it
// reports whether owner holds it.
func RenewLease(ctx context.Context, rdb redis.UniversalClient, key, owner string, ttl time.Duration) (bool, error) {
	n, err := renewOrTake.Run(ctx, rdb, []string{key}, owner, ttl.Milliseconds()).Int()
	return n == 1, err
}

// ReleaseLease gives up the lease key if owner holds it.
func ReleaseLease(ctx context.Context, rdb redis.UniversalClient, key, owner string) error {
	return deleteIfHeld.Run(ctx, rdb, []string{key}, owner).Err()
}
