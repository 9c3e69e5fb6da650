// Package mp4 reads what the renderer needs to know of an MP4 or
// QuickTime file's video track (its upright size, frame rate and colour
// tags) from the movie box, in a millisecond and without starting
// ffprobe. Files it cannot read fully are for ffprobe.
package mp4

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// ErrFormat reports a file that is not an MP4 or QuickTime file, or
// whose movie box cannot be read.
var ErrFormat = errors.New("mp4: not a readable MP4 or QuickTime file")

// ErrNoVideo reports a movie without a video track.
var ErrNoVideo = errors.New("mp4: no video track")

// maxMovie bounds the movie box read into memory. A movie box holds the
// sample tables: about 10 bytes a frame, so an hour at 60 fps is ~2 MiB.
const maxMovie = 64 << 20

// Video describes a file's first video track.
type Video struct {
	// Width and Height are the size of the pictures as ffmpeg decodes
	// them: upright, swapped when the track matrix turns them a quarter.
	Width, Height int
	QuarterTurn   bool
	Codec         string        // the sample entry's type, e.g. "avc1", "hvc1"
	Frames        int64         // samples in the track
	Duration      time.Duration // the track's media duration
	// Colour is set when the sample entry carries ISO colour tags
	// ('colr' of type 'nclx'): ITU-T H.273 code points and the range.
	Colour                      bool
	Primaries, Transfer, Matrix int
	FullRange                   bool

	scale, units uint64 // the media duration in the track's time scale
}

// FrameRate returns the average frame rate as a fraction, or 0/0 when
// unknown.
func (v Video) FrameRate() (num, den int64) {
	if v.Frames <= 0 || v.scale == 0 || v.units == 0 || v.scale > 1<<31 || uint64(v.Frames) > 1<<62/v.scale {
		return 0, 0
	}
	num, den = v.Frames*int64(v.scale), int64(v.units)
	g := gcd(num, den)
	return num / g, den / g
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// ReadVideo reads the first video track of the MP4 or QuickTime file at
// path.
func ReadVideo(path string) (Video, error) {
	var v Video
	err := readFile(path, func(r io.ReaderAt, size int64) (err error) {
		v, err = readVideo(r, size)
		return err
	})
	return v, err
}

// readFile calls read with the file at path and its size.
func readFile(path string, read func(r io.ReaderAt, size int64) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	return read(f, st.Size())
}

func readVideo(r io.ReaderAt, size int64) (Video, error) {
	trak, err := videoTrack(r, size)
	if err != nil {
		return Video{}, err
	}
	return readTrack(trak)
}

// videoTrack returns the body of the movie's first video track box.
func videoTrack(r io.ReaderAt, size int64) ([]byte, error) {
	moov, err := findMovie(r, size)
	if err != nil {
		return nil, err
	}
	for _, b := range children(moov) {
		if b.typ != "trak" {
			continue
		}
		if hdlr, ok := path(b.body, "mdia", "hdlr"); ok && len(hdlr) >= 12 && string(hdlr[8:12]) == "vide" {
			return b.body, nil
		}
	}
	return nil, ErrNoVideo
}

// findMovie returns the body of the top-level movie box.
func findMovie(r io.ReaderAt, size int64) ([]byte, error) {
	var off int64
	for n := 0; off+8 <= size && n < 1000; n++ {
		var h [16]byte
		if _, err := r.ReadAt(h[:8], off); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrFormat, err)
		}
		boxSize, typ, hdr := int64(binary.BigEndian.Uint32(h[:4])), string(h[4:8]), int64(8)
		switch boxSize {
		case 0: // to the end of the file
			boxSize = size - off
		case 1:
			if _, err := r.ReadAt(h[8:16], off+8); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrFormat, err)
			}
			boxSize, hdr = int64(binary.BigEndian.Uint64(h[8:16])), 16
		}
		if n == 0 && !topLevel[typ] || boxSize < hdr || boxSize > size-off {
			return nil, ErrFormat
		}
		if typ == "moov" {
			if boxSize-hdr > maxMovie {
				return nil, fmt.Errorf("%w: a %d-byte movie box", ErrFormat, boxSize)
			}
			body := make([]byte, boxSize-hdr)
			if _, err := r.ReadAt(body, off+hdr); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrFormat, err)
			}
			return body, nil
		}
		off += boxSize
	}
	return nil, ErrFormat
}

// topLevel are the boxes an MP4 or QuickTime file may start with.
var topLevel = map[string]bool{"ftyp": true, "moov": true, "mdat": true, "free": true, "skip": true, "wide": true, "pnot": true}

type box struct {
	typ  string
	body []byte
}

