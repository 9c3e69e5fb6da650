// Package loudness measures the integrated loudness and the true peak of
// audio as ITU-R BS.1770-4 and EBU R128 define them, without ffmpeg: the
// renderer measures its mixed sound track in the same process that reads
// it, instead of decoding it once more in an ffmpeg run.
//
// Loudness: each channel is K-weighted (a high shelf and a high pass,
// designed for the sample rate), its mean square taken over 400 ms blocks
// every 100 ms, the channels summed (weight 1 each: mono and stereo), and
// the blocks gated at −70 LUFS and then 10 LU below the loudness of the
// blocks left; the integrated loudness is that of the blocks passing both
// gates. True peak: the largest magnitude of the signal oversampled 4× with
// the 48-tap interpolation filter of BS.1770-4 Annex 2 (or of the samples
// themselves, when larger). Stretches whose samples cannot reach the peak
// found so far through that filter are skipped, so speech, whose peaks are
// rare, costs little more than reading it.
package loudness

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/ytmaker/ytmaker/internal/media/wav"
)

// Measurement is the result of a measurement.
type Measurement struct {
	Integrated float64 // LUFS; -Inf for silence
	TruePeak   float64 // dBTP, the highest of all channels; -Inf for silence
}

const (
	absoluteGate = -70.0 // LUFS
	relativeGate = -10.0 // LU below the absolutely gated loudness
	subBlocks    = 4     // 100 ms steps per 400 ms block
)

// phases is the BS.1770-4 Annex 2 interpolation filter: 48 taps as 4
// phases of 12, for 4× oversampling.
var phases = [4][12]float64{
	{0.0017089843750, 0.0109863281250, -0.0196533203125, 0.0332031250000, -0.0594482421875, 0.1373291015625,
		0.9721679687500, -0.1022949218750, 0.0476074218750, -0.0266113281250, 0.0148925781250, -0.0083007812500},
	{-0.0291748046875, 0.0292968750000, -0.0517578125000, 0.0891113281250, -0.1665039062500, 0.4650878906250,
		0.7797851562500, -0.2003173828125, 0.1015625000000, -0.0582275390625, 0.0330810546875, -0.0189208984375},
	{-0.0189208984375, 0.0330810546875, -0.0582275390625, 0.1015625000000, -0.2003173828125, 0.7797851562500,
		0.4650878906250, -0.1665039062500, 0.0891113281250, -0.0517578125000, 0.0292968750000, -0.0291748046875},
	{-0.0083007812500, 0.0148925781250, -0.0266113281250, 0.0476074218750, -0.1022949218750, 0.9721679687500,
		0.1373291015625, -0.0594482421875, 0.0332031250000, -0.0196533203125, 0.0109863281250, 0.0017089843750},
}

const taps = 12

// gainBound is the largest gain of any phase (the sum of its taps'
// magnitudes): no interpolated value exceeds it times the largest sample
// magnitude under the filter.
var gainBound = func() float64 {
	var g float64
	for _, p := range phases {
		var s float64
		for _, c := range p {
			s += math.Abs(c)
		}
		g = max(g, s)
	}
	return g
}()

// biquad is a second-order IIR section (a0 = 1).
type biquad struct{ b0, b1, b2, a1, a2 float64 }

// kWeighting returns the two stages of the K-weighting filter for a
// sample rate (the 48 kHz coefficients of BS.1770 re-derived from their
// analogue prototypes, as libebur128 does).
func kWeighting(rate float64) (shelf, highpass biquad) {
	f0, g, q := 1681.974450955533, 3.999843853973347, 0.7071752369554196
	k := math.Tan(math.Pi * f0 / rate)
	vh := math.Pow(10, g/20)
	vb := math.Pow(vh, 0.4996667741545416)
	a0 := 1 + k/q + k*k
	shelf = biquad{
		b0: (vh + vb*k/q + k*k) / a0,
		b1: 2 * (k*k - vh) / a0,
		b2: (vh - vb*k/q + k*k) / a0,
		a1: 2 * (k*k - 1) / a0,
		a2: (1 - k/q + k*k) / a0,
	}
	f0, q = 38.13547087602444, 0.5003270373238773
	k = math.Tan(math.Pi * f0 / rate)
	a0 = 1 + k/q + k*k
	highpass = biquad{b0: 1, b1: -2, b2: 1, a1: 2 * (k*k - 1) / a0, a2: (1 - k/q + k*k) / a0}
	return shelf, highpass
}

// channel is the state of one channel.
type channel struct {
	// K-weighting filter state (direct form I).
	x1, x2, y1, y2 float64 // shelf
	z1, z2, w1, w2 float64 // high pass
	sum            float64 // K-weighted squares of the current 100 ms step
	hist           []float64
	peak           float64 // true peak so far (linear)
}

