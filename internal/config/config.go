// Package config reads YTMaker's settings. Each value comes from, in
// order: a command-line flag, the environment, a .env file in the working
// directory, the default. A bad value stops the program with one line
// naming the key and the value (exit code 2) before anything starts.
package config

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/internal/limits"
	"github.com/ytmaker/ytmaker/internal/quota"
	"github.com/ytmaker/ytmaker/internal/rdb"
	"github.com/ytmaker/ytmaker/internal/taskspec"
)

// Config is every setting of a YTMaker process.
type Config struct {
	RedisURL string
	// Sentinel mode (RedisSentinels set): the master is the one the
	// sentinels name MasterName; RedisURL then only gives the database.
	RedisSentinels        []string
	RedisMasterName       string
	RedisPassword         string
	RedisSentinelPassword string
	HTTPAddr              string
	DataDir               string
	WorkerConcurrency     int
	ShutdownTimeout       time.Duration
	LogFormat             string // text | json
	LogLevel              slog.Level
	APIToken              string
	AllowedOrigins        []string // browser origins of a separate front end (CORS)
	ResultTTL             time.Duration
	TimeLimits            taskspec.TimeLimits
	BatchConcurrency      int
	AssetConcurrency      int
	RedisServer           string // path or name of redis-server
	FFmpeg                string
	FFprobe               string

	// ProviderLimits are the most calls in flight and per minute of each
	// online service across all workers (LIMIT_<PROVIDER>_IN_FLIGHT,
	// LIMIT_<PROVIDER>_PER_MINUTE; 0 = no limit).
	ProviderLimits map[string]limits.Limit
	// LimitWait is how long a call or render over its limit waits in
	// place before the stage is put off (LIMIT_WAIT).
	LimitWait time.Duration
	// MaxRenders is the most renders this worker runs at once (MAX_RENDERS).
	MaxRenders int
	// DailyLimits are the daily budgets of the providers by counter
	// ("elevenlabs_characters": 10000), from <PROVIDER>_DAILY_<UNIT>
	// settings; counters not listed are unlimited. A call that would pass
	// its budget waits for the reset at midnight Pacific time.
	DailyLimits map[string]int64

	GeminiAPIKey  string
	GeminiModel   string
	GeminiBaseURL string

	// LLMProvider picks the script writer when a project leaves it to
	// "auto": gemini, openai, offline, or "" to decide from the keys.
	LLMProvider   string
	OpenAIBaseURL string
	OpenAIAPIKey  string
	OpenAIModel   string

	StabilityAPIKey  string
	StabilityBaseURL string

	// Stock footage and photos (project setting visuals).
	PexelsAPIKey, PexelsBaseURL   string
	PixabayAPIKey, PixabayBaseURL string
	// StockCacheMB caps DATA_DIR/cache/stock (STOCK_CACHE_MB, least
	// recently used files go first); StockMaxDownloadMB caps one
	// download (STOCK_MAX_DOWNLOAD_MB).
	StockCacheMB, StockMaxDownloadMB int
	// ImageProvider picks the picture generator when a project leaves it
	// to "auto": stability, openai, gemini, offline, or "" for the first
	// configured (IMAGE_PROVIDER).
	ImageProvider       string
	OpenAIImagesBaseURL string // "" means OPENAI_BASE_URL
	OpenAIImageModel    string
	GeminiImageModel    string

	DIDAPIKey  string
	DIDBaseURL string

	GoogleTTSAPIKey  string
	GoogleTTSBaseURL string

	// TTSProvider picks the voice when a project leaves it to "auto":
	// google, gemini, openai, elevenlabs, offline, or "" for the first
	// configured.
	TTSProvider string
	// GeminiTTSModel and GeminiTTSVoice choose Gemini speech's model and
	// prebuilt voice ("" for the defaults).
	GeminiTTSModel, GeminiTTSVoice string
	OpenAITTSBaseURL               string
	OpenAITTSModel                 string
	OpenAITTSVoice                 string
	ElevenLabsAPIKey               string
	ElevenLabsBaseURL              string
	ElevenLabsVoiceID              string
	ElevenLabsModel                string

	YouTubeClientID      string
	YouTubeClientSecret  string
	YouTubeRefreshToken  string
	YouTubeBaseURL       string
	GoogleOAuthTokenURL  string
	YouTubeDailyQuota    int
	YouTubeUploadCost    int
	YouTubeThumbnailCost int

	// Warnings are settings that were read but have no effect, for the
	// program to print (a bad value is an error instead).
	Warnings []string
}

