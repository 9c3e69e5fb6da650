package render

import (
	"context"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/media/ffmpeg"
	"github.com/ytmaker/ytmaker/internal/media/mp4"
)

func TestClipCover(t *testing.T) {
	land := &plan{w: 1920, h: 1080}
	port := &plan{w: 1080, h: 1920}
	scale := ",scale=1920:1080,setsar=1,scale=out_color_matrix=bt709:out_range=tv"
	tests := []struct {
		name string
		p    *plan
		w, h int
		want string // "" = not covered
	}{
		{"1080p", land, 1920, 1080, scale[1:]},
		{"4K UHD", land, 3840, 2160, scale[1:]},
		{"720p", land, 1280, 720, scale[1:]},
		{"DCI 4K: the sides cropped", land, 4096, 2160, "crop=3840:2160" + scale},
		{"16:10: top and bottom cropped", land, 1920, 1200, "crop=1920:1080" + scale},
		{"cinematic 2.4:1: fitted over a blurred copy", land, 1920, 800, ""},
		{"4:3: fitted over a blurred copy", land, 1440, 1080, ""},
		{"portrait clip in a portrait frame", port, 1080, 1920, "scale=1080:1920,setsar=1,scale=out_color_matrix=bt709:out_range=tv"},
		{"landscape clip in a portrait frame", port, 1920, 1080, ""},
		{"unknown size", land, 0, 0, ""},
	}
	// Tagged BT.709 limited range: no conversion pass.
	if got, _ := land.clipCover(ffmpeg.Stream{Width: 3840, Height: 2160, ColorSpace: "bt709", ColorRange: "tv"}); got != "scale=1920:1080,setsar=1" {
		t.Errorf("BT.709 clip: %q", got)
	}
	for _, tt := range tests {
		got, ok := tt.p.clipCover(ffmpeg.Stream{Width: tt.w, Height: tt.h})
		if ok != (tt.want != "") || got != tt.want {
			t.Errorf("%s: %q, %v; want %q", tt.name, got, ok, tt.want)
		}
	}
}

func TestClipCost(t *testing.T) {
	hd := ffmpeg.Stream{Width: 1920, Height: 1080, AvgFrameRate: ffmpeg.Rational{Num: 30, Den: 1}}
	uhd := ffmpeg.Stream{Width: 3840, Height: 2160, AvgFrameRate: ffmpeg.Rational{Num: 25, Den: 1}}
	hd60 := ffmpeg.Stream{Width: 1920, Height: 1080, AvgFrameRate: ffmpeg.Rational{Num: 60, Den: 1}}
	hd24 := ffmpeg.Stream{Width: 1920, Height: 1080, AvgFrameRate: ffmpeg.Rational{Num: 24000, Den: 1001}}
	sd := ffmpeg.Stream{Width: 1280, Height: 720, AvgFrameRate: ffmpeg.Rational{Num: 30, Den: 1}}
	tests := []struct {
		name   string
		frames int
		v      ffmpeg.Stream
		ok     bool
		cover  bool
		want   float64
	}{
		{"1080p30: encoding and decoding alike", 150, hd, true, true, 300},
		{"unknown: taken as 1080p at the frame rate", 150, ffmpeg.Stream{}, false, true, 300},
		{"4K decodes four times the pixels", 150, uhd, true, true, 750},
		{"60 fps decodes every dropped frame too", 150, hd60, true, true, 450},
		{"24 fps: repeated frames cost no decoding", 150, hd24, true, true, 300},
		{"720p decodes less", 150, sd, true, true, 150 * (1 + 1280.0*720/(1920*1080))},
		{"the blurred copy adds half", 150, hd, true, false, 450},
		{"twice the frames, twice the cost", 300, hd, true, true, 600},
	}
	for _, tt := range tests {
		if got := clipCost(tt.frames, 30, tt.v, tt.ok, tt.cover); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%s: %.2f, want %.2f", tt.name, got, tt.want)
		}
	}
}

