package mp4

import (
	"encoding/binary"
	"fmt"
	"io"
	"slices"
)

// maxSamples bounds the frames References reads: an hour at 60 fps.
const maxSamples = 216000

// References reads, for the first video track of the H.264 file at path
// (MP4 or QuickTime), whether each frame in presentation order is a
// reference picture (nal_ref_idc above 0 in its first slice): the frames
// a decoder told to skip non-reference frames still decodes. It reads the
// sample tables and a few bytes of each of the first limit frames (all
// when limit is 0 or more than there are). ErrFormat when the track is
// not H.264, its frames do not all last the same, or its tables cannot be
// read.
func References(path string, limit int) ([]bool, error) {
	var refs []bool
	err := readFile(path, func(r io.ReaderAt, size int64) (err error) {
		refs, err = references(r, size, limit)
		return err
	})
	return refs, err
}

func references(r io.ReaderAt, size int64, limit int) ([]bool, error) {
	trak, err := videoTrack(r, size)
	if err != nil {
		return nil, err
	}
	stbl, ok := path(trak, "mdia", "minf", "stbl")
	if !ok {
		return nil, fmt.Errorf("%w: a video track without a sample table", ErrFormat)
	}
	return trackReferences(r, size, stbl, limit)
}

// trackReferences reads a video track's sample table stbl.
func trackReferences(r io.ReaderAt, size int64, stbl []byte, limit int) ([]bool, error) {
	bad := func(what string) error { return fmt.Errorf("%w: %s", ErrFormat, what) }
	stsd, ok := child(stbl, "stsd")
	if !ok || len(stsd) < 8 {
		return nil, bad("no sample description")
	}
	entries := children(stsd[8:])
	if len(entries) == 0 || (entries[0].typ != "avc1" && entries[0].typ != "avc3") || len(entries[0].body) < 78 {
		return nil, bad("not H.264")
	}
	avcC, ok := child(entries[0].body[78:], "avcC")
	if !ok || len(avcC) < 5 {
		return nil, bad("no H.264 configuration")
	}
	lenSize := int(avcC[4]&3) + 1

	sizes, err := sampleSizes(stbl)
	if err != nil {
		return nil, err
	}
	offsets, err := sampleOffsets(stbl, sizes)
	if err != nil {
		return nil, err
	}
	// Every frame lasts the same: presentation index and time agree.
	stts, ok := child(stbl, "stts")
	if !ok || len(stts) < 16 || binary.BigEndian.Uint32(stts[4:8]) != 1 || int(binary.BigEndian.Uint32(stts[8:12])) != len(sizes) {
		return nil, bad("frames of different durations")
	}
	// Presentation order: decoding times shifted by the composition
	// offsets (in the track's time scale).
	delta := int64(binary.BigEndian.Uint32(stts[12:16]))
	if delta <= 0 {
		return nil, bad("frames of no duration")
	}
	pts := make([]int64, len(sizes))
	for i := range pts {
		pts[i] = int64(i) * delta
	}
	if ctts, ok := child(stbl, "ctts"); ok && len(ctts) >= 8 {
		n, i := int(binary.BigEndian.Uint32(ctts[4:8])), 0
		for e := 0; e < n && 8+8*e+8 <= len(ctts); e++ {
			count := int(binary.BigEndian.Uint32(ctts[8+8*e:]))
			off := int64(int32(binary.BigEndian.Uint32(ctts[12+8*e:])))
			for ; count > 0 && i < len(pts); count, i = count-1, i+1 {
				pts[i] += off
			}
		}
	}
	order := make([]int, len(sizes))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case pts[a] < pts[b]:
			return -1
		case pts[a] > pts[b]:
			return 1
		}
		return 0
	})
	if limit > 0 && limit < len(order) {
		order = order[:limit]
	}
	refs := make([]bool, len(order))
	for p, i := range order {
		ref, err := firstSliceRef(r, size, offsets[i], int64(sizes[i]), lenSize)
		if err != nil {
			return nil, err
		}
		refs[p] = ref
	}
	return refs, nil
}

