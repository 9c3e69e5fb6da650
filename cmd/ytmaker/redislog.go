package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"
)

// go-redis logs connection failures through a package-level logger of its
// own; while Redis is starting or restarting those lines are expected and
// only noise, so they go to the debug level of the default slog logger.
type redisLog struct{}

func (redisLog) Printf(ctx context.Context, format string, v ...any) {
	slog.Default().Debug(fmt.Sprintf(format, v...), "source", "go-redis")
}

func init() { redis.SetLogger(redisLog{}) }
