package h264

import (
	"errors"
	"fmt"
)

// ErrUnsupported marks a stream whose coding tools this package cannot
// extend with skipped pictures (CABAC, field coding, slice groups, ...).
var ErrUnsupported = errors.New("h264: unsupported stream")

// SPS holds the sequence parameter set fields this package needs.
type SPS struct {
	ProfileIdc              int
	ConstraintFlags         int
	LevelIdc                int
	ID                      int
	ChromaFormatIdc         int
	SeparateColourPlane     bool
	Log2MaxFrameNum         int
	PicOrderCntType         int
	Log2MaxPicOrderCntLsb   int // POC type 0 only
	DeltaPicOrderAlwaysZero bool
	MaxNumRefFrames         int
	GapsInFrameNumAllowed   bool
	WidthInMbs              int
	HeightInMapUnits        int
	FrameMbsOnly            bool
	MbAdaptiveFrameField    bool
	Direct8x8Inference      bool
	CropLeft, CropRight     int
	CropTop, CropBottom     int
	VUIPresent              bool

	// pocPos and pocEnd delimit pic_order_cnt_type and the fields that
	// depend on it, in bits of the RBSP.
	pocPos, pocEnd int
}

// ChromaArrayType is the ChromaArrayType variable of the specification.
func (s *SPS) ChromaArrayType() int {
	if s.SeparateColourPlane {
		return 0
	}
	return s.ChromaFormatIdc
}

// FrameHeightInMbs is the height of a frame in macroblocks.
func (s *SPS) FrameHeightInMbs() int {
	if s.FrameMbsOnly {
		return s.HeightInMapUnits
	}
	return 2 * s.HeightInMapUnits
}

// PicSizeInMbs is the number of macroblocks of a frame picture.
func (s *SPS) PicSizeInMbs() int { return s.WidthInMbs * s.FrameHeightInMbs() }

// Size returns the displayed (cropped) width and height in pixels.
func (s *SPS) Size() (int, int) {
	cx, cy := 1, 2
	if s.FrameMbsOnly {
		cy = 1
	}
	switch s.ChromaArrayType() {
	case 1:
		cx, cy = 2, cy*2
	case 2:
		cx = 2
	}
	w := s.WidthInMbs*16 - cx*(s.CropLeft+s.CropRight)
	h := s.FrameHeightInMbs()*16 - cy*(s.CropTop+s.CropBottom)
	return w, h
}

// MaxFrameNum is the modulus of frame_num.
func (s *SPS) MaxFrameNum() int { return 1 << uint(s.Log2MaxFrameNum) }

// ParseSPS parses a sequence parameter set NAL unit (header included).
func ParseSPS(n NAL) (*SPS, error) {
	if n.Type() != TypeSPS {
		return nil, fmt.Errorf("h264: NAL type %d is not an SPS", n.Type())
	}
	r := &bitReader{b: n.RBSP()}
	s := &SPS{}
	s.ProfileIdc = int(r.u(8))
	s.ConstraintFlags = int(r.u(8))
	s.LevelIdc = int(r.u(8))
	s.ID = int(r.ue())
	s.ChromaFormatIdc = 1
	switch s.ProfileIdc {
	case 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135:
		s.ChromaFormatIdc = int(r.ue())
		if s.ChromaFormatIdc == 3 {
			s.SeparateColourPlane = r.flag()
		}
		r.ue() // bit_depth_luma_minus8
		r.ue() // bit_depth_chroma_minus8
		r.flag()
		if r.flag() { // seq_scaling_matrix_present_flag
			lists := 8
			if s.ChromaFormatIdc == 3 {
				lists = 12
			}
			for i := 0; i < lists; i++ {
				if r.flag() {
					size := 16
					if i >= 6 {
						size = 64
					}
					skipScalingList(r, size)
				}
			}
		}
	}
	s.Log2MaxFrameNum = int(r.ue()) + 4
	s.pocPos = r.pos
	s.PicOrderCntType = int(r.ue())
	switch s.PicOrderCntType {
	case 0:
		s.Log2MaxPicOrderCntLsb = int(r.ue()) + 4
	case 1:
		s.DeltaPicOrderAlwaysZero = r.flag()
		r.se()
		r.se()
		cycle := r.ue()
		if cycle > 255 {
			return nil, errors.New("h264: invalid SPS (num_ref_frames_in_pic_order_cnt_cycle)")
		}
		for i := uint32(0); i < cycle; i++ {
			r.se()
		}
	}
	s.pocEnd = r.pos
	s.MaxNumRefFrames = int(r.ue())
	s.GapsInFrameNumAllowed = r.flag()
	s.WidthInMbs = int(r.ue()) + 1
	s.HeightInMapUnits = int(r.ue()) + 1
	s.FrameMbsOnly = r.flag()
	if !s.FrameMbsOnly {
		s.MbAdaptiveFrameField = r.flag()
	}
	s.Direct8x8Inference = r.flag()
	if r.flag() {
		s.CropLeft = int(r.ue())
		s.CropRight = int(r.ue())
		s.CropTop = int(r.ue())
		s.CropBottom = int(r.ue())
	}
	s.VUIPresent = r.flag()
	if r.err != nil {
		return nil, fmt.Errorf("h264: parse SPS: %w", r.err)
	}
	if s.Log2MaxFrameNum > 16 || s.Log2MaxPicOrderCntLsb > 16 {
		return nil, errors.New("h264: invalid SPS (log2 limits)")
	}
	return s, nil
}

