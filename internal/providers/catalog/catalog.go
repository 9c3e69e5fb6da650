// Package catalog lists the services YTMaker can use (script writers,
// voices, pictures, avatar, upload), whether each is configured and which
// one a project gets by default, and tests a service's key with the
// cheapest real call it offers. It never reveals a key: the list holds
// only what a person may see (the service's host, model and voice).
package catalog

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/config"
	"github.com/ytmaker/ytmaker/internal/language"
	"github.com/ytmaker/ytmaker/internal/media/tts"
	"github.com/ytmaker/ytmaker/internal/pipeline"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/providers/did"
	"github.com/ytmaker/ytmaker/internal/providers/elevenlabs"
	"github.com/ytmaker/ytmaker/internal/providers/gemini"
	"github.com/ytmaker/ytmaker/internal/providers/googletts"
	"github.com/ytmaker/ytmaker/internal/providers/openaicompat"
	"github.com/ytmaker/ytmaker/internal/providers/stability"
	"github.com/ytmaker/ytmaker/internal/providers/stock"
	"github.com/ytmaker/ytmaker/internal/providers/youtube"
)

// Kinds of work a service does.
const (
	KindScript = "script"
	KindTTS    = "tts"
	KindImages = "images"
	KindAvatar = "avatar"
	KindUpload = "upload"
)

// Kinds lists the kinds in pipeline order.
var Kinds = []string{KindScript, KindTTS, KindImages, KindAvatar, KindUpload}

// Codes of Test's errors.
const (
	CodeNotFound      = "PROVIDER_NOT_FOUND"
	CodeNotConfigured = "PROVIDER_NOT_CONFIGURED"
	CodeTestTooSoon   = "PROVIDER_TEST_RATE_LIMITED"
)

// Defaults for Options.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultMinInterval = 5 * time.Second
)

// Provider is one service as the list shows it.
type Provider struct {
	// Name identifies it: gemini, openai, offline-writer, google-tts,
	// gemini-speech, elevenlabs, openai-speech, offline-voice, stability, openai-images,
	// gemini-images, pexels, pixabay, slides, d-id, youtube.
	Name string
	// Kind is what it does (KindScript, ...).
	Kind string
	// Choice is the value that picks it in a project's
	// settings.providers and in LLM_PROVIDER / TTS_PROVIDER.
	Choice string
	// Title is its name for people.
	Title string
	// Configured reports whether its settings are complete (its key is
	// set); built-in services always are.
	Configured bool
	// Default reports whether projects that leave the choice to "auto"
	// use it.
	Default bool
	// BuiltIn services run on this machine, with no account.
	BuiltIn bool
	// Host is the host (and port) of the API it calls, "" for built-in
	// services. Never a path, query or credentials.
	Host string
	// Model and Voice are what it uses unless a project says otherwise.
	Model string
	Voice string
	// Settings are the environment variables that configure it.
	Settings []string
}

// Result is the outcome of a test that was carried out.
type Result struct {
	Name    string
	OK      bool
	Latency time.Duration
	// Message is a short note for people (models found, credits left).
	Message string
	// Error is the coded failure when OK is false.
	Error    *errcode.Error
	TestedAt time.Time
}

