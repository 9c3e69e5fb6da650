// Package fonts finds and loads the fonts that slides, thumbnails and
// subtitles draw with: DejaVu Sans for Latin text and Noto Sans CJK for
// Chinese, Japanese and Korean (an OpenType collection with CFF outlines,
// read with golang.org/x/image/font/sfnt). Strings are drawn with per-rune
// fallback, so mixed-script text never shows missing-glyph boxes.
//
// Load the fonts once per process into a Set and keep it: the collection
// files are large and parsed lazily through their open file handles.
package fonts

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/image/font/sfnt"

	"github.com/ytmaker/ytmaker/internal/language"
)

// Family names.
const (
	DejaVuSans = "DejaVu Sans"
	NotoCJKTC  = "Noto Sans CJK TC"
	NotoCJKSC  = "Noto Sans CJK SC"
	NotoCJKJP  = "Noto Sans CJK JP"
	NotoCJKKR  = "Noto Sans CJK KR"
)

// InstallHint tells an operator how to get the fonts.
const InstallHint = "install fonts-noto-cjk and fonts-dejavu-core (Debian/Ubuntu: apt-get install fonts-noto-cjk fonts-dejavu-core)"

// DefaultDirs are searched for font files, in order.
func DefaultDirs() []string {
	dirs := []string{"/usr/share/fonts", "/usr/local/share/fonts"}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, ".local/share/fonts"), filepath.Join(home, ".fonts"))
	}
	return append(dirs, "/Library/Fonts", "/System/Library/Fonts")
}

// fileNames are the font files looked for, by role.
var fileNames = map[string][]string{
	"latin":      {"DejaVuSans.ttf"},
	"latin-bold": {"DejaVuSans-Bold.ttf"},
	"cjk":        {"NotoSansCJK-Regular.ttc", "NotoSansCJKtc-Regular.otf", "NotoSansTC-Regular.otf"},
	"cjk-bold":   {"NotoSansCJK-Bold.ttc", "NotoSansCJKtc-Bold.otf", "NotoSansTC-Bold.otf"},
	// The serif pairing themes may use; optional.
	"serif":          {"DejaVuSerif.ttf"},
	"serif-bold":     {"DejaVuSerif-Bold.ttf"},
	"cjk-serif":      {"NotoSerifCJK-Regular.ttc", "NotoSerifCJKtc-Regular.otf", "NotoSerifTC-Regular.otf"},
	"cjk-serif-bold": {"NotoSerifCJK-Bold.ttc", "NotoSerifCJKtc-Bold.otf", "NotoSerifTC-Bold.otf"},
	"condensed-bold": {"DejaVuSansCondensed-Bold.ttf"},
}

// fcPatterns are fontconfig patterns tried when the search finds nothing.
var fcPatterns = map[string]string{
	"latin":      "DejaVu Sans:style=Book",
	"latin-bold": "DejaVu Sans:style=Bold",
	"cjk":        "Noto Sans CJK TC:style=Regular",
	"cjk-bold":   "Noto Sans CJK TC:style=Bold",
}

// Config tunes Load.
type Config struct {
	// Dirs are searched for font files; nil means DefaultDirs.
	Dirs []string
	// Files overrides the search for a role: "latin", "latin-bold", "cjk",
	// "cjk-bold".
	Files map[string]string
	// NoFontconfig disables the fc-match fallback.
	NoFontconfig bool
	Logger       *slog.Logger
}

// font is one loaded face of a family.
type face struct {
	family string
	font   *sfnt.Font
}

// Set is a loaded group of fonts. It is safe for concurrent use; Faces
// made from it are not.
type Set struct {
	latin, latinBold *face
	// cjk holds the regional faces of the CJK collection, by family.
	cjk, cjkBold map[string]*face
	// The serif and condensed faces, when installed.
	serif, serifBold, condensedBold *face
	cjkSerif, cjkSerifBold          map[string]*face
	files                           []*os.File
	paths                           map[string]string
}

