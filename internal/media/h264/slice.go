package h264

import "fmt"

// SliceHeader holds the leading fields of a slice header.
type SliceHeader struct {
	FirstMB   int
	SliceType int // 0..9; %5: 0 P, 1 B, 2 I, 3 SP, 4 SI
	PPSID     int
	FrameNum  int
	FieldPic  bool
	IDRPicID  int // IDR slices only
	POCLsb    int // pic_order_cnt_type 0 only

	idrPos, idrEnd int // bit range of idr_pic_id in the RBSP
	framePos       int // bit offset of frame_num in the RBSP
	pocPos         int // bit offset of pic_order_cnt_lsb (type 0), or -1
}

// firstMB reads first_mb_in_slice, which needs no parameter set.
func firstMB(n NAL) (int, error) {
	r := &bitReader{b: Unescape(n[1:min(len(n), 16)])}
	v := r.ue()
	return int(v), r.err
}

// ParseSliceHeader parses the start of a slice NAL unit using the
// parameter sets it refers to.
func ParseSliceHeader(n NAL, ps *ParamSets) (*SliceHeader, error) {
	if !n.IsVCL() {
		return nil, fmt.Errorf("h264: NAL type %d is not a slice", n.Type())
	}
	// The fields needed lie in the first few dozen bytes.
	head := n[1:]
	if len(head) > 64 {
		head = head[:64]
	}
	r := &bitReader{b: Unescape(head)}
	h := &SliceHeader{}
	h.FirstMB = int(r.ue())
	h.SliceType = int(r.ue())
	h.PPSID = int(r.ue())
	if r.err != nil {
		return nil, fmt.Errorf("h264: parse slice header: %w", r.err)
	}
	pps, ok := ps.PPS[h.PPSID]
	if !ok {
		return nil, fmt.Errorf("h264: slice refers to unknown PPS %d", h.PPSID)
	}
	sps, ok := ps.SPS[pps.SPSID]
	if !ok {
		return nil, fmt.Errorf("h264: PPS %d refers to unknown SPS %d", pps.ID, pps.SPSID)
	}
	if sps.SeparateColourPlane {
		r.u(2)
	}
	h.framePos = r.pos
	h.FrameNum = int(r.u(sps.Log2MaxFrameNum))
	if !sps.FrameMbsOnly {
		h.FieldPic = r.flag()
		if h.FieldPic {
			r.flag()
		}
	}
	if n.Type() == TypeIDR {
		h.idrPos = r.pos
		h.IDRPicID = int(r.ue())
		h.idrEnd = r.pos
	}
	h.pocPos = -1
	if sps.PicOrderCntType == 0 {
		h.pocPos = r.pos
		h.POCLsb = int(r.u(sps.Log2MaxPicOrderCntLsb))
	}
	if r.err != nil {
		return nil, fmt.Errorf("h264: parse slice header: %w", r.err)
	}
	return h, nil
}

// withIDRPicID returns a copy of the IDR slice n whose idr_pic_id is id.
// Only CAVLC slices can be rewritten: their data is not byte aligned after
// the header, so the remaining bits are shifted as a whole.
func withIDRPicID(n NAL, h *SliceHeader, pps *PPS, id int) (NAL, error) {
	if n.Type() != TypeIDR {
		return nil, fmt.Errorf("h264: NAL type %d is not an IDR slice", n.Type())
	}
	if pps.EntropyCodingMode {
		return nil, fmt.Errorf("%w: rewriting CABAC slice headers", ErrUnsupported)
	}
	rbsp := n.RBSP()
	stop := lastOne(rbsp)
	if stop < h.idrEnd {
		return nil, fmt.Errorf("h264: IDR slice without trailing bits")
	}
	w := &bitWriter{b: make([]byte, 0, len(rbsp)+2)}
	w.copyBits(rbsp, 0, h.idrPos)
	w.ue(uint32(id))
	w.copyBits(rbsp, h.idrEnd, stop)
	out := make(NAL, 0, len(n)+4)
	out = append(out, n[0])
	return append(out, Escape(w.trailing())...), nil
}

