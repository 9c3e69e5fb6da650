package h264

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// x264Args are the encoder settings whose output this package can extend.
var x264Args = []string{
	"-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-crf", "20",
	"-x264-params", "cabac=0:bframes=0:ref=1:weightp=0:stitchable=1:scenecut=0:keyint=1000:level=4.1",
	"-pix_fmt", "yuv420p", "-f", "h264",
}

func needFFmpeg(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
}

func ffmpeg(t testing.TB, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("ffmpeg", append([]string{"-hide_banner", "-nostdin", "-v", "error", "-y"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffmpeg %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// encodeStills encodes one IDR picture per colour.
func encodeStills(t testing.TB, dir string, w, h int, colors ...string) []byte {
	t.Helper()
	var inputs []string
	var filter strings.Builder
	for i, c := range colors {
		inputs = append(inputs, "-f", "lavfi", "-i", "testsrc2=s="+itoa(w)+"x"+itoa(h)+":r=30:d=0.04")
		filter.WriteString("[" + itoa(i) + ":v]trim=end_frame=1,drawbox=c=" + c + "@0.6:t=fill[v" + itoa(i) + "];")
	}
	for i := range colors {
		filter.WriteString("[v" + itoa(i) + "]")
	}
	filter.WriteString("concat=n=" + itoa(len(colors)) + ":v=1:a=0,setpts=N/30/TB[out]")
	out := filepath.Join(dir, "stills.h264")
	args := append(inputs, "-filter_complex", filter.String(), "-map", "[out]", "-r", "30",
		"-force_key_frames", "expr:1", "-frames:v", itoa(len(colors)))
	ffmpeg(t, append(append(args, x264Args...), out)...)
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func encodeMotion(t testing.TB, dir string, w, h, frames int) []byte {
	t.Helper()
	out := filepath.Join(dir, "motion.h264")
	args := []string{"-f", "lavfi", "-i", "testsrc2=s=" + itoa(w) + "x" + itoa(h) + ":r=30", "-frames:v", itoa(frames), "-r", "30"}
	ffmpeg(t, append(append(args, x264Args...), out)...)
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func itoa(n int) string { return strconv.Itoa(n) }

// frameHashes decodes an H.264 file and returns one MD5 per frame.
func frameHashes(t testing.TB, path string) []string {
	t.Helper()
	out := ffmpeg(t, "-f", "h264", "-i", path, "-f", "framemd5", "-")
	var hashes []string
	for _, line := range strings.Split(string(out), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ",")
		hashes = append(hashes, strings.TrimSpace(f[len(f)-1]))
	}
	return hashes
}

// decodeErrors returns what ffmpeg reports at -v error while decoding.
func decodeErrors(t testing.TB, path string) string {
	t.Helper()
	cmd := exec.Command("ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-f", "h264", "-i", path, "-f", "null", "-")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("decode %s: %v\n%s", path, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestExpGolombRoundTrip(t *testing.T) {
	w := &bitWriter{}
	uvals := []uint32{0, 1, 2, 3, 7, 8, 255, 8160, 65535, 1 << 20}
	svals := []int32{0, 1, -1, 2, -2, 100, -100, 1 << 16}
	for _, v := range uvals {
		w.ue(v)
	}
	for _, v := range svals {
		w.se(v)
	}
	w.u(5, 21)
	r := &bitReader{b: w.trailing()}
	for _, v := range uvals {
		if got := r.ue(); got != v {
			t.Fatalf("ue: got %d want %d", got, v)
		}
	}
	for _, v := range svals {
		if got := r.se(); got != v {
			t.Fatalf("se: got %d want %d", got, v)
		}
	}
	if got := r.u(5); got != 21 {
		t.Fatalf("u(5): got %d", got)
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
}

func TestEscapeRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 200; i++ {
		b := make([]byte, rng.Intn(64)+1)
		for j := range b {
			if rng.Intn(3) == 0 {
				b[j] = byte(rng.Intn(4))
			} else {
				b[j] = byte(rng.Intn(256))
			}
		}
		b[len(b)-1] |= 0x80 // RBSPs end with a stop bit
		e := Escape(b)
		for k := 0; k+2 < len(e); k++ {
			if e[k] == 0 && e[k+1] == 0 && e[k+2] <= 2 {
				t.Fatalf("escaped data %x contains a start code prefix", e)
			}
		}
		if got := Unescape(e); !bytes.Equal(got, b) {
			t.Fatalf("round trip: %x → %x → %x", b, e, got)
		}
	}
}

func TestParseX264(t *testing.T) {
	needFFmpeg(t)
	data := encodeStills(t, t.TempDir(), 320, 240, "red", "green", "blue")
	st, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Units) != 3 {
		t.Fatalf("got %d access units, want 3", len(st.Units))
	}
	for i, au := range st.Units {
		if !au.Picture.IDR || au.Picture.RefIdc == 0 || au.Picture.FrameNum != 0 {
			t.Errorf("unit %d: %+v, want a reference IDR picture with frame_num 0", i, au.Picture)
		}
	}
	if st.Units[0].Picture.IDRPicID == st.Units[1].Picture.IDRPicID {
		t.Errorf("consecutive IDR pictures share idr_pic_id %d", st.Units[0].Picture.IDRPicID)
	}
	sps, pps := st.SPS(), st.PPS()
	if sps.ProfileIdc != 100 {
		t.Errorf("profile_idc %d, want 100 (High)", sps.ProfileIdc)
	}
	if sps.PicOrderCntType != 2 || !sps.FrameMbsOnly || sps.MaxNumRefFrames < 1 {
		t.Errorf("SPS %+v: want POC type 2, frame_mbs_only, max_num_ref_frames >= 1", sps)
	}
	if w, h := sps.Size(); w != 320 || h != 240 {
		t.Errorf("size %dx%d, want 320x240", w, h)
	}
	if sps.PicSizeInMbs() != 20*15 {
		t.Errorf("PicSizeInMbs %d, want 300", sps.PicSizeInMbs())
	}
	if pps.EntropyCodingMode || pps.WeightedPred || pps.NumSliceGroups != 1 {
		t.Errorf("PPS %+v: want CAVLC, no weighted prediction, one slice group", pps)
	}
	if err := CheckSkippable(sps, pps); err != nil {
		t.Fatal(err)
	}

	// Odd sizes are cropped.
	data = encodeStills(t, t.TempDir(), 1080, 1920, "white")
	st, err = Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if w, h := st.SPS().Size(); w != 1080 || h != 1920 {
		t.Errorf("size %dx%d, want 1080x1920", w, h)
	}
}

func TestSkipExpansion(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	st, err := Parse(encodeStills(t, dir, 320, 240, "red", "green", "blue"))
	if err != nil {
		t.Fatal(err)
	}
	// Lengths cross the frame_num modulus (16) several times.
	lengths := []int{40, 1, 23}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for i := range st.Units {
		if err := w.WriteUnit(&st.Units[i]); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteSkip(lengths[i] - 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if w.Frames() != 64 || w.Skipped() != 61 {
		t.Fatalf("frames %d skipped %d, want 64 and 61", w.Frames(), w.Skipped())
	}
	out := filepath.Join(dir, "expanded.h264")
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if msg := decodeErrors(t, out); msg != "" {
		t.Fatalf("decoder complained: %s", msg)
	}
	hashes := frameHashes(t, out)
	if len(hashes) != 64 {
		t.Fatalf("decoded %d frames, want 64", len(hashes))
	}
	start := 0
	for i, n := range lengths {
		for k := start; k < start+n; k++ {
			if hashes[k] != hashes[start] {
				t.Fatalf("picture %d: frame %d differs from its first frame", i, k)
			}
		}
		if i > 0 && hashes[start] == hashes[start-1] {
			t.Fatalf("picture %d did not change the image", i)
		}
		start += n
	}
	// Skipped pictures cost a few bytes each.
	if extra := buf.Len() - len(encodeStillsSize(st)); extra > 61*16 {
		t.Errorf("61 skipped pictures took %d bytes", extra)
	}
}

func encodeStillsSize(st *Stream) []byte {
	var b bytes.Buffer
	for _, au := range st.Units {
		for _, n := range au.NALs {
			b.Write(startCode)
			b.Write(n)
		}
	}
	return b.Bytes()
}

func TestIDRPicIDRewrite(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	st, err := Parse(encodeStills(t, dir, 320, 240, "red", "green"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	// The same IDR picture twice in a row must get two idr_pic_id values.
	for _, i := range []int{0, 0, 1, 1} {
		if err := w.WriteUnit(&st.Units[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	out, err := Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Units) != 4 {
		t.Fatalf("got %d units", len(out.Units))
	}
	for i := 1; i < 4; i++ {
		if out.Units[i].Picture.IDRPicID == out.Units[i-1].Picture.IDRPicID {
			t.Fatalf("units %d and %d share idr_pic_id %d", i-1, i, out.Units[i].Picture.IDRPicID)
		}
	}
	path := filepath.Join(dir, "rewritten.h264")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if msg := decodeErrors(t, path); msg != "" {
		t.Fatalf("decoder complained: %s", msg)
	}
	h := frameHashes(t, path)
	if len(h) != 4 || h[0] != h[1] || h[2] != h[3] || h[1] == h[2] {
		t.Fatalf("rewritten pictures decode differently: %v", h)
	}
}

func TestSpliceMotionAndStills(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	stills, err := Parse(encodeStills(t, dir, 320, 240, "red", "blue"))
	if err != nil {
		t.Fatal(err)
	}
	motion, err := Parse(encodeMotion(t, dir, 320, 240, 45))
	if err != nil {
		t.Fatal(err)
	}
	if !SameParams(stills, motion) {
		t.Fatal("stills and motion encodes use different parameter sets")
	}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	steps := []func() error{
		func() error { return w.WriteStream(motion) },
		func() error { return w.WriteUnit(&stills.Units[0]) },
		func() error { return w.WriteSkip(29) },
		func() error { return w.WriteStream(motion) },
		func() error { return w.WriteUnit(&stills.Units[1]) },
		func() error { return w.WriteSkip(9) },
	}
	for _, f := range steps {
		if err := f(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "spliced.h264")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if msg := decodeErrors(t, path); msg != "" {
		t.Fatalf("decoder complained: %s", msg)
	}
	h := frameHashes(t, path)
	if len(h) != 45+30+45+10 {
		t.Fatalf("decoded %d frames, want 130", len(h))
	}
	ref := frameHashes(t, filepath.Join(dir, "motion.h264"))
	for i := 0; i < 45; i++ {
		if h[i] != ref[i] || h[75+i] != ref[i] {
			t.Fatalf("spliced motion frame %d differs from the source", i)
		}
	}
	if h[45] != h[74] || h[120] != h[129] {
		t.Fatal("repeated still frames differ")
	}
}

func TestParamMismatch(t *testing.T) {
	needFFmpeg(t)
	a, err := Parse(encodeStills(t, t.TempDir(), 320, 240, "red"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse(encodeStills(t, t.TempDir(), 352, 288, "red"))
	if err != nil {
		t.Fatal(err)
	}
	if SameParams(a, b) {
		t.Fatal("different sizes reported as the same parameters")
	}
	w := NewWriter(&bytes.Buffer{})
	if err := w.WriteUnit(&a.Units[0]); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteUnit(&b.Units[0]); !errors.Is(err, ErrParamMismatch) {
		t.Fatalf("got %v, want ErrParamMismatch", err)
	}
}

func TestSkipRefusesCABAC(t *testing.T) {
	sps := &SPS{FrameMbsOnly: true, MaxNumRefFrames: 1, Log2MaxFrameNum: 4, PicOrderCntType: 2, ChromaFormatIdc: 1, WidthInMbs: 2, HeightInMapUnits: 2}
	pps := &PPS{EntropyCodingMode: true, NumSliceGroups: 1}
	if _, err := SkipPicture(sps, pps, 1, 0, 2); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("got %v, want ErrUnsupported", err)
	}
	pps.EntropyCodingMode = false
	n, err := SkipPicture(sps, pps, 1, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if n.Type() != TypeSlice || n.RefIdc() != 2 {
		t.Fatalf("got NAL type %d ref %d", n.Type(), n.RefIdc())
	}
}

// TestSkipsInsideEncodedStream inserts skipped pictures after every
// picture of an IPPP stream: the P pictures, renumbered, still decode to
// exactly the pictures they were encoded as, each repeated.
func TestSkipsInsideEncodedStream(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	src := encodeMotion(t, dir, 320, 240, 20)
	st, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	ref := frameHashes(t, filepath.Join(dir, "motion.h264"))
	var buf bytes.Buffer
	w := NewWriter(&buf)
	repeat := func(i int) int { return i%4 + 1 } // 1..4 copies, crossing the frame_num modulus
	want := []string{}
	for i := range st.Units {
		if err := w.WriteUnit(&st.Units[i]); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteSkip(repeat(i) - 1); err != nil {
			t.Fatal(err)
		}
		for k := 0; k < repeat(i); k++ {
			want = append(want, ref[i])
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "interleaved.h264")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if msg := decodeErrors(t, path); msg != "" {
		t.Fatalf("decoder complained: %s", msg)
	}
	got := frameHashes(t, path)
	if len(got) != len(want) {
		t.Fatalf("decoded %d frames, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("frame %d differs from the source picture it repeats", i)
		}
	}
	// The output's frame numbers follow each other.
	out, err := Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	max := out.SPS().MaxFrameNum()
	for i := 1; i < len(out.Units); i++ {
		p := out.Units[i].Picture
		if !p.IDR && p.FrameNum != (out.Units[i-1].Picture.FrameNum+1)%max {
			t.Fatalf("unit %d has frame_num %d after %d", i, p.FrameNum, out.Units[i-1].Picture.FrameNum)
		}
	}
}

// oneByte hands out its data one byte per Read, the worst case for a
// streaming reader.
type oneByte struct{ b []byte }

func (o *oneByte) Read(p []byte) (int, error) {
	if len(o.b) == 0 {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	p[0] = o.b[0]
	o.b = o.b[1:]
	return 1, nil
}

// TestReaderMatchesParse reads encoded streams through Reader, whole and
// one byte at a time, and expects exactly the access units Parse finds.
func TestReaderMatchesParse(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	for name, data := range map[string][]byte{
		"stills": encodeStills(t, dir, 320, 240, "red", "green", "blue"),
		"motion": encodeMotion(t, dir, 320, 240, 40),
	} {
		want, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		for _, src := range []io.Reader{bytes.NewReader(data), &oneByte{data}} {
			rd := NewReader(src)
			var got []*AccessUnit
			for {
				au, err := rd.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				got = append(got, au)
			}
			if len(got) != len(want.Units) {
				t.Fatalf("%s: %d units, want %d", name, len(got), len(want.Units))
			}
			for i := range got {
				if got[i].Picture != want.Units[i].Picture || len(got[i].NALs) != len(want.Units[i].NALs) {
					t.Fatalf("%s unit %d: %+v, want %+v", name, i, got[i].Picture, want.Units[i].Picture)
				}
				for k := range got[i].NALs {
					if !bytes.Equal(got[i].NALs[k], want.Units[i].NALs[k]) {
						t.Fatalf("%s unit %d NAL %d differs", name, i, k)
					}
				}
			}
			if !SameParamSets(rd.Params(), want.Params) {
				t.Fatalf("%s: parameter sets differ", name)
			}
		}
	}
	if _, err := NewReader(bytes.NewReader([]byte{0, 0, 1, 9, 0xf0})).Next(); err == nil || err == io.EOF {
		t.Fatalf("a stream without pictures: %v", err)
	}
}
