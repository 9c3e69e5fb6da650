package rdb

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// asynq's private keys. YTMaker reads and writes them in one place only:
// requeueing a task whose worker died, faster than asynq's own recoverer
// (RequeueHeld when the holder is known dead, RequeueOrphans by lease for
// a task with no holder record).
// The names follow asynq v0.26's schema (its internal/base package);
// asynq_test.go pins them against a running asynq, so an upgrade that
// changes them fails the tests instead of silently slowing recovery.
//
//	asynq:{<queue>}:pending   list of task IDs ready to run
//	asynq:{<queue>}:active    list of task IDs being run
//	asynq:{<queue>}:lease     sorted set: task ID → lease expiry (unix s)
//	asynq:{<queue>}:t:<id>    hash of one task (field "state" among others)

// AsynqVersion is the asynq release whose key layout this file follows.
const AsynqVersion = "v0.26.0"

func asynqQueuePrefix(queue string) string   { return "asynq:{" + queue + "}:" }
func asynqPendingKey(queue string) string    { return asynqQueuePrefix(queue) + "pending" }
func asynqActiveKey(queue string) string     { return asynqQueuePrefix(queue) + "active" }
func asynqLeaseKey(queue string) string      { return asynqQueuePrefix(queue) + "lease" }
func asynqTaskKeyPrefix(queue string) string { return asynqQueuePrefix(queue) + "t:" }

// requeueOrphans moves tasks whose lease expires before ARGV[1] from
// active back to the head of pending, as asynq does for tasks interrupted
// by a shutdown. KEYS: lease, active, pending; ARGV[2]: task key prefix.
var requeueOrphans = redis.NewScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 100)
local out = {}
for _, id in ipairs(ids) do
  if redis.call('LREM', KEYS[2], 0, id) > 0 then
    redis.call('ZREM', KEYS[1], id)
    redis.call('RPUSH', KEYS[3], id)
    redis.call('HSET', ARGV[2] .. id, 'state', 'pending')
    table.insert(out, id)
  end
end
return out`)

// RequeueOrphans puts the active tasks of queue whose lease ends before
// cutoff back in the queue, to run again at once without counting a
// failed attempt, and returns their IDs. A live asynq worker extends its
// leases to now+30 s every 5 s, so a lease that ends before now+18 s
// belongs to a worker that stopped extending it 12 s ago.
func RequeueOrphans(ctx context.Context, rdb redis.UniversalClient, queue string, cutoff time.Time) ([]string, error) {
	keys := []string{asynqLeaseKey(queue), asynqActiveKey(queue), asynqPendingKey(queue)}
	return requeueOrphans.Run(ctx, rdb, keys, cutoff.Unix(), asynqTaskKeyPrefix(queue)).StringSlice()
}

// requeueHeld puts back a task whose holder died: if HoldersKey
// (KEYS[4]) still names ARGV[3] as the holder of task ARGV[1], it drops
// that record, deletes the project lock KEYS[5] if it still holds the
// holder's token ARGV[4], and moves the task from active to the head of
// pending. KEYS: active, lease, pending, holders, lock; ARGV[2]: task key
// prefix. It returns 1 if the task was requeued, 0 if it was no longer
// active, -1 if someone else holds it now.
var requeueHeld = redis.NewScript(`
local h = redis.call('HGET', KEYS[4], ARGV[1])
if not h or cjson.decode(h).instance ~= ARGV[3] then return -1 end
redis.call('HDEL', KEYS[4], ARGV[1])
if ARGV[4] ~= '' and redis.call('GET', KEYS[5]) == ARGV[4] then
  redis.call('DEL', KEYS[5])
end
if redis.call('LREM', KEYS[1], 0, ARGV[1]) > 0 then
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('RPUSH', KEYS[3], ARGV[1])
  redis.call('HSET', ARGV[2] .. ARGV[1], 'state', 'pending')
  return 1
end
return 0`)

// RequeueHeld puts task id, held by h.Instance which the caller judged
// dead, back at the head of its queue to run again at once without
// counting a failed attempt, and frees the project lock the holder had.
// It reports whether the task was requeued (false: it had left the
// active list, or another worker holds it now).
func RequeueHeld(ctx context.Context, rdb redis.UniversalClient, id string, h Holding) (bool, error) {
	lock := h.LockKey
	if lock == "" {
		lock = HoldersKey // unused: ARGV[4] is empty
	}
	keys := []string{asynqActiveKey(h.Queue), asynqLeaseKey(h.Queue), asynqPendingKey(h.Queue), HoldersKey, lock}
	n, err := requeueHeld.Run(ctx, rdb, keys, id, asynqTaskKeyPrefix(h.Queue), h.Instance, h.LockToken).Int()
	return n == 1, err
}
