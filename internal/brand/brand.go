// Package brand keeps a channel's brand presets: the channel name shown
// on the intro and outro cards, a logo or watermark (position, size,
// opacity) and an optional slide theme. Presets are JSON files in
// DATA_DIR/brands, written atomically, validated on the way in and out,
// and chosen per project with the setting "brand".
package brand

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/atomicfile"
)

// Watermark positions.
const (
	TopLeft     = "top-left"
	TopRight    = "top-right"
	BottomLeft  = "bottom-left"
	BottomRight = "bottom-right"
)

// Brand is one preset.
type Brand struct {
	// Name identifies the preset: 1–64 lower-case letters, digits, '-'
	// and '_'. It is the file name (Name.json) and the project setting.
	Name string `json:"name"`
	// Channel is the channel name shown on the intro and outro cards.
	Channel string `json:"channel"`
	// Logo is an image file (PNG or JPEG) in DATA_DIR/brands shown as the
	// watermark; "" shows the channel name instead.
	Logo      string    `json:"logo,omitempty"`
	Watermark Watermark `json:"watermark"`
	// Intro and Outro turn the channel cards on the first and last
	// slides on or off (default on).
	Intro *bool `json:"intro,omitempty"`
	Outro *bool `json:"outro,omitempty"`
	// Theme is the slide theme of the brand's videos; "" lets each
	// project choose.
	Theme string `json:"theme,omitempty"`
}

// Watermark places the logo on every frame of the narration.
type Watermark struct {
	Enabled  *bool   `json:"enabled,omitempty"`  // default on
	Position string  `json:"position,omitempty"` // top-left, top-right (default), bottom-left, bottom-right
	Size     float64 `json:"size,omitempty"`     // width as a share of the frame's width, 0.03–0.4; default 0.12
	Opacity  float64 `json:"opacity,omitempty"`  // 0.05–1; default 0.8
}

// On reports whether the watermark is shown.
func (w Watermark) On() bool { return w.Enabled == nil || *w.Enabled }

// IntroOn and OutroOn report whether the channel cards are shown.
func (b Brand) IntroOn() bool { return b.Intro == nil || *b.Intro }

// OutroOn reports whether the outro card shows the channel.
func (b Brand) OutroOn() bool { return b.Outro == nil || *b.Outro }

var nameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// ValidName checks a preset name, returning an INVALID_INPUT error naming
// field.
func ValidName(field, name string) error {
	if !nameRe.MatchString(name) {
		return invalid(field, "%q is not a brand name (1–64 lower-case letters, digits, - and _)", name)
	}
	return nil
}

func invalid(field, format string, args ...any) *errcode.Error {
	return errcode.Newf(errcode.InvalidInput, false, "%s: %s", field, fmt.Sprintf(format, args...)).WithDetail("field", field)
}

// Validate checks the preset and fills in defaults. themeOK checks a theme
// name (nil accepts any).
func (b *Brand) Validate(themeOK func(string) bool) error {
	b.Name = strings.TrimSpace(b.Name)
	if err := ValidName("name", b.Name); err != nil {
		return err
	}
	b.Channel = strings.Join(strings.Fields(b.Channel), " ")
	if n := utf8.RuneCountInString(b.Channel); n == 0 || n > 100 {
		return invalid("channel", "must be 1–100 characters")
	}
	b.Logo = strings.TrimSpace(b.Logo)
	if b.Logo != "" {
		if filepath.Base(b.Logo) != b.Logo || strings.HasPrefix(b.Logo, ".") {
			return invalid("logo", "must be a file name inside DATA_DIR/brands, not a path")
		}
		switch strings.ToLower(filepath.Ext(b.Logo)) {
		case ".png", ".jpg", ".jpeg":
		default:
			return invalid("logo", "must be a PNG or JPEG file")
		}
	}
	w := &b.Watermark
	switch strings.ToLower(strings.TrimSpace(w.Position)) {
	case "":
		w.Position = TopRight
	case TopLeft, TopRight, BottomLeft, BottomRight:
		w.Position = strings.ToLower(strings.TrimSpace(w.Position))
	default:
		return invalid("watermark.position", "%q is not one of top-left, top-right, bottom-left, bottom-right", w.Position)
	}
	if w.Size == 0 {
		w.Size = 0.12
	}
	if w.Size < 0.03 || w.Size > 0.4 {
		return invalid("watermark.size", "must be between 0.03 and 0.4 (a share of the frame's width)")
	}
	if w.Opacity == 0 {
		w.Opacity = 0.8
	}
	if w.Opacity < 0.05 || w.Opacity > 1 {
		return invalid("watermark.opacity", "must be between 0.05 and 1")
	}
	b.Theme = strings.ToLower(strings.TrimSpace(b.Theme))
	if b.Theme == "auto" {
		b.Theme = ""
	}
	if b.Theme != "" && themeOK != nil && !themeOK(b.Theme) {
		return invalid("theme", "%q is not a theme", b.Theme)
	}
	return nil
}

