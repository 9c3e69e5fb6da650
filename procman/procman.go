// Package procman brings YTMaker's background services up and down — the
// seed's process_manager with start_all, get_status and stop_all:
//
//	m, _ := procman.New(procman.Config{RedisURL: "redis://127.0.0.1:6379/0", DataDir: "./data",
//		Worker: &procman.WorkerConfig{}, Beat: true})
//	if err := m.StartAll(ctx); err != nil { ... }
//	id, _ := m.Client().CreateProject(ctx, tasks.ProjectInput{Name: "Rivers", Content: text})
//	h, _ := m.Client().Chain(ctx, id) // script → assets → render → thumbnail → upload
//	st := m.Status(ctx)               // the /status document
//	m.StopAll(ctx)
//
// The worker runs YTMaker's whole video pipeline: online providers whose
// keys are set (GEMINI_API_KEY and the others `ytmaker serve` reads),
// offline defaults for the rest.
//
// Redis: if the configured Redis answers, procman attaches to it and never
// stops it. If nothing answers on a loopback address it starts
// redis-server (append-only file, noeviction, files under DATA_DIR/redis),
// supervises it — restarting it with backoff if it dies — and stops it
// last, after its append-only file is flushed. A remote Redis that does
// not answer is retried with backoff while Status reports it.
//
// Sentinel: with Config.Sentinels set, every client reaches the master the
// sentinels name and follows a failover; procman never starts a Redis in
// that mode. A change of master is counted (Status), and the worker then
// reconciles every project from DATA_DIR at once: replication is
// asynchronous, so the new master may lack the last writes.
package procman

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/ytmaker/ytmaker/internal/config"
	"github.com/ytmaker/ytmaker/internal/engine"
	"github.com/ytmaker/ytmaker/internal/limits"
	"github.com/ytmaker/ytmaker/internal/pipeline"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/rdb"
	"github.com/ytmaker/ytmaker/internal/stage"
	"github.com/ytmaker/ytmaker/internal/taskspec"
	"github.com/ytmaker/ytmaker/internal/worker"
	"github.com/ytmaker/ytmaker/internal/workerstages"
	"github.com/ytmaker/ytmaker/procman/redisproc"
	"github.com/ytmaker/ytmaker/tasks"
)

// WorkerConfig configures the in-process worker.
type WorkerConfig struct {
	Concurrency int
	// SyncQuotas is the hourly sync_quotas task; nil uses the built-in
	// pipeline's (when the pipeline is the built-in one).
	SyncQuotas func(ctx context.Context) (any, error)
	// TaskDone and StageDone observe outcomes (metrics). Optional.
	TaskDone  func(task, queue string, d time.Duration, err error, retried bool)
	StageDone func(stage string, d time.Duration, err error)

	// stages maps stage names (script, assets, render, thumbnail, upload)
	// to their implementations. Nil runs YTMaker's own pipeline, set up
	// from Config.Env the way `ytmaker serve` sets it up. Only this
	// module sets it, through internal/workerstages.
	stages map[string]stage.Stage
}

func init() {
	workerstages.Install(func(wc any, stages map[string]stage.Stage) bool {
		c, ok := wc.(*WorkerConfig)
		if ok {
			c.stages = stages
		}
		return ok
	})
}

