package wav

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// tone returns frames of a 16-bit sine tone.
func tone(frames, channels int, hz, rate float64) []byte {
	var b bytes.Buffer
	for i := 0; i < frames; i++ {
		v := int16(8000 * math.Sin(2*math.Pi*hz*float64(i)/rate))
		for c := 0; c < channels; c++ {
			_ = binary.Write(&b, binary.LittleEndian, v)
		}
	}
	return b.Bytes()
}

func writeWAV(t *testing.T, path string, info Info, data []byte) {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHeader(&b, info, int64(len(data))); err != nil {
		t.Fatal(err)
	}
	b.Write(data)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReadInfo(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.wav")
	writeWAV(t, path, PCM16(22050, 1), tone(22050*3/2, 1, 440, 22050))
	info, err := ReadInfo(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.SampleRate != 22050 || info.Channels != 1 || info.BitsPerSample != 16 || info.Frames() != 33075 {
		t.Fatalf("got %+v", info)
	}
	if d := info.Duration(); d != 1500*time.Millisecond {
		t.Fatalf("duration %v, want 1.5s", d)
	}
}

func TestParseOddChunksAndStreamingHeader(t *testing.T) {
	// A LIST chunk of odd size (padded) before data, an extensible fmt
	// chunk, and a data size of 0xFFFFFFFF as streaming writers leave it.
	var b bytes.Buffer
	b.WriteString("RIFF\xff\xff\xff\xffWAVE")
	fmtChunk := make([]byte, 40)
	binary.LittleEndian.PutUint16(fmtChunk[0:], formatExtensible)
	binary.LittleEndian.PutUint16(fmtChunk[2:], 2)
	binary.LittleEndian.PutUint32(fmtChunk[4:], 48000)
	binary.LittleEndian.PutUint32(fmtChunk[8:], 48000*4)
	binary.LittleEndian.PutUint16(fmtChunk[12:], 4)
	binary.LittleEndian.PutUint16(fmtChunk[14:], 16)
	binary.LittleEndian.PutUint16(fmtChunk[16:], 22)
	binary.LittleEndian.PutUint16(fmtChunk[24:], FormatPCM)
	b.WriteString("fmt ")
	_ = binary.Write(&b, binary.LittleEndian, uint32(len(fmtChunk)))
	b.Write(fmtChunk)
	b.WriteString("LIST")
	_ = binary.Write(&b, binary.LittleEndian, uint32(3))
	b.WriteString("abc\x00")
	b.WriteString("data\xff\xff\xff\xff")
	b.Write(make([]byte, 4800*4+2)) // a partial frame at the end is ignored
	info, err := Parse(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if info.Format != FormatPCM || info.Channels != 2 || info.Frames() != 4800 {
		t.Fatalf("got %+v", info)
	}
	if info.Duration() != 100*time.Millisecond {
		t.Fatalf("duration %v", info.Duration())
	}
	if _, err := Parse(strings.NewReader("RIFX0000WAVE"), 12); !errors.Is(err, ErrNotWAV) {
		t.Fatalf("got %v, want ErrNotWAV", err)
	}
}

func TestConcatWithSilence(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.wav"), filepath.Join(dir, "b.wav")
	f := PCM16(32000, 1)
	writeWAV(t, a, f, tone(32000, 1, 440, 32000)) // 1 s
	writeWAV(t, b, f, tone(16000, 1, 660, 32000)) // 0.5 s
	out := filepath.Join(dir, "out.wav")
	spans, err := Concat(out, []Part{{Path: a}, {Silence: 250 * time.Millisecond}, {Path: b}})
	if err != nil {
		t.Fatal(err)
	}
	want := []Span{{0, time.Second}, {time.Second, 1250 * time.Millisecond}, {1250 * time.Millisecond, 1750 * time.Millisecond}}
	for i := range want {
		if spans[i] != want[i] {
			t.Fatalf("span %d = %v, want %v", i, spans[i], want[i])
		}
	}
	d, err := Duration(out)
	if err != nil {
		t.Fatal(err)
	}
	if d != 1750*time.Millisecond {
		t.Fatalf("duration %v, want 1.75s", d)
	}
	// The silence is really silent, the parts are copied verbatim.
	raw, _ := os.ReadFile(out)
	samples := raw[44:]
	if !bytes.Equal(samples[:64000], tone(32000, 1, 440, 32000)) {
		t.Fatal("first part not copied verbatim")
	}
	for _, c := range samples[64000:72000] {
		if c != 0 {
			t.Fatal("silence holds non-zero samples")
		}
	}
	// ffprobe agrees, when installed.
	if _, err := exec.LookPath("ffprobe"); err == nil {
		outb, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", out).Output()
		if err != nil {
			t.Fatal(err)
		}
		secs, _ := strconv.ParseFloat(strings.TrimSpace(string(outb)), 64)
		if math.Abs(secs-1.75) > 0.001 {
			t.Fatalf("ffprobe duration %v, want 1.75", secs)
		}
	}
}

func TestConcatRejectsMixedFormats(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.wav"), filepath.Join(dir, "b.wav")
	writeWAV(t, a, PCM16(32000, 1), tone(100, 1, 440, 32000))
	writeWAV(t, b, PCM16(22050, 1), tone(100, 1, 440, 22050))
	if _, err := Concat(filepath.Join(dir, "out.wav"), []Part{{Path: a}, {Path: b}}); err == nil {
		t.Fatal("joined files of different sample rates")
	}
	if _, err := os.Stat(filepath.Join(dir, "out.wav")); !os.IsNotExist(err) {
		t.Fatal("failed join left an output file")
	}
}

func TestWriteSilence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.wav")
	if err := WriteSilence(path, PCM16(48000, 2), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	info, err := ReadInfo(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Duration() != 2*time.Second || info.Channels != 2 {
		t.Fatalf("got %+v", info)
	}
}

func TestSamplesMixesChannels(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.wav")
	// Stereo 16-bit: left 0.5, right -0.25 full scale, then silence.
	var b bytes.Buffer
	for i := 0; i < 3; i++ {
		_ = binary.Write(&b, binary.LittleEndian, int16(16384))
		_ = binary.Write(&b, binary.LittleEndian, int16(-8192))
	}
	_ = binary.Write(&b, binary.LittleEndian, [2]int16{})
	if err := WritePCM(path, PCM16(16000, 2), b.Bytes()); err != nil {
		t.Fatal(err)
	}
	got, rate, err := Samples(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0.125, 0.125, 0.125, 0}
	if rate != 16000 || len(got) != len(want) {
		t.Fatalf("rate %d, %d samples: %v", rate, len(got), got)
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-9 {
			t.Errorf("sample %d = %v, want %v", i, got[i], want[i])
		}
	}
	if _, _, err := Samples(filepath.Join(t.TempDir(), "missing.wav")); err == nil {
		t.Error("a missing file read")
	}
}