// Load finds and opens the fonts. It fails only when no usable font is
// found at all; a missing CJK font leaves HasCJK false.
func Load(cfg Config) (*Set, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dirs := cfg.Dirs
	if dirs == nil {
		dirs = DefaultDirs()
	}
	found := findFiles(dirs)
	for role, p := range cfg.Files {
		found[role] = p
	}
	if !cfg.NoFontconfig {
		for role, pattern := range fcPatterns {
			if found[role] == "" {
				if p := fcMatch(pattern); p != "" && matchesRole(role, p) {
					found[role] = p
				}
			}
		}
	}
	s := &Set{cjk: map[string]*face{}, cjkBold: map[string]*face{}, cjkSerif: map[string]*face{},
		cjkSerifBold: map[string]*face{}, paths: map[string]string{}}
	var errs []error
	for _, role := range []string{"latin", "latin-bold", "cjk", "cjk-bold", "serif", "serif-bold", "cjk-serif", "cjk-serif-bold", "condensed-bold"} {
		p := found[role]
		if p == "" {
			continue
		}
		faces, err := s.open(p)
		if err != nil {
			errs = append(errs, err)
			log.Warn("font unusable", "path", p, "err", err)
			continue
		}
		s.paths[role] = p
		switch role {
		case "latin":
			s.latin = faces[0]
		case "latin-bold":
			s.latinBold = faces[0]
		case "serif":
			s.serif = faces[0]
		case "serif-bold":
			s.serifBold = faces[0]
		case "condensed-bold":
			s.condensedBold = faces[0]
		case "cjk", "cjk-bold", "cjk-serif", "cjk-serif-bold":
			m := map[string]map[string]*face{"cjk": s.cjk, "cjk-bold": s.cjkBold, "cjk-serif": s.cjkSerif, "cjk-serif-bold": s.cjkSerifBold}[role]
			for _, f := range faces {
				if _, dup := m[f.family]; !dup {
					m[f.family] = f
				}
			}
		}
	}
	if s.latin == nil && s.latinBold == nil && len(s.cjk) == 0 && len(s.cjkBold) == 0 {
		s.Close()
		return nil, fmt.Errorf("no usable font found (%s): %w", InstallHint, errors.Join(errs...))
	}
	log.Debug("fonts loaded", "paths", s.paths)
	return s, nil
}

func matchesRole(role, path string) bool {
	base := strings.ToLower(filepath.Base(path))
	if strings.HasPrefix(role, "cjk") {
		return strings.Contains(base, "cjk") || strings.Contains(base, "sanstc") || strings.Contains(base, "sanssc")
	}
	return strings.Contains(base, "dejavu")
}

// open parses a font file or collection, keeping the file open.
func (s *Set) open(path string) ([]*face, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	c, err := sfnt.ParseCollectionReaderAt(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("parse font %s: %w", path, err)
	}
	var faces []*face
	var buf sfnt.Buffer
	for i := 0; i < c.NumFonts(); i++ {
		fnt, err := c.Font(i)
		if err != nil {
			continue
		}
		fam, err := fnt.Name(&buf, sfnt.NameIDTypographicFamily)
		if err != nil || fam == "" {
			fam, _ = fnt.Name(&buf, sfnt.NameIDFamily)
		}
		faces = append(faces, &face{family: fam, font: fnt})
	}
	if len(faces) == 0 {
		f.Close()
		return nil, fmt.Errorf("font %s holds no usable face", path)
	}
	s.files = append(s.files, f)
	return faces, nil
}

// findFiles walks dirs for the known file names.
func findFiles(dirs []string) map[string]string {
	want := map[string]string{} // lower-case file name → role
	for role, names := range fileNames {
		for _, n := range names {
			want[strings.ToLower(n)] = role
		}
	}
	found := map[string]string{}
	rank := map[string]int{}
	for _, dir := range dirs {
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			role, ok := want[strings.ToLower(d.Name())]
			if !ok {
				return nil
			}
			// Prefer the earliest name in the role's list.
			r := indexFold(fileNames[role], d.Name())
			if prev, ok := found[role]; !ok || r < rank[role] {
				_ = prev
				found[role], rank[role] = p, r
			}
			return nil
		})
	}
	return found
}

