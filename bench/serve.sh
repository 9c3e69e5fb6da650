#!/bin/sh
# Start-up and footprint of `ytmaker serve`: time from launch to a healthy
# /status with a Redis it starts itself, and the resident memory of the
# serve process once idle (Redis not counted).
#   bench/serve.sh [runs]
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-5}
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
go build -o "$WORK/ytmaker" ./cmd/ytmaker
PORT=16591
ADDR=127.0.0.1:18091
for i in $(seq "$RUNS"); do
	rm -rf "$WORK/data"
	start=$(date +%s%N)
	"$WORK/ytmaker" serve --addr "$ADDR" --data-dir "$WORK/data" --redis-url "redis://127.0.0.1:$PORT/0" >"$WORK/serve.log" 2>&1 &
	pid=$!
	until curl -s "http://$ADDR/status" 2>/dev/null | grep -q '"status":"healthy"'; do sleep 0.01; done
	end=$(date +%s%N)
	echo "run $i: healthy after $(( (end - start) / 1000000 )) ms"
	if [ "$i" = "$RUNS" ]; then
		sleep 10
		rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
		echo "idle RSS of serve after 10 s: $((rss / 1024)) MiB ($rss kB)"
	fi
	kill -INT $pid; wait $pid || true
done
