// Package pipeline is the work of YTMaker's five stages: the script, the
// assets (narration, images, optional avatar), the render, the thumbnail
// and the YouTube upload. Each stage uses the online service when its key
// is configured and an offline default otherwise, so a new user gets a
// real video with no API keys.
package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/leftover"
	"github.com/ytmaker/ytmaker/internal/limits"
	"github.com/ytmaker/ytmaker/internal/media/childproc"
	"github.com/ytmaker/ytmaker/internal/media/ffmpeg"
	"github.com/ytmaker/ytmaker/internal/media/fonts"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/providers/youtube"
	"github.com/ytmaker/ytmaker/internal/quota"
	"github.com/ytmaker/ytmaker/internal/stage"
	"github.com/ytmaker/ytmaker/internal/stockcache"
	"github.com/ytmaker/ytmaker/internal/store"
)

// Config configures the pipeline.
type Config struct {
	Store *store.Store
	Quota *quota.Tracker // nil: no quota accounting

	GeminiAPIKey  string
	GeminiModel   string
	GeminiBaseURL string

	// LLMProvider is the script writer for projects that leave the
	// choice to "auto": gemini, openai, offline, or "" to take Gemini if
	// its key is set, else the OpenAI-compatible API if its base URL or
	// key is set, else the offline writer.
	LLMProvider   string
	OpenAIBaseURL string
	OpenAIAPIKey  string
	OpenAIModel   string

	StabilityAPIKey  string
	StabilityBaseURL string

	// Stock footage and photos (visuals stock_video and stock_photo).
	PexelsAPIKey, PexelsBaseURL   string
	PixabayAPIKey, PixabayBaseURL string
	// StockCacheDir keeps the downloads (DATA_DIR/cache/stock), at most
	// StockCacheBytes (0: no limit); StockMaxDownload caps one download
	// (0: stock.DefaultMaxDownload).
	StockCacheDir    string
	StockCacheBytes  int64
	StockMaxDownload int64
	// ImageProvider is the picture generator for projects that leave it
	// to "auto": stability, openai, gemini, offline, or "" for Stability
	// when its key is set, else slides. OpenAI-compatible pictures use
	// OpenAIImagesBaseURL (default OpenAIBaseURL) and OpenAIAPIKey;
	// Gemini pictures GeminiAPIKey. "" models mean the providers' defaults.
	ImageProvider, OpenAIImagesBaseURL, OpenAIImageModel, GeminiImageModel string
	// Gemini speech: model and prebuilt voice ("" for the defaults).
	GeminiTTSModel, GeminiTTSVoice string

	DIDAPIKey  string
	DIDBaseURL string

	GoogleTTSAPIKey  string
	GoogleTTSBaseURL string

	// TTSProvider is the voice for projects that leave it to "auto":
	// google, openai, elevenlabs, offline, or "" for the first configured.
	TTSProvider string
	// OpenAI-compatible speech; the base URL defaults to OpenAIBaseURL
	// and the key is OpenAIAPIKey.
	OpenAITTSBaseURL, OpenAITTSModel, OpenAITTSVoice string

	ElevenLabsAPIKey, ElevenLabsBaseURL, ElevenLabsVoiceID, ElevenLabsModel string

	YouTube youtube.Config
	// YouTubeTokenFile, when set, is read for the refresh token before
	// every upload (YouTube.RefreshToken is then only its value at
	// start-up): a channel connected from the studio, or connected again,
	// is used without a restart.
	YouTubeTokenFile string

	FFmpeg, FFprobe  string
	AssetConcurrency int
	HTTPClient       *http.Client

	// Limiter keeps each online service's calls within its limits across
	// all workers (nil: no limits); every request to a service goes
	// through it. Renders bounds the renders of this process (nil: no
	// bound). A stage over a limit is put off without using an attempt.
	Limiter *limits.Limiter
	Renders *limits.Gate

	// Metrics hooks (optional).
	RenderFinished func(videoSeconds, wallSeconds float64)
	UploadBytes    func(n int64)

	Logger *slog.Logger
}

// Pipeline holds what the stages share.
type Pipeline struct {
	cfg Config
	log *slog.Logger

	// counting carries the calls to the providers, counting the
	// requests each call sent (see metered).
	counting *http.Client

	ffOnce sync.Once
	ff     *ffmpeg.Runner
	ffErr  error

	fontsOnce sync.Once
	fonts     *fonts.Set
	fontsErr  error

	stockOnce  sync.Once
	stockFiles *stockcache.Cache

	ytMu      sync.Mutex
	yt        *youtube.Client
	ytRefresh string // the refresh token yt uses
}

