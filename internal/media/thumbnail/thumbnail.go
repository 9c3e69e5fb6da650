// Package thumbnail makes the video's YouTube thumbnail: a 1280x720 JPEG
// (under 2 MB) built to be read at YouTube's smallest size (168x94): a
// hook of at most five words taken from the title, in large condensed
// capitals on dark bands (cap height at least 12 % of the height, contrast
// far above 4.5:1), over the video's strongest picture, or over the
// theme's background with the video's illustration when it has only
// slides.
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
	"unicode"

	xdraw "golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // decode WebP sources

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/atomicfile"
	"github.com/ytmaker/ytmaker/internal/language"
	"github.com/ytmaker/ytmaker/internal/language/wordseg"
	"github.com/ytmaker/ytmaker/internal/media/fonts"
	"github.com/ytmaker/ytmaker/internal/media/icons"
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
	Image    string // the picture (PNG, JPEG or WebP); "" draws the theme's background and an illustration
	Title    string // the video's title; the hook is taken from it
	Hook     string // the words to show; "" derives them from Title (see Hook)
	Language string // BCP 47 tag; "" detects it from Title
	OutPath  string // e.g. output/thumbnail.jpg
	MaxBytes int    // 0 means MaxBytes
	Seed     string // varies the background when there is no image
	Theme    string // slide theme name; "" picks one from Title and Text
	Text     string // the video's text, for the theme and the illustration
	Icon     string // illustration name; "" matches one to Title and Text
}

// Result describes the written thumbnail.
type Result struct {
	Path     string
	Width    int
	Height   int
	Bytes    int
	Quality  int // JPEG quality used
	Hook     string
	Lines    []string
	FontSize float64
	// TextBox bounds the hook's lines; Bands are the dark bands behind
	// each line.
	TextBox image.Rectangle
	Bands   []image.Rectangle
	// TextColors are the colours of the lines.
	TextColors []color.NRGBA
}

// Hook layout limits. minSize keeps the cap height of DejaVu Sans
// Condensed Bold (0.729 em) above 12 % of the height.
const (
	maxLines = 3
	maxSize  = 172.0
	minSize  = 124.0
	marginX  = 52
	padX     = 22
	lineGap  = 14
)

// Colours of the hook: the first line in yellow, the rest in white, on
// near-black bands.
var (
	hookYellow = color.NRGBA{255, 214, 0, 255}
	hookWhite  = color.NRGBA{255, 255, 255, 255}
	bandColor  = color.NRGBA{12, 12, 18, 240}
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
	lang := spec.Language
	if lang == "" {
		lang = language.Detect(spec.Title + spec.Text)
	}
	th, ok := slides.LookupTheme(spec.Theme)
	if !ok {
		th = slides.ThemeFor(spec.Title + "\n" + spec.Text)
	}
	var canvas *image.RGBA
	if spec.Image != "" {
		src, err := load(spec.Image)
		if err != nil {
			return nil, Result{}, errcode.Wrap(err, errcode.InvalidInput, false, "thumbnail: read image "+spec.Image).WithStage(Stage)
		}
		canvas = cover(src, Width, Height)
		shadeLeft(canvas)
	} else {
		canvas = slides.Background(th, Width, Height, spec.Seed)
	}
	hook := strings.TrimSpace(spec.Hook)
	if hook == "" {
		hook = Hook(spec.Title, lang)
	}
	res := Result{Width: Width, Height: Height, Hook: hook}
	if hook == "" {
		return canvas, res, nil
	}
	if !language.IsCJK(lang) {
		hook = strings.ToUpper(hook)
	}
	// The hook takes the left 64 % beside the illustration, or more when
	// its words need it.
	face, lines, err := fit(fs, hook, lang, float64(Width)*0.64-marginX-2*padX)
	if err != nil {
		return nil, Result{}, err
	}
	res.Lines, res.FontSize = lines, face.Size()
	if spec.Image == "" {
		// The illustration, as large as the room the hook leaves.
		right := marginX + 2*padX + int(math.Ceil(linebreak.Widest(lines, face.Measure)))
		if d := min(400, Width-right-2*48); d >= 220 {
			if pic, err := icons.Image(illustration(spec)); err == nil {
				r := image.Rect(Width-d-48, (Height-d)/2, Width-48, (Height-d)/2+d)
				slides.Badge(canvas, r, pic, th)
			}
		}
	}
	res.TextBox, res.Bands, res.TextColors = drawHook(canvas, face, lines, lang)
	return canvas, res, nil
}

