package render

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/media/ffmpeg"
	"github.com/ytmaker/ytmaker/internal/media/subtitles"
)

// checkOutput verifies what every render must produce, beyond Verify.
func checkOutput(t *testing.T, ff *ffmpeg.Runner, res *Result, w, h int, want time.Duration) {
	t.Helper()
	info, err := ff.Probe(context.Background(), res.Path)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := info.Video()
	a, _ := info.Audio()
	if v.Codec != "h264" || v.Profile != "High" || v.PixFmt != "yuv420p" || v.Width != w || v.Height != h {
		t.Errorf("video stream %+v", v)
	}
	if v.RFrameRate != (ffmpeg.Rational{Num: 30, Den: 1}) || v.AvgFrameRate != (ffmpeg.Rational{Num: 30, Den: 1}) {
		t.Errorf("frame rate %v / %v, want a constant 30/1", v.RFrameRate, v.AvgFrameRate)
	}
	if v.ColorSpace != "bt709" || v.ColorPrimaries != "bt709" || v.ColorTransfer != "bt709" {
		t.Errorf("colour tags %s/%s/%s, want bt709", v.ColorSpace, v.ColorPrimaries, v.ColorTransfer)
	}
	if a.Codec != "aac" || a.SampleRate != 48000 || a.Channels != 2 {
		t.Errorf("audio stream %+v", a)
	}
	if d := v.Duration - a.Duration; math.Abs(d.Seconds()) > 0.1 {
		t.Errorf("video %v vs audio %v", v.Duration, a.Duration)
	}
	if math.Abs((info.Duration - want).Seconds()) > 0.02*want.Seconds() {
		t.Errorf("duration %v, want %v", info.Duration, want)
	}
	wantFrames := int(math.Round(want.Seconds() * 30))
	if int(v.NbFrames) != wantFrames || res.Frames != wantFrames {
		t.Errorf("%d frames (result says %d), want %d", v.NbFrames, res.Frames, wantFrames)
	}
	// The whole file decodes without a complaint, frame for frame.
	out, err := exec.Command("ffmpeg", "-v", "error", "-i", res.Path, "-f", "null", "-").CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("decoding reported: %v %s", err, out)
	}
	if n := len(frameHashes(t, res.Path)); n != wantFrames {
		t.Errorf("decoded %d frames, want %d", n, wantFrames)
	}
	// Fast start: the index (moov) precedes the media data (mdat).
	head := make([]byte, 1<<16)
	if f, err := os.Open(res.Path); err == nil {
		n, _ := f.Read(head)
		f.Close()
		head = head[:n]
	}
	if m, d := strings.Index(string(head), "moov"), strings.Index(string(head), "mdat"); m < 0 || (d >= 0 && d < m) {
		t.Errorf("moov at %d, mdat at %d: not a fast-start file", m, d)
	}
	// Nothing is left behind but the output.
	entries, _ := os.ReadDir(filepath.Dir(res.Path))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("left behind %s", e.Name())
		}
	}
}

