package h264

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// Writer writes an Annex B byte stream made of access units taken from
// streams that share their parameter sets, and of synthesized skipped
// pictures. It keeps frame_num, picture order and idr_pic_id consistent
// across the joins. A Writer is not safe for concurrent use.
type Writer struct {
	bw     *bufio.Writer
	params *ParamSets

	havePic         bool
	ppsID           int
	prevRefFrameNum int
	lastPOCLsb      int
	lastIDR         bool
	lastRef         bool
	lastIDRPicID    int
	frames          int
	skips           int
	skipCache       map[[2]int]NAL // skipped pictures by frame_num and POC lsb
	cachePPS        int            // PPS id skipCache was built with

	// With pocType0 set (NewMotionWriter), every SPS is written with
	// pic_order_cnt_type 0 (outSPS holds those, by id) and every picture
	// gets the count 2*sinceIDR.
	pocType0 bool
	outSPS   map[int]*SPS
	sinceIDR int
	motions  int
}

// NewMotionWriter returns a Writer that can also write motion pictures
// (WriteMotion) between the pictures of streams encoded without B-frames
// (pic_order_cnt_type 2, CAVLC). It rewrites the streams to
// pic_order_cnt_type 0, which non-reference pictures in a row need.
func NewMotionWriter(w io.Writer) *Writer {
	wr := NewWriter(w)
	wr.pocType0, wr.outSPS = true, map[int]*SPS{}
	return wr
}

// Motions returns the number of synthesized motion pictures written.
func (w *Writer) Motions() int { return w.motions }

// spsOut returns the SPS as written for id.
func (w *Writer) spsOut(id int) (*SPS, bool) {
	if w.pocType0 {
		s, ok := w.outSPS[id]
		return s, ok
	}
	s, ok := w.params.SPS[id]
	return s, ok
}

// writeParam writes an SPS or PPS NAL unit, rewriting an SPS in
// pocType0 mode.
func (w *Writer) writeParam(n NAL) error {
	if !w.pocType0 || n.Type() != TypeSPS {
		return w.writeNAL(n)
	}
	s, err := ParseSPS(n)
	if err != nil {
		return err
	}
	out, err := spsWithPOCType0(n, s)
	if err != nil {
		return err
	}
	os, err := ParseSPS(out)
	if err != nil {
		return fmt.Errorf("h264: rewritten SPS: %w", err)
	}
	w.outSPS[s.ID] = os
	return w.writeNAL(out)
}

// NewWriter returns a Writer that writes to w. Call Flush when done.
func NewWriter(w io.Writer) *Writer {
	return &Writer{bw: bufio.NewWriterSize(w, 1<<20), params: NewParamSets(), skipCache: map[[2]int]NAL{}}
}

// Frames returns the number of pictures written.
func (w *Writer) Frames() int { return w.frames }

// Skipped returns the number of synthesized skipped pictures written.
func (w *Writer) Skipped() int { return w.skips }

// Flush writes buffered data to the underlying writer.
func (w *Writer) Flush() error { return w.bw.Flush() }

func (w *Writer) writeNAL(n NAL) error {
	if _, err := w.bw.Write(startCode); err != nil {
		return err
	}
	_, err := w.bw.Write(n)
	return err
}

// WriteStream writes every access unit of s.
func (w *Writer) WriteStream(s *Stream) error {
	for i := range s.Units {
		if err := w.WriteUnit(&s.Units[i]); err != nil {
			return err
		}
	}
	return nil
}

