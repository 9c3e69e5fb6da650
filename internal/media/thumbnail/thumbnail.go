// Package thumbnail makes the video's YouTube thumbnail: a 1280x720 JPEG
// (under 2 MB) from the first image, cropped to fill the frame, darkened
// towards the bottom, with the title in large bold type (CJK included),
// wrapped to at most three lines and shrunk until it fits.
package thumbnail

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	_ "image/png" // decode PNG sources
	"math"
	"os"
	"strings"

	xdraw "golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // decode WebP sources

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/atomicfile"
	"github.com/ytmaker/ytmaker/internal/language"
	"github.com/ytmaker/ytmaker/internal/media/fonts"
	"github.com/ytmaker/ytmaker/internal/media/linebreak"
	"github.com/ytmaker/ytmaker/internal/media/slides"
)

// Thumbnail size and YouTube's file size limit.
const (
	Width    = 1280
	Height   = 720
	MaxBytes = 2_000_000
)

// Stage is the stage reported with errors.
const Stage = "thumbnail_generation"

// Spec describes a thumbnail.
type Spec struct {
	Image    string // source image (PNG, JPEG or WebP); "" draws a background from Seed
	Title    string
	Language string // BCP 47 tag; "" detects it from Title
	OutPath  string // e.g. output/thumbnail.jpg
	MaxBytes int    // 0 means MaxBytes
	Seed     string // background when there is no image
}

// Result describes the written thumbnail.
type Result struct {
	Path     string
	Width    int
	Height   int
	Bytes    int
	Quality  int // JPEG quality used
	Lines    []string
	FontSize float64
	// TextBox bounds the title's lines.
	TextBox image.Rectangle
}

// Title layout limits.
const (
	maxLines   = 3
	maxSize    = 118.0
	minSize    = 46.0
	marginX    = 64
	marginBot  = 56
	lineFactor = 1.12
)

// Generate draws the thumbnail and writes it atomically at spec.OutPath,
// lowering the JPEG quality until the file fits in MaxBytes.
func Generate(ctx context.Context, fs *fonts.Set, spec Spec) (Result, error) {
	if spec.OutPath == "" {
		return Result{}, errcode.New(errcode.InvalidInput, "thumbnail: no output path", false).WithStage(Stage)
	}
	img, res, err := Render(fs, spec)
	if err != nil {
		return Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return Result{}, errcode.Classify(err).WithStage(Stage)
	}
	limit := spec.MaxBytes
	if limit <= 0 {
		limit = MaxBytes
	}
	var data []byte
	for q := 92; ; q -= 8 {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
			return Result{}, errcode.Wrap(err, errcode.Internal, false, "thumbnail: encode JPEG").WithStage(Stage)
		}
		if buf.Len() <= limit {
			data, res.Quality = buf.Bytes(), q
			break
		}
		if q <= 20 {
			return Result{}, errcode.Newf(errcode.Internal, false, "thumbnail: %d bytes even at quality %d (limit %d)", buf.Len(), q, limit).WithStage(Stage)
		}
	}
	if err := atomicfile.WriteFile(spec.OutPath, data, 0o644); err != nil {
		return Result{}, errcode.Wrap(err, errcode.FileSystemError, false, "").WithStage(Stage)
	}
	res.Path, res.Bytes = spec.OutPath, len(data)
	return res, nil
}

// Render draws the thumbnail.
func Render(fs *fonts.Set, spec Spec) (*image.RGBA, Result, error) {
	if fs == nil {
		return nil, Result{}, errors.New("thumbnail: no fonts")
	}
	var canvas *image.RGBA
	if spec.Image != "" {
		src, err := load(spec.Image)
		if err != nil {
			return nil, Result{}, errcode.Wrap(err, errcode.InvalidInput, false, "thumbnail: read image "+spec.Image).WithStage(Stage)
		}
		canvas = cover(src, Width, Height)
	} else {
		bg, _, err := slides.Render(fs, slides.Spec{Width: Width, Height: Height, Seed: spec.Seed})
		if err != nil {
			return nil, Result{}, err
		}
		canvas = bg
	}
	darken(canvas)
	res := Result{Width: Width, Height: Height}
	title := strings.Join(strings.Fields(spec.Title), " ")
	if title == "" {
		return canvas, res, nil
	}
	lang := spec.Language
	if lang == "" {
		lang = language.Detect(title)
	}
	face, lines, err := fit(fs, title, lang)
	if err != nil {
		return nil, Result{}, err
	}
	res.Lines, res.FontSize = lines, face.Size()
	res.TextBox = drawTitle(canvas, face, lines)
	return canvas, res, nil
}

func load(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := image.Decode(bufio.NewReader(f))
	return img, err
}

// cover scales src to fill w×h, cropping the overflow around the centre.
func cover(src image.Image, w, h int) *image.RGBA {
	b := src.Bounds()
	scale := math.Max(float64(w)/float64(b.Dx()), float64(h)/float64(b.Dy()))
	cw, ch := float64(w)/scale, float64(h)/scale
	x0 := float64(b.Min.X) + (float64(b.Dx())-cw)/2
	y0 := float64(b.Min.Y) + (float64(b.Dy())-ch)/2
	crop := image.Rect(int(math.Round(x0)), int(math.Round(y0)), int(math.Round(x0+cw)), int(math.Round(y0+ch))).Intersect(b)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.CatmullRom.Scale(dst, dst.Bounds(), src, crop, xdraw.Src, nil)
	return dst
}

