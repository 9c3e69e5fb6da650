package mp4

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// makeFile runs ffmpeg with args (the output last) in dir and returns
// the output's path.
func makeFile(t *testing.T, dir string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	out := filepath.Join(dir, args[len(args)-1])
	args[len(args)-1] = out
	if b, err := exec.Command("ffmpeg", append([]string{"-v", "error", "-y"}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, b)
	}
	return out
}

func TestReadVideo(t *testing.T) {
	dir := t.TempDir()
	bt709 := []string{"-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709", "-color_range", "tv"}
	enc := func(src string, extra ...string) []string {
		a := []string{"-f", "lavfi", "-i", src, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"}
		return append(a, extra...)
	}
	tagged := makeFile(t, dir, append(enc("testsrc2=s=320x180:r=30:d=2", bt709...), "-movflags", "+faststart", "tagged.mp4")...)
	tests := []struct {
		name       string
		path       string
		w, h       int
		quarter    bool
		frames     int64
		num, den   int64
		colour     bool
		matrix     int
		full       bool
		wantErr    error
		codecMatch string
	}{
		{name: "BT.709 tagged, movie box first", path: tagged, w: 320, h: 180, frames: 60, num: 30, den: 1, colour: true, matrix: 1, codecMatch: "avc1"},
		{name: "movie box last", path: makeFile(t, dir, append(enc("testsrc2=s=320x180:r=25:d=2", bt709...), "last.mp4")...),
			w: 320, h: 180, frames: 50, num: 25, den: 1, colour: true, matrix: 1, codecMatch: "avc1"},
		{name: "NTSC rate, full range BT.601", path: makeFile(t, dir, append(enc("testsrc2=s=320x240:r=30000/1001:d=1.001",
			"-color_primaries", "smpte170m", "-color_trc", "smpte170m", "-colorspace", "smpte170m", "-color_range", "pc"), "ntsc.mp4")...),
			w: 320, h: 240, frames: 30, num: 30000, den: 1001, colour: true, matrix: 6, full: true, codecMatch: "avc1"},
		{name: "no colour tags", path: makeFile(t, dir, append(enc("testsrc2=s=160x90:r=30:d=1"), "untagged.mp4")...),
			w: 160, h: 90, frames: 30, num: 30, den: 1, codecMatch: "avc1"},
		{name: "a quarter turn: upright size", path: makeFile(t, dir, "-i", tagged, "-c", "copy", "-metadata:s:v:0", "rotate=90", "turned.mp4"),
			w: 180, h: 320, quarter: true, frames: 60, num: 30, den: 1, colour: true, matrix: 1, codecMatch: "avc1"},
		{name: "upside down", path: makeFile(t, dir, "-i", tagged, "-c", "copy", "-metadata:s:v:0", "rotate=180", "upside.mp4"),
			w: 320, h: 180, frames: 60, num: 30, den: 1, colour: true, matrix: 1, codecMatch: "avc1"},
		{name: "QuickTime", path: makeFile(t, dir, append(enc("testsrc2=s=320x180:r=24:d=1", bt709...), "clip.mov")...),
			w: 320, h: 180, frames: 24, num: 24, den: 1, codecMatch: "avc1"},
		{name: "sound only", path: makeFile(t, dir, "-f", "lavfi", "-i", "sine=d=1", "-c:a", "aac", "sound.m4a"), wantErr: ErrNoVideo},
		{name: "WebM", path: makeFile(t, dir, "-f", "lavfi", "-i", "testsrc2=s=64x64:r=10:d=1", "-c:v", "libvpx", "clip.webm"), wantErr: ErrFormat},
		{name: "a PNG picture", path: makeFile(t, dir, "-f", "lavfi", "-i", "testsrc2=s=64x64", "-frames:v", "1", "pic.png"), wantErr: ErrFormat},
	}
	for _, tt := range tests {
		v, err := ReadVideo(tt.path)
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("%s: %+v, %v; want %v", tt.name, v, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		num, den := v.FrameRate()
		if v.Width != tt.w || v.Height != tt.h || v.QuarterTurn != tt.quarter || v.Frames != tt.frames || num != tt.num || den != tt.den || v.Codec != tt.codecMatch {
			t.Errorf("%s: %dx%d turned %v, %d frames at %d/%d, %s; want %dx%d turned %v, %d frames at %d/%d, %s",
				tt.name, v.Width, v.Height, v.QuarterTurn, v.Frames, num, den, v.Codec, tt.w, tt.h, tt.quarter, tt.frames, tt.num, tt.den, tt.codecMatch)
		}
		if v.Colour != tt.colour || v.Colour && (v.Matrix != tt.matrix || v.FullRange != tt.full) {
			t.Errorf("%s: colour %v matrix %d full %v; want %v %d %v", tt.name, v.Colour, v.Matrix, v.FullRange, tt.colour, tt.matrix, tt.full)
		}
		if d := v.Duration - time.Duration(float64(tt.frames)*float64(tt.den)/float64(tt.num)*float64(time.Second)); d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("%s: duration %v for %d frames", tt.name, v.Duration, tt.frames)
		}
	}
}

// Files cut short or damaged anywhere give an error or a reading, never
// a panic or a huge allocation.
func TestReadVideoDamaged(t *testing.T) {
	dir := t.TempDir()
	path := makeFile(t, dir, "-f", "lavfi", "-i", "testsrc2=s=64x64:r=10:d=0.5", "-c:v", "libx264", "-preset", "ultrafast",
		"-movflags", "+faststart", "small.mp4")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(data); n++ {
		readVideo(bytes.NewReader(data[:n]), int64(n))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 3000; i++ {
		b := bytes.Clone(data)
		for j := 0; j < 1+rng.IntN(4); j++ {
			b[rng.IntN(min(len(b), 2000))] = byte(rng.IntN(256))
		}
		readVideo(bytes.NewReader(b), int64(len(b)))
	}
	// A box claiming more than the file holds.
	huge := append([]byte{0xff, 0xff, 0xff, 0xf0}, []byte("moov")...)
	if _, err := readVideo(bytes.NewReader(huge), int64(len(huge))); !errors.Is(err, ErrFormat) {
		t.Errorf("oversized box: %v", err)
	}
}

func FuzzReadVideo(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x08moov"))
	f.Add(append([]byte("\x00\x00\x00\x10ftypisom\x00\x00\x00\x00"), []byte("\x00\x00\x00\x10moov\x00\x00\x00\x08trak")...))
	f.Fuzz(func(t *testing.T, b []byte) {
		readVideo(bytes.NewReader(b), int64(len(b)))
		references(bytes.NewReader(b), int64(len(b)), 0)
	})
}

func TestReferences(t *testing.T) {
	dir := t.TempDir()
	enc := func(name string, extra ...string) string {
		args := append([]string{"-f", "lavfi", "-i", "testsrc2=s=160x90:r=60:d=1", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"}, extra...)
		return makeFile(t, dir, append(args, name)...)
	}
	pattern := func(refs []bool) string {
		b := make([]byte, len(refs))
		for i, r := range refs {
			b[i] = '.'
			if r {
				b[i] = 'R'
			}
		}
		return string(b)
	}
	// One B-frame between references: every other frame is not one.
	refs, err := References(enc("b1.mp4", "-bf", "1", "-x264-params", "b-pyramid=none:b-adapt=0:scenecut=0"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := pattern(refs); len(got) != 60 || got[:10] != "R.R.R.R.R." || strings.Count(got, "R") < 30 {
		t.Errorf("one B-frame: %s", got)
	}
	// Without B-frames every frame is a reference; movie box last.
	refs, err = References(enc("p.mp4", "-bf", "0"), 0)
	if err != nil || pattern(refs) != strings.Repeat("R", 60) {
		t.Errorf("no B-frames: %s, %v", pattern(refs), err)
	}
	// Only as far as asked.
	if refs, err := References(filepath.Join(dir, "b1.mp4"), 7); err != nil || pattern(refs) != "R.R.R.R" {
		t.Errorf("the first 7 frames: %s, %v", pattern(refs), err)
	}
	// Not H.264.
	if _, err := References(makeFile(t, dir, "-f", "lavfi", "-i", "testsrc2=s=160x90:r=30:d=1", "-c:v", "libx265", "-x265-params", "log-level=error", "h.mp4"), 0); !errors.Is(err, ErrFormat) {
		t.Errorf("HEVC: %v", err)
	}
	// Damaged copies give an error or an answer, never a panic.
	data, err := os.ReadFile(filepath.Join(dir, "b1.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 2000; i++ {
		b := bytes.Clone(data)
		for j := 0; j < 1+rng.IntN(4); j++ {
			b[rng.IntN(len(b))] = byte(rng.IntN(256))
		}
		references(bytes.NewReader(b), int64(len(b)), 0)
	}
	for n := 0; n < len(data); n += 7 {
		references(bytes.NewReader(data[:n]), int64(n), 0)
	}
}
