package pipeline_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/fakes/fakestock"
	"github.com/ytmaker/ytmaker/internal/fakes/fakeyoutube"
	"github.com/ytmaker/ytmaker/internal/media/ffmpeg"
	"github.com/ytmaker/ytmaker/internal/pipeline"
	"github.com/ytmaker/ytmaker/internal/project"
)

// stockLibrary makes n small landscape clips of one second and two
// portrait ones.
func stockLibrary(t *testing.T, n int) fakestock.Options {
	dir := t.TempDir()
	o := fakestock.Options{APIKey: "stock-key"}
	for i := range n {
		o.Videos = append(o.Videos, fakestock.Clip(t, dir, i, 192, 108, 1))
	}
	o.Videos = append(o.Videos, fakestock.Clip(t, dir, n, 108, 192, 1), fakestock.Clip(t, dir, n+1, 108, 192, 1))
	return o
}

func readManifest(t *testing.T, s *system, id int64) pipeline.Manifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.engine.Store().ProjectDir(id), "assets", "assets.json"))
	if err != nil {
		t.Fatal(err)
	}
	var man pipeline.Manifest
	if err := json.Unmarshal(b, &man); err != nil {
		t.Fatal(err)
	}
	return man
}

// TestStockVideoFromPexels makes a video of Pexels clips end to end with
// real ffmpeg: a different clip per segment, landscape for 16:9, the
// credits in the assets and the YouTube description, and a second
// project taking the clips from the cache.
func TestStockVideoFromPexels(t *testing.T) {
	px := fakestock.NewPexels(stockLibrary(t, 8))
	t.Cleanup(px.Close)
	yt := fakeyoutube.Start(t, fakeyoutube.Options{})
	s := start(t, options{youtube: yt, configure: func(c *pipeline.Config) {
		c.PexelsAPIKey, c.PexelsBaseURL = "stock-key", px.URL()
	}})
	ctx := context.Background()
	id := s.project("Rivers", english, func(in *project.Input) { in.Settings.Visuals = project.VisualsStockVideo })
	h, err := s.client.Chain(ctx, id, "script", "assets", "render", "thumbnail", "upload")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Get(ctx, 3*time.Minute); err != nil {
		t.Fatal(err)
	}
	st := s.state(id)
	var res pipeline.AssetsResult
	json.Unmarshal(st.Stages.Assets.Result, &res)
	man := readManifest(t, s, id)
	n := len(man.Segments)
	if res.StockClips != n || len(res.Credits) != n || len(man.Credits) != n {
		t.Fatalf("assets result %+v for %d segments", res, n)
	}
	seen := map[string]bool{}
	for _, sg := range man.Segments {
		if sg.Stock == nil || sg.ImageSource != "pexels" || !strings.HasSuffix(sg.Image, ".mp4") {
			t.Fatalf("segment %d: %+v", sg.Index, sg)
		}
		if seen[sg.Stock.Key()] {
			t.Fatalf("clip %s used twice", sg.Stock.Key())
		}
		seen[sg.Stock.Key()] = true
		if sg.Stock.Width <= sg.Stock.Height {
			t.Errorf("segment %d got a portrait clip for 16:9", sg.Index)
		}
	}
	for _, r := range px.Requests() {
		if r.Path == "/videos/search" && (r.Query.Get("orientation") != "landscape" || !r.Auth) {
			t.Errorf("search %+v", r)
		}
	}
	var render pipeline.RenderResult
	json.Unmarshal(st.Stages.Render.Result, &render)
	checkVideo(t, render.VideoPath, 1920, 1080)

	vids := yt.Videos()
	if len(vids) != 1 {
		t.Fatalf("%d uploads", len(vids))
	}
	desc := vids[0].Resource.Snippet.Description
	if !strings.Contains(desc, "Pexels (https://www.pexels.com)") || !strings.Contains(desc, "Video by Maker ") ||
		!strings.Contains(desc, man.Credits[0].SourceURL) {
		t.Errorf("description lacks the credits:\n%s", desc)
	}

	// A second project with the same search terms downloads nothing.
	downloads := px.Downloads()
	if downloads != n {
		t.Fatalf("%d downloads for %d segments", downloads, n)
	}
	if u, err := s.quota.Usage(ctx, "pexels_downloads"); err != nil || u.Used != int64(n) {
		t.Errorf("pexels_downloads usage %+v, %v", u, err)
	}
	searches := 0
	for _, r := range px.Requests() {
		if r.Path == "/videos/search" {
			searches++
		}
	}
	if u, err := s.quota.Usage(ctx, "pexels_requests"); err != nil || u.Used != int64(searches) || searches < n {
		t.Errorf("pexels_requests usage %+v, %v; %d searches", u, err, searches)
	}
	calls := len(px.Requests())
	id2 := s.project("Rivers again", english, func(in *project.Input) { in.Settings.Visuals = project.VisualsStockVideo })
	h, err = s.client.Chain(ctx, id2, "script", "assets")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Get(ctx, 3*time.Minute); err != nil {
		t.Fatal(err)
	}
	if px.Downloads() != downloads {
		t.Errorf("the second project downloaded %d files again", px.Downloads()-downloads)
	}
	if got := len(px.Requests()); got != calls {
		t.Errorf("the second project sent %d requests; searches are reused for 24 h", got-calls)
	}
	if m := readManifest(t, s, id2); len(m.Credits) != n {
		t.Errorf("second project credits %+v", m.Credits)
	}
	ents, _ := filepath.Glob(filepath.Join(s.dataDir, "cache", "stock", "*.mp4"))
	if len(ents) != n {
		t.Errorf("cache holds %d files, want %d", len(ents), n)
	}
}

