package quota

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/redistest"
)

// clock is a settable time source for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func la(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, Pacific())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func newTracker(t *testing.T, opts Options) (*Tracker, *clock) {
	t.Helper()
	srv := redistest.Start(t)
	c := &clock{t: la(t, "2026-05-10 12:00")}
	if opts.Now == nil {
		opts.Now = c.Now
	}
	return New(srv.Client(), opts), c
}

func TestNextResetAcrossDST(t *testing.T) {
	loc := Pacific()
	cases := []struct {
		name      string
		now       string
		wantReset string
		wantHours float64 // length of the day that contains now
	}{
		{"ordinary day", "2026-05-10 12:00", "2026-05-11 00:00", 24},
		{"spring forward (23 h day)", "2026-03-08 01:30", "2026-03-09 00:00", 23},
		{"after the spring jump", "2026-03-08 03:30", "2026-03-09 00:00", 23},
		{"fall back (25 h day)", "2026-11-01 01:30", "2026-11-02 00:00", 25},
		{"just before midnight", "2026-11-01 23:59", "2026-11-02 00:00", 25},
		{"exactly midnight starts a new day", "2026-12-31 00:00", "2027-01-01 00:00", 24},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := la(t, tc.now)
			got := NextReset(now, loc)
			want := la(t, tc.wantReset)
			if !got.Equal(want) {
				t.Fatalf("NextReset(%s) = %s, want %s", now, got, want)
			}
			y, m, d := now.Date()
			start := time.Date(y, m, d, 0, 0, 0, 0, loc)
			if h := got.Sub(start).Hours(); h != tc.wantHours {
				t.Fatalf("day length = %v h, want %v", h, tc.wantHours)
			}
		})
	}
	// A UTC instant maps to the Pacific day, not the UTC day.
	utc := time.Date(2026, 7, 1, 3, 0, 0, 0, time.UTC) // 2026-06-30 20:00 PDT
	if got, want := NextReset(utc, loc), la(t, "2026-07-01 00:00"); !got.Equal(want) {
		t.Fatalf("NextReset(UTC) = %s, want %s", got, want)
	}
}

func TestReserveUntilExhaustedThenNextDay(t *testing.T) {
	tr, clk := newTracker(t, Options{})
	ctx := context.Background()
	for i := 0; i < 6; i++ {
		if _, err := tr.ReserveUpload(ctx); err != nil {
			t.Fatalf("upload %d: %v", i+1, err)
		}
	}
	_, err := tr.ReserveUpload(ctx)
	if !errors.Is(err, ErrExhausted) {
		t.Fatalf("7th upload: err = %v, want ErrExhausted", err)
	}
	ce, ok := errcode.As(err)
	if !ok || ce.Code != errcode.YouTubeQuotaExceeded || ce.Retryable {
		t.Fatalf("coded error = %+v, want non-retryable %s", ce, errcode.YouTubeQuotaExceeded)
	}
	var ex *ExhaustedError
	if !errors.As(err, &ex) {
		t.Fatal("no *ExhaustedError in chain")
	}
	if want := la(t, "2026-05-11 00:00"); !ex.ResetAt.Equal(want) || ex.Used != 9600 || ex.Limit != 10000 {
		t.Fatalf("exhausted = %+v, want used 9600/10000 reset %s", ex, want)
	}
	if ce.RetryAfter != 12*time.Hour {
		t.Fatalf("RetryAfter = %v, want 12h", ce.RetryAfter)
	}
	// A thumbnail (50 units) still fits into the 400 left.
	if _, err := tr.ReserveThumbnail(ctx); err != nil {
		t.Fatalf("thumbnail: %v", err)
	}
	u, err := tr.Usage(ctx, YouTube)
	if err != nil {
		t.Fatal(err)
	}
	if u.Used != 9650 || *u.Limit != 10000 || *u.Remaining != 350 || u.Unit != "units" {
		t.Fatalf("usage = %+v", u)
	}

	// One minute after midnight Pacific the budget is fresh.
	clk.Set(la(t, "2026-05-11 00:01"))
	if _, err := tr.ReserveUpload(ctx); err != nil {
		t.Fatalf("after reset: %v", err)
	}
	u, _ = tr.Usage(ctx, YouTube)
	if u.Used != 1600 {
		t.Fatalf("used after reset = %d, want 1600", u.Used)
	}
}

