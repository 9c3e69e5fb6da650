package loudness

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ytmaker/ytmaker/internal/media/wav"
)

// sine returns d seconds of interleaved frames of a sine of amplitude a
// (the same in every channel) at hz, starting at phase ph.
func sine(rate, channels int, d, hz, a, ph float64) []float32 {
	n := int(d * float64(rate))
	out := make([]float32, 0, n*channels)
	for i := 0; i < n; i++ {
		v := float32(a * math.Sin(2*math.Pi*hz*float64(i)/float64(rate)+ph))
		for c := 0; c < channels; c++ {
			out = append(out, v)
		}
	}
	return out
}

func measure(t *testing.T, rate, channels int, parts ...[]float32) Measurement {
	t.Helper()
	m, err := NewMeter(rate, channels)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		// Odd write sizes exercise the step and history bookkeeping.
		for len(p) > 0 {
			k := min(len(p), 997*channels)
			m.Write(p[:k])
			p = p[k:]
		}
	}
	return m.Result()
}

func dB(a float64) float64 { return 20 * math.Log10(a) }

func TestMeter(t *testing.T) {
	const rate = 48000
	tests := []struct {
		name           string
		channels       int
		parts          [][]float32
		lufs, tp, tolI float64
	}{
		// BS.1770: a 0 dBFS 1 kHz sine in one channel reads -3.01 LKFS;
		// in both channels of a stereo signal +3.01 more.
		{"stereo 1 kHz sine at -20 dBFS", 2, [][]float32{sine(rate, 2, 10, 997, 0.1, 0)}, -20, -20, 0.05},
		{"mono 1 kHz sine at -20 dBFS", 1, [][]float32{sine(rate, 1, 10, 997, 0.1, 0)}, -23.01, -20, 0.05},
		// The quiet half is 40 dB below the loud one: the relative gate
		// leaves it out (only the three blocks straddling the change
		// count, a little lower): -20, not the -23 of both halves.
		{"relative gate", 2, [][]float32{sine(rate, 2, 5, 997, 0.1, 0), sine(rate, 2, 5, 997, 0.001, 0)}, -20.1, -20, 0.1},
		// Under -70 LUFS: gated out entirely.
		{"below the absolute gate", 2, [][]float32{sine(rate, 2, 5, 997, 1e-4, 0)}, math.Inf(-1), -80, 0},
		{"silence", 2, [][]float32{make([]float32, 2*rate)}, math.Inf(-1), math.Inf(-1), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := measure(t, rate, tt.channels, tt.parts...)
			if math.IsInf(tt.lufs, -1) != math.IsInf(got.Integrated, -1) || !math.IsInf(tt.lufs, -1) && math.Abs(got.Integrated-tt.lufs) > tt.tolI {
				t.Errorf("integrated %.3f LUFS, want %.3f", got.Integrated, tt.lufs)
			}
			if math.IsInf(tt.tp, -1) != math.IsInf(got.TruePeak, -1) || !math.IsInf(tt.tp, -1) && math.Abs(got.TruePeak-tt.tp) > 0.1 {
				t.Errorf("true peak %.3f dBTP, want %.3f", got.TruePeak, tt.tp)
			}
		})
	}
}

// A sine at a quarter of the sample rate sampled 45° off its crests has
// samples at 0.707 of its amplitude: the true peak is 3 dB above the
// sample peak, and the meter must see it.
func TestTruePeakBetweenSamples(t *testing.T) {
	const rate = 48000
	got := measure(t, rate, 2, sine(rate, 2, 2, rate/4, 0.5, math.Pi/4))
	if sp := dB(0.5 * math.Sqrt(0.5)); got.TruePeak < sp+2.5 {
		t.Errorf("true peak %.2f dBTP, sample peak %.2f dBFS: the peak between samples was missed", got.TruePeak, sp)
	}
	if math.Abs(got.TruePeak-dB(0.5)) > 0.3 {
		t.Errorf("true peak %.2f dBTP, want %.2f ± 0.3", got.TruePeak, dB(0.5))
	}
	// One short burst in a long quiet signal: the skipping of runs that
	// cannot reach the peak must not skip it.
	quiet := sine(rate, 2, 3, 440, 0.01, 0)
	burst := sine(rate, 2, 0.01, rate/4, 0.9, math.Pi/4)
	got = measure(t, rate, 2, quiet, burst, quiet)
	if math.Abs(got.TruePeak-dB(0.9)) > 0.3 {
		t.Errorf("burst: true peak %.2f dBTP, want %.2f ± 0.3", got.TruePeak, dB(0.9))
	}
}

