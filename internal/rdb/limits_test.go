package rdb

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ytmaker/ytmaker/internal/redistest"
)

func TestTakeCall(t *testing.T) {
	ctx := context.Background()
	c := redistest.Start(t).Client()
	type step struct {
		op    string // take | end
		token string
		ok    bool   // take: granted
		full  string // take: limit named when refused
	}
	for _, tc := range []struct {
		name  string
		limit CallLimit
		steps []step
	}{
		{"no limit", CallLimit{}, []step{{"take", "a", true, ""}, {"take", "b", true, ""}, {"take", "c", true, ""}}},
		{"in flight", CallLimit{InFlight: 2}, []step{
			{"take", "a", true, ""}, {"take", "b", true, ""}, {"take", "c", false, "in_flight"},
			{"end", "a", false, ""}, {"take", "c", true, ""}, {"take", "d", false, "in_flight"}}},
		{"per minute", CallLimit{PerMinute: 2}, []step{
			{"take", "a", true, ""}, {"end", "a", false, ""}, {"take", "b", true, ""}, {"end", "b", false, ""},
			{"take", "c", false, "per_minute"}}},
		{"in flight before per minute", CallLimit{InFlight: 1, PerMinute: 1}, []step{
			{"take", "a", true, ""}, {"take", "b", false, "in_flight"}, {"end", "a", false, ""},
			{"take", "b", false, "per_minute"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			provider := "p-" + tc.name
			for i, s := range tc.steps {
				if s.op == "end" {
					if err := EndCall(ctx, c, provider, s.token); err != nil {
						t.Fatal(err)
					}
					continue
				}
				g, err := TakeCall(ctx, c, provider, s.token, tc.limit, time.Minute)
				if err != nil {
					t.Fatal(err)
				}
				if g.OK != s.ok || g.Full != s.full {
					t.Fatalf("step %d take %s = %+v, want ok=%v full=%q", i, s.token, g, s.ok, s.full)
				}
				if g.Full == "per_minute" && (g.Wait <= 0 || g.Wait > CallWindow+time.Millisecond) {
					t.Fatalf("step %d: wait %v, want within the window", i, g.Wait)
				}
				if g.Full == "in_flight" && (g.Wait <= 0 || g.Wait > time.Minute) {
					t.Fatalf("step %d: wait %v, want until a lease expires", i, g.Wait)
				}
			}
		})
	}
}

func TestCallCountsAndWindow(t *testing.T) {
	ctx := context.Background()
	c := redistest.Start(t).Client()
	lim := CallLimit{InFlight: 10, PerMinute: 3}
	for _, tok := range []string{"a", "b", "c"} {
		if g, err := TakeCall(ctx, c, "x", tok, lim, time.Minute); err != nil || !g.OK {
			t.Fatalf("take %s: %+v %v", tok, g, err)
		}
	}
	EndCall(ctx, c, "x", "a")
	got, err := CallCounts(ctx, c, []string{"x", "unused"})
	if err != nil {
		t.Fatal(err)
	}
	if got["x"] != (CallCount{InFlight: 2, LastMinute: 3}) || got["unused"] != (CallCount{}) {
		t.Fatalf("counts %+v", got)
	}
	// Age the calls by hand: once the oldest is older than the window,
	// one more call fits, and only one.
	old := float64(time.Now().Add(-CallWindow - time.Second).UnixMilli())
	c.ZAdd(ctx, CallsKey("x"), redis.Z{Score: old, Member: "a"})
	if g, _ := TakeCall(ctx, c, "x", "d", lim, time.Minute); !g.OK {
		t.Fatalf("a call that left the window still counts: %+v", g)
	}
	if g, _ := TakeCall(ctx, c, "x", "e", lim, time.Minute); g.OK || g.Full != "per_minute" {
		t.Fatalf("fourth call in the window: %+v", g)
	}
}

func TestCallLeaseExpiresUnlessRenewed(t *testing.T) {
	ctx := context.Background()
	c := redistest.Start(t).Client()
	lim := CallLimit{InFlight: 1}
	lease := 600 * time.Millisecond
	if g, _ := TakeCall(ctx, c, "y", "held", lim, lease); !g.OK {
		t.Fatal("first take refused")
	}
	// Renewed: the lease outlives several lease periods.
	start := time.Now()
	for time.Since(start) < 3*lease {
		if ok, err := RenewCall(ctx, c, "y", "held", lease); err != nil || !ok {
			t.Fatalf("renew = %v, %v", ok, err)
		}
		if g, _ := TakeCall(ctx, c, "y", "other", lim, lease); g.OK {
			t.Fatal("a renewed lease was taken over")
		}
		time.Sleep(lease / 6)
	}
	// Abandoned (its holder died): the slot frees within the lease.
	abandoned := time.Now()
	deadline := abandoned.Add(10 * time.Second)
	for {
		g, err := TakeCall(ctx, c, "y", "other", lim, lease)
		if err != nil {
			t.Fatal(err)
		}
		if g.OK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("an abandoned lease never expired")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if waited := time.Since(abandoned); waited > lease+500*time.Millisecond {
		t.Fatalf("slot freed after %v, lease %v", waited, lease)
	}
	// Renewing an expired lease takes it again and says so.
	if ok, err := RenewCall(ctx, c, "y", "gone", lease); err != nil || ok {
		t.Fatalf("renew of a lost lease = %v, %v", ok, err)
	}
	if n, _ := CallCounts(ctx, c, []string{"y"}); n["y"].InFlight != 2 {
		t.Fatalf("in flight after retaking: %+v", n)
	}
}

// Two clients (two workers) taking calls as fast as they can never hold
// more than the limit at once.
func TestTakeCallConcurrentClients(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	c1, c2 := srv.Client(), srv.Client()
	const limit = 3
	var holding, peak, taken atomic.Int32
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := c1
			if w%2 == 1 {
				c = c2
			}
			for i := 0; taken.Load() < 150; i++ {
				tok := fmt.Sprintf("w%d-%d", w, i)
				g, err := TakeCall(ctx, c, "z", tok, CallLimit{InFlight: limit}, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if !g.OK {
					time.Sleep(time.Millisecond)
					continue
				}
				taken.Add(1)
				n := holding.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				time.Sleep(2 * time.Millisecond)
				holding.Add(-1)
				if err := EndCall(ctx, c, "z", tok); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > limit || p < 2 {
		t.Fatalf("peak in flight %d, limit %d", p, limit)
	}
}

func TestRenderUsages(t *testing.T) {
	ctx := context.Background()
	c := redistest.Start(t).Client()
	a := RenderUsage{Instance: "a", Host: "h1", PID: 10, InFlight: 1, Max: 2}
	b := RenderUsage{Instance: "b", Host: "h2", PID: 11, Max: 1}
	for _, u := range []RenderUsage{a, b} {
		if err := PutRenderUsage(ctx, c, u); err != nil {
			t.Fatal(err)
		}
	}
	got, err := RenderUsages(ctx, c)
	if err != nil || len(got) != 2 {
		t.Fatalf("usages %+v %v", got, err)
	}
	// b's record expires (its worker was killed): it is forgotten.
	c.Del(ctx, RenderUsageKey("b"))
	got, _ = RenderUsages(ctx, c)
	if len(got) != 1 || got[0] != a {
		t.Fatalf("after b expired: %+v", got)
	}
	if n, _ := c.SCard(ctx, RenderWorkersKey).Result(); n != 1 {
		t.Fatalf("index keeps %d instances", n)
	}
	RemoveRenderUsage(ctx, c, "a")
	if got, _ := RenderUsages(ctx, c); len(got) != 0 {
		t.Fatalf("after removal: %+v", got)
	}
}