func TestRenderEnglishSubtitles(t *testing.T) {
	ff := needTools(t)
	fs := loadFonts(t)
	dir := t.TempDir()
	segs := makeSegments(t, fs, dir, 3, 320, 180, 2*time.Second, "en", true)
	out := filepath.Join(dir, "output", "final_video.mp4")
	var mu sync.Mutex
	var reports []Progress
	res, err := Render(context.Background(), Spec{
		Width: 320, Height: 180, Segments: segs, Subtitles: true, Language: "en",
		OutPath: out, SRTPath: filepath.Join(dir, "output", "final_video.srt"),
	}, Options{FFmpeg: ff, OnProgress: func(p Progress) {
		mu.Lock()
		reports = append(reports, p)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Method != "stills" {
		t.Errorf("method %s", res.Method)
	}
	checkOutput(t, ff, res, 320, 180, 6*time.Second)
	if len(reports) == 0 || reports[len(reports)-1].Fraction != 1 {
		t.Fatalf("progress %v", reports)
	}
	for i := 1; i < len(reports); i++ {
		if reports[i].Fraction < reports[i-1].Fraction {
			t.Fatalf("progress went back at %d: %v", i, reports)
		}
	}
	// Each cue is on screen for exactly its frames: the picture changes at
	// the planned boundaries and nowhere else.
	plan, err := newPlan(context.Background(), Spec{Width: 320, Height: 180, Segments: segs, Subtitles: true, OutPath: out}, ff)
	if err != nil {
		t.Fatal(err)
	}
	hashes := frameHashes(t, out)
	boundary := map[int]bool{}
	at := 0
	for _, pic := range plan.pictures() {
		boundary[at] = true
		at += pic.frames
	}
	if len(plan.pictures()) < 6 {
		t.Fatalf("only %d pictures planned", len(plan.pictures()))
	}
	for i := 1; i < len(hashes); i++ {
		if changed := hashes[i] != hashes[i-1]; changed != boundary[i] {
			t.Fatalf("frame %d: changed=%v, planned boundary=%v", i, changed, boundary[i])
		}
	}
	srt, err := os.ReadFile(filepath.Join(dir, "output", "final_video.srt"))
	if err != nil || !strings.Contains(string(srt), "-->") {
		t.Fatalf("SRT sidecar: %v %q", err, srt)
	}
	// A subtitle is burned in while its cue runs, and only then.
	cue := segs[1].Cues[0]
	mid := 60 + int((cue.Start+cue.End).Seconds()*15)
	before := 60 + int(cue.Start.Seconds()*30) - 1
	withCue := decodeRGB(t, out, mid, 320, 180)
	without := decodeRGB(t, out, before, 320, 180)
	if frameDiff(withCue, without) < 50 {
		t.Error("no subtitle visible in the bottom band during the cue")
	}
}

// frameDiff counts pixels that differ clearly between two RGB frames.
func frameDiff(a, b []byte) int {
	n := 0
	for i := 0; i+2 < len(a); i += 3 {
		d := math.Abs(float64(a[i])-float64(b[i])) + math.Abs(float64(a[i+1])-float64(b[i+1])) + math.Abs(float64(a[i+2])-float64(b[i+2]))
		if d > 90 {
			n++
		}
	}
	return n
}

func TestRenderTraditionalChinesePortrait(t *testing.T) {
	ff := needTools(t)
	fs := loadFonts(t)
	dir := t.TempDir()
	segs := makeSegments(t, fs, dir, 3, 270, 480, 1500*time.Millisecond, "zh-TW", true)
	out := filepath.Join(dir, "output", "final_video.mp4")
	res, err := Render(context.Background(), Spec{Width: 270, Height: 480, Segments: segs, Subtitles: true, Language: "zh-TW", OutPath: out}, Options{FFmpeg: ff})
	if err != nil {
		t.Fatal(err)
	}
	checkOutput(t, ff, res, 270, 480, 4500*time.Millisecond)
	if fam := subtitles.FontFamily(context.Background(), "zh-TW"); fam != "Noto Sans CJK TC" {
		t.Logf("subtitles use %s (Noto Sans CJK TC not installed)", fam)
	}
	cue := segs[0].Cues[0]
	with := decodeRGB(t, out, int((cue.Start+cue.End).Seconds()*15), 270, 480)
	without := decodeRGB(t, out, 0, 270, 480) // before the first cue (100 ms)
	if frameDiff(with, without) < 100 {
		t.Error("no Chinese subtitle visible during the cue")
	}
}

// TestSkipExpansion checks the frames of a long still: all identical to
// the segment's first frame and close to the source image.
func TestSkipExpansion(t *testing.T) {
	ff := needTools(t)
	fs := loadFonts(t)
	dir := t.TempDir()
	segs := makeSegments(t, fs, dir, 2, 320, 180, 3*time.Second, "en", false)
	out := filepath.Join(dir, "final_video.mp4")
	res, err := Render(context.Background(), Spec{Width: 320, Height: 180, Segments: segs, OutPath: out}, Options{FFmpeg: ff})
	if err != nil {
		t.Fatal(err)
	}
	checkOutput(t, ff, res, 320, 180, 6*time.Second)
	hashes := frameHashes(t, out)
	for i := 1; i < 90; i++ {
		if hashes[i] != hashes[0] || hashes[90+i] != hashes[90] {
			t.Fatalf("frame %d differs inside a still segment", i)
		}
	}
	if hashes[0] == hashes[90] {
		t.Fatal("second segment shows the first image")
	}
	// The middle frame of segment 2 matches its source image.
	got := decodeRGB(t, out, 135, 320, 180)
	f, err := os.Open(segs[1].Image)
	if err != nil {
		t.Fatal(err)
	}
	src, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if p := psnr(got, src); p < 30 {
		t.Fatalf("mid-segment frame PSNR %.1f dB against the still, want >= 30", p)
	}
	// The stream holds one IDR per segment; the rest are tiny skips.
	if res.Size > 200<<10 {
		t.Errorf("6 s of stills took %d bytes", res.Size)
	}
}

func psnr(rgb []byte, img image.Image) float64 {
	b := img.Bounds()
	var mse float64
	n := 0
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			i := 3 * (y*b.Dx() + x)
			for k, v := range []uint32{r >> 8, g >> 8, bl >> 8} {
				d := float64(rgb[i+k]) - float64(v)
				mse += d * d
				n++
			}
		}
	}
	mse /= float64(n)
	if mse == 0 {
		return 99
	}
	return 10 * math.Log10(255*255/mse)
}

func TestAvatarSplice(t *testing.T) {
	ff := needTools(t)
	fs := loadFonts(t)
	dir := t.TempDir()
	segs := makeSegments(t, fs, dir, 2, 320, 180, 2*time.Second, "en", true)
	intro := filepath.Join(dir, "intro.mp4")
	outro := filepath.Join(dir, "outro.mp4")
	makeClip(t, intro, 240, 240, 25, 1500*time.Millisecond, true) // square, 25 fps, with sound
	makeClip(t, outro, 400, 300, 30, time.Second, false)          // no sound
	out := filepath.Join(dir, "final_video.mp4")
	res, err := Render(context.Background(), Spec{Width: 320, Height: 180, Segments: segs, Subtitles: true,
		Intro: intro, Outro: outro, OutPath: out}, Options{FFmpeg: ff})
	if err != nil {
		t.Fatal(err)
	}
	if res.Method != "stills" {
		t.Fatalf("method %s: the clips were not spliced", res.Method)
	}
	// 1.5 s at 25 fps is 38 frames: 1.52 s, 46 frames at 30 fps.
	introFrames := 46
	checkOutput(t, ff, res, 320, 180, time.Duration(introFrames)*time.Second/30+4*time.Second+time.Second)
	h := frameHashes(t, out)
	if h[0] == h[10] || h[len(h)-1] == h[len(h)-10] {
		t.Error("clip frames do not move")
	}
	if h[introFrames] != h[introFrames+1] || h[introFrames-1] == h[introFrames] {
		t.Error("the still after the intro is not where expected")
	}
	// The intro's tone is in the sound track, the outro is silent.
	samples := decodeAudio(t, out, 48000)
	if l := toneLevel(samples, 48000, 440, 200*time.Millisecond, 1300*time.Millisecond); l < 0.05 {
		t.Errorf("intro tone level %.3f", l)
	}
	if l := toneLevel(samples, 48000, 440, 5600*time.Millisecond, 6400*time.Millisecond); l > 0.01 {
		t.Errorf("outro should be silent, 440 Hz level %.3f", l)
	}
}

func TestMusicDucking(t *testing.T) {
	ff := needTools(t)
	fs := loadFonts(t)
	dir := t.TempDir()
	segs := makeSegments(t, fs, dir, 1, 320, 180, 7*time.Second, "en", false)
	// Silence for 2.5 s, then speech-like bursts of 1 kHz.
	writeVoice(t, segs[0].Audio, 22050, 7*time.Second, 2500*time.Millisecond, 1000)
	music := filepath.Join(dir, "music.wav")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=f=200:sample_rate=44100:d=2", "-ac", "2", music).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	out := filepath.Join(dir, "final_video.mp4")
	res, err := Render(context.Background(), Spec{Width: 320, Height: 180, Segments: segs, OutPath: out,
		Music: &Music{Path: music, Volume: 0.5, FadeOut: 1500 * time.Millisecond}}, Options{FFmpeg: ff})
	if err != nil {
		t.Fatal(err)
	}
	checkOutput(t, ff, res, 320, 180, 7*time.Second)
	checkLoudness(t, ff, out)
	s := decodeAudio(t, out, 48000)
	alone := toneLevel(s, 48000, 200, 500*time.Millisecond, 2200*time.Millisecond) // music only (looped past 2 s)
	under := toneLevel(s, 48000, 200, 3000*time.Millisecond, 5200*time.Millisecond)
	end := toneLevel(s, 48000, 200, 6700*time.Millisecond, 7*time.Second)
	voice := toneLevel(s, 48000, 1000, 2600*time.Millisecond, 5200*time.Millisecond)
	t.Logf("music alone %.3f, under voice %.3f, at the end %.3f; voice %.3f", alone, under, end, voice)
	if alone < 0.05 {
		t.Fatalf("music missing: level %.3f", alone)
	}
	if voice < 0.05 {
		t.Fatalf("voice missing: level %.3f", voice)
	}
	if db := 20 * math.Log10(alone/under); db < 6 {
		t.Errorf("music ducked by only %.1f dB under the voice", db)
	}
	if end > alone/4 {
		t.Errorf("music not faded out: %.3f at the end vs %.3f", end, alone)
	}
}

func TestKenBurns(t *testing.T) {
	ff := needTools(t)
	fs := loadFonts(t)
	dir := t.TempDir()
	segs := makeSegments(t, fs, dir, 3, 320, 180, 1500*time.Millisecond, "en", true)
	out := filepath.Join(dir, "final_video.mp4")
	intro := filepath.Join(dir, "intro.mp4")
	makeClip(t, intro, 320, 180, 30, 500*time.Millisecond, true)
	res, err := Render(context.Background(), Spec{Width: 320, Height: 180, Segments: segs, Subtitles: true,
		Motion: MotionKenBurns, Intro: intro, OutPath: out}, Options{FFmpeg: ff, Parallel: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Method != "kenburns" {
		t.Fatalf("method %s", res.Method)
	}
	checkOutput(t, ff, res, 320, 180, 5*time.Second)
	h := frameHashes(t, out)
	moving := 0
	for i := 16; i < len(h); i++ {
		if h[i] != h[i-1] {
			moving++
		}
	}
	if moving < len(h)*3/4 {
		t.Errorf("only %d of %d frames change", moving, len(h))
	}
}

func TestFilterGraphRenderer(t *testing.T) {
	ff := needTools(t)
	fs := loadFonts(t)
	dir := t.TempDir()
	segs := makeSegments(t, fs, dir, 2, 320, 180, 1500*time.Millisecond, "en", true)
	intro := filepath.Join(dir, "intro.mp4")
	makeClip(t, intro, 200, 200, 24, time.Second, true)
	music := filepath.Join(dir, "music.wav")
	writeVoice(t, music, 44100, time.Second, 0, 200)
	out := filepath.Join(dir, "final_video.mp4")
	res, err := RenderFilterGraph(context.Background(), Spec{Width: 320, Height: 180, Segments: segs, Subtitles: true,
		Intro: intro, Music: &Music{Path: music}, OutPath: out}, Options{FFmpeg: ff})
	if err != nil {
		t.Fatal(err)
	}
	if res.Method != "filtergraph" {
		t.Fatalf("method %s", res.Method)
	}
	checkOutput(t, ff, res, 320, 180, 4*time.Second)
	checkLoudness(t, ff, out)
}

func TestMixedImages(t *testing.T) {
	ff := needTools(t)
	fs := loadFonts(t)
	dir := t.TempDir()
	segs := makeSegments(t, fs, dir, 3, 320, 180, time.Second, "en", false)
	// A JPEG of another size and aspect, and a PNG of another size.
	jpg := filepath.Join(dir, "photo.jpg")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=300x400:d=0.1", "-frames:v", "1", jpg).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	big := filepath.Join(dir, "big.png")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=672x384:d=0.1", "-frames:v", "1", big).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	segs[1].Image, segs[2].Image = jpg, big
	res, err := Render(context.Background(), Spec{Width: 320, Height: 180, Segments: segs, OutPath: filepath.Join(dir, "out.mp4")}, Options{FFmpeg: ff})
	if err != nil {
		t.Fatal(err)
	}
	checkOutput(t, ff, res, 320, 180, 3*time.Second)
	// The portrait photo is letterboxed: black at the sides.
	f := decodeRGB(t, res.Path, 45, 320, 180)
	lum := func(x, y int) int { i := 3 * (y*320 + x); return int(f[i]) + int(f[i+1]) + int(f[i+2]) }
	for y := 10; y < 180; y += 20 {
		if lum(5, y) > 30 || lum(314, y) > 30 || lum(160, y) < 60 {
			t.Fatalf("row %d: edges %d/%d, centre %d: portrait image not pillarboxed", y, lum(5, y), lum(314, y), lum(160, y))
		}
	}
}

func TestCancelStopsFFmpeg(t *testing.T) {
	ff := needTools(t)
	fs := loadFonts(t)
	dir := t.TempDir()
	segs := makeSegments(t, fs, dir, 2, 640, 360, 20*time.Second, "en", false)
	out := filepath.Join(dir, "output", "final_video.mp4")
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	var cancelledAt time.Time
	_, err := Render(ctx, Spec{Width: 640, Height: 360, Segments: segs, Motion: MotionKenBurns, OutPath: out},
		Options{FFmpeg: ff, OnProgress: func(p Progress) {
			if p.Fraction > 0 {
				once.Do(func() { cancelledAt = time.Now(); cancel() })
			}
		}})
	if !errors.Is(err, context.Canceled) || errcode.Code(err) != errcode.Cancelled {
		t.Fatalf("got %v, want CANCELLED", err)
	}
	if d := time.Since(cancelledAt); d > 2*time.Second {
		t.Errorf("Render returned %v after cancellation", d)
	}
	if ps := processesMentioning(dir); len(ps) > 0 {
		t.Fatalf("processes left running: %v", ps)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "output"))
	for _, e := range entries {
		t.Errorf("left behind %s", e.Name())
	}
}

// processesMentioning lists processes whose command line contains s.
func processesMentioning(s string) []string {
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cmd, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		if strings.Contains(string(cmd), s) {
			out = append(out, e.Name()+": "+strings.ReplaceAll(string(cmd), "\x00", " "))
		}
	}
	return out
}

