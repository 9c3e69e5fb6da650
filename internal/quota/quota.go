// Package quota keeps the usage counters of the paid APIs in Redis, so every
// worker process sees and respects the same daily budget.
//
// Daily counters (YouTube units, the YouTube videos.insert bucket, and
// each provider's requests, LLM tokens, TTS characters, images and stock
// downloads, named "<provider>_<unit>" by Service) live under one key per
// service and day, where the day
// is the calendar day in America/Los_Angeles: YouTube resets its quota at
// midnight Pacific time and the other services are counted on the same clock
// so that one report covers one day. Reserve checks and adds in a single Lua
// script, so concurrent workers can never spend more than the limit.
//
// Services whose balance is only known from the provider (D-ID credits) are
// stored as snapshots with SetCredits.
package quota

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // day boundaries must work on hosts without system tzdata

	"github.com/redis/go-redis/v9"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/atomicfile"
	"github.com/ytmaker/ytmaker/internal/rdb"
)

// Service names used by YTMaker. Any other name works too.
const (
	YouTube        = "youtube"         // YouTube Data API units shared by all methods
	YouTubeInsert  = "youtube_insert"  // videos.insert calls (2026 bucket model)
	GeminiRequests = "gemini_requests" // Gemini calls per day
	GeminiTokens   = "gemini_tokens"   // Gemini tokens (prompt + output) per day
	DID            = "did"             // D-ID credits snapshot
)

// Exhausted is the error code of a reservation refused by a service that
// has no code of its own.
const Exhausted = "QUOTA_EXHAUSTED"

// ErrExhausted matches (with errors.Is) every refusal returned by Reserve.
var ErrExhausted = errors.New("quota exhausted")

// ExhaustedError tells why a reservation was refused and when to try again.
// Reserve returns it as the cause of a coded *errcode.Error, so both
// errors.As(err, **ExhaustedError) and errcode.As work.
type ExhaustedError struct {
	Service   string
	Used      int64
	Limit     int64
	Requested int64
	ResetAt   time.Time
}

