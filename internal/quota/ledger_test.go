package quota

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/redistest"
)

// TestCountsLostInAFailoverComeBackFromTheLedgers: two processes spend
// YouTube units; Redis then loses the counter (a replica promoted without
// the last writes). Usage and the next reservations count from what the
// two ledgers prove, never from the lost count.
func TestCountsLostInAFailoverComeBackFromTheLedgers(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	c := &clock{t: la(t, "2026-05-10 12:00")}
	dir := t.TempDir()
	now := c.Now()
	a := New(srv.Client(), Options{Now: c.Now, Ledger: OpenLedger(dir, "host-a-1x1", 72*time.Hour, now)})
	b := New(srv.Client(), Options{Now: c.Now, Ledger: OpenLedger(dir, "host-b-2x2", 72*time.Hour, now)})

	for _, tr := range []*Tracker{a, a, b} {
		if _, err := tr.Reserve(ctx, YouTube, 1600); err != nil {
			t.Fatal(err)
		}
	}
	r, err := b.Reserve(ctx, YouTube, 1600)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Release(ctx, r); err != nil { // the call was never made
		t.Fatal(err)
	}
	if u, _ := a.Usage(ctx, YouTube); u.Used != 4800 {
		t.Fatalf("used %d before the loss, want 4800", u.Used)
	}

	srv.Client().FlushAll(ctx) // the new master never got the counts

	for name, tr := range map[string]*Tracker{"a": a, "b": b} {
		if u, err := tr.Usage(ctx, YouTube); err != nil || u.Used != 4800 {
			t.Fatalf("usage seen by %s after the loss = %d (%v), want 4800", name, u.Used, err)
		}
	}
	if snap, err := a.Snapshot(ctx); err != nil || snap.Services[YouTube].Used != 4800 {
		t.Fatalf("snapshot after the loss: %+v %v", snap.Services[YouTube], err)
	}
	// 4800 + 6400 passes the 10,000 units: refused, as before the loss.
	if _, err := a.Reserve(ctx, YouTube, 6400); !errors.Is(err, ErrExhausted) {
		t.Fatalf("reserve past the budget after the loss: %v", err)
	}
	if _, err := b.Reserve(ctx, YouTube, 1600); err != nil {
		t.Fatal(err)
	}
	if n, _ := srv.Client().Get(ctx, a.dayKey(YouTube, "2026-05-10")).Int64(); n != 6400 {
		t.Fatalf("counter %d after the next reservation, want 6400", n)
	}
	if ttl := srv.Client().TTL(ctx, a.dayKey(YouTube, "2026-05-10")).Val(); ttl <= 0 {
		t.Fatalf("counter has no expiry (%s)", ttl)
	}

	// A process restarted under the same name continues its ledger.
	a2 := New(srv.Client(), Options{Now: c.Now, Ledger: OpenLedger(dir, "host-a-1x1", 72*time.Hour, now)})
	srv.Client().FlushAll(ctx)
	if u, _ := a2.Usage(ctx, YouTube); u.Used != 6400 {
		t.Fatalf("used %d after a restart and another loss, want 6400", u.Used)
	}

	// A service marked exhausted stays exhausted after a loss.
	if err := a2.MarkExhausted(ctx, YouTube); err != nil {
		t.Fatal(err)
	}
	srv.Client().FlushAll(ctx)
	if _, err := b.Reserve(ctx, YouTube, 50); !errors.Is(err, ErrExhausted) {
		t.Fatalf("reserve after an exhausted day lost its count: %v", err)
	}

	// The next day starts from zero; old days are removed after keep.
	c.Set(la(t, "2026-05-11 01:00"))
	if u, _ := a.Usage(ctx, YouTube); u.Used != 0 {
		t.Fatalf("next day used %d", u.Used)
	}
	OpenLedger(dir, "host-c-3x3", 24*time.Hour, la(t, "2026-05-13 01:00"))
	if f := OpenLedger(dir, "host-c-3x3", time.Hour, c.Now()).Floor("2026-05-10", YouTube); f != 0 {
		t.Fatalf("an old day survived the cleanup: floor %d", f)
	}
}
