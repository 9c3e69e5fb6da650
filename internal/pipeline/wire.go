package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/ytmaker/ytmaker/internal/config"
	"github.com/ytmaker/ytmaker/internal/limits"
	"github.com/ytmaker/ytmaker/internal/owner"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/providers/youtube"
	"github.com/ytmaker/ytmaker/internal/quota"
	"github.com/ytmaker/ytmaker/internal/rdb"
	"github.com/ytmaker/ytmaker/internal/stage"
	"github.com/ytmaker/ytmaker/internal/store"
)

// YouTubeTokenFile is where `ytmaker youtube auth` keeps the refresh token.
func YouTubeTokenFile(dataDir string) string { return filepath.Join(dataDir, "youtube_token.json") }

// youTubeTokenFileFor is the token file uploads follow: none when
// YOUTUBE_REFRESH_TOKEN fixes the token.
func youTubeTokenFileFor(c *config.Config) string {
	if c.YouTubeRefreshToken != "" {
		return ""
	}
	return YouTubeTokenFile(c.DataDir)
}

// YouTubeConfig returns the YouTube client settings: the refresh token from
// YOUTUBE_REFRESH_TOKEN, or else from the file `ytmaker youtube auth` saved.
func YouTubeConfig(c *config.Config) youtube.Config {
	yc := youtube.Config{ClientID: c.YouTubeClientID, ClientSecret: c.YouTubeClientSecret, RefreshToken: c.YouTubeRefreshToken,
		TokenURL: c.GoogleOAuthTokenURL, BaseURL: c.YouTubeBaseURL}
	if yc.RefreshToken == "" {
		if tok, err := youtube.LoadToken(YouTubeTokenFile(c.DataDir)); err == nil && tok != nil {
			yc.RefreshToken = tok.RefreshToken
		}
	}
	return yc
}

// NewQuota returns the shared quota tracker with the YouTube limits and
// the providers' daily budgets of c.
func NewQuota(c *config.Config, rdb redis.Cmdable, log *slog.Logger) *quota.Tracker {
	// Every tracker keeps its own ledger file (a process may hold two).
	name := owner.Host() + "-" + owner.Self().String() + "-" + uuid.NewString()[:8]
	ledger := quota.OpenLedger(filepath.Join(c.DataDir, "quota-ledger"), name, 72*time.Hour, time.Now())
	return quota.New(rdb, quota.Options{Logger: log, Ledger: ledger, Limits: quota.DailyLimits(c.DailyLimits), YouTube: quota.YouTubeCosts{DailyUnits: int64(c.YouTubeDailyQuota),
		Upload: int64(c.YouTubeUploadCost), Thumbnail: int64(c.YouTubeThumbnailCost)}})
}

// Hooks observe the pipeline (metrics). Every field is optional.
type Hooks struct {
	RenderFinished func(videoSeconds, wallSeconds float64)
	UploadBytes    func(n int64)
}

// Wired is the pipeline built from the settings: what a worker needs.
type Wired struct {
	Stages     map[string]stage.Stage
	SyncQuotas func(ctx context.Context) (any, error)
	// Renders bounds this process's renders (MAX_RENDERS); for metrics.
	Renders *limits.Gate
	close   func()
}

// Close releases what FromConfig opened.
func (w *Wired) Close() { w.close() }

// FromConfig builds the five stages and the quota sync the way every
// YTMaker process runs them: providers whose keys are set in c, offline
// defaults otherwise. client holds the quota counters; nil opens a client on
// c.RedisConn() (go-redis connects lazily, so Redis need not be up yet),
// closed by Close.
func FromConfig(c *config.Config, client redis.UniversalClient, log *slog.Logger, hooks Hooks) (*Wired, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st, err := store.Open(c.DataDir)
	if err != nil {
		return nil, err
	}
	closeRedis := func() {}
	if client == nil {
		own, err := c.RedisConn().NewClient(rdb.Tuning{})
		if err != nil {
			return nil, fmt.Errorf("pipeline: %w", err)
		}
		client, closeRedis = own, func() { own.Close() }
	}
	pc := services(c)
	pc.Store, pc.Quota = st, NewQuota(c, client, log)
	pc.FFmpeg, pc.FFprobe, pc.AssetConcurrency = c.FFmpeg, c.FFprobe, c.AssetConcurrency
	pc.RenderFinished, pc.UploadBytes = hooks.RenderFinished, hooks.UploadBytes
	pc.Logger = log.With("component", "pipeline")
	pc.Limiter = limits.New(limits.Config{Redis: client, Limits: c.ProviderLimits, MaxWait: c.LimitWait,
		Logger: log.With("component", "limits")})
	pc.Renders = limits.NewGate(c.MaxRenders, c.LimitWait)
	p, err := New(pc)
	if err != nil {
		closeRedis()
		return nil, err
	}
	// Keep this worker's limits and renders visible in /status.
	stopReport := limits.Report(client, pc.Limiter, pc.Renders, log)
	return &Wired{Stages: p.Stages(), SyncQuotas: p.SyncQuotas, Renders: pc.Renders,
		close: func() { stopReport(); p.Close(); closeRedis() }}, nil
}

