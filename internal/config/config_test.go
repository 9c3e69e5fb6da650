package config

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/limits"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaults(t *testing.T) {
	c, err := Load(Sources{})
	if err != nil {
		t.Fatal(err)
	}
	if c.RedisURL != "redis://127.0.0.1:6379/0" || c.HTTPAddr != "127.0.0.1:8000" || c.DataDir != "./data" ||
		c.WorkerConcurrency != runtime.NumCPU() || c.ShutdownTimeout != 30*time.Second || c.LogFormat != "text" {
		t.Fatalf("defaults = %+v", c)
	}
	if c.TimeLimits.Render != 30*time.Minute || c.TimeLimits.Thumbnail != 2*time.Minute || c.TimeLimits.Batch != 90*time.Minute {
		t.Fatalf("time limits = %+v", c.TimeLimits)
	}
	if !c.IsLoopback() {
		t.Fatal("default address should be loopback")
	}
}

func TestPrecedenceFlagsEnvDotEnv(t *testing.T) {
	src := Sources{
		Flags:  map[string]string{"HTTP_ADDR": "127.0.0.1:9000"},
		Env:    env(map[string]string{"HTTP_ADDR": "127.0.0.1:9100", "DATA_DIR": "/env/data"}),
		DotEnv: map[string]string{"HTTP_ADDR": "127.0.0.1:9200", "DATA_DIR": "/dotenv/data", "LOG_FORMAT": "json"},
	}
	c, err := Load(src)
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "127.0.0.1:9000" || c.DataDir != "/env/data" || c.LogFormat != "json" {
		t.Fatalf("got addr=%s dir=%s format=%s", c.HTTPAddr, c.DataDir, c.LogFormat)
	}
}

func TestSeedRedisKeys(t *testing.T) {
	c, err := Load(Sources{DotEnv: map[string]string{"REDIS_HOST": "localhost", "REDIS_PORT": "6390", "REDIS_DB": "2"}})
	if err != nil || c.RedisURL != "redis://localhost:6390/2" {
		t.Fatalf("REDIS_HOST/PORT/DB → %q, %v", c.RedisURL, err)
	}
	c, _ = Load(Sources{DotEnv: map[string]string{"CELERY_BROKER_URL": "redis://localhost:6391/0"}})
	if c.RedisURL != "redis://localhost:6391/0" {
		t.Fatalf("CELERY_BROKER_URL → %q", c.RedisURL)
	}
	// The environment's REDIS_PORT beats the .env's REDIS_URL (higher layer).
	c, _ = Load(Sources{Env: env(map[string]string{"REDIS_PORT": "7000"}), DotEnv: map[string]string{"REDIS_URL": "redis://x:1/0"}})
	if c.RedisURL != "redis://127.0.0.1:7000/0" {
		t.Fatalf("env REDIS_PORT over .env REDIS_URL → %q", c.RedisURL)
	}
	// A flag beats everything.
	c, _ = Load(Sources{Flags: map[string]string{"REDIS_URL": "redis://127.0.0.1:16390/0"}, Env: env(map[string]string{"REDIS_URL": "redis://a:1/0"})})
	if c.RedisURL != "redis://127.0.0.1:16390/0" {
		t.Fatalf("flag → %q", c.RedisURL)
	}
}

func TestBadValuesNameKeyAndValue(t *testing.T) {
	cases := map[string]map[string]string{
		"REDIS_URL":                  {"REDIS_URL": "not a url"},
		"REDIS_PORT":                 {"REDIS_PORT": "70000"},
		"WORKER_CONCURRENCY":         {"WORKER_CONCURRENCY": "-3"},
		"SHUTDOWN_TIMEOUT":           {"SHUTDOWN_TIMEOUT": "soon"},
		"HTTP_ADDR":                  {"HTTP_ADDR": "8000"},
		"LOG_FORMAT":                 {"LOG_FORMAT": "xml"},
		"LOG_LEVEL":                  {"LOG_LEVEL": "loud"},
		"GEMINI_BASE_URL":            {"GEMINI_BASE_URL": "ftp://x"},
		"ALLOWED_ORIGINS":            {"ALLOWED_ORIGINS": "localhost:3000"},
		"LIMIT_D_ID_IN_FLIGHT":       {"LIMIT_D_ID_IN_FLIGHT": "-1"},
		"LIMIT_STABILITY_PER_MINUTE": {"LIMIT_STABILITY_PER_MINUTE": "lots"},
		"LIMIT_WAIT":                 {"LIMIT_WAIT": "0"},
		"MAX_RENDERS":                {"MAX_RENDERS": "0"},
	}
	for key, vals := range cases {
		_, err := Load(Sources{Env: env(vals)})
		var ce *Error
		if !errors.As(err, &ce) || ce.Key != key || ce.Value != vals[key] {
			t.Errorf("%s: err = %v", key, err)
			continue
		}
		if !strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), vals[key]) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: message %q should be one line naming key and value", key, err)
		}
	}
	if _, err := Load(Sources{Env: env(map[string]string{"REDIS_URL": "redis://127.0.0.1:99999/0"})}); err == nil {
		t.Error("port out of range accepted")
	}
}

