package render

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/media/ffmpeg"
	"github.com/ytmaker/ytmaker/internal/media/subtitles"
)

// writeHalves writes a w×h PNG, red on the left half and blue on the right.
func writeHalves(t testing.TB, path string, w, h int) {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBA{220, 20, 20, 255}
			if x >= w/2 {
				c = color.NRGBA{20, 20, 220, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

// pixel returns the colour at (x, y) of a packed RGB frame w wide.
func pixel(rgb []byte, w, x, y int) [3]int {
	i := 3 * (y*w + x)
	return [3]int{int(rgb[i]), int(rgb[i+1]), int(rgb[i+2])}
}

// rgbPSNR compares two packed RGB frames.
func rgbPSNR(a, b []byte, w, h int) float64 {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = b[3*i], b[3*i+1], b[3*i+2], 255
	}
	return psnr(a, img)
}

// ownMediaSegments returns four segments of 1, 1, 2.5 and 1.5 s: a slide,
// a square picture, a 1 s clip with sound (looped) and a 5 s clip of the
// frame's shape (cut).
func ownMediaSegments(t *testing.T, dir string, w, h int) []Segment {
	fs := loadFonts(t)
	segs := makeSegments(t, fs, dir, 4, w, h, time.Second, "en", true)
	for i, d := range []time.Duration{time.Second, time.Second, 2500 * time.Millisecond, 1500 * time.Millisecond} {
		writeVoice(t, segs[i].Audio, 22050, d, 0, 300)
		segs[i].Cues = nil
	}
	square := filepath.Join(dir, "own.png")
	writeHalves(t, square, 120, 120)
	segs[1].Image, segs[1].Fit = square, FitFill
	looped := filepath.Join(dir, "short.mp4")
	makeClip(t, looped, 400, 300, 25, time.Second, true)
	segs[2].Clip = looped
	long := filepath.Join(dir, "long.mov")
	makeClip(t, long, w, h, 30, 5*time.Second, false)
	segs[3].Clip, segs[3].Image = long, ""
	return segs
}

func TestOwnPictureAndClips(t *testing.T) {
	// One run at a time: the first clip's run is single-threaded, the
	// last uses threads (encodeClips).
	for _, par := range []int{0, 1} {
		t.Run(fmt.Sprintf("parallel=%d", par), func(t *testing.T) { testOwnPictureAndClips(t, par) })
	}
}

func testOwnPictureAndClips(t *testing.T, par int) {
	ff := needTools(t)
	dir := t.TempDir()
	segs := ownMediaSegments(t, dir, 320, 180)
	out := filepath.Join(dir, "final_video.mp4")
	res, err := Render(context.Background(), Spec{Width: 320, Height: 180, Segments: segs, OutPath: out}, Options{FFmpeg: ff, Parallel: par})
	if err != nil {
		t.Fatal(err)
	}
	if res.Method != "stills" {
		t.Fatalf("method %s: the clips were not spliced", res.Method)
	}
	checkOutput(t, ff, res, 320, 180, 6*time.Second)
	hashes := frameHashes(t, out)
	// The slide and the picture stand still (skipped frames).
	for i := 1; i < 30; i++ {
		if hashes[i] != hashes[0] || hashes[30+i] != hashes[30] {
			t.Fatalf("frame %d moves inside a still segment", i)
		}
	}
	// The square picture fits the frame's height, centred: red left of
	// the centre, blue right of it, over a darkened blurred copy (not
	// black bars).
	pic := decodeRGB(t, out, 45, 320, 180)
	if c := pixel(pic, 320, 130, 90); c[0] < 160 || c[2] > 80 {
		t.Errorf("left of centre is %v, want the picture's red", c)
	}
	if c := pixel(pic, 320, 190, 90); c[2] < 160 || c[0] > 80 {
		t.Errorf("right of centre is %v, want the picture's blue", c)
	}
	for _, x := range []int{5, 314} {
		c := pixel(pic, 320, x, 90)
		if c[0]+c[1]+c[2] < 40 || c[0]+c[1]+c[2] > 400 {
			t.Errorf("background at x=%d is %v, want a darkened blur of the picture", x, c)
		}
	}
	// The 1 s clip loops through the 2.5 s narration: a frame comes back
	// 30 frames (the clip's length) later, and it moves in between.
	a, b, c := decodeRGB(t, out, 65, 320, 180), decodeRGB(t, out, 95, 320, 180), decodeRGB(t, out, 80, 320, 180)
	if p := rgbPSNR(a, b, 320, 180); p < 30 {
		t.Errorf("looped clip: frames 65 and 95 differ (PSNR %.1f dB)", p)
	}
	if p := rgbPSNR(a, c, 320, 180); p > 25 {
		t.Errorf("clip frames 65 and 80 look the same (PSNR %.1f dB): it does not move", p)
	}
	// The 4:3 clip fits the frame's height between bands of its
	// darkened, blurred copy (clipStack): 240 px wide, centred.
	for _, x := range []int{5, 34, 285, 314} {
		c := pixel(c, 320, x, 90)
		if c[0]+c[1]+c[2] < 40 || c[0]+c[1]+c[2] > 400 {
			t.Errorf("clip background at x=%d is %v, want a darkened blur of the clip", x, c)
		}
	}
	// The bands are the darkened copy: darker than the clip between them.
	mean := func(x0, x1 int) float64 {
		sum := 0
		for y := 0; y < 180; y++ {
			for x := x0; x < x1; x++ {
				p := pixel(c, 320, x, y)
				sum += p[0] + p[1] + p[2]
			}
		}
		return float64(sum) / float64(180*(x1-x0))
	}
	if band, clip := (mean(0, 38)+mean(282, 320))/2, mean(42, 278); band > 0.75*clip {
		t.Errorf("bands' mean level %.0f, the clip's %.0f: the bands are not the darkened copy", band, clip)
	}
	// The 5 s clip is cut to its 1.5 s: its last frame is the clip's
	// frame 44.
	got := decodeRGB(t, out, 179, 320, 180)
	want := decodeRGB(t, segs[3].Clip, 44, 320, 180)
	if p := rgbPSNR(got, want, 320, 180); p < 28 {
		t.Errorf("last frame vs the clip's frame 44: PSNR %.1f dB", p)
	}
	// The clip's own sound is dropped: the narration is the sound.
	samples := decodeAudio(t, out, 48000)
	if l := toneLevel(samples, 48000, 440, 2100*time.Millisecond, 4400*time.Millisecond); l > 0.01 {
		t.Errorf("the clip's 440 Hz tone is in the sound track (level %.3f)", l)
	}
	if l := toneLevel(samples, 48000, 300, 2100*time.Millisecond, 4400*time.Millisecond); l < 0.02 {
		t.Errorf("the narration is missing under the clip (level %.3f)", l)
	}
}

// Portrait, with motion, and the filter graph renderer: the same media
// fill a 9:16 frame and the video lasts the narration.
func TestOwnMediaPortraitAndFallback(t *testing.T) {
	ff := needTools(t)
	for _, tc := range []struct {
		name   string
		motion Motion
		slow   bool
	}{{"kenburns", MotionKenBurns, false}, {"filtergraph", MotionNone, true}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			segs := ownMediaSegments(t, dir, 180, 320)
			spec := Spec{Width: 180, Height: 320, Segments: segs, Motion: tc.motion, OutPath: filepath.Join(dir, "final_video.mp4")}
			render := Render
			if tc.slow {
				render = RenderFilterGraph
			}
			res, err := render(context.Background(), spec, Options{FFmpeg: ff})
			if err != nil {
				t.Fatal(err)
			}
			checkOutput(t, ff, res, 180, 320, 6*time.Second)
			pic := decodeRGB(t, res.Path, 45, 180, 320)
			if c := pixel(pic, 180, 60, 160); c[0] < 140 || c[2] > 100 {
				t.Errorf("left of centre is %v, want the picture's red", c)
			}
			if c := pixel(pic, 180, 120, 160); c[2] < 140 || c[0] > 100 {
				t.Errorf("right of centre is %v, want the picture's blue", c)
			}
		})
	}
}

