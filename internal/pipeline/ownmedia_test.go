package pipeline_test

import (
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/media/ffmpeg"
	"github.com/ytmaker/ytmaker/internal/pipeline"
	"github.com/ytmaker/ytmaker/internal/project"
)

// A segment given the creator's own picture after a finished run shows it
// when the project is resumed; nothing else is made again, and removing
// the picture brings the generated slide back.
func TestOwnPictureAfterARun(t *testing.T) {
	s := start(t, options{})
	ctx := context.Background()
	off := false
	id := s.project("Rivers", english, func(in *project.Input) { in.Settings.Subtitles = &off })
	s.makeVideo(id)
	dir := s.engine.Store().ProjectDir(id)

	// A square picture, red left and blue right, for segment 2.
	img := image.NewNRGBA(image.Rect(0, 0, 300, 300))
	for y := 0; y < 300; y++ {
		for x := 0; x < 300; x++ {
			c := color.NRGBA{230, 10, 10, 255}
			if x >= 150 {
				c = color.NRGBA{10, 10, 230, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "media"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "media", "segment_02.png"))
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	f.Close()
	setMedia := func(m *project.SegmentMedia) {
		t.Helper()
		if _, err := s.engine.Store().UpdateState(id, func(st *project.State) error {
			if m != nil {
				st.SetMedia(*m)
			} else {
				st.RemoveMedia(2)
			}
			st.ResetAfterScript()
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	rerun := func() (pipeline.AssetsResult, pipeline.Manifest) {
		t.Helper()
		h, err := s.client.Resume(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.Get(ctx, 3*time.Minute); err != nil {
			t.Fatal(err)
		}
		var res pipeline.AssetsResult
		if err := json.Unmarshal(s.state(id).Stages.Assets.Result, &res); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "assets", "assets.json"))
		if err != nil {
			t.Fatal(err)
		}
		var man pipeline.Manifest
		if err := json.Unmarshal(b, &man); err != nil {
			t.Fatal(err)
		}
		return res, man
	}
	// The middle frame of segment 2.
	middle := func(man pipeline.Manifest) *image.RGBA {
		at := man.Segments[0].Seconds + man.Segments[1].Seconds/2
		return frameAt(t, filepath.Join(dir, "output", "final_video.mp4"), int(math.Floor(at*30)), 1920, 1080)
	}
	setMedia(&project.SegmentMedia{Segment: 2, Kind: project.MediaImage, File: "media/segment_02.png", ContentType: "image/png"})
	res, man := rerun()
	if res.Reused != 2*res.Segments {
		t.Errorf("the assets stage made %d of %d assets again", 2*res.Segments-res.Reused, 2*res.Segments)
	}
	if man.Segments[1].Media != "media/segment_02.png" || man.Segments[1].MediaKind != "image" || man.Segments[1].Image == "" {
		t.Fatalf("segment 2 in the manifest: %+v", man.Segments[1])
	}
	frame := middle(man)
	// The picture fits the frame's height, centred: 840..1380 red, 960..1500 blue.
	red, blue := frame.RGBAAt(800, 540), frame.RGBAAt(1120, 540)
	if red.R < 180 || red.B > 60 || blue.B < 180 || blue.R > 60 {
		t.Errorf("segment 2's middle frame shows %v left and %v right of the centre, not the picture", red, blue)
	}
	// Removed: the slide comes back.
	setMedia(nil)
	_, man = rerun()
	if man.Segments[1].Media != "" {
		t.Fatalf("segment 2 still has media: %+v", man.Segments[1])
	}
	slide := loadPNG(t, filepath.Join(dir, man.Segments[1].Image))
	if d := diff(middle(man), slide); d > 3 {
		t.Errorf("segment 2's middle frame differs from its slide by %.2f", d)
	}

	// A 1 s clip of another shape: looped through segment 2's narration,
	// which keeps its length (the video too).
	clip := filepath.Join(dir, "media", "segment_02.mov")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=400x300:r=25:d=1",
		"-f", "lavfi", "-i", "sine=f=440:d=1", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "mov", clip).CombinedOutput(); err != nil {
		t.Fatalf("make the clip: %v\n%s", err, out)
	}
	before, err := ffmpegDuration(filepath.Join(dir, "output", "final_video.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	setMedia(&project.SegmentMedia{Segment: 2, Kind: project.MediaVideo, File: "media/segment_02.mov", ContentType: "video/quicktime"})
	res, man = rerun()
	if res.Reused != 2*res.Segments || man.Segments[1].MediaKind != "video" {
		t.Fatalf("assets %+v, segment 2 %+v", res, man.Segments[1])
	}
	after, err := ffmpegDuration(filepath.Join(dir, "output", "final_video.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(after-before) > 0.05 {
		t.Errorf("the video lasts %.2fs with the clip, %.2fs without", after, before)
	}
	start := man.Segments[0].Seconds
	video := filepath.Join(dir, "output", "final_video.mp4")
	f0 := frameAt(t, video, int(math.Ceil(start*30))+5, 1920, 1080)
	f1 := frameAt(t, video, int(math.Ceil(start*30))+20, 1920, 1080)
	f2 := frameAt(t, video, int(math.Ceil(start*30))+35, 1920, 1080)
	if d := diff(f0, f1); d < 1 {
		t.Errorf("the clip does not move (difference %.2f)", d)
	}
	if d := diff(f0, f2); d > 3 {
		t.Errorf("the 1 s clip does not loop: frames 30 apart differ by %.2f", d)
	}
}

// ffmpegDuration is a file's length in seconds, by ffprobe.
func ffmpegDuration(path string) (float64, error) {
	ff, err := ffmpeg.New(ffmpeg.Config{})
	if err != nil {
		return 0, err
	}
	pr, err := ff.Probe(context.Background(), path)
	if err != nil {
		return 0, err
	}
	return pr.Duration.Seconds(), nil
}
