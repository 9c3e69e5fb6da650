// Package slides draws the still image shown while a segment is narrated.
// A theme (palette, type pairing, background treatment; chosen from the
// content or by name) sets the look; the layout is chosen from the text: a
// title card for the intro and outro, a list when the text enumerates, a
// big number when it states one, a quotation, or else the key sentence in
// large type (balanced lines, never split inside a word, shrunk until it
// fits); an illustration matched to the text's keywords sits on a round
// badge. Everything is drawn in Go, offline, and the same spec always
// gives the same pixels.
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

	xdraw "golang.org/x/image/draw"

	"github.com/ytmaker/ytmaker/internal/atomicfile"
	"github.com/ytmaker/ytmaker/internal/language"
	"github.com/ytmaker/ytmaker/internal/media/fonts"
	"github.com/ytmaker/ytmaker/internal/media/icons"
	"github.com/ytmaker/ytmaker/internal/media/linebreak"
)

// Frame sizes.
const (
	LandscapeWidth, LandscapeHeight = 1920, 1080
	PortraitWidth, PortraitHeight   = 1080, 1920
)

// Spec describes one slide.
type Spec struct {
	Text string // the sentence to show; see KeySentence
	// Body is the whole text the layout is chosen from (a list when it
	// enumerates, a big number when it states one, a quotation); "" uses
	// Text.
	Body     string
	Type     string // "intro", "content" or "outro"; "" means content
	Language string // BCP 47 tag; "" detects it from Text
	Title    string // small heading at the top, e.g. the project name
	Footer   string // small note at the bottom, e.g. "2 / 12"
	Width    int    // 0 means 1920
	Height   int    // 0 means 1080
	Seed     string // varies the shapes; same seed, same look
	// Theme names a built-in theme (see ThemeNames); "" picks one from
	// Title and Body (see ThemeFor).
	Theme string
	// Layout forces a layout; "" chooses one from the text (see Choose).
	Layout Kind
	// Icon names the illustration (see package icons); "" matches one to
	// the text, "none" draws none.
	Icon string
	// Channel is the channel name the intro and outro cards show under
	// their title (a brand's); "" shows none.
	Channel string
}

