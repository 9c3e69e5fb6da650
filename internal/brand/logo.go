package brand

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	_ "image/jpeg" // decode JPEG logos
	_ "image/png"  // decode PNG logos
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/atomicfile"
	"github.com/ytmaker/ytmaker/internal/leftover"
)

// Limits of a logo upload.
const (
	MaxLogoBytes = 5 << 20 // the largest file accepted
	MinLogoSide  = 16      // pixels, each side
	MaxLogoSide  = 4096
)

// LogoType is a recognised logo file type.
type LogoType struct {
	Ext  string // ".png" or ".jpg"
	MIME string
}

// SniffLogo recognises a PNG or JPEG from a file's first bytes (at least
// 8 are needed).
func SniffLogo(head []byte) (LogoType, bool) {
	switch {
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return LogoType{".png", "image/png"}, true
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return LogoType{".jpg", "image/jpeg"}, true
	}
	return LogoType{}, false
}

// LogoMIME is the content type of a stored logo file, from its name.
func LogoMIME(file string) string {
	if strings.EqualFold(filepath.Ext(file), ".png") {
		return "image/png"
	}
	return "image/jpeg"
}

// generatedLogo matches the names SaveLogo gives logo files.
var generatedLogo = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}-logo-[0-9a-f]{16}\.(png|jpg)$`)

// logoName is the file name of a logo of preset name with content hash
// sum: nothing of the upload's own name reaches the disk.
func logoName(name, sum, ext string) string { return name + "-logo-" + sum[:16] + ext }

// TooLarge is the error of a logo over the limit.
func TooLarge(limit int64) error {
	return errcode.Newf(errcode.MediaTooLarge, false, "the logo is larger than %d MB", limit>>20).
		WithDetail("max_bytes", limit).WithDetail("field", "logo")
}

func unsupportedLogo() error {
	return errcode.New(errcode.MediaUnsupported, "the logo is not a PNG or JPEG image (told from its bytes, not its name)", false).
		WithDetail("field", "logo")
}

func undecodableLogo(format string, args ...any) *errcode.Error {
	return errcode.Newf(errcode.MediaUndecodable, false, format, args...).WithDetail("field", "logo")
}

// SaveLogo streams r (at most limit bytes, 0 for MaxLogoBytes; more is
// MEDIA_TOO_LARGE) into the store's folder, checks that it is a PNG or
// JPEG that decodes and measures MinLogoSide to MaxLogoSide pixels a
// side, moves it into place under a generated name and makes it preset
// name's logo. Any error leaves the preset and the folder as they were.
// The logo it replaces is removed when no other preset uses it.
func (s *Store) SaveLogo(name string, r io.Reader, limit int64) (Brand, error) {
	if limit <= 0 {
		limit = MaxLogoBytes
	}
	b, err := s.Get(name)
	if err != nil {
		return Brand{}, err
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return Brand{}, errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	head := make([]byte, 8)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return Brand{}, readError(err, limit)
	}
	t, ok := SniffLogo(head[:n])
	if !ok {
		return Brand{}, unsupportedLogo()
	}
	f, err := os.CreateTemp(s.dir, leftover.Pattern("logo", "tmp", t.Ext))
	if err != nil {
		return Brand{}, errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	tmp := f.Name()
	keep := false
	defer func() {
		if !keep {
			f.Close()
			os.Remove(tmp)
		}
	}()
	h := sha256.New()
	w := io.MultiWriter(f, h)
	if _, err := w.Write(head[:n]); err != nil {
		return Brand{}, errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	// One byte more than allowed tells an oversized file apart.
	copied, err := io.Copy(w, io.LimitReader(r, limit-int64(n)+1))
	if err != nil {
		return Brand{}, readError(err, limit)
	}
	if int64(n)+copied > limit {
		return Brand{}, TooLarge(limit)
	}
	if err := f.Close(); err != nil {
		return Brand{}, errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	if err := checkLogo(tmp, t); err != nil {
		return Brand{}, err
	}
	file := logoName(b.Name, hex.EncodeToString(h.Sum(nil)), t.Ext)
	if err := os.Chmod(tmp, 0o644); err != nil {
		return Brand{}, errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	if err := atomicfile.Rename(tmp, filepath.Join(s.dir, file)); err != nil {
		return Brand{}, errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	keep = true
	old := b.Logo
	b.Logo = file
	saved, err := s.Save(b)
	if err != nil {
		if file != old {
			s.removeUnusedLogo(file)
		}
		return Brand{}, err
	}
	if old != "" && old != file {
		s.removeUnusedLogo(old)
	}
	return saved, nil
}

// checkLogo decodes the file: first its header (the size, before any
// pixels are decoded, so a huge picture is refused cheaply), then the
// whole picture, which catches files cut short.
func checkLogo(path string, t LogoType) error {
	f, err := os.Open(path)
	if err != nil {
		return errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	defer f.Close()
	cfg, format, err := image.DecodeConfig(f)
	if err != nil {
		return undecodableLogo("the %s logo cannot be read: %v", t.Ext[1:], err)
	}
	if "."+format != t.Ext && !(format == "jpeg" && t.Ext == ".jpg") {
		return undecodableLogo("the logo's header says %s, its contents do not agree", format)
	}
	if cfg.Width < MinLogoSide || cfg.Height < MinLogoSide || cfg.Width > MaxLogoSide || cfg.Height > MaxLogoSide {
		return undecodableLogo("the logo is %dx%d; each side must be %d to %d pixels", cfg.Width, cfg.Height, MinLogoSide, MaxLogoSide).
			WithDetail("width", cfg.Width).WithDetail("height", cfg.Height)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	if _, _, err := image.Decode(f); err != nil {
		return undecodableLogo("the %s logo does not decode: %v", t.Ext[1:], err)
	}
	return nil
}

// readError codes a failure to read the upload: a body over the server's
// limit, or a client that went away.
func readError(err error, limit int64) error {
	if e, ok := errcode.As(err); ok {
		return e
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return TooLarge(limit)
	}
	return errcode.Wrap(err, errcode.InvalidInput, false, "reading the logo: "+err.Error()).WithDetail("field", "logo")
}

// OpenLogo opens preset name's logo file; NOT_FOUND when the preset or
// its logo does not exist.
func (s *Store) OpenLogo(name string) (*os.File, Brand, error) {
	b, err := s.Get(name)
	if err != nil {
		return nil, Brand{}, err
	}
	if b.Logo == "" {
		return nil, b, errcode.Newf(errcode.NotFound, false, "brand %q has no logo", name).WithDetail("field", "logo")
	}
	f, err := os.Open(s.LogoPath(b))
	if errors.Is(err, os.ErrNotExist) {
		return nil, b, errcode.Newf(errcode.NotFound, false, "the logo of brand %q, %s, is not in %s", name, b.Logo, s.dir).WithDetail("field", "logo")
	}
	if err != nil {
		return nil, b, errcode.Wrap(err, errcode.FileSystemError, true, "")
	}
	return f, b, nil
}

// removeUnusedLogo deletes a logo file the store made (a generated name)
// once no preset names it. Files put there by hand are left alone.
func (s *Store) removeUnusedLogo(file string) {
	if !generatedLogo.MatchString(file) {
		return
	}
	list, err := s.List()
	if err != nil {
		return
	}
	for _, b := range list {
		if b.Logo == file {
			return
		}
	}
	if err := os.Remove(filepath.Join(s.dir, file)); err == nil {
		atomicfile.SyncDir(s.dir)
	}
}
