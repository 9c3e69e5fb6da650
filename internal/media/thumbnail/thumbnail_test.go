package thumbnail

import (
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/media/fonts"
)

func loadFonts(t *testing.T) *fonts.Set {
	t.Helper()
	fs, err := fonts.Load(fonts.Config{})
	if err != nil {
		t.Skip("no fonts:", err)
	}
	t.Cleanup(func() { fs.Close() })
	return fs
}

// writeNoise writes a w×h PNG of random colours: the hardest image to
// compress.
func writeNoise(t *testing.T, path string, w, h int) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewSource(7))
	rng.Read(img.Pix)
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

func decodeJPEG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := jpeg.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestGenerateFromImage(t *testing.T) {
	fs := loadFonts(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "segment_01.png")
	writeNoise(t, src, 1920, 1080)
	out := filepath.Join(dir, "output", "thumbnail.jpg")
	res, err := Generate(context.Background(), fs, Spec{Image: src, Title: "How offline narration renders videos ten times faster than real time", OutPath: out})
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() >= MaxBytes || int(st.Size()) != res.Bytes {
		t.Fatalf("file is %d bytes (result %d), limit %d", st.Size(), res.Bytes, MaxBytes)
	}
	img := decodeJPEG(t, out)
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 720 {
		t.Fatalf("thumbnail is %v", b)
	}
	if len(res.Lines) < 1 || len(res.Lines) > 3 {
		t.Fatalf("%d title lines: %q", len(res.Lines), res.Lines)
	}
	if res.FontSize < 60 {
		t.Errorf("title at %.0f px is small for a thumbnail", res.FontSize)
	}
	if !res.TextBox.In(image.Rect(0, 0, 1280, 720)) {
		t.Errorf("title box %v leaves the frame", res.TextBox)
	}
	// The bottom is darkened: noise averages 127, the darkened band far less.
	if top, bottom := meanLuma(img, 0, 100), meanLuma(img, 680, 720); bottom > top*0.6 {
		t.Errorf("bottom band %.0f vs top %.0f: not darkened", bottom, top)
	}
}

func meanLuma(img image.Image, y0, y1 int) float64 {
	var sum float64
	n := 0
	for y := y0; y < y1; y++ {
		for x := 0; x < 1280; x += 7 {
			r, g, b, _ := img.At(x, y).RGBA()
			sum += float64(r+g+b) / 3 / 257
			n++
		}
	}
	return sum / float64(n)
}

func TestQualityLoweredToFit(t *testing.T) {
	fs := loadFonts(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "noise.png")
	writeNoise(t, src, 1280, 720)
	res, err := Generate(context.Background(), fs, Spec{Image: src, Title: "Noise", OutPath: filepath.Join(dir, "t.jpg"), MaxBytes: 400_000})
	if err != nil {
		t.Fatal(err)
	}
	if res.Bytes > 400_000 || res.Quality >= 92 {
		t.Fatalf("%d bytes at quality %d", res.Bytes, res.Quality)
	}
	if _, err := Generate(context.Background(), fs, Spec{Image: src, Title: "x", OutPath: filepath.Join(dir, "u.jpg"), MaxBytes: 1000}); err == nil {
		t.Fatal("an impossible size limit succeeded")
	}
}

func TestCJKTitleWithoutImage(t *testing.T) {
	fs := loadFonts(t)
	if !fs.HasCJK() {
		t.Skip("Noto Sans CJK not installed")
	}
	img, res, err := Render(fs, Spec{Title: "離線配音如何讓影片製作又快又免費：從腳本到上傳的完整自動化流程教學", Seed: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Lines) > 3 {
		t.Fatalf("%d lines", len(res.Lines))
	}
	white := 0
	for y := res.TextBox.Min.Y; y < res.TextBox.Max.Y; y++ {
		for x := res.TextBox.Min.X; x < res.TextBox.Max.X; x++ {
			c := img.RGBAAt(x, y)
			if c.R > 240 && c.G > 240 && c.B > 240 {
				white++
			}
		}
	}
	if area := res.TextBox.Dx() * res.TextBox.Dy(); white < area/10 {
		t.Fatalf("%d white pixels in a %d-pixel title box: glyphs missing?", white, area)
	}
	// Outline: dark pixels right next to the letters.
	dark := 0
	for y := res.TextBox.Min.Y; y < res.TextBox.Max.Y; y++ {
		for x := res.TextBox.Min.X + 1; x < res.TextBox.Max.X; x++ {
			a, b := img.RGBAAt(x-1, y), img.RGBAAt(x, y)
			if b.R > 240 && lum(a) < 40 {
				dark++
			}
		}
	}
	if dark < 200 {
		t.Errorf("title has no outline (%d dark edges)", dark)
	}
}

func lum(c color.RGBA) int { return (int(c.R) + int(c.G) + int(c.B)) / 3 }

func TestBadImage(t *testing.T) {
	fs := loadFonts(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.png")
	if err := os.WriteFile(bad, []byte("not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Generate(context.Background(), fs, Spec{Image: bad, Title: "x", OutPath: filepath.Join(dir, "t.jpg")})
	if errcode.Code(err) != errcode.InvalidInput {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "t.jpg")); !os.IsNotExist(err) {
		t.Fatal("output written for a bad image")
	}
}
