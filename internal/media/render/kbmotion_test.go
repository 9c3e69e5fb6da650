package render

import (
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/media/h264"
)

// compareVideos returns ffmpeg's average PSNR and SSIM of a against b.
func compareVideos(t testing.TB, a, b string) (psnr, ssim float64) {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-hide_banner", "-nostdin", "-i", a, "-i", b,
		"-lavfi", "[0:v][1:v]psnr;[0:v][1:v]ssim", "-f", "null", "-").CombinedOutput()
	if err != nil {
		t.Fatalf("compare: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`PSNR .* average:([0-9.inf]+)`).FindSubmatch(out)
	s := regexp.MustCompile(`SSIM .* All:([0-9.]+)`).FindSubmatch(out)
	if m == nil || s == nil {
		t.Fatalf("no PSNR/SSIM in:\n%s", out)
	}
	psnr, _ = strconv.ParseFloat(string(m[1]), 64)
	ssim, _ = strconv.ParseFloat(string(s[1]), 64)
	return psnr, ssim
}

// TestKenBurnsMotion renders the four motions (zoom in, pan, zoom out,
// pan back) with captions and a watermark by synthesised motion, checks
// that the stream decodes without an error, and compares it with the
// same video encoded frame by frame.
func TestKenBurnsMotion(t *testing.T) {
	ff := needTools(t)
	fs := loadFonts(t)
	dir := t.TempDir()
	if keep := os.Getenv("KB_KEEP"); keep != "" {
		dir = keep // to look at the frames
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	const w, h = 640, 360
	segs := makeSegments(t, fs, dir, 4, w, h, 1500*time.Millisecond, "en", true)
	wm := filepath.Join(dir, "wm.png")
	writeHalves(t, wm, 80, 40)
	intro := filepath.Join(dir, "intro.mp4")
	makeClip(t, intro, 320, 240, 30, 500*time.Millisecond, true)
	spec := Spec{Width: w, Height: h, Segments: segs, Subtitles: true, Motion: MotionKenBurns,
		Watermark: &Watermark{Image: wm, X: 20, Y: 20, Width: 80, Opacity: 0.6}, Intro: intro}
	spec.OutPath = filepath.Join(dir, "motion.mp4")
	res, err := Render(context.Background(), spec, Options{FFmpeg: ff, KeepWork: os.Getenv("KB_KEEP") != ""})
	if err != nil {
		t.Fatal(err)
	}
	if res.Method != "kenburns" {
		t.Fatalf("method %s", res.Method)
	}
	checkOutput(t, ff, res, w, h, 6500*time.Millisecond)
	out, err := exec.Command("ffmpeg", "-v", "error", "-i", res.Path, "-f", "null", "-").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "" {
		t.Fatalf("decoding reports: %v %s", err, out)
	}
	// The intro is spliced before the anchors: most pictures are
	// synthesised (non-reference).
	raw := filepath.Join(dir, "motion.h264")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-y", "-i", res.Path, "-map", "0:v", "-c", "copy",
		"-bsf:v", "h264_mp4toannexb", "-f", "h264", raw).CombinedOutput(); err != nil {
		t.Fatalf("extract the stream: %v %s", err, out)
	}
	data, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	st, err := h264.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	synth, idr := 0, 0
	for _, u := range st.Units {
		if u.Picture.RefIdc == 0 {
			synth++
		}
		if u.Picture.IDR {
			idr++
		}
	}
	// A key frame starts the intro and each shot, none inside the 1.5 s
	// shots.
	if idr != 5 {
		t.Errorf("%d key frames, want 5", idr)
	}
	if len(st.Units) != 195 || synth < 120 {
		t.Fatalf("%d pictures, %d synthesised: want 195, most of the 180 Ken Burns frames", len(st.Units), synth)
	}
	spec.OutPath = filepath.Join(dir, "every.mp4")
	every, err := Render(context.Background(), spec, Options{FFmpeg: ff, everyFrame: true})
	if err != nil {
		t.Fatal(err)
	}
	spec.OutPath = filepath.Join(dir, "exact.mp4")
	exact, err := Render(context.Background(), spec, Options{FFmpeg: ff, kbReference: true})
	if err != nil {
		t.Fatal(err)
	}
	mp, ms := compareVideos(t, res.Path, exact.Path)
	ep, es := compareVideos(t, every.Path, exact.Path)
	xp, xs := compareVideos(t, res.Path, every.Path)
	t.Logf("against the exact motion: synthesised PSNR %.2f dB SSIM %.4f, every frame encoded PSNR %.2f dB SSIM %.4f; "+
		"synthesised against every frame encoded: PSNR %.2f dB SSIM %.4f", mp, ms, ep, es, xp, xs)
	// The frames x264 encodes one by one follow the motion only to the
	// whole pixel; the synthesised ones must follow it at least as well.
	if mp < 31 || ms < 0.98 || mp < ep || ms < es {
		t.Errorf("synthesised motion is %.2f dB / SSIM %.4f from the exact motion (every frame encoded: %.2f dB / %.4f)", mp, ms, ep, es)
	}
}

func kbTestPlan() *plan {
	return &plan{w: 1920, h: 1080, fps: 30, kbUp: 2, kbStep: kbStep,
		shots: []shot{{}, {}, {}, {}}}
}

func TestKBAnchors(t *testing.T) {
	p := kbTestPlan()
	for k := range 4 {
		as := p.kbAnchors(k, 150, []int{3, 100, 100, 149})
		at := map[int]bool{}
		for j, a := range as {
			at[a.frame] = true
			if j > 0 && a.frame-as[j-1].frame > kbStep {
				t.Errorf("motion %d: anchors %d and %d are more than %d frames apart", k, as[j-1].frame, a.frame, kbStep)
			}
			next := 150
			if j+1 < len(as) {
				next = as[j+1].frame
			}
			for f := a.frame + 1; f < next; f++ {
				if d := p.kbShift(a.view, p.kbIdeal(k, 150, f)); d > kbMaxShift {
					t.Errorf("motion %d frame %d: moved %.1f px from anchor %d", k, f, d, a.frame)
				}
			}
			if a.x%2 != 0 || a.y%2 != 0 {
				t.Errorf("anchor at %d,%d: zoompan crops at even positions", a.x, a.y)
			}
			if d := math.Abs(a.view.ox-a.ideal.ox) / a.ideal.sx; d > 0.6 {
				t.Errorf("motion %d anchor %d: %.2f px from the exact view", k, a.frame, d)
			}
		}
		for _, f := range []int{0, 3, 100, 149} {
			if !at[f] {
				t.Errorf("motion %d: no anchor at frame %d", k, f)
			}
		}
		// Key frames every 2 s: at the anchors of frames 0, 60 and 120
		// (or the first after them).
		keys := strings.Split(p.kbKeyTimes(as), ",")
		if len(keys) != 3 || keys[0] != "0.000000" {
			t.Errorf("motion %d: key frames at %v", k, keys)
		}
		for _, kt := range keys[1:] {
			v, _ := strconv.ParseFloat(kt, 64)
			j := int(math.Round(v * 30))
			if f := as[j].frame; f%60 > kbStep-1 || as[j-1].frame/60 == f/60 {
				t.Errorf("motion %d: key frame at anchor %d (frame %d)", k, j, f)
			}
		}
	}
}

func TestKBField(t *testing.T) {
	p := kbTestPlan()
	cw, ch := p.kbCoded()
	f := h264.NewMotionField((cw+15)/16, (ch+15)/16)
	// Pan (motion 1): the same vector everywhere.
	a := p.kbIdeal(1, 150, 40)
	v := p.kbIdeal(1, 150, 44)
	p.kbField(f, a, v, nil)
	want := f.At(0, 0)
	if want.Y != 0 || want.X < 4*4 || want.X > 6*4 {
		t.Fatalf("pan over 4 frames: vector %v, want about 4.7 px right", want)
	}
	for i, mv := range f.MVs {
		if mv != want {
			t.Fatalf("pan: block %d moves by %v, block 0 by %v", i, mv, want)
		}
	}
	// Zoom in (motion 0): the picture grows from the centre, so a block
	// near an edge shows what was nearer the centre in the anchor.
	a, v = p.kbIdeal(0, 150, 40), p.kbIdeal(0, 150, 46)
	p.kbField(f, a, v, nil)
	cx, cy := (kbMarginLeft+960)/8, (kbMargin+540)/8
	if mv := f.At(cx, cy); abs32(mv.X) > 1 || abs32(mv.Y) > 1 {
		t.Errorf("zoom: centre moves by %v", mv)
	}
	l, r := f.At(kbMarginLeft/8, cy), f.At((kbMarginLeft+1912)/8, cy)
	if l.X <= 0 || r.X >= 0 || abs32(l.X+r.X) > 2 {
		t.Errorf("zoom in: left edge samples from %v, right edge from %v: want symmetric, towards the centre", l, r)
	}
	// A masked block keeps a zero vector, and so does one whose
	// reference reaches into it; others move.
	mask := make([]byte, (1920/8)*(1080/8))
	mask[100*240+120] = 255
	a, v = p.kbIdeal(1, 150, 40), p.kbIdeal(1, 150, 44)
	p.kbField(f, a, v, mask)
	bx, by := kbMarginLeft/8+120, kbMargin/8+100
	if f.At(bx, by) != (h264.MV{}) || f.At(bx-1, by) != (h264.MV{}) {
		t.Errorf("masked block %v, its left neighbour (whose reference covers it) %v: want zero", f.At(bx, by), f.At(bx-1, by))
	}
	if f.At(bx-3, by) != want || f.At(bx, by-2) != want {
		t.Errorf("blocks away from the overlay move by %v and %v, want %v", f.At(bx-3, by), f.At(bx, by-2), want)
	}
}

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}

