package pipeline

import (
	"encoding/json"
	"image"
	"image/color"
	_ "image/jpeg" // decode JPEG logos
	"math"
	"os"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/brand"
	"github.com/ytmaker/ytmaker/internal/media/fonts"
	"github.com/ytmaker/ytmaker/internal/media/render"
	"github.com/ytmaker/ytmaker/internal/media/slides"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/stage"
)

// Brands returns the store of brand presets, DATA_DIR/brands.
func (p *Pipeline) Brands() *brand.Store { return p.cfg.Store.Brands() }

// brandOf loads the project's brand preset; nil when it has none.
func (p *Pipeline) brandOf(pr *project.Project) (*brand.Brand, error) {
	if pr.Settings.Brand == "" {
		return nil, nil
	}
	b, err := p.Brands().Get(pr.Settings.Brand)
	if errcode.Code(err) == errcode.NotFound {
		return nil, project.InvalidField("settings.brand", "brand %q does not exist (presets live in %s)", pr.Settings.Brand, p.Brands().Dir())
	}
	if err != nil {
		return nil, err
	}
	return &b, nil
}

// brandKey is what of a brand changes the slides, for the asset hashes.
func brandKey(b *brand.Brand) string {
	if b == nil {
		return ""
	}
	k, _ := json.Marshal(struct {
		Channel      string
		Theme        string
		Intro, Outro bool
	}{b.Channel, b.Theme, b.IntroOn(), b.OutroOn()})
	return string(k)
}

// themeOf is the project's slide theme: its own setting, else its
// brand's, else chosen from the content.
func themeOf(pr *project.Project, b *brand.Brand, title string) string {
	if pr.Settings.Theme != "" {
		return pr.Settings.Theme
	}
	if b != nil && b.Theme != "" {
		return b.Theme
	}
	return slides.ThemeFor(title + "\n" + pr.Content).Name
}

// watermark prepares the brand's watermark for a w×h video: the logo, or
// the channel name drawn as one when there is no logo.
func (p *Pipeline) watermark(fs *fonts.Set, b *brand.Brand, job stage.Job, w, h int) (*render.Watermark, error) {
	if b == nil || !b.Watermark.On() {
		return nil, nil
	}
	path := p.Brands().LogoPath(*b)
	var size image.Point
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return nil, project.InvalidField("settings.brand", "the logo of brand %q cannot be read: %v", b.Name, err)
		}
		cfg, _, err := image.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width == 0 || cfg.Height == 0 {
			return nil, project.InvalidField("settings.brand", "the logo of brand %q is not a PNG or JPEG image", b.Name)
		}
		size = image.Pt(cfg.Width, cfg.Height)
	} else {
		img, err := textLogo(fs, b.Channel)
		if err != nil {
			return nil, err
		}
		path = abs(job, "assets/watermark.png")
		if err := slides.WritePNG(path, img); err != nil {
			return nil, errcode.Wrap(err, errcode.FileSystemError, false, "")
		}
		size = img.Bounds().Size()
	}
	ww := int(math.Round(b.Watermark.Size*float64(w))) &^ 1
	wh := int(math.Round(float64(ww) * float64(size.Y) / float64(size.X)))
	margin := int(math.Round(0.03 * float64(min(w, h)) * 1.5))
	x, y := margin, margin
	switch b.Watermark.Position {
	case brand.TopRight:
		x = w - margin - ww
	case brand.BottomLeft:
		y = h - margin - wh
	case brand.BottomRight:
		x, y = w-margin-ww, h-margin-wh
	}
	return &render.Watermark{Image: path, X: max(x, 0), Y: max(y, 0), Width: max(ww, 2), Opacity: b.Watermark.Opacity}, nil
}

// textLogo draws a channel name as a logo: white bold type with a soft
// shadow on a transparent ground.
func textLogo(fs *fonts.Set, name string) (*image.RGBA, error) {
	const size = 72.0
	f, err := fs.Face("", true, size)
	if err != nil {
		return nil, err
	}
	asc, desc, _ := f.Metrics()
	pad := 16.0
	w := int(math.Ceil(f.Measure(name) + 2*pad))
	h := int(math.Ceil(asc + desc + 2*pad))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	f.Shadow(img, pad, pad+asc, name, color.White, color.NRGBA{0, 0, 0, 200}, 3, 3, 6)
	return img, nil
}