// services returns the online services' settings of c: keys, base URLs,
// models, voices and the default choices.
func services(c *config.Config) Config {
	return Config{
		GeminiAPIKey: c.GeminiAPIKey, GeminiModel: c.GeminiModel, GeminiBaseURL: c.GeminiBaseURL,
		LLMProvider: c.LLMProvider, OpenAIBaseURL: c.OpenAIBaseURL, OpenAIAPIKey: c.OpenAIAPIKey, OpenAIModel: c.OpenAIModel,
		StabilityAPIKey: c.StabilityAPIKey, StabilityBaseURL: c.StabilityBaseURL,
		PexelsAPIKey: c.PexelsAPIKey, PexelsBaseURL: c.PexelsBaseURL, PixabayAPIKey: c.PixabayAPIKey, PixabayBaseURL: c.PixabayBaseURL,
		StockCacheDir: filepath.Join(c.DataDir, "cache", "stock"), StockCacheBytes: int64(c.StockCacheMB) << 20,
		StockMaxDownload: int64(c.StockMaxDownloadMB) << 20,
		ImageProvider:    c.ImageProvider, OpenAIImagesBaseURL: c.OpenAIImagesBaseURL, OpenAIImageModel: c.OpenAIImageModel,
		GeminiImageModel: c.GeminiImageModel, GeminiTTSModel: c.GeminiTTSModel, GeminiTTSVoice: c.GeminiTTSVoice,
		DIDAPIKey: c.DIDAPIKey, DIDBaseURL: c.DIDBaseURL,
		GoogleTTSAPIKey: c.GoogleTTSAPIKey, GoogleTTSBaseURL: c.GoogleTTSBaseURL,
		TTSProvider: c.TTSProvider, OpenAITTSBaseURL: c.OpenAITTSBaseURL, OpenAITTSModel: c.OpenAITTSModel,
		OpenAITTSVoice: c.OpenAITTSVoice, ElevenLabsAPIKey: c.ElevenLabsAPIKey, ElevenLabsBaseURL: c.ElevenLabsBaseURL,
		ElevenLabsVoiceID: c.ElevenLabsVoiceID, ElevenLabsModel: c.ElevenLabsModel,
		YouTube: YouTubeConfig(c), YouTubeTokenFile: youTubeTokenFileFor(c),
	}
}

// Defaults names the service each kind of work uses for a project that
// leaves the choice to "auto", decided as the stages decide it: "script"
// (gemini, openai or offline), "tts" (google, elevenlabs, openai, gemini or
// offline), "images" (stability, gemini, openai or offline), "avatar" (did or none) and
// "upload" (youtube or none).
func Defaults(c *config.Config) map[string]string {
	pc := services(c)
	d := map[string]string{"images": project.ProviderOffline, "avatar": project.ProviderNone, "upload": project.ProviderNone}
	// A choice whose service is not configured stays the default: the
	// stage fails with a clear error, which is what the list should show.
	d["script"], d["tts"] = pc.LLMProvider, pc.TTSProvider
	if v, err := pc.scriptProvider(""); err == nil {
		d["script"] = v
	}
	if v, err := pc.voiceProvider(""); err == nil {
		d["tts"] = v
	}
	if pc.ImageProvider != "" {
		d["images"] = pc.ImageProvider
	}
	if v, err := pc.imageProvider(""); err == nil {
		d["images"] = v
	}
	if pc.DIDAPIKey != "" {
		d["avatar"] = project.ProviderDID
	}
	if pc.YouTube.Configured() {
		d["upload"] = "youtube"
	}
	return d
}

// OpenAISpeechConfigured reports whether OpenAI-compatible speech is set
// up well enough to be picked on its own ("auto"): its own base URL or
// model, or OpenAI itself (a key without a base URL).
func OpenAISpeechConfigured(c *config.Config) bool {
	pc := services(c)
	return pc.openAITTSConfigured()
}
