package jobs

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// projectLock makes one stage at a time run on a project, across every
// worker: a Redis key with a random token and a short TTL that the holder
// keeps renewing. A crashed holder's lock expires within lockTTL.
type projectLock struct {
	rdb   redis.UniversalClient
	key   string
	token string
	stop  chan struct{}
	done  chan struct{}
}

const (
	lockTTL   = 15 * time.Second
	lockRenew = 5 * time.Second
)

var renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`)

var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`)

// acquireLock takes the lock or reports false when someone holds it.
// onLost is called (once) if the lock is lost while held.
func acquireLock(ctx context.Context, rdb redis.UniversalClient, key, token string, onLost func()) (*projectLock, bool, error) {
	ok, err := rdb.SetNX(ctx, key, token, lockTTL).Result()
	if err != nil || !ok {
		return nil, false, err
	}
	l := &projectLock{rdb: rdb, key: key, token: token, stop: make(chan struct{}), done: make(chan struct{})}
	go l.renew(onLost)
	return l, true, nil
}

func (l *projectLock) renew(onLost func()) {
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
			n, err := renewScript.Run(ctx, l.rdb, []string{l.key}, l.token, lockTTL.Milliseconds()).Int()
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
				if time.Duration(failures)*lockRenew >= lockTTL {
					onLost()
					return
				}
			}
		}
	}
}

// release gives the lock up if still held.
func (l *projectLock) release() {
	close(l.stop)
	<-l.done
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	releaseScript.Run(ctx, l.rdb, []string{l.key}, l.token)
}