func TestClipOrder(t *testing.T) {
	p := &plan{w: 1920, h: 1080, fps: 30, shots: []shot{
		{clip: true, from: 0, to: 150},    // 1080p30
		{from: 150, to: 300},              // a still
		{clip: true, from: 300, to: 450},  // 4K
		{clip: true, from: 450, to: 600},  // unknown
		{clip: true, from: 600, to: 750},  // 2.4:1, over a blurred copy
		{clip: true, from: 750, to: 1050}, // 1080p30, twice as long
	}}
	r := &renderer{p: p, clipProbes: make([]clipProbe, len(p.shots))}
	set := func(k, w, h int) {
		r.clipProbes[k] = clipProbe{v: ffmpeg.Stream{Width: w, Height: h, AvgFrameRate: ffmpeg.Rational{Num: 30, Den: 1}}, ok: true, done: true}
	}
	set(0, 1920, 1080)
	set(2, 3840, 2160)
	set(4, 1920, 800)
	set(5, 1920, 1080)
	r.clipProbes[3].done = true
	// Costs: 300, 750, 450 (unknown: the general graph, with the blurred
	// copy), 150·(1+0.74)·1.5 ≈ 392, 600.
	if got, want := r.clipOrder([]int{0, 2, 3, 4, 5}), []int{2, 5, 3, 4, 0}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

func TestClipStack(t *testing.T) {
	land := &plan{w: 1920, h: 1080}
	port := &plan{w: 1080, h: 1920}
	small := &plan{w: 320, h: 180}
	tests := []struct {
		name  string
		p     *plan
		w, h  int
		parts []string // "" = not stacked
	}{
		{"cinematic 2.4:1: bands above and below", land, 1920, 800,
			[]string{"crop=1920:140:0:0[", "crop=1920:140:0:940[", "scale=1920:800,", "vstack=inputs=3"}},
		{"4:3: bands left and right", land, 1440, 1080,
			[]string{"crop=240:1080:0:0[", "crop=240:1080:1680:0[", "scale=1440:1080,", "hstack=inputs=3"}},
		{"landscape clip in a portrait frame", port, 1920, 1080,
			[]string{"crop=1080:656:0:0[", "crop=1080:656:0:1264[", "scale=1080:608,", "vstack=inputs=3"}},
		{"uneven bands: the first even", land, 1920, 818,
			[]string{"crop=1920:130:0:0[", "crop=1920:132:0:948[", "scale=1920:818,", "vstack=inputs=3"}},
		{"4:3 in a small frame", small, 400, 300,
			[]string{"crop=40:180:0:0[", "crop=40:180:280:0[", "scale=240:180,", "hstack=inputs=3"}},
		{"unknown size", land, 0, 0, nil},
	}
	for _, tt := range tests {
		got, ok := tt.p.clipStack(ffmpeg.Stream{Width: tt.w, Height: tt.h}, "in", "out")
		if ok != (tt.parts != nil) {
			t.Errorf("%s: stacked %v: %q", tt.name, ok, got)
			continue
		}
		for _, part := range tt.parts {
			if !strings.Contains(got, part) {
				t.Errorf("%s: %q lacks %q", tt.name, got, part)
			}
		}
		if ok && (!strings.HasPrefix(got, "[in]") || !strings.HasSuffix(got, "[out];")) {
			t.Errorf("%s: labels: %q", tt.name, got)
		}
	}
}

// probeClip reads MP4 files itself; what it reads must be what ffprobe
// reports, or the graphs would differ.
func TestProbeClipMatchesFFprobe(t *testing.T) {
	ff := needTools(t)
	dir := t.TempDir()
	tagged := filepath.Join(dir, "tagged.mp4")
	turned := filepath.Join(dir, "turned.mov")
	for _, args := range [][]string{
		{"-f", "lavfi", "-i", "testsrc2=s=320x176:r=30000/1001:d=1", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
			"-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709", "-color_range", "tv", tagged},
		{"-i", tagged, "-c", "copy", "-metadata:s:v:0", "rotate=270", filepath.Join(dir, "turned.mp4")},
		{"-i", filepath.Join(dir, "turned.mp4"), "-c", "copy", "-f", "mp4", turned},
	} {
		if out, err := exec.Command("ffmpeg", append([]string{"-v", "error", "-y"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	r := &renderer{ff: ff}
	for _, path := range []string{tagged, filepath.Join(dir, "turned.mp4"), turned} {
		got, ok := r.probeClip(context.Background(), path)
		info, err := ff.Probe(context.Background(), path)
		if err != nil || !ok {
			t.Fatal(path, ok, err)
		}
		want, _ := info.Video()
		if got.Width != want.Width || got.Height != want.Height || got.AvgFrameRate != want.AvgFrameRate ||
			got.ColorSpace != want.ColorSpace || got.ColorRange != want.ColorRange || isBT709(got) != isBT709(want) {
			t.Errorf("%s: read %+v\nffprobe %+v", filepath.Base(path), got, want)
		}
	}
}

func TestHDRToSDR(t *testing.T) {
	land := &plan{w: 1920, h: 1080}
	hlg := ffmpeg.Stream{Width: 3840, Height: 2160, ColorTransfer: "arib-std-b67", ColorPrimaries: "bt2020", ColorSpace: "bt2020nc", ColorRange: "tv"}
	pq := ffmpeg.Stream{Width: 3840, Height: 2160, ColorTransfer: "smpte2084", ColorPrimaries: "bt2020", ColorSpace: "bt2020nc", ColorRange: "tv"}
	portrait := hlg
	portrait.Width, portrait.Height = 2160, 3840
	tests := []struct {
		name  string
		v     ffmpeg.Stream
		parts []string // "" = not HDR
		w, h  int
	}{
		{"HLG, converted directly at the frame's size", hlg,
			[]string{"zscale=w=1920:h=1080:tin=arib-std-b67:pin=bt2020:min=bt2020nc:rin=tv:t=bt709:p=bt709:m=bt709:r=tv,format=yuv420p"}, 1920, 1080},
		{"PQ, tone-mapped", pq, []string{"zscale=w=1920:h=1080:tin=smpte2084:", "t=linear:npl=100", "tonemap=tonemap=mobius", "t=bt709:m=bt709:r=tv"}, 1920, 1080},
		{"portrait HLG in a landscape frame: fitted inside", portrait, []string{"zscale=w=608:h=1080:"}, 608, 1080},
		{"SDR", ffmpeg.Stream{Width: 1920, Height: 1080, ColorTransfer: "bt709"}, nil, 1920, 1080},
	}
	for _, tt := range tests {
		f, sdr := land.hdrToSDR(tt.v)
		if (f != "") != (tt.parts != nil) {
			t.Errorf("%s: %q", tt.name, f)
			continue
		}
		for _, part := range tt.parts {
			if !strings.Contains(f, part) {
				t.Errorf("%s: %q lacks %q", tt.name, f, part)
			}
		}
		if sdr.Width != tt.w || sdr.Height != tt.h || f != "" && !isBT709(sdr) {
			t.Errorf("%s: comes out %dx%d %s/%s", tt.name, sdr.Width, sdr.Height, sdr.ColorSpace, sdr.ColorRange)
		}
	}
}

func TestSkipNonRef(t *testing.T) {
	r60, r30 := ffmpeg.Rational{Num: 60, Den: 1}, ffmpeg.Rational{Num: 30, Den: 1}
	alt := func(n int, refAt func(int) bool) []bool {
		refs := make([]bool, n)
		for i := range refs {
			refs[i] = refAt(i)
		}
		return refs
	}
	even := alt(300, func(i int) bool { return i%2 == 0 })
	tests := []struct {
		name string
		refs []bool
		rate ffmpeg.Rational
		n    int
		want bool
	}{
		{"60 fps, every kept frame a reference", even, r60, 150, true},
		{"60 fps, a kept frame not a reference", alt(300, func(i int) bool { return i%2 == 0 && i != 120 }), r60, 150, false},
		{"60 fps, references on the dropped frames", alt(300, func(i int) bool { return i%2 == 1 }), r60, 150, false},
		{"120 fps: every fourth kept", alt(600, func(i int) bool { return i%4 == 0 }), ffmpeg.Rational{Num: 120, Den: 1}, 150, true},
		{"59.94 fps: frames are not dropped on a grid", even, ffmpeg.Rational{Num: 60000, Den: 1001}, 150, false},
		{"30 fps: nothing is dropped", even, r30, 150, false},
		{"50 fps", even, ffmpeg.Rational{Num: 50, Den: 1}, 150, false},
		{"looped, a length of whole pairs", even[:100], r60, 150, true},
		{"looped, an odd length", alt(101, func(i int) bool { return i%2 == 0 }), r60, 150, false},
		{"long enough, odd length", alt(301, func(i int) bool { return i%2 == 0 }), r60, 150, true},
		{"the grid moves after the frames the shot uses", alt(400, func(i int) bool { return i < 300 && i%2 == 0 || i >= 300 && i%2 == 1 }), r60, 150, true},
		{"the grid moves within them", alt(400, func(i int) bool { return i < 200 && i%2 == 0 || i >= 200 && i%2 == 1 }), r60, 150, false},
		{"no frames", nil, r60, 150, false},
	}
	for _, tt := range tests {
		if got := skipNonRef(tt.refs, tt.rate, 30, tt.n); got != tt.want {
			t.Errorf("%s: %v", tt.name, got)
		}
	}
}

// A 60 fps clip decoded without its non-reference frames renders the
// very same video.
func TestSkipNonRefSameVideo(t *testing.T) {
	ff := needTools(t)
	dir := t.TempDir()
	clip := filepath.Join(dir, "sixty.mp4")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=320x180:r=60:d=1.7",
		"-c:v", "libx264", "-preset", "ultrafast", "-bf", "1", "-x264-params", "b-pyramid=none:b-adapt=0:scenecut=0", "-pix_fmt", "yuv420p",
		"-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709", "-color_range", "tv", clip).CombinedOutput(); err != nil {
		t.Fatalf("make clip: %v\n%s", err, out)
	}
	refs, err := mp4.References(clip, 0)
	if err != nil || !skipNonRef(refs, ffmpeg.Rational{Num: 60, Den: 1}, 30, 60) {
		t.Fatalf("the clip does not qualify: %v", err)
	}
	segs := makeSegments(t, loadFonts(t), dir, 3, 320, 180, time.Second, "en", true)
	segs[1].Clip, segs[1].Image = clip, ""
	segs[2].Clip, segs[2].Image = clip, ""
	var hashes [2][]string
	for i, every := range []bool{false, true} {
		res, err := Render(context.Background(), Spec{Width: 320, Height: 180, Segments: segs, Subtitles: true,
			OutPath: filepath.Join(dir, fmt.Sprintf("out%d", i), "video.mp4")}, Options{FFmpeg: ff, Parallel: 1, decodeEveryFrame: every})
		if err != nil {
			t.Fatal(err)
		}
		hashes[i] = frameHashes(t, res.Path)
	}
	if !slices.Equal(hashes[0], hashes[1]) {
		t.Errorf("the videos differ (%d and %d frames)", len(hashes[0]), len(hashes[1]))
	}
}
