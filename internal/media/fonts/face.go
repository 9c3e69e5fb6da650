package fonts

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"unicode"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// Face draws and measures strings at one size, choosing for each rune the
// first font of its chain that has a glyph for it. Advances and kerning
// are cached, so measuring the same text many times (as auto-fitting
// layouts do) is cheap. Measure and Draw agree exactly. A Face is not safe
// for concurrent use.
type Face struct {
	fonts []*sfnt.Font
	faces []font.Face
	size  float64
	buf   sfnt.Buffer
	pickC map[rune]int
	advC  map[rune]fixed.Int26_6
	kernC map[[2]rune]fixed.Int26_6
}

// Face returns a face for text in language lang (a BCP 47 tag) at size
// pixels per em.
func (s *Set) Face(lang string, bold bool, size float64) (*Face, error) {
	return s.StyledFace(lang, Sans, bold, size)
}

// StyledFace is Face in a type family; a family that is not installed
// falls back to the sans serif.
func (s *Set) StyledFace(lang string, style Style, bold bool, size float64) (*Face, error) {
	chain := s.chain(lang, bold, style)
	f := &Face{fonts: chain, size: size, pickC: map[rune]int{},
		advC: map[rune]fixed.Int26_6{}, kernC: map[[2]rune]fixed.Int26_6{}}
	for _, fnt := range chain {
		ff, err := opentype.NewFace(fnt, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
		if err != nil {
			return nil, err
		}
		f.faces = append(f.faces, ff)
	}
	return f, nil
}

// Size returns the face's size in pixels per em.
func (f *Face) Size() float64 { return f.size }

// pick returns the index of the font used for r.
func (f *Face) pick(r rune) int {
	if i, ok := f.pickC[r]; ok {
		return i
	}
	i := 0
	if !unicode.IsSpace(r) {
		for k, fnt := range f.fonts {
			if g, err := fnt.GlyphIndex(&f.buf, r); err == nil && g != 0 {
				i = k
				break
			}
		}
	}
	f.pickC[r] = i
	return i
}

// Covers reports whether some font of the face has a glyph for r.
func (f *Face) Covers(r rune) bool {
	for _, fnt := range f.fonts {
		if g, err := fnt.GlyphIndex(&f.buf, r); err == nil && g != 0 {
			return true
		}
	}
	return false
}

func (f *Face) advance(r rune) fixed.Int26_6 {
	if a, ok := f.advC[r]; ok {
		return a
	}
	a, _ := f.faces[f.pick(r)].GlyphAdvance(r)
	f.advC[r] = a
	return a
}

func (f *Face) kern(a, b rune) fixed.Int26_6 {
	k := [2]rune{a, b}
	if v, ok := f.kernC[k]; ok {
		return v
	}
	var v fixed.Int26_6
	if fa := f.pick(a); fa == f.pick(b) {
		v = f.faces[fa].Kern(a, b)
	}
	f.kernC[k] = v
	return v
}

// Measure returns the advance width of s in pixels.
func (f *Face) Measure(s string) float64 {
	var w fixed.Int26_6
	prev := rune(-1)
	for _, r := range s {
		if prev >= 0 {
			w += f.kern(prev, r)
		}
		w += f.advance(r)
		prev = r
	}
	return fix(w)
}

// Metrics returns the ascent, descent and recommended line height of the
// primary font, in pixels.
func (f *Face) Metrics() (ascent, descent, height float64) {
	m := f.faces[0].Metrics()
	return fix(m.Ascent), fix(m.Descent), fix(m.Height)
}

// Draw draws s with its baseline starting at (x, y) in colour c.
func (f *Face) Draw(dst draw.Image, x, y float64, s string, c color.Color) {
	src := image.NewUniform(c)
	dot := fixed.Point26_6{X: toFix(x), Y: toFix(y)}
	prev := rune(-1)
	for _, r := range s {
		if prev >= 0 {
			dot.X += f.kern(prev, r)
		}
		if !unicode.IsSpace(r) {
			dr, mask, mp, _, ok := f.faces[f.pick(r)].Glyph(dot, r)
			if ok {
				draw.DrawMask(dst, dr, src, image.Point{}, mask, mp, draw.Over)
			}
		}
		dot.X += f.advance(r)
		prev = r
	}
}

// DrawGlyphIndex draws glyph g of the face's primary font at (x, y); used
// to compare text against the font's missing-glyph (.notdef) shape.
func (f *Face) DrawGlyphIndex(dst draw.Image, x, y float64, g sfnt.GlyphIndex, c color.Color) error {
	fnt := f.fonts[0]
	segs, err := fnt.LoadGlyph(&f.buf, g, fixed.Int26_6(f.size*64), nil)
	if err != nil {
		return err
	}
	return drawSegments(dst, segs, x, y, c)
}

// PrimaryGlyph reports the glyph index of r in the face's primary font (0
// when the font lacks it).
func (f *Face) PrimaryGlyph(r rune) sfnt.GlyphIndex {
	g, _ := f.fonts[0].GlyphIndex(&f.buf, r)
	return g
}

// Shadow draws s with a soft shadow: the text's shape blurred by radius
// pixels, offset by (dx, dy), in colour sc, then the text itself in c.
func (f *Face) Shadow(dst draw.Image, x, y float64, s string, c, sc color.Color, dx, dy float64, radius int) {
	asc, desc, _ := f.Metrics()
	w := f.Measure(s)
	pad := radius*2 + 2
	mw, mh := int(math.Ceil(w))+2*pad, int(math.Ceil(asc+desc))+2*pad
	if mw > 0 && mh > 0 {
		mask := image.NewAlpha(image.Rect(0, 0, mw, mh))
		f.Draw(mask, float64(pad), float64(pad)+asc, s, color.Opaque)
		blurAlpha(mask, radius)
		ox := int(math.Round(x+dx)) - pad
		oy := int(math.Round(y+dy-asc)) - pad
		draw.DrawMask(dst, image.Rect(ox, oy, ox+mw, oy+mh), image.NewUniform(sc), image.Point{}, mask, image.Point{}, draw.Over)
	}
	f.Draw(dst, x, y, s, c)
}

// blurAlpha applies three box blurs of the given radius (close to a
// Gaussian) to m in place.
func blurAlpha(m *image.Alpha, radius int) {
	if radius <= 0 {
		return
	}
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	tmp := make([]uint8, max(w, h))
	for pass := 0; pass < 3; pass++ {
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+w]
			boxLine(row, tmp[:w], radius)
		}
		col := make([]uint8, h)
		for x := 0; x < w; x++ {
			for y := 0; y < h; y++ {
				col[y] = m.Pix[y*m.Stride+x]
			}
			boxLine(col, tmp[:h], radius)
			for y := 0; y < h; y++ {
				m.Pix[y*m.Stride+x] = col[y]
			}
		}
	}
}