// TestStockFallsBackToSlides: a vertical project whose searches find
// too few portrait clips shows slides for the rest, and a missing key is
// a clear error.
func TestStockFallsBackToSlidesAndNeedsAKey(t *testing.T) {
	pb := fakestock.NewPixabay(stockLibrary(t, 1))
	t.Cleanup(pb.Close)
	s := start(t, options{configure: func(c *pipeline.Config) {
		c.PixabayAPIKey, c.PixabayBaseURL = "stock-key", pb.URL()
	}})
	ctx := context.Background()
	id := s.project("Rivers", english, func(in *project.Input) {
		in.Settings.Visuals, in.Settings.Format = project.VisualsStockVideo, project.FormatVertical
	})
	h, err := s.client.Chain(ctx, id, "script", "assets")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Get(ctx, 3*time.Minute); err != nil {
		t.Fatal(err)
	}
	man := readManifest(t, s, id)
	clips, slides := 0, 0
	for _, sg := range man.Segments {
		switch {
		case sg.Stock != nil:
			clips++
			if sg.Stock.Height <= sg.Stock.Width || sg.Stock.Provider != "pixabay" {
				t.Errorf("segment %d: %+v", sg.Index, sg.Stock)
			}
		case sg.ImageSource == "slide-fallback":
			slides++
		}
	}
	if clips != 2 || slides != len(man.Segments)-2 {
		t.Fatalf("%d clips and %d slides for %d segments", clips, slides, len(man.Segments))
	}

	id2 := s.project("Rivers", english, func(in *project.Input) {
		in.Settings.Visuals, in.Settings.Providers.Stock = project.VisualsStockPhoto, project.ProviderPexels
	})
	h, err = s.client.Chain(ctx, id2, "script", "assets")
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.Get(ctx, time.Minute)
	if e, ok := errcode.As(err); !ok || e.Code != errcode.InvalidInput || !strings.Contains(e.Message, "PEXELS_API_KEY") {
		t.Fatalf("no Pexels key: %v", err)
	}
}

// TestStockPhotosAndBadDownloads: stock_photo places checked photos; a
// download that is no video is refused with a coded error, never kept
// in the cache or the project, and too many of them fail the stage.
func TestStockPhotosAndBadDownloads(t *testing.T) {
	px := fakestock.NewPexels(stockLibrary(t, 8))
	t.Cleanup(px.Close)
	s := start(t, options{configure: func(c *pipeline.Config) {
		c.PexelsAPIKey, c.PexelsBaseURL = "stock-key", px.URL()
	}})
	ctx := context.Background()
	id := s.project("Rivers", english, func(in *project.Input) { in.Settings.Visuals = project.VisualsStockPhoto })
	h, err := s.client.Chain(ctx, id, "script", "assets")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Get(ctx, 3*time.Minute); err != nil {
		t.Fatal(err)
	}
	man := readManifest(t, s, id)
	photos := 0
	for _, sg := range man.Segments {
		if sg.Stock != nil {
			photos++
			if sg.Stock.Kind != "photo" || !strings.HasSuffix(sg.Image, ".jpg") || sg.Stock.Width <= sg.Stock.Height {
				t.Errorf("segment %d: %+v", sg.Index, sg)
			}
		}
	}
	// The fake draws three landscape photos.
	if photos != min(3, len(man.Segments)) {
		t.Fatalf("%d photos for %d segments", photos, len(man.Segments))
	}

	px.Fail(fakestock.NotVideo(), fakestock.NotVideo())
	id2 := s.project("Rivers", english, func(in *project.Input) { in.Settings.Visuals = project.VisualsStockVideo })
	h, err = s.client.Chain(ctx, id2, "script", "assets")
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.Get(ctx, 3*time.Minute)
	e, ok := errcode.As(err)
	if !ok || e.Code != errcode.TooManyImagesFailed || !strings.Contains(e.Message, "PEXELS_BAD_RESPONSE") && !strings.Contains(e.Message, "not a video") {
		t.Fatalf("bad downloads: %v", err)
	}
	if px.PendingFaults() != 0 {
		t.Fatalf("%d faults unused", px.PendingFaults())
	}
	// What was refused is in neither the cache nor the project.
	ff, err := ffmpeg.New(ffmpeg.Config{})
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(s.dataDir, "cache", "stock", "*.mp4"))
	placed, _ := filepath.Glob(filepath.Join(s.engine.Store().ProjectDir(id2), "assets", "stock", "*"))
	for _, f := range append(files, placed...) {
		if _, err := ff.Probe(ctx, f); err != nil {
			t.Errorf("%s kept but unreadable: %v", f, err)
		}
	}
}
