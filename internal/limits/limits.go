// Package limits keeps YTMaker within the limits of the online services
// it calls and of the machines it runs on:
//
//   - per provider, the most calls in flight and the most calls per
//     minute, counted across every worker on one Redis (a Limiter; the
//     keys and scripts are in internal/rdb);
//   - per worker process, the most renders (ffmpeg) at once (a Gate).
//
// A call over a limit waits in place for a short while (MaxWait); if the
// limit still holds then, it fails with a coded PROVIDER_BUSY (or
// RENDERS_BUSY) error that Waiting turns into a stage.SnoozeError, so the
// stage runs again later without using an attempt.
//
// A Limiter applies to every request sent through the *http.Client that
// Client returns, so the provider clients need no change: each HTTP
// request is one call, and it holds its slot until its response body is
// read to the end or closed.
package limits

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/rdb"
	"github.com/ytmaker/ytmaker/internal/stage"
)

// The providers whose calls are limited.
const (
	Gemini     = "gemini"
	OpenAI     = "openai" // chat and speech of the OpenAI-compatible API
	GoogleTTS  = "google-tts"
	ElevenLabs = "elevenlabs"
	Stability  = "stability"
	Pexels     = "pexels"
	Pixabay    = "pixabay"
	DID        = "d-id"
	YouTube    = "youtube"
)

// Providers lists every limited provider, in display order.
var Providers = []string{Gemini, OpenAI, GoogleTTS, ElevenLabs, Stability, Pexels, Pixabay, DID, YouTube}

// Limit is the most calls of a provider in flight at once and started per
// minute, across all workers. Zero means no limit.
type Limit struct {
	InFlight  int `json:"in_flight"`
	PerMinute int `json:"per_minute"`
}

// Defaults returns the limits used when none is configured. Per-minute
// limits follow what the providers document: Stability 150 requests per
// minute (its docs time a client out for 60 s past 150 requests in 10 s),
// Pixabay 100 per 60 s, Pexels 200 per hour (3 per minute stays under
// it). ElevenLabs limits concurrent requests by plan: 2 suits the
// smallest plans. The in-flight limits of the others are YTMaker's own
// choice, to spread a cluster's load, not published limits.
func Defaults() map[string]Limit {
	return map[string]Limit{
		Gemini:     {InFlight: 8},
		OpenAI:     {InFlight: 8},
		GoogleTTS:  {InFlight: 8},
		ElevenLabs: {InFlight: 2},
		Stability:  {InFlight: 4, PerMinute: 150},
		Pexels:     {InFlight: 2, PerMinute: 3},
		Pixabay:    {InFlight: 4, PerMinute: 100},
		DID:        {InFlight: 4},
		YouTube:    {InFlight: 4},
	}
}

// EnvNames returns the names of the settings of a provider's limits:
// LIMIT_<PROVIDER>_IN_FLIGHT and LIMIT_<PROVIDER>_PER_MINUTE, with the
// provider's name in capitals and "-" as "_" (LIMIT_GOOGLE_TTS_IN_FLIGHT,
// LIMIT_D_ID_PER_MINUTE).
func EnvNames(provider string) (inFlight, perMinute string) {
	b := []byte(provider)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z':
			b[i] = c - 'a' + 'A'
		case c == '-':
			b[i] = '_'
		}
	}
	return "LIMIT_" + string(b) + "_IN_FLIGHT", "LIMIT_" + string(b) + "_PER_MINUTE"
}

// Codes of the errors of a call or render over its limit. Neither is
// retryable in itself: the stage waits (Waiting) instead of failing.
const (
	ProviderBusy = "PROVIDER_BUSY"
	RendersBusy  = "RENDERS_BUSY"
)

// Timing defaults.
const (
	// DefaultMaxWait is how long a call or render over its limit waits in
	// place before its stage is put off. Calls take seconds, so a busy
	// slot usually frees within it; past it, the task gives its worker
	// slot and project lock back for the time the wait still needs.
	DefaultMaxWait = 10 * time.Second
	// DefaultLease is how long an in-flight slot outlives its holder's
	// last renewal; holders renew it every third of it. A worker killed
	// with SIGKILL frees its slots within it.
	DefaultLease = 30 * time.Second
	// busySnooze is how long a stage put off by an in-flight or render
	// limit waits before it tries again (plus up to as much again, at
	// random, so that the waiting stages do not all come back at once).
	// It has already waited MaxWait in place; coming back soon lets
	// another worker, or a slot freed meanwhile, take it up.
	busySnooze = 2 * time.Second
)