// WriteUnit writes one access unit. Its parameter sets must match those
// already written under the same ids (ErrParamMismatch otherwise). The
// picture is renumbered to follow what was written before it:
//
//   - a non-IDR picture gets the frame_num that follows the previous
//     reference picture (and, with pic_order_cnt_type 0, the next picture
//     order count), so that skipped pictures may be inserted between the
//     pictures of an encoded stream: a skipped picture decodes to an exact
//     copy of its reference, so the next encoded picture still predicts
//     from the very picture it was encoded against;
//   - an IDR picture that directly follows an IDR picture with the same
//     idr_pic_id gets another idr_pic_id, as the standard requires.
//
// Renumbering a stream with B-frames would break its picture order; only
// streams without them may be split by skipped pictures.
func (w *Writer) WriteUnit(au *AccessUnit) error {
	if !w.havePic {
		// The first picture must be decodable on its own.
		if !au.Picture.IDR {
			return errors.New("h264: stream must start with an IDR picture")
		}
	}
	for _, n := range au.NALs {
		if t := n.Type(); t == TypeSPS || t == TypePPS {
			if err := w.params.Add(n, true); err != nil {
				return err
			}
		}
	}
	pic := au.Picture
	pps, ok := w.params.PPS[pic.PPSID]
	if !ok {
		return fmt.Errorf("h264: picture refers to unknown PPS %d", pic.PPSID)
	}
	sps, ok := w.params.SPS[pps.SPSID]
	if !ok {
		return fmt.Errorf("h264: PPS %d refers to unknown SPS %d", pps.ID, pps.SPSID)
	}
	if w.pocType0 {
		return w.writeUnitPOC0(au, sps, pps)
	}
	rewriteID := pic.IDR && w.lastIDR && pic.IDRPicID == w.lastIDRPicID
	newID := pic.IDRPicID
	if rewriteID {
		newID = (w.lastIDRPicID + 1) % 65536
	}
	frameNum, pocLsb := pic.FrameNum, pic.POCLsb
	renumber := false
	if !pic.IDR {
		frameNum = (w.prevRefFrameNum + 1) % sps.MaxFrameNum()
		renumber = frameNum != pic.FrameNum
		if renumber && sps.PicOrderCntType == 0 {
			pocLsb = (w.lastPOCLsb + 2) % (1 << uint(sps.Log2MaxPicOrderCntLsb))
		}
		if renumber && sps.PicOrderCntType == 1 {
			return fmt.Errorf("%w: renumbering with pic_order_cnt_type 1", ErrUnsupported)
		}
	}
	for i, n := range au.NALs {
		if (rewriteID && n.Type() == TypeIDR) || (renumber && n.IsVCL()) {
			h := au.headers[i]
			if h == nil {
				var err error
				if h, err = ParseSliceHeader(n, w.params); err != nil {
					return err
				}
			}
			if rewriteID {
				var err error
				if n, err = withIDRPicID(n, h, pps, newID); err != nil {
					return err
				}
			} else {
				poc := -1
				if sps.PicOrderCntType == 0 {
					poc = pocLsb
				}
				n = withFrameNum(n, h, sps, frameNum, poc)
			}
		}
		if err := w.writeNAL(n); err != nil {
			return err
		}
	}
	w.havePic = true
	w.ppsID = pic.PPSID
	w.lastRef = pic.RefIdc != 0
	if pic.RefIdc != 0 {
		w.prevRefFrameNum = frameNum
	}
	w.lastPOCLsb = pocLsb
	w.lastIDR = pic.IDR
	if pic.IDR {
		w.lastIDRPicID = newID
	}
	w.frames++
	return nil
}

// WriteSkip appends n pictures that repeat the last written picture.
func (w *Writer) WriteSkip(n int) error {
	if n <= 0 {
		return nil
	}
	if !w.havePic {
		return errors.New("h264: no picture to repeat")
	}
	if !w.lastRef {
		// A skipped picture copies the last reference picture, which is
		// not the non-reference picture just written.
		return fmt.Errorf("%w: repeating a non-reference picture", ErrUnsupported)
	}
	pps := w.params.PPS[w.ppsID]
	sps, ok := w.spsOut(pps.SPSID)
	if !ok {
		return fmt.Errorf("h264: PPS %d refers to unknown SPS %d", pps.ID, pps.SPSID)
	}
	if err := CheckSkippable(sps, pps); err != nil {
		return err
	}
	if w.cachePPS != w.ppsID {
		clear(w.skipCache)
		w.cachePPS = w.ppsID
	}
	maxFN := sps.MaxFrameNum()
	maxPOC := 1
	if sps.PicOrderCntType == 0 {
		maxPOC = 1 << uint(sps.Log2MaxPicOrderCntLsb)
	}
	for i := 0; i < n; i++ {
		fn := (w.prevRefFrameNum + 1) % maxFN
		poc := 0
		if sps.PicOrderCntType == 0 {
			poc = (w.lastPOCLsb + 2) % maxPOC
		}
		key := [2]int{fn, poc}
		nal, ok := w.skipCache[key]
		if !ok {
			var err error
			if nal, err = SkipPicture(sps, pps, fn, poc, 2); err != nil {
				return err
			}
			w.skipCache[key] = nal
		}
		if err := w.writeNAL(nal); err != nil {
			return err
		}
		w.prevRefFrameNum = fn
		w.lastPOCLsb = poc
		w.sinceIDR++
		w.lastRef = true
		w.lastIDR = false
		w.frames++
		w.skips++
	}
	return nil
}

