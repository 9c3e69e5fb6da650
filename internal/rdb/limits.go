package rdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Provider call limits shared by every worker, and the renders each worker
// runs. The clock of every comparison is Redis's own (TIME inside the
// scripts), so workers whose clocks differ still agree.
//
//	ytmaker:limit:<provider>:inflight   sorted set: lease token → lease expiry (unix ms)
//	ytmaker:limit:<provider>:calls      sorted set: call token → start (unix ms)
//	ytmaker:renders:<instance>          JSON RenderUsage, TTL RenderUsageTTL
//	ytmaker:render-workers              set of instances with a renders record
//
// A call holds a lease in the in-flight set while it runs and renews it;
// a holder killed with SIGKILL stops renewing, and its lease stops
// counting when it expires. The calls set is a sliding one-minute log.

// CallWindow is the window of the per-minute limit.
const CallWindow = time.Minute

// RenderWorkersKey is the set of worker instances that publish their
// renders.
const RenderWorkersKey = "ytmaker:render-workers"

// RenderUsageTTL is how long a worker's renders record outlives its last
// write; workers rewrite it every few seconds.
const RenderUsageTTL = 15 * time.Second

// InFlightKey is the sorted set of a provider's running calls.
func InFlightKey(provider string) string { return "ytmaker:limit:" + provider + ":inflight" }

// CallsKey is the sorted set of a provider's calls of the last minute.
func CallsKey(provider string) string { return "ytmaker:limit:" + provider + ":calls" }

// RenderUsageKey is the renders record of a worker instance.
func RenderUsageKey(instance string) string { return "ytmaker:renders:" + instance }

// CallLimit is the most calls of a provider in flight and per minute
// (CallWindow); zero means no limit.
type CallLimit struct {
	InFlight  int
	PerMinute int
}

// CallGrant is the answer to TakeCall.
type CallGrant struct {
	OK bool
	// InFlight and LastMinute are the provider's counts after the call
	// was taken (or, refused, as they stand).
	InFlight, LastMinute int
	// Refused, Full names the limit reached: "in_flight" or "per_minute".
	Full string
	// Wait is, for a refusal by the per-minute limit, how long until the
	// oldest call that counts leaves the window; for one by the in-flight
	// limit, until the earliest lease expires (an upper bound: a call
	// usually ends sooner).
	Wait time.Duration
}

// TakeCall starts a call of provider under lim if neither limit is
// reached: token then holds an in-flight lease of lease and counts in the
// last minute's calls. Expired leases and calls older than the window
// are dropped first.
func TakeCall(ctx context.Context, rdb redis.UniversalClient, provider, token string, lim CallLimit, lease time.Duration) (CallGrant, error) {
	res, err := takeCall.Run(ctx, rdb, []string{InFlightKey(provider), CallsKey(provider)},
		token, lim.InFlight, lim.PerMinute, lease.Milliseconds(), CallWindow.Milliseconds()).Int64Slice()
	if err != nil {
		return CallGrant{}, fmt.Errorf("take %s call: %w", provider, err)
	}
	if len(res) != 5 {
		return CallGrant{}, fmt.Errorf("take %s call: unexpected answer %v", provider, res)
	}
	g := CallGrant{OK: res[0] == 1, InFlight: int(res[1]), LastMinute: int(res[2]), Wait: time.Duration(res[3]) * time.Millisecond}
	switch res[4] {
	case 1:
		g.Full = "in_flight"
	case 2:
		g.Full = "per_minute"
	}
	return g, nil
}

// RenewCall extends the lease of a running call to lease from now. A
// lease that expired meanwhile (Redis was unreachable longer than the
// lease) is taken again: the call is still running and must count. It
// reports whether the lease was still there.
func RenewCall(ctx context.Context, rdb redis.UniversalClient, provider, token string, lease time.Duration) (bool, error) {
	n, err := renewCall.Run(ctx, rdb, []string{InFlightKey(provider)}, token, lease.Milliseconds()).Int()
	return n == 1, err
}

// EndCall removes a finished call's lease. The call still counts in the
// last minute's calls.
func EndCall(ctx context.Context, rdb redis.UniversalClient, provider, token string) error {
	return rdb.ZRem(ctx, InFlightKey(provider), token).Err()
}

// CallCount is a provider's calls in flight and of the last minute.
type CallCount struct {
	InFlight, LastMinute int
}

// CallCounts reads the counts of providers, leaving out expired leases
// and calls older than the window.
func CallCounts(ctx context.Context, rdb redis.UniversalClient, providers []string) (map[string]CallCount, error) {
	out := make(map[string]CallCount, len(providers))
	if len(providers) == 0 {
		return out, nil
	}
	keys := make([]string, 0, 2*len(providers))
	for _, p := range providers {
		keys = append(keys, InFlightKey(p), CallsKey(p))
	}
	res, err := countCalls.Run(ctx, rdb, keys, CallWindow.Milliseconds()).Int64Slice()
	if err != nil {
		return nil, fmt.Errorf("count calls: %w", err)
	}
	if len(res) != len(keys) {
		return nil, fmt.Errorf("count calls: unexpected answer %v", res)
	}
	for i, p := range providers {
		out[p] = CallCount{InFlight: int(res[2*i]), LastMinute: int(res[2*i+1])}
	}
	return out, nil
}

