package pipeline

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"testing"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/brand"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/store"
)

// An uploaded logo becomes the watermark, sized by the preset and placed
// in its corner; a preset or logo that went missing is refused naming
// settings.brand.
func TestWatermarkFromUploadedLogo(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	if _, err := p.Brands().Save(brand.Brand{Name: "rivers", Channel: "Rivers",
		Watermark: brand.Watermark{Position: brand.BottomRight, Size: 0.25, Opacity: 0.6}}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	png.Encode(&buf, image.NewNRGBA(image.Rect(0, 0, 400, 100)))
	if _, err := p.Brands().SaveLogo("rivers", &buf, 0); err != nil {
		t.Fatal(err)
	}
	pr := &project.Project{Settings: project.Settings{Brand: "rivers"}}
	b, err := p.brandOf(pr)
	if err != nil {
		t.Fatal(err)
	}
	wm, err := p.watermark(nil, b, nil, 1920, 1080)
	if err != nil {
		t.Fatal(err)
	}
	// 25 % of 1920 = 480 px wide, 120 tall (the logo is 4:1), 49 px from
	// the bottom-right edges.
	if wm.Image != p.Brands().LogoPath(*b) || wm.Width != 480 || wm.X != 1920-49-480 || wm.Y != 1080-49-120 || wm.Opacity != 0.6 {
		t.Fatalf("watermark %+v", wm)
	}
	os.Remove(p.Brands().LogoPath(*b))
	if _, err := p.watermark(nil, b, nil, 1920, 1080); errcode.Code(err) != errcode.InvalidInput || errcode.Classify(err).Details["field"] != "settings.brand" {
		t.Fatalf("missing logo file: %v", err)
	}
	if err := p.Brands().Delete("rivers"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.brandOf(pr); errcode.Code(err) != errcode.InvalidInput || errcode.Classify(err).Details["field"] != "settings.brand" {
		t.Fatalf("deleted preset: %v", err)
	}
}