// Options tune a Catalog.
type Options struct {
	// HTTPClient carries the test calls; nil means a new client.
	HTTPClient *http.Client
	// Timeout bounds one test; 0 means DefaultTimeout.
	Timeout time.Duration
	// MinInterval is the least time between two tests of one service, so
	// the endpoint cannot be used to hammer it; 0 means
	// DefaultMinInterval.
	MinInterval time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// checkFunc makes a service's cheapest real call and returns a note.
type checkFunc func(ctx context.Context, hc *http.Client) (string, error)

type entry struct {
	Provider
	check checkFunc
}

// Catalog is the list of services of one configuration (and of the
// YouTube authorization saved in DATA_DIR). It is safe for concurrent use.
type Catalog struct {
	cfg  *config.Config
	opts Options

	mu   sync.Mutex
	last map[string]time.Time // when each service's last test started
}

// New returns the catalog of c.
func New(c *config.Config, opts Options) *Catalog {
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MinInterval <= 0 {
		opts.MinInterval = DefaultMinInterval
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Catalog{cfg: c, opts: opts, last: map[string]time.Time{}}
}

// List returns every service, in pipeline order.
func (c *Catalog) List() []Provider {
	list := entries(c.cfg)
	out := make([]Provider, len(list))
	for i, e := range list {
		out[i] = e.Provider
		out[i].Settings = slices.Clone(e.Settings)
	}
	return out
}

// TestInterval is the least time between two tests of one service.
func (c *Catalog) TestInterval() time.Duration { return c.opts.MinInterval }

// Defaults returns the default choice of each kind (see pipeline.Defaults).
func (c *Catalog) Defaults() map[string]string {
	d := map[string]string{}
	for _, e := range entries(c.cfg) {
		if e.Default {
			d[e.Kind] = e.Choice
		}
	}
	for _, k := range Kinds {
		if _, ok := d[k]; !ok {
			d[k] = project.ProviderNone
		}
	}
	return d
}

// lookup finds a service by name, or by a choice that names one service
// only ("google", "did").
func (c *Catalog) lookup(name string) (entry, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	var byChoice []entry
	for _, e := range entries(c.cfg) {
		if e.Name == name {
			return e, true
		}
		if e.Choice == name {
			byChoice = append(byChoice, e)
		}
	}
	if len(byChoice) == 1 {
		return byChoice[0], true
	}
	return entry{}, false
}

// Test makes the named service's cheapest real call within the timeout
// and reports how it went. A failed call is a Result with OK false and
// the coded error (OPENAI_AUTH_FAILED, STABILITY_UNAVAILABLE, ...). Test
// itself fails with PROVIDER_NOT_FOUND for an unknown name,
// PROVIDER_NOT_CONFIGURED for a service without its settings, and
// PROVIDER_TEST_RATE_LIMITED (with RetryAfter) when the same service was
// tested less than MinInterval ago.
func (c *Catalog) Test(ctx context.Context, name string) (Result, error) {
	e, ok := c.lookup(name)
	if !ok {
		return Result{}, errcode.Newf(CodeNotFound, false, "no service named %q; ytmaker providers lists them", name).
			WithDetail("name", name)
	}
	if !e.Configured {
		return Result{}, errcode.Newf(CodeNotConfigured, false, "%s is not configured: set %s", e.Title, strings.Join(e.Settings, ", ")).
			WithDetail("name", e.Name)
	}
	if err := c.reserve(e.Name); err != nil {
		return Result{}, err
	}
	tctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	at, start := c.opts.Now(), time.Now()
	note, err := e.check(tctx, c.opts.HTTPClient)
	r := Result{Name: e.Name, OK: err == nil, Latency: time.Since(start), Message: note, TestedAt: at.UTC()}
	if err != nil {
		if ctx.Err() != nil {
			return Result{}, errcode.Classify(ctx.Err())
		}
		r.Error = errcode.Classify(err).Clone()
		if tctx.Err() == context.DeadlineExceeded {
			r.Error.Message = fmt.Sprintf("%s did not answer within %s", e.Title, c.opts.Timeout)
		}
		r.Message = ""
	}
	return r, nil
}

// reserve records a test of name starting now, or refuses it when the
// last one started less than MinInterval ago.
func (c *Catalog) reserve(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.opts.Now()
	if last, ok := c.last[name]; ok {
		if wait := c.opts.MinInterval - now.Sub(last); wait > 0 {
			return errcode.Newf(CodeTestTooSoon, true, "%s was tested %s ago; test it again in %s",
				name, now.Sub(last).Round(time.Millisecond), wait.Round(100*time.Millisecond)).
				WithRetryAfter(wait).WithDetail("name", name)
		}
	}
	c.last[name] = now
	return nil
}

// host returns the host[:port] of a base URL, or of def when it is "".
// Anything else in the URL (user, path, query) is left out.
func host(base, def string) string {
	if base == "" {
		base = def
	}
	u, err := url.Parse(base)
	if err != nil {
		return ""
	}
	return u.Host
}

// entries builds the list of c, in pipeline order. It is built on every
// call: the YouTube authorization can be saved (ytmaker youtube auth)
// while the server runs.
func entries(c *config.Config) []entry {
	defaults := pipeline.Defaults(c)
	yc := pipeline.YouTubeConfig(c)
	speechBase := c.OpenAITTSBaseURL
	if speechBase == "" {
		speechBase = c.OpenAIBaseURL
	}
	imagesBase := cmp.Or(c.OpenAIImagesBaseURL, c.OpenAIBaseURL)
	en, zh := googletts.DefaultVoice(language.English), googletts.DefaultVoice(language.ChineseTraditional)
	list := []entry{
		{Provider: Provider{Name: "gemini", Kind: KindScript, Choice: project.ProviderGemini, Title: "Gemini",
			Configured: c.GeminiAPIKey != "", Host: host(c.GeminiBaseURL, gemini.DefaultBaseURL),
			Model: cmp.Or(c.GeminiModel, gemini.DefaultModel), Settings: []string{"GEMINI_API_KEY", "GEMINI_MODEL", "GEMINI_BASE_URL"}},
			check: func(ctx context.Context, hc *http.Client) (string, error) {
				w, err := gemini.NewWriter(ctx, gemini.Config{APIKey: c.GeminiAPIKey, Model: c.GeminiModel, BaseURL: c.GeminiBaseURL, HTTPClient: hc})
				if err != nil {
					return "", err
				}
				return w.Check(ctx)
			}},
		{Provider: Provider{Name: "openai", Kind: KindScript, Choice: project.ProviderOpenAI, Title: "OpenAI-compatible chat",
			Configured: c.OpenAIBaseURL != "" || c.OpenAIAPIKey != "", Host: host(c.OpenAIBaseURL, openaicompat.DefaultBaseURL),
			Model: c.OpenAIModel, Settings: []string{"OPENAI_BASE_URL", "OPENAI_API_KEY", "OPENAI_MODEL"}},
			check: func(ctx context.Context, hc *http.Client) (string, error) {
				return openaicompat.Check(ctx, openaicompat.CheckConfig{BaseURL: c.OpenAIBaseURL, APIKey: c.OpenAIAPIKey,
					Model: c.OpenAIModel, HTTPClient: hc})
			}},
		{Provider: Provider{Name: "offline-writer", Kind: KindScript, Choice: project.ProviderOffline, Title: "Offline script writer",
			Configured: true, BuiltIn: true},
			check: func(context.Context, *http.Client) (string, error) {
				return "built in: it extracts the script from the text itself", nil
			}},
		{Provider: Provider{Name: "google-tts", Kind: KindTTS, Choice: project.ProviderGoogle, Title: "Google Cloud Text-to-Speech",
			Configured: c.GoogleTTSAPIKey != "", Host: host(c.GoogleTTSBaseURL, googletts.DefaultBaseURL),
			Voice: fmt.Sprintf("%s (en), %s (zh-TW), by language", en.Name, zh.Name), Settings: []string{"GOOGLE_TTS_API_KEY", "GOOGLE_TTS_BASE_URL"}},
			check: func(ctx context.Context, hc *http.Client) (string, error) {
				cl, err := googletts.New(googletts.Config{APIKey: c.GoogleTTSAPIKey, BaseURL: c.GoogleTTSBaseURL, HTTPClient: hc})
				if err != nil {
					return "", err
				}
				return cl.Check(ctx)
			}},
		{Provider: Provider{Name: "gemini-speech", Kind: KindTTS, Choice: project.ProviderGemini, Title: "Gemini speech",
			Configured: c.GeminiAPIKey != "", Host: host(c.GeminiBaseURL, gemini.DefaultBaseURL),
			Model: cmp.Or(c.GeminiTTSModel, gemini.DefaultSpeechModel), Voice: cmp.Or(c.GeminiTTSVoice, gemini.DefaultVoice),
			Settings: []string{"GEMINI_API_KEY", "GEMINI_TTS_MODEL", "GEMINI_TTS_VOICE", "GEMINI_BASE_URL"}},
			check: func(ctx context.Context, hc *http.Client) (string, error) {
				sp, err := gemini.NewSpeaker(ctx, gemini.Config{APIKey: c.GeminiAPIKey, Model: c.GeminiTTSModel, BaseURL: c.GeminiBaseURL, HTTPClient: hc}, c.GeminiTTSVoice)
				if err != nil {
					return "", err
				}
				return sp.Check(ctx)
			}},
		{Provider: Provider{Name: "elevenlabs", Kind: KindTTS, Choice: project.ProviderElevenLabs, Title: "ElevenLabs",
			Configured: c.ElevenLabsAPIKey != "", Host: host(c.ElevenLabsBaseURL, elevenlabs.DefaultBaseURL),
			Model: cmp.Or(c.ElevenLabsModel, elevenlabs.DefaultModel), Voice: cmp.Or(c.ElevenLabsVoiceID, elevenlabs.DefaultVoiceID),
			Settings: []string{"ELEVENLABS_API_KEY", "ELEVENLABS_VOICE_ID", "ELEVENLABS_MODEL", "ELEVENLABS_BASE_URL"}},
			check: func(ctx context.Context, hc *http.Client) (string, error) {
				cl, err := elevenlabs.New(elevenlabs.Config{APIKey: c.ElevenLabsAPIKey, BaseURL: c.ElevenLabsBaseURL,
					VoiceID: c.ElevenLabsVoiceID, Model: c.ElevenLabsModel, HTTPClient: hc})
				if err != nil {
					return "", err
				}
				return cl.Check(ctx)
			}},
		{Provider: Provider{Name: "openai-speech", Kind: KindTTS, Choice: project.ProviderOpenAI, Title: "OpenAI-compatible speech",
			Configured: pipeline.OpenAISpeechConfigured(c), Host: host(speechBase, openaicompat.DefaultBaseURL),
			Model: cmp.Or(c.OpenAITTSModel, openaicompat.DefaultSpeechModel), Voice: cmp.Or(c.OpenAITTSVoice, openaicompat.DefaultVoice),
			Settings: []string{"OPENAI_TTS_BASE_URL", "OPENAI_TTS_MODEL", "OPENAI_TTS_VOICE", "OPENAI_API_KEY"}},
			check: func(ctx context.Context, hc *http.Client) (string, error) {
				return openaicompat.Check(ctx, openaicompat.CheckConfig{BaseURL: speechBase, APIKey: c.OpenAIAPIKey,
					Model: c.OpenAITTSModel, HTTPClient: hc})
			}},
		{Provider: Provider{Name: "offline-voice", Kind: KindTTS, Choice: project.ProviderOffline, Title: "Offline voice (festival, espeak-ng)",
			Configured: true, BuiltIn: true, Voice: "festival slt (English), espeak-ng (other languages)"},
			check: func(context.Context, *http.Client) (string, error) {
				o, err := tts.NewOffline(tts.OfflineConfig{})
				if err != nil {
					return "", err
				}
				en, err := o.EngineFor(language.English)
				if err != nil {
					return "", err
				}
				other, err := o.EngineFor(language.Japanese)
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("installed: %s for English, %s for other languages", en.Name(), other.Name()), nil
			}},
		{Provider: Provider{Name: "stability", Kind: KindImages, Choice: project.ProviderStab, Title: "Stability AI",
			Configured: c.StabilityAPIKey != "", Host: host(c.StabilityBaseURL, stability.DefaultBaseURL),
			Model: stability.DefaultModel, Settings: []string{"STABILITY_API_KEY", "STABILITY_BASE_URL"}},
			check: func(ctx context.Context, hc *http.Client) (string, error) {
				cl, err := stability.New(stability.Config{APIKey: c.StabilityAPIKey, BaseURL: c.StabilityBaseURL, HTTPClient: hc})
				if err != nil {
					return "", err
				}
				return cl.Check(ctx)
			}},
		{Provider: Provider{Name: "openai-images", Kind: KindImages, Choice: project.ProviderOpenAI, Title: "OpenAI-compatible images",
			Configured: imagesBase != "" || c.OpenAIAPIKey != "", Host: host(imagesBase, openaicompat.DefaultBaseURL),
			Model:    cmp.Or(c.OpenAIImageModel, openaicompat.DefaultImageModel),
			Settings: []string{"OPENAI_IMAGES_BASE_URL", "OPENAI_IMAGE_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL"}},
			check: func(ctx context.Context, hc *http.Client) (string, error) {
				return openaicompat.Check(ctx, openaicompat.CheckConfig{BaseURL: imagesBase, APIKey: c.OpenAIAPIKey,
					Model: cmp.Or(c.OpenAIImageModel, openaicompat.DefaultImageModel), HTTPClient: hc})
			}},
		{Provider: Provider{Name: "gemini-images", Kind: KindImages, Choice: project.ProviderGemini, Title: "Gemini images",
			Configured: c.GeminiAPIKey != "", Host: host(c.GeminiBaseURL, gemini.DefaultBaseURL),
			Model: cmp.Or(c.GeminiImageModel, gemini.DefaultImageModel), Settings: []string{"GEMINI_API_KEY", "GEMINI_IMAGE_MODEL", "GEMINI_BASE_URL"}},
			check: func(ctx context.Context, hc *http.Client) (string, error) {
				p, err := gemini.NewPainter(ctx, gemini.Config{APIKey: c.GeminiAPIKey, Model: c.GeminiImageModel, BaseURL: c.GeminiBaseURL, HTTPClient: hc})
				if err != nil {
					return "", err
				}
				return p.Check(ctx)
			}},
		{Provider: Provider{Name: "pexels", Kind: KindImages, Choice: project.ProviderPexels, Title: "Pexels (stock videos and photos)",
			Configured: c.PexelsAPIKey != "", Host: host(c.PexelsBaseURL, stock.DefaultPexelsBaseURL),
			Settings: []string{"PEXELS_API_KEY", "PEXELS_BASE_URL"}},
			check: func(ctx context.Context, hc *http.Client) (string, error) {
				cl, err := stock.NewPexels(stock.Config{APIKey: c.PexelsAPIKey, BaseURL: c.PexelsBaseURL, HTTPClient: hc})
				if err != nil {
					return "", err
				}
				if err := cl.Check(ctx); err != nil {
					return "", err
				}
				return "the key searches photos (settings.visuals stock_video or stock_photo)", nil
			}},
		{Provider: Provider{Name: "pixabay", Kind: KindImages, Choice: project.ProviderPixabay, Title: "Pixabay (stock videos and photos)",
			Configured: c.PixabayAPIKey != "", Host: host(c.PixabayBaseURL, stock.DefaultPixabayBaseURL),
			Settings: []string{"PIXABAY_API_KEY", "PIXABAY_BASE_URL"}},
			check: func(ctx context.Context, hc *http.Client) (string, error) {
				cl, err := stock.NewPixabay(stock.Config{APIKey: c.PixabayAPIKey, BaseURL: c.PixabayBaseURL, HTTPClient: hc})
				if err != nil {
					return "", err
				}
				if err := cl.Check(ctx); err != nil {
					return "", err
				}
				return "the key searches images (settings.visuals stock_video or stock_photo)", nil
			}},
		{Provider: Provider{Name: "slides", Kind: KindImages, Choice: project.ProviderOffline, Title: "Offline slides",
			Configured: true, BuiltIn: true},
			check: func(context.Context, *http.Client) (string, error) {
				return "built in: each segment gets a title slide", nil
			}},
		{Provider: Provider{Name: "d-id", Kind: KindAvatar, Choice: project.ProviderDID, Title: "D-ID",
			Configured: c.DIDAPIKey != "", Host: host(c.DIDBaseURL, did.DefaultBaseURL), Settings: []string{"DID_API_KEY", "DID_BASE_URL"}},
			check: func(ctx context.Context, hc *http.Client) (string, error) {
				cl, err := did.New(did.Config{APIKey: c.DIDAPIKey, BaseURL: c.DIDBaseURL, HTTPClient: hc})
				if err != nil {
					return "", err
				}
				cr, err := cl.Credits(ctx)
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("%g of %g credits left", cr.Remaining, cr.Total), nil
			}},
		{Provider: Provider{Name: "youtube", Kind: KindUpload, Choice: "youtube", Title: "YouTube",
			Configured: yc.Configured(), Host: host(c.YouTubeBaseURL, youtube.DefaultBaseURL),
			Settings: []string{"YOUTUBE_CLIENT_ID", "YOUTUBE_CLIENT_SECRET", "YOUTUBE_REFRESH_TOKEN (or ytmaker youtube auth)"}},
			check: func(ctx context.Context, hc *http.Client) (string, error) {
				yc := yc
				yc.HTTPClient = hc
				cl, err := youtube.New(yc)
				if err != nil {
					return "", err
				}
				return cl.Check(ctx)
			}},
	}
	for i := range list {
		e := &list[i]
		e.Default = defaults[e.Kind] == e.Choice
	}
	return list
}