func TestReadDotEnv(t *testing.T) {
	p := filepath.Join(t.TempDir(), ".env")
	os.WriteFile(p, []byte("# comment\nexport A=1\nB=\"two words\"\nC='x # y'\nD=plain # trailing\n\n"), 0o600)
	m, err := ReadDotEnv(p)
	if err != nil {
		t.Fatal(err)
	}
	if m["A"] != "1" || m["B"] != "two words" || m["C"] != "x # y" || m["D"] != "plain" {
		t.Fatalf("parsed %v", m)
	}
	if m, err := ReadDotEnv(filepath.Join(t.TempDir(), "missing")); err != nil || m != nil {
		t.Fatal("missing .env should be fine")
	}
	os.WriteFile(p, []byte("garbage line\n"), 0o600)
	if _, err := ReadDotEnv(p); err == nil || !strings.Contains(err.Error(), ":1:") {
		t.Fatalf("bad line error = %v", err)
	}
}

// The seed's .env names a result backend; YTMaker keeps results in the
// broker's Redis, so a different backend is reported, never silently
// dropped (and its password is not printed).
func TestCeleryResultBackendDifferentFromTheBrokerIsWarnedAbout(t *testing.T) {
	for backend, warn := range map[string]bool{
		"":                                    false,
		"redis://localhost:6379/0":            false,
		"redis://127.0.0.1:6379":              false,
		"redis://localhost:6379/1":            true,
		"redis://:s3cret@cache.internal:6379": true,
	} {
		dot := map[string]string{"CELERY_BROKER_URL": "redis://localhost:6379/0"}
		if backend != "" {
			dot["CELERY_RESULT_BACKEND"] = backend
		}
		c, err := Load(Sources{DotEnv: dot})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(c.Warnings) == 1 && strings.Contains(c.Warnings[0], "CELERY_RESULT_BACKEND"); got != warn {
			t.Errorf("backend %q: warnings %q", backend, c.Warnings)
		}
		for _, w := range c.Warnings {
			if strings.Contains(w, "s3cret") {
				t.Errorf("warning shows the password: %s", w)
			}
		}
	}
}

func TestProviderSettings(t *testing.T) {
	c, err := Load(Sources{Env: env(map[string]string{"LLM_PROVIDER": "OpenAI", "OPENAI_BASE_URL": "http://localhost:11434/v1/",
		"OPENAI_MODEL": "llama3.2"})})
	if err != nil {
		t.Fatal(err)
	}
	if c.LLMProvider != "openai" || c.OpenAIBaseURL != "http://localhost:11434/v1" || c.OpenAIModel != "llama3.2" || c.OpenAIAPIKey != "" {
		t.Fatalf("got %q %q %q", c.LLMProvider, c.OpenAIBaseURL, c.OpenAIModel)
	}
	for k, v := range map[string]string{"LLM_PROVIDER": "claude", "OPENAI_BASE_URL": "localhost:11434",
		"TTS_PROVIDER": "azure", "ELEVENLABS_BASE_URL": "api.elevenlabs.io", "OPENAI_TTS_BASE_URL": "ftp://x"} {
		var ce *Error
		if _, err := Load(Sources{Env: env(map[string]string{k: v})}); !errors.As(err, &ce) || ce.Key != k {
			t.Errorf("%s=%s: %v", k, v, err)
		}
	}
	if !IsSecret("OPENAI_API_KEY") || !IsSecret("ELEVENLABS_API_KEY") {
		t.Error("a provider key is not secret")
	}
	c, err = Load(Sources{Env: env(map[string]string{"TTS_PROVIDER": "ElevenLabs", "ELEVENLABS_API_KEY": "k", "ELEVENLABS_VOICE_ID": "v"})})
	if err != nil || c.TTSProvider != "elevenlabs" || c.ElevenLabsBaseURL != "https://api.elevenlabs.io" || c.ElevenLabsVoiceID != "v" {
		t.Fatalf("voice settings: %+v %v", c, err)
	}
	c, err = Load(Sources{Env: env(map[string]string{"IMAGE_PROVIDER": "Gemini", "GEMINI_IMAGE_MODEL": "gemini-3-pro-image",
		"OPENAI_IMAGES_BASE_URL": "http://localhost:8080/v1/", "OPENAI_IMAGE_MODEL": "gpt-image-2"})})
	if err != nil || c.ImageProvider != "gemini" || c.GeminiImageModel != "gemini-3-pro-image" ||
		c.OpenAIImagesBaseURL != "http://localhost:8080/v1" || c.OpenAIImageModel != "gpt-image-2" {
		t.Fatalf("image settings: %+v %v", c, err)
	}
	for k, v := range map[string]string{"IMAGE_PROVIDER": "imagen", "OPENAI_IMAGES_BASE_URL": "localhost:8080"} {
		var ce *Error
		if _, err := Load(Sources{Env: env(map[string]string{k: v})}); !errors.As(err, &ce) || ce.Key != k {
			t.Errorf("%s=%s: %v", k, v, err)
		}
	}
}

