package pipeline_test

import (
	"context"
	"encoding/json"
	"image/jpeg"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/engine"
	"github.com/ytmaker/ytmaker/internal/fakes/fakegemini"
	"golang.org/x/oauth2"

	"github.com/ytmaker/ytmaker/internal/fakes/fakeyoutube"
	"github.com/ytmaker/ytmaker/internal/media/ffmpeg"
	"github.com/ytmaker/ytmaker/internal/media/render"
	"github.com/ytmaker/ytmaker/internal/pipeline"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/providers/youtube"
	"github.com/ytmaker/ytmaker/internal/quota"
	"github.com/ytmaker/ytmaker/internal/redistest"
	"github.com/ytmaker/ytmaker/internal/stage"
	"github.com/ytmaker/ytmaker/internal/worker"
	"github.com/ytmaker/ytmaker/tasks"
)

const english = `Rivers shape the land around them. Over thousands of years, water carves valleys and moves stone.

Cities grew beside rivers because water meant food, trade and travel. Many capitals still stand on their banks.

Today we protect rivers from pollution. Clean water keeps people and animals healthy.`

const chinese = `台灣的夜市是許多旅客最難忘的回憶。每到傍晚，攤販陸續開張，空氣中充滿香味。

珍珠奶茶、蚵仔煎和雞排都是人氣小吃。價格實惠，份量十足。

逛夜市不只是吃東西，更是感受在地生活的方式。下次來台灣，別忘了去走走。`

// recorder notes when each request to a host was sent.
type recorder struct {
	mu    sync.Mutex
	times map[string][]time.Time
	next  http.RoundTripper
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.times[req.URL.Host] = append(r.times[req.URL.Host], time.Now())
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

func (r *recorder) at(host string) []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Time(nil), r.times[host]...)
}

type system struct {
	t       *testing.T
	stages  map[project.Stage]stage.Stage
	rdb     *redis.Client
	client  *tasks.Client
	engine  *engine.Engine
	worker  *worker.Worker
	quota   *quota.Tracker
	http    *recorder
	dataDir string
}

type options struct {
	gemini    *fakegemini.Server
	youtube   *fakeyoutube.Server
	quota     quota.Options
	configure func(*pipeline.Config)
	dataDir   string // "" = a temporary folder
}