func TestValidation(t *testing.T) {
	ff := needTools(t)
	dir := t.TempDir()
	wavPath := filepath.Join(dir, "a.wav")
	writeVoice(t, wavPath, 22050, time.Second, 0, 300)
	cases := []struct {
		spec Spec
		code string
	}{
		{Spec{Width: 321, Height: 180, Segments: []Segment{{Image: wavPath, Audio: wavPath}}, OutPath: "x.mp4"}, errcode.InvalidInput},
		{Spec{Width: 320, Height: 180, OutPath: "x.mp4"}, errcode.InvalidInput},
		{Spec{Width: 320, Height: 180, FPS: 25, Segments: []Segment{{Image: wavPath, Audio: wavPath}}, OutPath: "x.mp4"}, errcode.InvalidInput},
		{Spec{Width: 320, Height: 180, Segments: []Segment{{Image: filepath.Join(dir, "missing.png"), Audio: wavPath}}, OutPath: "x.mp4"}, errcode.NotFound},
		{Spec{Width: 320, Height: 180, Motion: "spin", Segments: []Segment{{Image: wavPath, Audio: wavPath}}, OutPath: "x.mp4"}, errcode.InvalidInput},
	}
	for i, c := range cases {
		_, err := Render(context.Background(), c.spec, Options{FFmpeg: ff})
		if errcode.Code(err) != c.code {
			t.Errorf("case %d: got %v, want %s", i, err, c.code)
		}
	}
}

