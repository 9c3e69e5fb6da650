// Command taskbench measures YTMaker's task system through its public Go
// API: throughput of no-op tasks (Delay, then Get every result) and the
// enqueue→start latency on an idle system. Run it against a worker started
// separately (`ytmaker worker --concurrency 2`); bench/tasks.sh runs it
// side by side with the same load through Celery.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/ytmaker/ytmaker/tasks"
)

func main() {
	redisURL := flag.String("redis-url", "redis://127.0.0.1:6379/0", "Redis URL")
	dataDir := flag.String("data-dir", os.TempDir(), "data directory (unused by no-op tasks)")
	n := flag.Int("n", 20000, "tasks for the throughput run")
	submitters := flag.Int("c", 8, "concurrent submitters")
	samples := flag.Int("latency-samples", 100, "sequential tasks for the latency run")
	idle := flag.Duration("idle", 200*time.Millisecond, "pause before each latency sample, so the system is idle")
	asJSON := flag.Bool("json", false, "print the figures as JSON")
	flag.Parse()

	ctx := context.Background()
	c, err := tasks.New(tasks.Config{RedisURL: *redisURL, DataDir: *dataDir})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// Warm up: connections, scripts, the subscription.
	for i := 0; i < 50; i++ {
		h, err := c.Delay(ctx, tasks.DebugTask, tasks.Args{})
		if err != nil {
			log.Fatal(err)
		}
		if _, err := h.Get(ctx, 10*time.Second); err != nil {
			log.Fatal(err)
		}
	}

	// Throughput: submit n tasks from several goroutines, then get every
	// result.
	handles := make([]*tasks.Handle, *n)
	start := time.Now()
	var wg sync.WaitGroup
	per := (*n + *submitters - 1) / *submitters
	for g := 0; g < *submitters; g++ {
		lo, hi := g*per, min((g+1)*per, *n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				h, err := c.Delay(ctx, tasks.DebugTask, tasks.Args{})
				if err != nil {
					log.Fatal(err)
				}
				handles[i] = h
			}
		}()
	}
	wg.Wait()
	submitted := time.Since(start)
	for g := 0; g < *submitters; g++ {
		lo, hi := g*per, min((g+1)*per, *n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				if _, err := handles[i].Get(ctx, 5*time.Minute); err != nil {
					log.Fatal(err)
				}
			}
		}()
	}
	wg.Wait()
	total := time.Since(start)

	// Latency on an idle system: one task at a time.
	var startLat, roundTrip []time.Duration
	for i := 0; i < *samples; i++ {
		time.Sleep(*idle)
		t0 := time.Now()
		h, err := c.Delay(ctx, tasks.DebugTask, tasks.Args{})
		if err != nil {
			log.Fatal(err)
		}
		raw, err := h.Get(ctx, 10*time.Second)
		if err != nil {
			log.Fatal(err)
		}
		roundTrip = append(roundTrip, time.Since(t0))
		var res struct {
			StartedAt int64 `json:"started_at_ns"`
		}
		json.Unmarshal(raw, &res)
		startLat = append(startLat, time.Unix(0, res.StartedAt).Sub(t0))
	}
	rate := float64(*n) / total.Seconds()
	out := map[string]any{
		"system":           "ytmaker (asynq)",
		"tasks":            *n,
		"submit_seconds":   submitted.Seconds(),
		"total_seconds":    total.Seconds(),
		"tasks_per_second": rate,
		"start_p50_ms":     ms(pct(startLat, 50)),
		"start_p90_ms":     ms(pct(startLat, 90)),
		"roundtrip_p50_ms": ms(pct(roundTrip, 50)),
		"roundtrip_p90_ms": ms(pct(roundTrip, 90)),
		"latency_samples":  *samples,
	}
	if *asJSON {
		json.NewEncoder(os.Stdout).Encode(out)
		return
	}
	fmt.Printf("ytmaker: %d no-op tasks in %.2fs (submitted in %.2fs): %.0f tasks/s\n", *n, total.Seconds(), submitted.Seconds(), rate)
	fmt.Printf("ytmaker: idle enqueue→start p50 %.1f ms, p90 %.1f ms; round trip p50 %.1f ms, p90 %.1f ms (%d samples)\n",
		ms(pct(startLat, 50)), ms(pct(startLat, 90)), ms(pct(roundTrip, 50)), ms(pct(roundTrip, 90)), *samples)
}

func pct(d []time.Duration, p int) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s) == 0 {
		return 0
	}
	return s[min(len(s)-1, len(s)*p/100)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