// Error is a bad configuration value.
type Error struct {
	Key, Value, Reason string
}

func (e *Error) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("config: %s: %s", e.Key, e.Reason)
	}
	return fmt.Sprintf("config: %s=%q: %s", e.Key, e.Value, e.Reason)
}

// Secret keys are never printed.
var secretKeys = map[string]bool{
	"API_TOKEN": true, "REDIS_PASSWORD": true, "REDIS_SENTINEL_PASSWORD": true, "GEMINI_API_KEY": true, "OPENAI_API_KEY": true,
	"STABILITY_API_KEY": true, "DID_API_KEY": true, "GOOGLE_TTS_API_KEY": true, "ELEVENLABS_API_KEY": true,
	"YOUTUBE_CLIENT_SECRET": true, "YOUTUBE_REFRESH_TOKEN": true,
}

// IsSecret reports whether a key holds a secret.
func IsSecret(key string) bool { return secretKeys[key] }

// Sources are where values come from, highest priority first.
type Sources struct {
	Flags  map[string]string           // key → value of flags given on the command line
	Env    func(string) (string, bool) // usually os.LookupEnv
	DotEnv map[string]string           // parsed .env (may be nil)
	// EnvNames lists the names set in the environment (nil: none), so
	// that a misspelt <PROVIDER>_DAILY_<UNIT> setting is an error rather
	// than a budget silently not applied.
	EnvNames func() []string
}

// lookup returns the value of key from the first source that has it.
func (s Sources) lookup(key string) (string, string, bool) {
	if v, ok := s.Flags[key]; ok {
		return v, "flag", true
	}
	if s.Env != nil {
		if v, ok := s.Env(key); ok {
			return v, "environment", true
		}
	}
	if v, ok := s.DotEnv[key]; ok {
		return v, ".env", true
	}
	return "", "", false
}