func TestVerifyRejects(t *testing.T) {
	ff := needTools(t)
	path := filepath.Join(t.TempDir(), "bad.mp4")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=320x180:r=25:d=2",
		"-f", "lavfi", "-i", "sine=d=1.5:sample_rate=44100", "-c:v", "libx264", "-profile:v", "baseline", "-pix_fmt", "yuv420p",
		"-c:a", "aac", path).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	_, err := Verify(context.Background(), ff, path, Expect{Width: 320, Height: 180, Frames: 60, Duration: 2 * time.Second})
	e, ok := errcode.As(err)
	if !ok || e.Code != errcode.RenderVerifyFailed {
		t.Fatalf("got %v", err)
	}
	msg := e.Message
	for _, want := range []string{"profile", "frame rate", "48000", "audio"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q: %s", want, msg)
		}
	}
}

// A segment with later stills shows each from its time, in both
// renderers and with motion.
func TestLaterStills(t *testing.T) {
	ff := needTools(t)
	dir := t.TempDir()
	colors := []color.RGBA{{200, 30, 30, 255}, {30, 30, 200, 255}, {30, 180, 30, 255}}
	var paths []string
	for i, c := range colors {
		img := image.NewRGBA(image.Rect(0, 0, 320, 180))
		for p := 0; p < len(img.Pix); p += 4 {
			img.Pix[p], img.Pix[p+1], img.Pix[p+2], img.Pix[p+3] = c.R, c.G, c.B, 255
		}
		path := filepath.Join(dir, fmt.Sprintf("still%d.png", i))
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		png.Encode(f, img)
		f.Close()
		paths = append(paths, path)
	}
	audio := filepath.Join(dir, "voice.wav")
	writeVoice(t, audio, 22050, 3*time.Second, 0, 300)
	seg := Segment{Image: paths[0], Audio: audio, Later: []Still{{Image: paths[1], At: time.Second}, {Image: paths[2], At: 2 * time.Second}}}
	for _, tc := range []struct {
		name   string
		motion Motion
		fn     func(context.Context, Spec, Options) (*Result, error)
	}{{"stills", MotionNone, Render}, {"kenburns", MotionKenBurns, Render}, {"filtergraph", MotionNone, RenderFilterGraph}} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, tc.name, "video.mp4")
			res, err := tc.fn(context.Background(), Spec{Width: 320, Height: 180, Segments: []Segment{seg}, Motion: tc.motion, OutPath: out}, Options{FFmpeg: ff})
			if err != nil {
				t.Fatal(err)
			}
			checkOutput(t, ff, res, 320, 180, 3*time.Second)
			for _, probe := range []struct{ frame, want int }{{1, 0}, {28, 0}, {31, 1}, {58, 1}, {61, 2}, {88, 2}} {
				rgb := decodeRGB(t, out, probe.frame, 320, 180)
				c := colors[probe.want]
				i := 3 * (90*320 + 160) // the centre
				if d := math.Abs(float64(rgb[i])-float64(c.R)) + math.Abs(float64(rgb[i+2])-float64(c.B)) + math.Abs(float64(rgb[i+1])-float64(c.G)); d > 40 {
					t.Errorf("frame %d shows %v, want still %d %v", probe.frame, rgb[i:i+3], probe.want, c)
				}
			}
		})
	}
}

