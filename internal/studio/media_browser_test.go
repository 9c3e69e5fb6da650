package studio

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ytmaker/ytmaker/internal/pipeline"
	"github.com/ytmaker/ytmaker/internal/project"
)

// quadrants are the colours of the uploaded picture: top left, top right,
// bottom left, bottom right.
var quadrants = [4]color.NRGBA{{220, 30, 30, 255}, {30, 200, 40, 255}, {30, 40, 220, 255}, {230, 220, 30, 255}}

// writeQuadrants writes a w×h PNG split into four coloured quadrants.
func writeQuadrants(t *testing.T, path string, w, h int) {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			k := 0
			if x >= w/2 {
				k++
			}
			if y >= h/2 {
				k += 2
			}
			img.SetNRGBA(x, y, quadrants[k])
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

// TestBrowserOwnMedia uploads a picture for segment 2 from the gallery
// while the script waits for review, approves, lets the project finish
// and finds the picture in the rendered frame in the middle of segment 2.
func TestBrowserOwnMedia(t *testing.T) {
	e := newEnv(t, envOptions{worker: true})
	ctx := context.Background()
	id, err := e.client.CreateProject(ctx, project.Input{Name: "My own picture", Content: shortText,
		Settings: project.Settings{ReviewScript: true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Chain(ctx, id); err != nil {
		t.Fatal(err)
	}
	pic := filepath.Join(t.TempDir(), "quadrants.png")
	writeQuadrants(t, pic, 1600, 900)

	b := newTab(t)
	b.do(20*time.Second, chromedp.Navigate(fmt.Sprintf("%s/projects/%d", e.srv.URL, id)))
	b.waitFor(`document.getElementById("status").dataset.status === "SCRIPT_REVIEW" && document.getElementById("media-2")`, time.Minute)
	eval[bool](b, `window.studioMark = true`)
	// Keyboard reachable: the file input takes focus, and its label shows it.
	if !eval[bool](b, `(el => { el.focus(); return document.activeElement === el && el.tabIndex >= 0; })(document.getElementById("media-2"))`) {
		t.Fatal("the upload control cannot take the focus")
	}
	b.upload(20*time.Second, "media-2", []string{pic})
	b.waitFor(`document.querySelector('.gallery li[data-segment="2"][data-own-media="image"] img.own') && document.querySelector('[data-media-remove="2"]')`, 30*time.Second)
	// The gallery shows the uploaded picture itself.
	b.waitFor(`document.querySelector('.gallery li[data-segment="2"] img.own').naturalWidth === 1600`, 20*time.Second)
	b.screenshot("own-media", 1280, 900)
	// A file that is not a picture is refused beside its segment (the
	// page sniffs it before sending; the API's refusal is tested there).
	bad := filepath.Join(t.TempDir(), "notes.png")
	if err := os.WriteFile(bad, []byte("these are notes, not a picture\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b.upload(20*time.Second, "media-3", []string{bad})
	b.waitFor(`document.getElementById("media-3-status").classList.contains("bad") && document.getElementById("media-3-status").textContent.includes("MP4, MOV")`, 30*time.Second)

	b.do(10*time.Second, chromedp.Click(chromedp.ID("s-approve")))
	b.waitFor(`document.getElementById("pct").textContent === "100%" && document.getElementById("status").dataset.status === "COMPLETED"`, 4*time.Minute)
	if !eval[bool](b, `window.studioMark === true`) {
		t.Fatal("the page was reloaded")
	}
	b.waitFor(`document.querySelector('.gallery li[data-segment="2"][data-own-media="image"]') && document.querySelectorAll('.gallery li[data-segment]').length >= 3`, 20*time.Second)
	// The hidden upload controls take no room (a 512-pixel-wide one made
	// the page scroll sideways when the gallery sat beside the script).
	b.waitFor(`document.getElementById("media-2")`, 20*time.Second)
	if w := eval[float64](b, `Math.max(...[...document.querySelectorAll("input.visually-hidden")].map(e => e.getBoundingClientRect().width))`); w > 1 {
		t.Fatalf("a hidden upload control is %.0f pixels wide", w)
	}
	if w := eval[[]int](b, `[document.documentElement.scrollWidth, document.documentElement.clientWidth]`); w[0] > w[1] {
		t.Fatalf("the project page is %d pixels wide in a %d-pixel window", w[0], w[1])
	}

	// The frame in the middle of segment 2 shows the picture (the same
	// shape as the frame: scaled to fill it).
	dir := filepath.Join(e.dir, "projects", fmt.Sprint(id))
	raw, err := os.ReadFile(filepath.Join(dir, "assets", "assets.json"))
	if err != nil {
		t.Fatal(err)
	}
	var man pipeline.Manifest
	if err := json.Unmarshal(raw, &man); err != nil {
		t.Fatal(err)
	}
	if man.Segments[1].MediaKind != project.MediaImage {
		t.Fatalf("segment 2 in the manifest: %+v", man.Segments[1])
	}
	at := man.Segments[0].Seconds + man.Segments[1].Seconds/2
	frame, err := exec.Command("ffmpeg", "-v", "error", "-ss", fmt.Sprintf("%.3f", at), "-i", filepath.Join(dir, "output", "final_video.mp4"),
		"-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-").Output()
	if err != nil || len(frame) != 1920*1080*3 {
		t.Fatalf("extract the frame at %.2fs: %v (%d bytes)", at, err, len(frame))
	}
	for k, pt := range [4][2]int{{480, 270}, {1440, 270}, {480, 700}, {1440, 700}} {
		i := 3 * (pt[1]*1920 + pt[0])
		got, want := frame[i:i+3], quadrants[k]
		d := math.Abs(float64(got[0])-float64(want.R)) + math.Abs(float64(got[1])-float64(want.G)) + math.Abs(float64(got[2])-float64(want.B))
		if d > 45 {
			t.Errorf("at %v the frame is %v, the uploaded picture %v", pt, got, want)
		}
	}
	// And segment 1 does not: it shows its generated slide.
	at1 := man.Segments[0].Seconds / 2
	frame1, err := exec.Command("ffmpeg", "-v", "error", "-ss", fmt.Sprintf("%.3f", at1), "-i", filepath.Join(dir, "output", "final_video.mp4"),
		"-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-").Output()
	if err != nil || len(frame1) != len(frame) {
		t.Fatal(err)
	}
	same := 0
	for k, pt := range [4][2]int{{480, 270}, {1440, 270}, {480, 700}, {1440, 700}} {
		i := 3 * (pt[1]*1920 + pt[0])
		if math.Abs(float64(frame1[i])-float64(quadrants[k].R))+math.Abs(float64(frame1[i+1])-float64(quadrants[k].G))+math.Abs(float64(frame1[i+2])-float64(quadrants[k].B)) < 45 {
			same++
		}
	}
	if same == 4 {
		t.Error("segment 1 shows the uploaded picture too")
	}
}
