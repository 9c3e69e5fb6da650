package brand

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ytmaker/ytmaker/errcode"
)

func field(err error) string {
	var e *errcode.Error
	if err == nil {
		return ""
	}
	e = errcode.Classify(err)
	f, _ := e.Details["field"].(string)
	return f
}

func TestValidateNamesTheField(t *testing.T) {
	themes := func(s string) bool { return s == "paper" }
	for want, b := range map[string]Brand{
		"name":               {Name: "Bad Name", Channel: "c"},
		"channel":            {Name: "ok", Channel: "  "},
		"logo":               {Name: "ok", Channel: "c", Logo: "../etc/passwd.png"},
		"watermark.position": {Name: "ok", Channel: "c", Watermark: Watermark{Position: "middle"}},
		"watermark.size":     {Name: "ok", Channel: "c", Watermark: Watermark{Size: 0.9}},
		"watermark.opacity":  {Name: "ok", Channel: "c", Watermark: Watermark{Opacity: 2}},
		"theme":              {Name: "ok", Channel: "c", Theme: "comic"},
	} {
		if got := field(b.Validate(themes)); got != want {
			t.Errorf("want an error naming %s, got %q", want, got)
		}
	}
	b := Brand{Name: "my-channel", Channel: " Rivers  Weekly ", Theme: "Paper"}
	if err := b.Validate(themes); err != nil {
		t.Fatal(err)
	}
	if b.Channel != "Rivers Weekly" || b.Watermark.Position != TopRight || b.Watermark.Size != 0.12 || b.Watermark.Opacity != 0.8 || b.Theme != "paper" || !b.IntroOn() || !b.Watermark.On() {
		t.Errorf("defaults %+v", b)
	}
}

func TestStoreRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "brands")
	s := NewStore(dir, nil)
	if _, err := s.Get("nope"); errcode.Code(err) != errcode.NotFound {
		t.Fatalf("missing preset: %v", err)
	}
	if _, err := s.Save(Brand{Name: "a", Channel: "A", Logo: "logo.png"}); field(err) != "logo" {
		t.Fatalf("missing logo file accepted: %v", err)
	}
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "logo.png"), []byte("png"), 0o644)
	if _, err := s.Save(Brand{Name: "a", Channel: "A", Logo: "logo.png", Watermark: Watermark{Position: BottomLeft, Opacity: 0.5}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Save(Brand{Name: "b", Channel: "B"}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "broken.json"), []byte("{"), 0o644)
	got, err := s.Get("a")
	if err != nil || got.Channel != "A" || got.Watermark.Position != BottomLeft || got.Watermark.Opacity != 0.5 || s.LogoPath(got) != filepath.Join(dir, "logo.png") {
		t.Fatalf("Get: %+v %v", got, err)
	}
	list, err := s.List()
	if err != nil || len(list) != 2 || list[0].Name != "a" || list[1].Name != "b" {
		t.Fatalf("List: %+v %v", list, err)
	}
	if err := s.Delete("a"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("a"); errcode.Code(err) != errcode.NotFound {
		t.Fatalf("second delete: %v", err)
	}
	// Nothing but the presets, the logo and the broken file: no temporary files.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("%d files left in %s", len(entries), dir)
	}
}

func pngBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func jpegBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// files lists the store's folder.
func files(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestSaveLogo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "brands")
	s := NewStore(dir, nil)
	if _, err := s.SaveLogo("nobody", bytes.NewReader(pngBytes(t, 64, 32)), 0); errcode.Code(err) != errcode.NotFound {
		t.Fatalf("logo of a missing preset: %v", err)
	}
	if _, err := s.Save(Brand{Name: "rivers", Channel: "Rivers"}); err != nil {
		t.Fatal(err)
	}
	// The 16-byte PNG signature and header of a 100000×10 picture, no pixels.
	huge := pngBytes(t, 64, 32)
	binary.BigEndian.PutUint32(huge[16:], 100000)
	binary.BigEndian.PutUint32(huge[29:], crc32.ChecksumIEEE(huge[12:29]))
	cut := pngBytes(t, 64, 32)
	cut = cut[:len(cut)-20]
	for _, c := range []struct {
		name  string
		body  []byte
		limit int64
		code  string
	}{
		{"a GIF", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), 0, errcode.MediaUnsupported},
		{"text named .png", []byte("hello, this is not a picture"), 0, errcode.MediaUnsupported},
		{"empty", nil, 0, errcode.MediaUnsupported},
		{"over the limit", pngBytes(t, 64, 32), 100, errcode.MediaTooLarge},
		{"cut short", cut, 0, errcode.MediaUndecodable},
		{"too small", pngBytes(t, 8, 8), 0, errcode.MediaUndecodable},
		{"too large a picture", huge, 0, errcode.MediaUndecodable},
		{"a PNG signature on JPEG data", append([]byte("\x89PNG\r\n\x1a\n"), jpegBytes(t, 32, 32)...), 0, errcode.MediaUndecodable},
	} {
		_, err := s.SaveLogo("rivers", bytes.NewReader(c.body), c.limit)
		if errcode.Code(err) != c.code || field(err) != "logo" || (c.name == "too large a picture" && !strings.Contains(err.Error(), "100000x32")) {
			t.Errorf("%s: %v, want %s naming logo", c.name, err, c.code)
		}
	}
	if got := files(t, dir); len(got) != 1 {
		t.Fatalf("refused uploads left files: %v", got)
	}

	b, err := s.SaveLogo("rivers", bytes.NewReader(pngBytes(t, 200, 100)), 0)
	if err != nil {
		t.Fatal(err)
	}
	if !generatedLogo.MatchString(b.Logo) || !strings.HasPrefix(b.Logo, "rivers-logo-") || !strings.HasSuffix(b.Logo, ".png") {
		t.Fatalf("logo file %q", b.Logo)
	}
	if got, _ := s.Get("rivers"); got.Logo != b.Logo {
		t.Fatalf("preset not updated: %+v", got)
	}
	first := b.Logo
	// A second preset shares the first logo; replacing the logo of the
	// first keeps the file the second still uses.
	if _, err := s.Save(Brand{Name: "lakes", Channel: "Lakes", Logo: first}); err != nil {
		t.Fatal(err)
	}
	b, err = s.SaveLogo("rivers", bytes.NewReader(jpegBytes(t, 120, 120)), 0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(b.Logo, ".jpg") || b.Logo == first {
		t.Fatalf("jpeg logo %q", b.Logo)
	}
	f, got, err := s.OpenLogo("rivers")
	if err != nil || got.Logo != b.Logo || LogoMIME(got.Logo) != "image/jpeg" {
		t.Fatalf("OpenLogo: %+v %v", got, err)
	}
	f.Close()
	if _, err := os.Stat(filepath.Join(dir, first)); err != nil {
		t.Fatalf("the logo another preset uses was removed: %v", err)
	}
	if err := s.Delete("lakes"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, first)); !os.IsNotExist(err) {
		t.Fatalf("an unused logo stays after its preset is deleted: %v", err)
	}
	if err := s.Delete("rivers"); err != nil {
		t.Fatal(err)
	}
	if got := files(t, dir); len(got) != 0 {
		t.Fatalf("left behind: %v", got)
	}
	if _, _, err := s.OpenLogo("rivers"); errcode.Code(err) != errcode.NotFound {
		t.Fatalf("OpenLogo of a deleted preset: %v", err)
	}
}
