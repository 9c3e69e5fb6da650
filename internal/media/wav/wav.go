// Package wav reads the header of RIFF/WAVE files, to learn their format
// and duration without running ffprobe, and joins PCM WAV files with
// silences between them, reporting where each part starts and ends.
package wav

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ytmaker/ytmaker/internal/atomicfile"
)

// Format codes of the fmt chunk.
const (
	FormatPCM        = 1
	FormatFloat      = 3
	formatExtensible = 0xFFFE
)

// ErrNotWAV reports data that is not a RIFF/WAVE file.
var ErrNotWAV = errors.New("wav: not a RIFF/WAVE file")

// Info describes a WAV file.
type Info struct {
	Format        int // FormatPCM or FormatFloat (WAVE_FORMAT_EXTENSIBLE is resolved)
	Channels      int
	SampleRate    int
	BitsPerSample int
	BlockAlign    int   // bytes per frame (all channels)
	DataOffset    int64 // where the samples start
	DataSize      int64 // bytes of samples
}

// Frames returns the number of sample frames.
func (i Info) Frames() int64 {
	if i.BlockAlign == 0 {
		return 0
	}
	return i.DataSize / int64(i.BlockAlign)
}

// Duration returns the play time of the samples.
func (i Info) Duration() time.Duration {
	if i.SampleRate == 0 {
		return 0
	}
	return FramesDuration(i.Frames(), i.SampleRate)
}

// FramesDuration converts a number of sample frames to a duration,
// rounded to the nearest nanosecond.
func FramesDuration(frames int64, rate int) time.Duration {
	return time.Duration((frames*int64(time.Second) + int64(rate)/2) / int64(rate))
}

// SameFormat reports whether two files can be joined sample for sample.
func (i Info) SameFormat(o Info) bool {
	return i.Format == o.Format && i.Channels == o.Channels && i.SampleRate == o.SampleRate &&
		i.BitsPerSample == o.BitsPerSample && i.BlockAlign == o.BlockAlign
}

// ReadInfo reads the header of the WAV file at path.
func ReadInfo(path string) (Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return Info{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Info{}, err
	}
	info, err := Parse(f, st.Size())
	if err != nil {
		return Info{}, fmt.Errorf("%s: %w", path, err)
	}
	return info, nil
}

// Duration returns the play time of the WAV file at path.
func Duration(path string) (time.Duration, error) {
	info, err := ReadInfo(path)
	if err != nil {
		return 0, err
	}
	return info.Duration(), nil
}

// Parse reads a WAV header from r, whose total size is size (or -1 when
// unknown). A data chunk whose declared size runs past the end of the file
// (as written by programs streaming to a pipe) is clamped to the file.
func Parse(r io.Reader, size int64) (Info, error) {
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return Info{}, ErrNotWAV
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return Info{}, ErrNotWAV
	}
	var info Info
	haveFmt := false
	pos := int64(12)
	for {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			return Info{}, errors.New("wav: no data chunk")
		}
		pos += 8
		id := string(ch[0:4])
		n := int64(binary.LittleEndian.Uint32(ch[4:8]))
		switch id {
		case "fmt ":
			if n < 16 || n > 1<<16 {
				return Info{}, errors.New("wav: bad fmt chunk")
			}
			buf := make([]byte, n)
			if _, err := io.ReadFull(r, buf); err != nil {
				return Info{}, errors.New("wav: short fmt chunk")
			}
			pos += n
			info.Format = int(binary.LittleEndian.Uint16(buf[0:2]))
			info.Channels = int(binary.LittleEndian.Uint16(buf[2:4]))
			info.SampleRate = int(binary.LittleEndian.Uint32(buf[4:8]))
			info.BlockAlign = int(binary.LittleEndian.Uint16(buf[12:14]))
			info.BitsPerSample = int(binary.LittleEndian.Uint16(buf[14:16]))
			if info.Format == formatExtensible && n >= 26 {
				info.Format = int(binary.LittleEndian.Uint16(buf[24:26]))
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return Info{}, errors.New("wav: data chunk before fmt chunk")
			}
			if info.Channels == 0 || info.SampleRate == 0 || info.BlockAlign == 0 {
				return Info{}, errors.New("wav: invalid format")
			}
			info.DataOffset = pos
			info.DataSize = n
			if size >= 0 && pos+n > size {
				info.DataSize = size - pos
			}
			info.DataSize -= info.DataSize % int64(info.BlockAlign)
			return info, nil
		default:
			skip := n + n&1 // chunks are padded to even sizes
			if _, err := io.CopyN(io.Discard, r, skip); err != nil {
				return Info{}, errors.New("wav: no data chunk")
			}
			pos += skip
		}
		if n&1 == 1 && id == "fmt " {
			if _, err := io.CopyN(io.Discard, r, 1); err != nil {
				return Info{}, errors.New("wav: no data chunk")
			}
			pos++
		}
	}
}

