package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/ytmaker/ytmaker/internal/api"
	"github.com/ytmaker/ytmaker/internal/rdb"
)

// runMonitor serves the queue dashboard (asynqmon, the counterpart of
// Celery's Flower) on its own, against REDIS_URL.
func runMonitor(ctx context.Context, args []string) int {
	cf := newFlagSet("monitor", "Run the queue dashboard (asynqmon) on its own, against REDIS_URL: queues, tasks,\nretries, failures, workers. `ytmaker serve` also serves it at /monitor/.\n\n  ytmaker monitor --port 5555     then open http://127.0.0.1:5555/")
	cf.common()
	port := cf.fs.Int("port", 5555, "port to listen on")
	host := cf.fs.String("host", "127.0.0.1", "address to listen on; anything but loopback requires API_TOKEN")
	c, code := cf.load(args)
	if c == nil {
		return code
	}
	if *port < 1 || *port > 65535 {
		fmt.Fprintf(os.Stderr, "ytmaker monitor: --port %d is out of range\n", *port)
		return 2
	}
	addr := net.JoinHostPort(*host, strconv.Itoa(*port))
	if !loopbackHost(*host) && c.APIToken == "" {
		fmt.Fprintf(os.Stderr, "ytmaker: refusing to serve the dashboard on %s without API_TOKEN: anyone on the network could delete tasks. Set API_TOKEN (browsers then log in with any user name and the token as password), or use --host 127.0.0.1.\n", addr)
		return 2
	}
	log := c.Logger(os.Stderr)
	if !useRedisPassword(ctx, c, false) {
		return 1
	}
	conn := c.RedisConn()
	client, err := conn.NewClient(rdb.Tuning{})
	if err != nil {
		fmt.Fprintf(os.Stderr, "ytmaker: %v\n", err)
		return 2
	}
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	err = client.Ping(pctx).Err()
	cancel()
	client.Close()
	if err != nil {
		fmt.Fprintf(os.Stderr, "ytmaker: Redis (%s) does not answer (%v).\nStart YTMaker first (ytmaker serve), or point --redis-url / REDIS_URL (or REDIS_SENTINELS) at its Redis.\n", redisDescription(c), err)
		return 1
	}
	mon, err := api.NewMonitor(conn, "/")
	if err != nil {
		fmt.Fprintf(os.Stderr, "ytmaker: %v\n", err)
		return 2
	}
	defer mon.Close()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ytmaker: cannot listen on %s: %v\n", addr, err)
		return 1
	}
	sigCtx, stop := signalContext()
	defer stop()
	srv := api.NewHTTPServer(api.Protect(c.APIToken, c.AllowedOrigins, mon), slog.NewLogLogger(log.Handler(), slog.LevelWarn))
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Printf("✓ Queue dashboard on http://%s/ (Redis %s). Press Ctrl+C to stop.\n", addr, redisDescription(c))
	select {
	case <-sigCtx.Done():
	case err := <-served:
		if !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(os.Stderr, "ytmaker: %v\n", err)
			return 1
		}
	}
	shutdownHTTP(srv)
	fmt.Println("✓ Dashboard stopped")
	return 0
}

func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
