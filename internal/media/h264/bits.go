package h264

import (
	"errors"
	"math/bits"
)

// errShort reports a syntax element that runs past the end of its RBSP.
var errShort = errors.New("h264: truncated bitstream")

// bitReader reads the bit-level syntax of an RBSP (emulation prevention
// bytes already removed). Errors are sticky: after the first one every read
// returns 0 and err reports it.
type bitReader struct {
	b   []byte
	pos int // in bits
	err error
}

func (r *bitReader) bit() uint32 {
	if r.err != nil {
		return 0
	}
	if r.pos >= len(r.b)*8 {
		r.err = errShort
		return 0
	}
	v := uint32(r.b[r.pos>>3]>>(7-uint(r.pos&7))) & 1
	r.pos++
	return v
}

func (r *bitReader) u(n int) uint32 {
	var v uint32
	for i := 0; i < n; i++ {
		v = v<<1 | r.bit()
	}
	return v
}

func (r *bitReader) flag() bool { return r.bit() == 1 }

// ue reads an unsigned Exp-Golomb code.
func (r *bitReader) ue() uint32 {
	zeros := 0
	for r.bit() == 0 {
		if r.err != nil {
			return 0
		}
		zeros++
		if zeros > 31 {
			r.err = errors.New("h264: invalid Exp-Golomb code")
			return 0
		}
	}
	if zeros == 0 {
		return 0
	}
	return (1<<uint(zeros) - 1) + r.u(zeros)
}

// se reads a signed Exp-Golomb code.
func (r *bitReader) se() int32 {
	k := r.ue()
	if k&1 == 1 {
		return int32((k + 1) / 2)
	}
	return -int32(k / 2)
}

// lastOne returns the bit position of the rbsp_stop_one_bit: the last bit
// set in b, or -1 when b is all zeros.
func lastOne(b []byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] != 0 {
			return i*8 + 7 - bits.TrailingZeros8(b[i])
		}
	}
	return -1
}

// bitWriter builds an RBSP bit by bit.
type bitWriter struct {
	b    []byte
	cur  byte
	nbit int // bits used in cur
}

func (w *bitWriter) bit(v uint32) {
	w.cur = w.cur<<1 | byte(v&1)
	w.nbit++
	if w.nbit == 8 {
		w.b = append(w.b, w.cur)
		w.cur, w.nbit = 0, 0
	}
}

func (w *bitWriter) u(n int, v uint32) {
	for i := n - 1; i >= 0; i-- {
		w.bit(v >> uint(i))
	}
}

func (w *bitWriter) flag(v bool) {
	if v {
		w.bit(1)
	} else {
		w.bit(0)
	}
}

// ue writes an unsigned Exp-Golomb code.
func (w *bitWriter) ue(v uint32) {
	x := uint64(v) + 1
	n := bits.Len64(x)
	w.u(n-1, 0)
	for i := n - 1; i >= 0; i-- {
		w.bit(uint32(x >> uint(i)))
	}
}

// se writes a signed Exp-Golomb code.
func (w *bitWriter) se(v int32) {
	if v > 0 {
		w.ue(uint32(2*v - 1))
	} else {
		w.ue(uint32(-2 * v))
	}
}

// byte8 writes the eight bits of v.
func (w *bitWriter) byte8(v byte) {
	if w.nbit == 0 {
		w.b = append(w.b, v)
		return
	}
	s := uint(w.nbit)
	w.b = append(w.b, w.cur<<(8-s)|v>>s)
	w.cur = v & (1<<s - 1)
}

// copyBits appends bits [from, to) of src, a byte at a time where it can:
// rewriting a slice header shifts the whole slice data behind it.
func (w *bitWriter) copyBits(src []byte, from, to int) {
	p := from
	for ; p < to && p&7 != 0; p++ {
		w.bit(uint32(src[p>>3]>>(7-uint(p&7))) & 1)
	}
	for ; p+8 <= to; p += 8 {
		w.byte8(src[p>>3])
	}
	for ; p < to; p++ {
		w.bit(uint32(src[p>>3]>>(7-uint(p&7))) & 1)
	}
}

// trailing writes rbsp_trailing_bits and returns the RBSP.
func (w *bitWriter) trailing() []byte {
	w.bit(1)
	for w.nbit != 0 {
		w.bit(0)
	}
	return w.b
}
