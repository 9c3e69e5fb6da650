package limits

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/redistest"
	"github.com/ytmaker/ytmaker/internal/stage"
)

func TestMain(m *testing.M) {
	if addr := os.Getenv("LIMITS_TEST_HOLDER"); addr != "" {
		holdForever(addr)
		return
	}
	os.Exit(m.Run())
}

// holdForever takes the one stability slot and keeps it (renewing its
// lease) until the process is killed.
func holdForever(addr string) {
	c := redis.NewClient(&redis.Options{Addr: addr})
	l := New(Config{Redis: c, Limits: map[string]Limit{Stability: {InFlight: 1}}, Lease: holderLease})
	if _, err := l.Acquire(context.Background(), Stability); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("held")
	select {}
}

const holderLease = 1500 * time.Millisecond

func TestEnvNames(t *testing.T) {
	for _, tc := range []struct{ p, in, min string }{
		{Stability, "LIMIT_STABILITY_IN_FLIGHT", "LIMIT_STABILITY_PER_MINUTE"},
		{GoogleTTS, "LIMIT_GOOGLE_TTS_IN_FLIGHT", "LIMIT_GOOGLE_TTS_PER_MINUTE"},
		{DID, "LIMIT_D_ID_IN_FLIGHT", "LIMIT_D_ID_PER_MINUTE"},
	} {
		in, pm := EnvNames(tc.p)
		if in != tc.in || pm != tc.min {
			t.Errorf("EnvNames(%s) = %s, %s", tc.p, in, pm)
		}
	}
	d := Defaults()
	for _, p := range Providers {
		if _, ok := d[p]; !ok {
			t.Errorf("no default for %s", p)
		}
	}
	if d[Stability].PerMinute != 150 || d[Pixabay].PerMinute != 100 {
		t.Errorf("defaults %+v", d)
	}
}

