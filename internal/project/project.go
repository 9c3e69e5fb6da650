// Package project defines a YTMaker project: what the user asked for
// (name, content, settings) and the validation of that input.
package project

import (
	"fmt"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/brand"
	"github.com/ytmaker/ytmaker/internal/language"
	"github.com/ytmaker/ytmaker/internal/media/slides"
)

// Limits on project input.
const (
	MaxNameLen        = 200
	MaxContentLen     = 20000
	MaxTitleLen       = 100
	MaxDescriptionLen = 5000
	MaxTags           = 30
	MaxTagLen         = 100
	// MaxSegmentsLimit is the highest settings.max_segments, and the most
	// segments an edited script may have.
	MaxSegmentsLimit = 50
)

// Video formats.
const (
	FormatLandscape = "1920x1080"
	FormatVertical  = "1080x1920"
)

// Motion styles.
const (
	MotionNone     = "none"
	MotionKenBurns = "kenburns"
)

// Privacy values for YouTube.
const (
	PrivacyPublic   = "public"
	PrivacyUnlisted = "unlisted"
	PrivacyPrivate  = "private"
)

// Provider choices. "auto" uses the online service when its key is set and
// the offline default otherwise.
const (
	ProviderAuto    = "auto"
	ProviderOffline = "offline"
	ProviderGemini  = "gemini"
	ProviderOpenAI  = "openai"
	// ProviderElevenLabs is ElevenLabs' voices.
	ProviderElevenLabs = "elevenlabs"
	ProviderGoogle     = "google"
	ProviderStab       = "stability"
	ProviderDID        = "did"
	ProviderNone       = "none"
)

