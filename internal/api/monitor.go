package api

import (
	"fmt"
	"strings"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
)

// MonitorPath is where serve mounts the queue dashboard.
const MonitorPath = "/monitor"

// NewMonitor returns the asynqmon dashboard (the counterpart of Celery's
// Flower) for the Redis at redisURL, serving its UI and its API under
// rootPath ("" or "/" for the root). Close it to release its Redis
// connections.
func NewMonitor(redisURL, rootPath string) (*asynqmon.HTTPHandler, error) {
	opt, err := asynq.ParseRedisURI(redisURL)
	if err != nil {
		return nil, fmt.Errorf("monitor: redis url: %w", err)
	}
	rootPath = strings.TrimSuffix(rootPath, "/")
	if rootPath != "" && !strings.HasPrefix(rootPath, "/") {
		return nil, fmt.Errorf("monitor: root path %q must start with /", rootPath)
	}
	return asynqmon.New(asynqmon.Options{RootPath: rootPath, RedisConnOpt: opt}), nil
}