// Error implements error.
func (e *ExhaustedError) Error() string {
	return fmt.Sprintf("%s quota exhausted: %d of %d used, %d requested; resets at %s",
		e.Service, e.Used, e.Limit, e.Requested, e.ResetAt.Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrExhausted) true.
func (e *ExhaustedError) Is(target error) bool { return target == ErrExhausted }

// Limit is the daily budget of one service.
type Limit struct {
	Daily int64  // units per day; 0 means unlimited (usage is still counted)
	Unit  string // what is counted: "units", "calls", "requests", "tokens"
	Code  string // error code when exhausted; "" means QUOTA_EXHAUSTED
}

// YouTubeCosts describes the YouTube Data API quota model in use.
//
// The legacy model charges every call against one pool of DailyUnits, an
// upload costing Upload units. The model introduced in 2026 gives
// videos.insert a bucket of its own (InsertCallsPerDay calls, one per
// upload) and charges everything else against DailyUnits.
type YouTubeCosts struct {
	DailyUnits        int64 // default 10,000
	Upload            int64 // units per videos.insert in the legacy model; default 1,600
	Thumbnail         int64 // units per thumbnails.set; default 50
	List              int64 // units per videos.list; default 1
	InsertCallsPerDay int64 // > 0 selects the bucket model with this many uploads a day
}

// DefaultYouTubeCosts returns the legacy model's published defaults.
func DefaultYouTubeCosts() YouTubeCosts {
	return YouTubeCosts{DailyUnits: 10_000, Upload: 1_600, Thumbnail: 50, List: 1}
}

func (c YouTubeCosts) withDefaults() YouTubeCosts {
	d := DefaultYouTubeCosts()
	if c.DailyUnits <= 0 {
		c.DailyUnits = d.DailyUnits
	}
	if c.Upload <= 0 {
		c.Upload = d.Upload
	}
	if c.Thumbnail <= 0 {
		c.Thumbnail = d.Thumbnail
	}
	if c.List <= 0 {
		c.List = d.List
	}
	return c
}

// Options configures a Tracker. The zero value is usable.
type Options struct {
	// Prefix starts every Redis key; default "ytmaker:quota".
	Prefix string
	// YouTube sets the YouTube limits (zero fields take the defaults).
	YouTube YouTubeCosts
	// Limits adds or overrides the limits of other services, for example
	// GeminiRequests and GeminiTokens. Services not listed are unlimited.
	Limits map[string]Limit
	// Location defines the day; default America/Los_Angeles.
	Location *time.Location
	// Retention is how long a day's counter is kept after the day ends;
	// default 72 hours.
	Retention time.Duration
	// Now returns the current time; default time.Now.
	Now func() time.Time
	// Logger receives debug and warning logs; nil discards them.
	Logger *slog.Logger
	// Ledger, when set, keeps this process's spending on disk: usage is
	// never counted below what the ledgers of the day prove, even after
	// Redis lost counts in a failover.
	Ledger *Ledger
}

// Tracker counts quota usage in Redis. It is safe for concurrent use, and
// any number of processes may share one Redis.
type Tracker struct {
	rdb       redis.Cmdable
	prefix    string
	youtube   YouTubeCosts
	limits    map[string]Limit
	loc       *time.Location
	retention time.Duration
	now       func() time.Time
	log       *slog.Logger
	ledger    *Ledger
}

// Pacific returns the America/Los_Angeles location, where YouTube's quota
// day begins and ends.
func Pacific() *time.Location {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil { // cannot happen: time/tzdata is embedded
		panic("quota: load America/Los_Angeles: " + err.Error())
	}
	return loc
}

// New returns a Tracker that keeps its counters in rdb.
func New(client redis.Cmdable, opts Options) *Tracker {
	t := &Tracker{
		rdb:       client,
		prefix:    opts.Prefix,
		youtube:   opts.YouTube.withDefaults(),
		loc:       opts.Location,
		retention: opts.Retention,
		now:       opts.Now,
		log:       opts.Logger,
		ledger:    opts.Ledger,
	}
	if t.prefix == "" {
		t.prefix = rdb.QuotaPrefix
	}
	if t.loc == nil {
		t.loc = Pacific()
	}
	if t.retention <= 0 {
		t.retention = 72 * time.Hour
	}
	if t.now == nil {
		t.now = time.Now
	}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	t.limits = map[string]Limit{
		YouTube:        {Daily: t.youtube.DailyUnits, Unit: "units", Code: errcode.YouTubeQuotaExceeded},
		GeminiRequests: {Unit: UnitRequests, Code: DailyLimitCode(ProviderGemini)},
		GeminiTokens:   {Unit: UnitTokens, Code: DailyLimitCode(ProviderGemini)},
	}
	if t.youtube.InsertCallsPerDay > 0 {
		t.limits[YouTubeInsert] = Limit{Daily: t.youtube.InsertCallsPerDay, Unit: "calls", Code: errcode.YouTubeQuotaExceeded}
	}
	for name, l := range opts.Limits {
		t.limits[name] = l
	}
	return t
}

// Now is the time by the tracker's clock, which decides the day.
func (t *Tracker) Now() time.Time { return t.now() }

// YouTubeCosts returns the YouTube model in effect (defaults filled in).
func (t *Tracker) YouTubeCosts() YouTubeCosts { return t.youtube }

// NextReset returns the first midnight in loc strictly after now.
func NextReset(now time.Time, loc *time.Location) time.Time {
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, loc)
}

// NextReset returns when the current quota day ends.
func (t *Tracker) NextReset() time.Time { return NextReset(t.now(), t.loc) }

// UntilReset is how long until the next reset, by the tracker's clock.
func (t *Tracker) UntilReset() time.Duration {
	now := t.now()
	return NextReset(now, t.loc).Sub(now)
}

// Reservation records units taken by Reserve so that they can be released
// against the same day, even after midnight.
type Reservation struct {
	Service string    `json:"service"`
	Units   int64     `json:"units"`
	Day     string    `json:"day"` // YYYY-MM-DD in the tracker's location
	ResetAt time.Time `json:"reset_at"`
}