// Config configures a Manager.
type Config struct {
	RedisURL string
	// Sentinels (host:port of each) switch to Sentinel mode: the master is
	// the one they name MasterName, reached with RedisPassword;
	// SentinelPassword authenticates to the sentinels themselves. RedisURL
	// then only gives the database number.
	Sentinels        []string
	MasterName       string
	RedisPassword    string
	SentinelPassword string
	DataDir          string
	RedisServer      string // redis-server binary; default "redis-server"
	// RedisRestartBackoff is the first wait before restarting a Redis we
	// started that died (default 200ms).
	RedisRestartBackoff time.Duration
	Worker              *WorkerConfig
	Beat                bool
	// NoSpawn never starts redis-server: an unreachable Redis is waited
	// for (with backoff) instead. `ytmaker worker` and `scheduler` use it.
	NoSpawn         bool
	ShutdownTimeout time.Duration
	ResultTTL       time.Duration
	Limits          tasks.TimeLimits
	Logger          *slog.Logger
	// Out receives the human step lines ("✓ Worker stopped"); default stdout.
	Out io.Writer
	// Env looks up the settings of the built-in pipeline (GEMINI_API_KEY,
	// FFMPEG, ASSET_CONCURRENCY, … by the names `ytmaker serve` reads);
	// RedisURL and DataDir above always win. Default os.LookupEnv.
	Env func(key string) (string, bool)
}

// Manager owns Redis (when it started it), the worker and the beat.
type Manager struct {
	cfg       Config
	log       *slog.Logger
	out       io.Writer
	opt       *redis.Options
	conn      rdb.Conn
	rdb       redis.UniversalClient
	watch     *rdb.MasterWatch
	stopWatch context.CancelFunc
	client    *tasks.Client
	eng       *engine.Engine

	mu        sync.Mutex
	child     *redisproc.Server
	worker    *worker.Worker
	beat      *worker.Beat
	wired     *pipeline.Wired // the built-in pipeline, when no stages were set
	started   bool
	attached  bool               // Redis was running already: never ours to stop
	pending   context.CancelFunc // background start waiting for a remote Redis
	pendingWG sync.WaitGroup
	startErr  error
	startedAt time.Time
}

// New validates cfg and returns a Manager. Nothing starts until StartAll.
func New(cfg Config) (*Manager, error) {
	conn := rdb.Conn{URL: cfg.RedisURL, Sentinels: cfg.Sentinels, MasterName: cfg.MasterName,
		Password: cfg.RedisPassword, SentinelPassword: cfg.SentinelPassword}
	if conn.Sentinel() && cfg.RedisURL == "" {
		cfg.RedisURL = "redis://127.0.0.1:6379/0"
	}
	opt, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("procman: redis url %q: %w", redisproc.Redact(cfg.RedisURL), err)
	}
	conn.DB = opt.DB
	if err := conn.Validate(); err != nil {
		return nil, fmt.Errorf("procman: %w", err)
	}
	if cfg.DataDir == "" {
		cfg.DataDir = "data"
	}
	if cfg.RedisServer == "" {
		cfg.RedisServer = "redis-server"
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 30 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	out := cfg.Out
	if out == nil {
		out = os.Stdout
	}
	opt.DialTimeout = time.Second
	opt.ReadTimeout = 3 * time.Second
	opt.WriteTimeout = 3 * time.Second
	opt.PoolSize = max(opt.PoolSize, 20)
	return &Manager{cfg: cfg, log: log, out: out, opt: opt, conn: conn}, nil
}

// Redis returns the shared Redis client (valid after StartAll).
func (m *Manager) Redis() redis.UniversalClient { return m.rdb }

// Client returns the task client (valid after StartAll).
func (m *Manager) Client() *tasks.Client { return m.client }

// OwnsRedis reports whether this process started Redis.
func (m *Manager) OwnsRedis() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.child != nil
}

func (m *Manager) step(format string, args ...any) { fmt.Fprintf(m.out, format+"\n", args...) }

