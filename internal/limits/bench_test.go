package limits

import (
	"context"
	"testing"

	"github.com/ytmaker/ytmaker/internal/redistest"
)

// BenchmarkAcquireRelease measures what a limited call adds: taking a
// slot (one script) and giving it back (one ZREM), against a real Redis
// on loopback. BenchmarkRedisRoundTrip, one PING, is the baseline.
func BenchmarkAcquireRelease(b *testing.B) {
	c := redistest.Start(b).Client()
	l := New(Config{Redis: c, Limits: map[string]Limit{Stability: {InFlight: 4, PerMinute: 1 << 30}}})
	ctx := context.Background()
	for b.Loop() {
		s, err := l.Acquire(ctx, Stability)
		if err != nil {
			b.Fatal(err)
		}
		s.Release()
	}
}

func BenchmarkRedisRoundTrip(b *testing.B) {
	c := redistest.Start(b).Client()
	ctx := context.Background()
	for b.Loop() {
		if err := c.Ping(ctx).Err(); err != nil {
			b.Fatal(err)
		}
	}
}