// darken dims the image slightly and strongly towards the bottom, where
// the title goes.
func darken(img *image.RGBA) {
	b := img.Bounds()
	h := float64(b.Dy())
	for y := 0; y < b.Dy(); y++ {
		t := (float64(y)/h - 0.30) / 0.70
		t = math.Min(math.Max(t, 0), 1)
		keep := 0.88 * (1 - 0.72*t*t*(3-2*t))
		row := img.Pix[y*img.Stride : y*img.Stride+4*b.Dx()]
		for x := 0; x < len(row); x += 4 {
			row[x] = uint8(float64(row[x])*keep + 0.5)
			row[x+1] = uint8(float64(row[x+1])*keep + 0.5)
			row[x+2] = uint8(float64(row[x+2])*keep + 0.5)
			row[x+3] = 255
		}
	}
}

// fit picks the largest size at which the title fits in three lines.
func fit(fs *fonts.Set, title, lang string) (*fonts.Face, []string, error) {
	maxW := float64(Width - 2*marginX)
	maxH := float64(Height) * 0.62
	for size := maxSize; ; size *= 0.93 {
		face, err := fs.Face(lang, true, size)
		if err != nil {
			return nil, nil, err
		}
		last := size*0.93 < minSize
		lines := linebreak.Balanced(title, maxW, face.Measure, false)
		fits := len(lines) <= maxLines && linebreak.Widest(lines, face.Measure) <= maxW &&
			float64(len(lines))*size*lineFactor <= maxH
		if fits {
			return face, lines, nil
		}
		if last {
			lines = linebreak.Wrap(title, maxW, face.Measure, true)
			if len(lines) > maxLines {
				lines = lines[:maxLines]
				lines[maxLines-1] = ellipsize(face, lines[maxLines-1], maxW)
			}
			return face, lines, nil
		}
	}
}

func ellipsize(f *fonts.Face, s string, maxW float64) string {
	r := []rune(s)
	for len(r) > 0 && f.Measure(string(r)+"…") > maxW {
		r = r[:len(r)-1]
	}
	return strings.TrimRight(string(r), " ,.;:，、") + "…"
}

// drawTitle draws the lines left-aligned at the bottom, white with a
// dark outline and shadow, under a short accent bar. It returns the text
// box.
func drawTitle(img *image.RGBA, face *fonts.Face, lines []string) image.Rectangle {
	size := face.Size()
	lineH := size * lineFactor
	asc, desc, _ := face.Metrics()
	blockH := float64(len(lines)) * lineH
	top := float64(Height-marginBot) - blockH
	// Outline: the text mask dilated, drawn dark under the text.
	mask := image.NewAlpha(img.Bounds())
	box := image.Rectangle{}
	for i, l := range lines {
		y := top + float64(i)*lineH + (lineH-(asc+desc))/2 + asc
		face.Draw(mask, marginX, y, l, color.Opaque)
		w := face.Measure(l)
		lb := image.Rect(marginX, int(y-asc), marginX+int(math.Ceil(w)), int(math.Ceil(y+desc)))
		box = box.Union(lb)
	}
	r := max(2, int(size/14))
	outline := dilate(mask, r, box.Inset(-r-1))
	shadow := image.NewUniform(color.NRGBA{0, 0, 0, 110})
	sr := box.Inset(-r - 1).Add(image.Pt(r, r))
	xdraw.DrawMask(img, sr, shadow, image.Point{}, outline, sr.Min.Sub(image.Pt(r, r)), xdraw.Over)
	xdraw.DrawMask(img, box.Inset(-r-1), image.NewUniform(color.NRGBA{10, 10, 16, 235}), image.Point{}, outline, box.Inset(-r-1).Min, xdraw.Over)
	xdraw.DrawMask(img, box, image.NewUniform(color.White), image.Point{}, mask, box.Min, xdraw.Over)
	// Accent bar above the title.
	bar := image.Rect(marginX, int(top)-int(size*0.28), marginX+int(size*1.4), int(top)-int(size*0.28)+max(6, int(size/12)))
	xdraw.Draw(img, bar, image.NewUniform(color.NRGBA{255, 196, 0, 255}), image.Point{}, xdraw.Over)
	return box
}

// dilate returns the mask grown by r pixels (a square kernel), computed
// within area.
func dilate(m *image.Alpha, r int, area image.Rectangle) *image.Alpha {
	area = area.Intersect(m.Bounds())
	tmp := image.NewAlpha(m.Bounds())
	out := image.NewAlpha(m.Bounds())
	for y := area.Min.Y; y < area.Max.Y; y++ {
		for x := area.Min.X; x < area.Max.X; x++ {
			var v uint8
			for k := max(area.Min.X, x-r); k <= min(area.Max.X-1, x+r); k++ {
				if a := m.Pix[m.PixOffset(k, y)]; a > v {
					v = a
				}
			}
			tmp.Pix[tmp.PixOffset(x, y)] = v
		}
	}
	for y := area.Min.Y; y < area.Max.Y; y++ {
		for x := area.Min.X; x < area.Max.X; x++ {
			var v uint8
			for k := max(area.Min.Y, y-r); k <= min(area.Max.Y-1, y+r); k++ {
				if a := tmp.Pix[tmp.PixOffset(x, k)]; a > v {
					v = a
				}
			}
			out.Pix[out.PixOffset(x, y)] = v
		}
	}
	return out
}

// String describes a result.
func (r Result) String() string {
	return fmt.Sprintf("%s %dx%d %d bytes q%d, %d lines at %.0f px", r.Path, r.Width, r.Height, r.Bytes, r.Quality, len(r.Lines), r.FontSize)
}
