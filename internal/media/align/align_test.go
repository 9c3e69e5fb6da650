package align

import (
	"math"
	"math/cmplx"
	"testing"
	"time"
)

// envelope builds a loudness track: runs of (frames, level).
func envelope(runs ...[2]float64) []float64 {
	var out []float64
	for _, r := range runs {
		for i := 0; i < int(r[0]); i++ {
			out = append(out, r[1])
		}
	}
	return out
}

func TestWordsFollowPauses(t *testing.T) {
	loud, quiet := 0.3, 0.0
	// 200 ms silence, 400 ms speech, 250 ms pause, 600 ms speech, silence.
	env := envelope([2]float64{20, quiet}, [2]float64{40, loud}, [2]float64{25, quiet}, [2]float64{60, loud}, [2]float64{30, quiet})
	got := Words(env, Hop, []string{"Hello", "there,", "how", "are", "you?"}, nil)
	if got[0].Start != 200*time.Millisecond {
		t.Errorf("first word starts at %v", got[0].Start)
	}
	if got[2].Start != 850*time.Millisecond || got[1].End != 600*time.Millisecond {
		t.Errorf("the pause after the comma: %+v", got)
	}
	if got[4].End != 1450*time.Millisecond {
		t.Errorf("last word ends at %v", got[4].End)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Start < got[i-1].End || got[i].End < got[i].Start {
			t.Errorf("word %d: %+v after %+v", i, got[i], got[i-1])
		}
	}
}

func TestWordsGivenLengths(t *testing.T) {
	env := envelope([2]float64{100, 0.3})
	got := Words(env, Hop, []string{"a", "b"}, []float64{3, 1})
	if d := got[1].Start - 750*time.Millisecond; d < -50*time.Millisecond || d > 50*time.Millisecond {
		t.Errorf("second word starts at %v, want about 750ms", got[1].Start)
	}
}

func TestWeight(t *testing.T) {
	cases := []struct {
		a, b string // a takes longer than b
	}{
		{"extraordinary", "cat"}, {"文化", "文"}, {"2024", "2"}, {"strengths", "the"}, {"cat", ","},
	}
	for _, c := range cases {
		if Weight(c.a) <= Weight(c.b) {
			t.Errorf("Weight(%q)=%v <= Weight(%q)=%v", c.a, Weight(c.a), c.b, Weight(c.b))
		}
	}
	if Weight("，") != 0 || Weight("...") != 0 {
		t.Error("punctuation has weight")
	}
	if Words(nil, Hop, nil, nil) != nil {
		t.Error("no words")
	}
	if got := Words(nil, Hop, []string{"x"}, nil); len(got) != 1 {
		t.Error("no audio")
	}
}

// tones builds a recording of (frequency Hz, length) pieces; frequency 0
// is silence.
func tones(rate int, pieces ...[2]float64) ([]float64, []time.Duration) {
	var out []float64
	var starts []time.Duration
	for _, p := range pieces {
		starts = append(starts, time.Duration(len(out))*time.Second/time.Duration(rate))
		n := int(p[1] * float64(rate))
		for i := 0; i < n; i++ {
			v := 0.0
			if p[0] > 0 {
				t := float64(i) / float64(rate)
				v = 0.3*math.Sin(2*math.Pi*p[0]*t) + 0.1*math.Sin(2*math.Pi*2.7*p[0]*t)
			}
			out = append(out, v)
		}
	}
	return out, starts
}

func TestFollowCarriesTimesAcrossPaceAndPauses(t *testing.T) {
	// The template says five "words" (tones) at one pace at 32 kHz; the
	// recording at 22.05 kHz says them at another pace, with a pause the
	// template lacks and silence before the speech.
	freqs := []float64{300, 1200, 600, 2500, 900}
	tl := []float64{0.20, 0.15, 0.30, 0.25, 0.20}
	rl := []float64{0.30, 0.12, 0.24, 0.35, 0.16}
	var tp, rp [][2]float64
	tp = append(tp, [2]float64{0, 0.1})
	rp = append(rp, [2]float64{0, 0.35})
	for i, f := range freqs {
		tp = append(tp, [2]float64{f, tl[i]})
		rp = append(rp, [2]float64{f, rl[i]})
		if i == 2 {
			rp = append(rp, [2]float64{0, 0.3})
		}
	}
	tp = append(tp, [2]float64{0, 0.1})
	rp = append(rp, [2]float64{0, 0.2})
	ts, tStarts := tones(32000, tp...)
	rs, rStarts := tones(22050, rp...)
	var words []Span
	for i := range freqs {
		words = append(words, Span{Start: tStarts[i+1], End: tStarts[i+2]})
	}
	want := []time.Duration{rStarts[1], rStarts[2], rStarts[3], rStarts[5], rStarts[6]}
	got := Follow(Recording{Samples: rs, Rate: 22050}, Recording{Samples: ts, Rate: 32000}, words)
	if len(got) != len(words) {
		t.Fatalf("%d spans for %d words", len(got), len(words))
	}
	for i, s := range got {
		if d := s.Start - want[i]; d > 20*time.Millisecond || d < -20*time.Millisecond {
			t.Errorf("word %d starts at %v, want %v", i, s.Start, want[i])
		}
		if i > 0 && s.Start < got[i-1].End {
			t.Errorf("word %d overlaps the one before: %+v", i, got)
		}
	}
	// The word before the pause ends where the pause begins.
	if d := got[2].End - rStarts[4]; d > 20*time.Millisecond || d < -20*time.Millisecond {
		t.Errorf("word 2 ends at %v, the pause begins at %v", got[2].End, rStarts[4])
	}
	if Follow(Recording{Samples: rs, Rate: 22050}, Recording{}, words) != nil {
		t.Error("an empty template gave times")
	}
}

func TestFFTMatchesTheDefinition(t *testing.T) {
	const n = 16
	a := make([]complex128, n)
	for i := range a {
		a[i] = complex(math.Sin(float64(i)*0.7)+float64(i%3), math.Cos(float64(i)))
	}
	want := make([]complex128, n)
	for k := range want {
		for j, v := range a {
			want[k] += v * cmplx.Exp(complex(0, -2*math.Pi*float64(j*k)/n))
		}
	}
	fft(a, twiddles(n))
	for k := range a {
		if cmplx.Abs(a[k]-want[k]) > 1e-9 {
			t.Errorf("bin %d: %v, want %v", k, a[k], want[k])
		}
	}
}
