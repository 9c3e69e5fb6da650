package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/ytmaker/ytmaker/internal/api"
	"github.com/ytmaker/ytmaker/internal/apiclient"
	"github.com/ytmaker/ytmaker/internal/config"
	"github.com/ytmaker/ytmaker/internal/engine"
	"github.com/ytmaker/ytmaker/internal/limits"
	"github.com/ytmaker/ytmaker/internal/mcpserver"
	"github.com/ytmaker/ytmaker/internal/metrics"
	"github.com/ytmaker/ytmaker/internal/pipeline"
	"github.com/ytmaker/ytmaker/internal/providers/catalog"
	"github.com/ytmaker/ytmaker/internal/providers/youtube"
	"github.com/ytmaker/ytmaker/internal/studio"
	"github.com/ytmaker/ytmaker/internal/workerstages"
	"github.com/ytmaker/ytmaker/procman"
	"github.com/ytmaker/ytmaker/tasks"
)

func runServe(ctx context.Context, args []string) int {
	cf := newFlagSet("serve", "Run everything in one process: Redis (attach to a running one, or start and supervise\nredis-server), the worker, the periodic scheduler and the HTTP API. Ctrl+C stops it all safely.")
	cf.common()
	cf.setting("addr", "HTTP_ADDR", "HTTP listen address, default 127.0.0.1:8000")
	cf.setting("concurrency", "WORKER_CONCURRENCY", "tasks run at once by the worker, default one per CPU")
	cf.setting("max-renders", "MAX_RENDERS", "renders (ffmpeg) run at once by the worker, default one per two CPUs")
	cf.setting("shutdown-timeout", "SHUTDOWN_TIMEOUT", "time running tasks get to finish on shutdown, default 30s")
	c, code := cf.load(args)
	if c == nil {
		return code
	}
	log := c.Logger(os.Stderr)
	if !c.IsLoopback() && c.APIToken == "" {
		fmt.Fprintf(os.Stderr, "ytmaker: refusing to listen on %s without API_TOKEN: anyone on the network could drive YTMaker. Set API_TOKEN (clients then send \"Authorization: Bearer <token>\"), or bind to 127.0.0.1.\n", c.HTTPAddr)
		return 2
	}
	if !dataDirOK(c) {
		return 1
	}
	warnMissingTools(c)
	if !useRedisPassword(ctx, c, true) {
		return 1
	}
	// Claim the HTTP port first: failing here leaves nothing to clean up.
	ln, err := net.Listen("tcp", c.HTTPAddr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ytmaker: cannot listen on %s: %v\n", c.HTTPAddr, err)
		return 1
	}
	sigCtx, stopSignals := signalContext()
	defer stopSignals()

	met := metrics.New(metrics.Options{Logger: log})
	wired, err := pipeline.FromConfig(c, nil, log, pipeline.Hooks{RenderFinished: met.RenderFinished, UploadBytes: met.UploadBytes})
	if err != nil {
		ln.Close()
		fmt.Fprintf(os.Stderr, "ytmaker: %v\n", err)
		return 1
	}
	defer wired.Close()
	met.WatchRenders(wired.Renders.InFlight, wired.Renders.Max)
	wc := &procman.WorkerConfig{Concurrency: c.WorkerConcurrency, SyncQuotas: wired.SyncQuotas,
		TaskDone: met.TaskDone, StageDone: met.StageDone}
	workerstages.Set(wc, wired.Stages)
	m, err := procman.New(procman.Config{RedisURL: c.RedisURL, Sentinels: c.RedisSentinels, MasterName: c.RedisMasterName,
		RedisPassword: c.RedisPassword, SentinelPassword: c.RedisSentinelPassword, DataDir: c.DataDir, RedisServer: c.RedisServer,
		Worker: wc,
		Beat:   true, ShutdownTimeout: c.ShutdownTimeout, ResultTTL: c.ResultTTL, Limits: tasks.TimeLimits(c.TimeLimits), Logger: log})
	if err != nil {
		ln.Close()
		fmt.Fprintf(os.Stderr, "ytmaker: %v\n", err)
		return 2
	}
	fmt.Printf("🚀 YTMaker %s starting (data in %s)\n", versionString(), c.DataDir)
	if err := m.StartAll(sigCtx); err != nil {
		ln.Close()
		fmt.Fprintf(os.Stderr, "ytmaker: %v\n", err)
		return 1
	}
	handler, closeHandler, err := newHandler(c, m, met, log)
	if err != nil {
		ln.Close()
		m.StopAll(context.Background())
		fmt.Fprintf(os.Stderr, "ytmaker: %v\n", err)
		return 1
	}
	defer closeHandler()
	srv := api.NewHTTPServer(handler, slog.NewLogLogger(log.Handler(), slog.LevelWarn))
	srv.RegisterOnShutdown(handler.Shutdown) // ends live progress streams
	httpErr := make(chan error, 1)
	go func() { httpErr <- srv.Serve(ln) }()
	fmt.Printf("✓ HTTP API on http://%s (status: http://%s/status)\n", c.HTTPAddr, c.HTTPAddr)
	fmt.Println("✅ YTMaker is running. Press Ctrl+C to stop.")

	exit := 0
	select {
	case <-sigCtx.Done():
	case err := <-httpErr:
		if !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(os.Stderr, "ytmaker: HTTP server: %v\n", err)
			exit = 1
		}
	}
	fmt.Println("🛑 YTMaker shutting down...")
	shutdownHTTP(srv)
	fmt.Println("✓ HTTP API stopped")
	if err := m.StopAll(context.Background()); err != nil {
		exit = 1
	}
	if exit == 0 {
		fmt.Println("✅ YTMaker shut down cleanly")
	}
	return exit
}