// The watermark sits where it was put, in every renderer, at its opacity.
func TestWatermark(t *testing.T) {
	ff := needTools(t)
	dir := t.TempDir()
	write := func(name string, w, h int, c color.NRGBA) string {
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		for p := 0; p < len(img.Pix); p += 4 {
			img.Pix[p], img.Pix[p+1], img.Pix[p+2], img.Pix[p+3] = c.R, c.G, c.B, c.A
		}
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		png.Encode(f, img)
		f.Close()
		return path
	}
	bg := write("bg.png", 320, 180, color.NRGBA{0, 0, 0, 255})
	logo := write("logo.png", 20, 10, color.NRGBA{255, 255, 255, 255})
	audio := filepath.Join(dir, "voice.wav")
	writeVoice(t, audio, 22050, time.Second, 0, 300)
	for _, tc := range []struct {
		name   string
		motion Motion
		fn     func(context.Context, Spec, Options) (*Result, error)
	}{{"stills", MotionNone, Render}, {"kenburns", MotionKenBurns, Render}, {"filtergraph", MotionNone, RenderFilterGraph}} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, tc.name, "video.mp4")
			res, err := tc.fn(context.Background(), Spec{Width: 320, Height: 180, Segments: []Segment{{Image: bg, Audio: audio}},
				Motion: tc.motion, OutPath: out, Watermark: &Watermark{Image: logo, X: 260, Y: 20, Width: 40, Opacity: 0.5}}, Options{FFmpeg: ff})
			if err != nil {
				t.Fatal(err)
			}
			checkOutput(t, ff, res, 320, 180, time.Second)
			rgb := decodeRGB(t, out, 15, 320, 180)
			at := func(x, y int) int { return int(rgb[3*(y*320+x)]) }
			// 40×20 at (260,20), half white over black: about 128.
			if v := at(280, 30); v < 100 || v > 160 {
				t.Errorf("watermark centre %d, want about 128", v)
			}
			if v := at(240, 30); v > 20 {
				t.Errorf("left of the watermark %d, want black", v)
			}
			if v := at(280, 60); v > 20 {
				t.Errorf("below the watermark %d, want black", v)
			}
		})
	}
}