func indexFold(list []string, s string) int {
	for i, v := range list {
		if strings.EqualFold(v, s) {
			return i
		}
	}
	return len(list)
}

// fcMatch asks fontconfig for the file of a pattern; "" when fc-match is
// missing or fails.
func fcMatch(pattern string) string {
	path, err := exec.LookPath("fc-match")
	if err != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "-f", "%{file}", pattern).Output()
	if err != nil {
		return ""
	}
	p := strings.TrimSpace(string(out))
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// Close releases the font files. Faces must not be used afterwards.
func (s *Set) Close() error {
	var errs []error
	for _, f := range s.files {
		errs = append(errs, f.Close())
	}
	s.files = nil
	return errors.Join(errs...)
}

// Paths returns the loaded files by role.
func (s *Set) Paths() map[string]string {
	out := make(map[string]string, len(s.paths))
	for k, v := range s.paths {
		out[k] = v
	}
	return out
}

// HasCJK reports whether a CJK font was loaded.
func (s *Set) HasCJK() bool { return len(s.cjk) > 0 || len(s.cjkBold) > 0 }

// CJKFamily returns the regional family of the CJK collection that suits
// a language tag: TC for zh-TW/zh-HK and by default, SC for zh-CN, JP for
// ja, KR for ko.
func CJKFamily(lang string) string {
	l := strings.ToLower(lang)
	switch {
	case strings.HasPrefix(l, "ja"):
		return NotoCJKJP
	case strings.HasPrefix(l, "ko"):
		return NotoCJKKR
	case l == "zh-cn" || l == "zh-sg" || strings.HasPrefix(l, "zh-hans"):
		return NotoCJKSC
	}
	return NotoCJKTC
}

// Style is a type family: the default sans serif, a serif, or a
// condensed sans serif for display type.
type Style int

// Styles.
const (
	Sans Style = iota
	Serif
	Condensed
)

// chain returns the fonts to try for a language, in order.
func (s *Set) chain(lang string, bold bool, style Style) []*sfnt.Font {
	latin, cjk := s.latin, s.cjk
	if bold {
		if s.latinBold != nil {
			latin = s.latinBold
		}
		if len(s.cjkBold) > 0 {
			cjk = s.cjkBold
		}
	}
	switch style {
	case Serif:
		if f := pick(bold, s.serifBold, s.serif); f != nil {
			latin = f
		}
		m := s.cjkSerif
		if bold && len(s.cjkSerifBold) > 0 {
			m = s.cjkSerifBold
		}
		if len(m) > 0 {
			cjk = m
		}
	case Condensed:
		if bold && s.condensedBold != nil {
			latin = s.condensedBold
		}
	}
	var regional *face
	if f, ok := cjk[CJKFamily(lang)]; ok {
		regional = f
	} else {
		for _, fam := range []string{NotoCJKTC, NotoCJKSC, NotoCJKJP, NotoCJKKR} {
			if f, ok := cjk[fam]; ok {
				regional = f
				break
			}
		}
		if regional == nil {
			for _, f := range cjk {
				regional = f
				break
			}
		}
	}
	var out []*sfnt.Font
	// CJK text reads best with the CJK font's own Latin glyphs and
	// punctuation; Latin text with DejaVu.
	if language.IsCJK(lang) && regional != nil {
		out = append(out, regional.font)
		if latin != nil {
			out = append(out, latin.font)
		}
	} else {
		if latin != nil {
			out = append(out, latin.font)
		}
		if regional != nil {
			out = append(out, regional.font)
		}
	}
	// Last resort: the other weight.
	for _, f := range []*face{s.latin, s.latinBold} {
		if f != nil {
			out = append(out, f.font)
		}
	}
	return out
}

// pick returns the bold face when bold and loaded, else the regular one.
func pick(bold bool, b, r *face) *face {
	if bold && b != nil {
		return b
	}
	return r
}
