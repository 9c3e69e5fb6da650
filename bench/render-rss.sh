#!/bin/sh
# Peak resident memory of `ytmaker serve` (its ffmpeg and festival children
# not counted) while it renders a ten-minute 1080p Ken Burns video: a
# project of 20 English paragraphs (about 1,600 words of narration, spoken
# offline by festival) with Ken Burns motion and subtitles, generated
# through the HTTP API. The peak (VmHWM) is reset when the render stage
# starts (/proc/PID/clear_refs) and read when it ends, so the figure is
# the render's; the peak of the stages before it is printed too.
#   bench/render-rss.sh [ytmaker binary]   (default: built from this tree)
set -eu
cd "$(dirname "$0")/.."
WORK=$(mktemp -d)
SERVE=
cleanup() {
	if [ -n "$SERVE" ]; then kill -INT "$SERVE" 2>/dev/null || true; wait "$SERVE" 2>/dev/null || true; fi
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
BIN=${1:-}
if [ -z "$BIN" ]; then
	go build -o "$WORK/ytmaker" ./cmd/ytmaker
	BIN=$WORK/ytmaker
fi
PORT=${REDIS_PORT:-16593}
ADDR=${ADDR:-127.0.0.1:18093}
API=http://$ADDR/api/v1

# A loaded machine may need more than the default 30 min for the render.
RENDER_TIME_LIMIT=${RENDER_TIME_LIMIT:-2h} "$BIN" serve --addr "$ADDR" --data-dir "$WORK/data" --redis-url "redis://127.0.0.1:$PORT/0" >"$WORK/serve.log" 2>&1 &
SERVE=$!
until curl -s "http://$ADDR/status" 2>/dev/null | grep -q '"status":"healthy"'; do
	kill -0 "$SERVE" 2>/dev/null || { cat "$WORK/serve.log"; exit 1; }
	sleep 0.1
done

# Twenty paragraphs of about eighty words: some ten minutes of speech.
content=
for i in $(seq 20); do
	p="Chapter $i takes us further along the coast, where the rivers meet the sea and the tides shape the land."
	p="$p Fishermen have watched these waters for centuries, and their stories tell of storms, of calm mornings, and of the patient work of families who built their lives around the harbour."
	p="$p Scientists now measure the water, the wind and the sand, and they find that the shoreline moves a little every year, carried by currents that nobody can see from the beach."
	p="$p Walking here at dawn, you hear gulls, waves and the distant engines of boats returning home."
	content="$content$p\\n\\n"
done
body="{\"name\":\"Ten minutes\",\"content\":\"$content\",\"language\":\"en\",\"settings\":{\"format\":\"1920x1080\",\"motion\":\"kenburns\",\"max_segments\":20,\"youtube\":{\"upload\":false}}}"
id=$(curl -s -X POST "$API/projects" -H 'Content-Type: application/json' -d "$body" | grep -o '"id":[0-9]*' | head -1 | cut -d: -f2)
[ -n "$id" ] || { echo "project not created"; exit 1; }
curl -s -X POST "$API/projects/$id/generate" >/dev/null

hwm() { awk '/VmHWM/ {print $2}' "/proc/$SERVE/status"; }
phase=before
start=$(date +%s)
while :; do
	st=$(curl -s "$API/projects/$id" | grep -o '"status":"[A-Z_]*"' | head -1 | cut -d'"' -f4)
	case "$phase:$st" in
	before:RENDERING)
		before=$(hwm)
		echo 5 >"/proc/$SERVE/clear_refs" # reset the peak to the current RSS
		rstart=$(date +%s)
		phase=render
		;;
	render:RENDERING) ;;
	render:*)
		peak=$(hwm)
		rend=$(date +%s)
		break
		;;
	*:FAILED | *:CANCELLED)
		curl -s "$API/projects/$id"
		exit 1
		;;
	esac
	sleep 0.2
done
video=$(find "$WORK/data" -name final_video.mp4 | head -1)
dur=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$video")
size=$(stat -c %s "$video")
echo "video: ${dur} s, $((size / 1048576)) MiB, 1920x1080, Ken Burns; rendered in $((rend - rstart)) s (script and assets took $((rstart - start)) s)"
echo "peak RSS of serve before the render (script, assets): $((before / 1024)) MiB ($before kB)"
echo "peak RSS of serve while rendering: $((peak / 1024)) MiB ($peak kB)"
