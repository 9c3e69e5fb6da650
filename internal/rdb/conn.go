package rdb

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Conn says how to reach YTMaker's Redis: one server named by URL, or the
// master that Sentinel names (Sentinels and MasterName set). Every Redis
// client of a YTMaker process is built from it, so both modes reach every
// part: asynq, pub/sub, locks, quotas, the dashboard.
type Conn struct {
	URL string // redis://[user:password@]host:port/db; ignored with Sentinels

	Sentinels        []string // host:port of the sentinels
	MasterName       string   // the master's name in the sentinels' configuration
	Password         string   // the master's (and replicas') password in Sentinel mode
	SentinelPassword string   // the sentinels' own password, if they require one
	DB               int      // database number in Sentinel mode
}

// Sentinel reports whether the master is found through Sentinel.
func (c Conn) Sentinel() bool { return len(c.Sentinels) > 0 }

// Validate checks that the connection can be built.
func (c Conn) Validate() error {
	if c.Sentinel() {
		if c.MasterName == "" {
			return errors.New("redis: REDIS_MASTER_NAME is required with REDIS_SENTINELS")
		}
		for _, a := range c.Sentinels {
			if _, _, err := net.SplitHostPort(a); err != nil {
				return fmt.Errorf("redis: sentinel %q: want host:port", a)
			}
		}
		return nil
	}
	_, err := redis.ParseURL(c.URL)
	if err != nil {
		return fmt.Errorf("redis url: %w", err)
	}
	return nil
}

// Tuning adjusts the timeouts and pool of a client; zero fields keep
// go-redis's defaults.
type Tuning struct {
	DialTimeout  time.Duration
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	PoolSize     int
}

// NewClient returns a client: a failover client in Sentinel mode (it asks
// the sentinels for the master and follows a switch), a plain client
// otherwise. go-redis connects lazily, so Redis need not be up yet.
func (c Conn) NewClient(t Tuning) (redis.UniversalClient, error) {
	if c.Sentinel() {
		if c.MasterName == "" {
			return nil, errors.New("redis: REDIS_MASTER_NAME is required with REDIS_SENTINELS")
		}
		return redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName: c.MasterName, SentinelAddrs: c.Sentinels, SentinelPassword: c.SentinelPassword,
			Password: c.Password, DB: c.DB, DialTimeout: t.DialTimeout, ReadTimeout: t.ReadTimeout,
			WriteTimeout: t.WriteTimeout, PoolSize: t.PoolSize,
		}), nil
	}
	opt, err := redis.ParseURL(c.URL)
	if err != nil {
		return nil, fmt.Errorf("redis url: %w", err)
	}
	if t.DialTimeout > 0 {
		opt.DialTimeout = t.DialTimeout
	}
	if t.ReadTimeout > 0 {
		opt.ReadTimeout = t.ReadTimeout
	}
	if t.WriteTimeout > 0 {
		opt.WriteTimeout = t.WriteTimeout
	}
	opt.PoolSize = max(opt.PoolSize, t.PoolSize)
	return redis.NewClient(opt), nil
}

// MakeRedisClient makes Conn an asynq.RedisConnOpt, for the parts that
// build their own client (the asynqmon dashboard). It panics on an
// invalid Conn, as asynq's own options do; Validate first.
func (c Conn) MakeRedisClient() any {
	cl, err := c.NewClient(Tuning{})
	if err != nil {
		panic(err)
	}
	return cl
}

// String describes the connection without its passwords.
func (c Conn) String() string {
	if c.Sentinel() {
		return fmt.Sprintf("sentinel %s (master %q)", strings.Join(c.Sentinels, ","), c.MasterName)
	}
	opt, err := redis.ParseURL(c.URL)
	if err != nil {
		return "redis (bad url)"
	}
	return opt.Addr
}

// MasterAddr asks the sentinels, in turn, for the master's address.
func (c Conn) MasterAddr(ctx context.Context) (string, error) {
	if !c.Sentinel() {
		opt, err := redis.ParseURL(c.URL)
		if err != nil {
			return "", err
		}
		return opt.Addr, nil
	}
	var errs []error
	for _, a := range c.Sentinels {
		s := redis.NewSentinelClient(&redis.Options{Addr: a, Password: c.SentinelPassword,
			DialTimeout: 500 * time.Millisecond, ReadTimeout: 500 * time.Millisecond, MaxRetries: -1})
		addr, err := s.GetMasterAddrByName(ctx, c.MasterName).Result()
		s.Close()
		if err == nil && len(addr) == 2 {
			return net.JoinHostPort(addr[0], addr[1]), nil
		}
		errs = append(errs, fmt.Errorf("sentinel %s: %w", a, err))
	}
	return "", errors.Join(errs...)
}

// MasterWatch follows the master Sentinel names: its address and how many
// times it changed since the watch began.
type MasterWatch struct {
	conn     Conn
	interval time.Duration
	onSwitch func(old, new string)

	mu        sync.Mutex
	addr      string
	failovers int
}

// WatchMaster polls the sentinels every interval for the master's address
// until ctx ends, calling onSwitch (which may be nil) from its goroutine
// when the address changes. A failover is seen within one interval.
func WatchMaster(ctx context.Context, c Conn, interval time.Duration, onSwitch func(old, new string)) *MasterWatch {
	w := &MasterWatch{conn: c, interval: interval, onSwitch: onSwitch}
	if a, err := c.MasterAddr(ctx); err == nil {
		w.addr = a
	}
	go w.run(ctx)
	return w
}

func (w *MasterWatch) run(ctx context.Context) {
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		a, err := w.conn.MasterAddr(ctx)
		if err != nil {
			continue
		}
		w.mu.Lock()
		old := w.addr
		switched := old != "" && a != old
		w.addr = a
		if switched {
			w.failovers++
		}
		w.mu.Unlock()
		if switched && w.onSwitch != nil {
			w.onSwitch(old, a)
		}
	}
}

// Addr is the master's last known address ("" before any sentinel answered).
func (w *MasterWatch) Addr() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.addr
}

// Failovers is how many times the master changed since the watch began.
func (w *MasterWatch) Failovers() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.failovers
}
