package brand

import (
	"os"
	"path/filepath"
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
