package align

import (
	"math"
	"slices"
	"time"
)

// Recording is mono audio: samples at full scale 1.
type Recording struct {
	Samples []float64
	Rate    int // samples per second
}

// warpBand is how far (a fraction of the recording) the warping path may
// stray from the diagonal: voices differ in pace, and pauses are placed
// differently, but not by a third of a sentence.
const warpBand = 0.25

// Follow times the words of rec from a template: another recording of the
// same text (another voice, another engine) in which the span of every
// word is known (tmplWords, in the order of the words). The template's
// frames are aligned to rec's by dynamic time warping on spectral
// features (see features and warp), each word's start and end are carried over
// along the warping path, and a start that lands in a pause of rec (a
// silence of at least 70 ms, or the silence before the speech) moves to
// the pause's end, an end that lands after a pause to the pause's start. It returns nil when either
// recording is empty.
func Follow(rec, tmpl Recording, tmplWords []Span) []Span {
	n := len(tmplWords)
	if n == 0 || len(rec.Samples) == 0 || rec.Rate <= 0 || len(tmpl.Samples) == 0 || tmpl.Rate <= 0 {
		return nil
	}
	out := make([]Span, n)
	// Both sides are analysed up to the same frequency.
	high := min(melHighHz, float64(min(rec.Rate, tmpl.Rate))/2)
	path := warp(features(tmpl.Samples, tmpl.Rate, Hop, high), features(rec.Samples, rec.Rate, Hop, high), warpBand)
	quiet := quietFrames(rmsEnvelope(rec.Samples, rec.Rate, Hop), Hop)
	frames := len(quiet)
	frameOf := func(t time.Duration) int { return min(max(int(t/Hop), 0), frames-1) }
	for i, w := range tmplWords {
		s, e := mapTime(path, Hop, w.Start), mapTime(path, Hop, w.End)
		if k := frameOf(s); quiet[k] {
			for k < frames && quiet[k] {
				k++
			}
			if k < frames {
				s = time.Duration(k) * Hop
			}
		}
		// An end maps to the end of the frames matched to the template's
		// last frame of the word: past any pause the recording makes
		// after it, which goes back to the pause's start.
		if k := frameOf(e - Hop); e > s && quiet[k] {
			for k > 0 && quiet[k-1] {
				k--
			}
			e = max(time.Duration(k)*Hop, s)
		}
		out[i] = Span{Start: s, End: max(e, s)}
	}
	// In order, not overlapping.
	for i := 1; i < n; i++ {
		out[i].Start = max(out[i].Start, out[i-1].Start)
		out[i].End = max(out[i].End, out[i].Start)
		out[i-1].End = min(out[i-1].End, out[i].Start)
	}
	return out
}

// rmsEnvelope returns the RMS level of every hop of samples.
func rmsEnvelope(samples []float64, rate int, hop time.Duration) []float64 {
	per := max(int(int64(rate)*int64(hop)/int64(time.Second)), 1)
	out := make([]float64, 0, len(samples)/per+1)
	for at := 0; at < len(samples); at += per {
		var s float64
		end := min(at+per, len(samples))
		for _, v := range samples[at:end] {
			s += v * v
		}
		out = append(out, math.Sqrt(s/float64(end-at)))
	}
	return out
}

// quietFrames marks the frames of a loudness envelope that belong to a
// pause: silence (as Words judges it) lasting at least minPause, or
// before the first or after the last sound.
func quietFrames(env []float64, hop time.Duration) []bool {
	quiet := make([]bool, len(env))
	if len(env) == 0 {
		return quiet
	}
	db := make([]float64, len(env))
	for i, v := range env {
		db[i] = 20 * math.Log10(v+1e-9)
	}
	sorted := slices.Clone(db)
	slices.Sort(sorted)
	thr := sorted[int(float64(len(sorted)-1)*0.98)] - silenceBelowPeak
	minRun := int(minPause / hop)
	for i := 0; i < len(db); {
		if db[i] > thr {
			i++
			continue
		}
		j := i
		for j < len(db) && db[j] <= thr {
			j++
		}
		if j-i >= minRun || i == 0 || j == len(db) {
			for k := i; k < j; k++ {
				quiet[k] = true
			}
		}
		i = j
	}
	return quiet
}