// newHandler builds the HTTP API with the dashboard at /monitor/, the
// metrics at /metrics and the quota report.
func newHandler(c *config.Config, m *procman.Manager, met *metrics.Metrics, log *slog.Logger) (*api.Server, func(), error) {
	eng, err := engine.Open(engine.Config{Redis: m.Redis(), DataDir: c.DataDir, ResultTTL: c.ResultTTL,
		Limits: c.TimeLimits, Logger: log})
	if err != nil {
		return nil, nil, err
	}
	if err := met.WatchQueues(eng.Inspector(), tasks.QueueVideo, tasks.QueueBatch, tasks.QueueMaintenance); err != nil {
		eng.Close()
		return nil, nil, err
	}
	if err := met.WatchProviderCalls(providerCalls(m)); err != nil {
		eng.Close()
		return nil, nil, err
	}
	mon, err := api.NewMonitor(c.RedisConn(), api.MonitorPath)
	if err != nil {
		eng.Close()
		return nil, nil, err
	}
	tracker := pipeline.NewQuota(c, m.Redis(), log)
	var h *api.Server
	// The studio reads through the API in-process; the API serves the
	// studio's pages and accepts its session cookie.
	st, err := studio.New(studio.Config{API: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }),
		Store: eng.Store(), Redis: m.Redis(), Token: c.APIToken, YouTube: youTubeConnector(c, log), Logger: log})
	if err != nil {
		mon.Close()
		eng.Close()
		return nil, nil, err
	}
	// The MCP endpoint drives the API through the Go client, in-process.
	self, err := apiclient.New("http://127.0.0.1", c.APIToken, apiclient.WithHTTPClient(&http.Client{
		Transport: apiclient.InProcess(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))}))
	if err != nil {
		mon.Close()
		eng.Close()
		return nil, nil, err
	}
	agent := mcpserver.Handler(mcpserver.New(mcpserver.Config{Client: self, PublicURL: apiclient.BaseURL(c.HTTPAddr),
		Version: versionString(), Logger: log.With("component", "mcp")}))
	h = api.New(api.Config{Status: m.Status, Engine: eng, Quotas: tracker, Providers: catalog.New(c, catalog.Options{}),
		Metrics: met.Handler(), Monitor: mon, FFmpeg: c.FFmpeg, FFprobe: c.FFprobe,
		Observer: met, Token: c.APIToken, Session: st.SignedIn, Studio: st, MCP: agent, AllowedOrigins: c.AllowedOrigins, Logger: log})
	return h, func() { mon.Close(); eng.Close() }, nil
}

// providerCalls reads every online service's calls and limits across
// the cluster, for the metrics, through m's Redis client.
func providerCalls(m *procman.Manager) func(ctx context.Context) ([]metrics.ProviderCalls, error) {
	return func(ctx context.Context) ([]metrics.ProviderCalls, error) {
		client := m.Redis()
		if client == nil {
			return nil, errors.New("redis not connected yet")
		}
		us, err := limits.Read(ctx, client)
		if err != nil {
			return nil, err
		}
		out := make([]metrics.ProviderCalls, len(us))
		for i, u := range us {
			out[i] = metrics.ProviderCalls(u)
		}
		return out, nil
	}
}

func shutdownHTTP(srv *http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		srv.Close()
	}
}

