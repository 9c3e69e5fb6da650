package h264

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// ParamSets holds parsed parameter sets by id, with their NAL units.
type ParamSets struct {
	SPS    map[int]*SPS
	PPS    map[int]*PPS
	RawSPS map[int]NAL
	RawPPS map[int]NAL
}

// NewParamSets returns an empty set.
func NewParamSets() *ParamSets {
	return &ParamSets{
		SPS: map[int]*SPS{}, PPS: map[int]*PPS{},
		RawSPS: map[int]NAL{}, RawPPS: map[int]NAL{},
	}
}

// ErrParamMismatch reports two parameter sets with the same id but
// different contents: streams encoded with different settings cannot be
// spliced.
var ErrParamMismatch = errors.New("h264: parameter sets differ")

// Add parses and stores an SPS or PPS NAL unit. With strict set, a set
// whose id is already known with other contents is refused with
// ErrParamMismatch; otherwise it replaces the old one.
func (ps *ParamSets) Add(n NAL, strict bool) error {
	switch n.Type() {
	case TypeSPS:
		s, err := ParseSPS(n)
		if err != nil {
			return err
		}
		if old, ok := ps.RawSPS[s.ID]; ok {
			if bytes.Equal(old, n) {
				return nil
			}
			if strict {
				return fmt.Errorf("%w: SPS %d", ErrParamMismatch, s.ID)
			}
		}
		ps.SPS[s.ID], ps.RawSPS[s.ID] = s, append(NAL(nil), n...)
	case TypePPS:
		p, err := ParsePPS(n)
		if err != nil {
			return err
		}
		if old, ok := ps.RawPPS[p.ID]; ok {
			if bytes.Equal(old, n) {
				return nil
			}
			if strict {
				return fmt.Errorf("%w: PPS %d", ErrParamMismatch, p.ID)
			}
		}
		ps.PPS[p.ID], ps.RawPPS[p.ID] = p, append(NAL(nil), n...)
	default:
		return fmt.Errorf("h264: NAL type %d is not a parameter set", n.Type())
	}
	return nil
}

// Picture describes the coded picture of an access unit.
type Picture struct {
	IDR      bool
	RefIdc   int
	FrameNum int
	IDRPicID int
	POCLsb   int
	PPSID    int
}

// AccessUnit is the NAL units of one coded picture, with the parameter
// sets and SEI messages that precede it.
type AccessUnit struct {
	NALs    []NAL
	Picture Picture
	// headers holds the parsed header of each VCL NAL unit, by index in NALs.
	headers map[int]*SliceHeader
}

// Stream is a parsed Annex B byte stream.
type Stream struct {
	Params *ParamSets
	Units  []AccessUnit
}

// SPS returns the first sequence parameter set (x264 uses only id 0).
func (s *Stream) SPS() *SPS {
	for id := 0; id < 32; id++ {
		if v, ok := s.Params.SPS[id]; ok {
			return v
		}
	}
	return nil
}

// PPS returns the first picture parameter set.
func (s *Stream) PPS() *PPS {
	for id := 0; id < 256; id++ {
		if v, ok := s.Params.PPS[id]; ok {
			return v
		}
	}
	return nil
}

// SameParams reports whether a and b use byte-identical parameter sets
// for every id they both define, and at least one SPS and PPS each.
func SameParams(a, b *Stream) bool { return SameParamSets(a.Params, b.Params) }

// SameParamSets reports whether a and b hold byte-identical parameter sets
// for every id they both define, and at least one SPS and PPS each.
func SameParamSets(a, b *ParamSets) bool {
	if len(a.RawSPS) == 0 || len(b.RawSPS) == 0 ||
		len(a.RawPPS) == 0 || len(b.RawPPS) == 0 {
		return false
	}
	for id, n := range a.RawSPS {
		if m, ok := b.RawSPS[id]; ok && !bytes.Equal(n, m) {
			return false
		}
	}
	for id, n := range a.RawPPS {
		if m, ok := b.RawPPS[id]; ok && !bytes.Equal(n, m) {
			return false
		}
	}
	return true
}

// Parse splits an Annex B byte stream into access units. The stream must
// start with its parameter sets and every parameter set must keep its
// contents (as x264 writes them). The access units alias b.
func Parse(b []byte) (*Stream, error) {
	st := &Stream{Params: NewParamSets()}
	ab := &unitBuilder{params: st.Params}
	for _, n := range SplitAnnexB(b) {
		au, err := ab.add(n)
		if err != nil {
			return nil, err
		}
		if au != nil {
			st.Units = append(st.Units, *au)
		}
	}
	if au := ab.flush(); au != nil {
		st.Units = append(st.Units, *au)
	}
	if len(st.Units) == 0 {
		return nil, errors.New("h264: no coded picture in stream")
	}
	return st, nil
}