func TestConcurrentReservationsNeverExceedLimit(t *testing.T) {
	tr, _ := newTracker(t, Options{YouTube: YouTubeCosts{DailyUnits: 10_000, Upload: 1_600}})
	ctx := context.Background()
	const workers = 64
	var ok, refused atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for j := 0; j < 5; j++ {
				_, err := tr.Reserve(ctx, YouTube, 1600)
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, ErrExhausted):
					refused.Add(1)
				default:
					t.Errorf("reserve: %v", err)
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	if ok.Load() != 6 || refused.Load() != workers*5-6 {
		t.Fatalf("granted %d, refused %d; want 6 granted", ok.Load(), refused.Load())
	}
	u, err := tr.Usage(ctx, YouTube)
	if err != nil {
		t.Fatal(err)
	}
	if u.Used != 9600 {
		t.Fatalf("used = %d, want 9600", u.Used)
	}
}

func TestBucketModel(t *testing.T) {
	tr, _ := newTracker(t, Options{YouTube: YouTubeCosts{InsertCallsPerDay: 2}})
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if _, err := tr.ReserveUpload(ctx); err != nil {
			t.Fatalf("upload %d: %v", i+1, err)
		}
	}
	if _, err := tr.ReserveUpload(ctx); !errors.Is(err, ErrExhausted) {
		t.Fatalf("third upload err = %v, want exhausted", err)
	}
	units, _ := tr.Usage(ctx, YouTube)
	if units.Used != 0 {
		t.Fatalf("bucket-model uploads must not spend units, used %d", units.Used)
	}
	snap, err := tr.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if snap.YouTube.Model != "buckets" || snap.YouTube.UploadsLeft != 0 || snap.YouTube.ThumbnailsLeft != 200 {
		t.Fatalf("youtube model = %+v", snap.YouTube)
	}
	if ins := snap.Services[YouTubeInsert]; ins.Used != 2 || *ins.Limit != 2 || ins.Unit != "calls" {
		t.Fatalf("insert bucket = %+v", ins)
	}
}