// runComponents runs a worker and/or a beat until a signal, without the
// API; metricsAddr, if set, serves the process's own /metrics there.
func runComponents(name string, c *config.Config, worker, beat bool, metricsAddr string) int {
	log := c.Logger(os.Stderr)
	if !dataDirOK(c) {
		return 1
	}
	if worker {
		warnMissingTools(c)
	}
	if !useRedisPassword(context.Background(), c, false) {
		return 1
	}
	var met *metrics.Metrics
	if metricsAddr != "" {
		host, _, err := net.SplitHostPort(metricsAddr)
		if err != nil {
			fmt.Fprintf(os.Stderr, "ytmaker: --metrics-addr %q: want host:port, e.g. 127.0.0.1:9101\n", metricsAddr)
			return 2
		}
		if !loopbackHost(host) && c.APIToken == "" {
			fmt.Fprintf(os.Stderr, "ytmaker: refusing to serve metrics on %s without API_TOKEN. Set API_TOKEN (Prometheus then sends it as a bearer token), or listen on 127.0.0.1.\n", metricsAddr)
			return 2
		}
		met = metrics.New(metrics.Options{Logger: log})
	}
	sigCtx, stopSignals := signalContext()
	defer stopSignals()
	var wc *procman.WorkerConfig
	if worker {
		var hooks pipeline.Hooks
		if met != nil {
			hooks = pipeline.Hooks{RenderFinished: met.RenderFinished, UploadBytes: met.UploadBytes}
		}
		wired, err := pipeline.FromConfig(c, nil, log, hooks)
		if err != nil {
			fmt.Fprintf(os.Stderr, "ytmaker: %v\n", err)
			return 1
		}
		defer wired.Close()
		wc = &procman.WorkerConfig{Concurrency: c.WorkerConcurrency, SyncQuotas: wired.SyncQuotas}
		workerstages.Set(wc, wired.Stages)
		if met != nil {
			wc.TaskDone, wc.StageDone = met.TaskDone, met.StageDone
			met.WatchRenders(wired.Renders.InFlight, wired.Renders.Max)
		}
	}
	if met != nil {
		ln, err := net.Listen("tcp", metricsAddr)
		if err != nil {
			fmt.Fprintf(os.Stderr, "ytmaker: cannot listen on %s: %v\n", metricsAddr, err)
			return 1
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", met.Handler())
		srv := api.NewHTTPServer(api.Protect(c.APIToken, c.AllowedOrigins, mux), slog.NewLogLogger(log.Handler(), slog.LevelWarn))
		go srv.Serve(ln)
		defer shutdownHTTP(srv)
		fmt.Printf("✓ Metrics on http://%s/metrics\n", ln.Addr())
	}
	m, err := procman.New(procman.Config{RedisURL: c.RedisURL, Sentinels: c.RedisSentinels, MasterName: c.RedisMasterName,
		RedisPassword: c.RedisPassword, SentinelPassword: c.RedisSentinelPassword, DataDir: c.DataDir, Worker: wc, Beat: beat, NoSpawn: true,
		ShutdownTimeout: c.ShutdownTimeout, ResultTTL: c.ResultTTL, Limits: tasks.TimeLimits(c.TimeLimits), Logger: log})
	if err != nil {
		fmt.Fprintf(os.Stderr, "ytmaker: %v\n", err)
		return 2
	}
	fmt.Printf("🚀 YTMaker %s %s starting (Redis %s)\n", name, versionString(), redisDescription(c))
	if err := m.StartAll(sigCtx); err != nil {
		fmt.Fprintf(os.Stderr, "ytmaker: %v\n", err)
		return 1
	}
	met.WatchProviderCalls(providerCalls(m))
	<-sigCtx.Done()
	fmt.Printf("🛑 YTMaker %s shutting down...\n", name)
	if err := m.StopAll(context.Background()); err != nil {
		return 1
	}
	fmt.Println("✅ YTMaker shut down cleanly")
	return 0
}

func runWorker(ctx context.Context, args []string) int {
	cf := newFlagSet("worker", "Run a worker only. Start it on more machines, pointed at the same Redis (REDIS_URL)\nand the same shared DATA_DIR, to process more videos at once.")
	cf.common()
	cf.setting("concurrency", "WORKER_CONCURRENCY", "tasks run at once, default one per CPU")
	cf.setting("max-renders", "MAX_RENDERS", "renders (ffmpeg) run at once, default one per two CPUs")
	cf.setting("shutdown-timeout", "SHUTDOWN_TIMEOUT", "time running tasks get to finish on shutdown, default 30s")
	metricsAddr := cf.fs.String("metrics-addr", "", "serve this worker's Prometheus /metrics on host:port (e.g. 127.0.0.1:9101;\nanything but loopback requires API_TOKEN, sent as a bearer token)")
	c, code := cf.load(args)
	if c == nil {
		return code
	}
	return runComponents("worker", c, true, false, *metricsAddr)
}

func runScheduler(ctx context.Context, args []string) int {
	cf := newFlagSet("scheduler", "Run the periodic scheduler (beat) only: it enqueues sync_quotas every hour.\nSeveral may run; only one enqueues per hour.")
	cf.common()
	c, code := cf.load(args)
	if c == nil {
		return code
	}
	return runComponents("scheduler", c, false, true, "")
}

// youTubeConnector is the studio's "connect a channel" flow: none without
// an OAuth client, or when YOUTUBE_REFRESH_TOKEN fixes the channel.
func youTubeConnector(c *config.Config, log *slog.Logger) studio.YouTubeConnector {
	if c.YouTubeRefreshToken != "" {
		return nil
	}
	f, err := youtube.NewWebFlow(youtube.AuthConfig{ClientID: c.YouTubeClientID, ClientSecret: c.YouTubeClientSecret,
		TokenURL: c.GoogleOAuthTokenURL}, pipeline.YouTubeTokenFile(c.DataDir))
	if err != nil {
		log.Debug("no YouTube connection from the studio", "reason", err)
		return nil
	}
	return f
}
