package render

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/media/subtitles"
)

func TestBatchStills(t *testing.T) {
	// Shots 0–6, shot 3 a clip; pictures per still shot: 2, 1, 3, -, 1, 2, 1.
	pics := []picture{{shot: 0}, {shot: 0}, {shot: 1}, {shot: 2}, {shot: 2}, {shot: 2}, {shot: 4}, {shot: 5}, {shot: 5}, {shot: 6}}
	still := []int{0, 1, 2, 4, 5, 6}
	type run struct {
		shots  []int
		lo, hi int
	}
	for _, tc := range []struct {
		n    int
		want []run
	}{
		{1, []run{{[]int{0}, 0, 2}, {[]int{1}, 2, 3}, {[]int{2}, 3, 6}, {[]int{4}, 6, 7}, {[]int{5}, 7, 9}, {[]int{6}, 9, 10}}},
		{2, []run{{[]int{0, 1}, 0, 3}, {[]int{2, 4}, 3, 7}, {[]int{5, 6}, 7, 10}}},
		{4, []run{{[]int{0, 1, 2}, 0, 6}, {[]int{4, 5, 6}, 6, 10}}},
		{5, []run{{[]int{0, 1, 2}, 0, 6}, {[]int{4, 5, 6}, 6, 10}}},
		{6, []run{{[]int{0, 1, 2, 4, 5, 6}, 0, 10}}},
		{100, []run{{[]int{0, 1, 2, 4, 5, 6}, 0, 10}}},
	} {
		var got []run
		for i, b := range batchStills(pics, still, tc.n) {
			if want := fmt.Sprintf("stills%03d.h264", i); b.name != want {
				t.Errorf("n=%d: run %d named %s, want %s", tc.n, i, b.name, want)
			}
			got = append(got, run{b.shots, b.picFrom, b.picTo})
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("n=%d: runs %v, want %v", tc.n, got, tc.want)
		}
	}
	if b := batchStills(nil, nil, 3); b != nil {
		t.Errorf("no still shots: runs %v", b)
	}
	if n := stillsBatch(1920, 1080); n < 4 || n > 12 {
		t.Errorf("%d shots per run at 1080p", n)
	}
	if stillsBatch(4096, 4096) != 1 || stillsBatch(320, 180) <= stillsBatch(1920, 1080) {
		t.Error("run size does not follow the frame size")
	}
}

// A video with more still shots than one encoding run takes, a clip among
// them, is encoded in several runs and spliced back: every frame is
// there, each segment shows its picture while it is narrated, and each
// subtitle changes the picture exactly at its planned frames.
func TestStillsInBatches(t *testing.T) {
	ff := needTools(t)
	loadFonts(t)
	dir := t.TempDir()
	colors := []color.RGBA{{200, 30, 30, 255}, {30, 30, 200, 255}, {30, 180, 30, 255}, {200, 200, 30, 255},
		{200, 30, 200, 255}, {30, 200, 200, 255}, {120, 120, 120, 255}, {240, 140, 20, 255}}
	img := func(i int) string {
		m := image.NewRGBA(image.Rect(0, 0, 320, 180))
		c := colors[i]
		for p := 0; p < len(m.Pix); p += 4 {
			m.Pix[p], m.Pix[p+1], m.Pix[p+2], m.Pix[p+3] = c.R, c.G, c.B, 255
		}
		path := filepath.Join(dir, fmt.Sprintf("still%d.png", i))
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := png.Encode(f, m); err != nil {
			t.Fatal(err)
		}
		return path
	}
	clip := filepath.Join(dir, "clip.mp4")
	makeClip(t, clip, 320, 180, 30, time.Second, false)
	// Seven segments of 1 s: segment 2 shows a second still from 0.5 s,
	// segment 4 is a clip. Still shots: 0, 1, 2, 2', 3, 5, 6 (seven).
	var segs []Segment
	var want []int // the colour of each segment's first and second half; -1: the clip
	for i := 0; i < 7; i++ {
		audio := filepath.Join(dir, fmt.Sprintf("voice%d.wav", i))
		writeVoice(t, audio, 22050, time.Second, 0, 300)
		s := Segment{Image: img(i), Audio: audio,
			Cues: []subtitles.Cue{{Start: 200 * time.Millisecond, End: 400 * time.Millisecond, Text: fmt.Sprintf("Cue %d", i+1)}}}
		first, second := i, i
		switch i {
		case 2:
			s.Later = []Still{{Image: img(7), At: 500 * time.Millisecond}}
			second = 7
		case 4:
			s.Clip, s.Image = clip, ""
			first, second = -1, -1
		}
		segs = append(segs, s)
		want = append(want, first, second)
	}
	spec := Spec{Width: 320, Height: 180, Segments: segs, Subtitles: true, Language: "en",
		OutPath: filepath.Join(dir, "out", "video.mp4")}
	p, err := newPlan(context.Background(), spec, ff)
	if err != nil {
		t.Fatal(err)
	}
	var still []int
	for k, sh := range p.shots {
		if !sh.clip {
			still = append(still, k)
		}
	}
	if n := len(batchStills(p.pictures(), still, 2)); n != 4 {
		t.Fatalf("%d runs of at most 2 shots, want 4", n)
	}
	res, err := Render(context.Background(), spec, Options{FFmpeg: ff, stillsBatch: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Method != "stills" {
		t.Fatalf("method %s", res.Method)
	}
	checkOutput(t, ff, res, 320, 180, 7*time.Second)

	// Each half segment shows its still (the centre, above the subtitle).
	for half, c := range want {
		if c < 0 {
			continue
		}
		frame := half*15 + 11 // in the second half, after the cue
		rgb := decodeRGB(t, res.Path, frame, 320, 180)
		got := pixel(rgb, 320, 160, 60)
		wc := colors[c]
		if d := math.Abs(float64(got[0])-float64(wc.R)) + math.Abs(float64(got[1])-float64(wc.G)) + math.Abs(float64(got[2])-float64(wc.B)); d > 40 {
			t.Errorf("frame %d shows %v, want still %d %v", frame, got, c, wc)
		}
	}
	// In the still shots, the picture changes at the planned picture
	// boundaries (a new still, a cue shown or gone) and nowhere else.
	hashes := frameHashes(t, res.Path)
	boundary := map[int]bool{}
	at := 0
	for _, pic := range p.pictures() {
		for at < p.shots[pic.shot].from { // skip the clip
			at++
		}
		boundary[at] = true
		at += pic.frames
	}
	inStill := func(n int) bool {
		for _, k := range still {
			if n >= p.shots[k].from && n < p.shots[k].to {
				return true
			}
		}
		return false
	}
	for i := 1; i < len(hashes); i++ {
		if !inStill(i) || !inStill(i-1) {
			continue
		}
		if changed := hashes[i] != hashes[i-1]; changed != boundary[i] {
			t.Errorf("frame %d: changed=%v, planned boundary=%v", i, changed, boundary[i])
		}
	}
	// The clip plays in its place: its frames differ from one another.
	if hashes[4*30+10] == hashes[4*30+11] {
		t.Error("the clip segment stands still")
	}
}