// illustration picks the icon of a thumbnail without a picture.
func illustration(spec Spec) icons.Icon {
	if ic, ok := icons.ByName(spec.Icon); ok {
		return ic
	}
	if m, ok := icons.Best(spec.Title); ok {
		return m.Icon
	}
	if m, ok := icons.Best(spec.Text); ok {
		return m.Icon
	}
	return icons.Fallback(uint64(len(spec.Title)))
}

// stopWords may not end a hook.
var stopWords = map[string]bool{"a": true, "an": true, "the": true, "of": true, "and": true, "or": true, "to": true,
	"in": true, "on": true, "for": true, "with": true, "at": true, "by": true, "from": true, "is": true, "are": true,
	"your": true, "my": true, "that": true, "which": true, "what": true, "how": true, "our": true, "their": true, "its": true, "as": true, "but": true}

// Hook returns at most five words of a title to put on the thumbnail: the
// part before a colon or dash when it is short enough, else the first
// words, never ending on a word like "the" or "of". Chinese titles are
// counted in dictionary words.
func Hook(title, lang string) string {
	title = strings.Join(strings.Fields(title), " ")
	if title == "" {
		return ""
	}
	if lang == "" {
		lang = language.Detect(title)
	}
	cjk := language.IsCJK(lang)
	count := func(s string) []string {
		var out []string
		for _, w := range wordseg.Texts(wordseg.Split(s)) {
			if strings.TrimFunc(w, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSpace(r) }) != "" {
				out = append(out, w)
			}
		}
		return out
	}
	for _, sep := range []string{":", "：", " - ", " – ", " — ", "|", "｜", "？", "?", "!", "！"} {
		if i := strings.Index(title, sep); i > 0 {
			head := strings.TrimSpace(title[:i])
			if sep == "？" || sep == "?" || sep == "!" || sep == "！" {
				head += strings.TrimSpace(sep)
			}
			if n := len(count(head)); n >= 1 && n <= 5 && (n >= 2 || cjk) {
				return trimHook(head)
			}
		}
	}
	words := count(title)
	if len(words) > 5 {
		words = words[:5]
	}
	for len(words) > 1 && stopWords[strings.ToLower(strings.Trim(words[len(words)-1], ",.;:"))] {
		words = words[:len(words)-1]
	}
	if cjk {
		return trimHook(strings.Join(words, ""))
	}
	return trimHook(strings.Join(words, " "))
}

func trimHook(s string) string {
	return strings.TrimRight(strings.TrimSpace(s), ",.;:，。；：、-–—")
}

// Strongest returns the picture that reads best when small: the one with
// the most contrast and colour (standard deviation of luminance plus mean
// saturation, measured on a small copy). Unreadable files are skipped; ""
// when none is left.
func Strongest(paths []string) string {
	best, bestScore := "", -1.0
	for _, p := range paths {
		img, err := load(p)
		if err != nil {
			continue
		}
		small := image.NewRGBA(image.Rect(0, 0, 96, 54))
		xdraw.ApproxBiLinear.Scale(small, small.Bounds(), img, img.Bounds(), xdraw.Src, nil)
		var sum, sum2, sat float64
		n := float64(96 * 54)
		for i := 0; i < len(small.Pix); i += 4 {
			r, g, b := float64(small.Pix[i]), float64(small.Pix[i+1]), float64(small.Pix[i+2])
			l := 0.2126*r + 0.7152*g + 0.0722*b
			sum += l
			sum2 += l * l
			hi, lo := math.Max(r, math.Max(g, b)), math.Min(r, math.Min(g, b))
			if hi > 0 {
				sat += (hi - lo) / hi
			}
		}
		mean := sum / n
		score := math.Sqrt(math.Max(sum2/n-mean*mean, 0)) + 60*sat/n
		if score > bestScore {
			best, bestScore = p, score
		}
	}
	return best
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

// shadeLeft darkens a picture towards the left and the bottom, where the
// hook goes.
func shadeLeft(img *image.RGBA) {
	b := img.Bounds()
	w, h := float64(b.Dx()), float64(b.Dy())
	for y := 0; y < b.Dy(); y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+4*b.Dx()]
		ty := math.Min(math.Max((float64(y)/h-0.4)/0.6, 0), 1)
		for x := 0; x < b.Dx(); x++ {
			tx := math.Min(math.Max(1-float64(x)/(w*0.75), 0), 1)
			keep := 0.92 * (1 - 0.55*math.Max(tx*tx, ty*ty))
			i := 4 * x
			row[i] = uint8(float64(row[i])*keep + 0.5)
			row[i+1] = uint8(float64(row[i+1])*keep + 0.5)
			row[i+2] = uint8(float64(row[i+2])*keep + 0.5)
			row[i+3] = 255
		}
	}
}