// Two limiters on one Redis (two workers) sending requests through their
// clients as fast as they can: the service never sees more requests at
// once than the limit, and every request gets through.
func TestTwoLimitersNeverExceedInFlight(t *testing.T) {
	srv := redistest.Start(t)
	const limit = 3
	var now, peak, served atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := now.Add(1)
		defer now.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(15 * time.Millisecond)
		served.Add(1)
		io.WriteString(w, strings.Repeat("x", 64<<10)) // read in several pieces
	}))
	defer api.Close()
	lims := map[string]Limit{Stability: {InFlight: limit}}
	workers := []*http.Client{
		New(Config{Redis: srv.Client(), Limits: lims, MaxWait: time.Minute}).Client(Stability, nil),
		New(Config{Redis: srv.Client(), Limits: lims, MaxWait: time.Minute}).Client(Stability, nil),
	}
	const calls = 60
	var wg sync.WaitGroup
	errs := make(chan error, calls)
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := workers[i%2].Get(api.URL)
			if err != nil {
				errs <- err
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if served.Load() != calls {
		t.Fatalf("served %d of %d", served.Load(), calls)
	}
	if p := peak.Load(); p > limit || p < 2 {
		t.Fatalf("peak requests at once %d, limit %d", p, limit)
	}
	usage, err := Read(context.Background(), srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range usage {
		if u.Provider == Stability && (u.InFlight != 0 || u.LastMinute != calls) {
			t.Fatalf("after the calls: %+v", u)
		}
	}
}

// The per-minute limit counts the calls of every worker; the call past it
// fails PROVIDER_BUSY once waiting in place would take longer than
// MaxWait, and says when the window lets one more through.
func TestPerMinuteWindowHolds(t *testing.T) {
	srv := redistest.Start(t)
	lims := map[string]Limit{Pixabay: {PerMinute: 5}}
	a := New(Config{Redis: srv.Client(), Limits: lims, MaxWait: 200 * time.Millisecond})
	b := New(Config{Redis: srv.Client(), Limits: lims, MaxWait: 200 * time.Millisecond})
	ctx := context.Background()
	for i := range 5 {
		l := a
		if i%2 == 1 {
			l = b
		}
		s, err := l.Acquire(ctx, Pixabay)
		if err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
		s.Release()
	}
	for _, l := range []*Limiter{a, b} {
		start := time.Now()
		_, err := l.Acquire(ctx, Pixabay)
		e := Busy(err)
		if e == nil || e.Code != ProviderBusy || e.Details["limit"] != "per_minute" {
			t.Fatalf("sixth call: %v", err)
		}
		if e.RetryAfter < 50*time.Second || e.RetryAfter > time.Minute+time.Millisecond {
			t.Fatalf("retry after %v, want the rest of the minute", e.RetryAfter)
		}
		if time.Since(start) > 2*time.Second {
			t.Fatalf("a wait known to be long was waited in place for %v", time.Since(start))
		}
	}
	u, _ := Read(ctx, srv.Client())
	for _, x := range u {
		if x.Provider == Pixabay && x.LastMinute != 5 {
			t.Fatalf("pixabay calls in the last minute: %+v", x)
		}
	}
}

// A worker killed with SIGKILL while it holds a slot cannot give it
// back; its lease lapses and the slot is free again within the lease.
func TestKilledHoldersSlotIsFreedWithinItsLease(t *testing.T) {
	srv := redistest.Start(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LIMITS_TEST_HOLDER="+srv.Addr)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "held\n" {
		t.Fatalf("holder said %q, %v", line, err)
	}
	ctx := context.Background()
	lims := map[string]Limit{Stability: {InFlight: 1}}
	// Alive, the holder renews its lease: the slot stays taken for more
	// than two leases.
	l := New(Config{Redis: srv.Client(), Limits: lims, MaxWait: 2*holderLease + 500*time.Millisecond})
	if _, err := l.Acquire(ctx, Stability); Busy(err) == nil {
		t.Fatalf("slot of a live holder: %v", err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	killed := time.Now()
	l = New(Config{Redis: srv.Client(), Limits: lims, MaxWait: 20 * time.Second})
	s, err := l.Acquire(ctx, Stability)
	if err != nil {
		t.Fatalf("slot of a killed holder: %v", err)
	}
	defer s.Release()
	// The poll interval (≤ 1 s) comes on top of the lease.
	if waited := time.Since(killed); waited > holderLease+1500*time.Millisecond {
		t.Fatalf("slot freed %v after the kill; lease %v", waited, holderLease)
	}
}

// A request over the limit fails through the provider client's own error
// wrapping, and Waiting still finds the limit in it and asks the worker
// to run the stage again when the limit allows.
func TestWaitingTurnsABusyCallIntoASnooze(t *testing.T) {
	srv := redistest.Start(t)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer api.Close()
	l := New(Config{Redis: srv.Client(), Limits: map[string]Limit{YouTube: {InFlight: 1}}, MaxWait: 100 * time.Millisecond})
	hold, err := l.Acquire(context.Background(), YouTube)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Release()
	_, err = l.Client(YouTube, nil).Get(api.URL)
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Fatalf("get = %v", err)
	}
	// As a provider client codes it: its own code, the cause kept.
	wrapped := fmt.Errorf("upload: %w", errcode.New("YOUTUBE_NETWORK_ERROR", "connection failed", true).WithCause(err))
	before := time.Now()
	got := Waiting(wrapped)
	var sn *stage.SnoozeError
	if !errors.As(got, &sn) {
		t.Fatalf("Waiting = %v, want a snooze", got)
	}
	if sn.Err.Code != ProviderBusy || sn.Until.Before(before.Add(busySnooze)) || sn.Until.After(time.Now().Add(2*busySnooze)) {
		t.Fatalf("snooze %+v until %v", sn.Err, sn.Until)
	}
	if other := errors.New("disk full"); Waiting(other) != other {
		t.Fatal("Waiting changed an unrelated error")
	}
}

func TestUnlimitedProviderNeedsNoRedis(t *testing.T) {
	l := New(Config{Redis: redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), Limits: map[string]Limit{}})
	s, err := l.Acquire(context.Background(), Gemini)
	if err != nil {
		t.Fatal(err)
	}
	s.Release()
	var nilLimiter *Limiter
	if c := nilLimiter.Client(Gemini, http.DefaultClient); c != http.DefaultClient {
		t.Fatal("a nil limiter changed the client")
	}
}

func TestGate(t *testing.T) {
	g := NewGate(1, 100*time.Millisecond)
	ctx := context.Background()
	leave, err := g.Enter(ctx)
	if err != nil || g.InFlight() != 1 || g.Max() != 1 {
		t.Fatalf("enter = %v; in flight %d of %d", err, g.InFlight(), g.Max())
	}
	_, err = g.Enter(ctx)
	if b := Busy(err); b == nil || b.Code != RendersBusy || b.RetryAfter < busySnooze {
		t.Fatalf("second render = %v", err)
	}
	entered := make(chan struct{})
	go func() {
		g2 := g
		l2, err := g2.Enter(ctx)
		if err == nil {
			l2()
		}
		close(entered)
	}()
	leave()
	leave() // twice is harmless
	<-entered
	if g.InFlight() != 0 {
		t.Fatalf("in flight %d after both left", g.InFlight())
	}
	if NewGate(0, 0).Max() != DefaultRenders() || DefaultRenders() < 1 {
		t.Fatal("default renders")
	}
}

func TestReportPublishesRendersAndLimits(t *testing.T) {
	srv := redistest.Start(t)
	c := srv.Client()
	l := New(Config{Redis: c})
	g := NewGate(2, 0)
	stop := Report(c, l, g, nil)
	leave, _ := g.Enter(context.Background())
	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rs, err := Renders(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) == 1 && rs[0].InFlight == 1 && rs[0].Max == 2 && rs[0].PID == os.Getpid() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("renders %+v", rs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	leave()
	u, err := Read(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range u {
		if x.Provider == Stability && (x.MaxInFlight != 4 || x.MaxPerMinute != 150) {
			t.Fatalf("recorded limits %+v", x)
		}
	}
	stop()
	if rs, _ := Renders(ctx, c); len(rs) != 0 {
		t.Fatalf("renders after stop %+v", rs)
	}
}