// day returns the day label and its end for time now.
func (t *Tracker) day(now time.Time) (string, time.Time) {
	return now.In(t.loc).Format(time.DateOnly), NextReset(now, t.loc)
}

// ttl returns the lifetime in seconds of a counter for the day ending at
// reset. It is relative, so it does not depend on Redis's clock.
func (t *Tracker) ttl(now, reset time.Time) int64 {
	return int64(reset.Add(t.retention).Sub(now).Seconds()) + 1
}

func (t *Tracker) dayKey(service, day string) string { return rdb.QuotaDayKey(t.prefix, service, day) }
func (t *Tracker) servicesKey() string               { return rdb.QuotaServicesKey(t.prefix) }
func (t *Tracker) creditsKey(service string) string  { return rdb.QuotaCreditsKey(t.prefix, service) }
func (t *Tracker) creditServicesKey() string         { return rdb.QuotaCreditServicesKey(t.prefix) }

// limit returns the configured limit of service (zero Daily: unlimited).
// A counted provider's service takes its unit and code from its name.
func (t *Tracker) limit(service string) Limit {
	l, ok := t.limits[service]
	p, u, counted := SplitService(service)
	if !ok {
		l = Limit{Unit: "units"}
		if counted {
			l.Unit = u
		}
	}
	if l.Code == "" {
		l.Code = Exhausted
		if counted {
			l.Code = DailyLimitCode(p)
		}
	}
	return l
}

func redisErr(op string, err error) *errcode.Error {
	return errcode.Wrap(err, errcode.RedisUnavailable, true, "quota "+op+": "+err.Error())
}

func checkArgs(service string, units int64) error {
	if service == "" {
		return errcode.New(errcode.InvalidInput, "quota: empty service name", false)
	}
	if strings.ContainsAny(service, ": \t\n") {
		return errcode.Newf(errcode.InvalidInput, false, "quota: invalid service name %q", service)
	}
	if units < 0 {
		return errcode.Newf(errcode.InvalidInput, false, "quota: negative units %d for %s", units, service)
	}
	return nil
}

// Reserve takes units from today's budget of service if they fit, all in
// one atomic step. When they do not fit it takes nothing and returns a coded
// error (the service's Code, not retryable, RetryAfter = time to the reset)
// whose cause is an *ExhaustedError; errors.Is(err, ErrExhausted) is true.
func (t *Tracker) Reserve(ctx context.Context, service string, units int64) (Reservation, error) {
	if err := checkArgs(service, units); err != nil {
		return Reservation{}, err
	}
	now := t.now()
	day, reset := t.day(now)
	l := t.limit(service)
	res, err := rdb.QuotaReserve.Run(ctx, t.rdb,
		[]string{t.dayKey(service, day), t.servicesKey()},
		units, l.Daily, t.ttl(now, reset), service, t.floor(day, service)).Int64Slice()
	if err != nil {
		return Reservation{}, redisErr("reserve", err)
	}
	if len(res) != 2 {
		return Reservation{}, errcode.Newf(errcode.Internal, true, "quota reserve: unexpected script reply %v", res)
	}
	if res[0] == 0 {
		ex := &ExhaustedError{Service: service, Used: res[1], Limit: l.Daily, Requested: units, ResetAt: reset}
		t.log.Warn("quota exhausted", "service", service, "used", res[1], "limit", l.Daily,
			"requested", units, "reset_at", reset)
		return Reservation{}, exhaustedErr(l.Code, ex, now)
	}
	t.note(day, service, units)
	t.log.Debug("quota reserved", "service", service, "units", units, "used", res[1], "limit", l.Daily)
	return Reservation{Service: service, Units: units, Day: day, ResetAt: reset}, nil
}

func exhaustedErr(code string, ex *ExhaustedError, now time.Time) *errcode.Error {
	return errcode.New(code, ex.Error(), false).
		WithCause(ex).
		WithRetryAfter(ex.ResetAt.Sub(now)).
		WithDetail("service", ex.Service).
		WithDetail("used", ex.Used).
		WithDetail("limit", ex.Limit).
		WithDetail("reset_at", ex.ResetAt.UTC().Format(time.RFC3339))
}

