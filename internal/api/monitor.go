package api

import (
	"fmt"
	"strings"

	"github.com/hibiken/asynqmon"

	"github.com/ytmaker/ytmaker/internal/rdb"
)

// MonitorPath is where serve mounts the queue dashboard.
const MonitorPath = "/monitor"

// NewMonitor returns the asynqmon dashboard (the counterpart of Celery's
// Flower) for the Redis conn reaches (directly or through Sentinel), serving its UI and its API under
// rootPath ("" or "/" for the root). Close it to release its Redis
// connections.
func NewMonitor(conn rdb.Conn, rootPath string) (*asynqmon.HTTPHandler, error) {
	if err := conn.Validate(); err != nil {
		return nil, fmt.Errorf("monitor: %w", err)
	}
	rootPath = strings.TrimSuffix(rootPath, "/")
	if rootPath != "" && !strings.HasPrefix(rootPath, "/") {
		return nil, fmt.Errorf("monitor: root path %q must start with /", rootPath)
	}
	return asynqmon.New(asynqmon.Options{RootPath: rootPath, RedisConnOpt: conn}), nil
}
