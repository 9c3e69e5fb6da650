package align

import (
	"math"
	"math/cmplx"
	"time"
)

// Spectral features: the loudness of every hop of audio in bands of the
// mel scale, the representation on which two recordings of the same text
// by different voices are compared. (Cepstra, the usual choice for one
// voice, compare worse across voices: normalised, their high orders are
// mostly the timbre of the voice.)
const (
	melBands  = 16
	window    = 25 * time.Millisecond // analysis window
	melLowHz  = 80.0
	melHighHz = 7600.0
	// The first differences, over one hop on either side, weigh twice
	// the levels: where the spectrum changes (the edges of sounds) matters
	// more for timing than what it is.
	deltaSpan   = 1
	deltaWeight = 2.0
)

// features returns the log energy of every hop of mono samples at rate in
// melBands bands of the mel scale (up to highHz), normalised per recording (each band to
// zero mean and unit variance, so that voices of different timbre and
// loudness compare) and followed by their first differences.
func features(samples []float64, rate int, hop time.Duration, highHz float64) [][]float64 {
	if rate <= 0 || len(samples) == 0 {
		return nil
	}
	if hop <= 0 {
		hop = Hop
	}
	step := max(int(int64(rate)*int64(hop)/int64(time.Second)), 1)
	win := max(int(int64(rate)*int64(window)/int64(time.Second)), 2)
	nfft := 1
	for nfft < win {
		nfft <<= 1
	}
	ham := make([]float64, win)
	for i := range ham {
		ham[i] = 0.54 - 0.46*math.Cos(2*math.Pi*float64(i)/float64(win-1))
	}
	bank := melBank(rate, nfft, highHz)
	tw := twiddles(nfft)
	frames := (len(samples) + step - 1) / step
	out := make([][]float64, frames)
	buf := make([]complex128, nfft)

	for f := range out {
		// The window is centred on the hop.
		at := f*step + step/2 - win/2
		for i := range buf {
			buf[i] = 0
		}
		prev := 0.0
		if at-1 >= 0 && at-1 < len(samples) {
			prev = samples[at-1]
		}
		for i := 0; i < win; i++ {
			k := at + i
			s := 0.0
			if k >= 0 && k < len(samples) {
				s = samples[k]
			}
			buf[i] = complex((s-0.97*prev)*ham[i], 0) // pre-emphasis
			prev = s
		}
		fft(buf, tw)
		v := make([]float64, melBands, 2*melBands)
		for b, filt := range bank {
			var e float64
			for _, t := range filt {
				e += t.w * sqAbs(buf[t.bin])
			}
			v[b] = math.Log(e + 1e-10)
		}
		out[f] = v
	}
	normalise(out)
	// Append the first differences.
	for f := range out {
		d := make([]float64, melBands)
		a, b := max(f-deltaSpan, 0), min(f+deltaSpan, len(out)-1)
		for k := range d {
			d[k] = deltaWeight * (out[b][k] - out[a][k]) / float64(max(b-a, 1))
		}
		out[f] = append(out[f], d...)
	}
	return out
}

func sqAbs(c complex128) float64 { return real(c)*real(c) + imag(c)*imag(c) }

// normalise scales every coefficient to zero mean and unit variance.
func normalise(fs [][]float64) {
	if len(fs) == 0 {
		return
	}
	for k := range fs[0] {
		var m, v float64
		for _, f := range fs {
			m += f[k]
		}
		m /= float64(len(fs))
		for _, f := range fs {
			v += (f[k] - m) * (f[k] - m)
		}
		sd := math.Sqrt(v/float64(len(fs))) + 1e-9
		for _, f := range fs {
			f[k] = (f[k] - m) / sd
		}
	}
}

type tap struct {
	bin int
	w   float64
}

// melBank returns triangular filters on the power spectrum bins.
func melBank(rate, nfft int, highHz float64) [][]tap {
	mel := func(hz float64) float64 { return 2595 * math.Log10(1+hz/700) }
	hz := func(m float64) float64 { return 700 * (math.Pow(10, m/2595) - 1) }
	hi := min(highHz, float64(rate)/2)
	lo, up := mel(melLowHz), mel(hi)
	edges := make([]float64, melBands+2)
	for i := range edges {
		edges[i] = hz(lo + (up-lo)*float64(i)/float64(melBands+1))
	}
	binHz := float64(rate) / float64(nfft)
	bank := make([][]tap, melBands)
	for b := range bank {
		l, c, r := edges[b], edges[b+1], edges[b+2]
		for k := int(l/binHz) + 1; float64(k)*binHz < r && k <= nfft/2; k++ {
			f := float64(k) * binHz
			w := (f - l) / (c - l)
			if f > c {
				w = (r - f) / (r - c)
			}
			if w > 0 {
				bank[b] = append(bank[b], tap{k, w})
			}
		}
	}
	return bank
}