// A phone clip recorded upright is stored landscape with a display
// matrix; ffmpeg turns its pictures upright when decoding, so the clip
// fills a landscape frame as the portrait it is: between bands of its
// blurred copy, not squashed to the frame.
func TestRotatedClip(t *testing.T) {
	// Stored 320×180: red left, blue right; shown rotated a quarter turn.
	ff, dir, segs, plain := halvesClip(t, time.Second, "-t", "1.5", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "plain.mp4")
	stored := filepath.Join(dir, "stored.mp4")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-y", "-i", plain, "-c", "copy", "-metadata:s:v:0", "rotate=90", stored).CombinedOutput(); err != nil {
		t.Fatalf("turn clip: %v\n%s", err, out)
	}
	info, err := ff.Probe(context.Background(), stored)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := info.Video(); v.Width != 180 || v.Height != 320 || v.Rotation%180 == 0 {
		t.Fatalf("probed %dx%d rotated %d, want 180x320 upright", v.Width, v.Height, v.Rotation)
	}
	segs[0].Clip, segs[0].Image = stored, ""
	out := filepath.Join(dir, "final_video.mp4")
	res, err := Render(context.Background(), Spec{Width: 320, Height: 180, Segments: segs, OutPath: out}, Options{FFmpeg: ff})
	if err != nil {
		t.Fatal(err)
	}
	checkOutput(t, ff, res, 320, 180, time.Second)
	rgb := decodeRGB(t, out, 15, 320, 180)
	// Upright, the halves are top and bottom, the clip 102 px wide in
	// the middle (180·180/320, rounded up to even).
	top, bottom := pixel(rgb, 320, 160, 40), pixel(rgb, 320, 160, 140)
	if top == bottom || max(top[0], top[2])-min(top[0], top[2]) < 100 || max(bottom[0], bottom[2])-min(bottom[0], bottom[2]) < 100 {
		t.Errorf("middle column: top %v, bottom %v; want red and blue halves one above the other", top, bottom)
	}
	// Beside it, darkened bands (red at most 0.55·220 plus blur), where
	// a clip squashed to the frame would show its full red and blue.
	for _, x := range []int{10, 310} {
		if c := pixel(rgb, 320, x, 40); max(c[0], c[2]) > 170 {
			t.Errorf("(%d,40) is %v: want a darkened band beside the upright clip", x, c)
		}
		if c := pixel(rgb, 320, x, 140); max(c[0], c[2]) > 170 {
			t.Errorf("(%d,140) is %v: want a darkened band beside the upright clip", x, c)
		}
	}
}