// Project is the user's input, stored as project.json in the project's
// folder.
type Project struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Content   string    `json:"content"`
	Language  string    `json:"language"`
	Settings  Settings  `json:"settings"`
	BatchID   int64     `json:"batch_id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Settings control how the video is made. Zero values mean "default";
// Normalize fills them in.
type Settings struct {
	Format string `json:"format,omitempty"`
	Voice  string `json:"voice,omitempty"`
	Motion string `json:"motion,omitempty"`
	// Visuals is what is shown over the narration: generated (default),
	// stock_video, stock_photo or slides (see VisualsGenerated).
	Visuals   string `json:"visuals,omitempty"`
	Theme     string `json:"theme,omitempty"` // a slide theme (slides.ThemeNames); "" or "auto" picks one from the content
	Brand     string `json:"brand,omitempty"` // a brand preset in DATA_DIR/brands; "" for none
	Subtitles *bool  `json:"subtitles,omitempty"`
	// Captions is the caption style: sentence (default), word, punch or
	// none; subtitles: false means none.
	Captions     string        `json:"captions,omitempty"`
	CaptionStyle *CaptionStyle `json:"caption_style,omitempty"`
	Music        string        `json:"music,omitempty"`
	MusicVolume  float64       `json:"music_volume,omitempty"`
	MaxSegments  int           `json:"max_segments,omitempty"`
	// PromptTemplate names the template of the script prompt (see
	// internal/prompts); "" is the built-in "default".
	PromptTemplate string `json:"prompt_template,omitempty"`
	Avatar         *bool  `json:"avatar,omitempty"`
	// ReviewScript stops the run after the script until the user
	// approves it (status SCRIPT_REVIEW).
	ReviewScript bool      `json:"review_script,omitempty"`
	YouTube      YouTube   `json:"youtube"`
	Providers    Providers `json:"providers"`
}

// YouTube holds upload settings.
type YouTube struct {
	Upload      *bool      `json:"upload,omitempty"`
	Title       string     `json:"title,omitempty"`
	Description string     `json:"description,omitempty"`
	Tags        []string   `json:"tags,omitempty"`
	Privacy     string     `json:"privacy,omitempty"`
	PublishAt   *time.Time `json:"publish_at,omitempty"`
	CategoryID  string     `json:"category_id,omitempty"`
}

// Providers picks the service per stage.
type Providers struct {
	Script string `json:"script,omitempty"` // auto | gemini | openai | offline
	// ScriptModel overrides the script writer's model (GEMINI_MODEL or
	// OPENAI_MODEL) for this project.
	ScriptModel string `json:"script_model,omitempty"`
	TTS         string `json:"tts,omitempty"`    // auto | google | openai | elevenlabs | offline
	Images      string `json:"images,omitempty"` // auto | stability | openai | gemini | offline
	Avatar      string `json:"avatar,omitempty"` // auto | did | none
	// Stock is the stock footage service of visuals stock_video and
	// stock_photo: auto (Pexels if its key is set, else Pixabay) | pexels
	// | pixabay.
	Stock string `json:"stock,omitempty"`
}

// Input is what a user supplies to create a project.
type Input struct {
	Name     string   `json:"name"`
	Content  string   `json:"content"`
	Language string   `json:"language,omitempty"`
	Settings Settings `json:"settings"`
}

// InvalidField returns the INVALID_INPUT error for one field.
func InvalidField(field, format string, args ...any) *errcode.Error {
	return errcode.Newf(errcode.InvalidInput, false, "%s: %s", field, fmt.Sprintf(format, args...)).
		WithDetail("field", field)
}

// Validate checks and normalises the input in place. The returned error is
// an INVALID_INPUT *errcode.Error whose details name the field.
func (in *Input) Validate() error {
	in.Name = strings.TrimSpace(in.Name)
	n := utf8.RuneCountInString(in.Name)
	if n == 0 {
		return InvalidField("name", "is required")
	}
	if n > MaxNameLen {
		return InvalidField("name", "is %d characters; at most %d allowed", n, MaxNameLen)
	}
	if !utf8.ValidString(in.Content) {
		return InvalidField("content", "is not valid UTF-8 text")
	}
	in.Content = strings.TrimSpace(strings.ReplaceAll(in.Content, "\r\n", "\n"))
	c := utf8.RuneCountInString(in.Content)
	if c == 0 {
		return InvalidField("content", "is required")
	}
	if c > MaxContentLen {
		return InvalidField("content", "is %d characters; at most %d allowed", c, MaxContentLen)
	}
	lang, err := normalizeLanguage(in.Language, in.Content)
	if err != nil {
		return err
	}
	in.Language = lang
	return in.Settings.Validate()
}

func normalizeLanguage(tag, content string) (string, error) {
	tag = strings.TrimSpace(tag)
	if tag == "" || strings.EqualFold(tag, "auto") {
		return language.Detect(content), nil
	}
	if len(tag) > 35 {
		return "", InvalidField("language", "is not a language tag (e.g. en, zh-TW, or auto)")
	}
	canon, ok := language.Canonical(tag)
	if !ok {
		return "", InvalidField("language", "%q is not a language tag such as en, zh-TW, pt-BR (or auto)", tag)
	}
	return canon, nil
}

// CheckMusicName checks the form of settings.music: empty, or the name of
// a file inside DATA_DIR/music ("calm.mp3", "ambient/rain.ogg"), never an
// absolute path or one that climbs out with "..". Whether the file exists
// is the store's check.
func CheckMusicName(name string) error {
	if name == "" {
		return nil
	}
	if len(name) > 255 || strings.ContainsAny(name, "\\\x00") || strings.HasPrefix(name, "/") ||
		path.Clean(name) != name || name == "." || strings.HasPrefix(name, "../") || name == ".." {
		return InvalidField("settings.music", "%q must be the name of a file in DATA_DIR/music, not a path", name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return InvalidField("settings.music", "must not contain control characters")
		}
	}
	return nil
}

// CheckPublishAt refuses a publish_at that is not in the future at now:
// YouTube refuses to schedule such a video, which would fail the upload
// long after the project was accepted.
func (y YouTube) CheckPublishAt(now time.Time) error {
	if y.PublishAt != nil && !y.PublishAt.After(now) {
		return InvalidField("settings.youtube.publish_at", "%s is not in the future", y.PublishAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// Validate checks settings and fills in defaults.
func (s *Settings) Validate() error {
	switch strings.ToLower(strings.TrimSpace(s.Format)) {
	case "", FormatLandscape, "landscape", "horizontal", "16:9":
		s.Format = FormatLandscape
	case FormatVertical, "vertical", "portrait", "9:16", "shorts":
		s.Format = FormatVertical
	default:
		return InvalidField("settings.format", "%q is not supported; use %s or %s", s.Format, FormatLandscape, FormatVertical)
	}
	switch strings.ToLower(strings.TrimSpace(s.Motion)) {
	case "", MotionNone:
		s.Motion = MotionNone
	case MotionKenBurns, "ken_burns", "ken-burns":
		s.Motion = MotionKenBurns
	default:
		return InvalidField("settings.motion", "%q is not supported; use none or kenburns", s.Motion)
	}
	if err := s.validateVisuals(); err != nil {
		return err
	}
	if err := s.validateTheme(); err != nil {
		return err
	}
	if s.Brand = strings.TrimSpace(s.Brand); s.Brand != "" {
		if err := brand.ValidName("settings.brand", s.Brand); err != nil {
			return err
		}
	}
	if err := s.validateCaptions(); err != nil {
		return err
	}
	s.Music = strings.TrimSpace(s.Music)
	if err := CheckMusicName(s.Music); err != nil {
		return err
	}
	if len(s.Voice) > 100 {
		return InvalidField("settings.voice", "is too long")
	}
	if s.MusicVolume < 0 || s.MusicVolume > 1 {
		return InvalidField("settings.music_volume", "must be between 0 and 1")
	}
	if s.MusicVolume == 0 {
		s.MusicVolume = 0.15
	}
	if s.MaxSegments < 0 || s.MaxSegments > MaxSegmentsLimit {
		return InvalidField("settings.max_segments", "must be between 3 and 50")
	}
	if s.MaxSegments == 0 {
		s.MaxSegments = 12
	}
	if s.MaxSegments < 3 {
		return InvalidField("settings.max_segments", "must be between 3 and 50")
	}
	if err := checkTemplateName(s.PromptTemplate); err != nil {
		return err
	}
	if err := s.YouTube.validate(); err != nil {
		return err
	}
	return s.Providers.validate()
}

func (y *YouTube) validate() error {
	y.Title = strings.TrimSpace(y.Title)
	if n := utf8.RuneCountInString(y.Title); n > MaxTitleLen {
		return InvalidField("settings.youtube.title", "is %d characters; at most %d allowed", n, MaxTitleLen)
	}
	if strings.ContainsAny(y.Title, "<>") {
		return InvalidField("settings.youtube.title", "must not contain < or >")
	}
	if n := utf8.RuneCountInString(y.Description); n > MaxDescriptionLen {
		return InvalidField("settings.youtube.description", "is %d characters; at most %d allowed", n, MaxDescriptionLen)
	}
	if strings.ContainsAny(y.Description, "<>") {
		return InvalidField("settings.youtube.description", "must not contain < or >")
	}
	if len(y.Tags) > MaxTags {
		return InvalidField("settings.youtube.tags", "has %d tags; at most %d allowed", len(y.Tags), MaxTags)
	}
	for i, t := range y.Tags {
		t = strings.TrimSpace(t)
		if t == "" || utf8.RuneCountInString(t) > MaxTagLen || strings.ContainsAny(t, "<>,") {
			return InvalidField(fmt.Sprintf("settings.youtube.tags[%d]", i), "must be 1-%d characters without < > or ,", MaxTagLen)
		}
		y.Tags[i] = t
	}
	switch strings.ToLower(y.Privacy) {
	case "":
		y.Privacy = PrivacyPrivate
	case PrivacyPublic, PrivacyUnlisted, PrivacyPrivate:
		y.Privacy = strings.ToLower(y.Privacy)
	default:
		return InvalidField("settings.youtube.privacy", "%q is not one of public, unlisted, private", y.Privacy)
	}
	if y.PublishAt != nil {
		// YouTube schedules only private videos.
		y.Privacy = PrivacyPrivate
		t := y.PublishAt.UTC()
		y.PublishAt = &t
	}
	if y.CategoryID == "" {
		y.CategoryID = "22"
	}
	for _, r := range y.CategoryID {
		if r < '0' || r > '9' {
			return InvalidField("settings.youtube.category_id", "must be a number such as 22 or 27")
		}
	}
	return nil
}

func (p *Providers) validate() error {
	check := func(field string, v *string, allowed ...string) error {
		*v = strings.ToLower(strings.TrimSpace(*v))
		if *v == "" {
			*v = ProviderAuto
			return nil
		}
		for _, a := range append([]string{ProviderAuto}, allowed...) {
			if *v == a {
				return nil
			}
		}
		return InvalidField(field, "%q is not one of auto, %s", *v, strings.Join(allowed, ", "))
	}
	if err := check("settings.providers.script", &p.Script, ProviderGemini, ProviderOpenAI, ProviderOffline); err != nil {
		return err
	}
	p.ScriptModel = strings.TrimSpace(p.ScriptModel)
	if len(p.ScriptModel) > 200 || strings.ContainsFunc(p.ScriptModel, unicode.IsControl) {
		return InvalidField("settings.providers.script_model", "must be a model name of at most 200 characters")
	}
	if err := check("settings.providers.tts", &p.TTS, ProviderGoogle, ProviderGemini, ProviderOpenAI, ProviderElevenLabs, ProviderOffline); err != nil {
		return err
	}
	if err := check("settings.providers.images", &p.Images, ProviderStab, ProviderOpenAI, ProviderGemini, ProviderOffline); err != nil {
		return err
	}
	if err := check("settings.providers.stock", &p.Stock, ProviderPexels, ProviderPixabay); err != nil {
		return err
	}
	return check("settings.providers.avatar", &p.Avatar, ProviderDID, ProviderNone)
}

// checkTemplateName checks the form of settings.prompt_template (whether
// the template exists is the store's to check).
func checkTemplateName(name string) error {
	if name == "" {
		return nil
	}
	ok := len(name) <= 64
	for i, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || (r == '-' || r == '_') && i > 0) {
			ok = false
		}
	}
	if !ok {
		return InvalidField("settings.prompt_template", "%q is not a template name (lower-case letters, digits, - and _)", name)
	}
	return nil
}

// Size returns the video's width and height.
func (s Settings) Size() (w, h int) {
	if s.Format == FormatVertical {
		return 1080, 1920
	}
	return 1920, 1080
}

// SubtitlesOn reports whether subtitles are burned in (default true).
func (s Settings) SubtitlesOn() bool {
	return (s.Subtitles == nil || *s.Subtitles) && s.Captions != CaptionsNone
}

// CaptionMode returns the caption style, sentence when unset.
func (s Settings) CaptionMode() string {
	switch {
	case !s.SubtitlesOn():
		return CaptionsNone
	case s.Captions == "":
		return CaptionsSentence
	}
	return s.Captions
}

// UploadWanted reports whether the user wants the video uploaded (default
// true; the stage is skipped when no credentials are configured).
func (y YouTube) UploadWanted() bool { return y.Upload == nil || *y.Upload }

// validateTheme normalises the slide theme: "" and "auto" mean chosen
// from the content.
func (s *Settings) validateTheme() error {
	t := strings.ToLower(strings.TrimSpace(s.Theme))
	if t == "" || t == "auto" {
		s.Theme = ""
		return nil
	}
	if _, ok := slides.LookupTheme(t); !ok {
		return InvalidField("settings.theme", "%q is not a theme; use auto or one of %s", s.Theme, strings.Join(slides.ThemeNames(), ", "))
	}
	s.Theme = t
	return nil
}