// Meter measures audio written to it in interleaved float samples
// (full scale = 1). The zero value is not usable; use NewMeter.
type Meter struct {
	rate, channels int
	shelf, hp      biquad
	ch             []channel
	step           int       // samples per channel in a 100 ms step
	inStep         int       // samples of the current step so far
	steps          []float64 // summed channel mean squares of each whole step
	buf            []float64 // one channel's samples of a Write, with history
}

// NewMeter returns a meter for audio of the given rate and channel count.
func NewMeter(rate, channels int) (*Meter, error) {
	if rate < 8000 || rate > 384000 {
		return nil, fmt.Errorf("loudness: sample rate %d Hz not supported", rate)
	}
	if channels < 1 || channels > 8 {
		return nil, fmt.Errorf("loudness: %d channels not supported", channels)
	}
	m := &Meter{rate: rate, channels: channels, step: (rate + 5) / 10, ch: make([]channel, channels)}
	m.shelf, m.hp = kWeighting(float64(rate))
	for i := range m.ch {
		m.ch[i].hist = make([]float64, taps-1)
	}
	return m, nil
}

// Write adds interleaved samples; a trailing partial frame is ignored.
func (m *Meter) Write(samples []float32) {
	n := len(samples) / m.channels
	if n == 0 {
		return
	}
	done := 0
	for done < n {
		// Up to the end of the current 100 ms step, so that every
		// channel's step ends at the same sample.
		k := min(n-done, m.step-m.inStep)
		for c := range m.ch {
			m.channelRun(c, samples[done*m.channels:], k)
		}
		done += k
		m.inStep += k
		if m.inStep == m.step {
			var z float64
			for c := range m.ch {
				z += m.ch[c].sum / float64(m.step)
				m.ch[c].sum = 0
			}
			m.steps = append(m.steps, z)
			m.inStep = 0
		}
	}
}

// channelRun processes k frames of channel c from interleaved samples.
func (m *Meter) channelRun(c int, samples []float32, k int) {
	st := &m.ch[c]
	if cap(m.buf) < k+taps-1 {
		m.buf = make([]float64, k+taps-1)
	}
	buf := m.buf[:k+taps-1]
	copy(buf, st.hist)
	x := buf[taps-1:]
	s, h := m.shelf, m.hp
	x1, x2, y1, y2 := st.x1, st.x2, st.y1, st.y2
	z1, z2, w1, w2 := st.z1, st.z2, st.w1, st.w2
	sum := st.sum
	// A signal of ±1e-20 at half the sample rate keeps the filters'
	// state away from subnormal numbers in digital silence (arithmetic
	// on them is a hundred times slower); its energy is 1e-40 of full
	// scale.
	tiny := 1e-20
	for i := 0; i < k; i++ {
		v := float64(samples[i*m.channels+c])
		x[i] = v
		tiny = -tiny
		v += tiny
		// The previous output enters last: the recurrence's latency is
		// one multiply and one subtraction.
		y := s.b0*v + s.b1*x1 + s.b2*x2 - s.a2*y2 - s.a1*y1
		x2, x1, y2, y1 = x1, v, y1, y
		w := h.b0*y + h.b1*z1 + h.b2*z2 - h.a2*w2 - h.a1*w1
		z2, z1, w2, w1 = z1, y, w1, w
		sum += w * w
	}
	st.x1, st.x2, st.y1, st.y2 = x1, x2, y1, y2
	st.z1, st.z2, st.w1, st.w2 = z1, z2, w1, w2
	st.sum = sum
	st.peak = truePeak(buf, st.peak)
	copy(st.hist, buf[len(buf)-(taps-1):])
}

// truePeak returns the larger of peak and the largest magnitude of the
// samples buf[taps-1:] and of the values interpolated between them (the
// first taps-1 samples are the history the filter needs).
func truePeak(buf []float64, peak float64) float64 {
	const run = 32
	for lo := taps - 1; lo < len(buf); lo += run {
		hi := min(lo+run, len(buf))
		// The outputs for samples [lo, hi) read buf[lo-taps+1 : hi].
		var top float64
		for _, v := range buf[lo-taps+1 : hi] {
			top = max(top, math.Abs(v))
		}
		if top*gainBound <= peak {
			continue
		}
		for i := lo; i < hi; i++ {
			peak = max(peak, math.Abs(buf[i]), interpolatedPeak((*[taps]float64)(buf[i-taps+1:i+1])))
		}
	}
	return peak
}

