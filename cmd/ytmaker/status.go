package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/internal/apiclient"
	"github.com/ytmaker/ytmaker/internal/config"
	"github.com/ytmaker/ytmaker/internal/rdb"
	"github.com/ytmaker/ytmaker/procman"
	"github.com/ytmaker/ytmaker/tasks"
)

func runStatus(ctx context.Context, args []string) int {
	cf := newFlagSet("status", "Print the health of a running YTMaker server (its /status). Exit 0 when healthy, 1 otherwise.")
	cf.setting("addr", "HTTP_ADDR", "address of the server, default 127.0.0.1:8000")
	asJSON := cf.fs.Bool("json", false, "print the raw JSON")
	c, code := cf.load(args)
	if c == nil {
		return code
	}
	url := "http://" + c.HTTPAddr + "/status"
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if c.APIToken != "" {
		req.Header.Set("Authorization", "Bearer "+c.APIToken)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ytmaker: no YTMaker server answers at %s: %v\n(start one with: ytmaker serve)\n", url, err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var doc struct {
		Success bool           `json:"success"`
		Data    procman.Status `json:"data"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || resp.StatusCode != http.StatusOK {
		fmt.Fprintf(os.Stderr, "ytmaker: unexpected answer from %s (HTTP %d): %s\n", url, resp.StatusCode, strings.TrimSpace(string(body)))
		return 1
	}
	if *asJSON {
		os.Stdout.Write(body)
	} else {
		printStatus(doc.Data)
	}
	if doc.Data.Status == "healthy" {
		return 0
	}
	return 1
}

func mark(ok bool) string {
	if ok {
		return "✓"
	}
	return "✗"
}

func printStatus(s procman.Status) {
	fmt.Printf("YTMaker: %s — %s\n\n", strings.ToUpper(s.Status), s.Message)
	owner := "attached (not ours)"
	if s.Services.Redis.Process {
		owner = fmt.Sprintf("started by YTMaker, pid %d, restarts %d", s.Redis.PID, s.Redis.Restarts)
	}
	fmt.Printf("  %s Redis    %s  %s\n", mark(s.Services.Redis.Running), s.Redis.Addr, owner)
	fmt.Printf("  %s Worker   %d alive%s\n", mark(s.Services.Worker.Alive), len(s.Workers), here(s.Services.Worker.Process))
	fmt.Printf("  %s Beat     %d alive%s\n", mark(s.Services.Beat.Alive), s.Beats, here(s.Services.Beat.Process))
	if len(s.Workers) > 0 {
		fmt.Println("\n  Workers:")
		for _, w := range s.Workers {
			fmt.Printf("    %s pid %d  concurrency %d  active %d  since %s\n", w.Host, w.PID, w.Concurrency, w.Active, w.Started.Format(time.RFC3339))
		}
	}
	if len(s.Queues) > 0 {
		fmt.Println("\n  Queues:            pending  active  scheduled  retry  archived")
		for _, q := range s.Queues {
			fmt.Printf("    %-17s %7d %7d %10d %6d %9d\n", q.Name, q.Pending, q.Active, q.Scheduled, q.Retry, q.Archived)
		}
	}
}

func here(b bool) string {
	if b {
		return " (one in this server)"
	}
	return ""
}

func runDebugTask(ctx context.Context, args []string) int {
	cf := newFlagSet("debug-task", "Enqueue debug_task on the maintenance queue. The worker logs \"Request: ...\" with its id,\nqueue and payload: a quick check that the background services work.\n\nIt goes through the server at --addr (POST /api/v1/tasks/debug). With --redis-url, or when\nno server answers and --addr was not given, it enqueues straight into Redis.")
	cf.common()
	cf.setting("addr", "HTTP_ADDR", "address of the YTMaker server, default 127.0.0.1:8000")
	wait := cf.fs.Duration("wait", 0, "wait this long for the result and print it (e.g. 10s)")
	c, code := cf.load(args)
	if c == nil {
		return code
	}
	given := map[string]bool{}
	cf.fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if !given["redis-url"] {
		code, reached := debugTaskViaServer(ctx, c, *wait)
		if reached || given["addr"] {
			return code
		}
	}
	return debugTaskViaRedis(ctx, c, *wait)
}

// debugTaskViaServer enqueues debug_task through the HTTP API and, with
// wait, follows the task until it finishes. reached is false when no
// server answered.
func debugTaskViaServer(ctx context.Context, c *config.Config, wait time.Duration) (code int, reached bool) {
	cl, err := newAPIClient(c)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ytmaker: %v\n", err)
		return 2, true
	}
	payload, _ := json.Marshal(map[string]any{"source": "ytmaker debug-task", "sent_at": time.Now().UTC().Format(time.RFC3339)})
	ref, err := cl.DebugTask(ctx, payload)
	var ue *apiclient.UnreachableError
	if errors.As(err, &ue) {
		fmt.Fprintf(os.Stderr, "ytmaker: no YTMaker server answers at %s: %v\n", c.HTTPAddr, ue.Err)
		return 1, false
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "ytmaker: enqueue debug_task: %v\n", err)
		return 1, true
	}
	fmt.Printf("enqueued debug_task %s on %s (through %s)\n", ref.TaskID, ref.Queue, c.HTTPAddr)
	if wait <= 0 {
		return 0, true
	}
	deadline := time.Now().Add(wait)
	for {
		t, err := cl.Task(ctx, ref.TaskID)
		if err == nil && t.State == "succeeded" {
			fmt.Printf("result: %s\n", t.Result)
			return 0, true
		}
		if err == nil && t.State == "failed" {
			if t.Error != nil {
				fmt.Fprintf(os.Stderr, "ytmaker: debug_task failed: %s: %s\n", t.Error.Code, t.Error.Message)
			} else {
				fmt.Fprintln(os.Stderr, "ytmaker: debug_task failed")
			}
			return 1, true
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "ytmaker: debug_task did not finish within %s (is a worker running?)\n", wait)
			return 1, true
		}
		select {
		case <-ctx.Done():
			return 1, true
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// debugTaskViaRedis enqueues debug_task straight into Redis.
func debugTaskViaRedis(ctx context.Context, c *config.Config, wait time.Duration) int {
	if !useRedisPassword(ctx, c, false) {
		return 1
	}
	conn, err := c.RedisConn().NewClient(rdb.Tuning{})
	if err != nil {
		fmt.Fprintf(os.Stderr, "ytmaker: %v\n", err)
		return 1
	}
	defer conn.Close()
	client, err := tasks.New(tasks.Config{Redis: conn, DataDir: c.DataDir})
	if err != nil {
		fmt.Fprintf(os.Stderr, "ytmaker: %v\n", err)
		return 1
	}
	defer client.Close()
	payload, _ := json.Marshal(map[string]any{"source": "ytmaker debug-task", "sent_at": time.Now().UTC().Format(time.RFC3339)})
	h, err := client.Delay(ctx, tasks.DebugTask, tasks.Args{Payload: payload})
	if err != nil {
		fmt.Fprintf(os.Stderr, "ytmaker: enqueue debug_task: %v\n", err)
		return 1
	}
	fmt.Printf("enqueued debug_task %s on %s\n", h.ID(), tasks.QueueMaintenance)
	if wait > 0 {
		res, err := h.Get(ctx, wait)
		if err != nil {
			fmt.Fprintf(os.Stderr, "ytmaker: %v\n", err)
			return 1
		}
		fmt.Printf("result: %s\n", res)
	}
	return 0
}
