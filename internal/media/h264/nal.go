// Package h264 reads and writes H.264 Annex B byte streams at the level of
// NAL units, parameter sets and slice headers. It is enough to splice
// streams encoded with identical parameters, to lengthen a picture by
// appending synthesized P pictures made only of skipped macroblocks, which
// repeat the previous picture exactly at a cost of a few bytes each, and
// to move a picture by synthesized P pictures made only of motion vectors
// (MotionPicture), which show the previous reference picture with every
// 8x8 block moved by its own vector.
package h264

import "bytes"

// NAL unit types used by this package.
const (
	TypeSlice = 1  // coded slice of a non-IDR picture
	TypeIDR   = 5  // coded slice of an IDR picture
	TypeSEI   = 6  // supplemental enhancement information
	TypeSPS   = 7  // sequence parameter set
	TypePPS   = 8  // picture parameter set
	TypeAUD   = 9  // access unit delimiter
	TypeEOSeq = 10 // end of sequence
	TypeEOS   = 11 // end of stream
	TypeFill  = 12 // filler data
)

// NAL is one NAL unit: its header byte followed by the escaped payload
// (emulation prevention bytes included), without the start code.
type NAL []byte

// Type returns nal_unit_type.
func (n NAL) Type() int {
	if len(n) == 0 {
		return 0
	}
	return int(n[0] & 0x1f)
}

// RefIdc returns nal_ref_idc.
func (n NAL) RefIdc() int {
	if len(n) == 0 {
		return 0
	}
	return int(n[0]>>5) & 3
}

// IsVCL reports whether n carries a coded slice.
func (n NAL) IsVCL() bool { t := n.Type(); return t >= 1 && t <= 5 }

// RBSP returns the payload after the header byte with emulation
// prevention bytes removed.
func (n NAL) RBSP() []byte {
	if len(n) < 2 {
		return nil
	}
	return Unescape(n[1:])
}

// SplitAnnexB returns the NAL units of an Annex B byte stream (3- or 4-byte
// start codes). Trailing zero bytes of a NAL unit (trailing_zero_8bits)
// are dropped. The returned NALs alias b.
func SplitAnnexB(b []byte) []NAL {
	var out []NAL
	start := -1
	i := 0
	for i+2 < len(b) {
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 {
			if start >= 0 {
				out = appendNAL(out, b[start:i])
			}
			i += 3
			start = i
			continue
		}
		i++
	}
	if start >= 0 && start < len(b) {
		out = appendNAL(out, b[start:])
	}
	return out
}

func appendNAL(out []NAL, n []byte) []NAL {
	n = bytes.TrimRight(n, "\x00")
	if len(n) == 0 {
		return out
	}
	return append(out, NAL(n))
}

// Unescape removes emulation prevention bytes (the 0x03 in 00 00 03).
func Unescape(b []byte) []byte {
	if bytes.Index(b, []byte{0, 0, 3}) < 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	zeros := 0
	for _, c := range b {
		if zeros >= 2 && c == 3 {
			zeros = 0
			continue
		}
		out = append(out, c)
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return out
}

// Escape inserts emulation prevention bytes so that the RBSP b contains no
// start code prefix once written to a byte stream.
func Escape(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/64+1)
	zeros := 0
	for _, c := range b {
		if zeros >= 2 && c <= 3 {
			out = append(out, 3)
			zeros = 0
		}
		out = append(out, c)
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return out
}

// startCode precedes every NAL unit this package writes.
var startCode = []byte{0, 0, 0, 1}