func boxLine(line, tmp []uint8, r int) {
	n := len(line)
	copy(tmp, line)
	sum := 0
	win := 2*r + 1
	for i := -r; i <= r; i++ {
		if i >= 0 && i < n {
			sum += int(tmp[i])
		}
	}
	for i := 0; i < n; i++ {
		line[i] = uint8(sum / win)
		if j := i + r + 1; j < n {
			sum += int(tmp[j])
		}
		if j := i - r; j >= 0 {
			sum -= int(tmp[j])
		}
	}
}

func fix(v fixed.Int26_6) float64 { return float64(v) / 64 }

func toFix(v float64) fixed.Int26_6 { return fixed.Int26_6(math.Round(v * 64)) }

// drawSegments fills glyph outlines (pixels, y down, origin on the
// baseline at (x, y)).
func drawSegments(dst draw.Image, segs sfnt.Segments, x, y float64, c color.Color) error {
	b := segs.Bounds()
	minX := int(math.Floor(x + fix(b.Min.X)))
	minY := int(math.Floor(y + fix(b.Min.Y)))
	maxX := int(math.Ceil(x + fix(b.Max.X)))
	maxY := int(math.Ceil(y + fix(b.Max.Y)))
	if maxX <= minX || maxY <= minY {
		return nil
	}
	ras := vector.NewRasterizer(maxX-minX, maxY-minY)
	ox, oy := x-float64(minX), y-float64(minY)
	pt := func(p fixed.Point26_6) (float32, float32) {
		return float32(ox + fix(p.X)), float32(oy + fix(p.Y))
	}
	for _, s := range segs {
		switch s.Op {
		case sfnt.SegmentOpMoveTo:
			ras.MoveTo(pt(s.Args[0]))
		case sfnt.SegmentOpLineTo:
			ras.LineTo(pt(s.Args[0]))
		case sfnt.SegmentOpQuadTo:
			ax, ay := pt(s.Args[0])
			bx, by := pt(s.Args[1])
			ras.QuadTo(ax, ay, bx, by)
		case sfnt.SegmentOpCubeTo:
			ax, ay := pt(s.Args[0])
			bx, by := pt(s.Args[1])
			cx, cy := pt(s.Args[2])
			ras.CubeTo(ax, ay, bx, by, cx, cy)
		}
	}
	ras.ClosePath()
	ras.Draw(dst, image.Rect(minX, minY, maxX, maxY), image.NewUniform(c), image.Point{})
	return nil
}
