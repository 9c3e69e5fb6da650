#!/bin/sh
# Side-by-side benchmark of the task system: YTMaker (asynq) and Celery 5
# (Debian's python3-celery), the same no-op load, the same Redis, one run.
# Also measures how many commands an idle YTMaker worker sends to Redis.
#   bench/tasks.sh [tasks] [latency-samples]
set -eu
cd "$(dirname "$0")/.."
N=${1:-20000}
S=${2:-100}
PORT=${PORT:-16479}
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; redis-cli -p $PORT shutdown nosave >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT

go build -o "$WORK/ytmaker" ./cmd/ytmaker
go build -o "$WORK/taskbench" ./bench/taskbench
redis-server --port "$PORT" --save "" --appendonly no --daemonize yes --logfile "$WORK/redis.log" --dir "$WORK"
sleep 0.5

echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(redis-server --version | cut -d' ' -f3)"

echo "== YTMaker: ytmaker worker --concurrency 2"
LOG_LEVEL=warn "$WORK/ytmaker" worker --redis-url "redis://127.0.0.1:$PORT/0" --data-dir "$WORK/data" --concurrency 2 >"$WORK/worker.log" 2>&1 &
WPID=$!
sleep 2
"$WORK/taskbench" -redis-url "redis://127.0.0.1:$PORT/0" -n "$N" -latency-samples "$S"

echo "== idle: Redis commands per second from one idle worker (10 s)"
sleep 3
before=$(redis-cli -p "$PORT" info stats | awk -F: '/total_commands_processed/ {print $2}' | tr -d '\r')
timeout 10 redis-cli -p "$PORT" monitor >"$WORK/monitor.txt" 2>/dev/null || true
after=$(redis-cli -p "$PORT" info stats | awk -F: '/total_commands_processed/ {print $2}' | tr -d '\r')
sent=$(grep -c '\[0 127\.0\.0\.1' "$WORK/monitor.txt" || true)
echo "idle worker: $((sent / 10)) commands/s sent over the network ($(( (after - before) / 10 )) executed, counting the commands inside asynq's Lua scripts)"
kill -INT $WPID; wait $WPID 2>/dev/null || true

for mode in default original; do
	n=$N
	# The original settings are two orders of magnitude slower: a tenth of the load.
	[ "$mode" = original ] && n=$(( N / 10 ))
	echo "== Celery: prefork -c 2, Redis broker and result backend ($mode settings)"
	redis-cli -p "$PORT" -n 1 flushdb >/dev/null
	orig=0; [ "$mode" = original ] && orig=1
	# exec: $! is the Celery main process itself, so it alone is stopped below.
	(cd bench/celery && BENCH_CELERY_ORIGINAL=$orig BENCH_REDIS_URL="redis://127.0.0.1:$PORT/1" \
		exec /usr/bin/python3 -m celery -A celery_bench worker -c 2 --pool prefork -Q maintenance --loglevel warning >"$WORK/celery.log" 2>&1) &
	CPID=$!
	sleep 4
	(cd bench/celery && BENCH_CELERY_ORIGINAL=$orig BENCH_REDIS_URL="redis://127.0.0.1:$PORT/1" /usr/bin/python3 celery_bench.py --n "$n" --latency-samples "$S")
	# TERM is Celery's warm shutdown: the main process stops its own pool.
	kill -TERM "$CPID" 2>/dev/null || true
	wait "$CPID" 2>/dev/null || true
done
