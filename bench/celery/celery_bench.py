"""The same load as bench/taskbench, through the system YTMaker replaces:
Celery 5 with a Redis broker and result backend.

Worker:  python3 -m celery -A celery_bench worker -c 2 --pool prefork -Q maintenance
Client:  python3 celery_bench.py --n 20000 --c 8 --latency-samples 100
"""
import argparse
import json
import os
import sys
import threading
import time

from celery import Celery

BROKER = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
app = Celery("celery_bench", broker=BROKER, backend=BROKER)
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    result_expires=86400,  # results kept 24 h, as YTMaker keeps them
    task_default_queue="maintenance",
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
)
if os.environ.get("BENCH_CELERY_ORIGINAL") == "1":
    # The original YTMaker's worker settings (acks late, one task prefetched).
    app.conf.update(worker_prefetch_multiplier=1, task_acks_late=True, task_reject_on_worker_lost=True)


@app.task(name="debug_task")
def debug_task(payload=None):
    return {"started_at_ns": time.time_ns(), "payload": payload}


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, len(s) * p // 100)] if s else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--c", type=int, default=8)
    ap.add_argument("--latency-samples", type=int, default=100)
    ap.add_argument("--idle", type=float, default=0.2)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()

    for _ in range(50):  # warm up
        debug_task.delay().get(timeout=10)

    results = [None] * a.n
    per = (a.n + a.c - 1) // a.c

    def submit(lo, hi):
        for i in range(lo, hi):
            results[i] = debug_task.delay()

    def collect(lo, hi):
        for i in range(lo, hi):
            results[i].get(timeout=300)

    start = time.perf_counter()
    threads = [threading.Thread(target=submit, args=(g * per, min((g + 1) * per, a.n))) for g in range(a.c)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    submitted = time.perf_counter() - start
    threads = [threading.Thread(target=collect, args=(g * per, min((g + 1) * per, a.n))) for g in range(a.c)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    total = time.perf_counter() - start

    start_lat, round_trip = [], []
    for _ in range(a.latency_samples):
        time.sleep(a.idle)
        t0 = time.time_ns()
        r = debug_task.delay().get(timeout=10)
        round_trip.append((time.time_ns() - t0) / 1e6)
        start_lat.append((r["started_at_ns"] - t0) / 1e6)

    out = {
        "system": "celery %s (prefork -c 2, redis broker + result backend%s)" % (
            __import__("celery").__version__,
            ", original YTMaker settings" if os.environ.get("BENCH_CELERY_ORIGINAL") == "1" else ""),
        "tasks": a.n,
        "submit_seconds": submitted,
        "total_seconds": total,
        "tasks_per_second": a.n / total,
        "start_p50_ms": pct(start_lat, 50),
        "start_p90_ms": pct(start_lat, 90),
        "roundtrip_p50_ms": pct(round_trip, 50),
        "roundtrip_p90_ms": pct(round_trip, 90),
        "latency_samples": a.latency_samples,
    }
    if a.json:
        json.dump(out, sys.stdout)
        print()
        return
    print("celery: %d no-op tasks in %.2fs (submitted in %.2fs): %.0f tasks/s" % (a.n, total, submitted, a.n / total))
    print("celery: idle enqueue→start p50 %.1f ms, p90 %.1f ms; round trip p50 %.1f ms, p90 %.1f ms (%d samples)"
          % (out["start_p50_ms"], out["start_p90_ms"], out["roundtrip_p50_ms"], out["roundtrip_p90_ms"], a.latency_samples))


if __name__ == "__main__":
    main()