// interpolatedPeak returns the largest magnitude of the four values the
// filter interpolates from the window w (oldest sample first). Phase 3 is
// phase 0 reversed and phase 2 phase 1 reversed.
func interpolatedPeak(w *[taps]float64) float64 {
	h0, h1 := &phases[0], &phases[1]
	var y0, y1, y2, y3 float64
	for t := 0; t < taps; t++ {
		a, b := w[taps-1-t], w[t]
		y0 += h0[t] * a
		y3 += h0[t] * b
		y1 += h1[t] * a
		y2 += h1[t] * b
	}
	return max(math.Abs(y0), math.Abs(y1), math.Abs(y2), math.Abs(y3))
}

// Integrated returns the gated integrated loudness in LUFS of what was
// written so far (-Inf when no block passes the absolute gate).
func (m *Meter) Integrated() float64 {
	var blocks []float64
	for i := subBlocks - 1; i < len(m.steps); i++ {
		var z float64
		for _, s := range m.steps[i-subBlocks+1 : i+1] {
			z += s
		}
		blocks = append(blocks, z/subBlocks)
	}
	gated := func(threshold float64) (float64, int) {
		var sum float64
		n := 0
		for _, z := range blocks {
			if z > 0 && lufs(z) > threshold {
				sum += z
				n++
			}
		}
		return sum, n
	}
	sum, n := gated(absoluteGate)
	if n == 0 {
		return math.Inf(-1)
	}
	sum, n = gated(lufs(sum/float64(n)) + relativeGate)
	if n == 0 {
		return math.Inf(-1)
	}
	return lufs(sum / float64(n))
}

// TruePeak returns the true peak in dBTP of what was written so far.
func (m *Meter) TruePeak() float64 {
	var p float64
	for _, c := range m.ch {
		p = max(p, c.peak)
	}
	if p == 0 {
		return math.Inf(-1)
	}
	return 20 * math.Log10(p)
}

// Result returns the measurement so far.
func (m *Meter) Result() Measurement {
	return Measurement{Integrated: m.Integrated(), TruePeak: m.TruePeak()}
}

func lufs(meanSquare float64) float64 { return -0.691 + 10*math.Log10(meanSquare) }

// MeasureWAV measures a WAV file of 32-bit float or 16-, 24- or 32-bit
// PCM samples, streaming it (a long file is never held in memory).
func MeasureWAV(path string) (Measurement, error) {
	f, err := os.Open(path)
	if err != nil {
		return Measurement{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Measurement{}, err
	}
	info, err := wav.Parse(f, st.Size())
	if err != nil {
		return Measurement{}, fmt.Errorf("%s: %w", path, err)
	}
	width := info.BitsPerSample / 8
	switch {
	case info.Format == wav.FormatFloat && info.BitsPerSample == 32:
	case info.Format == wav.FormatPCM && (width == 2 || width == 3 || width == 4) && info.BitsPerSample == 8*width:
	default:
		return Measurement{}, fmt.Errorf("%s: unsupported sample format %d/%d bits", path, info.Format, info.BitsPerSample)
	}
	if info.BlockAlign != width*info.Channels {
		return Measurement{}, fmt.Errorf("%s: bad block alignment %d", path, info.BlockAlign)
	}
	m, err := NewMeter(info.SampleRate, info.Channels)
	if err != nil {
		return Measurement{}, fmt.Errorf("%s: %w", path, err)
	}
	if _, err := f.Seek(info.DataOffset, io.SeekStart); err != nil {
		return Measurement{}, err
	}
	r := bufio.NewReaderSize(io.LimitReader(f, info.DataSize), 1<<16)
	raw := make([]byte, (1<<16)/info.BlockAlign*info.BlockAlign)
	samples := make([]float32, len(raw)/width)
	for {
		n, err := io.ReadFull(r, raw)
		n -= n % info.BlockAlign
		if n > 0 {
			out := samples[:n/width]
			decode(out, raw[:n], info.Format, width)
			m.Write(out)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return Measurement{}, err
		}
	}
	return m.Result(), nil
}

// decode converts little-endian samples to floats of full scale 1.
func decode(out []float32, raw []byte, format, width int) {
	switch {
	case format == wav.FormatFloat:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	case width == 2:
		for i := range out {
			out[i] = float32(int16(binary.LittleEndian.Uint16(raw[2*i:]))) / 32768
		}
	case width == 3:
		for i := range out {
			b := raw[3*i:]
			out[i] = float32(int32(b[0])|int32(b[1])<<8|int32(int8(b[2]))<<16) / 8388608
		}
	default:
		for i := range out {
			out[i] = float32(int32(binary.LittleEndian.Uint32(raw[4*i:]))) / 2147483648
		}
	}
}
