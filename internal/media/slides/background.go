package slides

import (
	"hash/fnv"
	"image"
	"image/color"
	"math"
	"math/rand"
)

func rgb(hex uint32) color.NRGBA {
	return color.NRGBA{uint8(hex >> 16), uint8(hex >> 8), uint8(hex), 255}
}

func seedOf(seed string) int64 {
	h := fnv.New64a()
	h.Write([]byte(seed))
	return int64(h.Sum64() & (1<<63 - 1))
}

// blob is a soft round glow.
type blob struct {
	x, y, r float64
	c       color.NRGBA
	a       float64
}

// paintBackground fills img with the theme's background; shapes and the
// gradient's angle are derived from seed.
func paintBackground(img *image.RGBA, th Theme, seed string) {
	rng := rand.New(rand.NewSource(seedOf(seed + "/shapes")))
	b := img.Bounds()
	w, h := float64(b.Dx()), float64(b.Dy())
	unit := math.Min(w, h) / 1080
	angle := rng.Float64() * 2 * math.Pi
	if th.Background == bgPaper || th.Background == bgSoft {
		angle = math.Pi / 2 * (0.8 + 0.4*rng.Float64()) // top to bottom, nearly
	}
	dx, dy := math.Cos(angle), math.Sin(angle)
	// Project the corners to normalise the gradient parameter to [0, 1].
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range [][2]float64{{0, 0}, {w, 0}, {0, h}, {w, h}} {
		v := p[0]*dx + p[1]*dy
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	var blobs []blob
	diag := math.Hypot(w, h)
	switch th.Background {
	case bgGlow, bgGrid:
		blobs = make([]blob, 3+rng.Intn(3))
		for i := range blobs {
			c := th.Glow
			if i == 0 {
				c = th.Accent
			}
			blobs[i] = blob{x: rng.Float64() * w, y: rng.Float64() * h, r: diag * (0.15 + rng.Float64()*0.25), c: c, a: 0.10 + rng.Float64()*0.14}
			if i == 0 {
				blobs[i].a *= 0.6
			}
		}
	case bgSoft:
		blobs = make([]blob, 4)
		for i := range blobs {
			blobs[i] = blob{x: rng.Float64() * w, y: rng.Float64() * h, r: diag * (0.12 + rng.Float64()*0.18), c: th.Glow, a: 0.35 + rng.Float64()*0.2}
		}
	}
	// Pattern parameters.
	band := (140 + 80*rng.Float64()) * unit
	ringX, ringY := w*float64(rng.Intn(2)), h*float64(rng.Intn(2))
	ringStep := (70 + 30*rng.Float64()) * unit
	cell := 38 * unit
	dotFromLeft := rng.Intn(2) == 0
	panelW := w * 0.30
	if h > w {
		panelW = 0
	}
	grid := 90 * unit
	cx, cy := w/2, h/2
	maxD := math.Hypot(cx, cy)
	vignette := 0.35
	if th.Light {
		vignette = 0.08
	}
	row := make([]float64, 3*b.Dx())
	for y := 0; y < b.Dy(); y++ {
		fy := float64(y) + 0.5
		for x := 0; x < b.Dx(); x++ {
			fx := float64(x) + 0.5
			t := (fx*dx + fy*dy - lo) / (hi - lo)
			t = t * t * (3 - 2*t) // smoothstep
			r := lerp(float64(th.From.R), float64(th.To.R), t)
			g := lerp(float64(th.From.G), float64(th.To.G), t)
			bl := lerp(float64(th.From.B), float64(th.To.B), t)
			mix := func(c color.NRGBA, a float64) {
				r = lerp(r, float64(c.R), a)
				g = lerp(g, float64(c.G), a)
				bl = lerp(bl, float64(c.B), a)
			}
			for _, o := range blobs {
				ddx, ddy := fx-o.x, fy-o.y
				d2 := (ddx*ddx + ddy*ddy) / (o.r * o.r)
				if d2 >= 1 {
					continue
				}
				mix(o.c, o.a*(1-d2)*(1-d2))
			}
			switch th.Background {
			case bgStripes:
				u := (fx + fy) / band
				f := u - math.Floor(u)
				// Anti-aliased band edges.
				e := 1.5 * unit / band
				a := smooth(0.5-e, 0.5+e, f) - smooth(1-e, 1, f)
				mix(th.Glow, 0.16*(1-a))
			case bgRings:
				d := math.Hypot(fx-ringX, fy-ringY)
				v := 0.5 + 0.5*math.Cos(2*math.Pi*d/ringStep)
				v = math.Pow(v, 6)
				mix(th.Glow, 0.22*v*math.Max(0, 1-d/(diag*0.9)))
			case bgPaper:
				ly := math.Mod(fy, 54*unit)
				if ly < 1.5*unit {
					mix(th.Glow, 0.35)
				}
				if mx := w * 0.055; fx > mx && fx < mx+3*unit {
					mix(th.Accent, 0.55)
				}
			case bgGrid:
				gx, gy := math.Mod(fx, grid), math.Mod(fy, grid)
				line := math.Max(1-math.Abs(gx-grid/2)/(1.2*unit), 0) // centred lines
				line = math.Max(line, math.Max(1-math.Abs(gy-grid/2)/(1.2*unit), 0))
				mix(th.Glow, 0.35*line*(0.25+0.75*fy/h))
			case bgDots:
				qx, qy := math.Floor(fx/cell), math.Floor(fy/cell)
				px, py := (qx+0.5)*cell, (qy+0.5)*cell
				s := px / w
				if !dotFromLeft {
					s = 1 - s
				}
				rad := cell * 0.42 * s * s
				d := math.Hypot(fx-px, fy-py)
				a := math.Max(0, math.Min(1, rad-d+0.5))
				mix(th.Glow, 0.22*a)
			case bgSplit:
				if fx < panelW {
					mix(th.Glow, 0.85)
				} else if fx < panelW+8*unit {
					mix(th.Accent, 1)
				}
			}
			// Vignette.
			v := math.Hypot(fx-cx, fy-cy) / maxD
			shade := 1 - vignette*v*v
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

func smooth(a, b, x float64) float64 {
	t := math.Max(0, math.Min(1, (x-a)/(b-a)))
	return t * t * (3 - 2*t)
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