// takeCall: KEYS[1] in-flight set, KEYS[2] calls set; ARGV: token, most
// in flight, most per window (0 = no limit), lease ms, window ms. It
// returns {granted, in flight, calls in window, wait ms, full (0 none,
// 1 in flight, 2 per window)}.
var takeCall = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local maxIn, maxWin = tonumber(ARGV[2]), tonumber(ARGV[3])
local lease, window = tonumber(ARGV[4]), tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
local inflight = redis.call('ZCARD', KEYS[1])
local calls = redis.call('ZCARD', KEYS[2])
if maxIn > 0 and inflight >= maxIn then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, inflight, calls, tonumber(first[2]) - now, 1}
end
if maxWin > 0 and calls >= maxWin then
  local k = calls - maxWin
  local e = redis.call('ZRANGE', KEYS[2], k, k, 'WITHSCORES')
  return {0, inflight, calls, tonumber(e[2]) + window - now + 1, 2}
end
redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
redis.call('PEXPIRE', KEYS[1], lease * 2)
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('PEXPIRE', KEYS[2], window * 2)
return {1, inflight + 1, calls + 1, 0, 0}
`)

// renewCall: KEYS[1] in-flight set; ARGV: token, lease ms. Returns 1 if
// the lease was there, 0 if it was taken again.
var renewCall = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[2])
local held = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
if redis.call('PTTL', KEYS[1]) < lease * 2 then
  redis.call('PEXPIRE', KEYS[1], lease * 2)
end
if held and tonumber(held) > now then return 1 end
return 0
`)

// countCalls: KEYS pairs of (in-flight set, calls set); ARGV[1] window
// ms. Returns, per pair, the live leases and the calls in the window.
var countCalls = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS, 2 do
  out[#out + 1] = redis.call('ZCOUNT', KEYS[i], '(' .. now, '+inf')
  out[#out + 1] = redis.call('ZCOUNT', KEYS[i + 1], '(' .. (now - window), '+inf')
end
return out
`)

// RenderUsage is a worker's renders: how many run and the most it runs at
// once.
type RenderUsage struct {
	Instance string `json:"instance"`
	Host     string `json:"host"`
	PID      int    `json:"pid"`
	InFlight int    `json:"in_flight"`
	Max      int    `json:"max"`
}

// PutRenderUsage writes a worker's renders record (TTL RenderUsageTTL).
func PutRenderUsage(ctx context.Context, rdb redis.UniversalClient, u RenderUsage) error {
	raw, err := json.Marshal(u)
	if err != nil {
		return err
	}
	_, err = rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, RenderUsageKey(u.Instance), raw, RenderUsageTTL)
		p.SAdd(ctx, RenderWorkersKey, u.Instance)
		return nil
	})
	return err
}

// RemoveRenderUsage deletes a worker's renders record (clean shutdown).
func RemoveRenderUsage(ctx context.Context, rdb redis.UniversalClient, instance string) error {
	_, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, RenderUsageKey(instance))
		p.SRem(ctx, RenderWorkersKey, instance)
		return nil
	})
	return err
}

// RenderUsages returns the renders records of live workers, forgetting
// the instances whose record expired.
func RenderUsages(ctx context.Context, rdb redis.UniversalClient) ([]RenderUsage, error) {
	instances, err := rdb.SMembers(ctx, RenderWorkersKey).Result()
	if err != nil || len(instances) == 0 {
		return nil, err
	}
	keys := make([]string, len(instances))
	for i, in := range instances {
		keys[i] = RenderUsageKey(in)
	}
	vals, err := rdb.MGet(ctx, keys...).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	var out []RenderUsage
	var gone []any
	for i, v := range vals {
		s, ok := v.(string)
		if !ok {
			gone = append(gone, instances[i])
			continue
		}
		var u RenderUsage
		if err := json.Unmarshal([]byte(s), &u); err != nil {
			continue
		}
		out = append(out, u)
	}
	if len(gone) > 0 {
		rdb.SRem(ctx, RenderWorkersKey, gone...)
	}
	return out, nil
}

// LimitsKey is a hash: provider → JSON CallLimit the workers enforce, as
// the last worker to start wrote them (for /status).
const LimitsKey = "ytmaker:limits"

type callLimitJSON struct {
	InFlight  int `json:"in_flight"`
	PerMinute int `json:"per_minute"`
}

// PutCallLimits records the limits a worker enforces.
func PutCallLimits(ctx context.Context, rdb redis.UniversalClient, lims map[string]CallLimit) error {
	if len(lims) == 0 {
		return nil
	}
	vals := make([]any, 0, 2*len(lims))
	for p, l := range lims {
		raw, err := json.Marshal(callLimitJSON(l))
		if err != nil {
			return err
		}
		vals = append(vals, p, string(raw))
	}
	return rdb.HSet(ctx, LimitsKey, vals...).Err()
}

// CallLimits returns the limits the workers last recorded.
func CallLimits(ctx context.Context, rdb redis.UniversalClient) (map[string]CallLimit, error) {
	m, err := rdb.HGetAll(ctx, LimitsKey).Result()
	if err != nil {
		return nil, err
	}
	out := make(map[string]CallLimit, len(m))
	for p, raw := range m {
		var l callLimitJSON
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			continue
		}
		out[p] = CallLimit(l)
	}
	return out, nil
}
