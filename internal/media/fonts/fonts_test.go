package fonts

import (
	"image"
	"image/color"
	"testing"
)

func loadOrSkip(t testing.TB) *Set {
	t.Helper()
	s, err := Load(Config{})
	if err != nil {
		t.Skip("no fonts installed:", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func inked(m *image.Alpha) int {
	n := 0
	for _, a := range m.Pix {
		if a > 64 {
			n++
		}
	}
	return n
}

func TestLoadFindsFonts(t *testing.T) {
	s := loadOrSkip(t)
	paths := s.Paths()
	if paths["latin"] == "" {
		t.Errorf("DejaVu Sans not found: %v", paths)
	}
	if !s.HasCJK() {
		t.Skip("Noto Sans CJK not installed")
	}
	for _, fam := range []string{NotoCJKTC, NotoCJKSC, NotoCJKJP, NotoCJKKR} {
		if _, ok := s.cjk[fam]; !ok {
			t.Errorf("collection lacks %s (has %d faces)", fam, len(s.cjk))
		}
	}
}

// TestCJKRenders proves that Chinese text is drawn with real glyphs: the
// ink is substantial, and differs from the primary font's .notdef box.
func TestCJKRenders(t *testing.T) {
	s := loadOrSkip(t)
	if !s.HasCJK() {
		t.Skip("Noto Sans CJK not installed")
	}
	for _, lang := range []string{"zh-TW", "en"} { // en: DejaVu first, CJK by fallback
		f, err := s.Face(lang, true, 64)
		if err != nil {
			t.Fatal(err)
		}
		text := "中文"
		if !f.Covers('中') || !f.Covers('文') {
			t.Fatalf("%s: face does not cover 中文", lang)
		}
		w := f.Measure(text)
		if w < 100 || w > 140 {
			t.Errorf("%s: 中文 at 64 px measures %.1f px, want about 128", lang, w)
		}
		txt := image.NewAlpha(image.Rect(0, 0, 160, 90))
		f.Draw(txt, 10, 70, text, color.Opaque)
		notdef := image.NewAlpha(image.Rect(0, 0, 160, 90))
		// Two .notdef glyphs side by side, as a font without CJK would draw.
		if err := f.DrawGlyphIndex(notdef, 10, 70, 0, color.Opaque); err != nil {
			t.Fatal(err)
		}
		if err := f.DrawGlyphIndex(notdef, 74, 70, 0, color.Opaque); err != nil {
			t.Fatal(err)
		}
		ink := inked(txt)
		if ink < 800 {
			t.Fatalf("%s: 中文 drew only %d inked pixels", lang, ink)
		}
		diff := 0
		for i := range txt.Pix {
			if (txt.Pix[i] > 64) != (notdef.Pix[i] > 64) {
				diff++
			}
		}
		if diff < ink/4 {
			t.Fatalf("%s: 中文 looks like .notdef boxes (%d of %d pixels differ)", lang, diff, ink)
		}
		// The two characters are different shapes.
		left, right := 0, 0
		for y := 0; y < 90; y++ {
			for x := 0; x < 160; x++ {
				if txt.Pix[y*txt.Stride+x] > 64 {
					if x < 74 {
						left++
					} else {
						right++
					}
				}
			}
		}
		if left == 0 || right == 0 || left == right {
			t.Errorf("%s: glyph ink left %d right %d", lang, left, right)
		}
	}
	// DejaVu itself has no glyph for 中: the fallback is what draws it.
	f, _ := s.Face("en", false, 32)
	if f.PrimaryGlyph('中') != 0 {
		t.Skip("primary Latin font unexpectedly covers CJK")
	}
}

func TestMixedScriptMeasure(t *testing.T) {
	s := loadOrSkip(t)
	f, err := s.Face("en", false, 40)
	if err != nil {
		t.Fatal(err)
	}
	a, b := f.Measure("Hello"), f.Measure("Hello world")
	if a <= 0 || b <= a {
		t.Fatalf("Measure: %v %v", a, b)
	}
	asc, desc, h := f.Metrics()
	if asc <= 0 || desc <= 0 || h < asc {
		t.Fatalf("metrics %v %v %v", asc, desc, h)
	}
}

func TestShadowDrawsBeyondText(t *testing.T) {
	s := loadOrSkip(t)
	f, err := s.Face("en", true, 48)
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 300, 100))
	f.Shadow(img, 20, 70, "Shadow", color.White, color.Black, 4, 4, 3)
	white, shadow := 0, 0
	for i := 0; i < len(img.Pix); i += 4 {
		r, a := img.Pix[i], img.Pix[i+3]
		if a > 200 && r > 200 {
			white++
		} else if a > 40 && r < 60 {
			shadow++
		}
	}
	if white < 500 || shadow < 200 {
		t.Fatalf("white %d shadow %d", white, shadow)
	}
}

func TestCJKFamily(t *testing.T) {
	cases := map[string]string{"zh-TW": NotoCJKTC, "zh-CN": NotoCJKSC, "ja": NotoCJKJP, "ko": NotoCJKKR, "en": NotoCJKTC}
	for lang, want := range cases {
		if got := CJKFamily(lang); got != want {
			t.Errorf("CJKFamily(%q) = %q, want %q", lang, got, want)
		}
	}
}

func TestLoadFailsWithoutFonts(t *testing.T) {
	if _, err := Load(Config{Dirs: []string{t.TempDir()}, NoFontconfig: true}); err == nil {
		t.Fatal("Load succeeded with no fonts")
	}
}