// Release gives back the units of r (for example when the call they were
// reserved for was never made). Usage never drops below zero.
func (t *Tracker) Release(ctx context.Context, r Reservation) error {
	if err := checkArgs(r.Service, r.Units); err != nil {
		return err
	}
	if r.Units == 0 {
		return nil
	}
	day := r.Day
	if day == "" {
		day, _ = t.day(t.now())
	}
	if err := rdb.QuotaRelease.Run(ctx, t.rdb, []string{t.dayKey(r.Service, day)}, r.Units).Err(); err != nil {
		return redisErr("release", err)
	}
	t.note(day, r.Service, -r.Units)
	t.log.Debug("quota released", "service", r.Service, "units", r.Units, "day", day)
	return nil
}

// Record adds units that were already spent (Gemini tokens reported after a
// call, for instance). It never refuses; usage may go past the limit.
func (t *Tracker) Record(ctx context.Context, service string, units int64) error {
	if err := checkArgs(service, units); err != nil {
		return err
	}
	now := t.now()
	day, reset := t.day(now)
	if err := rdb.QuotaReserve.Run(ctx, t.rdb, []string{t.dayKey(service, day), t.servicesKey()},
		units, 0, t.ttl(now, reset), service, t.floor(day, service)).Err(); err != nil {
		return redisErr("record", err)
	}
	t.note(day, service, units)
	return nil
}

// MarkExhausted raises today's usage of service to its limit, so that no
// worker tries again before the reset. Use it when the provider reports its
// quota spent although the local count disagrees. Unlimited services are
// left alone.
func (t *Tracker) MarkExhausted(ctx context.Context, service string) error {
	if err := checkArgs(service, 0); err != nil {
		return err
	}
	l := t.limit(service)
	if l.Daily <= 0 {
		return nil
	}
	now := t.now()
	day, reset := t.day(now)
	if err := rdb.QuotaRaise.Run(ctx, t.rdb, []string{t.dayKey(service, day), t.servicesKey()},
		l.Daily, t.ttl(now, reset), service).Err(); err != nil {
		return redisErr("mark exhausted", err)
	}
	if t.ledger != nil {
		if err := t.ledger.raise(day, service, l.Daily); err != nil {
			t.log.Warn("quota ledger: record exhaustion", "service", service, "err", err)
		}
	}
	t.log.Warn("quota marked exhausted", "service", service, "reset_at", reset)
	return nil
}

// Usage is the state of one service's budget.
type Usage struct {
	Service   string     `json:"service"`
	Kind      string     `json:"kind"` // "daily" or "credits"
	Used      int64      `json:"used"`
	Limit     *int64     `json:"limit"`     // nil: unlimited
	Remaining *int64     `json:"remaining"` // nil: unlimited
	ResetAt   *time.Time `json:"reset_at"`  // nil: unknown
	Unit      string     `json:"unit"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"` // credits snapshots only
}

// Usage returns today's usage of a daily-counted service.
func (t *Tracker) Usage(ctx context.Context, service string) (Usage, error) {
	if err := checkArgs(service, 0); err != nil {
		return Usage{}, err
	}
	day, reset := t.day(t.now())
	used, err := t.rdb.Get(ctx, t.dayKey(service, day)).Int64()
	if err != nil && !errors.Is(err, redis.Nil) {
		return Usage{}, redisErr("usage", err)
	}
	return t.usage(service, max(used, t.floor(day, service)), reset), nil
}

func (t *Tracker) usage(service string, used int64, reset time.Time) Usage {
	l := t.limit(service)
	u := Usage{Service: service, Kind: "daily", Used: used, Unit: l.Unit, ResetAt: &reset}
	if l.Daily > 0 {
		limit := l.Daily
		rem := max(limit-used, 0)
		u.Limit, u.Remaining = &limit, &rem
	}
	return u
}

// Credits is a balance reported by a provider (D-ID) rather than counted.
type Credits struct {
	Remaining int64     `json:"remaining"`
	Total     int64     `json:"total"`
	Unit      string    `json:"unit"`
	ResetAt   time.Time `json:"reset_at,omitzero"` // zero: unknown
	UpdatedAt time.Time `json:"updated_at"`        // set by SetCredits when zero
}