// Layout is where a slide's main text went.
type Layout struct {
	Kind  Kind
	Theme string
	Icon  string // the illustration's name, "" for none
	Lines []string
	// FontSize is the main text's size in pixels.
	FontSize float64
	// Box bounds the drawn lines (advance widths and line boxes).
	Box image.Rectangle
	// Area is the region the text had to fit in.
	Area image.Rectangle
	// IconBox bounds the illustration's badge.
	IconBox image.Rectangle
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
	body := strings.TrimSpace(spec.Body)
	if body == "" {
		body = strings.TrimSpace(spec.Text)
	}
	lang := spec.Language
	if lang == "" {
		lang = language.Detect(body + spec.Title)
	}
	th, ok := LookupTheme(spec.Theme)
	if !ok {
		th = ThemeFor(spec.Title + "\n" + body)
	}
	content := Choose(spec.Type, spec.Title, body, lang)
	if spec.Layout != "" && spec.Layout != content.Kind {
		content = Content{Kind: spec.Layout, Headline: KeySentence(body, lang, 0)}
		if spec.Layout == KindTitle && strings.TrimSpace(spec.Title) != "" && spec.Type != "outro" {
			content.Headline = strings.TrimSpace(spec.Title)
		}
		switch spec.Layout {
		case KindQuote:
			content.Quote, content.Headline = content.Headline, ""
		case KindBullets:
			content.Items, content.Headline = []string{content.Headline}, ""
		case KindNumber:
			content.Kind = KindKey
		}
	}
	if content.Kind == KindKey && strings.TrimSpace(spec.Text) != "" && spec.Body != "" {
		content.Headline = strings.TrimSpace(spec.Text)
	}
	if content.Kind == KindKey && spec.Body == "" {
		content.Headline = strings.TrimSpace(spec.Text)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	paintBackground(img, th, spec.Seed)

	d := &drawer{img: img, fs: fs, th: th, lang: lang, w: w, h: h, unit: float64(min(w, h)) / 1080, portrait: h > w}
	d.marginX = int(math.Round(float64(w) * 0.08))
	if d.portrait {
		d.marginX = int(math.Round(float64(w) * 0.09))
	}
	if err := d.chrome(spec.Title, spec.Footer, content.Kind); err != nil {
		return nil, Layout{}, err
	}
	var icon image.Image
	iconName := ""
	if spec.Icon != "none" {
		ic, found := icons.ByName(spec.Icon)
		if !found {
			if m, ok := icons.BestFor(spec.Title, body); ok && content.Kind != KindTitle {
				ic = m.Icon
			} else if m, ok := icons.Best(body); ok {
				ic = m.Icon
			} else if m, ok := icons.Best(spec.Title); ok {
				ic = m.Icon
			} else {
				ic = icons.Fallback(uint64(seedOf(body)))
			}
		}
		if pic, err := icons.Image(ic); err == nil {
			icon, iconName = pic, ic.Name
		}
	}
	lay, err := d.content(content, icon, strings.TrimSpace(spec.Channel))
	if err != nil {
		return nil, Layout{}, err
	}
	lay.Kind, lay.Theme = content.Kind, th.Name
	if icon != nil {
		lay.Icon = iconName
	}
	return img, lay, nil
}

// drawer holds what drawing one slide needs.
type drawer struct {
	img      *image.RGBA
	fs       *fonts.Set
	th       Theme
	lang     string
	w, h     int
	unit     float64
	portrait bool
	marginX  int
}

// chrome draws the small title at the top and the footer.
func (d *drawer) chrome(title, footer string, kind Kind) error {
	unit, w, h := d.unit, d.w, d.h
	x0 := d.marginX
	if d.th.Background == bgSplit && !d.portrait {
		x0 = int(float64(w)*0.30) + int(70*unit)
	}
	if t := strings.TrimSpace(title); t != "" && kind != KindTitle {
		size := 36 * unit
		f, err := d.fs.StyledFace(d.lang, d.th.Body, true, size)
		if err != nil {
			return err
		}
		t = fitOneLine(f, t, float64(w-x0-d.marginX))
		y := float64(h)*0.075 + size*0.8
		f.Shadow(d.img, float64(x0), y, t, d.th.Muted, d.th.shadow(), 2*unit, 2*unit, int(3*unit))
		bar := image.Rect(x0, int(y+size*0.45), x0+int(90*unit), int(y+size*0.45+6*unit))
		fillRect(d.img, bar, d.th.Accent)
	}
	if t := strings.TrimSpace(footer); t != "" {
		size := 30 * unit
		f, err := d.fs.StyledFace(d.lang, d.th.Body, false, size)
		if err != nil {
			return err
		}
		t = fitOneLine(f, t, float64(w)/3)
		x := float64(w-d.marginX) - f.Measure(t)
		y := float64(h) - float64(h)*0.045
		f.Shadow(d.img, x, y, t, d.th.Muted, d.th.shadow(), 2*unit, 2*unit, int(3*unit))
	}
	return nil
}

// content draws the layout's main part and returns where its main text
// went.
func (d *drawer) content(c Content, icon image.Image, channel string) (Layout, error) {
	unit, w, h := d.unit, d.w, d.h
	// The main part sits above the band that burned-in subtitles use.
	top, bottom := int(float64(h)*0.14), int(float64(h)*0.76)
	if d.portrait {
		top, bottom = int(float64(h)*0.12), int(float64(h)*0.66)
	}
	left, right := d.marginX, w-d.marginX
	var badge image.Rectangle
	if c.Kind == KindTitle {
		dia := int(250 * unit)
		cx, cy := w/2, top+dia/2
		if icon != nil {
			badge = image.Rect(cx-dia/2, cy-dia/2, cx+dia/2, cy+dia/2)
			top = badge.Max.Y + int(40*unit)
		}
		area := image.Rect(left, top, right, bottom)
		if channel != "" {
			area.Max.Y -= int(90 * unit)
		}
		lay, err := d.fitAndDraw(c.Headline, area, 120*unit, 48*unit, d.th.Heading, true, d.th.Ink, alignCenter)
		if err != nil {
			return lay, err
		}
		d.accentRule(lay.Box, true)
		if channel != "" {
			size := 46 * unit
			f, err := d.fs.StyledFace(d.lang, d.th.Body, true, size)
			if err != nil {
				return lay, err
			}
			channel = fitOneLine(f, channel, float64(right-left))
			x := float64(w)/2 - f.Measure(channel)/2
			y := float64(lay.Box.Max.Y) + 40*unit + size
			f.Shadow(d.img, x, y, channel, d.th.Accent, d.th.shadow(), 2*unit, 2*unit, int(3*unit))
		}
		d.badge(badge, icon)
		lay.IconBox = badge
		return lay, nil
	}
	dia := int(300 * unit)
	if c.Kind == KindBullets && (d.portrait || d.th.Background != bgSplit) {
		dia = int(190 * unit)
	}
	if icon != nil {
		switch {
		case d.portrait:
			cx := w / 2
			badge = image.Rect(cx-dia/2, top, cx+dia/2, top+dia)
			top += dia + int(50*unit)
		case d.th.Background == bgSplit:
			cx, cy := int(float64(w)*0.15), (top+bottom)/2
			badge = image.Rect(cx-dia/2, cy-dia/2, cx+dia/2, cy+dia/2)
			left = int(float64(w)*0.30) + int(70*unit)
		case c.Kind == KindBullets:
			badge = image.Rect(right-dia, top, right, top+dia)
		default:
			cy := (top + bottom) / 2
			badge = image.Rect(left, cy-dia/2, left+dia, cy+dia/2)
			left += dia + int(80*unit)
		}
	} else if d.th.Background == bgSplit && !d.portrait {
		left = int(float64(w)*0.30) + int(70*unit)
	}
	d.badge(badge, icon)
	align := alignLeft
	if d.portrait {
		align = alignCenter
	}
	var lay Layout
	var err error
	switch c.Kind {
	case KindBullets:
		lay, err = d.bullets(c, image.Rect(left, top, right, bottom), badge, align)
	case KindNumber:
		lay, err = d.number(c, image.Rect(left, top, right, bottom), align)
	case KindQuote:
		lay, err = d.quote(c, image.Rect(left, top, right, bottom), align)
	default:
		lay, err = d.fitAndDraw(c.Headline, image.Rect(left, top, right, bottom), maxTextSize*unit, minTextSize*unit, d.th.Heading, true, d.th.Ink, align)
		if err == nil {
			d.accentRule(lay.Box, align == alignCenter)
		}
	}
	lay.IconBox = badge
	return lay, err
}

func (d *drawer) bullets(c Content, area, badge image.Rectangle, align alignment) (Layout, error) {
	unit := d.unit
	head := strings.TrimSpace(c.Headline)
	if head != "" {
		harea := image.Rect(area.Min.X, area.Min.Y, area.Max.X, area.Min.Y+int(130*unit))
		if !badge.Empty() && !d.portrait && badge.Min.X > area.Min.X {
			harea.Max.X = badge.Min.X - int(40*unit)
		}
		hl, err := d.fit(head, harea, 58*unit, 36*unit, d.th.Heading, true, align)
		if err != nil {
			return hl, err
		}
		hl.Box = hl.Box.Add(image.Pt(0, harea.Min.Y-hl.Box.Min.Y)) // top-aligned
		if err := d.drawLines(hl, d.th.Heading, true, d.th.Accent, align); err != nil {
			return hl, err
		}
		area.Min.Y = hl.Box.Max.Y + int(30*unit)
	} else if !badge.Empty() && !d.portrait && badge.Min.X > area.Min.X {
		area.Min.Y = badge.Max.Y + int(20*unit)
	}
	// Items: the largest size at which every item fits on at most two
	// lines and all fit in the area.
	indent := int(54 * unit)
	itemArea := image.Rect(area.Min.X+indent, area.Min.Y, area.Max.X, area.Max.Y)
	var size float64
	var laid [][]string
	for size = 76 * unit; ; size *= 0.94 {
		f, err := d.fs.StyledFace(d.lang, d.th.Body, true, size)
		if err != nil {
			return Layout{}, err
		}
		laid = laid[:0]
		total := 0.0
		ok := true
		for _, it := range c.Items {
			lines := linebreak.Balanced(it, float64(itemArea.Dx()), f.Measure, false)
			if len(lines) > 2 || linebreak.Widest(lines, f.Measure) > float64(itemArea.Dx()) {
				ok = false
			}
			laid = append(laid, lines)
			total += float64(len(lines))*lineHeight(size, d.lang) + size*0.45
		}
		if ok && total <= float64(itemArea.Dy()) || size*0.94 < 34*unit {
			break
		}
	}
	f, err := d.fs.StyledFace(d.lang, d.th.Body, true, size)
	if err != nil {
		return Layout{}, err
	}
	asc, desc, _ := f.Metrics()
	lh := lineHeight(size, d.lang)
	y := float64(itemArea.Min.Y)
	var all []string
	box := image.Rectangle{}
	for _, lines := range laid {
		// The bullet: an accent square beside the first line.
		by := int(y + lh/2)
		s := int(size * 0.28)
		fillRect(d.img, image.Rect(area.Min.X+int(8*unit), by-s/2, area.Min.X+int(8*unit)+s, by+s/2), d.th.Accent)
		for _, l := range lines {
			if y+lh > float64(area.Max.Y)+lh*0.3 {
				break
			}
			base := y + (lh-(asc+desc))/2 + asc
			f.Shadow(d.img, float64(itemArea.Min.X), base, l, d.th.Ink, d.th.shadow(), 2*unit, 3*unit, int(4*unit))
			r := image.Rect(itemArea.Min.X, int(y), itemArea.Min.X+int(math.Ceil(f.Measure(l))), int(y+lh))
			box = box.Union(r)
			all = append(all, l)
			y += lh
		}
		y += size * 0.45
	}
	return Layout{Lines: all, FontSize: size, Box: box, Area: area, Fits: true}, nil
}

func (d *drawer) number(c Content, area image.Rectangle, align alignment) (Layout, error) {
	unit := d.unit
	narea := image.Rect(area.Min.X, area.Min.Y, area.Max.X, area.Min.Y+area.Dy()*55/100)
	nl, err := d.fit(c.Number, narea, 250*unit, 90*unit, fonts.Condensed, true, align)
	if err != nil {
		return nl, err
	}
	nl.Box = nl.Box.Add(image.Pt(0, narea.Max.Y-nl.Box.Max.Y))
	if err := d.drawLines(nl, fonts.Condensed, true, d.th.Accent, align); err != nil {
		return nl, err
	}
	carea := image.Rect(area.Min.X, narea.Max.Y+int(20*unit), area.Max.X, area.Max.Y)
	cl, err := d.fit(c.Headline, carea, 60*unit, 36*unit, d.th.Heading, true, align)
	if err != nil {
		return cl, err
	}
	cl.Box = cl.Box.Add(image.Pt(0, carea.Min.Y-cl.Box.Min.Y))
	if err := d.drawLines(cl, d.th.Heading, true, d.th.Ink, align); err != nil {
		return cl, err
	}
	cl.Area = area
	return cl, nil
}

func (d *drawer) quote(c Content, area image.Rectangle, align alignment) (Layout, error) {
	unit := d.unit
	mark := "“"
	if language.IsCJK(d.lang) {
		mark = "「"
	}
	qf, err := d.fs.StyledFace("en", fonts.Serif, true, 260*unit)
	if err != nil {
		return Layout{}, err
	}
	mx := float64(area.Min.X) - 10*unit
	if align == alignCenter {
		mx = float64(area.Min.X+area.Max.X)/2 - qf.Measure(mark)/2
	}
	qf.Draw(d.img, mx, float64(area.Min.Y)+190*unit, mark, d.th.Accent)
	tarea := image.Rect(area.Min.X, area.Min.Y+int(130*unit), area.Max.X, area.Max.Y)
	lay, err := d.fitAndDraw(c.Quote, tarea, 80*unit, 40*unit, fonts.Serif, false, d.th.Ink, align)
	if err == nil {
		d.accentRule(lay.Box, align == alignCenter)
	}
	return lay, err
}

// badge draws the illustration on a round plate.
func (d *drawer) badge(r image.Rectangle, icon image.Image) {
	if icon == nil || r.Empty() {
		return
	}
	cx, cy := float64(r.Min.X+r.Max.X)/2, float64(r.Min.Y+r.Max.Y)/2
	rad := float64(r.Dx()) / 2
	// A soft shadow, then the plate, anti-aliased.
	disc(d.img, cx+6*d.unit, cy+10*d.unit, rad+4*d.unit, color.NRGBA{0, 0, 0, 255}, 0.28, 10*d.unit)
	disc(d.img, cx, cy, rad, d.th.Panel, 1, 1.2)
	ring := color.NRGBA{d.th.Accent.R, d.th.Accent.G, d.th.Accent.B, 255}
	circle(d.img, cx, cy, rad-3*d.unit, 5*d.unit, ring)
	s := int(float64(r.Dx()) * 0.64)
	dst := image.Rect(int(cx)-s/2, int(cy)-s/2, int(cx)-s/2+s, int(cy)-s/2+s)
	xdraw.CatmullRom.Scale(d.img, dst, icon, icon.Bounds(), xdraw.Over, nil)
}

// disc blends a filled circle with a soft edge of width feather.
func disc(img *image.RGBA, cx, cy, r float64, c color.NRGBA, alpha, feather float64) {
	b := image.Rect(int(cx-r-feather-1), int(cy-r-feather-1), int(cx+r+feather+2), int(cy+r+feather+2)).Intersect(img.Bounds())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			dd := math.Hypot(float64(x)+0.5-cx, float64(y)+0.5-cy)
			a := math.Max(0, math.Min(1, (r-dd)/feather+0.5))
			if a > 0 {
				blend(img, x, y, c, a*alpha)
			}
		}
	}
}