// New returns a pipeline. Nothing external is checked until a stage needs
// it, so a missing ffmpeg shows up as a clear stage error, not a crash.
func New(cfg Config) (*Pipeline, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("pipeline: Store is required")
	}
	if cfg.StockCacheDir == "" {
		cfg.StockCacheDir = filepath.Join(cfg.Store.Root(), "cache", "stock")
	}
	if cfg.AssetConcurrency <= 0 {
		cfg.AssetConcurrency = 4
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Pipeline{cfg: cfg, log: log, counting: countingClient(cfg.HTTPClient)}
	p.sweep()
	if cfg.YouTube.Configured() {
		if _, err := p.newYouTube(cfg.YouTube.RefreshToken); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// youtube returns the client uploads use, nil when YouTube is not
// authorized. With a token file, the client follows the file's refresh
// token: made when it appears, made again when it changes.
func (p *Pipeline) youtube() (*youtube.Client, error) {
	if p.cfg.YouTubeTokenFile == "" || p.cfg.YouTube.ClientID == "" || p.cfg.YouTube.ClientSecret == "" {
		p.ytMu.Lock()
		defer p.ytMu.Unlock()
		return p.yt, nil
	}
	tok, err := youtube.LoadToken(p.cfg.YouTubeTokenFile)
	if err != nil {
		if errcode.Code(err) == errcode.YouTubeAuthRequired {
			return nil, nil // not connected (or disconnected)
		}
		return nil, err
	}
	return p.newYouTube(tok.RefreshToken)
}

// newYouTube returns the client for refresh, making it unless the current
// one already uses that token.
func (p *Pipeline) newYouTube(refresh string) (*youtube.Client, error) {
	p.ytMu.Lock()
	defer p.ytMu.Unlock()
	if p.yt != nil && p.ytRefresh == refresh {
		return p.yt, nil
	}
	yc := p.cfg.YouTube
	yc.RefreshToken = refresh
	if p.cfg.Limiter != nil {
		yc.HTTPClient = p.cfg.Limiter.Client(limits.YouTube, yc.HTTPClient)
	}
	if yc.Logger == nil {
		yc.Logger = p.log.With("component", "youtube")
	}
	yt, err := youtube.New(yc)
	if err != nil {
		return nil, err
	}
	p.yt, p.ytRefresh = yt, refresh
	return yt, nil
}

// Stages returns the five stages by name, for procman.WorkerConfig.
func (p *Pipeline) Stages() map[string]stage.Stage {
	return map[string]stage.Stage{
		string(project.StageScript):    p.resumed(p.runScript),
		string(project.StageAssets):    p.resumed(p.runAssets),
		string(project.StageRender):    p.resumed(p.gated(p.runRender)),
		string(project.StageThumbnail): p.resumed(p.runThumbnail),
		string(project.StageUpload):    p.resumed(p.runUpload),
	}
}

// sweep ends the children a killed YTMaker process left running on this
// host (ffmpeg, festival, espeak-ng) and removes the temporary files and
// folders such processes left in the data directory.
func (p *Pipeline) sweep() {
	killed, err := childproc.Sweep()
	for _, o := range killed {
		p.log.Warn("ended a child of a dead process", "pid", o.PID, "owner", o.Owner.String(), "cmd", o.Cmd)
	}
	if err != nil {
		p.log.Warn("could not look for children of dead processes", "err", err)
	}
	removed, err := leftover.Sweep(p.cfg.Store.Root(), leftover.Startup)
	if len(removed) > 0 {
		p.log.Info("removed leftovers of dead processes", "count", len(removed), "first", removed[0])
	}
	if err != nil {
		p.log.Warn("could not sweep leftovers", "err", err)
	}
}

// resumed runs a stage after removing what an interrupted earlier attempt
// left in the project folder. The stage holds the project lock, so nothing
// else is writing there.
func (p *Pipeline) resumed(run stage.Func) stage.Func {
	return func(ctx context.Context, job stage.Job) (any, error) {
		removed, err := leftover.Sweep(job.Dir(), leftover.Resume)
		for _, r := range removed {
			p.log.Info("removed a leftover of an interrupted attempt", "project", job.ProjectID(), "path", r)
		}
		if err != nil {
			p.log.Warn("could not sweep leftovers", "project", job.ProjectID(), "err", err)
		}
		res, err := run(ctx, job)
		if err != nil {
			// A call or render over its limit, or a call over a daily
			// budget: run again later, without using an attempt.
			return nil, limits.Waiting(p.quotaWaiting(err))
		}
		return res, nil
	}
}

// gated runs a stage within the renders this process may run at once.
func (p *Pipeline) gated(run stage.Func) stage.Func {
	return func(ctx context.Context, job stage.Job) (any, error) {
		leave, err := p.cfg.Renders.Enter(ctx)
		if err != nil {
			return nil, err
		}
		defer leave()
		return run(ctx, job)
	}
}

// client returns the HTTP client for the calls to an online service.
func (p *Pipeline) client(provider string) *http.Client {
	return p.cfg.Limiter.Client(provider, p.counting)
}

// Close releases the fonts.
func (p *Pipeline) Close() {
	if p.fonts != nil {
		p.fonts.Close()
	}
}

func (p *Pipeline) ffmpeg() (*ffmpeg.Runner, error) {
	p.ffOnce.Do(func() {
		p.ff, p.ffErr = ffmpeg.New(ffmpeg.Config{FFmpegPath: p.cfg.FFmpeg, FFprobePath: p.cfg.FFprobe, Logger: p.log.With("component", "ffmpeg")})
	})
	return p.ff, p.ffErr
}

func (p *Pipeline) fontSet() (*fonts.Set, error) {
	p.fontsOnce.Do(func() {
		p.fonts, p.fontsErr = fonts.Load(fonts.Config{Logger: p.log})
	})
	return p.fonts, p.fontsErr
}

// load reads the project a job works on.
func (p *Pipeline) load(job stage.Job) (*project.Project, error) {
	return p.cfg.Store.Project(job.ProjectID())
}

// Paths inside a project folder.
const (
	scriptFile    = "script.json"
	manifestFile  = "assets/assets.json"
	videoFile     = "output/final_video.mp4"
	thumbnailFile = "output/thumbnail.jpg"
	srtFile       = "output/subtitles.srt"
	captionsFile  = "output/captions.json"
)

func abs(job stage.Job, rel string) string { return filepath.Join(job.Dir(), filepath.FromSlash(rel)) }

func fileExists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Size() > 0
}

func hashOf(parts ...string) string {
	h := sha256.New()
	for _, s := range parts {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func missingKey(provider, key string) error {
	return errcode.Newf(errcode.InvalidInput, false, "%s was chosen for this project but %s is not set", provider, key).
		WithDetail("field", "settings.providers")
}
