// Package worker runs YTMaker's tasks: the asynq worker with its handlers,
// the hourly scheduler ("beat"), and the repairs asynq does not do by
// itself — fast requeueing of tasks whose worker died, re-enqueueing of
// interrupted projects, cancellation that is never retried.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/engine"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/rdb"
	"github.com/ytmaker/ytmaker/internal/stage"
	"github.com/ytmaker/ytmaker/internal/taskspec"
)

// Tuning of the asynq server. asynq polls queues instead of blocking; a
// short check interval gives an idle system ~25 ms pickup latency at
// about 60 Redis commands per second, and a short delayed-task interval
// lets retries start within a second of their schedule.
const (
	taskCheckInterval    = 50 * time.Millisecond
	delayedCheckInterval = 400 * time.Millisecond
	orphanScanInterval   = time.Second      // tasks with no holder record: one dequeued by a worker whose Redis connection broke before the reply waits no longer than needed
	orphanAfter          = 18 * time.Second // lease score below now+18 s: not extended for 12 s
	reconcileInterval    = 30 * time.Second
	busyRetryDelay       = time.Second
	// After a Redis master switch: runs finished this long before it are
	// settled again (it covers Sentinel's down-after and the election),
	// and a second pass follows this long after.
	switchLookBack    = 2 * time.Minute
	switchSettleAgain = 10 * time.Second
)

// Hooks let the caller observe task outcomes (metrics).
type Hooks struct {
	// TaskDone is called after every handler run.
	TaskDone func(task, queue string, d time.Duration, err error, retried bool)
	// StageDone is called after every stage attempt.
	StageDone func(stage string, d time.Duration, err error)
}

// Config configures a Worker.
type Config struct {
	Engine          *engine.Engine
	Concurrency     int
	ShutdownTimeout time.Duration
	// Stages maps each stage to its implementation. A missing stage fails
	// its task with INTERNAL_ERROR.
	Stages map[project.Stage]stage.Stage
	// SyncQuotas is the body of sync_quotas (nil: a no-op that reports so).
	SyncQuotas func(ctx context.Context) (any, error)
	Hooks      Hooks
	Logger     *slog.Logger
	// RetryDelays are the waits before each retry of a failed stage
	// (default: the seed's 2, 5 and 10 s).
	RetryDelays taskspec.RetrySchedule
	// Host is the machine name in the worker's liveness record (default
	// os.Hostname). Workers on the same host judge each other dead by
	// their PIDs at once; others, once the record expires.
	Host string
}

// Worker is the in-process asynq server with YTMaker's handlers.
type Worker struct {
	cfg      Config
	rdb      redis.UniversalClient
	orch     *engine.Engine
	srv      *asynq.Server
	log      *slog.Logger
	instance string
	self     rdb.Liveness

	cancels  cancels
	inflight sync.WaitGroup

	lastRedisErr time.Time     // touched only by the recover loop
	kick         chan struct{} // asks the recover loop for a full reconcile

	stopLoops context.CancelFunc
	loops     sync.WaitGroup
	mu        sync.Mutex
	running   bool
}

