package main

import (
	"context"
	"log/slog"
	"path/filepath"

	"github.com/redis/go-redis/v9"

	"github.com/ytmaker/ytmaker/internal/config"
	"github.com/ytmaker/ytmaker/internal/pipeline"
	"github.com/ytmaker/ytmaker/internal/providers/youtube"
	"github.com/ytmaker/ytmaker/internal/quota"
	"github.com/ytmaker/ytmaker/internal/store"
	"github.com/ytmaker/ytmaker/tasks"
)

// youtubeTokenFile is where `ytmaker youtube auth` keeps the refresh token.
func youtubeTokenFile(c *config.Config) string { return filepath.Join(c.DataDir, "youtube_token.json") }

// youtubeConfig returns the YouTube client settings: the refresh token from
// YOUTUBE_REFRESH_TOKEN, or from the file `ytmaker youtube auth` saved.
func youtubeConfig(c *config.Config) youtube.Config {
	yc := youtube.Config{ClientID: c.YouTubeClientID, ClientSecret: c.YouTubeClientSecret, RefreshToken: c.YouTubeRefreshToken,
		TokenURL: c.GoogleOAuthTokenURL, BaseURL: c.YouTubeBaseURL}
	if yc.RefreshToken == "" {
		if tok, err := youtube.LoadToken(youtubeTokenFile(c)); err == nil && tok != nil {
			yc.RefreshToken = tok.RefreshToken
		}
	}
	return yc
}

// newQuota returns the shared quota tracker on its own Redis client (go-redis
// connects lazily, so this works before Redis is up).
func newQuota(c *config.Config, log *slog.Logger) (*quota.Tracker, *redis.Client, error) {
	opt, err := redis.ParseURL(c.RedisURL)
	if err != nil {
		return nil, nil, err
	}
	rdb := redis.NewClient(opt)
	t := quota.New(rdb, quota.Options{Logger: log, YouTube: quota.YouTubeCosts{DailyUnits: int64(c.YouTubeDailyQuota),
		Upload: int64(c.YouTubeUploadCost), Thumbnail: int64(c.YouTubeThumbnailCost)}})
	return t, rdb, nil
}

// hooks lets serve wire metrics into the pipeline.
type pipelineHooks struct {
	RenderFinished func(videoSeconds, wallSeconds float64)
	UploadBytes    func(n int64)
}

// pipelineStages builds the five stages and the quota sync from the
// configuration.
func pipelineStages(c *config.Config, log *slog.Logger, hooks ...pipelineHooks) (map[string]tasks.Stage, func(ctx context.Context) (any, error), func(), error) {
	st, err := store.Open(c.DataDir)
	if err != nil {
		return nil, nil, nil, err
	}
	tracker, rdb, err := newQuota(c, log)
	if err != nil {
		return nil, nil, nil, err
	}
	cfg := pipeline.Config{Store: st, Quota: tracker,
		GeminiAPIKey: c.GeminiAPIKey, GeminiModel: c.GeminiModel, GeminiBaseURL: c.GeminiBaseURL,
		StabilityAPIKey: c.StabilityAPIKey, StabilityBaseURL: c.StabilityBaseURL,
		DIDAPIKey: c.DIDAPIKey, DIDBaseURL: c.DIDBaseURL,
		GoogleTTSAPIKey: c.GoogleTTSAPIKey, GoogleTTSBaseURL: c.GoogleTTSBaseURL,
		YouTube: youtubeConfig(c), FFmpeg: c.FFmpeg, FFprobe: c.FFprobe, AssetConcurrency: c.AssetConcurrency,
		Logger: log.With("component", "pipeline")}
	for _, h := range hooks {
		cfg.RenderFinished, cfg.UploadBytes = h.RenderFinished, h.UploadBytes
	}
	p, err := pipeline.New(cfg)
	if err != nil {
		rdb.Close()
		return nil, nil, nil, err
	}
	return p.Stages(), p.SyncQuotas, func() { p.Close(); rdb.Close() }, nil
}