// StartAll starts (or attaches to) Redis, then the worker and the beat.
// If anything fails, whatever was started is stopped again — no Redis we
// started survives a failed start-up.
func (m *Manager) StartAll(ctx context.Context) (err error) {
	m.mu.Lock()
	if m.started {
		m.mu.Unlock()
		return errors.New("procman: already started")
	}
	m.started = true
	m.startedAt = time.Now()
	m.mu.Unlock()
	defer func() {
		if err != nil {
			m.StopAll(context.Background())
			m.mu.Lock()
			m.started = false
			m.mu.Unlock()
		}
	}()

	if m.conn.Sentinel() {
		return m.startSentinel(ctx)
	}
	host, portStr, _ := net.SplitHostPort(m.opt.Addr)
	port, _ := strconv.Atoi(portStr)
	redisDir := filepath.Join(m.cfg.DataDir, "redis")
	if m.opt.Password == "" && redisproc.IsLoopback(host) {
		// The Redis YTMaker starts requires the password kept in
		// DATA_DIR/redis/password (generated the first time).
		u, err := redisproc.ClientURL(ctx, m.cfg.RedisURL, redisDir, !m.cfg.NoSpawn)
		if err != nil {
			return err
		}
		if o, err := redis.ParseURL(u); err == nil {
			m.opt.Username, m.opt.Password = o.Username, o.Password
		}
	}
	if redisproc.IsLoopback(host) && !m.cfg.NoSpawn {
		// A Redis started here by a process that was just killed still
		// answers while it shuts down: wait for it instead of attaching
		// to it, then start one as usual.
		pid, err := redisproc.AwaitOrphan(ctx, redisDir, 5*time.Second)
		if err != nil {
			m.log.Warn("Redis left by a dead process", "pid", pid, "err", err)
		} else if pid != 0 {
			m.log.Info("waited for the Redis of a dead process to exit", "pid", pid)
		}
	}
	perr := redisproc.Probe(ctx, m.opt)
	switch {
	case perr == nil:
		m.log.Info("attached to running Redis", "addr", m.opt.Addr)
		m.mu.Lock()
		m.attached = true
		m.mu.Unlock()
		m.step("✓ Redis already running at %s (attached; it will be left running)", m.opt.Addr)
	case errors.Is(perr, redisproc.ErrNothing) && redisproc.IsLoopback(host) && !m.cfg.NoSpawn:
		child, err := redisproc.Start(ctx, redisproc.Config{Bin: m.cfg.RedisServer, Dir: redisDir,
			Port: port, Password: m.opt.Password, Supervise: true, RestartBackoff: m.cfg.RedisRestartBackoff,
			Logger: m.log.With("component", "redis")})
		if err != nil {
			return err
		}
		m.mu.Lock()
		m.child = child
		m.mu.Unlock()
		m.step("✓ Redis started on %s (data in %s)", child.Addr(), child.Dir())
	case errors.Is(perr, redisproc.ErrNothing):
		// A remote Redis that is down: keep retrying in the background.
		m.rdb = redis.NewClient(m.opt)
		m.step("… Redis at %s does not answer; retrying in the background (see /status)", m.opt.Addr)
		m.log.Warn("remote Redis unreachable; retrying with backoff", "addr", m.opt.Addr)
		m.startWhenReachable(func(ctx context.Context) error { return redisproc.Probe(ctx, m.opt) }, func() {
			m.mu.Lock()
			m.attached = true
			m.mu.Unlock()
		})
		return m.newClient()
	default:
		return perr
	}
	m.rdb = redis.NewClient(m.opt)
	if err := m.newClient(); err != nil {
		return err
	}
	return m.startComponents(ctx)
}

// sentinelWatchInterval is how often the sentinels are asked for the
// master: a failover is noticed (and reconciled) within about this long
// after the sentinels agree on it.
const sentinelWatchInterval = 500 * time.Millisecond