// SetCredits stores the latest balance of service, replacing the previous
// snapshot.
func (t *Tracker) SetCredits(ctx context.Context, service string, c Credits) error {
	if err := checkArgs(service, 0); err != nil {
		return err
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = t.now()
	}
	fields := map[string]any{
		"remaining":  c.Remaining,
		"total":      c.Total,
		"unit":       c.Unit,
		"updated_at": c.UpdatedAt.UTC().Format(time.RFC3339Nano),
		"reset_at":   "",
	}
	if !c.ResetAt.IsZero() {
		fields["reset_at"] = c.ResetAt.UTC().Format(time.RFC3339Nano)
	}
	_, err := t.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, t.creditsKey(service), fields)
		p.SAdd(ctx, t.creditServicesKey(), service)
		return nil
	})
	if err != nil {
		return redisErr("set credits", err)
	}
	return nil
}

// Credits returns the stored balance of service; ok is false when none was
// ever stored.
func (t *Tracker) Credits(ctx context.Context, service string) (c Credits, ok bool, err error) {
	m, err := t.rdb.HGetAll(ctx, t.creditsKey(service)).Result()
	if err != nil {
		return Credits{}, false, redisErr("credits", err)
	}
	if len(m) == 0 {
		return Credits{}, false, nil
	}
	c.Remaining, _ = strconv.ParseInt(m["remaining"], 10, 64)
	c.Total, _ = strconv.ParseInt(m["total"], 10, 64)
	c.Unit = m["unit"]
	c.UpdatedAt, _ = time.Parse(time.RFC3339Nano, m["updated_at"])
	if v := m["reset_at"]; v != "" {
		c.ResetAt, _ = time.Parse(time.RFC3339Nano, v)
	}
	return c, true, nil
}

// Snapshot is the state of every known budget, as served by GET /quotas and
// written to DATA_DIR/quotas.json.
type Snapshot struct {
	GeneratedAt time.Time        `json:"generated_at"`
	Timezone    string           `json:"timezone"`
	Day         string           `json:"day"`
	YouTube     YouTubeModel     `json:"youtube"`
	Services    map[string]Usage `json:"services"`
}

// YouTubeModel describes the YouTube quota model in a Snapshot.
type YouTubeModel struct {
	Model          string `json:"model"` // "units" (legacy) or "buckets" (2026)
	UploadCost     int64  `json:"upload_cost"`
	UploadUnit     string `json:"upload_unit"`
	ThumbnailCost  int64  `json:"thumbnail_cost"`
	UploadsLeft    int64  `json:"uploads_left"`
	ThumbnailsLeft int64  `json:"thumbnails_left"`
}

// Snapshot reads every configured service, every service counted today and
// every credits snapshot.
func (t *Tracker) Snapshot(ctx context.Context) (Snapshot, error) {
	now := t.now()
	day, reset := t.day(now)
	names := map[string]bool{}
	for name := range t.limits {
		names[name] = true
	}
	seen, err := t.rdb.SMembers(ctx, t.servicesKey()).Result()
	if err != nil {
		return Snapshot{}, redisErr("snapshot", err)
	}
	for _, n := range seen {
		names[n] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)

	snap := Snapshot{
		GeneratedAt: now.UTC(),
		Timezone:    t.loc.String(),
		Day:         day,
		Services:    make(map[string]Usage, len(sorted)),
	}
	if len(sorted) > 0 {
		keys := make([]string, len(sorted))
		for i, n := range sorted {
			keys[i] = t.dayKey(n, day)
		}
		vals, err := t.rdb.MGet(ctx, keys...).Result()
		if err != nil {
			return Snapshot{}, redisErr("snapshot", err)
		}
		for i, n := range sorted {
			var used int64
			if s, ok := vals[i].(string); ok {
				used, _ = strconv.ParseInt(s, 10, 64)
			}
			snap.Services[n] = t.usage(n, max(used, t.floor(day, n)), reset)
		}
	}

	creditNames, err := t.rdb.SMembers(ctx, t.creditServicesKey()).Result()
	if err != nil {
		return Snapshot{}, redisErr("snapshot", err)
	}
	for _, n := range creditNames {
		c, ok, err := t.Credits(ctx, n)
		if err != nil {
			return Snapshot{}, err
		}
		if !ok {
			continue
		}
		total, rem := c.Total, c.Remaining
		u := Usage{Service: n, Kind: "credits", Used: max(total-rem, 0), Limit: &total, Remaining: &rem, Unit: c.Unit}
		if !c.ResetAt.IsZero() {
			r := c.ResetAt
			u.ResetAt = &r
		}
		up := c.UpdatedAt
		u.UpdatedAt = &up
		snap.Services[n] = u
	}

	snap.YouTube = t.youtubeModel(snap.Services)
	return snap, nil
}

