package h264

import (
	"bytes"
	"errors"
	"fmt"
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
func SameParams(a, b *Stream) bool {
	if len(a.Params.RawSPS) == 0 || len(b.Params.RawSPS) == 0 ||
		len(a.Params.RawPPS) == 0 || len(b.Params.RawPPS) == 0 {
		return false
	}
	for id, n := range a.Params.RawSPS {
		if m, ok := b.Params.RawSPS[id]; ok && !bytes.Equal(n, m) {
			return false
		}
	}
	for id, n := range a.Params.RawPPS {
		if m, ok := b.Params.RawPPS[id]; ok && !bytes.Equal(n, m) {
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
	var cur *AccessUnit
	hasVCL := false
	flush := func() {
		if cur != nil && hasVCL {
			st.Units = append(st.Units, *cur)
		}
		cur, hasVCL = nil, false
	}
	for _, n := range SplitAnnexB(b) {
		t := n.Type()
		newAU := false
		switch {
		case t == TypeAUD || t == TypeSPS || t == TypePPS || t == TypeSEI || (t >= 14 && t <= 18):
			newAU = hasVCL
		case n.IsVCL():
			if hasVCL {
				fm, err := firstMB(n)
				if err != nil {
					return nil, err
				}
				newAU = fm == 0
			}
		}
		if newAU {
			flush()
		}
		if cur == nil {
			cur = &AccessUnit{headers: map[int]*SliceHeader{}}
		}
		if t == TypeSPS || t == TypePPS {
			if err := st.Params.Add(n, true); err != nil {
				return nil, err
			}
		}
		if n.IsVCL() {
			h, err := ParseSliceHeader(n, st.Params)
			if err != nil {
				return nil, err
			}
			cur.headers[len(cur.NALs)] = h
			if !hasVCL {
				cur.Picture = Picture{
					IDR: t == TypeIDR, RefIdc: n.RefIdc(), FrameNum: h.FrameNum,
					IDRPicID: h.IDRPicID, POCLsb: h.POCLsb, PPSID: h.PPSID,
				}
			}
			hasVCL = true
		}
		cur.NALs = append(cur.NALs, n)
	}
	flush()
	if len(st.Units) == 0 {
		return nil, errors.New("h264: no coded picture in stream")
	}
	return st, nil
}