// TestKenBurnsMotionWithClips: segments showing the creator's clips are
// encoded with the anchors' margins and spliced between them.
func TestKenBurnsMotionWithClips(t *testing.T) {
	ff := needTools(t)
	dir := t.TempDir()
	const w, h = 320, 176
	segs := ownMediaSegments(t, dir, w, h)
	res, err := Render(context.Background(), Spec{Width: w, Height: h, Segments: segs, Motion: MotionKenBurns,
		OutPath: filepath.Join(dir, "final_video.mp4")}, Options{FFmpeg: ff})
	if err != nil {
		t.Fatal(err)
	}
	if res.Method != "kenburns" {
		t.Fatalf("method %s", res.Method)
	}
	checkOutput(t, ff, res, w, h, 6*time.Second)
	if out, err := exec.Command("ffmpeg", "-v", "error", "-i", res.Path, "-f", "null", "-").CombinedOutput(); err != nil || len(out) > 0 {
		t.Fatalf("decoding reports: %v %s", err, out)
	}
	// The 5 s clip is cut to its 1.5 s: the last frame is its frame 44,
	// whole (the margins cropped away).
	got := decodeRGB(t, res.Path, 179, w, h)
	want := decodeRGB(t, segs[3].Clip, 44, w, h)
	if p := rgbPSNR(got, want, w, h); p < 28 {
		t.Errorf("last frame vs the clip's frame 44: PSNR %.1f dB", p)
	}
	// The first segment moves between its anchors.
	a, b := decodeRGB(t, res.Path, 2, w, h), decodeRGB(t, res.Path, 6, w, h)
	if p := rgbPSNR(a, b, w, h); p > 45 {
		t.Errorf("frames 2 and 6 of the zoom look the same (PSNR %.1f dB)", p)
	}
}