// Captions over a clip appear and go exactly on the frames of their
// times, as over pictures.
func TestClipCaptionFrames(t *testing.T) {
	// A clip that stands still: its frames differ only where captions
	// change.
	ff, dir, segs, clip := halvesClip(t, 2*time.Second, "-t", "2.5", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "still.mp4")
	at := func(frame int) time.Duration { return time.Duration(frame) * time.Second / 30 }
	segs[0].Clip, segs[0].Image = clip, ""
	segs[0].Cues = []subtitles.Cue{
		{Start: at(3), End: at(17), Text: "First caption"},
		{Start: at(17), End: at(30), Text: "Second one"},
		{Start: at(40), End: at(54), Text: "After a gap"},
	}
	spec := Spec{Width: 320, Height: 180, Segments: segs, Subtitles: true, Language: "en", OutPath: filepath.Join(dir, "final_video.mp4")}
	want := []int{3, 17, 30, 40, 54} // the frames where the captions change
	res, err := Render(context.Background(), spec, Options{FFmpeg: ff})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := exec.Command("ffmpeg", "-v", "error", "-i", res.Path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	const size = 320 * 180 * 3
	if len(raw) != 60*size {
		t.Fatalf("%d frames, want 60", len(raw)/size)
	}
	// Mean difference of the bottom third from the frame before.
	diff := func(f int) float64 {
		a, b := raw[(f-1)*size:f*size], raw[f*size:(f+1)*size]
		sum := 0
		for i := 120 * 320 * 3; i < size; i++ {
			sum += max(int(a[i])-int(b[i]), int(b[i])-int(a[i]))
		}
		return float64(sum) / float64(60*320*3)
	}
	for f := 1; f < 60; f++ {
		d, change := diff(f), slices.Contains(want, f)
		// A caption's text changes a tenth of the region's pixels
		// (≥ 0.5 on average); encoding noise stays under 0.1.
		if change && d < 0.5 || !change && d > 0.15 {
			t.Errorf("frame %d: the captions' region differs by %.2f from the frame before; a change there: %v", f, d, change)
		}
	}
}

// Phones record HLG (BT.2020, 10-bit HEVC) by default: such a clip keeps
// its colours, rather than coming out grey and washed out.
func TestHDRClip(t *testing.T) {
	ff, dir, segs, clip := halvesClip(t, time.Second, "-t", "1.5",
		"-vf", "zscale=tin=bt709:pin=bt709:min=bt709:rin=pc:t=arib-std-b67:p=bt2020:m=bt2020nc:r=tv,format=yuv420p10le",
		"-c:v", "libx265", "-x265-params", "log-level=error", "-pix_fmt", "yuv420p10le",
		"-color_primaries", "bt2020", "-color_trc", "arib-std-b67", "-colorspace", "bt2020nc", "-color_range", "tv", "hlg.mp4")
	segs[0].Clip, segs[0].Image = clip, ""
	// Spliced, and through the filter graph renderer (the fallback).
	for i, render := range []func(context.Context, Spec, Options) (*Result, error){Render, RenderFilterGraph} {
		res, err := render(context.Background(), Spec{Width: 320, Height: 180, Segments: segs,
			OutPath: filepath.Join(dir, fmt.Sprint(i), "final_video.mp4")}, Options{FFmpeg: ff})
		if err != nil {
			t.Fatal(err)
		}
		checkOutput(t, ff, res, 320, 180, time.Second)
		rgb := decodeRGB(t, res.Path, 15, 320, 180)
		// The picture's red is (220, 20, 20), its blue (20, 20, 220).
		red, blue := pixel(rgb, 320, 80, 90), pixel(rgb, 320, 240, 90)
		if red[0] < 190 || red[1] > 60 || red[2] > 60 || blue[2] < 190 || blue[0] > 60 || blue[1] > 60 {
			t.Errorf("%s: red half %v, blue half %v: want about (220,20,20) and (20,20,220)", res.Method, red, blue)
		}
	}
}

// halvesClip returns, in a new directory, one 320x180 segment of d and a
// clip made by ffmpeg from a still of red and blue halves: "-loop 1
// -framerate 30 -i halves.png", then args (the output's name last).
func halvesClip(t *testing.T, d time.Duration, args ...string) (*ffmpeg.Runner, string, []Segment, string) {
	ff := needTools(t)
	dir := t.TempDir()
	segs := makeSegments(t, loadFonts(t), dir, 1, 320, 180, d, "en", false)
	halves := filepath.Join(dir, "halves.png")
	writeHalves(t, halves, 320, 180)
	clip := filepath.Join(dir, args[len(args)-1])
	args = append([]string{"-v", "error", "-y", "-loop", "1", "-framerate", "30", "-i", halves}, args[:len(args)-1]...)
	if out, err := exec.Command("ffmpeg", append(args, clip)...).CombinedOutput(); err != nil {
		t.Fatalf("make clip: %v\n%s", err, out)
	}
	return ff, dir, segs, clip
}
