package h264

import "fmt"

// MV is a luma motion vector in quarter samples.
type MV struct{ X, Y int32 }

// MotionField is one motion vector for every 8x8 luma block of a picture,
// row by row. A picture made from it (MotionPicture) shows the reference
// picture with each block moved: the sample at (x, y) of the new picture
// is the reference sample at (x, y) + MV/4, interpolated as H.264 does
// (six-tap half samples, bilinear quarter samples, eighth-sample chroma).
type MotionField struct {
	WidthInMbs, HeightInMbs int
	MVs                     []MV // 2*WidthInMbs by 2*HeightInMbs
}

// NewMotionField returns a zero field for a picture of the given size in
// macroblocks.
func NewMotionField(widthInMbs, heightInMbs int) *MotionField {
	return &MotionField{WidthInMbs: widthInMbs, HeightInMbs: heightInMbs,
		MVs: make([]MV, 4*widthInMbs*heightInMbs)}
}

// Set sets the vector of the 8x8 block at column bx, row by.
func (f *MotionField) Set(bx, by int, v MV) { f.MVs[by*2*f.WidthInMbs+bx] = v }

// At returns the vector of the 8x8 block at column bx, row by.
func (f *MotionField) At(bx, by int) MV { return f.MVs[by*2*f.WidthInMbs+bx] }

// mvState holds the vectors already coded in a slice, for motion vector
// prediction (H.264 8.4.1.3). Every coded partition uses reference index
// 0; a block is available when its macroblock precedes the current one,
// or is the current one and the block was coded before (done).
type mvState struct {
	w, h int // in macroblocks
	mvs  []MV
	cur  int     // current macroblock address
	done [4]bool // 8x8 blocks of the current macroblock already coded
}

// neighbour returns the vector at luma offset (x, y) from the top-left
// corner of the current macroblock (x, y may be -1 or up to 16), and
// whether that location is available.
func (s *mvState) neighbour(x, y int) (MV, bool) {
	mbx, mby := s.cur%s.w, s.cur/s.w
	px, py := mbx*16+x, mby*16+y
	if px < 0 || py < 0 || px >= s.w*16 || py >= s.h*16 {
		return MV{}, false
	}
	addr := (py/16)*s.w + px/16
	if addr > s.cur {
		return MV{}, false
	}
	if addr == s.cur && !s.done[(py%16)/8*2+(px%16)/8] {
		return MV{}, false
	}
	return s.mvs[(py/8)*2*s.w+px/8], true
}

// predict returns the predicted vector of the partition at (x, y), w wide,
// in the current macroblock (8.4.1.3 with 8.4.1.3.1 median prediction;
// only 16x16 and 8x8 partitions are used, which have no directional rule).
func (s *mvState) predict(x, y, w int) MV {
	a, okA := s.neighbour(x-1, y)
	b, okB := s.neighbour(x, y-1)
	c, okC := s.neighbour(x+w, y-1)
	if !okC {
		c, okC = s.neighbour(x-1, y-1)
	}
	return medianPred(a, b, c, okA, okB, okC)
}

// medianPred is 8.4.1.3.1 for neighbours that, when available, use
// reference index 0 like the partition predicted.
func medianPred(a, b, c MV, okA, okB, okC bool) MV {
	if !okB && !okC && okA {
		return a
	}
	n := 0
	var only MV
	for _, p := range []struct {
		v  MV
		ok bool
	}{{a, okA}, {b, okB}, {c, okC}} {
		if p.ok {
			n++
			only = p.v
		}
	}
	if n == 1 {
		return only
	}
	return MV{median3(a.X, b.X, c.X), median3(a.Y, b.Y, c.Y)}
}

func median3(a, b, c int32) int32 {
	return max(min(a, b), min(max(a, b), c))
}

// skipMV is the vector of a P_Skip macroblock (8.4.1.1).
func (s *mvState) skipMV() MV {
	a, okA := s.neighbour(-1, 0)
	b, okB := s.neighbour(0, -1)
	if !okA || !okB || a == (MV{}) || b == (MV{}) {
		return MV{}
	}
	return s.predict(0, 0, 16)
}

// store records the vector of 8x8 block i of the current macroblock.
func (s *mvState) store(i int, v MV) {
	mbx, mby := s.cur%s.w, s.cur/s.w
	s.mvs[(mby*2+i/2)*2*s.w+mbx*2+i%2] = v
	s.done[i] = true
}