// fit picks the largest size at which the hook fits in three lines of
// maxW, widening to the whole frame before going below minSize.
func fit(fs *fonts.Set, hook, lang string, maxW float64) (*fonts.Face, []string, error) {
	maxH := float64(Height) * 0.86
	// Two lines if they can be had, then three; beside the picture, then
	// across the frame.
	for _, width := range []float64{maxW, float64(Width - 2*marginX - 2*padX)} {
		for _, most := range []int{2, maxLines} {
			for size := maxSize; size >= minSize; size *= 0.95 {
				face, err := fs.StyledFace(lang, fonts.Condensed, true, size)
				if err != nil {
					return nil, nil, err
				}
				lines := linebreak.Balanced(hook, width, face.Measure, false)
				if len(lines) <= most && linebreak.Widest(lines, face.Measure) <= width &&
					float64(len(lines))*(lineHeight(size)+lineGap) <= maxH {
					return face, lines, nil
				}
			}
		}
	}
	face, err := fs.StyledFace(lang, fonts.Condensed, true, minSize)
	if err != nil {
		return nil, nil, err
	}
	width := float64(Width - 2*marginX - 2*padX)
	lines := linebreak.Wrap(hook, width, face.Measure, true)
	if len(lines) > maxLines {
		lines = lines[:maxLines]
		lines[maxLines-1] = ellipsize(face, lines[maxLines-1], width)
	}
	return face, lines, nil
}

func lineHeight(size float64) float64 { return size * 1.02 }

func ellipsize(f *fonts.Face, s string, maxW float64) string {
	r := []rune(s)
	for len(r) > 0 && f.Measure(string(r)+"…") > maxW {
		r = r[:len(r)-1]
	}
	return strings.TrimRight(string(r), " ,.;:，、") + "…"
}

// drawHook draws the lines left-aligned and vertically centred, each on
// a near-black band, the first in yellow and the rest in white. It
// returns the text box, the bands and the line colours.
func drawHook(img *image.RGBA, face *fonts.Face, lines []string, lang string) (image.Rectangle, []image.Rectangle, []color.NRGBA) {
	size := face.Size()
	// Ink of capitals (Latin) or ideographs (CJK) spans about 0.73 em or
	// 0.88 em above the baseline; bands hug that, not the font's whole
	// ascent and descent.
	inkTop := 0.73 * size
	inkBottom := 0.05 * size
	if language.IsCJK(lang) {
		inkTop, inkBottom = 0.84*size, 0.10*size
	}
	pad := size * 0.16
	bandH := inkTop + inkBottom + 2*pad
	total := float64(len(lines))*bandH + float64(len(lines)-1)*lineGap
	top := (float64(Height) - total) / 2
	var box image.Rectangle
	var bands []image.Rectangle
	var cols []color.NRGBA
	for i, l := range lines {
		y0 := top + float64(i)*(bandH+lineGap)
		base := y0 + pad + inkTop
		w := face.Measure(l)
		band := image.Rect(marginX, int(y0), marginX+int(math.Ceil(w))+2*padX, int(math.Ceil(y0+bandH)))
		xdraw.Draw(img, band, image.NewUniform(bandColor), image.Point{}, xdraw.Over)
		c := hookWhite
		if i == 0 {
			c = hookYellow
		}
		face.Draw(img, float64(marginX+padX), base, l, c)
		box = box.Union(image.Rect(marginX+padX, int(base-inkTop), marginX+padX+int(math.Ceil(w)), int(math.Ceil(base+inkBottom))))
		bands = append(bands, band)
		cols = append(cols, c)
	}
	return box, bands, cols
}

// String describes a result.
func (r Result) String() string {
	return fmt.Sprintf("%s %dx%d %d bytes q%d, %d lines at %.0f px", r.Path, r.Width, r.Height, r.Bytes, r.Quality, len(r.Lines), r.FontSize)
}