func (t *Tracker) youtubeModel(s map[string]Usage) YouTubeModel {
	y := t.youtube
	m := YouTubeModel{Model: "units", UploadCost: y.Upload, UploadUnit: "units", ThumbnailCost: y.Thumbnail}
	units := s[YouTube]
	var unitsLeft int64
	if units.Remaining != nil {
		unitsLeft = *units.Remaining
	}
	m.ThumbnailsLeft = unitsLeft / y.Thumbnail
	if y.InsertCallsPerDay > 0 {
		m.Model, m.UploadCost, m.UploadUnit = "buckets", 1, "calls"
		if ins := s[YouTubeInsert]; ins.Remaining != nil {
			m.UploadsLeft = *ins.Remaining
		}
	} else {
		m.UploadsLeft = unitsLeft / y.Upload
	}
	return m
}

// WriteFile writes the current Snapshot to path as indented JSON,
// atomically.
func (t *Tracker) WriteFile(ctx context.Context, path string) error {
	snap, err := t.Snapshot(ctx)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteJSON(path, snap, 0o644); err != nil {
		return errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	return nil
}

// ReserveUpload reserves one videos.insert: one call from the insert bucket
// in the bucket model, or Upload units in the legacy model.
func (t *Tracker) ReserveUpload(ctx context.Context) (Reservation, error) {
	if t.youtube.InsertCallsPerDay > 0 {
		return t.Reserve(ctx, YouTubeInsert, 1)
	}
	return t.Reserve(ctx, YouTube, t.youtube.Upload)
}

// ReserveThumbnail reserves one thumbnails.set.
func (t *Tracker) ReserveThumbnail(ctx context.Context) (Reservation, error) {
	return t.Reserve(ctx, YouTube, t.youtube.Thumbnail)
}

// ReserveList reserves one videos.list.
func (t *Tracker) ReserveList(ctx context.Context) (Reservation, error) {
	return t.Reserve(ctx, YouTube, t.youtube.List)
}

// MarkUploadsExhausted records that YouTube refused an upload for quota:
// the insert bucket in the bucket model, the shared units otherwise.
func (t *Tracker) MarkUploadsExhausted(ctx context.Context) error {
	if t.youtube.InsertCallsPerDay > 0 {
		return t.MarkExhausted(ctx, YouTubeInsert)
	}
	return t.MarkExhausted(ctx, YouTube)
}

// RecordGemini adds one finished Gemini call and the tokens it used.
func (t *Tracker) RecordGemini(ctx context.Context, requests, tokens int64) error {
	if err := t.Record(ctx, GeminiRequests, requests); err != nil {
		return err
	}
	return t.Record(ctx, GeminiTokens, tokens)
}

// floor is the least usage of service on day that the ledgers prove (0
// without a ledger).
func (t *Tracker) floor(day, service string) int64 {
	if t.ledger == nil {
		return 0
	}
	return t.ledger.Floor(day, service)
}

// note records a change of usage in this process's ledger. A ledger that
// cannot be written costs only the protection it gives: the call goes on.
func (t *Tracker) note(day, service string, units int64) {
	if t.ledger == nil {
		return
	}
	if err := t.ledger.add(day, service, units); err != nil {
		t.log.Warn("quota ledger: record usage", "service", service, "units", units, "err", err)
	}
}
