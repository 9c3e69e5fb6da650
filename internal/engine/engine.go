// Package engine runs YTMaker's durable chains: a run of stages on one
// project, where each stage passes its result to the next. The project's
// state file is the system of record; asynq only carries the next task.
//
// The engine is a thin layer around the pure state machine in package
// run: it applies an event under the project's lock, writes the new
// state, then carries out the effects the event returned (enqueueing the
// next stage, finishing a handle, publishing progress). Effects are
// idempotent and derived from the written state, so a worker that dies
// between the two leaves a state from which any worker can finish the job:
// the stage task is delivered again, sees its stage finished, and only
// settles.
package engine

import (
	"errors"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/ytmaker/ytmaker/internal/rdb"
	"github.com/ytmaker/ytmaker/internal/run"
	"github.com/ytmaker/ytmaker/internal/store"
	"github.com/ytmaker/ytmaker/internal/taskspec"
	"github.com/ytmaker/ytmaker/progress"
)

// Names from the run state machine, for the engine's callers.
const (
	CodeNotRunning       = run.CodeNotRunning
	CodeAlreadyCompleted = run.CodeAlreadyCompleted
)

// StartOptions describe a new run.
type StartOptions = run.StartOptions

// BusyRun returns the active run's handle carried by a PROJECT_BUSY error.
func BusyRun(err error) (handleID string, ok bool) { return run.BusyRun(err) }

// Config configures an Engine.
type Config struct {
	// Redis is a client the caller owns; otherwise RedisURL is dialled
	// and the connection closed with the engine.
	Redis     redis.UniversalClient
	RedisURL  string
	DataDir   string // default "data"
	Limits    taskspec.TimeLimits
	ResultTTL time.Duration // at least 24 h
	Logger    *slog.Logger
}

// Engine starts, advances, pauses, resumes and cancels runs. It is the
// job system assembled: the project store, the task records, asynq's
// client and inspector and the progress publisher on one Redis client.
type Engine struct {
	store     *store.Store
	results   *rdb.Records
	rdb       redis.UniversalClient
	ownsRedis bool
	client    *asynq.Client
	inspector *asynq.Inspector
	pub       *progress.Publisher
	limits    taskspec.TimeLimits
	retention time.Duration
	log       *slog.Logger
	now       func() time.Time
}

// Open assembles an engine.
func Open(cfg Config) (*Engine, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	client, owns := cfg.Redis, false
	if client == nil {
		if cfg.RedisURL == "" {
			return nil, errors.New("engine: Redis or RedisURL is required")
		}
		c, err := rdb.Conn{URL: cfg.RedisURL}.NewClient(rdb.Tuning{})
		if err != nil {
			return nil, err
		}
		client, owns = c, true
	}
	if cfg.DataDir == "" {
		cfg.DataDir = "data"
	}
	st, err := store.Open(cfg.DataDir)
	if err != nil {
		if owns {
			client.Close()
		}
		return nil, err
	}
	// A state the disk refuses (full, read-only) is kept in Redis, so a
	// failure caused by the disk is still recorded and shown.
	st.KeepUnsaved(rdb.NewUnsavedStates(client), log.With("component", "store"))
	ttl := cfg.ResultTTL
	if ttl < rdb.DefaultTTL {
		ttl = rdb.DefaultTTL
	}
	return &Engine{
		store:     st,
		results:   rdb.NewRecords(client, ttl, log),
		rdb:       client,
		ownsRedis: owns,
		client:    asynq.NewClientFromRedisClient(client),
		inspector: asynq.NewInspectorFromRedisClient(client),
		pub:       progress.NewPublisher(client),
		limits:    cfg.Limits,
		retention: ttl,
		log:       log,
		now:       time.Now,
	}, nil
}

// Store returns the project store.
func (o *Engine) Store() *store.Store { return o.store }

// Records returns the task records.
func (o *Engine) Records() *rdb.Records { return o.results }

// Redis returns the Redis client.
func (o *Engine) Redis() redis.UniversalClient { return o.rdb }

// Inspector returns the asynq inspector.
func (o *Engine) Inspector() *asynq.Inspector { return o.inspector }

// Publisher returns the progress publisher.
func (o *Engine) Publisher() *progress.Publisher { return o.pub }

// Limits returns the task time limits.
func (o *Engine) Limits() taskspec.TimeLimits { return o.limits }

// Close releases the engine's resources; the Redis client only if Open
// dialled it.
func (o *Engine) Close() error {
	o.results.Close()
	o.inspector.Close()
	err := o.client.Close()
	if o.ownsRedis {
		err = errors.Join(err, o.rdb.Close())
	}
	return err
}
