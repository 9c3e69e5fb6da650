package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/brand"
	"github.com/ytmaker/ytmaker/internal/pipeline"
	"github.com/ytmaker/ytmaker/internal/project"
)

// Short paragraphs are merged into one segment; the slide on screen must
// always be the one of the paragraph being spoken.
func TestHeadingFollowsTheSpokenParagraph(t *testing.T) {
	s := start(t, options{})
	ctx := context.Background()
	paras := []string{
		"Cats sleep most of the day.",
		"Dogs bark at the mail carrier.",
		"Bees make honey from flowers.",
		"Trees share water through their roots.",
		"Robots assemble cars in factories.",
		"Coffee grows on mountain farms.",
	}
	content := ""
	for i, p := range paras {
		if i > 0 {
			content += "\n\n"
		}
		content += p
	}
	off := false
	id := s.project("Six short facts", content, func(in *project.Input) { in.Settings.Subtitles = &off })
	h, err := s.client.Chain(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var res pipeline.UploadResult
	if err := h.GetInto(ctx, 3*time.Minute, &res); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(filepath.Dir(res.VideoPath))
	b, err := os.ReadFile(filepath.Join(dir, "assets", "assets.json"))
	if err != nil {
		t.Fatal(err)
	}
	var man pipeline.Manifest
	if err := json.Unmarshal(b, &man); err != nil {
		t.Fatal(err)
	}
	merged := 0
	var segStart time.Duration
	for _, seg := range man.Segments {
		if len(seg.Stills) > 0 {
			merged++
			// Each paragraph's spoken span, from the sentence timings.
			images := []string{seg.Image}
			for _, st := range seg.Stills {
				images = append(images, st.Image)
			}
			if len(seg.Sentences) != len(images) {
				t.Fatalf("segment %d: %d sentences for %d paragraphs (one sentence each expected)", seg.Index, len(seg.Sentences), len(images))
			}
			slides := make([]*image.RGBA, len(images))
			for k, p := range images {
				slides[k] = loadPNG(t, filepath.Join(dir, p))
			}
			for k, sen := range seg.Sentences {
				if want := paras[indexOf(paras, sen.Text)]; sen.Text != want {
					t.Fatalf("sentence %q not a paragraph", sen.Text)
				}
				// Frames just after the paragraph starts being spoken, in
				// its middle and just before it ends.
				from, to := segStart+sen.Start, segStart+sen.End
				if k+1 < len(seg.Sentences) {
					to = segStart + seg.Sentences[k+1].Start
				}
				for _, at := range []time.Duration{from + 70*time.Millisecond, (from + to) / 2, to - 70*time.Millisecond} {
					frame := frameAt(t, res.VideoPath, int(math.Floor(at.Seconds()*30)), 1920, 1080)
					best, bestD := -1, math.Inf(1)
					for j, sl := range slides {
						if d := diff(frame, sl); d < bestD {
							best, bestD = j, d
						}
					}
					if best != k || bestD > 3 {
						t.Errorf("segment %d at %v (paragraph %d %q spoken): the frame shows paragraph %d's slide (difference %.2f)",
							seg.Index, at, k+1, sen.Text, best+1, bestD)
					}
				}
			}
		}
		segStart += time.Duration(seg.Seconds * float64(time.Second))
	}
	if merged == 0 {
		t.Fatal("no segment was merged from several paragraphs; the test proves nothing")
	}
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return 0
}

func loadPNG(t *testing.T, path string) *image.RGBA {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	rgba := image.NewRGBA(img.Bounds())
	for y := 0; y < img.Bounds().Dy(); y++ {
		for x := 0; x < img.Bounds().Dx(); x++ {
			rgba.Set(x, y, img.At(x, y))
		}
	}
	return rgba
}

// frameAt decodes frame n of a video.
func frameAt(t *testing.T, path string, n, w, h int) *image.RGBA {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-vf", fmt.Sprintf("select=eq(n\\,%d)", n),
		"-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgba", "-").Output()
	if err != nil || len(out) != w*h*4 {
		t.Fatalf("decode frame %d: %v (%d bytes)", n, err, len(out))
	}
	return &image.RGBA{Pix: out, Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}
}