// New returns a worker; Start runs it.
func New(cfg Config) (*Worker, error) {
	if cfg.Engine == nil {
		return nil, errors.New("worker: Engine is required")
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = runtime.NumCPU()
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 30 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	host := cfg.Host
	if host == "" {
		host, _ = os.Hostname()
	}
	w := &Worker{
		cfg:      cfg,
		rdb:      cfg.Engine.Redis(),
		orch:     cfg.Engine,
		log:      log.With("component", "worker"),
		instance: fmt.Sprintf("%s:%d:%s", host, os.Getpid(), uuid.NewString()[:8]),
		kick:     make(chan struct{}, 1),
	}
	w.self = selfLiveness(w.instance, host)
	return w, nil
}

// Instance identifies this worker process.
func (w *Worker) Instance() string { return w.instance }

func (w *Worker) newServer() *asynq.Server {
	return asynq.NewServerFromRedisClient(w.rdb, asynq.Config{
		Concurrency:              w.cfg.Concurrency,
		Queues:                   taskspec.QueueWeights,
		TaskCheckInterval:        taskCheckInterval,
		DelayedTaskCheckInterval: delayedCheckInterval,
		ShutdownTimeout:          w.cfg.ShutdownTimeout,
		RetryDelayFunc:           w.retryDelay,
		IsFailure:                isFailure,
		Logger:                   asynqLogger{w.log},
		LogLevel:                 asynq.WarnLevel,
		HealthCheckFunc: func(err error) {
			if err != nil {
				w.log.Debug("redis health check failed", "err", err)
			}
		},
	})
}

// errBusy means another worker runs a stage of the same project: retry
// soon without counting an attempt.
var errBusy = errors.New("project busy: another stage of this project is running")

// isFailure says whether an error uses up an attempt: waiting for a busy
// project or for a quota reset does not.
func isFailure(err error) bool {
	var s *snoozed
	return !errors.Is(err, errBusy) && !errors.Is(err, errStale) && !errors.As(err, &s)
}

func (w *Worker) retryDelay(n int, err error, t *asynq.Task) time.Duration {
	if errors.Is(err, errBusy) || errors.Is(err, errStale) {
		return busyRetryDelay
	}
	var s *snoozed
	if errors.As(err, &s) {
		return max(taskspec.AlignDelay(time.Now(), time.Until(s.until)), time.Second)
	}
	// Aim a little early: the forwarder and the poller add up to ~0.45 s.
	return taskspec.AlignDelay(time.Now(), w.cfg.RetryDelays.Delay(n, err)-200*time.Millisecond)
}

// Start runs the worker: it re-enqueues interrupted projects, then starts
// consuming the three queues.
func (w *Worker) Start(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.running {
		return errors.New("worker: already running")
	}
	mux := asynq.NewServeMux()
	mux.Use(w.observe)
	for _, s := range project.Stages {
		mux.HandleFunc(s.TaskName(), w.handleStage)
	}
	mux.HandleFunc(taskspec.BatchProcessing, w.handleBatch)
	mux.HandleFunc(taskspec.SyncQuotas, w.handleSyncQuotas)
	mux.HandleFunc(taskspec.DebugTask, w.handleDebug)
	// The liveness record exists before any task names this worker as
	// its holder; otherwise another worker would judge it dead.
	if err := rdb.RenewLiveness(ctx, w.rdb, w.self); err != nil {
		return errcode.Wrap(err, errcode.RedisUnavailable, true, "start worker: "+err.Error())
	}
	w.srv = w.newServer()
	if err := w.srv.Start(mux); err != nil {
		return errcode.Wrap(err, errcode.RedisUnavailable, true, "start worker: "+err.Error())
	}
	lctx, cancel := context.WithCancel(context.Background())
	w.stopLoops = cancel
	w.loop(func() { w.listenCancels(lctx) })
	w.loop(func() { w.watchCancels(lctx) })
	w.loop(func() { w.heartbeat(lctx) })
	w.loop(func() { w.recoverLoop(lctx) })
	w.running = true
	w.log.Info("worker started", "instance", w.instance, "concurrency", w.cfg.Concurrency, "queues", taskspec.QueueWeights)
	return nil
}

func (w *Worker) loop(f func()) {
	w.loops.Add(1)
	go func() { defer w.loops.Done(); f() }()
}

// Stop stops fetching tasks and waits up to ShutdownTimeout for running
// ones; unfinished tasks go back to their queue (none is lost).
func (w *Worker) Stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.running {
		return
	}
	w.srv.Shutdown()
	// Let interrupted handlers record the interruption and release locks.
	done := make(chan struct{})
	go func() { w.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
	w.stopLoops()
	w.loops.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	rdb.RemoveLiveness(ctx, w.rdb, w.instance)
	cancel()
	w.running = false
	w.log.Info("worker stopped", "instance", w.instance)
}

// recoverLoop repairs what crashes leave behind: at start-up, tasks held
// by dead workers are requeued and every interrupted project is
// re-enqueued; then, every second, tasks whose holder died are put back
// in their queue (every few seconds, by lease, those with no holder
// record), and every half minute active projects are reconciled.
func (w *Worker) recoverLoop(ctx context.Context) {
	w.requeueDeadHolders(ctx)
	if err := w.orch.ReconcileAll(ctx, true); err != nil {
		w.log.Warn("start-up reconcile", "err", err)
	}
	holders := time.NewTicker(livenessRenew)
	defer holders.Stop()
	orphans := time.NewTicker(orphanScanInterval)
	defer orphans.Stop()
	reconcile := time.NewTicker(reconcileInterval)
	defer reconcile.Stop()
	again := time.NewTimer(time.Hour)
	again.Stop()
	defer again.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-holders.C:
			w.requeueDeadHolders(ctx)
		case <-orphans.C:
			w.requeueOrphans(ctx)
		case <-reconcile.C:
			if err := w.orch.ReconcileAll(ctx, false); err != nil {
				w.log.Debug("reconcile", "err", err)
			}
		case <-w.kick:
			w.reconcileAfterSwitch(ctx, time.Now())
			// Once more when clients have surely left the old master:
			// settling that failed in between is done again.
			again.Reset(switchSettleAgain)
		case <-again.C:
			w.reconcileAfterSwitch(ctx, time.Now().Add(-switchSettleAgain))
		}
	}
}

