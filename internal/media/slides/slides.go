// Package slides draws the still image shown while a segment is narrated:
// a gradient background with soft shapes in a palette picked from a seed,
// the segment's key sentence in large type (word-wrapped for Latin text,
// character-wrapped for CJK text, shrunk until it fits), and an optional
// title and footer. Everything is drawn in Go, offline.
package slides

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"strings"

	"github.com/ytmaker/ytmaker/internal/atomicfile"
	"github.com/ytmaker/ytmaker/internal/language"
	"github.com/ytmaker/ytmaker/internal/media/fonts"
	"github.com/ytmaker/ytmaker/internal/media/linebreak"
)

// Frame sizes.
const (
	LandscapeWidth, LandscapeHeight = 1920, 1080
	PortraitWidth, PortraitHeight   = 1080, 1920
)

// Spec describes one slide.
type Spec struct {
	Text     string // the sentence to show; see KeySentence
	Language string // BCP 47 tag; "" detects it from Text
	Title    string // small heading at the top, e.g. the project name
	Footer   string // small note at the bottom, e.g. "2 / 12"
	Width    int    // 0 means 1920
	Height   int    // 0 means 1080
	Seed     string // picks the palette and shapes; same seed, same look
}

// Layout is where a slide's main text went.
type Layout struct {
	Lines    []string
	FontSize float64
	// Box bounds the drawn lines (advance widths and line boxes).
	Box image.Rectangle
	// Area is the region the text had to fit in.
	Area image.Rectangle
	// Fits is false when even the smallest size overflowed and lines were
	// cut between characters or the text was shortened.
	Fits bool
}

// Font size limits of the main text, in pixels at 1080 lines (scaled with
// the frame's shorter side).
const (
	maxTextSize = 90
	minTextSize = 44
)

// Render draws the slide.
func Render(fs *fonts.Set, spec Spec) (*image.RGBA, Layout, error) {
	if fs == nil {
		return nil, Layout{}, errors.New("slides: no fonts")
	}
	w, h := spec.Width, spec.Height
	if w == 0 && h == 0 {
		w, h = LandscapeWidth, LandscapeHeight
	}
	if w < 64 || h < 64 || w > 8192 || h > 8192 {
		return nil, Layout{}, fmt.Errorf("slides: bad size %dx%d", w, h)
	}
	lang := spec.Language
	if lang == "" {
		lang = language.Detect(spec.Text + spec.Title)
	}
	pal := pickPalette(spec.Seed)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	paintBackground(img, pal, spec.Seed)

	unit := float64(min(w, h)) / 1080 // 1 at 1080p
	portrait := h > w
	marginX := int(math.Round(float64(w) * 0.08))
	if portrait {
		marginX = int(math.Round(float64(w) * 0.09))
	}
	shadow := color.NRGBA{0, 0, 0, 150}

	// Title, top left, with an accent bar under it.
	if t := strings.TrimSpace(spec.Title); t != "" {
		size := 38 * unit
		f, err := fs.Face(lang, true, size)
		if err != nil {
			return nil, Layout{}, err
		}
		t = fitOneLine(f, t, float64(w-2*marginX))
		y := float64(h)*0.075 + size*0.8
		f.Shadow(img, float64(marginX), y, t, color.NRGBA{255, 255, 255, 225}, shadow, 2*unit, 2*unit, int(3*unit))
		bar := image.Rect(marginX, int(y+size*0.45), marginX+int(90*unit), int(y+size*0.45+6*unit))
		fillRect(img, bar, pal.accent)
	}
	// Footer, bottom right.
	if t := strings.TrimSpace(spec.Footer); t != "" {
		size := 30 * unit
		f, err := fs.Face(lang, false, size)
		if err != nil {
			return nil, Layout{}, err
		}
		t = fitOneLine(f, t, float64(w)/3)
		x := float64(w-marginX) - f.Measure(t)
		y := float64(h) - float64(h)*0.045
		f.Shadow(img, x, y, t, color.NRGBA{255, 255, 255, 200}, shadow, 2*unit, 2*unit, int(3*unit))
	}

	// The main text sits above the band that burned-in subtitles use.
	top, bottom := 0.14, 0.76
	if portrait {
		top, bottom = 0.12, 0.66
	}
	area := image.Rect(marginX, int(float64(h)*top), w-marginX, int(float64(h)*bottom))
	lay, err := layoutText(fs, strings.TrimSpace(spec.Text), lang, area, unit)
	if err != nil {
		return nil, Layout{}, err
	}
	if len(lay.Lines) > 0 {
		if err := drawText(img, fs, lang, lay, pal, unit); err != nil {
			return nil, Layout{}, err
		}
	}
	return img, lay, nil
}

