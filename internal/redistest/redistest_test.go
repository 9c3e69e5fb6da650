package redistest

import (
	"context"
	"testing"
)

func TestStartKillRestartKeepsData(t *testing.T) {
	s := Start(t)
	c := s.Client()
	ctx := context.Background()
	// Make every write durable at once so the kill below cannot lose it.
	if err := c.ConfigSet(ctx, "appendfsync", "always").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	s.Restart()
	c2 := s.Client()
	if got, err := c2.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("after restart Get = %q, %v; want v", got, err)
	}
}
