package render

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/media/ffmpeg"
	"github.com/ytmaker/ytmaker/internal/media/fonts"
	"github.com/ytmaker/ytmaker/internal/media/slides"
	"github.com/ytmaker/ytmaker/internal/media/subtitles"
	"github.com/ytmaker/ytmaker/internal/media/wav"
)

// needTools skips the test when ffmpeg is missing and returns a runner.
func needTools(t testing.TB) *ffmpeg.Runner {
	t.Helper()
	ff, err := ffmpeg.New(ffmpeg.Config{})
	if err != nil {
		t.Skip("ffmpeg not installed")
	}
	return ff
}

func loadFonts(t testing.TB) *fonts.Set {
	t.Helper()
	fs, err := fonts.Load(fonts.Config{})
	if err != nil {
		t.Skip("no fonts:", err)
	}
	t.Cleanup(func() { fs.Close() })
	return fs
}

// writeVoice writes a WAV of d seconds that sounds like speech to a
// compressor: a 300 Hz tone switching on and off every 400 ms, starting
// with silence for lead.
func writeVoice(t testing.TB, path string, rate int, d, lead time.Duration, hz float64) {
	t.Helper()
	frames := int(d.Seconds() * float64(rate))
	var b bytes.Buffer
	if err := wav.WriteHeader(&b, wav.PCM16(rate, 1), int64(2*frames)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < frames; i++ {
		tm := float64(i) / float64(rate)
		var v float64
		if tm >= lead.Seconds() && int((tm-lead.Seconds())/0.4)%2 == 0 {
			v = 12000 * math.Sin(2*math.Pi*hz*tm)
		}
		_ = binary.Write(&b, binary.LittleEndian, int16(v))
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

var englishLines = []string{
	"Offline narration engines never fail and never cost money.",
	"Subtitles are split into short cues of at most two lines.",
	"Every distinct picture is encoded exactly once.",
	"Skipped macroblocks repeat a picture for a few bytes per frame.",
	"The sound track is encoded while the pictures are.",
	"Avatar clips are spliced in at the bitstream level.",
	"The result is verified with ffprobe before it is renamed.",
	"A constant thirty frames per second keeps players happy.",
	"Background music ducks under the narration.",
	"Ken Burns motion makes every frame different.",
	"Thumbnails get a darkening gradient and a bold title.",
	"That is all it takes to render a video quickly.",
}

var chineseLines = []string{
	"離線配音引擎永遠不會失敗，也不花錢。",
	"字幕會被切成最多兩行的短句。",
	"每一張不同的畫面只編碼一次。",
}

// makeSegments draws n slides and writes n narrations of d each, with
// three cues per segment (or none).
func makeSegments(t testing.TB, fs *fonts.Set, dir string, n, w, h int, d time.Duration, lang string, cues bool) []Segment {
	t.Helper()
	lines := englishLines
	if lang == "zh-TW" {
		lines = chineseLines
	}
	var segs []Segment
	for i := 0; i < n; i++ {
		text := lines[i%len(lines)]
		img := filepath.Join(dir, fmt.Sprintf("segment_%02d.png", i))
		if _, err := slides.Draw(fs, slides.Spec{Text: text, Language: lang, Title: "Render test", Footer: fmt.Sprintf("%d / %d", i+1, n),
			Width: w, Height: h, Seed: fmt.Sprint("seg", i)}, img); err != nil {
			t.Fatal(err)
		}
		audio := filepath.Join(dir, fmt.Sprintf("segment_%02d.wav", i))
		writeVoice(t, audio, 22050, d, 0, 300)
		seg := Segment{Image: img, Audio: audio}
		if cues {
			third := d / 3
			sentences := []subtitles.Sentence{{Text: text, Start: 100 * time.Millisecond, End: 2 * third}, {Text: lines[(i+1)%len(lines)], Start: 2 * third, End: d - 100*time.Millisecond}}
			seg.Cues = subtitles.Build(sentences, subtitles.Options{Language: lang, MaxColumns: 24})
		}
		segs = append(segs, seg)
	}
	return segs
}

// probeFrames decodes a file and returns one MD5 per video frame.
func frameHashes(t testing.TB, path string) []string {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-map", "0:v:0", "-f", "framemd5", "-").Output()
	if err != nil {
		t.Fatalf("framemd5 %s: %v", path, err)
	}
	var hashes []string
	for _, line := range bytes.Split(out, []byte("\n")) {
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		f := bytes.Split(line, []byte(","))
		hashes = append(hashes, string(bytes.TrimSpace(f[len(f)-1])))
	}
	return hashes
}

// makeClip writes an avatar-like clip: a moving test pattern of w×h at
// fps frames per second lasting d, with a 440 Hz tone when withAudio.
func makeClip(t testing.TB, path string, w, h, fps int, d time.Duration, withAudio bool) {
	t.Helper()
	args := []string{"-v", "error", "-y", "-f", "lavfi", "-i", fmt.Sprintf("testsrc2=s=%dx%d:r=%d:d=%.3f", w, h, fps, d.Seconds())}
	if withAudio {
		args = append(args, "-f", "lavfi", "-i", fmt.Sprintf("sine=f=440:sample_rate=44100:d=%.3f", d.Seconds()), "-c:a", "aac", "-ac", "1")
	}
	args = append(args, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", path)
	if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("make clip: %v\n%s", err, out)
	}
}

// decodeRGB decodes frame n of a video as packed RGB.
func decodeRGB(t testing.TB, path string, n, w, h int) []byte {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-vf", fmt.Sprintf("select=eq(n\\,%d)", n),
		"-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-").Output()
	if err != nil {
		t.Fatalf("decode frame %d: %v", n, err)
	}
	if len(out) != w*h*3 {
		t.Fatalf("decoded %d bytes, want %d", len(out), w*h*3)
	}
	return out
}

// decodeAudio decodes a file's sound to mono float samples at rate.
func decodeAudio(t testing.TB, path string, rate int) []float32 {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-map", "0:a:0", "-ac", "1", "-ar", strconv.Itoa(rate), "-f", "f32le", "-").Output()
	if err != nil {
		t.Fatalf("decode audio: %v", err)
	}
	s := make([]float32, len(out)/4)
	for i := range s {
		s[i] = math.Float32frombits(binary.LittleEndian.Uint32(out[4*i:]))
	}
	return s
}

// toneLevel returns the amplitude of frequency hz in samples[from:to]
// (Goertzel).
func toneLevel(samples []float32, rate int, hz float64, from, to time.Duration) float64 {
	a, b := int(from.Seconds()*float64(rate)), int(to.Seconds()*float64(rate))
	b = min(b, len(samples))
	w := 2 * math.Pi * hz / float64(rate)
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, x := range samples[a:b] {
		s0 := float64(x) + c*s1 - s2
		s2, s1 = s1, s0
	}
	power := s1*s1 + s2*s2 - c*s1*s2
	return 2 * math.Sqrt(math.Max(power, 0)) / float64(b-a)
}