// sampleSizes reads the sample size box.
func sampleSizes(stbl []byte) ([]uint32, error) {
	stsz, ok := child(stbl, "stsz")
	if !ok || len(stsz) < 12 {
		return nil, fmt.Errorf("%w: no sample sizes", ErrFormat)
	}
	fixed, n := binary.BigEndian.Uint32(stsz[4:8]), int(binary.BigEndian.Uint32(stsz[8:12]))
	if n <= 0 || n > maxSamples || fixed == 0 && len(stsz) < 12+4*n {
		return nil, fmt.Errorf("%w: %d samples", ErrFormat, n)
	}
	sizes := make([]uint32, n)
	for i := range sizes {
		sizes[i] = fixed
		if fixed == 0 {
			sizes[i] = binary.BigEndian.Uint32(stsz[12+4*i:])
		}
	}
	return sizes, nil
}

// sampleOffsets places the samples in the file: chunks (stco or co64)
// hold runs of samples (stsc).
func sampleOffsets(stbl []byte, sizes []uint32) ([]int64, error) {
	var chunks []int64
	if stco, ok := child(stbl, "stco"); ok && len(stco) >= 8 {
		n := int(binary.BigEndian.Uint32(stco[4:8]))
		for i := 0; i < n && 8+4*i+4 <= len(stco); i++ {
			chunks = append(chunks, int64(binary.BigEndian.Uint32(stco[8+4*i:])))
		}
	} else if co64, ok := child(stbl, "co64"); ok && len(co64) >= 8 {
		n := int(binary.BigEndian.Uint32(co64[4:8]))
		for i := 0; i < n && 8+8*i+8 <= len(co64); i++ {
			chunks = append(chunks, int64(binary.BigEndian.Uint64(co64[8+8*i:])))
		}
	}
	stsc, ok := child(stbl, "stsc")
	if len(chunks) == 0 || !ok || len(stsc) < 20 {
		return nil, fmt.Errorf("%w: no chunk table", ErrFormat)
	}
	runs := int(binary.BigEndian.Uint32(stsc[4:8]))
	offsets := make([]int64, 0, len(sizes))
	for e := 0; e < runs && 8+12*e+12 <= len(stsc) && len(offsets) < len(sizes); e++ {
		first := int(binary.BigEndian.Uint32(stsc[8+12*e:])) - 1
		per := int(binary.BigEndian.Uint32(stsc[12+12*e:]))
		last := len(chunks) // the run goes on to the next one's first chunk
		if e+1 < runs && 8+12*(e+1)+4 <= len(stsc) {
			last = int(binary.BigEndian.Uint32(stsc[8+12*(e+1):])) - 1
		}
		if first < 0 || last > len(chunks) || per <= 0 {
			return nil, fmt.Errorf("%w: a bad chunk table", ErrFormat)
		}
		for c := first; c < last && len(offsets) < len(sizes); c++ {
			at := chunks[c]
			for s := 0; s < per && len(offsets) < len(sizes); s++ {
				offsets = append(offsets, at)
				at += int64(sizes[len(offsets)-1])
			}
		}
	}
	if len(offsets) != len(sizes) {
		return nil, fmt.Errorf("%w: the chunk table places %d of %d samples", ErrFormat, len(offsets), len(sizes))
	}
	return offsets, nil
}

// firstSliceRef reads the NAL units of the sample at off (size bytes,
// lengths of lenSize bytes) up to its first slice, and reports whether
// that slice belongs to a reference picture.
func firstSliceRef(r io.ReaderAt, fileSize, off, size int64, lenSize int) (bool, error) {
	end := off + size
	if off < 0 || end > fileSize {
		return false, fmt.Errorf("%w: a frame outside the file", ErrFormat)
	}
	var h [5]byte
	// A frame's first slice follows a few parameter sets and SEI
	// messages; a frame of more small units is not worth reading.
	for n := 0; off+int64(lenSize)+1 <= end && n < 16; n++ {
		if _, err := r.ReadAt(h[:lenSize+1], off); err != nil {
			return false, fmt.Errorf("%w: %v", ErrFormat, err)
		}
		var l int64
		for _, b := range h[:lenSize] {
			l = l<<8 | int64(b)
		}
		nal := h[lenSize]
		if t := nal & 0x1f; t == 1 || t == 5 {
			return nal>>5&3 != 0, nil
		}
		off += int64(lenSize) + l
	}
	return false, fmt.Errorf("%w: a frame without a slice", ErrFormat)
}
