package h264

import "fmt"

// Pictures that no other picture predicts from (nal_ref_idc 0) may follow
// each other only when the picture order count is sent in every slice
// (pic_order_cnt_type 0): with type 2, which x264 uses without B-frames,
// the order is derived from frame_num, which non-reference pictures do not
// advance, so two of them in a row would share a count (H.264 8.2.1.3).
// A stream is therefore rewritten to type 0: its SPS gets the field, and
// every slice gets a pic_order_cnt_lsb after frame_num (or idr_pic_id).

// outPOCBits is log2_max_pic_order_cnt_lsb of a rewritten SPS: the
// largest, so that the count wraps as rarely as possible.
const outPOCBits = 16

// spsWithPOCType0 returns a copy of the SPS n (parsed as s) with
// pic_order_cnt_type 0 and log2_max_pic_order_cnt_lsb outPOCBits; every
// other field is kept.
func spsWithPOCType0(n NAL, s *SPS) (NAL, error) {
	if s.PicOrderCntType != 2 {
		return nil, fmt.Errorf("%w: pic_order_cnt_type %d (want 2)", ErrUnsupported, s.PicOrderCntType)
	}
	rbsp := n.RBSP()
	stop := lastOne(rbsp)
	if stop < s.pocEnd {
		return nil, fmt.Errorf("h264: SPS without trailing bits")
	}
	w := &bitWriter{b: make([]byte, 0, len(rbsp)+2)}
	w.copyBits(rbsp, 0, s.pocPos)
	w.ue(0)
	w.ue(outPOCBits - 4)
	w.copyBits(rbsp, s.pocEnd, stop)
	out := make(NAL, 0, len(n)+4)
	out = append(out, n[0])
	return append(out, Escape(w.trailing())...), nil
}

// sliceWithPOC returns a copy of the CAVLC slice n (header h, from a
// stream with pic_order_cnt_type 2) with frame_num frameNum, idr_pic_id
// idrID (IDR slices only) and the pic_order_cnt_lsb pocLsb inserted, for
// the SPS spsWithPOCType0 makes. The slice data is shifted behind the
// longer header.
func sliceWithPOC(n NAL, h *SliceHeader, sps *SPS, pps *PPS, frameNum, idrID, pocLsb int) (NAL, error) {
	if pps.EntropyCodingMode {
		return nil, fmt.Errorf("%w: rewriting CABAC slice headers", ErrUnsupported)
	}
	if sps.PicOrderCntType != 2 || !sps.FrameMbsOnly {
		return nil, fmt.Errorf("%w: rewriting the picture order of this stream", ErrUnsupported)
	}
	rbsp := n.RBSP()
	stop := lastOne(rbsp)
	fnEnd := h.framePos + sps.Log2MaxFrameNum
	ins := fnEnd
	if n.Type() == TypeIDR {
		ins = h.idrEnd
	}
	if stop < ins {
		return nil, fmt.Errorf("h264: slice without trailing bits")
	}
	w := &bitWriter{b: make([]byte, 0, len(rbsp)+8)}
	w.copyBits(rbsp, 0, h.framePos)
	w.u(sps.Log2MaxFrameNum, uint32(frameNum%sps.MaxFrameNum()))
	if n.Type() == TypeIDR {
		w.ue(uint32(idrID))
	}
	w.u(outPOCBits, uint32(pocLsb%(1<<outPOCBits)))
	if pps.BottomFieldPicOrderPresent {
		w.se(0) // delta_pic_order_cnt_bottom
	}
	w.copyBits(rbsp, ins, stop)
	out := make(NAL, 0, len(n)+8)
	out = append(out, n[0])
	return append(out, Escape(w.trailing())...), nil
}