// diff is the mean absolute RGB difference of two images.
func diff(a, b *image.RGBA) float64 {
	var sum float64
	for i := 0; i < len(a.Pix); i += 4 {
		for k := 0; k < 3; k++ {
			sum += math.Abs(float64(a.Pix[i+k]) - float64(b.Pix[i+k]))
		}
	}
	return sum / float64(len(a.Pix)/4*3)
}

// A brand preset puts its watermark on the narrated frames and its
// channel name on the intro card; an unknown brand is refused.
func TestBrandWatermarkAndCards(t *testing.T) {
	s := start(t, options{})
	ctx := context.Background()
	store := brand.NewStore(filepath.Join(s.dataDir, "brands"), nil)
	if _, err := store.Save(brand.Brand{Name: "rivers", Channel: "Rivers Weekly", Theme: "ocean",
		Watermark: brand.Watermark{Position: brand.TopRight, Size: 0.2, Opacity: 1}}); err != nil {
		t.Fatal(err)
	}
	off := false
	id := s.project("Rivers", english, func(in *project.Input) { in.Settings.Subtitles = &off; in.Settings.Brand = "rivers" })
	h, err := s.client.Chain(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var res pipeline.UploadResult
	if err := h.GetInto(ctx, 3*time.Minute, &res); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(filepath.Dir(res.VideoPath))
	b, _ := os.ReadFile(filepath.Join(dir, "assets", "assets.json"))
	var man pipeline.Manifest
	if err := json.Unmarshal(b, &man); err != nil {
		t.Fatal(err)
	}
	// The middle of the second segment: the slide, plus the watermark in
	// the top-right corner (20 % of the width, a margin from the edges).
	seg := man.Segments[1]
	at := time.Duration((man.Segments[0].Seconds + seg.Seconds/2) * float64(time.Second))
	frame := frameAt(t, res.VideoPath, int(at.Seconds()*30), 1920, 1080)
	slide := loadPNG(t, filepath.Join(dir, seg.Image))
	if keep := os.Getenv("YTMAKER_KEEP_FRAMES"); keep != "" {
		f, _ := os.Create(filepath.Join(keep, "brand_frame.png"))
		png.Encode(f, frame)
		f.Close()
	}
	// Margin 49 px (4.5 % of the height), 384 px wide.
	corner := image.Rect(1920-49-384, 49, 1920-49, 49+50)
	centre := image.Rect(700, 400, 1200, 700)
	changed := 0
	for y := corner.Min.Y; y < corner.Max.Y; y++ {
		for x := corner.Min.X; x < corner.Max.X; x++ {
			a, b := frame.RGBAAt(x, y), slide.RGBAAt(x, y)
			if int(a.R)+int(a.G)+int(a.B)-int(b.R)-int(b.G)-int(b.B) > 240 {
				changed++
			}
		}
	}
	if changed < 1000 {
		t.Errorf("%d pixels of the top-right corner brightened: no watermark", changed)
	}
	if d := diff(frame.SubImage(centre).(*image.RGBA), slide.SubImage(centre).(*image.RGBA)); d > 4 {
		t.Errorf("centre differs from the slide by %.1f: the watermark is elsewhere", d)
	}

	// An unknown brand is refused when the project is made; one deleted
	// after that is refused by the assets stage. Both name the setting.
	_, err = s.client.CreateProject(ctx, project.Input{Name: "Nobody", Content: english, Settings: project.Settings{Brand: "nobody"}})
	if e := errcode.Classify(err); err == nil || e.Code != errcode.InvalidInput || e.Details["field"] != "settings.brand" {
		t.Fatalf("unknown brand at creation: %v", err)
	}
	if _, err := store.Save(brand.Brand{Name: "gone", Channel: "Gone"}); err != nil {
		t.Fatal(err)
	}
	id = s.project("Rivers again", english, func(in *project.Input) { in.Settings.Brand = "gone" })
	if err := store.Delete("gone"); err != nil {
		t.Fatal(err)
	}
	h, err = s.client.Chain(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	err = h.GetInto(ctx, 3*time.Minute, &res)
	if e := errcode.Classify(err); err == nil || e.Code != errcode.InvalidInput || e.Details["field"] != "settings.brand" {
		t.Fatalf("unknown brand: %v", err)
	}
}