// checkLoudness checks that a video's sound is at YouTube's reference
// loudness: -14 LUFS within 1 LU, true peak at most -1 dBTP.
func checkLoudness(t *testing.T, ff *ffmpeg.Runner, path string) {
	t.Helper()
	l, err := MeasureLoudness(context.Background(), ff, path, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %.2f LUFS, true peak %.2f dBTP", filepath.Base(path), l.Integrated, l.TruePeak)
	if math.Abs(l.Integrated-TargetLUFS) > 1 || l.TruePeak > MaxTruePk {
		t.Errorf("%s: %.2f LUFS (want %.0f ± 1), true peak %.2f dBTP (want <= %.0f)", filepath.Base(path), l.Integrated, TargetLUFS, l.TruePeak, MaxTruePk)
	}
}

func TestLoudnessFilter(t *testing.T) {
	if f := loudnessFilter(Loudness{Integrated: -20, TruePeak: -12}); f != "volume=6.00dB" {
		t.Errorf("quiet track: %s", f)
	}
	if f := loudnessFilter(Loudness{Integrated: -20, TruePeak: -4}); !strings.Contains(f, "volume=6.00dB") || !strings.Contains(f, "alimiter") {
		t.Errorf("peaky track: %s", f)
	}
	if f := loudnessFilter(Loudness{Integrated: math.Inf(-1), TruePeak: math.Inf(-1)}); f != "anull" {
		t.Errorf("silence: %s", f)
	}
	dir := t.TempDir()
	meta := filepath.Join(dir, "m.txt")
	os.WriteFile(meta, []byte("frame:0\nlavfi.r128.I=-70.000\nlavfi.r128.true_peak=0.01\nframe:1\nlavfi.r128.I=-15.500\nlavfi.r128.true_peak=0.5\n"), 0o644)
	l, err := readLoudness(meta)
	if err != nil || l.Integrated != -15.5 || math.Abs(l.TruePeak-(-6.0206)) > 0.001 {
		t.Fatalf("%+v %v", l, err)
	}
}

func TestAudioCutoff(t *testing.T) {
	withAudio := func(rate int) *ffmpeg.ProbeResult {
		return &ffmpeg.ProbeResult{Streams: []ffmpeg.Stream{{Type: "video"}, {Type: "audio", SampleRate: rate}}}
	}
	silent := &ffmpeg.ProbeResult{Streams: []ffmpeg.Stream{{Type: "video"}}}
	tests := []struct {
		name string
		p    plan
		want int
	}{
		{"22 kHz narration", plan{maxRate: 22050}, 11025},
		{"24 kHz narration", plan{maxRate: 24000}, 12000},
		{"44.1 kHz narration: the encoder's choice", plan{maxRate: 44100}, 0},
		{"a rate that could not be read", plan{maxRate: 22050, rateUnknown: true}, 0},
		{"music", plan{maxRate: 22050, spec: Spec{Music: &Music{Path: "m.mp3"}}}, 0},
		{"an intro's 48 kHz sound", plan{maxRate: 22050, introInfo: withAudio(48000)}, 0},
		{"an outro's 32 kHz sound", plan{maxRate: 22050, outroInfo: withAudio(32000)}, 16000},
		{"a silent intro", plan{maxRate: 16000, introInfo: silent}, 8000},
	}
	for _, tt := range tests {
		if got := tt.p.audioCutoff(); got != tt.want {
			t.Errorf("%s: cutoff %d, want %d", tt.name, got, tt.want)
		}
	}
}
