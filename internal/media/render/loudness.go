package render

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/media/ffmpeg"
)

// YouTube's reference loudness, which the sound track is mixed to.
const (
	TargetLUFS = -14.0 // integrated loudness, LUFS
	MaxTruePk  = -1.0  // true peak, dBTP
	// truePkAim leaves room under MaxTruePk for the AAC encoder's
	// overshoot.
	truePkAim = -2.0
)

// Loudness is an EBU R128 measurement.
type Loudness struct {
	Integrated float64 // LUFS
	TruePeak   float64 // dBTP, the highest of all channels
}

// MeasureLoudness measures the integrated loudness and true peak of the
// audio of a file with ffmpeg's ebur128 filter (its per-frame metadata is
// written to a file in dir and the last values read back).
func MeasureLoudness(ctx context.Context, ff *ffmpeg.Runner, path, dir string) (Loudness, error) {
	f, err := os.CreateTemp(dir, ".loudness-*.txt")
	if err != nil {
		return Loudness{}, errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	f.Close()
	defer os.Remove(f.Name())
	meta := filepath.ToSlash(f.Name())
	args := []string{"-i", path, "-vn", "-af",
		"ebur128=peak=true:metadata=1,ametadata=mode=print:file=" + strings.ReplaceAll(meta, ":", `\:`),
		"-f", "null", "-"}
	if err := ff.Run(ctx, args, ffmpeg.RunOptions{Dir: dir}); err != nil {
		return Loudness{}, err
	}
	return readLoudness(f.Name())
}

// readLoudness reads the last integrated loudness and true peak in an
// ametadata print file.
func readLoudness(path string) (Loudness, error) {
	f, err := os.Open(path)
	if err != nil {
		return Loudness{}, errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	defer f.Close()
	l := Loudness{Integrated: math.Inf(-1), TruePeak: math.Inf(-1)}
	found := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			continue
		}
		switch k {
		case "lavfi.r128.I":
			l.Integrated, found = x, true
		case "lavfi.r128.true_peak":
			l.TruePeak = 20 * math.Log10(max(x, 1e-9))
		}
	}
	if !found {
		return l, errcode.New(errcode.FFmpegFailed, "loudness measurement gave no result", false)
	}
	return l, nil
}

// loudnessFilter returns the filter that brings audio measured at l to
// TargetLUFS: a gain, followed by a limiter when the gain would push the
// true peak above the aim. Narration's peaks sit well above its loudness,
// so the limiter only trims rare peaks.
func loudnessFilter(l Loudness) string {
	if math.IsInf(l.Integrated, -1) || l.Integrated < -70 {
		return "anull" // silence stays silence
	}
	gain := TargetLUFS - l.Integrated
	f := fmt.Sprintf("volume=%.2fdB", gain)
	if l.TruePeak+gain > truePkAim {
		// alimiter works on sample peaks; a 4x oversampled limit a little
		// lower than the aim keeps true peaks under it.
		limit := math.Pow(10, (truePkAim-0.5)/20)
		f += fmt.Sprintf(",aresample=192000,alimiter=limit=%.4f:attack=1:release=60:level=0,aresample=48000", limit)
	}
	return f
}