// fft transforms a in place; len(a) is a power of two and tw holds
// exp(-2πik/len(a)) for k < len(a)/2 (twiddles).
func fft(a, tw []complex128) {
	n := len(a)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			a[i], a[j] = a[j], a[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		half, stride := size/2, n/size
		for start := 0; start < n; start += size {
			for k := 0; k < half; k++ {
				u, v := a[start+k], a[start+k+half]*tw[k*stride]
				a[start+k], a[start+k+half] = u+v, u-v
			}
		}
	}
}

func twiddles(n int) []complex128 {
	tw := make([]complex128, n/2)
	for k := range tw {
		tw[k] = cmplx.Exp(complex(0, -2*math.Pi*float64(k)/float64(n)))
	}
	return tw
}

// warp aligns the frames of a recording (rec) to those of a template
// recording of the same text (tmpl) by dynamic time warping, and returns
// for every template frame the last recording frame matched to it: where
// the recording holds a pause the template does not, the template frame
// before the pause matches the whole pause, and what follows it in the
// template starts after the pause in the recording. The path stays
// within a band around the diagonal: band is the largest distance allowed,
// as a fraction of the recording's length (at least 200 ms).
//
// The steps are (1,1), (1,0) and (0,1) at the same cost (the distance of
// the two frames), so the path favours the diagonal: a voice keeps its
// pace over a few frames, and two voices differ more in spectrum than in
// rhythm.
func warp(tmpl, rec [][]float64, band float64) []float64 {
	M, N := len(tmpl), len(rec)
	if M == 0 || N == 0 {
		return nil
	}
	w := max(int(band*float64(N)), 20)
	inf := math.Inf(1)
	cost := make([][]float64, M)
	move := make([][]uint8, M)
	lo := make([]int, M)
	for j := range cost {
		c := int(math.Round(float64(j) * float64(N-1) / float64(max(M-1, 1))))
		lo[j] = max(c-w, 0)
		hi := min(c+w, N-1)
		cost[j] = make([]float64, hi-lo[j]+1)
		move[j] = make([]uint8, hi-lo[j]+1)
	}
	at := func(j, i int) float64 {
		if j < 0 || i < lo[j] || i-lo[j] >= len(cost[j]) {
			return inf
		}
		return cost[j][i-lo[j]]
	}
	for j := 0; j < M; j++ {
		for k := range cost[j] {
			i := lo[j] + k
			d := dist(tmpl[j], rec[i])
			if i == 0 && j == 0 {
				cost[j][k] = d
				continue
			}
			best, mv := at(j-1, i-1), uint8(0)
			if c := at(j-1, i); c < best {
				best, mv = c, 1
			}
			if c := at(j, i-1); c < best {
				best, mv = c, 2
			}
			cost[j][k], move[j][k] = best+d, mv
		}
	}
	out := make([]float64, M)
	j, i := M-1, N-1
	if math.IsInf(at(j, i), 1) {
		// The band did not reach the corner: spread linearly.
		for j := range out {
			out[j] = float64(j) * float64(N-1) / float64(max(M-1, 1))
		}
		return out
	}
	for j := range out {
		out[j] = -1
	}
	for {
		if out[j] < 0 {
			out[j] = float64(i) // the trace meets a frame's last match first
		}
		if i == 0 && j == 0 {
			break
		}
		switch move[j][i-lo[j]] {
		case 0:
			i, j = i-1, j-1
		case 1:
			j--
		default:
			i--
		}
	}
	return out
}

func dist(a, b []float64) float64 {
	var s float64
	for k := range a {
		d := a[k] - b[k]
		s += d * d
	}
	return math.Sqrt(s)
}

// mapTime moves a time in a template recording to the recording warp
// aligned it with: path is warp's result, hop the frame length of both.
func mapTime(path []float64, hop time.Duration, t time.Duration) time.Duration {
	if len(path) == 0 {
		return t
	}
	f := float64(t) / float64(hop)
	j := int(math.Floor(f))
	if j < 0 {
		return time.Duration(path[0] * float64(hop))
	}
	if j >= len(path)-1 {
		return time.Duration(path[len(path)-1] * float64(hop))
	}
	x := path[j] + (path[j+1]-path[j])*(f-float64(j))
	return time.Duration(x * float64(hop))
}
