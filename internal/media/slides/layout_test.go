package slides

import (
	"bytes"
	"image"
	"math"
	"reflect"
	"testing"
)

func TestChooseLayout(t *testing.T) {
	for _, tc := range []struct {
		segType, text, lang string
		want                Kind
		number, quote       string
		items               []string
	}{
		{"intro", "Welcome to the show.", "en", KindTitle, "", "", nil},
		{"content", "Coffee first grew wild in Ethiopia. Traders carried it to Yemen.", "en", KindKey, "", "", nil},
		{"content", "Three habits help: a fixed bedtime, a dark room, and no screens after ten.", "en", KindBullets, "", "", []string{"A fixed bedtime", "A dark room", "No screens after ten"}},
		{"content", "Start small. First, save an emergency fund. Second, pay off debt. Third, invest monthly.", "en", KindBullets, "", "", []string{"Save an emergency fund", "Pay off debt", "Invest monthly"}},
		{"content", "- apples\n- pears\n- plums", "en", KindBullets, "", "", []string{"Apples", "Pears", "Plums"}},
		{"content", "About 35 percent of adults sleep less than seven hours.", "en", KindNumber, "35%", "", nil},
		{"content", "The library held perhaps 400,000 scrolls.", "en", KindNumber, "400,000", "", nil},
		{"content", "COVID-19 changed travel. Flights stopped.", "en", KindKey, "", "", nil},
		{"content", "As she said, “the best time to plant a tree was twenty years ago.”", "en", KindQuote, "", "The best time to plant a tree was twenty years ago", nil},
		{"content", "台灣的夜市有很多美食。", "zh-TW", KindKey, "", "", nil},
		{"content", "首先，存下緊急預備金。其次，分散投資。最後，長期持有。", "zh-TW", KindBullets, "", "", []string{"存下緊急預備金", "分散投資", "長期持有"}},
		{"content", "全台灣有超過 2300 萬人。", "zh-TW", KindNumber, "2300 萬", "", nil},
		{"content", "孔子說：「學而時習之，不亦說乎。」", "zh-TW", KindQuote, "", "學而時習之，不亦說乎", nil},
		{"content", "好的習慣有三個：早睡、運動、多喝水。", "zh-TW", KindBullets, "", "", []string{"早睡", "運動", "多喝水"}},
	} {
		c := Choose(tc.segType, "Title", tc.text, tc.lang)
		if c.Kind != tc.want {
			t.Errorf("Choose(%q) = %s (%+v), want %s", tc.text, c.Kind, c, tc.want)
			continue
		}
		if tc.number != "" && c.Number != tc.number {
			t.Errorf("Choose(%q).Number = %q, want %q", tc.text, c.Number, tc.number)
		}
		if tc.quote != "" && c.Quote != tc.quote {
			t.Errorf("Choose(%q).Quote = %q, want %q", tc.text, c.Quote, tc.quote)
		}
		if tc.items != nil && !reflect.DeepEqual(c.Items, tc.items) {
			t.Errorf("Choose(%q).Items = %q, want %q", tc.text, c.Items, tc.items)
		}
	}
}

func TestThemes(t *testing.T) {
	names := ThemeNames()
	if len(names) < 6 {
		t.Fatalf("%d themes, want at least 6", len(names))
	}
	seen := map[string]bool{}
	bgs := map[string]bool{}
	for _, n := range names {
		th, ok := LookupTheme(n)
		if !ok || seen[n] {
			t.Fatalf("theme %q missing or repeated", n)
		}
		seen[n] = true
		bgs[th.Background] = true
	}
	if len(bgs) < 6 {
		t.Errorf("%d background treatments, want at least 6", len(bgs))
	}
	for text, want := range map[string]string{
		"Robots, software and the internet":    "neon",
		"How to invest money in the market":    "slate",
		"森林裡的動物與植物":                            "forest",
		"The history of ancient books and art": "paper",
	} {
		if got := ThemeFor(text).Name; got != want {
			t.Errorf("ThemeFor(%q) = %s, want %s", text, got, want)
		}
	}
	// No keyword: a hash picks, the same every time.
	if a, b := ThemeFor("Zyx qwv plomb"), ThemeFor("Zyx qwv plomb"); a.Name != b.Name {
		t.Error("hash choice is not stable")
	}
}

// meanDiff is the mean absolute difference of two images' RGB values.
func meanDiff(a, b *image.RGBA) float64 {
	var sum float64
	for i := 0; i < len(a.Pix); i += 4 {
		for k := 0; k < 3; k++ {
			sum += math.Abs(float64(a.Pix[i+k]) - float64(b.Pix[i+k]))
		}
	}
	return sum / float64(len(a.Pix)/4*3)
}

// Two projects on different topics look different; the same project
// draws the same pixels twice.
func TestTopicsLookDifferent(t *testing.T) {
	fs := loadFonts(t)
	a := Spec{Title: "Robots at work", Body: "Robots and software now run whole factories.", Seed: "1:Robots at work", Width: 960, Height: 540}
	b := Spec{Title: "Forest life", Body: "Trees in the forest share water through their roots.", Seed: "2:Forest life", Width: 960, Height: 540}
	ia, la, err := Render(fs, a)
	if err != nil {
		t.Fatal(err)
	}
	ib, lb, _ := Render(fs, b)
	if la.Theme == lb.Theme || la.Icon == lb.Icon {
		t.Errorf("themes %s/%s, icons %s/%s: want different", la.Theme, lb.Theme, la.Icon, lb.Icon)
	}
	if d := meanDiff(ia, ib); d < 20 {
		t.Errorf("mean difference %.1f between topics, want ≥ 20 (of 255)", d)
	}
	ia2, _, _ := Render(fs, a)
	if !bytes.Equal(ia.Pix, ia2.Pix) {
		t.Error("the same spec drew different pixels")
	}
}

// Every theme and layout fits its text inside the frame, in both
// orientations.
func TestEveryThemeAndLayoutFits(t *testing.T) {
	fs := loadFonts(t)
	texts := []string{
		"Coffee first grew wild in Ethiopia, where goats ate the red berries.",
		"Three habits help: a fixed bedtime, a dark room, and no screens after ten.",
		"About 35 percent of adults sleep less than seven hours a night.",
		"As one engineer put it, “the robot never gets tired, but it never gets curious either.”",
		"首先，存下緊急預備金。其次，分散投資。最後，長期持有。",
	}
	for _, name := range ThemeNames() {
		for i, text := range texts {
			for _, size := range [][2]int{{960, 540}, {540, 960}} {
				img, lay, err := Render(fs, Spec{Body: text, Title: "Title", Footer: "1 / 5", Theme: name, Seed: name, Width: size[0], Height: size[1]})
				if err != nil {
					t.Fatal(err)
				}
				if lay.Theme != name {
					t.Errorf("theme %s drew %s", name, lay.Theme)
				}
				if !lay.Box.In(img.Bounds()) || !lay.IconBox.In(img.Bounds()) {
					t.Errorf("%s/%d/%v: text %v or icon %v outside the frame", name, i, size, lay.Box, lay.IconBox)
				}
				if !lay.IconBox.Empty() && lay.IconBox.Overlaps(lay.Box) {
					t.Errorf("%s/%d/%v: icon %v overlaps text %v", name, i, size, lay.IconBox, lay.Box)
				}
			}
		}
	}
}