// writeUnitPOC0 is WriteUnit in pocType0 mode: every slice is rewritten
// with the next frame_num, idr_pic_id and picture order count.
func (w *Writer) writeUnitPOC0(au *AccessUnit, sps *SPS, pps *PPS) error {
	pic := au.Picture
	if pic.RefIdc == 0 {
		return fmt.Errorf("%w: non-reference pictures in a spliced stream", ErrUnsupported)
	}
	newID := pic.IDRPicID
	if pic.IDR && w.lastIDR && pic.IDRPicID == w.lastIDRPicID {
		newID = (w.lastIDRPicID + 1) % 65536
	}
	frameNum := 0
	if pic.IDR {
		w.sinceIDR = 0
	} else {
		frameNum = (w.prevRefFrameNum + 1) % sps.MaxFrameNum()
	}
	pocLsb := (2 * w.sinceIDR) % (1 << outPOCBits)
	for i, n := range au.NALs {
		var err error
		switch {
		case n.Type() == TypeSPS || n.Type() == TypePPS:
			err = w.writeParam(n)
		case n.IsVCL():
			h := au.headers[i]
			if h == nil {
				if h, err = ParseSliceHeader(n, w.params); err != nil {
					return err
				}
			}
			if n, err = sliceWithPOC(n, h, sps, pps, frameNum, newID, pocLsb); err != nil {
				return err
			}
			err = w.writeNAL(n)
		default:
			err = w.writeNAL(n)
		}
		if err != nil {
			return err
		}
	}
	if _, ok := w.outSPS[pps.SPSID]; !ok {
		return fmt.Errorf("h264: picture before its SPS")
	}
	w.havePic = true
	w.ppsID = pic.PPSID
	w.lastRef = true
	w.prevRefFrameNum = frameNum
	w.lastPOCLsb = pocLsb
	w.lastIDR = pic.IDR
	if pic.IDR {
		w.lastIDRPicID = newID
	}
	w.sinceIDR++
	w.frames++
	return nil
}

// WriteMotion appends a non-reference picture that shows the last
// reference picture written with its blocks moved as f says (see
// MotionPicture). Only a Writer made by NewMotionWriter can.
func (w *Writer) WriteMotion(f *MotionField) error {
	if !w.pocType0 {
		return fmt.Errorf("%w: motion pictures need a motion writer", ErrUnsupported)
	}
	if !w.havePic {
		return errors.New("h264: no picture to move")
	}
	pps := w.params.PPS[w.ppsID]
	sps, ok := w.outSPS[pps.SPSID]
	if !ok {
		return fmt.Errorf("h264: PPS %d refers to unknown SPS %d", pps.ID, pps.SPSID)
	}
	// A non-reference picture takes the frame_num that follows the last
	// reference picture, as the next reference picture will (7.4.3).
	fn := (w.prevRefFrameNum + 1) % sps.MaxFrameNum()
	poc := (2 * w.sinceIDR) % (1 << outPOCBits)
	nal, err := MotionPicture(sps, pps, f, fn, poc)
	if err != nil {
		return err
	}
	if err := w.writeNAL(nal); err != nil {
		return err
	}
	w.lastPOCLsb = poc
	w.lastIDR = false
	w.lastRef = false // WriteSkip would repeat the reference picture instead
	w.sinceIDR++
	w.frames++
	w.motions++
	return nil
}