// CheckMotion reports whether motion-only pictures can be synthesized
// for a stream with these parameter sets (after the rewrite to
// pic_order_cnt_type 0), wrapping ErrUnsupported when not.
func CheckMotion(s *SPS, p *PPS) error {
	if err := CheckSkippable(s, p); err != nil {
		return err
	}
	switch {
	case p.WeightedPred:
		return fmt.Errorf("%w: weighted prediction (encode with weightp=0)", ErrUnsupported)
	case !p.DeblockingFilterControl:
		return fmt.Errorf("%w: no deblocking filter control in the PPS", ErrUnsupported)
	case s.ChromaArrayType() != 1 && s.ChromaArrayType() != 2:
		return fmt.Errorf("%w: chroma format %d", ErrUnsupported, s.ChromaFormatIdc)
	}
	return nil
}

// MotionPicture returns a one-slice non-reference P picture (nal_ref_idc
// 0) that moves the blocks of the previous reference picture as f says,
// with no residual and no deblocking. A macroblock whose four vectors are
// equal is one 16x16 partition (or P_Skip when its vector is the one
// skipping infers), else four 8x8 partitions. sps must have
// pic_order_cnt_type 0: non-reference pictures in a row need their own
// picture order counts.
func MotionPicture(sps *SPS, pps *PPS, f *MotionField, frameNum, pocLsb int) (NAL, error) {
	if err := CheckMotion(sps, pps); err != nil {
		return nil, err
	}
	if sps.PicOrderCntType != 0 {
		return nil, fmt.Errorf("%w: motion pictures need pic_order_cnt_type 0", ErrUnsupported)
	}
	if f.WidthInMbs != sps.WidthInMbs || f.HeightInMbs != sps.FrameHeightInMbs() {
		return nil, fmt.Errorf("h264: motion field is %dx%d macroblocks, picture %dx%d",
			f.WidthInMbs, f.HeightInMbs, sps.WidthInMbs, sps.FrameHeightInMbs())
	}
	w := &bitWriter{b: make([]byte, 0, 4*sps.PicSizeInMbs())}
	w.ue(0) // first_mb_in_slice
	w.ue(5) // slice_type: P, as every slice of the picture
	w.ue(uint32(pps.ID))
	w.u(sps.Log2MaxFrameNum, uint32(frameNum%sps.MaxFrameNum()))
	w.u(sps.Log2MaxPicOrderCntLsb, uint32(pocLsb%(1<<uint(sps.Log2MaxPicOrderCntLsb))))
	if pps.BottomFieldPicOrderPresent {
		w.se(0) // delta_pic_order_cnt_bottom
	}
	if pps.RedundantPicCntPresent {
		w.ue(0)
	}
	w.flag(true)  // num_ref_idx_active_override_flag
	w.ue(0)       // num_ref_idx_l0_active_minus1: one reference
	w.flag(false) // ref_pic_list_modification_flag_l0
	// nal_ref_idc is 0: no dec_ref_pic_marking.
	w.se(0) // slice_qp_delta
	w.ue(1) // disable_deblocking_filter_idc: no residual, nothing to smooth
	writeMotionData(w, f)
	rbsp := w.trailing()
	out := make(NAL, 0, len(rbsp)+len(rbsp)/64+2)
	out = append(out, byte(TypeSlice)) // nal_ref_idc 0
	return append(out, Escape(rbsp)...), nil
}

// writeMotionData writes the CAVLC slice_data of a motion picture.
func writeMotionData(w *bitWriter, f *MotionField) {
	s := &mvState{w: f.WidthInMbs, h: f.HeightInMbs, mvs: make([]MV, len(f.MVs))}
	skipRun := 0
	for addr := 0; addr < f.WidthInMbs*f.HeightInMbs; addr++ {
		s.cur, s.done = addr, [4]bool{}
		bx, by := addr%f.WidthInMbs*2, addr/f.WidthInMbs*2
		v := [4]MV{f.At(bx, by), f.At(bx+1, by), f.At(bx, by+1), f.At(bx+1, by+1)}
		if v[0] == v[1] && v[0] == v[2] && v[0] == v[3] {
			if v[0] == s.skipMV() {
				skipRun++
				for i := range 4 {
					s.store(i, v[0])
				}
				continue
			}
			w.ue(uint32(skipRun))
			skipRun = 0
			w.ue(0) // mb_type P_L0_16x16; one reference: no ref_idx_l0
			p := s.predict(0, 0, 16)
			w.se(v[0].X - p.X)
			w.se(v[0].Y - p.Y)
			for i := range 4 {
				s.store(i, v[0])
			}
		} else {
			w.ue(uint32(skipRun))
			skipRun = 0
			w.ue(3) // mb_type P_8x8
			for range 4 {
				w.ue(0) // sub_mb_type P_L0_8x8
			}
			for i := range 4 {
				p := s.predict(i%2*8, i/2*8, 8)
				w.se(v[i].X - p.X)
				w.se(v[i].Y - p.Y)
				s.store(i, v[i])
			}
		}
		w.ue(0) // coded_block_pattern 0 (inter codeNum 0): no residual
	}
	if skipRun > 0 {
		w.ue(uint32(skipRun))
	}
}