// startSentinel connects through Sentinel: nothing is ever started, an
// unreachable master is waited for in the background, and a change of
// master triggers a reconcile.
func (m *Manager) startSentinel(ctx context.Context) error {
	c, err := m.conn.NewClient(rdb.Tuning{DialTimeout: time.Second, ReadTimeout: 3 * time.Second,
		WriteTimeout: 3 * time.Second, PoolSize: 20})
	if err != nil {
		return err
	}
	m.rdb = c
	wctx, cancel := context.WithCancel(context.Background())
	m.mu.Lock()
	m.stopWatch = cancel
	m.attached = true
	m.mu.Unlock()
	m.watch = rdb.WatchMaster(wctx, m.conn, sentinelWatchInterval, m.masterSwitched)
	if err := m.newClient(); err != nil {
		return err
	}
	pctx, pcancel := context.WithTimeout(ctx, 3*time.Second)
	perr := m.rdb.Ping(pctx).Err()
	pcancel()
	if perr == nil {
		m.step("✓ Redis master %q at %s (through Sentinel %s)", m.conn.MasterName, m.watch.Addr(), strings.Join(m.conn.Sentinels, ","))
		return m.startComponents(ctx)
	}
	m.step("… Redis master %q does not answer through Sentinel (%v); retrying in the background (see /status)", m.conn.MasterName, perr)
	m.log.Warn("Redis master unreachable through Sentinel; retrying with backoff", "master", m.conn.MasterName, "err", perr)
	m.startWhenReachable(func(ctx context.Context) error {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		return m.rdb.Ping(pctx).Err()
	}, func() {})
	return nil
}

// masterSwitched runs when the sentinels name a new master: the new one
// may lack the old one's last writes, so the worker reconciles every
// project from the files at once instead of at its next periodic pass.
func (m *Manager) masterSwitched(old, addr string) {
	m.log.Warn("Redis master switched", "master", m.conn.MasterName, "from", old, "to", addr)
	m.mu.Lock()
	w := m.worker
	m.mu.Unlock()
	if w != nil {
		w.Reconcile()
	}
}

func (m *Manager) newClient() error {
	c, err := tasks.New(tasks.Config{Redis: m.rdb, DataDir: m.cfg.DataDir, ResultTTL: m.cfg.ResultTTL,
		Limits: m.cfg.Limits, Logger: m.log})
	if err != nil {
		return err
	}
	eng, err := engine.Open(engine.Config{Redis: m.rdb, DataDir: m.cfg.DataDir, ResultTTL: m.cfg.ResultTTL,
		Limits: taskspec.TimeLimits(m.cfg.Limits), Logger: m.log})
	if err != nil {
		c.Close()
		return err
	}
	m.client, m.eng = c, eng
	return nil
}

func (m *Manager) startComponents(ctx context.Context) error {
	if wc := m.cfg.Worker; wc != nil {
		given, syncQuotas := wc.stages, wc.SyncQuotas
		if given == nil {
			wired, err := m.pipeline()
			if err != nil {
				return err
			}
			given = wired.Stages
			if syncQuotas == nil {
				syncQuotas = wired.SyncQuotas
			}
		}
		stages := map[project.Stage]stage.Stage{}
		for name, s := range given {
			st := project.Stage(name)
			if !st.Valid() {
				return fmt.Errorf("procman: unknown stage %q", name)
			}
			stages[st] = s
		}
		w, err := worker.New(worker.Config{Engine: m.eng, Concurrency: wc.Concurrency,
			ShutdownTimeout: m.cfg.ShutdownTimeout, Stages: stages, SyncQuotas: syncQuotas,
			Hooks: worker.Hooks{TaskDone: wc.TaskDone, StageDone: wc.StageDone}, Logger: m.log})
		if err != nil {
			return err
		}
		if err := w.Start(ctx); err != nil {
			return err
		}
		m.mu.Lock()
		m.worker = w
		m.mu.Unlock()
		m.step("✓ Worker started (concurrency %d; queues video_generation, batch_processing, maintenance)", wc.Concurrency)
	}
	if m.cfg.Beat {
		b := worker.NewBeat(m.rdb, m.eng.Records(), m.log)
		if err := b.Start(ctx); err != nil {
			return err
		}
		m.mu.Lock()
		m.beat = b
		m.mu.Unlock()
		m.step("✓ Beat started (sync_quotas every hour)")
	}
	return nil
}