func TestReleaseRefundsTheReservedDay(t *testing.T) {
	tr, clk := newTracker(t, Options{})
	ctx := context.Background()
	clk.Set(la(t, "2026-05-10 23:59"))
	r, err := tr.ReserveUpload(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clk.Set(la(t, "2026-05-11 00:05"))
	r2, err := tr.ReserveUpload(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Refunding yesterday's reservation must not touch today's counter.
	if err := tr.Release(ctx, r); err != nil {
		t.Fatal(err)
	}
	u, _ := tr.Usage(ctx, YouTube)
	if u.Used != 1600 {
		t.Fatalf("today used = %d, want 1600", u.Used)
	}
	// Releasing twice never goes below zero.
	for i := 0; i < 2; i++ {
		if err := tr.Release(ctx, r2); err != nil {
			t.Fatal(err)
		}
	}
	u, _ = tr.Usage(ctx, YouTube)
	if u.Used != 0 {
		t.Fatalf("used after double release = %d, want 0", u.Used)
	}
}

func TestRecordMarkExhaustedAndKeyExpiry(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	clk := &clock{t: time.Now()}
	tr := New(rdb, Options{
		Now:    clk.Now,
		Limits: map[string]Limit{GeminiRequests: {Daily: 3, Unit: "requests", Code: "GEMINI_QUOTA_EXHAUSTED"}},
	})
	ctx := context.Background()
	if err := tr.RecordGemini(ctx, 5, 1234); err != nil {
		t.Fatal(err)
	}
	req, _ := tr.Usage(ctx, GeminiRequests)
	tok, _ := tr.Usage(ctx, GeminiTokens)
	if req.Used != 5 || *req.Remaining != 0 || tok.Used != 1234 || tok.Limit != nil {
		t.Fatalf("requests %+v tokens %+v", req, tok)
	}
	if _, err := tr.Reserve(ctx, GeminiRequests, 1); errcode.Code(err) != "GEMINI_QUOTA_EXHAUSTED" {
		t.Fatalf("reserve over recorded usage: %v", err)
	}

	if err := tr.MarkExhausted(ctx, YouTube); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.ReserveList(ctx); !errors.Is(err, ErrExhausted) {
		t.Fatalf("after MarkExhausted: %v", err)
	}

	day, reset := tr.day(clk.Now())
	ttl, err := rdb.TTL(ctx, tr.dayKey(YouTube, day)).Result()
	if err != nil {
		t.Fatal(err)
	}
	want := time.Until(reset.Add(72 * time.Hour))
	if ttl <= 0 || ttl > want+time.Minute || ttl < want-time.Minute {
		t.Fatalf("key TTL = %v, want about %v", ttl, want)
	}

	if _, err := tr.Reserve(ctx, "bad:name", 1); errcode.Code(err) != errcode.InvalidInput {
		t.Fatalf("bad service name: %v", err)
	}
	if _, err := tr.Reserve(ctx, YouTube, -1); errcode.Code(err) != errcode.InvalidInput {
		t.Fatalf("negative units: %v", err)
	}
}

func TestSnapshotAndWriteFile(t *testing.T) {
	tr, clk := newTracker(t, Options{})
	ctx := context.Background()
	clk.Set(time.Date(2026, 5, 10, 19, 0, 0, 0, time.UTC)) // 12:00 PDT
	if _, err := tr.ReserveUpload(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tr.Record(ctx, "stability", 7); err != nil {
		t.Fatal(err)
	}
	if err := tr.SetCredits(ctx, DID, Credits{Remaining: 40, Total: 90, Unit: "credits"}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "data", "quotas.json")
	if err := tr.WriteFile(ctx, path); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("quotas.json is not JSON: %v\n%s", err, raw)
	}
	services := doc["services"].(map[string]any)
	yt := services["youtube"].(map[string]any)
	if yt["used"].(float64) != 1600 || yt["limit"].(float64) != 10000 || yt["remaining"].(float64) != 8400 ||
		yt["unit"] != "units" || yt["reset_at"] != "2026-05-11T00:00:00-07:00" {
		t.Fatalf("youtube entry = %v", yt)
	}
	did := services["did"].(map[string]any)
	if did["kind"] != "credits" || did["remaining"].(float64) != 40 || did["used"].(float64) != 50 || did["limit"].(float64) != 90 {
		t.Fatalf("did entry = %v", did)
	}
	st := services["stability"].(map[string]any)
	if st["used"].(float64) != 7 || st["limit"] != nil || st["remaining"] != nil {
		t.Fatalf("stability entry (unlimited) = %v", st)
	}
	if doc["day"] != "2026-05-10" || doc["timezone"] != "America/Los_Angeles" {
		t.Fatalf("day/timezone = %v/%v", doc["day"], doc["timezone"])
	}
	ytm := doc["youtube"].(map[string]any)
	if ytm["model"] != "units" || ytm["uploads_left"].(float64) != 5 {
		t.Fatalf("youtube model = %v", ytm)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Fatalf("mode = %v", fi.Mode())
	}
	c, ok, err := tr.Credits(ctx, DID)
	if err != nil || !ok || c.Remaining != 40 || c.UpdatedAt.IsZero() {
		t.Fatalf("credits = %+v %v %v", c, ok, err)
	}
}

func TestRedisDownIsRetryable(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	tr := New(rdb, Options{})
	srv.Kill()
	_, err := tr.ReserveUpload(context.Background())
	ce, ok := errcode.As(err)
	if !ok || ce.Code != errcode.RedisUnavailable || !ce.Retryable {
		t.Fatalf("err = %v, want retryable %s", err, errcode.RedisUnavailable)
	}
}