// reconcileAfterSwitch repairs what a Redis failover may have lost: the
// set of active projects is in Redis too, so every project folder is
// scanned; runs that finished since the outage could have begun are
// settled again (final progress snapshot, handle record).
func (w *Worker) reconcileAfterSwitch(ctx context.Context, switched time.Time) {
	if err := w.orch.ReconcileAll(ctx, true); err != nil {
		w.log.Warn("reconcile after a Redis master switch", "err", err)
	}
	if err := w.orch.SettleFinishedSince(ctx, switched.Add(-switchLookBack)); err != nil {
		w.log.Warn("settle after a Redis master switch", "err", err)
	}
}

// Reconcile asks the worker to reconcile every project from DATA_DIR
// now (after a Redis failover, which may have lost the last writes:
// tasks, locks, the active set). It does not wait.
func (w *Worker) Reconcile() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// requeueOrphans puts tasks whose worker died back at the head of their
// queue, as asynq does for tasks interrupted by a shutdown. A live worker
// extends the leases of its tasks to now+30 s every 5 s, so a lease not
// extended for 12 s (ending before now+18 s) belongs to a dead worker.
// asynq's own recoverer would wait until the lease is 30 s past expiry,
// run only once a minute, and count a failed attempt. Two workers never
// run a stage of one project at once even if this misjudges: the project
// lock guards every stage.
func (w *Worker) requeueOrphans(ctx context.Context) {
	now := time.Now()
	if now.Sub(w.lastRedisErr) < 20*time.Second {
		// Leases were not extended while Redis was unreachable; give the
		// live workers time to extend them again before judging.
		return
	}
	for q := range taskspec.QueueWeights {
		ids, err := rdb.RequeueOrphans(ctx, w.rdb, q, now.Add(orphanAfter))
		if err != nil {
			w.lastRedisErr = now
			continue
		}
		for _, id := range ids {
			w.log.Warn("requeued a task whose worker died", "task", id, "queue", q)
		}
	}
}

// observe is the middleware every task goes through: timing, hooks and
// the final record of tasks that are not project stages.
func (w *Worker) observe(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		w.inflight.Add(1)
		defer w.inflight.Done()
		id, _ := asynq.GetTaskID(ctx)
		q, _ := asynq.GetQueueName(ctx)
		if err := rdb.Hold(ctx, w.rdb, id, rdb.Holding{Instance: w.instance, Queue: q}); err != nil {
			w.log.Debug("record task holder", "task", id, "err", err)
		}
		defer rdb.Unhold(context.WithoutCancel(ctx), w.rdb, id, w.instance)
		start := time.Now()
		err := next.ProcessTask(ctx, t)
		if h := w.cfg.Hooks.TaskDone; h != nil {
			retried := err != nil && !errors.Is(err, asynq.SkipRetry) && !errors.Is(err, asynq.RevokeTask) && isFailure(err)
			h(t.Type(), q, time.Since(start), err, retried)
		}
		return err
	})
}

// finishSimple records the outcome of a non-stage task and converts the
// error for asynq.
func (w *Worker) finishSimple(ctx context.Context, t *asynq.Task, result []byte, err error) error {
	id, _ := asynq.GetTaskID(ctx)
	if err == nil {
		if t.ResultWriter() != nil {
			t.ResultWriter().Write(result)
		}
		w.orch.Records().Finish(ctx, id, rdb.Succeeded, result, nil)
		return nil
	}
	retry, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	ce := errcode.Classify(err).Clone()
	ce.Attempt, ce.MaxRetries = retry+1, maxRetry
	if !ce.Retryable || retry >= maxRetry {
		w.orch.Records().Finish(ctx, id, rdb.Failed, nil, ce)
		return fmt.Errorf("%w: %w", asynq.SkipRetry, ce)
	}
	w.orch.Records().SetState(ctx, id, rdb.Retrying, retry+1)
	return ce
}

// asynqLogger sends asynq's logs to slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...), "source", "asynq") }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...), "source", "asynq") }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...), "source", "asynq") }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...), "source", "asynq") }
func (a asynqLogger) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...), "source", "asynq") }