// Load reads every setting from src.
func Load(src Sources) (*Config, error) {
	c := &Config{}
	get := func(key, def string) string {
		if v, _, ok := src.lookup(key); ok {
			return strings.TrimSpace(v)
		}
		return def
	}
	var err error
	if c.RedisURL, err = redisURL(src); err != nil {
		return nil, err
	}
	if v := get("CELERY_RESULT_BACKEND", ""); v != "" && !sameRedis(v, c.RedisURL) {
		c.Warnings = append(c.Warnings, fmt.Sprintf("CELERY_RESULT_BACKEND=%s is ignored: YTMaker keeps task results "+
			"in the broker's Redis (%s). Remove the setting, or point REDIS_URL at the Redis you want.", redact(v), redact(c.RedisURL)))
	}
	if err := c.loadSentinel(get); err != nil {
		return nil, err
	}
	c.HTTPAddr = get("HTTP_ADDR", "127.0.0.1:8000")
	if err := checkAddr("HTTP_ADDR", c.HTTPAddr); err != nil {
		return nil, err
	}
	c.DataDir = get("DATA_DIR", "./data")
	if c.DataDir == "" {
		return nil, &Error{Key: "DATA_DIR", Reason: "must not be empty"}
	}
	if c.WorkerConcurrency, err = intValue("WORKER_CONCURRENCY", get("WORKER_CONCURRENCY", ""), runtime.NumCPU(), 1, 1024); err != nil {
		return nil, err
	}
	if c.ShutdownTimeout, err = duration("SHUTDOWN_TIMEOUT", get("SHUTDOWN_TIMEOUT", ""), 30*time.Second); err != nil {
		return nil, err
	}
	c.LogFormat = strings.ToLower(get("LOG_FORMAT", "text"))
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return nil, &Error{Key: "LOG_FORMAT", Value: c.LogFormat, Reason: "must be text or json"}
	}
	lvl := get("LOG_LEVEL", "info")
	if err := c.LogLevel.UnmarshalText([]byte(lvl)); err != nil {
		return nil, &Error{Key: "LOG_LEVEL", Value: lvl, Reason: "must be debug, info, warn or error"}
	}
	c.APIToken = get("API_TOKEN", "")
	for _, o := range strings.Split(get("ALLOWED_ORIGINS", ""), ",") {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
			return nil, &Error{Key: "ALLOWED_ORIGINS", Value: o, Reason: "each origin must look like https://app.example.com"}
		}
		c.AllowedOrigins = append(c.AllowedOrigins, o)
	}
	if c.ResultTTL, err = duration("RESULT_TTL", get("RESULT_TTL", ""), 24*time.Hour); err != nil {
		return nil, err
	}
	if c.ResultTTL < 24*time.Hour {
		return nil, &Error{Key: "RESULT_TTL", Value: get("RESULT_TTL", ""), Reason: "results are kept at least 24h"}
	}
	timeLimits := []struct {
		key string
		dst *time.Duration
		def time.Duration
	}{
		{"SCRIPT_TIME_LIMIT", &c.TimeLimits.Script, taskspec.DefaultTimeLimits.Script},
		{"ASSETS_TIME_LIMIT", &c.TimeLimits.Assets, taskspec.DefaultTimeLimits.Assets},
		{"RENDER_TIME_LIMIT", &c.TimeLimits.Render, taskspec.DefaultTimeLimits.Render},
		{"THUMBNAIL_TIME_LIMIT", &c.TimeLimits.Thumbnail, taskspec.DefaultTimeLimits.Thumbnail},
		{"UPLOAD_TIME_LIMIT", &c.TimeLimits.Upload, taskspec.DefaultTimeLimits.Upload},
		{"BATCH_TIME_LIMIT", &c.TimeLimits.Batch, taskspec.DefaultTimeLimits.Batch},
	}
	for _, l := range timeLimits {
		if *l.dst, err = duration(l.key, get(l.key, ""), l.def); err != nil {
			return nil, err
		}
	}
	if c.BatchConcurrency, err = intValue("BATCH_CONCURRENCY", get("BATCH_CONCURRENCY", ""), 2, 1, 32); err != nil {
		return nil, err
	}
	if c.AssetConcurrency, err = intValue("ASSET_CONCURRENCY", get("ASSET_CONCURRENCY", ""), 4, 1, 64); err != nil {
		return nil, err
	}
	c.ProviderLimits = limits.Defaults()
	for _, p := range limits.Providers {
		in, pm := limits.EnvNames(p)
		l := c.ProviderLimits[p]
		if l.InFlight, err = intValue(in, get(in, ""), l.InFlight, 0, 100000); err != nil {
			return nil, err
		}
		if l.PerMinute, err = intValue(pm, get(pm, ""), l.PerMinute, 0, 1000000); err != nil {
			return nil, err
		}
		c.ProviderLimits[p] = l
	}
	if c.LimitWait, err = duration("LIMIT_WAIT", get("LIMIT_WAIT", ""), limits.DefaultMaxWait); err != nil {
		return nil, err
	}
	if c.MaxRenders, err = intValue("MAX_RENDERS", get("MAX_RENDERS", ""), limits.DefaultRenders(), 1, 256); err != nil {
		return nil, err
	}
	if c.DailyLimits, err = dailyLimits(src, get); err != nil {
		return nil, err
	}
	c.RedisServer = get("REDIS_SERVER", "redis-server")
	c.FFmpeg = get("FFMPEG", "ffmpeg")
	c.FFprobe = get("FFPROBE", "ffprobe")

	c.GeminiAPIKey = get("GEMINI_API_KEY", "")
	c.GeminiModel = get("GEMINI_MODEL", "gemini-3.5-flash")
	c.LLMProvider = strings.ToLower(get("LLM_PROVIDER", ""))
	switch c.LLMProvider {
	case "", "auto":
		c.LLMProvider = ""
	case "gemini", "openai", "offline":
	default:
		return nil, &Error{Key: "LLM_PROVIDER", Value: c.LLMProvider, Reason: "must be gemini, openai or offline"}
	}
	c.OpenAIAPIKey = get("OPENAI_API_KEY", "")
	c.OpenAIModel = get("OPENAI_MODEL", "")
	c.StabilityAPIKey = get("STABILITY_API_KEY", "")
	c.PexelsAPIKey = get("PEXELS_API_KEY", "")
	c.PixabayAPIKey = get("PIXABAY_API_KEY", "")
	if c.StockCacheMB, err = intValue("STOCK_CACHE_MB", get("STOCK_CACHE_MB", ""), 2048, 50, 1<<20); err != nil {
		return nil, err
	}
	if c.StockMaxDownloadMB, err = intValue("STOCK_MAX_DOWNLOAD_MB", get("STOCK_MAX_DOWNLOAD_MB", ""), 200, 1, 4096); err != nil {
		return nil, err
	}
	c.ImageProvider = strings.ToLower(get("IMAGE_PROVIDER", ""))
	switch c.ImageProvider {
	case "", "auto":
		c.ImageProvider = ""
	case "stability", "openai", "gemini", "offline":
	default:
		return nil, &Error{Key: "IMAGE_PROVIDER", Value: c.ImageProvider, Reason: "must be stability, openai, gemini or offline"}
	}
	c.OpenAIImageModel = get("OPENAI_IMAGE_MODEL", "")
	c.GeminiImageModel = get("GEMINI_IMAGE_MODEL", "")
	c.DIDAPIKey = get("DID_API_KEY", "")
	c.GoogleTTSAPIKey = get("GOOGLE_TTS_API_KEY", "")
	c.TTSProvider = strings.ToLower(get("TTS_PROVIDER", ""))
	switch c.TTSProvider {
	case "", "auto":
		c.TTSProvider = ""
	case "google", "gemini", "openai", "elevenlabs", "offline":
	default:
		return nil, &Error{Key: "TTS_PROVIDER", Value: c.TTSProvider, Reason: "must be google, gemini, openai, elevenlabs or offline"}
	}
	c.GeminiTTSModel = get("GEMINI_TTS_MODEL", "")
	c.GeminiTTSVoice = get("GEMINI_TTS_VOICE", "")
	c.OpenAITTSModel = get("OPENAI_TTS_MODEL", "")
	c.OpenAITTSVoice = get("OPENAI_TTS_VOICE", "")
	c.ElevenLabsAPIKey = get("ELEVENLABS_API_KEY", "")
	c.ElevenLabsVoiceID = get("ELEVENLABS_VOICE_ID", "")
	c.ElevenLabsModel = get("ELEVENLABS_MODEL", "")
	c.YouTubeClientID = get("YOUTUBE_CLIENT_ID", "")
	c.YouTubeClientSecret = get("YOUTUBE_CLIENT_SECRET", "")
	c.YouTubeRefreshToken = get("YOUTUBE_REFRESH_TOKEN", "")
	urls := []struct {
		key string
		dst *string
		def string
	}{
		{"GEMINI_BASE_URL", &c.GeminiBaseURL, ""},
		{"OPENAI_BASE_URL", &c.OpenAIBaseURL, ""},
		{"STABILITY_BASE_URL", &c.StabilityBaseURL, "https://api.stability.ai"},
		{"PEXELS_BASE_URL", &c.PexelsBaseURL, "https://api.pexels.com"},
		{"PIXABAY_BASE_URL", &c.PixabayBaseURL, "https://pixabay.com"},
		{"DID_BASE_URL", &c.DIDBaseURL, "https://api.d-id.com"},
		{"GOOGLE_TTS_BASE_URL", &c.GoogleTTSBaseURL, "https://texttospeech.googleapis.com"},
		{"OPENAI_TTS_BASE_URL", &c.OpenAITTSBaseURL, ""},
		{"OPENAI_IMAGES_BASE_URL", &c.OpenAIImagesBaseURL, ""},
		{"ELEVENLABS_BASE_URL", &c.ElevenLabsBaseURL, "https://api.elevenlabs.io"},
		{"YOUTUBE_BASE_URL", &c.YouTubeBaseURL, "https://www.googleapis.com"},
		{"GOOGLE_OAUTH_TOKEN_URL", &c.GoogleOAuthTokenURL, "https://oauth2.googleapis.com/token"},
	}
	for _, u := range urls {
		*u.dst = strings.TrimRight(get(u.key, u.def), "/")
		if *u.dst == "" {
			continue
		}
		p, err := url.Parse(*u.dst)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return nil, &Error{Key: u.key, Value: *u.dst, Reason: "must be an http(s) URL"}
		}
	}
	if c.YouTubeDailyQuota, err = intValue("YOUTUBE_DAILY_QUOTA", get("YOUTUBE_DAILY_QUOTA", ""), 10000, 1, 1<<30); err != nil {
		return nil, err
	}
	if c.YouTubeUploadCost, err = intValue("YOUTUBE_UPLOAD_COST", get("YOUTUBE_UPLOAD_COST", ""), 1600, 0, 1<<30); err != nil {
		return nil, err
	}
	if c.YouTubeThumbnailCost, err = intValue("YOUTUBE_THUMBNAIL_COST", get("YOUTUBE_THUMBNAIL_COST", ""), 50, 0, 1<<30); err != nil {
		return nil, err
	}
	return c, nil
}

