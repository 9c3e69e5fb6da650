package wav

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"time"
)

// Envelope reads the WAV file at path and returns its loudness: the RMS
// level (full scale = 1) of every hop of audio, all channels mixed. It
// reads 8-, 16-, 24- and 32-bit PCM and 32-bit float samples.
func Envelope(path string, hop time.Duration) ([]float64, error) {
	var out []float64
	var sum float64
	n, per := 0, 1
	err := eachMono(path, func(info Info) {
		per = max(int(int64(info.SampleRate)*int64(hop)/int64(time.Second)), 1)
	}, func(v float64) {
		sum += v * v
		n++
		if n == per {
			out = append(out, math.Sqrt(sum/float64(n)))
			sum, n = 0, 0
		}
	})
	if err != nil {
		return nil, err
	}
	if n > 0 {
		out = append(out, math.Sqrt(sum/float64(n)))
	}
	return out, nil
}

// Samples reads the WAV file at path and returns its samples (full scale
// = 1, all channels mixed) and its sample rate, in the formats Envelope
// reads.
func Samples(path string) ([]float64, int, error) {
	var out []float64
	rate := 0
	err := eachMono(path, func(info Info) {
		rate, out = info.SampleRate, make([]float64, 0, info.Frames())
	}, func(v float64) { out = append(out, v) })
	if err != nil {
		return nil, 0, err
	}
	return out, rate, nil
}

// eachMono reads the WAV file at path: it calls start with its header,
// then each with every frame's samples mixed to one (full scale = 1), in
// the formats Envelope reads.
func eachMono(path string, start func(Info), each func(float64)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	info, err := Parse(f, st.Size())
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	bytes := info.BitsPerSample / 8
	if bytes < 1 || bytes > 4 || info.Format == FormatFloat && bytes != 4 || info.Format != FormatPCM && info.Format != FormatFloat {
		return fmt.Errorf("%s: unsupported sample format %d/%d bits", path, info.Format, info.BitsPerSample)
	}
	if _, err := f.Seek(info.DataOffset, io.SeekStart); err != nil {
		return err
	}
	start(info)
	r := bufio.NewReaderSize(io.LimitReader(f, info.DataSize), 64<<10)
	frame := make([]byte, info.BlockAlign)
	for {
		if _, err := io.ReadFull(r, frame); err != nil {
			return nil
		}
		var mix float64
		for c := 0; c < info.Channels; c++ {
			mix += sample(frame[c*bytes:(c+1)*bytes], info.Format)
		}
		each(mix / float64(info.Channels))
	}
}

// sample decodes one little-endian sample to [-1, 1].
func sample(b []byte, format int) float64 {
	switch {
	case format == FormatFloat:
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
	case len(b) == 1:
		return (float64(b[0]) - 128) / 128
	case len(b) == 2:
		return float64(int16(binary.LittleEndian.Uint16(b))) / 32768
	case len(b) == 3:
		v := int32(b[0]) | int32(b[1])<<8 | int32(int8(b[2]))<<16
		return float64(v) / 8388608
	default:
		return float64(int32(binary.LittleEndian.Uint32(b))) / 2147483648
	}
}