// children splits b into boxes, stopping at the first that does not fit.
func children(b []byte) []box {
	var out []box
	for len(b) >= 8 {
		size, hdr := uint64(binary.BigEndian.Uint32(b[:4])), uint64(8)
		switch size {
		case 0:
			size = uint64(len(b))
		case 1:
			if len(b) < 16 {
				return out
			}
			size, hdr = binary.BigEndian.Uint64(b[8:16]), 16
		}
		if size < hdr || size > uint64(len(b)) {
			return out
		}
		out = append(out, box{string(b[4:8]), b[hdr:size]})
		b = b[size:]
	}
	return out
}

// child returns the body of b's first child of type typ.
func child(b []byte, typ string) ([]byte, bool) {
	for _, c := range children(b) {
		if c.typ == typ {
			return c.body, true
		}
	}
	return nil, false
}

// path follows a chain of first children.
func path(b []byte, types ...string) ([]byte, bool) {
	for _, t := range types {
		var ok bool
		if b, ok = child(b, t); !ok {
			return nil, false
		}
	}
	return b, true
}

// readTrack reads a video track box's body.
func readTrack(trak []byte) (Video, error) {
	var v Video
	mdhd, ok := path(trak, "mdia", "mdhd")
	if !ok {
		return v, fmt.Errorf("%w: a video track without a media header", ErrFormat)
	}
	if scale, units, ok := mediaTime(mdhd); ok && scale > 0 {
		v.scale, v.units = uint64(scale), units
		v.Duration = time.Duration(float64(units) / float64(scale) * float64(time.Second))
	}
	stbl, ok := path(trak, "mdia", "minf", "stbl")
	if !ok {
		return v, fmt.Errorf("%w: a video track without a sample table", ErrFormat)
	}
	if stts, ok := child(stbl, "stts"); ok && len(stts) >= 8 {
		n := int(binary.BigEndian.Uint32(stts[4:8]))
		for i := 0; i < n && 8+8*i+8 <= len(stts); i++ {
			v.Frames += int64(binary.BigEndian.Uint32(stts[8+8*i:]))
		}
	}
	stsd, ok := child(stbl, "stsd")
	if !ok || len(stsd) < 8 {
		return v, fmt.Errorf("%w: a video track without a sample description", ErrFormat)
	}
	entries := children(stsd[8:])
	if len(entries) == 0 || len(entries[0].body) < 78 {
		return v, fmt.Errorf("%w: a video track without a visual sample entry", ErrFormat)
	}
	e := entries[0]
	v.Codec = e.typ
	v.Width, v.Height = int(binary.BigEndian.Uint16(e.body[24:26])), int(binary.BigEndian.Uint16(e.body[26:28]))
	if colr, ok := child(e.body[78:], "colr"); ok && len(colr) >= 11 && string(colr[:4]) == "nclx" {
		v.Colour = true
		v.Primaries = int(binary.BigEndian.Uint16(colr[4:6]))
		v.Transfer = int(binary.BigEndian.Uint16(colr[6:8]))
		v.Matrix = int(binary.BigEndian.Uint16(colr[8:10]))
		v.FullRange = colr[10]&0x80 != 0
	}
	if tkhd, ok := child(trak, "tkhd"); ok {
		v.QuarterTurn = quarterTurn(tkhd)
	}
	if v.QuarterTurn {
		v.Width, v.Height = v.Height, v.Width
	}
	if v.Width <= 0 || v.Height <= 0 {
		return v, fmt.Errorf("%w: a video track of size %dx%d", ErrFormat, v.Width, v.Height)
	}
	return v, nil
}

// mediaTime reads a media header's time scale and duration.
func mediaTime(mdhd []byte) (scale uint32, dur uint64, ok bool) {
	switch {
	case len(mdhd) >= 24 && mdhd[0] == 0:
		return binary.BigEndian.Uint32(mdhd[12:16]), uint64(binary.BigEndian.Uint32(mdhd[16:20])), true
	case len(mdhd) >= 36 && mdhd[0] == 1:
		return binary.BigEndian.Uint32(mdhd[20:24]), binary.BigEndian.Uint64(mdhd[24:32]), true
	}
	return 0, 0, false
}

// quarterTurn reports whether a track header's matrix turns the picture
// by a quarter (either way): a = d = 0 and |b| = |c| = 1 (16.16 fixed
// point).
func quarterTurn(tkhd []byte) bool {
	at := 40 // the matrix, after version 0's times, ID, duration and layer fields
	if len(tkhd) > 0 && tkhd[0] == 1 {
		at = 52
	}
	if len(tkhd) < at+36 {
		return false
	}
	m := func(i int) int32 { return int32(binary.BigEndian.Uint32(tkhd[at+4*i:])) }
	abs := func(x int32) int32 { return max(x, -x) }
	return m(0) == 0 && m(4) == 0 && abs(m(1)) == 1<<16 && abs(m(3)) == 1<<16
}
