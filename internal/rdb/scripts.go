package rdb

import "github.com/redis/go-redis/v9"

// Every Lua script of YTMaker. Each runs atomically in Redis.

// createRecord writes a task record only if none exists, in one round
// trip: KEYS[1] the record, ARGV[1] its TTL in seconds, ARGV[2..] fields.
var createRecord = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1`)

// setOpenRecord updates a task record unless it is in a final state:
// KEYS[1] the record, ARGV[1] its TTL in seconds, ARGV[2..] fields.
var setOpenRecord = redis.NewScript(`
local s = redis.call('HGET', KEYS[1], 'state')
if s == 'succeeded' or s == 'failed' or s == 'cancelled' then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1`)

// renewIfHeld extends KEYS[1] to ARGV[2] ms if it still holds ARGV[1].
var renewIfHeld = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`)

// deleteIfHeld deletes KEYS[1] if it still holds ARGV[1].
var deleteIfHeld = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`)

// renewOrTake extends the lease KEYS[1] held by ARGV[1] to ARGV[2] ms, or
// takes it if free. It returns 1 when ARGV[1] holds the lease.
var renewOrTake = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 1
end
return 0`)

// publishProgress stores a project's latest progress message and
// publishes it, refusing a message of a run older than the latest one
// (a late writer of a finished run), or one that would move a run's
// progress backwards or follow its final message. The sequence number is
// added here so subscribers can drop duplicates. KEYS[1] the snapshot
// hash; ARGV: run, progress, final (0/1), the JSON body without its
// closing brace, the channel, the TTL in seconds.
var publishProgress = redis.NewScript(`
local run = redis.call('HGET', KEYS[1], 'run')
if run and tonumber(ARGV[1]) < tonumber(run) then return 0 end
if run == ARGV[1] then
  if redis.call('HGET', KEYS[1], 'final') == '1' then return 0 end
  local cur = tonumber(redis.call('HGET', KEYS[1], 'progress') or '0')
  if tonumber(ARGV[2]) < cur then return 0 end
end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local msg = ARGV[4] .. ',"seq":' .. seq .. '}'
redis.call('HSET', KEYS[1], 'run', ARGV[1], 'progress', ARGV[2], 'final', ARGV[3], 'msg', msg)
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('PUBLISH', ARGV[5], msg)
return seq
`)

// QuotaReserve adds ARGV[1] to KEYS[1] unless that would pass the limit
// ARGV[2] (0 = unlimited), setting the key's TTL to ARGV[3] seconds and
// adding ARGV[4] to the set KEYS[2]. A count below ARGV[5] (the usage the
// files prove; optional) is raised to it first, so a count lost in a
// failover never lets more through. It returns {1, new usage} or
// {0, usage}.
var QuotaReserve = redis.NewScript(`
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local floor = tonumber(ARGV[5] or '0')
if floor > used then
  redis.call('SET', KEYS[1], floor, 'EX', ARGV[3])
  used = floor
end
local units = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
if limit > 0 and used + units > limit then
  return {0, used}
end
local n = redis.call('INCRBY', KEYS[1], units)
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('SADD', KEYS[2], ARGV[4])
return {1, n}
`)

// QuotaRelease subtracts ARGV[1] from KEYS[1], never going below zero and
// keeping the key's expiry.
var QuotaRelease = redis.NewScript(`
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used <= 0 then return 0 end
local n = used - tonumber(ARGV[1])
if n < 0 then n = 0 end
redis.call('SET', KEYS[1], n, 'KEEPTTL')
return n
`)

// QuotaRaise sets KEYS[1] to at least ARGV[1].
var QuotaRaise = redis.NewScript(`
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local want = tonumber(ARGV[1])
if want > used then
  redis.call('SET', KEYS[1], want)
  used = want
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
return used
`)

// putUnsaved keeps a project state unless a later version is kept:
// KEYS[1] states, KEYS[2] versions; ARGV: project ID, version, state.
var putUnsaved = redis.NewScript(`
local v = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if tonumber(ARGV[2]) <= v then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1`)

// deleteUnsaved forgets a kept project state of at most a version:
// KEYS[1] states, KEYS[2] versions; ARGV: project ID, version.
var deleteUnsaved = redis.NewScript(`
local v = redis.call('HGET', KEYS[2], ARGV[1])
if not v or tonumber(v) > tonumber(ARGV[2]) then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1`)