// loadSentinel reads REDIS_SENTINELS, REDIS_MASTER_NAME, REDIS_PASSWORD
// and REDIS_SENTINEL_PASSWORD. REDIS_PASSWORD also authenticates a Redis
// named by a URL without a password.
func (c *Config) loadSentinel(get func(key, def string) string) error {
	for _, a := range strings.Split(get("REDIS_SENTINELS", ""), ",") {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		host, port, err := net.SplitHostPort(a)
		if p, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || p < 1 || p > 65535 {
			return &Error{Key: "REDIS_SENTINELS", Value: a, Reason: "each sentinel must look like host:26379"}
		}
		c.RedisSentinels = append(c.RedisSentinels, a)
	}
	c.RedisMasterName = get("REDIS_MASTER_NAME", "")
	c.RedisPassword = get("REDIS_PASSWORD", "")
	c.RedisSentinelPassword = get("REDIS_SENTINEL_PASSWORD", "")
	if len(c.RedisSentinels) > 0 && c.RedisMasterName == "" {
		return &Error{Key: "REDIS_MASTER_NAME", Reason: "is required with REDIS_SENTINELS (the master's name in sentinel.conf, e.g. mymaster)"}
	}
	if len(c.RedisSentinels) == 0 && c.RedisMasterName != "" {
		return &Error{Key: "REDIS_SENTINELS", Reason: "is required with REDIS_MASTER_NAME (host:port of each sentinel, comma-separated)"}
	}
	if c.RedisPassword != "" && len(c.RedisSentinels) == 0 {
		u, err := url.Parse(c.RedisURL)
		if err == nil && u.User == nil {
			u.User = url.UserPassword("", c.RedisPassword)
			c.RedisURL = u.String()
		}
	}
	return nil
}