func skipScalingList(r *bitReader, size int) {
	last, next := int32(8), int32(8)
	for j := 0; j < size && r.err == nil; j++ {
		if next != 0 {
			delta := r.se()
			next = (last + delta + 256) % 256
		}
		if next != 0 {
			last = next
		}
	}
}

// PPS holds the picture parameter set fields this package needs.
type PPS struct {
	ID                         int
	SPSID                      int
	EntropyCodingMode          bool // true = CABAC
	BottomFieldPicOrderPresent bool
	NumSliceGroups             int
	NumRefIdxL0DefaultActive   int
	NumRefIdxL1DefaultActive   int
	WeightedPred               bool
	WeightedBipredIdc          int
	PicInitQP                  int
	DeblockingFilterControl    bool
	ConstrainedIntraPred       bool
	RedundantPicCntPresent     bool
}

// ParsePPS parses a picture parameter set NAL unit (header included). Only
// the fields before the optional High profile extension are read.
func ParsePPS(n NAL) (*PPS, error) {
	if n.Type() != TypePPS {
		return nil, fmt.Errorf("h264: NAL type %d is not a PPS", n.Type())
	}
	r := &bitReader{b: n.RBSP()}
	p := &PPS{}
	p.ID = int(r.ue())
	p.SPSID = int(r.ue())
	p.EntropyCodingMode = r.flag()
	p.BottomFieldPicOrderPresent = r.flag()
	p.NumSliceGroups = int(r.ue()) + 1
	if p.NumSliceGroups > 1 {
		// Slice group maps are not parsed; the stream is unsupported anyway.
		if r.err != nil {
			return nil, fmt.Errorf("h264: parse PPS: %w", r.err)
		}
		return p, nil
	}
	p.NumRefIdxL0DefaultActive = int(r.ue()) + 1
	p.NumRefIdxL1DefaultActive = int(r.ue()) + 1
	p.WeightedPred = r.flag()
	p.WeightedBipredIdc = int(r.u(2))
	p.PicInitQP = 26 + int(r.se())
	r.se() // pic_init_qs_minus26
	r.se() // chroma_qp_index_offset
	p.DeblockingFilterControl = r.flag()
	p.ConstrainedIntraPred = r.flag()
	p.RedundantPicCntPresent = r.flag()
	if r.err != nil {
		return nil, fmt.Errorf("h264: parse PPS: %w", r.err)
	}
	return p, nil
}

// CheckSkippable reports whether pictures made of skipped macroblocks can
// be synthesized for a stream with these parameter sets, wrapping
// ErrUnsupported with the reason when not.
func CheckSkippable(s *SPS, p *PPS) error {
	switch {
	case p.EntropyCodingMode:
		return fmt.Errorf("%w: CABAC entropy coding (encode with cabac=0)", ErrUnsupported)
	case !s.FrameMbsOnly:
		return fmt.Errorf("%w: field or MBAFF coding", ErrUnsupported)
	case s.SeparateColourPlane:
		return fmt.Errorf("%w: separate colour planes", ErrUnsupported)
	case p.NumSliceGroups > 1:
		return fmt.Errorf("%w: slice groups", ErrUnsupported)
	case s.PicOrderCntType == 1:
		return fmt.Errorf("%w: pic_order_cnt_type 1", ErrUnsupported)
	case s.MaxNumRefFrames < 1:
		return fmt.Errorf("%w: max_num_ref_frames is 0 (intra-only stream)", ErrUnsupported)
	}
	return nil
}