// pipeline builds the built-in pipeline from the settings.
func (m *Manager) pipeline() (*pipeline.Wired, error) {
	env := m.cfg.Env
	if env == nil {
		env = os.LookupEnv
	}
	c, err := config.Load(config.Sources{Flags: map[string]string{"REDIS_URL": m.cfg.RedisURL, "DATA_DIR": m.cfg.DataDir}, Env: env})
	if err != nil {
		return nil, fmt.Errorf("procman: pipeline settings: %w", err)
	}
	w, err := pipeline.FromConfig(c, m.rdb, m.log, pipeline.Hooks{})
	if err != nil {
		return nil, fmt.Errorf("procman: pipeline: %w", err)
	}
	m.mu.Lock()
	m.wired = w
	m.mu.Unlock()
	return w, nil
}

// StopAll stops the beat, then the worker (running tasks get the shutdown
// timeout to finish; unfinished ones go back to their queue), then Redis
// if this process started it.
func (m *Manager) StopAll(ctx context.Context) error {
	m.mu.Lock()
	pending, stopWatch := m.pending, m.stopWatch
	m.pending, m.stopWatch = nil, nil
	m.mu.Unlock()
	if stopWatch != nil {
		stopWatch()
	}
	if pending != nil {
		pending()
		m.pendingWG.Wait()
	}
	m.mu.Lock()
	beat, worker, child, wired, attached := m.beat, m.worker, m.child, m.wired, m.attached
	m.beat, m.worker, m.child, m.wired, m.attached = nil, nil, nil, nil, false
	m.mu.Unlock()
	if beat != nil {
		beat.Stop()
		m.step("✓ Beat stopped")
	}
	if worker != nil {
		worker.Stop()
		m.step("✓ Worker stopped")
	}
	if wired != nil {
		wired.Close()
	}
	if m.client != nil {
		m.client.Close()
	}
	if m.eng != nil {
		m.eng.Close()
	}
	if m.rdb != nil {
		m.rdb.Close()
	}
	if child != nil {
		if err := child.Stop(10 * time.Second); err != nil {
			m.step("✗ Redis: %v", err)
			return err
		}
		m.step("✓ Redis stopped")
	}
	if attached {
		m.step("✓ Redis left running (not started by YTMaker)")
	}
	return nil
}

// Status is the /status document's data.
type Status struct {
	Status   string   `json:"status"` // healthy | degraded
	Services Services `json:"services"`
	Message  string   `json:"message"`

	Redis    RedisInfo    `json:"redis"`
	Workers  []WorkerInfo `json:"workers"`
	Beats    int64        `json:"beats"`
	Queues   []QueueInfo  `json:"queues,omitempty"`
	Limits   Limits       `json:"limits"`
	Uptime   string       `json:"uptime"`
	Problems []string     `json:"problems,omitempty"`
}

// WorkerInfo describes a live worker process (from asynq's heartbeats).
type WorkerInfo struct {
	Host        string         `json:"host"`
	PID         int            `json:"pid"`
	ServerID    string         `json:"server_id"`
	Concurrency int            `json:"concurrency"`
	Queues      map[string]int `json:"queues"`
	Status      string         `json:"status"`
	Active      int            `json:"active_tasks"`
	Started     time.Time      `json:"started"`
}

// Services is the seed's services object.
type Services struct {
	Redis  RedisService `json:"redis"`
	Worker Component    `json:"worker"`
	Beat   Component    `json:"beat"`
}

// RedisService says whether Redis answers and whether we run it.
type RedisService struct {
	Running bool `json:"running"`
	Process bool `json:"process"`
}

// Component says whether this process runs it and whether one is alive
// anywhere (judged from heartbeats in Redis).
type Component struct {
	Process bool `json:"process"`
	Alive   bool `json:"alive"`
}