// RedisConn is how this process reaches Redis: through Sentinel when
// REDIS_SENTINELS is set, else at RedisURL.
func (c *Config) RedisConn() rdb.Conn {
	conn := rdb.Conn{URL: c.RedisURL}
	if len(c.RedisSentinels) > 0 {
		conn.Sentinels, conn.MasterName = c.RedisSentinels, c.RedisMasterName
		conn.Password, conn.SentinelPassword = c.RedisPassword, c.RedisSentinelPassword
		if u, err := url.Parse(c.RedisURL); err == nil {
			conn.DB, _ = strconv.Atoi(strings.Trim(u.Path, "/"))
		}
	}
	return conn
}

// redisURL resolves the Redis address. Within the highest-priority source
// that mentions Redis at all: REDIS_URL, else CELERY_BROKER_URL (the
// seed's .env), else REDIS_HOST/REDIS_PORT/REDIS_DB.
func redisURL(src Sources) (string, error) {
	layers := []map[string]string{src.Flags, envLayer(src.Env), src.DotEnv}
	for _, l := range layers {
		if l == nil {
			continue
		}
		for _, key := range []string{"REDIS_URL", "CELERY_BROKER_URL"} {
			if v, ok := l[key]; ok {
				return checkRedisURL(key, strings.TrimSpace(v))
			}
		}
		host, hok := l["REDIS_HOST"]
		port, pok := l["REDIS_PORT"]
		db, dok := l["REDIS_DB"]
		if !hok && !pok && !dok {
			continue
		}
		if !hok {
			host = "127.0.0.1"
		}
		if !pok {
			port = "6379"
		}
		if !dok {
			db = "0"
		}
		p, err := strconv.Atoi(strings.TrimSpace(port))
		if err != nil || p < 1 || p > 65535 {
			return "", &Error{Key: "REDIS_PORT", Value: port, Reason: "must be a port number between 1 and 65535"}
		}
		d, err := strconv.Atoi(strings.TrimSpace(db))
		if err != nil || d < 0 || d > 15 {
			return "", &Error{Key: "REDIS_DB", Value: db, Reason: "must be a database number between 0 and 15"}
		}
		host = strings.TrimSpace(host)
		if host == "" {
			return "", &Error{Key: "REDIS_HOST", Value: host, Reason: "must not be empty"}
		}
		return checkRedisURL("REDIS_HOST", fmt.Sprintf("redis://%s/%d", net.JoinHostPort(host, strconv.Itoa(p)), d))
	}
	return "redis://127.0.0.1:6379/0", nil
}

