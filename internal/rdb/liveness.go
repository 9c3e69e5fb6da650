package rdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Worker liveness. Each worker process keeps a record of itself that
// expires unless renewed, and names itself as the holder of every task
// it runs. Another worker that finds a task held by a dead process puts
// the task back in its queue and frees the project lock at once, instead
// of waiting for the lock's TTL and asynq's lease.
//
//	ytmaker:worker:<instance>   JSON Liveness, TTL LivenessTTL
//	ytmaker:holders             hash: task ID → JSON Holding

// LivenessTTL is how long a worker's liveness record outlives its last
// renewal; workers renew it every second. A worker on another machine is
// judged dead this long after it stopped.
const LivenessTTL = 5 * time.Second

// HoldersKey is the hash naming the worker that runs each active task.
const HoldersKey = "ytmaker:holders"

// WorkerKey is the liveness record of a worker instance.
func WorkerKey(instance string) string { return "ytmaker:worker:" + instance }

// Liveness describes a running worker process.
type Liveness struct {
	Instance string `json:"instance"`
	Host     string `json:"host"`
	// Machine tells apart hosts that share a name: the boot and the PID
	// namespace the process runs in. Empty when unknown.
	Machine string `json:"machine,omitempty"`
	PID     int    `json:"pid"`
	// Start is the process's start time as the kernel counts it; a
	// reused PID has another. Empty when unknown.
	Start string `json:"start,omitempty"`
}

// Holding names the worker running a task and the project lock it holds.
type Holding struct {
	Instance  string `json:"instance"`
	Queue     string `json:"queue"`
	LockKey   string `json:"lock_key,omitempty"`
	LockToken string `json:"lock_token,omitempty"`
}

// RenewLiveness writes (or refreshes) the worker's liveness record.
func RenewLiveness(ctx context.Context, rdb redis.UniversalClient, l Liveness) error {
	raw, err := json.Marshal(l)
	if err != nil {
		return err
	}
	return rdb.Set(ctx, WorkerKey(l.Instance), raw, LivenessTTL).Err()
}

// RemoveLiveness deletes the worker's liveness record (clean shutdown).
func RemoveLiveness(ctx context.Context, rdb redis.UniversalClient, instance string) error {
	return rdb.Del(ctx, WorkerKey(instance)).Err()
}

// LivenessOf returns the liveness records of the instances that have
// one; an instance missing from the map has stopped renewing it.
func LivenessOf(ctx context.Context, rdb redis.UniversalClient, instances []string) (map[string]Liveness, error) {
	out := map[string]Liveness{}
	if len(instances) == 0 {
		return out, nil
	}
	keys := make([]string, len(instances))
	for i, in := range instances {
		keys[i] = WorkerKey(in)
	}
	vals, err := rdb.MGet(ctx, keys...).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	for i, v := range vals {
		s, ok := v.(string)
		if !ok {
			continue
		}
		var l Liveness
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			// Unreadable: treat as alive rather than requeue a live task.
			l = Liveness{Instance: instances[i]}
		}
		out[instances[i]] = l
	}
	return out, nil
}

// Hold records that h.Instance runs task id.
func Hold(ctx context.Context, rdb redis.UniversalClient, id string, h Holding) error {
	raw, err := json.Marshal(h)
	if err != nil {
		return err
	}
	return rdb.HSet(ctx, HoldersKey, id, raw).Err()
}

// Unhold removes the record that instance runs task id, unless another
// worker holds the task by now.
func Unhold(ctx context.Context, rdb redis.UniversalClient, id, instance string) error {
	return unhold.Run(ctx, rdb, []string{HoldersKey}, id, instance).Err()
}

// Holdings returns every task's holder.
func Holdings(ctx context.Context, rdb redis.UniversalClient) (map[string]Holding, error) {
	m, err := rdb.HGetAll(ctx, HoldersKey).Result()
	if err != nil {
		return nil, err
	}
	out := make(map[string]Holding, len(m))
	for id, raw := range m {
		var h Holding
		if err := json.Unmarshal([]byte(raw), &h); err != nil {
			return nil, fmt.Errorf("holder of task %s: %w", id, err)
		}
		out[id] = h
	}
	return out, nil
}

// unhold deletes field ARGV[1] of KEYS[1] if its holder is ARGV[2].
var unhold = redis.NewScript(`
local h = redis.call('HGET', KEYS[1], ARGV[1])
if h and cjson.decode(h).instance == ARGV[2] then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0`)