// RedisInfo adds detail about Redis.
type RedisInfo struct {
	Addr      string `json:"addr"` // in Sentinel mode the master's
	Sentinel  bool   `json:"sentinel"`
	Master    string `json:"master_name,omitempty"`
	Failovers int    `json:"failovers"` // master changes seen since start (Sentinel mode)
	Owned     bool   `json:"owned"`
	PID       int    `json:"pid,omitempty"`
	Restarts  int    `json:"restarts"`
	LastExit  string `json:"last_exit,omitempty"`
	LastError string `json:"last_error,omitempty"`
}

// Limits shows the limits that hold across the cluster: each online
// service's calls now and at most, and each worker's renders.
type Limits struct {
	Providers []ProviderLimit `json:"providers"`
	Renders   []WorkerRenders `json:"renders"`
}

// ProviderLimit is one online service's calls across all workers and its
// limits, as the workers last recorded them (0: no limit).
type ProviderLimit struct {
	Provider     string `json:"provider"`
	InFlight     int    `json:"in_flight"`
	MaxInFlight  int    `json:"max_in_flight"`
	LastMinute   int    `json:"last_minute"`
	MaxPerMinute int    `json:"max_per_minute"`
}

// WorkerRenders is the renders one worker process runs now and at most.
type WorkerRenders struct {
	Host     string `json:"host"`
	PID      int    `json:"pid"`
	InFlight int    `json:"in_flight"`
	Max      int    `json:"max"`
}

// QueueInfo is one queue's size.
type QueueInfo struct {
	Name      string `json:"name"`
	Pending   int    `json:"pending"`
	Active    int    `json:"active"`
	Scheduled int    `json:"scheduled"`
	Retry     int    `json:"retry"`
	Archived  int    `json:"archived"`
	Completed int    `json:"completed"`
	Paused    bool   `json:"paused"`
}

// Status reports the health of Redis, the workers and the beats. It
// answers within about two seconds even when Redis is down.
func (m *Manager) Status(ctx context.Context) Status {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	m.mu.Lock()
	child, wk, beat, startErr := m.child, m.worker, m.beat, m.startErr
	var inspector *asynq.Inspector
	if m.eng != nil {
		inspector = m.eng.Inspector() // the engine's own; closed with it
	}
	m.mu.Unlock()
	s := Status{Uptime: time.Since(m.startedAt).Round(time.Second).String()}
	s.Redis.Addr = m.opt.Addr
	if m.conn.Sentinel() {
		s.Redis.Sentinel, s.Redis.Master, s.Redis.Addr = true, m.conn.MasterName, ""
		if m.watch != nil {
			s.Redis.Addr, s.Redis.Failovers = m.watch.Addr(), m.watch.Failovers()
		}
	}
	s.Services.Redis.Process = child != nil
	s.Redis.Owned = child != nil
	if child != nil {
		s.Redis.PID, s.Redis.Restarts, s.Redis.LastExit = child.PID(), child.Restarts(), child.LastExit()
	}
	s.Services.Worker.Process = wk != nil
	s.Services.Beat.Process = beat != nil
	if startErr != nil {
		s.Problems = append(s.Problems, "start-up: "+startErr.Error())
	}
	if m.rdb != nil {
		if err := m.rdb.Ping(ctx).Err(); err != nil {
			s.Redis.LastError = err.Error()
		} else {
			s.Services.Redis.Running = true
		}
	}
	if s.Services.Redis.Running && inspector != nil {
		// The inspector takes no context: it is asked aside, and Status
		// stops waiting for it when ctx ends.
		var got Status
		var limitsErr error
		done := make(chan struct{})
		go func() {
			defer close(done)
			// Scripts: go-redis does not end a blocked one at ctx's end.
			limitsErr = m.readLimits(ctx, &got.Limits)
			if ws, err := worker.Alive(inspector); err == nil {
				for _, w := range ws {
					got.Workers = append(got.Workers, WorkerInfo(w))
				}
				got.Services.Worker.Alive = len(ws) > 0
			}
			for _, q := range []string{taskspec.QueueVideo, taskspec.QueueBatch, taskspec.QueueMaintenance} {
				qi, err := inspector.GetQueueInfo(q)
				if err != nil {
					got.Queues = append(got.Queues, QueueInfo{Name: q})
					continue
				}
				got.Queues = append(got.Queues, QueueInfo{Name: q, Pending: qi.Pending, Active: qi.Active, Scheduled: qi.Scheduled,
					Retry: qi.Retry, Archived: qi.Archived, Completed: qi.Completed, Paused: qi.Paused})
			}
		}()
		if n, err := worker.BeatsAlive(ctx, m.rdb); err == nil {
			s.Beats = n
			s.Services.Beat.Alive = n > 0
		}
		select {
		case <-done:
			s.Workers, s.Services.Worker.Alive, s.Queues = got.Workers, got.Services.Worker.Alive, got.Queues
			s.Limits = got.Limits
			if limitsErr != nil {
				s.Problems = append(s.Problems, "status: limits not read: "+limitsErr.Error())
			}
		case <-ctx.Done():
			s.Problems = append(s.Problems, "status: workers, queues and limits not read: "+ctx.Err().Error())
		}
	}
	if !s.Services.Redis.Running {
		where := "Redis at " + m.opt.Addr
		if m.conn.Sentinel() {
			where = "Redis master " + strconv.Quote(m.conn.MasterName) + " (through Sentinel)"
		}
		s.Problems = append(s.Problems, where+" does not answer")
	}
	if s.Services.Redis.Running && !s.Services.Worker.Alive {
		s.Problems = append(s.Problems, "no live worker")
	}
	if s.Services.Redis.Running && !s.Services.Beat.Alive {
		s.Problems = append(s.Problems, "no live beat (scheduler)")
	}
	if s.Services.Redis.Running && s.Services.Worker.Alive && s.Services.Beat.Alive {
		s.Status = "healthy"
		s.Message = "All services are running normally"
	} else {
		s.Status = "degraded"
		s.Message = "Some services are not running"
		if len(s.Problems) > 0 {
			s.Message += ": " + joinProblems(s.Problems)
		}
	}
	if s.Workers == nil {
		s.Workers = []WorkerInfo{}
	}
	if s.Limits.Providers == nil {
		s.Limits.Providers = []ProviderLimit{}
	}
	if s.Limits.Renders == nil {
		s.Limits.Renders = []WorkerRenders{}
	}
	return s
}