// WriteHeader writes a canonical 44-byte header for dataSize bytes of
// samples in format info.
func WriteHeader(w io.Writer, info Info, dataSize int64) error {
	if dataSize > 0xFFFFFFFF-36 {
		return errors.New("wav: data too large for a RIFF file")
	}
	var h [44]byte
	copy(h[0:4], "RIFF")
	binary.LittleEndian.PutUint32(h[4:8], uint32(36+dataSize))
	copy(h[8:16], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:20], 16)
	binary.LittleEndian.PutUint16(h[20:22], uint16(info.Format))
	binary.LittleEndian.PutUint16(h[22:24], uint16(info.Channels))
	binary.LittleEndian.PutUint32(h[24:28], uint32(info.SampleRate))
	binary.LittleEndian.PutUint32(h[28:32], uint32(info.SampleRate*info.BlockAlign))
	binary.LittleEndian.PutUint16(h[32:34], uint16(info.BlockAlign))
	binary.LittleEndian.PutUint16(h[34:36], uint16(info.BitsPerSample))
	copy(h[36:40], "data")
	binary.LittleEndian.PutUint32(h[40:44], uint32(dataSize))
	_, err := w.Write(h[:])
	return err
}

// Part is one piece of a joined file: a WAV file, or silence when Path is
// empty.
type Part struct {
	Path    string
	Silence time.Duration
}

// Span is where a part lies in the joined file.
type Span struct {
	Start, End time.Duration
}

// Concat joins parts into one WAV file written atomically at dst. Every
// file must share the format of the first; silences are written in that
// format (at least one part must be a file). It returns the span of each
// part, exact to the sample.
func Concat(dst string, parts []Part) ([]Span, error) {
	var format Info
	infos := make([]Info, len(parts))
	found := false
	for i, p := range parts {
		if p.Path == "" {
			continue
		}
		info, err := ReadInfo(p.Path)
		if err != nil {
			return nil, err
		}
		if found && !info.SameFormat(format) {
			return nil, fmt.Errorf("wav: %s is %d Hz/%d ch/%d bit, unlike the first file (%d Hz/%d ch/%d bit)",
				p.Path, info.SampleRate, info.Channels, info.BitsPerSample,
				format.SampleRate, format.Channels, format.BitsPerSample)
		}
		if !found {
			format, found = info, true
		}
		infos[i] = info
	}
	if !found {
		return nil, errors.New("wav: nothing to join but silence")
	}
	frames := make([]int64, len(parts))
	var total int64
	for i, p := range parts {
		if p.Path != "" {
			frames[i] = infos[i].Frames()
		} else if p.Silence > 0 {
			frames[i] = int64(p.Silence) * int64(format.SampleRate) / int64(time.Second)
		}
		total += frames[i]
	}
	spans := make([]Span, len(parts))
	var at int64
	for i := range parts {
		spans[i] = Span{FramesDuration(at, format.SampleRate), FramesDuration(at+frames[i], format.SampleRate)}
		at += frames[i]
	}
	err := atomicfile.Write(dst, 0o644, func(w io.Writer) error {
		if err := WriteHeader(w, format, total*int64(format.BlockAlign)); err != nil {
			return err
		}
		for i, p := range parts {
			if p.Path == "" {
				if err := writeSilence(w, format, frames[i]); err != nil {
					return err
				}
				continue
			}
			if err := copySamples(w, p.Path, infos[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return spans, nil
}

func copySamples(w io.Writer, path string, info Info) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Seek(info.DataOffset, io.SeekStart); err != nil {
		return err
	}
	n, err := io.CopyN(w, f, info.DataSize)
	if err != nil {
		return fmt.Errorf("copy samples of %s (%d of %d bytes): %w", path, n, info.DataSize, err)
	}
	return nil
}

func writeSilence(w io.Writer, info Info, frames int64) error {
	zero := byte(0)
	if info.Format == FormatPCM && info.BitsPerSample == 8 {
		zero = 0x80 // unsigned 8-bit PCM is centred on 128
	}
	buf := make([]byte, 32<<10)
	for i := range buf {
		buf[i] = zero
	}
	left := frames * int64(info.BlockAlign)
	for left > 0 {
		n := int64(len(buf))
		if n > left {
			n = left
		}
		if _, err := w.Write(buf[:n]); err != nil {
			return err
		}
		left -= n
	}
	return nil
}

// WriteSilence writes a WAV file at path holding d of silence in format
// info (Format, Channels, SampleRate, BitsPerSample, BlockAlign).
func WriteSilence(path string, info Info, d time.Duration) error {
	frames := int64(d) * int64(info.SampleRate) / int64(time.Second)
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		if err := WriteHeader(w, info, frames*int64(info.BlockAlign)); err != nil {
			return err
		}
		return writeSilence(w, info, frames)
	})
}

// PCM16 returns the format of 16-bit PCM audio.
func PCM16(rate, channels int) Info {
	return Info{Format: FormatPCM, Channels: channels, SampleRate: rate, BitsPerSample: 16, BlockAlign: 2 * channels}
}

// WritePCM writes samples (little-endian, in info's format) as a WAV file
// at path, atomically. A trailing partial frame is dropped.
func WritePCM(path string, info Info, samples []byte) error {
	if info.BlockAlign > 0 {
		samples = samples[:len(samples)-len(samples)%info.BlockAlign]
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		if err := WriteHeader(w, info, int64(len(samples))); err != nil {
			return err
		}
		_, err := w.Write(samples)
		return err
	})
}

// Peak returns the largest absolute sample value of 16-bit PCM samples,
// as a share of full scale (0 to 1): 0 means silence.
func Peak(samples []byte) float64 {
	var peak int
	for i := 0; i+1 < len(samples); i += 2 {
		v := int(int16(binary.LittleEndian.Uint16(samples[i:])))
		if v < 0 {
			v = -v
		}
		peak = max(peak, v)
	}
	return float64(peak) / 32768
}
