package align

import "testing"

func BenchmarkFollow(b *testing.B) {
	// Five seconds of "speech" at 32 and 22.05 kHz.
	var tp, rp [][2]float64
	for i := 0; i < 20; i++ {
		f := 200 + float64(i%7)*300
		tp = append(tp, [2]float64{f, 0.25})
		rp = append(rp, [2]float64{f, 0.2 + float64(i%3)*0.05})
	}
	ts, starts := tones(32000, tp...)
	rs, _ := tones(22050, rp...)
	words := make([]Span, len(starts))
	for i, s := range starts {
		words[i] = Span{Start: s}
	}
	b.ResetTimer()
	for range b.N {
		Follow(Recording{Samples: rs, Rate: 22050}, Recording{Samples: ts, Rate: 32000}, words)
	}
}
