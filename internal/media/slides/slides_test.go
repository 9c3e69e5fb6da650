package slides

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ytmaker/ytmaker/internal/language"
	"github.com/ytmaker/ytmaker/internal/media/fonts"
)

func loadFonts(t testing.TB) *fonts.Set {
	t.Helper()
	fs, err := fonts.Load(fonts.Config{})
	if err != nil {
		t.Skip("no fonts:", err)
	}
	t.Cleanup(func() { fs.Close() })
	return fs
}

// whiteIn counts near-white pixels inside r.
func whiteIn(img *image.RGBA, r image.Rectangle) int {
	n := 0
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			i := img.PixOffset(x, y)
			if img.Pix[i] > 230 && img.Pix[i+1] > 230 && img.Pix[i+2] > 230 {
				n++
			}
		}
	}
	return n
}

func TestCJKSlideRendersGlyphs(t *testing.T) {
	fs := loadFonts(t)
	if !fs.HasCJK() {
		t.Skip("Noto Sans CJK not installed")
	}
	img, lay, err := Render(fs, Spec{Text: "中文字幕測試", Language: "zh-TW", Seed: "x", Theme: "midnight", Icon: "none"})
	if err != nil {
		t.Fatal(err)
	}
	if len(lay.Lines) != 1 || lay.Lines[0] != "中文字幕測試" {
		t.Fatalf("lines %q", lay.Lines)
	}
	ink := whiteIn(img, lay.Box)
	// Six bold CJK characters at 90 px cover tens of thousands of pixels.
	if ink < 6*900 {
		t.Fatalf("only %d white pixels in the text box", ink)
	}
	// Each character cell holds a distinct glyph, not repeated boxes.
	cell := lay.Box.Dx() / 6
	var counts []int
	for i := 0; i < 6; i++ {
		r := image.Rect(lay.Box.Min.X+i*cell, lay.Box.Min.Y, lay.Box.Min.X+(i+1)*cell, lay.Box.Max.Y)
		counts = append(counts, whiteIn(img, r))
	}
	distinct := map[int]bool{}
	for _, c := range counts {
		if c < 300 {
			t.Fatalf("character cell with %d white pixels: %v", c, counts)
		}
		distinct[c/50] = true
	}
	if len(distinct) < 4 {
		t.Fatalf("character cells look alike (%v): .notdef boxes?", counts)
	}
	// Nothing white outside the text box (no title or footer given).
	if outside := whiteIn(img, img.Bounds()) - ink; outside > 0 {
		t.Fatalf("%d white pixels outside the text box", outside)
	}
}

func TestTextFitsFrame(t *testing.T) {
	fs := loadFonts(t)
	long := strings.Repeat("Automatic narration turns any script into a finished video in minutes. ", 6)
	cjk := strings.Repeat("自動配音讓任何腳本都能在幾分鐘內變成完整的影片。", 6)
	for _, tc := range []struct {
		name, text string
		w, h       int
	}{
		{"en-landscape", long, 1920, 1080},
		{"en-portrait", long, 1080, 1920},
		{"zh-landscape", cjk, 1920, 1080},
		{"zh-portrait", cjk, 1080, 1920},
		{"en-small", "A reasonably short sentence that must wrap somewhere", 640, 360},
		{"long-word", "Supercalifragilisticexpialidocious-antidisestablishmentarianism-pneumonoultramicroscopic", 1920, 1080},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, lay, err := Render(fs, Spec{Text: tc.text, Width: tc.w, Height: tc.h, Title: "Title", Footer: "1 / 2", Seed: tc.name})
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
				t.Fatalf("image %v", b)
			}
			if !lay.Box.In(lay.Area) {
				t.Fatalf("text box %v outside area %v (size %.0f, %d lines)", lay.Box, lay.Area, lay.FontSize, len(lay.Lines))
			}
			if !lay.Area.In(img.Bounds()) {
				t.Fatalf("area %v outside frame", lay.Area)
			}
			unit := float64(min(tc.w, tc.h)) / 1080
			if lay.FontSize > maxTextSize*unit+0.01 || lay.FontSize < minTextSize*unit*0.94 {
				t.Errorf("font size %.1f out of range", lay.FontSize)
			}
			if tc.name != "long-word" && !strings.HasPrefix(tc.name, "zh") {
				// Words are never split.
				words := map[string]bool{}
				for _, w := range strings.Fields(tc.text) {
					words[w] = true
				}
				for _, l := range lay.Lines {
					for _, w := range strings.Fields(strings.TrimSuffix(l, "…")) {
						if !words[w] && !strings.HasSuffix(l, "…") {
							t.Errorf("line %q holds a broken word %q", l, w)
						}
					}
				}
			}
			if strings.HasPrefix(tc.name, "zh") {
				for i, l := range lay.Lines {
					if i > 0 && strings.ContainsAny(string([]rune(l)[0]), "，。、") {
						t.Errorf("line %q starts with closing punctuation", l)
					}
				}
			}
		})
	}
}

