package h264

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
)

// Splicing a ten-minute 1080p video: 60 pieces of 10 s (300 pictures
// each, the same encoded file linked 60 times, so only one is encoded),
// spliced into one stream on disk, by reading every piece whole first (how
// the renderer worked before; the baseline) or one access unit at a time
// with Reader. Each reports the growth of the process's peak resident
// memory (VmHWM, reset first through /proc/self/clear_refs) while
// splicing, and the bytes spliced.

const (
	splicePieces = 60
	pieceFrames  = 300 // 10 s at 30 fps
)

// pieceFiles encodes the piece once and links it splicePieces times.
func pieceFiles(b *testing.B) []string {
	needFFmpeg(b)
	dir := b.TempDir()
	one := filepath.Join(dir, "piece.h264")
	ffmpeg(b, append(append([]string{"-f", "lavfi", "-i", "testsrc2=s=1920x1080:r=30", "-frames:v", itoa(pieceFrames), "-r", "30"},
		x264Args...), one)...)
	files := make([]string, splicePieces)
	for i := range files {
		files[i] = filepath.Join(dir, "seg"+itoa(i)+".h264")
		if err := os.Link(one, files[i]); err != nil {
			b.Fatal(err)
		}
	}
	return files
}

// resetPeak makes VmHWM the current RSS and returns it in bytes.
func resetPeak(b *testing.B) int64 {
	runtime.GC()
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Skipf("cannot reset the peak RSS: %v", err)
	}
	return statusKB(b, "VmRSS") << 10
}

func statusKB(b *testing.B, field string) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skip("no /proc")
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	b.Fatalf("no %s in /proc/self/status", field)
	return 0
}

func benchmarkSplice(b *testing.B, splice func(b *testing.B, w *Writer, files []string)) {
	files := pieceFiles(b)
	st, _ := os.Stat(files[0])
	out := filepath.Join(b.TempDir(), "video.h264")
	var growth int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		before := resetPeak(b)
		f, err := os.Create(out)
		if err != nil {
			b.Fatal(err)
		}
		w := NewWriter(f)
		splice(b, w, files)
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
		f.Close()
		if w.Frames() != splicePieces*pieceFrames {
			b.Fatalf("spliced %d frames", w.Frames())
		}
		growth = max(growth, statusKB(b, "VmHWM")<<10-before)
	}
	b.ReportMetric(float64(growth)/(1<<20), "peak_rss_growth_MiB")
	b.ReportMetric(float64(st.Size()*splicePieces)/(1<<20), "spliced_MiB")
}

// BenchmarkSpliceTenMinutesWhole reads every piece into memory before
// writing, as the renderer did (the baseline).
func BenchmarkSpliceTenMinutesWhole(b *testing.B) {
	benchmarkSplice(b, func(b *testing.B, w *Writer, files []string) {
		var streams []*Stream
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			st, err := Parse(data)
			if err != nil {
				b.Fatal(err)
			}
			streams = append(streams, st)
		}
		for _, st := range streams {
			if err := w.WriteStream(st); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSpliceTenMinutesStreamed copies one access unit at a time.
func BenchmarkSpliceTenMinutesStreamed(b *testing.B) {
	benchmarkSplice(b, func(b *testing.B, w *Writer, files []string) {
		for _, name := range files {
			f, err := os.Open(name)
			if err != nil {
				b.Fatal(err)
			}
			rd := NewReader(bufio.NewReader(f))
			for {
				au, err := rd.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				if err := w.WriteUnit(au); err != nil {
					b.Fatal(err)
				}
			}
			f.Close()
		}
	})
}