// unitBuilder groups NAL units into access units.
type unitBuilder struct {
	params *ParamSets
	cur    *AccessUnit
	hasVCL bool
}

// add appends n to the access unit being built, and returns the previous
// access unit when n starts a new one.
func (ab *unitBuilder) add(n NAL) (*AccessUnit, error) {
	t := n.Type()
	newAU := false
	switch {
	case t == TypeAUD || t == TypeSPS || t == TypePPS || t == TypeSEI || (t >= 14 && t <= 18):
		newAU = ab.hasVCL
	case n.IsVCL():
		if ab.hasVCL {
			fm, err := firstMB(n)
			if err != nil {
				return nil, err
			}
			newAU = fm == 0
		}
	}
	var done *AccessUnit
	if newAU {
		done = ab.flush()
	}
	if ab.cur == nil {
		ab.cur = &AccessUnit{headers: map[int]*SliceHeader{}}
	}
	cur := ab.cur
	if t == TypeSPS || t == TypePPS {
		if err := ab.params.Add(n, true); err != nil {
			return nil, err
		}
	}
	if n.IsVCL() {
		h, err := ParseSliceHeader(n, ab.params)
		if err != nil {
			return nil, err
		}
		cur.headers[len(cur.NALs)] = h
		if !ab.hasVCL {
			cur.Picture = Picture{
				IDR: t == TypeIDR, RefIdc: n.RefIdc(), FrameNum: h.FrameNum,
				IDRPicID: h.IDRPicID, POCLsb: h.POCLsb, PPSID: h.PPSID,
			}
		}
		ab.hasVCL = true
	}
	cur.NALs = append(cur.NALs, n)
	return done, nil
}

// flush returns the access unit being built, if it holds a picture, and
// starts afresh.
func (ab *unitBuilder) flush() *AccessUnit {
	cur, has := ab.cur, ab.hasVCL
	ab.cur, ab.hasVCL = nil, false
	if cur == nil || !has {
		return nil
	}
	return cur
}

// MaxNAL bounds the size of one NAL unit a Reader accepts.
const MaxNAL = 64 << 20

// Reader reads the access units of an Annex B byte stream one at a time,
// holding only the unit being read (and the next NAL unit) in memory, so
// a long video can be spliced without loading it. The same rules as
// Parse apply.
type Reader struct {
	sc      *bufio.Scanner
	ab      unitBuilder
	pending *AccessUnit
	err     error
	units   int
}

// NewReader returns a Reader of the byte stream r.
func NewReader(r io.Reader) *Reader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 256<<10), MaxNAL)
	sc.Split(splitNAL)
	return &Reader{sc: sc, ab: unitBuilder{params: NewParamSets()}}
}

// Params returns the parameter sets read so far.
func (r *Reader) Params() *ParamSets { return r.ab.params }

// Next returns the next access unit, or io.EOF after the last. A stream
// without any picture is an error. The returned unit stays valid after
// later calls.
func (r *Reader) Next() (*AccessUnit, error) {
	if r.err != nil {
		return nil, r.err
	}
	for r.sc.Scan() {
		n := bytes.TrimRight(r.sc.Bytes(), "\x00")
		if len(n) == 0 {
			continue
		}
		au, err := r.ab.add(NAL(bytes.Clone(n)))
		if err != nil {
			r.err = err
			return nil, err
		}
		if au != nil {
			r.units++
			return au, nil
		}
	}
	if err := r.sc.Err(); err != nil {
		r.err = fmt.Errorf("h264: read stream: %w", err)
		return nil, r.err
	}
	if au := r.ab.flush(); au != nil {
		r.units++
		return au, nil
	}
	r.err = io.EOF
	if r.units == 0 {
		r.err = errors.New("h264: no coded picture in stream")
	}
	return nil, r.err
}

// splitNAL is a bufio.SplitFunc that yields the NAL units of an Annex B
// byte stream, start codes removed (trailing zero bytes, the first byte of
// a following 4-byte start code, are left for the caller to trim).
func splitNAL(data []byte, atEOF bool) (int, []byte, error) {
	i := bytes.Index(data, startCode3)
	if i < 0 {
		if atEOF {
			return len(data), nil, nil // no start code: nothing but garbage
		}
		return max(0, len(data)-2), nil, nil
	}
	start := i + 3
	j := bytes.Index(data[start:], startCode3)
	if j < 0 {
		if atEOF {
			return len(data), data[start:], nil
		}
		return i, nil, nil // skip what precedes the start code, read more
	}
	return start + j, data[start : start+j], nil
}

var startCode3 = []byte{0, 0, 1}
