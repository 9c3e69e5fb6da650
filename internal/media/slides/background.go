package slides

import (
	"hash/fnv"
	"image"
	"image/color"
	"math"
	"math/rand"
)

// palette is a background gradient and an accent colour, all dark enough
// for white text.
type palette struct {
	from, to, glow, accent color.NRGBA
}

func rgb(hex uint32) color.NRGBA {
	return color.NRGBA{uint8(hex >> 16), uint8(hex >> 8), uint8(hex), 255}
}

var palettes = []palette{
	{rgb(0x0f2027), rgb(0x2c5364), rgb(0x4ca1af), rgb(0xf8b500)}, // deep sea, amber
	{rgb(0x1a1a40), rgb(0x5b2a86), rgb(0xc06c84), rgb(0xffd166)}, // night violet, gold
	{rgb(0x0b3d2e), rgb(0x1f6f50), rgb(0x66bb6a), rgb(0xf4e285)}, // forest, straw
	{rgb(0x232526), rgb(0x414345), rgb(0x6b7b8c), rgb(0xff7b54)}, // graphite, coral
	{rgb(0x3a1c32), rgb(0x8e3b46), rgb(0xe07a5f), rgb(0xf2cc8f)}, // wine, sand
	{rgb(0x0d1b2a), rgb(0x1b263b), rgb(0x415a77), rgb(0x00c2d1)}, // midnight, cyan
	{rgb(0x10002b), rgb(0x3c096c), rgb(0x7b2cbf), rgb(0x64dfdf)}, // indigo, aqua
	{rgb(0x1e3c72), rgb(0x2a5298), rgb(0x6dd5ed), rgb(0xffc857)}, // royal blue, saffron
	{rgb(0x2b1f1a), rgb(0x5a3e36), rgb(0xa47551), rgb(0x9ad1d4)}, // espresso, mint
	{rgb(0x132a13), rgb(0x31572c), rgb(0x4f772d), rgb(0xecf39e)}, // moss, lime
}

func seedOf(seed string) int64 {
	h := fnv.New64a()
	h.Write([]byte(seed))
	return int64(h.Sum64() & (1<<63 - 1))
}

func pickPalette(seed string) palette {
	return palettes[seedOf(seed)%int64(len(palettes))]
}

// blob is a soft round glow.
type blob struct {
	x, y, r float64
	c       color.NRGBA
	a       float64
}

// paintBackground fills img with a diagonal gradient, soft glows and a
// vignette, all derived from seed.
func paintBackground(img *image.RGBA, pal palette, seed string) {
	rng := rand.New(rand.NewSource(seedOf(seed + "/shapes")))
	b := img.Bounds()
	w, h := float64(b.Dx()), float64(b.Dy())
	angle := rng.Float64() * 2 * math.Pi
	dx, dy := math.Cos(angle), math.Sin(angle)
	// Project the corners to normalise the gradient parameter to [0, 1].
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range [][2]float64{{0, 0}, {w, 0}, {0, h}, {w, h}} {
		v := p[0]*dx + p[1]*dy
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	blobs := make([]blob, 3+rng.Intn(3))
	diag := math.Hypot(w, h)
	for i := range blobs {
		c := pal.glow
		if i == 0 {
			c = pal.accent
		}
		blobs[i] = blob{
			x: rng.Float64() * w, y: rng.Float64() * h,
			r: diag * (0.15 + rng.Float64()*0.25),
			c: c, a: 0.10 + rng.Float64()*0.14,
		}
		if i == 0 {
			blobs[i].a *= 0.6
		}
	}
	cx, cy := w/2, h/2
	maxD := math.Hypot(cx, cy)
	// Work in float rows, then quantise with a little ordered dither to
	// avoid banding in the gradient.
	row := make([]float64, 3*b.Dx())
	for y := 0; y < b.Dy(); y++ {
		fy := float64(y) + 0.5
		for x := 0; x < b.Dx(); x++ {
			fx := float64(x) + 0.5
			t := (fx*dx + fy*dy - lo) / (hi - lo)
			t = t * t * (3 - 2*t) // smoothstep
			r := lerp(float64(pal.from.R), float64(pal.to.R), t)
			g := lerp(float64(pal.from.G), float64(pal.to.G), t)
			bl := lerp(float64(pal.from.B), float64(pal.to.B), t)
			for _, o := range blobs {
				ddx, ddy := fx-o.x, fy-o.y
				d2 := (ddx*ddx + ddy*ddy) / (o.r * o.r)
				if d2 >= 1 {
					continue
				}
				a := o.a * (1 - d2) * (1 - d2)
				r = lerp(r, float64(o.c.R), a)
				g = lerp(g, float64(o.c.G), a)
				bl = lerp(bl, float64(o.c.B), a)
			}
			// Vignette.
			v := math.Hypot(fx-cx, fy-cy) / maxD
			shade := 1 - 0.35*v*v
			row[3*x], row[3*x+1], row[3*x+2] = r*shade, g*shade, bl*shade
		}
		off := img.PixOffset(b.Min.X, b.Min.Y+y)
		for x := 0; x < b.Dx(); x++ {
			d := bayer[(y&3)*4+(x&3)]
			p := img.Pix[off+4*x : off+4*x+4 : off+4*x+4]
			p[0] = quant(row[3*x] + d)
			p[1] = quant(row[3*x+1] + d)
			p[2] = quant(row[3*x+2] + d)
			p[3] = 255
		}
	}
}

// bayer is a 4×4 ordered dither matrix in [-0.5, 0.5).
var bayer = func() [16]float64 {
	m := [16]int{0, 8, 2, 10, 12, 4, 14, 6, 3, 11, 1, 9, 15, 7, 13, 5}
	var out [16]float64
	for i, v := range m {
		out[i] = (float64(v)+0.5)/16 - 0.5
	}
	return out
}()

func lerp(a, b, t float64) float64 { return a + (b-a)*t }

func quant(v float64) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v + 0.5)
}