// readLimits reads the provider calls and the workers' renders from Redis.
func (m *Manager) readLimits(ctx context.Context, out *Limits) error {
	usage, err := limits.Read(ctx, m.rdb)
	if err != nil {
		return err
	}
	for _, u := range usage {
		out.Providers = append(out.Providers, ProviderLimit(u))
	}
	renders, err := limits.Renders(ctx, m.rdb)
	if err != nil {
		return err
	}
	for _, r := range renders {
		out.Renders = append(out.Renders, WorkerRenders(r))
	}
	return nil
}

func joinProblems(p []string) string {
	out := ""
	for i, v := range p {
		if i > 0 {
			out += "; "
		}
		out += v
	}
	return out
}

// startWhenReachable retries probe in the background with backoff (0.5 s
// doubling to 30 s) until Redis answers, then calls reachable and starts
// the components. StopAll cancels the wait.
func (m *Manager) startWhenReachable(probe func(context.Context) error, reachable func()) {
	bctx, cancel := context.WithCancel(context.Background())
	m.mu.Lock()
	m.pending = cancel
	m.mu.Unlock()
	m.pendingWG.Add(1)
	go func() {
		defer m.pendingWG.Done()
		backoff := 500 * time.Millisecond
		for bctx.Err() == nil {
			if probe(bctx) == nil {
				reachable()
				if err := m.startComponents(bctx); err != nil {
					m.log.Error("start services", "err", err)
					m.mu.Lock()
					m.startErr = err
					m.mu.Unlock()
				}
				return
			}
			select {
			case <-bctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 30*time.Second)
		}
	}()
}
