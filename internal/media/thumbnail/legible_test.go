package thumbnail

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	xdraw "golang.org/x/image/draw"
)

func TestHook(t *testing.T) {
	for _, tc := range []struct{ title, lang, want string }{
		{"How Coffee Conquered the World", "en", "How Coffee Conquered the World"},
		{"Sleep: the seven habits that change everything", "en", "Sleep: the seven habits"},
		{"Why cats sleep so much and what it means for owners", "en", "Why cats sleep so much"},
		{"Rivers of the world and the cities of their banks", "en", "Rivers of the world"},
		{"Mars in 2030: what NASA plans", "en", "Mars in 2030"},
		{"台灣夜市", "zh-TW", "台灣夜市"},
		{"離線配音如何讓影片製作又快又免費：從腳本到上傳的完整自動化流程教學", "zh-TW", ""},
	} {
		got := Hook(tc.title, tc.lang)
		if tc.want != "" && got != tc.want {
			t.Errorf("Hook(%q) = %q, want %q", tc.title, got, tc.want)
		}
		if n := len(strings.Fields(got)); tc.lang == "en" && n > 5 {
			t.Errorf("Hook(%q) = %q: %d words", tc.title, got, n)
		}
		if got == "" {
			t.Errorf("Hook(%q) is empty", tc.title)
		}
	}
}

// relLum is WCAG's relative luminance of an sRGB colour.
func relLum(r, g, b float64) float64 {
	lin := func(c float64) float64 {
		c /= 255
		if c <= 0.03928 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

// The hook stays legible at YouTube's smallest thumbnail size, 168×94:
// the first line's capitals (or ideographs) are at least 12 % of the
// height, and every line contrasts at least 4.5:1 with what is behind it.
// Both are measured on the scaled-down image.
func TestLegibleAt168x94(t *testing.T) {
	fs := loadFonts(t)
	dir := t.TempDir()
	noise := filepath.Join(dir, "noise.png")
	writeNoise(t, noise, 1920, 1080)
	bright := filepath.Join(dir, "bright.png")
	writeFlat(t, bright, 1920, 1080, color.RGBA{250, 245, 200, 255})
	cases := []Spec{
		{Title: "How Coffee Conquered the World", Seed: "a"},
		{Title: "Rivers shape the land", Image: noise},
		{Title: "Supercalifragilistic antidisestablishmentarianism", Image: bright},
		{Title: "台灣夜市美食", Language: "zh-TW", Seed: "b"},
		{Title: "投資入門：三個習慣", Language: "zh-TW", Image: bright},
	}
	for _, th := range []string{"paper", "sunrise", "neon"} {
		cases = append(cases, Spec{Title: "Why cats sleep so much", Theme: th, Seed: th})
	}
	for i, spec := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			img, res, err := Render(fs, spec)
			if err != nil {
				t.Fatal(err)
			}
			if len(strings.Fields(res.Hook)) > 5 {
				t.Errorf("hook %q has more than five words", res.Hook)
			}
			small := image.NewRGBA(image.Rect(0, 0, 168, 94))
			xdraw.CatmullRom.Scale(small, small.Bounds(), img, img.Bounds(), xdraw.Src, nil)
			if os.Getenv("YTMAKER_KEEP_THUMBS") != "" {
				_ = writePNG(filepath.Join(os.Getenv("YTMAKER_KEEP_THUMBS"), fmt.Sprintf("thumb%d.png", i)), img)
			}
			sx, sy := 168.0/Width, 94.0/Height
			for k, band := range res.Bands {
				r := image.Rect(int(math.Ceil(float64(band.Min.X)*sx)), int(math.Ceil(float64(band.Min.Y)*sy)),
					int(float64(band.Max.X)*sx), int(float64(band.Max.Y)*sy)).Intersect(small.Bounds())
				var lums []float64
				for y := r.Min.Y; y < r.Max.Y; y++ {
					for x := r.Min.X; x < r.Max.X; x++ {
						c := small.RGBAAt(x, y)
						lums = append(lums, relLum(float64(c.R), float64(c.G), float64(c.B)))
					}
				}
				sort.Float64s(lums)
				if len(lums) < 20 {
					t.Fatalf("line %d covers %v at 168×94: too small", k, r)
				}
				bg := lums[len(lums)/4]            // the band behind the letters
				fg := lums[len(lums)-len(lums)/20] // the letters' cores
				ratio := (fg + 0.05) / (bg + 0.05)
				if ratio < 4.5 {
					t.Errorf("line %d %q: contrast %.1f:1 at 168×94, want ≥ 4.5:1", k, res.Lines[k], ratio)
				}
				if k > 0 {
					continue
				}
				// Cap height: rows of the first line holding letter pixels
				// (luminance past the midpoint between band and letters).
				mid := (fg + bg) / 2
				rows := 0
				for y := r.Min.Y; y < r.Max.Y; y++ {
					for x := r.Min.X; x < r.Max.X; x++ {
						c := small.RGBAAt(x, y)
						if relLum(float64(c.R), float64(c.G), float64(c.B)) > mid {
							rows++
							break
						}
					}
				}
				if share := float64(rows) / 94; share < 0.12 {
					t.Errorf("first line %q: letters %d px tall at 168×94 (%.1f %%), want ≥ 12 %%", res.Lines[0], rows, share*100)
				}
			}
		})
	}
}

func writeFlat(t *testing.T, path string, w, h int, c color.RGBA) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, 255
	}
	if err := writePNG(path, img); err != nil {
		t.Fatal(err)
	}
}

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return png.Encode(f, img)
}

func TestStrongestPicture(t *testing.T) {
	dir := t.TempDir()
	flat := filepath.Join(dir, "flat.png")
	writeFlat(t, flat, 320, 180, color.RGBA{120, 120, 120, 255})
	busy := filepath.Join(dir, "busy.png")
	writeNoise(t, busy, 320, 180)
	bad := filepath.Join(dir, "bad.png")
	os.WriteFile(bad, []byte("nope"), 0o644)
	if got := Strongest([]string{flat, bad, busy}); got != busy {
		t.Errorf("Strongest picked %s", got)
	}
	if got := Strongest([]string{bad}); got != "" {
		t.Errorf("Strongest of unreadable files = %q", got)
	}
}