// sameRedis reports whether two Redis URLs name the same server and
// database (redis://localhost:6379 and redis://127.0.0.1:6379/0 do).
func sameRedis(a, b string) bool {
	norm := func(s string) string {
		u, err := url.Parse(strings.TrimSpace(s))
		if err != nil {
			return s
		}
		host, port := u.Hostname(), u.Port()
		if host == "localhost" || host == "::1" {
			host = "127.0.0.1"
		}
		if port == "" {
			port = "6379"
		}
		db := strings.Trim(u.Path, "/")
		if db == "" {
			db = "0"
		}
		return u.Scheme + "://" + net.JoinHostPort(host, port) + "/" + db
	}
	return norm(a) == norm(b)
}

// redact hides the password of a URL, for messages.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable URL)"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

func envLayer(env func(string) (string, bool)) map[string]string {
	if env == nil {
		return nil
	}
	m := map[string]string{}
	for _, k := range []string{"REDIS_URL", "CELERY_BROKER_URL", "REDIS_HOST", "REDIS_PORT", "REDIS_DB"} {
		if v, ok := env(k); ok {
			m[k] = v
		}
	}
	return m
}

func checkRedisURL(key, v string) (string, error) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		return "", &Error{Key: key, Value: v, Reason: "must be a URL like redis://127.0.0.1:6379/0"}
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return "", &Error{Key: key, Value: v, Reason: "port must be between 1 and 65535"}
		}
	}
	if db := strings.Trim(u.Path, "/"); db != "" {
		n, err := strconv.Atoi(db)
		if err != nil || n < 0 {
			return "", &Error{Key: key, Value: v, Reason: "database must be a number, as in redis://host:6379/0"}
		}
	}
	return v, nil
}

func checkAddr(key, v string) error {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return &Error{Key: key, Value: v, Reason: "must be host:port, e.g. 127.0.0.1:8000"}
	}
	_ = host
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return &Error{Key: key, Value: v, Reason: "port must be between 0 and 65535"}
	}
	return nil
}

func intValue(key, v string, def, lo, hi int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, &Error{Key: key, Value: v, Reason: "must be a whole number"}
	}
	if n == 0 && lo > 0 && key == "WORKER_CONCURRENCY" {
		return def, nil // 0 means "one per CPU"
	}
	if n < lo || n > hi {
		return 0, &Error{Key: key, Value: v, Reason: fmt.Sprintf("must be between %d and %d", lo, hi)}
	}
	return n, nil
}