func logger() *slog.Logger {
	if os.Getenv("YTMAKER_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func start(t *testing.T, o options) *system {
	t.Helper()
	srv := redistest.Start(t)
	rdb := srv.Client()
	s := &system{t: t, dataDir: o.dataDir, http: &recorder{times: map[string][]time.Time{}, next: http.DefaultTransport}}
	if s.dataDir == "" {
		s.dataDir = t.TempDir()
	}
	c, err := tasks.New(tasks.Config{Redis: rdb, DataDir: s.dataDir, Logger: logger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s.client = c
	eng, err := engine.Open(engine.Config{Redis: rdb, DataDir: s.dataDir, Logger: logger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	s.engine = eng
	s.quota = quota.New(rdb, o.quota)
	cfg := pipeline.Config{Store: eng.Store(), Quota: s.quota, HTTPClient: &http.Client{Transport: s.http}, Logger: logger()}
	if o.gemini != nil {
		cfg.GeminiAPIKey, cfg.GeminiBaseURL = "test-key", o.gemini.URL()
	}
	if o.youtube != nil {
		cfg.YouTube = youtube.Config{ClientID: o.youtube.ClientID(), ClientSecret: o.youtube.ClientSecret(),
			RefreshToken: o.youtube.RefreshToken(), TokenURL: o.youtube.TokenURL(), BaseURL: o.youtube.URL,
			ChunkSize: 256 << 10, RetryBackoff: 50 * time.Millisecond, MaxRetries: -1}
	}
	if o.configure != nil {
		o.configure(&cfg)
	}
	p, err := pipeline.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	s.stages = map[project.Stage]stage.Stage{}
	for name, st := range p.Stages() {
		s.stages[project.Stage(name)] = st
	}
	s.rdb = rdb
	s.restartWorker()
	return s
}

// restartWorker starts a new in-process worker.
func (s *system) restartWorker() *worker.Worker {
	s.t.Helper()
	w, err := worker.New(worker.Config{Engine: s.engine, Concurrency: 2, Stages: s.stages,
		ShutdownTimeout: 5 * time.Second, Logger: logger()})
	if err != nil {
		s.t.Fatal(err)
	}
	if err := w.Start(context.Background()); err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(w.Stop)
	s.worker = w
	return w
}

func (s *system) project(name, content string, mutate func(*project.Input)) int64 {
	s.t.Helper()
	in := project.Input{Name: name, Content: content}
	if mutate != nil {
		mutate(&in)
	}
	id, err := s.client.CreateProject(context.Background(), in)
	if err != nil {
		s.t.Fatal(err)
	}
	return id
}

func (s *system) state(id int64) *project.State {
	st, err := s.engine.Store().State(id)
	if err != nil {
		s.t.Fatal(err)
	}
	return st
}

// checkVideo checks the MP4 with ffprobe.
func checkVideo(t *testing.T, path string, w, h int) float64 {
	t.Helper()
	ff, err := ffmpeg.New(ffmpeg.Config{})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := ff.Probe(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	v, okv := pr.Video()
	a, oka := pr.Audio()
	if !okv || !oka {
		t.Fatalf("%s lacks a video or an audio stream", path)
	}
	if v.Codec != "h264" || v.PixFmt != "yuv420p" || v.Width != w || v.Height != h || v.AvgFrameRate.Float() != 30 {
		t.Fatalf("video stream %+v", v)
	}
	if a.Codec != "aac" {
		t.Fatalf("audio codec %s", a.Codec)
	}
	if d := v.Duration - a.Duration; d > 100*time.Millisecond || d < -100*time.Millisecond {
		t.Fatalf("audio %s and video %s differ by more than 0.1s", a.Duration, v.Duration)
	}
	// YouTube's reference loudness: -14 LUFS within 1 LU, true peak at
	// most -1 dBTP.
	l, err := render.MeasureLoudness(context.Background(), ff, path, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(l.Integrated-render.TargetLUFS) > 1 || l.TruePeak > render.MaxTruePk {
		t.Fatalf("%s: %.2f LUFS (want -14 ± 1), true peak %.2f dBTP (want <= -1)", path, l.Integrated, l.TruePeak)
	}
	t.Logf("%s: %.2f LUFS, true peak %.2f dBTP", filepath.Base(path), l.Integrated, l.TruePeak)
	return pr.Duration.Seconds()
}

// checkCaptions checks captions.json: every narrated word, in order,
// inside the video, with the segment it belongs to; and that the SRT file
// stays sentence by sentence (no cue repeats the previous one's text, as
// word-by-word captions would).
func checkCaptions(t *testing.T, dir string, videoSeconds float64, srt string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "captions.json"))
	if err != nil {
		t.Fatal(err)
	}
	var words []struct {
		Word       string
		Start, End float64
		Segment    int
	}
	if err := json.Unmarshal(b, &words); err != nil {
		t.Fatal(err)
	}
	if len(words) < 10 {
		t.Fatalf("captions.json has %d words", len(words))
	}
	for i, w := range words {
		if w.Word == "" || w.End < w.Start || w.Start < 0 || w.End > videoSeconds+0.05 ||
			i > 0 && (w.Start < words[i-1].Start || w.Segment < words[i-1].Segment) {
			t.Fatalf("word %d: %+v (after %+v)", i, w, words[max(i-1, 0)])
		}
	}
	if strings.ContainsAny(srt, "\uE000\uE001") {
		t.Fatal("highlight marks in the SRT file")
	}
	blocks := strings.Split(strings.TrimSpace(srt), "\n\n")
	for i := 1; i < len(blocks); i++ {
		prev, cur := strings.SplitN(blocks[i-1], "\n", 3), strings.SplitN(blocks[i], "\n", 3)
		if len(prev) == 3 && len(cur) == 3 && prev[2] == cur[2] {
			t.Fatalf("the SRT file repeats a cue: %q", cur[2])
		}
	}
}

func checkThumbnail(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	img, err := jpeg.Decode(f)
	if err != nil {
		t.Fatalf("thumbnail is not a JPEG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 720 || fi.Size() >= 2_000_000 {
		t.Fatalf("thumbnail %dx%d, %d bytes", b.Dx(), b.Dy(), fi.Size())
	}
}

func TestOfflineVideoEnglishAndTraditionalChinese(t *testing.T) {
	s := start(t, options{})
	ctx := context.Background()
	for _, c := range []struct{ name, content, lang, captions string }{
		{"Rivers", english, "en", "word"},
		{"台灣夜市", chinese, "zh-TW", "punch"},
	} {
		t.Run(c.lang, func(t *testing.T) {
			id := s.project(c.name, c.content, func(in *project.Input) { in.Settings.Captions = c.captions })
			h, err := s.client.Chain(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			var res pipeline.UploadResult
			if err := h.GetInto(ctx, 3*time.Minute, &res); err != nil {
				t.Fatal(err)
			}
			if res.Uploaded || !res.Skipped || !strings.Contains(res.Reason, "not uploaded") {
				t.Fatalf("upload result %+v: without credentials the video is not uploaded, and says so", res)
			}
			st := s.state(id)
			if st.Status != project.Completed || st.Stages.Upload.Status != project.StageSkipped {
				t.Fatalf("status %s, upload %s", st.Status, st.Stages.Upload.Status)
			}
			dur := checkVideo(t, res.VideoPath, 1920, 1080)
			var assets pipeline.AssetsResult
			json.Unmarshal(st.Stages.Assets.Result, &assets)
			if assets.AudioSeconds < 5 || dur < assets.AudioSeconds*0.98 || dur > assets.AudioSeconds*1.02 {
				t.Fatalf("video %.2fs, narration %.2fs", dur, assets.AudioSeconds)
			}
			checkThumbnail(t, res.ThumbnailPath)
			srt, err := os.ReadFile(filepath.Join(filepath.Dir(res.VideoPath), "subtitles.srt"))
			if err != nil || !strings.Contains(string(srt), "-->") {
				t.Fatalf("subtitles: %v", err)
			}
			if c.lang == "zh-TW" && !strings.Contains(string(srt), "夜市") {
				t.Fatalf("Chinese subtitles missing the text:\n%s", srt)
			}
			checkCaptions(t, filepath.Dir(res.VideoPath), dur, string(srt))
			var script pipeline.ScriptResult
			json.Unmarshal(st.Stages.Script.Result, &script)
			if script.Language != c.lang || script.Provider != "offline" {
				t.Fatalf("script %+v", script)
			}
		})
	}
}

func TestGeminiRetriedTwiceThenSucceeds(t *testing.T) {
	g := fakegemini.New(fakegemini.Options{APIKey: "test-key"})
	defer g.Close()
	g.Fail(fakegemini.Status(503), fakegemini.Status(503))
	s := start(t, options{gemini: g})
	ctx := context.Background()
	id := s.project("Rivers", english, nil)
	h, err := s.client.Delay(ctx, tasks.GenerateScript, tasks.Args{ProjectID: id})
	if err != nil {
		t.Fatal(err)
	}
	var res pipeline.ScriptResult
	if err := h.GetInto(ctx, 40*time.Second, &res); err != nil {
		t.Fatal(err)
	}
	if res.Provider != "gemini" || res.Segments < 3 {
		t.Fatalf("script %+v", res)
	}
	host := strings.TrimPrefix(g.URL(), "http://")
	at := s.http.at(host)
	if len(at) != 3 {
		t.Fatalf("%d calls to Gemini, want 3", len(at))
	}
	for i, want := range []time.Duration{2 * time.Second, 5 * time.Second} {
		gap := at[i+1].Sub(at[i])
		if gap < want-time.Second || gap > want+1500*time.Millisecond {
			t.Errorf("retry %d came %s after the failure, want %s", i+1, gap.Round(time.Millisecond), want)
		}
	}
	if st := s.state(id); st.Stages.Script.Attempts != 3 {
		t.Fatalf("attempts %d", st.Stages.Script.Attempts)
	}
}

func TestGeminiUnauthorizedFailsAtOnce(t *testing.T) {
	g := fakegemini.New(fakegemini.Options{APIKey: "test-key"})
	defer g.Close()
	g.Fail(fakegemini.Status(401))
	s := start(t, options{gemini: g})
	ctx := context.Background()
	id := s.project("Rivers", english, nil)
	h, _ := s.client.Chain(ctx, id)
	_, err := h.Get(ctx, 20*time.Second)
	e, ok := errcode.As(err)
	if !ok || e.Code != "GEMINI_AUTH_FAILED" || e.Retryable || e.Stage != "script" {
		t.Fatalf("Get = %v", err)
	}
	if n := len(g.Requests()); n != 1 {
		t.Fatalf("%d Gemini calls, want 1", n)
	}
	if st := s.state(id); st.Status != project.Failed || st.Error.Code != "GEMINI_AUTH_FAILED" {
		t.Fatalf("state %s %+v", st.Status, st.Error)
	}
}

// makeVideo runs the chain up to the thumbnail (offline) for a project.
func (s *system) makeVideo(id int64) {
	s.t.Helper()
	ctx := context.Background()
	h, err := s.client.Chain(ctx, id, "script", "assets", "render", "thumbnail")
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := h.Get(ctx, 3*time.Minute); err != nil {
		s.t.Fatal(err)
	}
	checkVideo(s.t, filepath.Join(s.engine.Store().ProjectDir(id), "output", "final_video.mp4"), 1920, 1080)
}

func TestUploadCutAt60PercentResumesWithTheRemainingBytes(t *testing.T) {
	yt := fakeyoutube.Start(t, fakeyoutube.Options{})
	s := start(t, options{youtube: yt})
	ctx := context.Background()
	id := s.project("Rivers", english, func(in *project.Input) {
		in.Settings.YouTube.Privacy = "unlisted"
		in.Settings.YouTube.Tags = []string{"rivers", "nature"}
	})
	s.makeVideo(id)
	video := filepath.Join(s.engine.Store().ProjectDir(id), "output", "final_video.mp4")
	fi, err := os.Stat(video)
	if err != nil {
		t.Fatal(err)
	}
	yt.Inject(fakeyoutube.CutAt(60))
	h, err := s.client.Delay(ctx, tasks.UploadToYouTube, tasks.Args{ProjectID: id})
	if err != nil {
		t.Fatal(err)
	}
	var res pipeline.UploadResult
	if err := h.GetInto(ctx, 60*time.Second, &res); err != nil {
		t.Fatal(err)
	}
	if !res.Uploaded || res.VideoID == "" || !res.Resumed || !res.ThumbnailSet {
		t.Fatalf("upload result %+v", res)
	}
	// Bytes the server received across both attempts: the cut attempt up to
	// the cut, then only what was missing — never the whole file twice.
	var total, afterCut int64
	cut := false
	for _, r := range yt.Requests() {
		if r.Op != fakeyoutube.OpChunk {
			continue
		}
		total += r.Bytes
		if cut {
			afterCut += r.Bytes
		}
		if r.Cut {
			cut = true
		}
	}
	if !cut {
		t.Fatal("the connection was never cut")
	}
	if afterCut >= fi.Size() || total > fi.Size()+256<<10 {
		t.Fatalf("file %d bytes; sent %d in all, %d after the cut: the upload restarted instead of resuming", fi.Size(), total, afterCut)
	}
	v, ok := yt.Video(res.VideoID)
	if !ok || int64(len(v.Media)) != fi.Size() {
		t.Fatalf("stored video has %d bytes, want %d", len(v.Media), fi.Size())
	}
	if v.Resource.Status.PrivacyStatus != "unlisted" || !strings.Contains(v.Resource.Snippet.Description, "AI") {
		t.Fatalf("metadata %+v", v.Resource)
	}
	if st := s.state(id); st.Stages.Upload.Attempts != 2 {
		t.Fatalf("upload attempts %d, want 2 (cut, then resumed)", st.Stages.Upload.Attempts)
	}
}

func TestQuotaExhaustedUploadWaitsForTheReset(t *testing.T) {
	yt := fakeyoutube.Start(t, fakeyoutube.Options{})
	var offset atomic.Int64
	s := start(t, options{youtube: yt, quota: quota.Options{Now: func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }}})
	ctx := context.Background()
	id := s.project("Rivers", english, nil)
	s.makeVideo(id)
	// The tracker's clock now stands 3 seconds before midnight Pacific time.
	reset := quota.NextReset(time.Now(), quota.Pacific())
	offset.Store(int64(reset.Add(-3 * time.Second).Sub(time.Now())))
	// Today's units are nearly used up: an upload (1,600) does not fit.
	if _, err := s.quota.Reserve(ctx, "youtube", 9000); err != nil {
		t.Fatal(err)
	}
	sub, _ := s.client.SubscribeProgress(ctx, id)
	defer sub.Close()
	h, err := s.client.Delay(ctx, tasks.UploadToYouTube, tasks.Args{ProjectID: id})
	if err != nil {
		t.Fatal(err)
	}
	sawWait := false
	deadline := time.After(30 * time.Second)
	for !sawWait {
		select {
		case m := <-sub.C:
			if strings.HasPrefix(m.Message, "Waiting until") && m.Error != nil && m.Error.Code == errcode.YouTubeQuotaExceeded {
				sawWait = true
			}
		case <-deadline:
			t.Fatal("no waiting message")
		}
	}
	st := s.state(id)
	if st.Stages.Upload.Status != project.StageWaiting || st.Stages.Upload.WaitUntil == nil {
		t.Fatalf("upload stage %+v", st.Stages.Upload)
	}
	var res pipeline.UploadResult
	if err := h.GetInto(ctx, 30*time.Second, &res); err != nil {
		t.Fatal(err)
	}
	if !res.Uploaded {
		t.Fatalf("after the reset: %+v", res)
	}
	if st := s.state(id); st.Stages.Upload.Attempts != 1 {
		t.Fatalf("waiting used up an attempt: %d", st.Stages.Upload.Attempts)
	}
}

// TestUploadFollowsTheTokenFile: a channel connected while the system runs
// (the studio saves the token file) is used by the next upload, without a
// restart.
func TestUploadFollowsTheTokenFile(t *testing.T) {
	yt := fakeyoutube.Start(t, fakeyoutube.Options{})
	tokenFile := filepath.Join(t.TempDir(), "youtube_token.json")
	s := start(t, options{youtube: yt, configure: func(c *pipeline.Config) {
		c.YouTube.RefreshToken = ""
		c.YouTubeTokenFile = tokenFile
	}})
	ctx := context.Background()
	id := s.project("Tides", english, nil)
	s.makeVideo(id)
	upload := func() pipeline.UploadResult {
		t.Helper()
		h, err := s.client.Delay(ctx, tasks.UploadToYouTube, tasks.Args{ProjectID: id})
		if err != nil {
			t.Fatal(err)
		}
		var res pipeline.UploadResult
		if err := h.GetInto(ctx, 60*time.Second, &res); err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := upload(); res.Uploaded || !res.Skipped || !strings.Contains(res.Reason, "System page") {
		t.Fatalf("upload without a token = %+v; want skipped, pointing to the System page", res)
	}
	if err := youtube.SaveToken(tokenFile, &oauth2.Token{RefreshToken: yt.RefreshToken()}); err != nil {
		t.Fatal(err)
	}
	if res := upload(); !res.Uploaded || res.VideoID == "" {
		t.Fatalf("upload after connecting = %+v; want uploaded", res)
	}
	if n := len(yt.Videos()); n != 1 {
		t.Fatalf("%d videos on the channel, want 1", n)
	}
}