func TestSentinelSettings(t *testing.T) {
	c, err := Load(Sources{Env: env(map[string]string{"REDIS_SENTINELS": "10.0.0.1:26379, 10.0.0.2:26379,10.0.0.3:26379",
		"REDIS_MASTER_NAME": "mymaster", "REDIS_PASSWORD": "pw", "REDIS_SENTINEL_PASSWORD": "spw", "REDIS_URL": "redis://127.0.0.1:6379/3"})})
	if err != nil {
		t.Fatal(err)
	}
	conn := c.RedisConn()
	if !conn.Sentinel() || len(conn.Sentinels) != 3 || conn.Sentinels[1] != "10.0.0.2:26379" || conn.MasterName != "mymaster" ||
		conn.Password != "pw" || conn.SentinelPassword != "spw" || conn.DB != 3 {
		t.Fatalf("conn = %+v", conn)
	}
	if strings.Contains(conn.String(), "pw") {
		t.Fatalf("String shows a password: %s", conn)
	}
	if !IsSecret("REDIS_PASSWORD") || !IsSecret("REDIS_SENTINEL_PASSWORD") {
		t.Fatal("Redis passwords must be secret")
	}
	for _, bad := range []map[string]string{
		{"REDIS_SENTINELS": "10.0.0.1:26379"},                           // no master name
		{"REDIS_MASTER_NAME": "mymaster"},                               // no sentinels
		{"REDIS_SENTINELS": "10.0.0.1", "REDIS_MASTER_NAME": "m"},       // no port
		{"REDIS_SENTINELS": "10.0.0.1:99999", "REDIS_MASTER_NAME": "m"}, // bad port
	} {
		var ce *Error
		if _, err := Load(Sources{Env: env(bad)}); !errors.As(err, &ce) {
			t.Errorf("%v: err = %v, want a config error", bad, err)
		}
	}
	// Without Sentinel, REDIS_PASSWORD authenticates to REDIS_URL.
	c, err = Load(Sources{Env: env(map[string]string{"REDIS_URL": "redis://10.0.0.9:6379/0", "REDIS_PASSWORD": "pw"})})
	if err != nil {
		t.Fatal(err)
	}
	if c.RedisConn().Sentinel() || c.RedisURL != "redis://:pw@10.0.0.9:6379/0" {
		t.Fatalf("url = %s", c.RedisURL)
	}
}

func TestProviderLimitsAndRenders(t *testing.T) {
	c, err := Load(Sources{Env: env(map[string]string{"LIMIT_STABILITY_PER_MINUTE": "60", "LIMIT_GOOGLE_TTS_IN_FLIGHT": "0",
		"LIMIT_WAIT": "3s", "MAX_RENDERS": "2"})})
	if err != nil {
		t.Fatal(err)
	}
	want := limits.Defaults()
	want[limits.Stability] = limits.Limit{InFlight: want[limits.Stability].InFlight, PerMinute: 60}
	want[limits.GoogleTTS] = limits.Limit{}
	for _, p := range limits.Providers {
		if c.ProviderLimits[p] != want[p] {
			t.Errorf("%s: %+v, want %+v", p, c.ProviderLimits[p], want[p])
		}
	}
	if c.LimitWait != 3*time.Second || c.MaxRenders != 2 {
		t.Fatalf("wait %v, renders %d", c.LimitWait, c.MaxRenders)
	}
	c, _ = Load(Sources{Env: env(nil)})
	if c.MaxRenders != limits.DefaultRenders() || c.LimitWait != limits.DefaultMaxWait || c.ProviderLimits[limits.Stability].PerMinute != 150 {
		t.Fatalf("defaults: renders %d, wait %v, %+v", c.MaxRenders, c.LimitWait, c.ProviderLimits)
	}
	for _, k := range []string{"MAX_RENDERS", "LIMIT_WAIT", "LIMIT_PIXABAY_PER_MINUTE", "LIMIT_YOUTUBE_IN_FLIGHT"} {
		if !slices.Contains(Keys, k) {
			t.Errorf("Keys lacks %s", k)
		}
	}
}