// circle strokes a ring of the given width.
func circle(img *image.RGBA, cx, cy, r, width float64, c color.NRGBA) {
	b := image.Rect(int(cx-r-width), int(cy-r-width), int(cx+r+width+1), int(cy+r+width+1)).Intersect(img.Bounds())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			dd := math.Abs(math.Hypot(float64(x)+0.5-cx, float64(y)+0.5-cy) - r)
			a := math.Max(0, math.Min(1, width/2-dd+0.5))
			if a > 0 {
				blend(img, x, y, c, a)
			}
		}
	}
}

type alignment int

const (
	alignLeft alignment = iota
	alignCenter
)

// fitAndDraw fits text in area (centred vertically) and draws it.
func (d *drawer) fitAndDraw(text string, area image.Rectangle, maxSize, minSize float64, style fonts.Style, bold bool, c color.NRGBA, align alignment) (Layout, error) {
	lay, err := d.fit(text, area, maxSize, minSize, style, bold, align)
	if err != nil || len(lay.Lines) == 0 {
		return lay, err
	}
	return lay, d.drawLines(lay, style, bold, c, align)
}

// fit picks the largest size at which the text fits in area.
func (d *drawer) fit(text string, area image.Rectangle, maxSize, minSize float64, style fonts.Style, bold bool, align alignment) (Layout, error) {
	lay := Layout{Area: area, Fits: true}
	text = strings.TrimSpace(text)
	if text == "" {
		return lay, nil
	}
	maxW := float64(area.Dx())
	maxH := float64(area.Dy())
	for size := maxSize; ; size *= 0.94 {
		last := size*0.94 < minSize
		f, err := d.fs.StyledFace(d.lang, style, bold, size)
		if err != nil {
			return lay, err
		}
		lineH := lineHeight(size, d.lang)
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
			x0 := float64(area.Min.X)
			if align == alignCenter {
				x0 += (maxW - wide) / 2
			}
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

// drawLines draws lay's lines from the top of lay.Box, aligned left to
// the area's edge or centred in it.
func (d *drawer) drawLines(lay Layout, style fonts.Style, bold bool, c color.NRGBA, align alignment) error {
	if len(lay.Lines) == 0 {
		return nil
	}
	f, err := d.fs.StyledFace(d.lang, style, bold, lay.FontSize)
	if err != nil {
		return err
	}
	asc, desc, _ := f.Metrics()
	lineH := lineHeight(lay.FontSize, d.lang)
	area := lay.Area
	for i, l := range lay.Lines {
		lw := f.Measure(l)
		x := float64(area.Min.X)
		if align == alignCenter {
			x = float64(area.Min.X) + (float64(area.Dx())-lw)/2
		}
		// Centre the glyph box (ascent+descent) in the line box.
		y := float64(lay.Box.Min.Y) + float64(i)*lineH + (lineH-(asc+desc))/2 + asc
		f.Shadow(d.img, x, y, l, c, d.th.shadow(), 3*d.unit, 4*d.unit, int(6*d.unit))
	}
	return nil
}

// accentRule draws a short accent bar under a text block.
func (d *drawer) accentRule(box image.Rectangle, centred bool) {
	if box.Empty() {
		return
	}
	bw := int(120 * d.unit)
	x := box.Min.X
	if centred {
		x = (box.Min.X+box.Max.X)/2 - bw/2
	}
	y := box.Max.Y + int(18*d.unit)
	fillRect(d.img, image.Rect(x, y, x+bw, y+int(7*d.unit)), d.th.Accent)
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

// Background paints a theme's background alone, without text, as the
// ground of a thumbnail or a brand card.
func Background(th Theme, w, h int, seed string) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	paintBackground(img, th, seed)
	return img
}

// Badge draws an illustration on a round plate filling r, in the theme's
// colours.
func Badge(img *image.RGBA, r image.Rectangle, icon image.Image, th Theme) {
	d := &drawer{img: img, th: th, unit: float64(min(img.Bounds().Dx(), img.Bounds().Dy())) / 1080}
	d.badge(r, icon)
}