func TestNewMeterRejects(t *testing.T) {
	for _, c := range [][2]int{{0, 2}, {48000, 0}, {48000, 9}, {1000, 1}} {
		if _, err := NewMeter(c[0], c[1]); err == nil {
			t.Errorf("NewMeter(%d, %d) accepted", c[0], c[1])
		}
	}
}

// writeWAV writes interleaved samples as a WAV file of the given format.
func writeWAV(t testing.TB, path string, rate, channels int, samples []float32, float bool) {
	t.Helper()
	var b bytes.Buffer
	info := wav.PCM16(rate, channels)
	if float {
		info = wav.Info{Format: wav.FormatFloat, Channels: channels, SampleRate: rate, BitsPerSample: 32, BlockAlign: 4 * channels}
	}
	if err := wav.WriteHeader(&b, info, int64(len(samples)*info.BitsPerSample/8)); err != nil {
		t.Fatal(err)
	}
	for _, v := range samples {
		if float {
			_ = binary.Write(&b, binary.LittleEndian, math.Float32bits(v))
		} else {
			_ = binary.Write(&b, binary.LittleEndian, int16(math.Round(float64(v)*32767)))
		}
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// speech is a voice-like test signal: a 180 Hz tone with harmonics,
// switched on and off at syllable rate with varying levels.
func speech(rate, channels int, d float64) []float32 {
	n := int(d * float64(rate))
	out := make([]float32, 0, n*channels)
	for i := 0; i < n; i++ {
		tm := float64(i) / float64(rate)
		syl := int(tm / 0.23)
		var v float64
		if syl%5 != 4 {
			a := 0.15 + 0.1*float64(syl%3)
			for h := 1; h <= 8; h++ {
				v += a / float64(h) * math.Sin(2*math.Pi*180*float64(h)*tm+float64(h*syl))
			}
		}
		l := float32(v)
		for c := 0; c < channels; c++ {
			out = append(out, l*float32(1-0.3*float64(c)))
		}
	}
	return out
}

// The meter agrees with ffmpeg's ebur128 filter on speech-like audio.
func TestMeasureWAVAgreesWithFFmpeg(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not installed")
	}
	dir := t.TempDir()
	for _, c := range []struct {
		name           string
		rate, channels int
		float          bool
	}{{"float stereo 48k", 48000, 2, true}, {"pcm16 mono 22050", 22050, 1, false}, {"pcm16 stereo 44100", 44100, 2, false}} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".wav")
			writeWAV(t, path, c.rate, c.channels, speech(c.rate, c.channels, 12), c.float)
			got, err := MeasureWAV(path)
			if err != nil {
				t.Fatal(err)
			}
			want := ebur128(t, ffmpeg, path)
			t.Logf("ours %.2f LUFS %.2f dBTP; ffmpeg %.2f LUFS %.2f dBTP", got.Integrated, got.TruePeak, want.Integrated, want.TruePeak)
			if math.Abs(got.Integrated-want.Integrated) > 0.1 {
				t.Errorf("integrated %.2f LUFS, ffmpeg %.2f", got.Integrated, want.Integrated)
			}
			if math.Abs(got.TruePeak-want.TruePeak) > 0.3 {
				t.Errorf("true peak %.2f dBTP, ffmpeg %.2f", got.TruePeak, want.TruePeak)
			}
		})
	}
}

// ebur128 measures a file with ffmpeg's ebur128 filter (its summary).
func ebur128(t *testing.T, ffmpeg, path string) Measurement {
	t.Helper()
	cmd := exec.CommandContext(context.Background(), ffmpeg, "-hide_banner", "-nostats", "-i", path,
		"-af", "ebur128=peak=true", "-f", "null", "-")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	s := string(out)
	s = s[strings.LastIndex(s, "Summary:"):]
	field := func(section, key string) float64 {
		rest := s[strings.Index(s, section):]
		rest = rest[strings.Index(rest, key)+len(key):]
		v, err := strconv.ParseFloat(strings.Fields(rest)[0], 64)
		if err != nil {
			t.Fatalf("ffmpeg summary: %v\n%s", err, s)
		}
		return v
	}
	return Measurement{Integrated: field("Integrated loudness:", "I:"), TruePeak: field("True peak:", "Peak:")}
}

// BenchmarkMeasureWAV measures a minute of float stereo speech-like audio
// (the renderer's mixed sound track).
func BenchmarkMeasureWAV(b *testing.B) {
	path := filepath.Join(b.TempDir(), "mix.wav")
	writeWAV(b, path, 48000, 2, speech(48000, 2, 60), true)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := MeasureWAV(path); err != nil {
			b.Fatal(err)
		}
	}
}
