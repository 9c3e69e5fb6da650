package align

import (
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