// Config configures a Limiter.
type Config struct {
	Redis redis.UniversalClient
	// Limits by provider; a provider not in it has no limit. Nil means
	// Defaults().
	Limits  map[string]Limit
	MaxWait time.Duration // default DefaultMaxWait
	Lease   time.Duration // default DefaultLease
	Logger  *slog.Logger
}

// Limiter takes and gives back provider call slots in Redis. A nil
// *Limiter limits nothing.
type Limiter struct {
	cfg Config
	log *slog.Logger
}

// New returns a Limiter.
func New(cfg Config) *Limiter {
	if cfg.Limits == nil {
		cfg.Limits = Defaults()
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = DefaultMaxWait
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Limiter{cfg: cfg, log: log}
}

// Limit returns provider's limit.
func (l *Limiter) Limit(provider string) Limit {
	if l == nil {
		return Limit{}
	}
	return l.cfg.Limits[provider]
}

// Limits returns a copy of every provider's limit.
func (l *Limiter) Limits() map[string]Limit {
	out := map[string]Limit{}
	if l == nil {
		return out
	}
	for p, v := range l.cfg.Limits {
		out[p] = v
	}
	return out
}

// Slot is one call's place within its provider's limits. Release gives
// it back; it is safe to call more than once.
type Slot struct {
	l        *Limiter
	provider string
	token    string
	stop     chan struct{}
	done     chan struct{}
	once     sync.Once
}

// Acquire takes a call slot of provider, waiting up to MaxWait while the
// provider is at a limit. It then fails with a PROVIDER_BUSY error whose
// RetryAfter says when to try again. A provider without limits gets a
// slot at once, without asking Redis.
func (l *Limiter) Acquire(ctx context.Context, provider string) (*Slot, error) {
	lim := l.Limit(provider)
	if lim == (Limit{}) {
		return &Slot{}, nil
	}
	token := newToken()
	start := time.Now()
	poll := 25 * time.Millisecond
	for {
		g, err := rdb.TakeCall(ctx, l.cfg.Redis, provider, token, rdb.CallLimit(lim), l.cfg.Lease)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, errcode.Wrap(err, errcode.RedisUnavailable, true,
				fmt.Sprintf("cannot check the %s call limits: %v", provider, err))
		}
		if g.OK {
			return l.hold(provider, token), nil
		}
		var wait time.Duration
		if g.Full == "per_minute" {
			wait = g.Wait // exact: when the oldest counted call leaves the window
		} else {
			wait = poll/2 + mrand.N(poll/2+1) // a call ends at a moment nobody knows: look again soon
			poll = min(2*poll, time.Second)
		}
		if time.Since(start)+wait > l.cfg.MaxWait {
			return nil, busy(provider, lim, g)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// busy is the error of a call that found provider at a limit.
func busy(provider string, lim Limit, g rdb.CallGrant) *errcode.Error {
	var e *errcode.Error
	if g.Full == "per_minute" {
		e = errcode.Newf(ProviderBusy, false, "%s had %d calls in the last minute, its limit across all workers; waiting for the window to move",
			provider, g.LastMinute).WithRetryAfter(g.Wait).WithDetail("max_per_minute", lim.PerMinute)
	} else {
		e = errcode.Newf(ProviderBusy, false, "%s has %d calls in flight, its limit across all workers; waiting for one to end",
			provider, g.InFlight).WithRetryAfter(busySnooze+mrand.N(busySnooze)).WithDetail("max_in_flight", lim.InFlight)
	}
	return e.WithDetail("provider", provider).WithDetail("limit", g.Full)
}

func (l *Limiter) hold(provider, token string) *Slot {
	s := &Slot{l: l, provider: provider, token: token, stop: make(chan struct{}), done: make(chan struct{})}
	go s.renew()
	return s
}

// renew keeps the slot's lease alive while the call runs.
func (s *Slot) renew() {
	defer close(s.done)
	t := time.NewTicker(s.l.cfg.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			held, err := rdb.RenewCall(ctx, s.l.cfg.Redis, s.provider, s.token, s.l.cfg.Lease)
			cancel()
			switch {
			case err != nil:
				s.l.log.Warn("could not renew a call slot", "provider", s.provider, "err", err)
			case !held:
				s.l.log.Warn("a call slot expired while the call ran; taken again", "provider", s.provider)
			}
		}
	}
}

// Release gives the slot back.
func (s *Slot) Release() {
	if s == nil || s.l == nil {
		return
	}
	s.once.Do(func() {
		close(s.stop)
		<-s.done
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := rdb.EndCall(ctx, s.l.cfg.Redis, s.provider, s.token); err != nil {
			// The lease expires on its own.
			s.l.log.Warn("could not give a call slot back", "provider", s.provider, "err", err)
		}
	})
}

// Client returns a copy of base (nil: a new client) whose every request
// is a call of provider: it takes a slot first and gives it back when the
// response body is read to its end or closed. A nil Limiter returns base
// itself.
func (l *Limiter) Client(provider string, base *http.Client) *http.Client {
	if l == nil {
		return base
	}
	var c http.Client
	if base != nil {
		c = *base
	}
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	c.Transport = &transport{l: l, provider: provider, base: rt}
	return &c
}

type transport struct {
	l        *Limiter
	provider string
	base     http.RoundTripper
}

func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	slot, err := t.l.Acquire(r.Context(), t.provider)
	if err != nil {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, err
	}
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		slot.Release()
		return nil, err
	}
	resp.Body = &releasingBody{rc: resp.Body, release: slot.Release}
	return resp, nil
}

