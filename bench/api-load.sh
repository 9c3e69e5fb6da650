#!/bin/sh
# Load test of GET /api/v1/projects/{id} against a running `ytmaker serve`,
# with wrk: a bounded run that prints the p50/p99 latency and the errors.
#
#   bench/api-load.sh [PROJECT_ID]
#
# Settings (environment): ADDR (default 127.0.0.1:8000, or HTTP_ADDR),
# DURATION (30s), THREADS (2), CONNECTIONS (16), API_TOKEN (if the server
# has one), P99_MAX_MS (50: the target; the script exits 1 above it or on
# any error). Without PROJECT_ID it uses the newest project, or creates one.
#
# To measure under load, start two projects first, for example:
#   for i in 1 2; do ytmaker generate --content-file article.txt & done
#   bench/api-load.sh
set -eu

ADDR=${ADDR:-${HTTP_ADDR:-127.0.0.1:8000}}
DURATION=${DURATION:-30s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-16}
P99_MAX_MS=${P99_MAX_MS:-50}
BASE="http://$ADDR"

if ! command -v wrk >/dev/null 2>&1; then
	echo "wrk is not installed (Debian/Ubuntu: apt-get install wrk; macOS: brew install wrk)" >&2
	exit 2
fi
if ! command -v curl >/dev/null 2>&1; then
	echo "curl is not installed" >&2
	exit 2
fi
if ! curl -fsS -o /dev/null "$BASE/health"; then
	echo "no YTMaker server answers at $BASE (start one with: ytmaker serve)" >&2
	exit 2
fi

auth() {
	if [ -n "${API_TOKEN:-}" ]; then
		curl -fsS -H "Authorization: Bearer $API_TOKEN" "$@"
	else
		curl -fsS "$@"
	fi
}

ID=${1:-}
if [ -z "$ID" ]; then
	ID=$(auth "$BASE/api/v1/projects?limit=1" | sed -n 's/.*"projects":\[{"id":\([0-9][0-9]*\).*/\1/p')
fi
if [ -z "$ID" ]; then
	ID=$(auth -X POST -H 'Content-Type: application/json' \
		-d '{"name":"load test","content":"A project made by bench/api-load.sh."}' \
		"$BASE/api/v1/projects" | sed -n 's/.*"data":{"id":\([0-9][0-9]*\).*/\1/p')
	echo "created project $ID for the test"
fi
case "$ID" in
'' | *[!0-9]*)
	echo "could not find or create a project (is API_TOKEN right?)" >&2
	exit 2
	;;
esac
auth -o /dev/null "$BASE/api/v1/projects/$ID"

SCRIPT=$(mktemp "${TMPDIR:-/tmp}/ytmaker-wrk.XXXXXX")
OUT=$(mktemp "${TMPDIR:-/tmp}/ytmaker-wrk-out.XXXXXX")
trap 'rm -f "$SCRIPT" "$OUT"' EXIT INT TERM
cat >"$SCRIPT" <<LUA
wrk.headers["Accept"] = "application/json"
local token = os.getenv("API_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format("requests   %d in %.1fs (%.0f/s)\n", summary.requests, secs, summary.requests / secs))
  io.write(string.format("latency    p50 %.2f ms   p90 %.2f ms   p99 %.2f ms   max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("errors     %d (connect %d, read %d, write %d, timeout %d, HTTP status >= 400: %d)\n",
    e.connect + e.read + e.write + e.timeout + e.status, e.connect, e.read, e.write, e.timeout, e.status))
  io.write(string.format("p99_ms=%.3f errors=%d\n", latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout + e.status))
end
LUA

echo "GET $BASE/api/v1/projects/$ID for $DURATION ($THREADS threads, $CONNECTIONS connections)"
API_TOKEN=${API_TOKEN:-} wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --timeout 5s -s "$SCRIPT" \
	"$BASE/api/v1/projects/$ID" | tee "$OUT"

p99=$(sed -n 's/^p99_ms=\([0-9.]*\) .*/\1/p' "$OUT")
errors=$(sed -n 's/.* errors=\([0-9]*\)$/\1/p' "$OUT")
if [ -z "$p99" ] || [ -z "$errors" ]; then
	echo "could not read wrk's summary" >&2
	exit 2
fi
if [ "$errors" -eq 0 ] && awk -v p="$p99" -v m="$P99_MAX_MS" 'BEGIN { exit !(p <= m) }'; then
	echo "OK: p99 ${p99} ms <= ${P99_MAX_MS} ms, no errors"
else
	echo "FAIL: p99 ${p99} ms (target ${P99_MAX_MS} ms), ${errors} errors"
	exit 1
fi