// layoutText picks the largest size at which the text fits in area.
func layoutText(fs *fonts.Set, text, lang string, area image.Rectangle, unit float64) (Layout, error) {
	lay := Layout{Area: area, Fits: true}
	if text == "" {
		return lay, nil
	}
	maxW := float64(area.Dx())
	maxH := float64(area.Dy())
	for size := maxTextSize * unit; ; size *= 0.94 {
		last := size*0.94 < minTextSize*unit
		f, err := fs.Face(lang, true, size)
		if err != nil {
			return lay, err
		}
		lineH := lineHeight(size, lang)
		lines := linebreak.Balanced(text, maxW, f.Measure, false)
		tooWide := linebreak.Widest(lines, f.Measure) > maxW
		tooTall := float64(len(lines))*lineH > maxH
		if !tooWide && !tooTall || last {
			if tooWide || tooTall {
				lay.Fits = false
				lines = linebreak.Wrap(text, maxW, f.Measure, true)
				maxLines := int(maxH / lineH)
				if len(lines) > maxLines {
					lines = lines[:max(maxLines, 1)]
					lines[len(lines)-1] = ellipsize(f, lines[len(lines)-1], maxW)
				}
			}
			lay.Lines = lines
			lay.FontSize = size
			blockH := float64(len(lines)) * lineH
			y0 := float64(area.Min.Y) + (maxH-blockH)/2
			wide := linebreak.Widest(lines, f.Measure)
			x0 := float64(area.Min.X) + (maxW-wide)/2
			lay.Box = image.Rect(int(math.Floor(x0)), int(math.Floor(y0)), int(math.Ceil(x0+wide)), int(math.Ceil(y0+blockH)))
			return lay, nil
		}
	}
}

func lineHeight(size float64, lang string) float64 {
	if language.IsCJK(lang) {
		return size * 1.38
	}
	return size * 1.24
}

func drawText(img *image.RGBA, fs *fonts.Set, lang string, lay Layout, pal palette, unit float64) error {
	f, err := fs.Face(lang, true, lay.FontSize)
	if err != nil {
		return err
	}
	asc, desc, _ := f.Metrics()
	lineH := lineHeight(lay.FontSize, lang)
	area := lay.Area
	for i, l := range lay.Lines {
		lw := f.Measure(l)
		x := float64(area.Min.X) + (float64(area.Dx())-lw)/2
		// Centre the glyph box (ascent+descent) in the line box.
		y := float64(lay.Box.Min.Y) + float64(i)*lineH + (lineH-(asc+desc))/2 + asc
		f.Shadow(img, x, y, l, color.White, color.NRGBA{0, 0, 0, 170}, 3*unit, 4*unit, int(6*unit))
	}
	// A short accent rule under the text block.
	cx := (lay.Box.Min.X + lay.Box.Max.X) / 2
	bw := int(120 * unit)
	y := lay.Box.Max.Y + int(18*unit)
	fillRect(img, image.Rect(cx-bw/2, y, cx+bw/2, y+int(7*unit)), pal.accent)
	return nil
}

// fitOneLine shortens s with an ellipsis until it fits in maxW.
func fitOneLine(f *fonts.Face, s string, maxW float64) string {
	if f.Measure(s) <= maxW {
		return s
	}
	return ellipsize(f, s, maxW)
}

func ellipsize(f *fonts.Face, s string, maxW float64) string {
	r := []rune(strings.TrimSpace(s))
	for len(r) > 0 && f.Measure(string(r)+"…") > maxW {
		r = r[:len(r)-1]
	}
	return strings.TrimRight(string(r), " ,.;:，、") + "…"
}

func fillRect(img *image.RGBA, r image.Rectangle, c color.NRGBA) {
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			blend(img, x, y, c, float64(c.A)/255)
		}
	}
}

// blend mixes c into the pixel at (x, y) with opacity a.
func blend(img *image.RGBA, x, y int, c color.NRGBA, a float64) {
	i := img.PixOffset(x, y)
	p := img.Pix[i : i+4 : i+4]
	p[0] = uint8(float64(p[0])*(1-a) + float64(c.R)*a + 0.5)
	p[1] = uint8(float64(p[1])*(1-a) + float64(c.G)*a + 0.5)
	p[2] = uint8(float64(p[2])*(1-a) + float64(c.B)*a + 0.5)
	p[3] = 255
}

// Draw renders the slide and writes it as a PNG file atomically.
func Draw(fs *fonts.Set, spec Spec, path string) (Layout, error) {
	img, lay, err := Render(fs, spec)
	if err != nil {
		return lay, err
	}
	return lay, WritePNG(path, img)
}

// WritePNG encodes img as a PNG file written atomically at path, favouring
// speed over size.
func WritePNG(path string, img image.Image) error {
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error { return enc.Encode(w, img) })
}