func TestDeterministicPalette(t *testing.T) {
	fs := loadFonts(t)
	spec := Spec{Text: "Same seed, same slide", Width: 320, Height: 180, Seed: "project-7/3"}
	a, _, err := Render(fs, spec)
	if err != nil {
		t.Fatal(err)
	}
	b, _, _ := Render(fs, spec)
	if !bytes.Equal(a.Pix, b.Pix) {
		t.Fatal("same spec drew different images")
	}
	spec.Seed = "project-7/4"
	c, _, _ := Render(fs, spec)
	if bytes.Equal(a.Pix, c.Pix) {
		t.Fatal("different seeds drew the same image")
	}
}

func TestDrawWritesPNG(t *testing.T) {
	fs := loadFonts(t)
	path := filepath.Join(t.TempDir(), "images", "segment_01.png")
	if _, err := Draw(fs, Spec{Text: "Hello", Width: 1080, Height: 1920, Seed: "s"}, path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != 1080 || cfg.Height != 1920 {
		t.Fatalf("PNG is %dx%d", cfg.Width, cfg.Height)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries (temporary files left?)", len(entries))
	}
}

func TestKeySentence(t *testing.T) {
	cases := []struct{ text, lang, want string }{
		{"First sentence here. Second one.", "", "First sentence here"},
		{"Is it real? Yes.", "", "Is it real?"},
		{"這是第一句。這是第二句。", "", "這是第一句"},
		{"", "", ""},
	}
	for _, c := range cases {
		if got := KeySentence(c.text, c.lang, 0); got != c.want {
			t.Errorf("KeySentence(%q) = %q, want %q", c.text, got, c.want)
		}
	}
	long := "This opening sentence goes on and on, listing every single thing the video will cover, from narration to subtitles to rendering and thumbnails and uploads, without pausing."
	got := KeySentence(long, "en", 60)
	if !strings.HasSuffix(got, "…") || language.Width(got) > 60 {
		t.Fatalf("long sentence → %q (%d columns)", got, language.Width(got))
	}
	if w := strings.Fields(strings.TrimSuffix(got, "…")); !strings.Contains(long, strings.Join(w, " ")) {
		t.Fatalf("cut inside a word: %q", got)
	}
	cjk := KeySentence("自動配音讓任何腳本都能在幾分鐘內變成完整的影片並且上傳到頻道讓觀眾欣賞與分享給朋友們。", "zh-TW", 30)
	if language.Width(cjk) > 30 || !strings.HasSuffix(cjk, "…") {
		t.Fatalf("CJK cut → %q (%d columns)", cjk, language.Width(cjk))
	}
}

func BenchmarkRenderLandscape(b *testing.B) {
	fs := loadFonts(b)
	spec := Spec{Text: "Offline narration engines never fail and never cost money", Title: "Demo", Footer: "2 / 12", Seed: "bench"}
	for i := 0; i < b.N; i++ {
		if _, _, err := Render(fs, spec); err != nil {
			b.Fatal(err)
		}
	}
}
