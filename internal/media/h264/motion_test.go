package h264

import (
	"bytes"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
)

func TestCopyBitsMatchesBitByBit(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	src := make([]byte, 64)
	rng.Read(src)
	for range 200 {
		from := rng.Intn(len(src) * 8)
		to := from + rng.Intn(len(src)*8-from+1)
		lead := rng.Intn(13)
		fast, slow := &bitWriter{}, &bitWriter{}
		fast.u(lead, 0x1555)
		slow.u(lead, 0x1555)
		fast.copyBits(src, from, to)
		for p := from; p < to; p++ {
			slow.bit(uint32(src[p>>3]>>(7-uint(p&7))) & 1)
		}
		if a, b := fast.trailing(), slow.trailing(); !bytes.Equal(a, b) {
			t.Fatalf("copyBits(%d, %d) after %d bits: %x, want %x", from, to, lead, a, b)
		}
	}
}

func TestMedianPrediction(t *testing.T) {
	a, b, c := MV{4, -8}, MV{12, 0}, MV{-4, 20}
	tests := []struct {
		name          string
		okA, okB, okC bool
		want          MV
	}{
		{"all three: median per component", true, true, true, MV{4, 0}},
		{"only A: A", true, false, false, a},
		{"only B: B", false, true, false, b},
		{"only C: C", false, false, true, c},
		{"A and B: median with C as zero", true, true, false, MV{4, 0}},
		{"B and C: median with A as zero", false, true, true, MV{0, 0}},
		{"A and C: median with B as zero", true, false, true, MV{0, 0}},
		{"none: zero", false, false, false, MV{}},
	}
	for _, tc := range tests {
		ma, mb, mc := a, b, c
		if !tc.okA {
			ma = MV{}
		}
		if !tc.okB {
			mb = MV{}
		}
		if !tc.okC {
			mc = MV{}
		}
		if got := medianPred(ma, mb, mc, tc.okA, tc.okB, tc.okC); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestNeighbours checks which blocks predict a partition (6.4.11.7): in a
// picture of 2x2 macroblocks, the last macroblock's neighbours.
func TestNeighbours(t *testing.T) {
	s := &mvState{w: 2, h: 2, mvs: make([]MV, 16)}
	for i := range s.mvs {
		s.mvs[i] = MV{int32(i), int32(100 + i)} // block (i%4, i/4)
	}
	blk := func(bx, by int) MV { return s.mvs[by*4+bx] }
	s.cur = 3
	tests := []struct {
		name    string
		done    [4]bool
		x, y, w int
		want    MV
	}{
		// A: block (1,2) of macroblock 2; B: (2,1) of macroblock 1; C is
		// outside the picture, so D: (1,1) of macroblock 0.
		{"16x16", [4]bool{}, 0, 0, 16, medianPred(blk(1, 2), blk(2, 1), blk(1, 1), true, true, true)},
		{"8x8 #0", [4]bool{}, 0, 0, 8, medianPred(blk(1, 2), blk(2, 1), blk(3, 1), true, true, true)},
		// C (16,-1) lies outside: D (7,-1) is block (2,1).
		{"8x8 #1", [4]bool{true}, 8, 0, 8, medianPred(blk(2, 2), blk(3, 1), blk(2, 1), true, true, true)},
		// C (8,7) is block #1 of the current macroblock, coded before.
		{"8x8 #2", [4]bool{true, true}, 0, 8, 8, medianPred(blk(1, 3), blk(2, 2), blk(3, 2), true, true, true)},
		// C (16,7) is in the next macroblock: D (7,7), block #0.
		{"8x8 #3", [4]bool{true, true, true}, 8, 8, 8, medianPred(blk(2, 3), blk(3, 2), blk(2, 2), true, true, true)},
	}
	for _, tc := range tests {
		s.done = tc.done
		if got := s.predict(tc.x, tc.y, tc.w); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	// The first macroblock has no neighbour; the second only A.
	s.cur, s.done = 0, [4]bool{}
	if got := s.predict(0, 0, 16); got != (MV{}) {
		t.Errorf("first macroblock: got %v", got)
	}
	s.cur = 1
	if got := s.predict(0, 0, 16); got != blk(1, 0) {
		t.Errorf("second macroblock: got %v, want A %v", got, blk(1, 0))
	}
	if got := s.skipMV(); got != (MV{}) {
		t.Errorf("skip in the top row: got %v, want zero", got)
	}
}

// randomField makes a field of uniform areas, zero areas (skipped
// macroblocks) and macroblocks of four random vectors. Vectors are
// multiples of quant quarter samples.
func randomField(rng *rand.Rand, wMbs, hMbs int, quant int32) *MotionField {
	f := NewMotionField(wMbs, hMbs)
	rv := func() MV {
		return MV{(rng.Int31n(13) - 6) * quant, (rng.Int31n(13) - 6) * quant}
	}
	uniform := rv()
	for my := range hMbs {
		for mx := range wMbs {
			var v [4]MV
			switch rng.Intn(4) {
			case 0: // zero
			case 1:
				v = [4]MV{uniform, uniform, uniform, uniform}
			case 2:
				u := rv()
				v = [4]MV{u, u, u, u}
			default:
				v = [4]MV{rv(), rv(), rv(), rv()}
			}
			for i := range 4 {
				f.Set(mx*2+i%2, my*2+i/2, v[i])
			}
		}
	}
	return f
}

// yuvFrames decodes an H.264 file to 4:2:0 frames of w x h.
func yuvFrames(t *testing.T, path string, w, h int) [][]byte {
	t.Helper()
	raw := ffmpeg(t, "-f", "h264", "-i", path, "-f", "rawvideo", "-pix_fmt", "yuv420p", "-")
	size := w * h * 3 / 2
	if len(raw)%size != 0 {
		t.Fatalf("decoded %d bytes, not frames of %d", len(raw), size)
	}
	var out [][]byte
	for i := 0; i < len(raw); i += size {
		out = append(out, raw[i:i+size])
	}
	return out
}

// moved is the picture ref (4:2:0, w x h) with every 8x8 block moved by
// its vector of f, all whole-sample in luma and chroma (multiples of 8),
// with samples outside the picture repeated from its edge.
func moved(ref []byte, w, h int, f *MotionField) []byte {
	out := make([]byte, len(ref))
	plane := func(off, pw, ph, bs, div int) {
		for y := range ph {
			for x := range pw {
				v := f.At(x/bs, y/bs)
				sx := min(max(x+int(v.X)/div, 0), pw-1)
				sy := min(max(y+int(v.Y)/div, 0), ph-1)
				out[off+y*pw+x] = ref[off+sy*pw+sx]
			}
		}
	}
	plane(0, w, h, 8, 4)
	plane(w*h, w/2, h/2, 4, 8)
	plane(w*h+w*h/4, w/2, h/2, 4, 8)
	return out
}

// TestMotionPicturesDecode splices motion pictures of random fields
// between the pictures of an x264 stream and checks that ffmpeg decodes
// every one, without an error, to its reference picture with each block
// moved by its vector: any vector coded or predicted wrongly moves a block
// elsewhere.
func TestMotionPicturesDecode(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	const w, h = 160, 96
	src := encodeMotion(t, dir, w, h, 3)
	st, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	if sps := st.SPS(); sps.PicOrderCntType != 2 {
		t.Fatalf("x264 wrote pic_order_cnt_type %d, want 2", sps.PicOrderCntType)
	}
	rng := rand.New(rand.NewSource(7))
	var buf bytes.Buffer
	wr := NewMotionWriter(&buf)
	var fields []*MotionField // nil for an encoded picture
	for i := range st.Units {
		if err := wr.WriteUnit(&st.Units[i]); err != nil {
			t.Fatal(err)
		}
		fields = append(fields, nil)
		for range 4 {
			f := randomField(rng, w/16, h/16, 8)
			if err := wr.WriteMotion(f); err != nil {
				t.Fatal(err)
			}
			fields = append(fields, f)
		}
	}
	if err := wr.Flush(); err != nil {
		t.Fatal(err)
	}
	if wr.Motions() != 12 || wr.Frames() != 15 {
		t.Fatalf("wrote %d pictures, %d motion pictures", wr.Frames(), wr.Motions())
	}
	out := filepath.Join(dir, "moved.h264")
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if msg := decodeErrors(t, out); msg != "" {
		t.Fatalf("decoding reports: %s", msg)
	}
	orig := yuvFrames(t, filepath.Join(dir, "motion.h264"), w, h)
	got := yuvFrames(t, out, w, h)
	if len(got) != len(fields) {
		t.Fatalf("decoded %d frames, want %d", len(got), len(fields))
	}
	k := -1
	for i, f := range fields {
		if f == nil {
			k++
			if !bytes.Equal(got[i], orig[k]) {
				t.Fatalf("frame %d: encoded picture %d changed", i, k)
			}
			continue
		}
		want := moved(orig[k], w, h, f)
		if !bytes.Equal(got[i], want) {
			n := 0
			for j := range want {
				if want[j] != got[i][j] {
					n++
				}
			}
			t.Fatalf("frame %d: %d of %d samples differ from the moved picture", i, n, len(want))
		}
	}
}

// TestSPSPOCType0 checks the rewritten SPS: only the picture order fields
// change.
func TestSPSPOCType0(t *testing.T) {
	needFFmpeg(t)
	st, err := Parse(encodeMotion(t, t.TempDir(), 64, 48, 1))
	if err != nil {
		t.Fatal(err)
	}
	in := st.SPS()
	n, err := spsWithPOCType0(st.Params.RawSPS[in.ID], in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := ParseSPS(n)
	if err != nil {
		t.Fatal(err)
	}
	if out.PicOrderCntType != 0 || out.Log2MaxPicOrderCntLsb != outPOCBits {
		t.Fatalf("got type %d with %d bits", out.PicOrderCntType, out.Log2MaxPicOrderCntLsb)
	}
	a, b := *in, *out
	a.PicOrderCntType, a.Log2MaxPicOrderCntLsb, a.pocPos, a.pocEnd = 0, 0, 0, 0
	b.PicOrderCntType, b.Log2MaxPicOrderCntLsb, b.pocPos, b.pocEnd = 0, 0, 0, 0
	if a != b {
		t.Fatalf("other fields changed:\n%+v\n%+v", a, b)
	}
}