// Store keeps presets in a directory.
type Store struct {
	dir     string
	themeOK func(string) bool
}

// NewStore returns the store of dir (DATA_DIR/brands), created on the
// first save. themeOK validates theme names (nil accepts any).
func NewStore(dir string, themeOK func(string) bool) *Store {
	return &Store{dir: dir, themeOK: themeOK}
}

// Dir is the store's directory, where logos go too.
func (s *Store) Dir() string { return s.dir }

func (s *Store) path(name string) string { return filepath.Join(s.dir, name+".json") }

// Save validates b and writes it atomically, replacing a preset of the
// same name.
func (s *Store) Save(b Brand) (Brand, error) {
	if err := b.Validate(s.themeOK); err != nil {
		return b, err
	}
	if b.Logo != "" {
		if _, err := os.Stat(filepath.Join(s.dir, b.Logo)); err != nil {
			return b, invalid("logo", "%s is not in %s", b.Logo, s.dir)
		}
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return b, errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	if err := atomicfile.WriteJSON(s.path(b.Name), b, 0o644); err != nil {
		return b, errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	return b, nil
}

// Get reads a preset; NOT_FOUND when there is none.
func (s *Store) Get(name string) (Brand, error) {
	if err := ValidName("name", name); err != nil {
		return Brand{}, err
	}
	data, err := os.ReadFile(s.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return Brand{}, errcode.Newf(errcode.NotFound, false, "brand %q does not exist (presets live in %s)", name, s.dir).WithDetail("field", "brand")
	}
	if err != nil {
		return Brand{}, errcode.Wrap(err, errcode.FileSystemError, true, "")
	}
	var b Brand
	if err := json.Unmarshal(data, &b); err != nil {
		return Brand{}, errcode.Wrap(err, errcode.FileSystemError, false, "brand "+name+" is corrupt: "+err.Error())
	}
	if err := b.Validate(s.themeOK); err != nil {
		return Brand{}, err
	}
	return b, nil
}

// List returns every valid preset, by name; invalid files are skipped.
func (s *Store) List() ([]Brand, error) {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, errcode.Wrap(err, errcode.FileSystemError, true, "")
	}
	var out []Brand
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || e.IsDir() {
			continue
		}
		if b, err := s.Get(name); err == nil {
			out = append(out, b)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Delete removes a preset, and its logo when the store made it and no
// other preset uses it; NOT_FOUND when there is none.
func (s *Store) Delete(name string) error {
	if err := ValidName("name", name); err != nil {
		return err
	}
	old, _ := s.Get(name) // a corrupt preset is removed all the same
	err := os.Remove(s.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return errcode.Newf(errcode.NotFound, false, "brand %q does not exist", name).WithDetail("field", "name")
	}
	if err != nil {
		return errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	if err := atomicfile.SyncDir(s.dir); err != nil {
		return errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	if old.Logo != "" {
		s.removeUnusedLogo(old.Logo)
	}
	return nil
}

// LogoPath is the logo file's path, "" when the preset has none.
func (s *Store) LogoPath(b Brand) string {
	if b.Logo == "" {
		return ""
	}
	return filepath.Join(s.dir, b.Logo)
}