// withFrameNum returns a copy of slice n with frame_num (and, for
// pic_order_cnt_type 0, pic_order_cnt_lsb when pocLsb >= 0) replaced. Both
// fields have a fixed width, so the rest of the slice is untouched.
func withFrameNum(n NAL, h *SliceHeader, sps *SPS, frameNum, pocLsb int) NAL {
	rbsp := append([]byte(nil), n.RBSP()...)
	putBits(rbsp, h.framePos, sps.Log2MaxFrameNum, uint32(frameNum))
	if pocLsb >= 0 && h.pocPos >= 0 {
		putBits(rbsp, h.pocPos, sps.Log2MaxPicOrderCntLsb, uint32(pocLsb))
	}
	out := make(NAL, 0, len(n)+4)
	out = append(out, n[0])
	return append(out, Escape(rbsp)...)
}

// putBits overwrites n bits of b at bit offset pos with v.
func putBits(b []byte, pos, n int, v uint32) {
	for i := 0; i < n; i++ {
		p := pos + i
		mask := byte(1) << (7 - uint(p&7))
		if v>>(uint(n-1-i))&1 == 1 {
			b[p>>3] |= mask
		} else {
			b[p>>3] &^= mask
		}
	}
}

// SkipPicture returns a one-slice P picture, as a reference NAL unit with
// nal_ref_idc refIdc, in which every macroblock is P_Skip. Predicted from
// the previous reference picture with zero motion (its neighbours are all
// skipped, so every predicted motion vector is zero) and no residual, it
// decodes to an exact copy of that picture. pocLsb is used only when
// pic_order_cnt_type is 0.
func SkipPicture(sps *SPS, pps *PPS, frameNum, pocLsb, refIdc int) (NAL, error) {
	if err := CheckSkippable(sps, pps); err != nil {
		return nil, err
	}
	if refIdc < 1 || refIdc > 3 {
		return nil, fmt.Errorf("h264: nal_ref_idc %d out of range 1..3", refIdc)
	}
	w := &bitWriter{}
	w.ue(0) // first_mb_in_slice
	w.ue(5) // slice_type: P, as every slice of the picture
	w.ue(uint32(pps.ID))
	w.u(sps.Log2MaxFrameNum, uint32(frameNum%sps.MaxFrameNum()))
	// frame_mbs_only_flag is 1: no field_pic_flag; not IDR: no idr_pic_id.
	if sps.PicOrderCntType == 0 {
		w.u(sps.Log2MaxPicOrderCntLsb, uint32(pocLsb%(1<<uint(sps.Log2MaxPicOrderCntLsb))))
		if pps.BottomFieldPicOrderPresent {
			w.se(0) // delta_pic_order_cnt_bottom
		}
	}
	if pps.RedundantPicCntPresent {
		w.ue(0)
	}
	w.flag(true)  // num_ref_idx_active_override_flag
	w.ue(0)       // num_ref_idx_l0_active_minus1: one reference
	w.flag(false) // ref_pic_list_modification_flag_l0
	if pps.WeightedPred {
		// pred_weight_table with default weights.
		w.ue(0) // luma_log2_weight_denom
		if sps.ChromaArrayType() != 0 {
			w.ue(0) // chroma_log2_weight_denom
		}
		w.flag(false) // luma_weight_l0_flag[0]
		if sps.ChromaArrayType() != 0 {
			w.flag(false) // chroma_weight_l0_flag[0]
		}
	}
	w.flag(false) // adaptive_ref_pic_marking_mode_flag: sliding window
	w.se(0)       // slice_qp_delta
	if pps.DeblockingFilterControl {
		w.ue(1) // disable_deblocking_filter_idc: nothing to filter
	}
	w.ue(uint32(sps.PicSizeInMbs())) // mb_skip_run covering the picture
	rbsp := w.trailing()
	out := make(NAL, 0, len(rbsp)+2)
	out = append(out, byte(refIdc<<5|TypeSlice))
	return append(out, Escape(rbsp)...), nil
}