// releasingBody gives the call's slot back at EOF or Close.
type releasingBody struct {
	rc      io.ReadCloser
	release func()
}

func (b *releasingBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if err == io.EOF {
		b.release()
	}
	return n, err
}

func (b *releasingBody) Close() error {
	err := b.rc.Close()
	b.release()
	return err
}

// Busy returns the PROVIDER_BUSY or RENDERS_BUSY error in err's chain,
// or nil. Provider clients wrap transport errors in codes of their own,
// so the whole chain is searched.
func Busy(err error) *errcode.Error {
	for err != nil {
		if e, ok := err.(*errcode.Error); ok && (e.Code == ProviderBusy || e.Code == RendersBusy) {
			return e
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				if b := Busy(x); b != nil {
					return b
				}
			}
			return nil
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		default:
			return nil
		}
	}
	return nil
}

// Waiting turns an error that comes from a limit into a stage.SnoozeError
// for the time the limit asked for, and returns other errors as they are.
// The worker then runs the stage again later without counting a failed
// attempt.
func Waiting(err error) error {
	b := Busy(err)
	if b == nil {
		return err
	}
	var sn *stage.SnoozeError
	if errors.As(err, &sn) {
		return err
	}
	return stage.Snooze(time.Now().Add(b.RetryAfter), b)
}

// Usage is a provider's calls now and its limits.
type Usage struct {
	Provider     string
	InFlight     int
	MaxInFlight  int
	LastMinute   int
	MaxPerMinute int
}

// Read returns every provider's calls in flight and in the last minute
// across all workers, with the limits the workers last recorded (see
// Limiter.Record).
func Read(ctx context.Context, client redis.UniversalClient) ([]Usage, error) {
	counts, err := rdb.CallCounts(ctx, client, Providers)
	if err != nil {
		return nil, err
	}
	lims, err := rdb.CallLimits(ctx, client)
	if err != nil {
		return nil, err
	}
	out := make([]Usage, 0, len(Providers))
	for _, p := range Providers {
		c, l := counts[p], lims[p]
		out = append(out, Usage{Provider: p, InFlight: c.InFlight, LastMinute: c.LastMinute,
			MaxInFlight: l.InFlight, MaxPerMinute: l.PerMinute})
	}
	return out, nil
}

// Record writes the limits this Limiter enforces to Redis, for Read.
func (l *Limiter) Record(ctx context.Context) error {
	if l == nil {
		return nil
	}
	m := make(map[string]rdb.CallLimit, len(Providers))
	for _, p := range Providers {
		m[p] = rdb.CallLimit(l.cfg.Limits[p])
	}
	return rdb.PutCallLimits(ctx, l.cfg.Redis, m)
}

func newToken() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