// duration accepts Go durations ("30s", "5m") or plain seconds ("30").
func duration(key, v string, def time.Duration) (time.Duration, error) {
	if v == "" {
		return def, nil
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 {
			return 0, &Error{Key: key, Value: v, Reason: "must be positive"}
		}
		return time.Duration(secs * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, &Error{Key: key, Value: v, Reason: "must be a duration such as 30s or 5m"}
	}
	if d <= 0 {
		return 0, &Error{Key: key, Value: v, Reason: "must be positive"}
	}
	return d, nil
}

// ReadDotEnv parses a .env file: KEY=VALUE lines, optional "export ",
// single or double quotes, # comments. A missing file is not an error.
func ReadDotEnv(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("%s:%d: expected KEY=VALUE", path, n)
		}
		v = strings.TrimSpace(v)
		switch {
		case len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"':
			if u, err := strconv.Unquote(v); err == nil {
				v = u
			} else {
				v = v[1 : len(v)-1]
			}
		case len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'':
			v = v[1 : len(v)-1]
		default:
			if i := strings.Index(v, " #"); i >= 0 {
				v = strings.TrimSpace(v[:i])
			}
		}
		out[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return out, nil
}

// Keys lists every key Load reads, for documentation and `ytmaker config`.
var Keys = append([]string{"REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "REDIS_HOST", "REDIS_PORT", "REDIS_DB", "HTTP_ADDR", "DATA_DIR",
	"WORKER_CONCURRENCY", "SHUTDOWN_TIMEOUT", "LOG_FORMAT", "LOG_LEVEL", "API_TOKEN", "ALLOWED_ORIGINS", "RESULT_TTL",
	"SCRIPT_TIME_LIMIT", "ASSETS_TIME_LIMIT", "RENDER_TIME_LIMIT", "THUMBNAIL_TIME_LIMIT", "UPLOAD_TIME_LIMIT",
	"BATCH_TIME_LIMIT", "BATCH_CONCURRENCY", "ASSET_CONCURRENCY", "REDIS_SERVER", "FFMPEG", "FFPROBE",
	"GEMINI_API_KEY", "GEMINI_MODEL", "GEMINI_BASE_URL", "LLM_PROVIDER", "OPENAI_BASE_URL", "OPENAI_API_KEY",
	"OPENAI_MODEL", "STABILITY_API_KEY", "STABILITY_BASE_URL", "IMAGE_PROVIDER", "OPENAI_IMAGES_BASE_URL",
	"OPENAI_IMAGE_MODEL", "GEMINI_IMAGE_MODEL",
	"DID_API_KEY", "DID_BASE_URL", "GOOGLE_TTS_API_KEY", "GOOGLE_TTS_BASE_URL", "TTS_PROVIDER", "GEMINI_TTS_MODEL", "GEMINI_TTS_VOICE", "OPENAI_TTS_BASE_URL",
	"OPENAI_TTS_MODEL", "OPENAI_TTS_VOICE", "ELEVENLABS_API_KEY", "ELEVENLABS_BASE_URL", "ELEVENLABS_VOICE_ID",
	"ELEVENLABS_MODEL", "YOUTUBE_CLIENT_ID",
	"YOUTUBE_CLIENT_SECRET", "YOUTUBE_REFRESH_TOKEN", "YOUTUBE_BASE_URL", "GOOGLE_OAUTH_TOKEN_URL",
	"YOUTUBE_DAILY_QUOTA", "YOUTUBE_UPLOAD_COST", "YOUTUBE_THUMBNAIL_COST", "LIMIT_WAIT", "MAX_RENDERS"}, limitKeys()...)

// limitKeys lists the settings of the provider limits and daily budgets.
func limitKeys() []string {
	var out []string
	for _, p := range limits.Providers {
		in, pm := limits.EnvNames(p)
		out = append(out, in, pm)
	}
	for _, p := range quota.CountedProviders() {
		for _, u := range quota.Units(p) {
			out = append(out, DailyLimitKey(p, u))
		}
	}
	return out
}

// Logger builds the process logger from the settings.
func (c *Config) Logger(w *os.File) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// IsLoopback reports whether HTTPAddr binds only to the loopback
// interface.
func (c *Config) IsLoopback() bool {
	host, _, err := net.SplitHostPort(c.HTTPAddr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
