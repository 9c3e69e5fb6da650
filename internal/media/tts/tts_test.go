package tts

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/media/wav"
)

func needProgram(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skip(name + " not installed")
	}
}

func TestFestivalText(t *testing.T) {
	cases := map[string]string{
		"Café “déjà vu” — naïve résumé":     "Cafe deja vu , naive resume",
		"R&D grew 50% in 2024; 3+4=7 @home": "R and D grew 50 percent in 2024; 3 plus 4 equals 7 at home",
		"**Bold** _text_ #tag `code`":       "Bold text tag code",
		"See https://example.com/x?y=1 now": "See link now",
		"Hot 🔥 take ✨":                      "Hot take",
		"中文。":                               "",
		"  \"quoted\"\n\tlines  ":           "quoted lines",
		"It's 30°C":                         "It's 30 degrees C",
	}
	for in, want := range cases {
		if got := FestivalText(in); got != want {
			t.Errorf("FestivalText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestChineseSSML(t *testing.T) {
	got := chineseSSML("我們用YouTube API上傳<影片>，成長3.5倍 & more", true)
	want := `<speak>我們用<voice name="en-us">YouTube API</voice>上傳&lt;影片&gt;，成長3點5倍 &amp; <voice name="en-us">more</voice></speak>`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if s := chineseSSML("增长3.5倍", true); !strings.Contains(s, "3点5") {
		t.Errorf("Simplified decimal point: %s", s)
	}
}

func TestESpeakVoice(t *testing.T) {
	cases := map[string]string{"en": "en-us", "en-GB": "en-gb", "zh-TW": "cmn-latn-pinyin", "zh-CN": "cmn-latn-pinyin",
		"zh-HK": "yue", "ja": "ja", "ko": "ko", "fr-CA": "fr", "": "en-us"}
	for in, want := range cases {
		if got := ESpeakVoice(in); got != want {
			t.Errorf("ESpeakVoice(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestChunk(t *testing.T) {
	long := strings.Repeat("word ", 30) + "end, " + strings.Repeat("more words here ", 20)
	parts := chunk(long, 80)
	if len(parts) < 3 {
		t.Fatalf("got %d parts", len(parts))
	}
	for _, p := range parts {
		if len([]rune(p)) > 80 {
			t.Errorf("part of %d runes", len([]rune(p)))
		}
	}
	if strings.Join(strings.Fields(strings.Join(parts, " ")), " ") != strings.Join(strings.Fields(long), " ") {
		t.Fatal("chunks lost text")
	}
	cjk := chunk(strings.Repeat("中文字", 40), 50)
	for _, p := range cjk {
		if len([]rune(p)) > 50 {
			t.Errorf("CJK part of %d runes", len([]rune(p)))
		}
	}
}

func TestFestivalSynthesize(t *testing.T) {
	needProgram(t, "festival")
	f, err := NewFestival(FestivalConfig{})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "audio", "en.wav")
	res, err := f.Synthesize(context.Background(), Request{Text: "Hello there, this is a test.", Language: "en", OutPath: out})
	if err != nil {
		t.Fatal(err)
	}
	if res.Engine != "festival" || res.SampleRate != 32000 || res.Duration < 800*time.Millisecond || res.Duration > 5*time.Second {
		t.Fatalf("result %+v", res)
	}
	d, err := wav.Duration(out)
	if err != nil || d != res.Duration {
		t.Fatalf("file duration %v (%v), result %v", d, err, res.Duration)
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 1 {
		t.Errorf("%d files left in the output directory", len(entries))
	}
}

func TestFestivalBadVoice(t *testing.T) {
	needProgram(t, "festival")
	f, err := NewFestival(FestivalConfig{Voice: "no_such_voice_hts"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Synthesize(context.Background(), Request{Text: "Hello.", OutPath: filepath.Join(t.TempDir(), "x.wav")})
	if errcode.Code(err) != errcode.TTSFailed {
		t.Fatalf("got %v, want TTS_FAILED", err)
	}
	if e, _ := errcode.As(err); e.Retryable {
		t.Error("a missing voice is not retryable")
	}
}

func TestMissingPrograms(t *testing.T) {
	_, err := NewFestival(FestivalConfig{Path: "/nonexistent/festival"})
	if errcode.Code(err) != CodeEngineNotFound || !strings.Contains(err.Error(), "apt-get install festival") {
		t.Fatalf("festival: %v", err)
	}
	_, err = NewESpeak(ESpeakConfig{Path: "/nonexistent/espeak-ng"})
	if errcode.Code(err) != CodeEngineNotFound || !strings.Contains(err.Error(), "espeak-ng") {
		t.Fatalf("espeak-ng: %v", err)
	}
	_, err = NewOffline(OfflineConfig{Festival: FestivalConfig{Path: "/nonexistent/f"}, ESpeak: ESpeakConfig{Path: "/nonexistent/e"}})
	if errcode.Code(err) != CodeEngineNotFound {
		t.Fatalf("offline: %v", err)
	}
}

func TestOfflineFallsBackToESpeak(t *testing.T) {
	needProgram(t, "espeak-ng")
	o, err := NewOffline(OfflineConfig{Festival: FestivalConfig{Path: "/nonexistent/festival"}})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := o.EngineFor("en")
	if err != nil || eng.Name() != "espeak-ng" {
		t.Fatalf("EngineFor(en) = %v, %v", eng, err)
	}
	res, err := o.Synthesize(context.Background(), Request{Text: "Fallback works.", OutPath: filepath.Join(t.TempDir(), "a.wav")})
	if err != nil || res.Engine != "espeak-ng" || res.SampleRate != 22050 {
		t.Fatalf("%+v %v", res, err)
	}
}

// TestTraditionalChineseIsRead checks that Traditional characters are
// spoken, not skipped: the same sentence in both scripts lasts about as
// long, and long enough for every syllable.
func TestTraditionalChineseIsRead(t *testing.T) {
	needProgram(t, "espeak-ng")
	e, err := NewESpeak(ESpeakConfig{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	trad, err := e.Synthesize(context.Background(), Request{Text: "這個問題讓我們覺得開心。", Language: "zh-TW", OutPath: filepath.Join(dir, "t.wav")})
	if err != nil {
		t.Fatal(err)
	}
	simp, err := e.Synthesize(context.Background(), Request{Text: "这个问题让我们觉得开心。", Language: "zh-CN", OutPath: filepath.Join(dir, "s.wav")})
	if err != nil {
		t.Fatal(err)
	}
	// Eleven syllables at 150 words per minute take well over a second.
	if trad.Duration < 1500*time.Millisecond {
		t.Fatalf("Traditional sentence lasts only %v", trad.Duration)
	}
	ratio := float64(trad.Duration) / float64(simp.Duration)
	if ratio < 0.9 || ratio > 1.1 {
		t.Fatalf("Traditional %v vs Simplified %v", trad.Duration, simp.Duration)
	}
	// The phonemes espeak-ng produces for both scripts are Mandarin ones.
	out, err := exec.Command("espeak-ng", "-q", "-x", "-v", ESpeakVoice("zh-TW"), "這個問題").Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "(en)") || len(strings.TrimSpace(string(out))) < 10 {
		t.Fatalf("phonemes %q", out)
	}
}

func TestNarrateTimings(t *testing.T) {
	needProgram(t, "espeak-ng")
	o, err := NewOffline(OfflineConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ lang, text string }{
		{"en", "First sentence is here. The second one follows! Is this the third?"},
		{"zh-TW", "第一句話在這裡。第二句話跟著來！這是第三句嗎？"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "n.wav")
			n, err := Narrate(context.Background(), o, Request{Text: tc.text, Language: tc.lang, OutPath: out}, NarrateOptions{Pause: 200 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			if len(n.Sentences) != 3 {
				t.Fatalf("%d sentence timings", len(n.Sentences))
			}
			if n.Sentences[0].Start != 0 {
				t.Errorf("first sentence starts at %v", n.Sentences[0].Start)
			}
			for i, s := range n.Sentences {
				if s.End <= s.Start {
					t.Errorf("sentence %d: %v..%v", i, s.Start, s.End)
				}
				if i > 0 {
					gap := s.Start - n.Sentences[i-1].End
					if gap < 199*time.Millisecond || gap > 201*time.Millisecond {
						t.Errorf("pause before sentence %d is %v", i, gap)
					}
				}
			}
			for i, s := range n.Sentences {
				if len(s.Words) < 3 {
					t.Fatalf("sentence %d: words %+v", i, s.Words)
				}
				for k, w := range s.Words {
					if w.Start < s.Start-time.Millisecond || w.End > s.End+time.Millisecond || w.End < w.Start ||
						k > 0 && w.Start < s.Words[k-1].Start {
						t.Errorf("sentence %d (%v..%v) word %d: %+v", i, s.Start, s.End, k, w)
					}
				}
			}
			if last := n.Sentences[2].End; last != n.Duration {
				t.Errorf("last sentence ends at %v, narration lasts %v", last, n.Duration)
			}
			d, _ := wav.Duration(out)
			if d != n.Duration {
				t.Errorf("file lasts %v, result says %v", d, n.Duration)
			}
			entries, _ := os.ReadDir(filepath.Dir(out))
			if len(entries) != 1 {
				t.Errorf("%d entries left next to the narration", len(entries))
			}
		})
	}
}

func TestNarrateCancelled(t *testing.T) {
	needProgram(t, "espeak-ng")
	e, _ := NewESpeak(ESpeakConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Narrate(ctx, e, Request{Text: "One. Two.", OutPath: filepath.Join(t.TempDir(), "n.wav")}, NarrateOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestEmptyText(t *testing.T) {
	needProgram(t, "espeak-ng")
	e, _ := NewESpeak(ESpeakConfig{})
	_, err := e.Synthesize(context.Background(), Request{Text: "  ", OutPath: filepath.Join(t.TempDir(), "n.wav")})
	if errcode.Code(err) != errcode.InvalidInput {
		t.Fatalf("got %v", err)
	}
}

// TestForeignVoiceIgnored: a cloud voice name kept in the settings does
// not break the offline engines.
func TestForeignVoiceIgnored(t *testing.T) {
	needProgram(t, "espeak-ng")
	o, err := NewOffline(OfflineConfig{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, lang := range []string{"en", "zh-TW"} {
		n, err := Narrate(context.Background(), o, Request{Text: "Hello. 你好。", Language: lang, Voice: "en-US-Neural2-F",
			OutPath: filepath.Join(dir, lang+".wav")}, NarrateOptions{})
		if err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		if n.Duration <= 0 {
			t.Fatalf("%s: empty narration", lang)
		}
		// festival cannot read the Chinese sentence and leaves it out.
		want := 2
		if lang == "en" && o.festival != nil {
			want = 1
		}
		if len(n.Sentences) != want {
			t.Errorf("%s: %d sentences narrated, want %d", lang, len(n.Sentences), want)
		}
	}
	if !espeakVoiceName.MatchString("en-us+f3") || !espeakVoiceName.MatchString("cmn-latn-pinyin") || espeakVoiceName.MatchString("en-US-Neural2-F") {
		t.Fatal("voice name pattern")
	}
}

func TestParseFestivalWords(t *testing.T) {
	in := "-\tHello\t0.165\t0.43\n-\t2024\t1.655\t2.07\n+\t2024\t2.07\t2.49\n+\t2024\t2.49\t2.765\n-\tSmith's\t4.91\t5.28\n+\tSmith's\t0\t0\n-\t.\t0\t0\n"
	got, err := parseFestivalWords(in)
	if err != nil {
		t.Fatal(err)
	}
	ms := time.Millisecond
	want := []WordTiming{{"Hello", 165 * ms, 430 * ms}, {"2024", 1655 * ms, 2765 * ms}, {"Smith's", 4910 * ms, 5280 * ms}, {".", 5280 * ms, 5280 * ms}}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("word %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestMapWords(t *testing.T) {
	ms := time.Millisecond
	rep := []WordTiming{{"R", 0, 100 * ms}, {"and", 100 * ms, 200 * ms}, {"D", 200 * ms, 300 * ms}, {"grew", 300 * ms, 500 * ms},
		{"50", 500 * ms, 800 * ms}, {"percent", 800 * ms, 1100 * ms}, {"cafe", 1200 * ms, 1500 * ms}}
	got := MapWords([]string{"R&D", "grew", "50%", "—", "café!"}, rep)
	want := []WordTiming{{"R&D", 0, 300 * ms}, {"grew", 300 * ms, 500 * ms}, {"50%", 500 * ms, 800 * ms}, {"—", 800 * ms, 1200 * ms}, {"café!", 1200 * ms, 1500 * ms}}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("word %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	// Characters reported one by one make up Chinese words.
	zh := MapWords([]string{"文化，", "訂閱"}, []WordTiming{{"文", 0, 200 * ms}, {"化", 200 * ms, 400 * ms}, {"訂", 600 * ms, 800 * ms}, {"閱", 800 * ms, 1000 * ms}})
	if zh[0].Start != 0 || zh[0].End != 400*ms || zh[1].Start != 600*ms || zh[1].End != 1000*ms {
		t.Errorf("Chinese: %+v", zh)
	}
}

// TestFullDiskIsTold synthesizes into a full tmpfs (root only: mounting
// needs it). espeak-ng exits with 0 when it cannot write, festival fails;
// either way the error must be DISK_FULL, not TTS_FAILED. A read-only
// folder must be FILE_SYSTEM_ERROR.
func TestFullDiskIsTold(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	var engines []Engine
	if e, err := NewESpeak(ESpeakConfig{}); err == nil {
		engines = append(engines, e)
	}
	if f, err := NewFestival(FestivalConfig{}); err == nil {
		engines = append(engines, f)
	}
	if len(engines) == 0 {
		t.Skip("neither espeak-ng nor festival is installed")
	}
	filler, _ := os.Create(filepath.Join(dir, "filler"))
	buf := make([]byte, 16<<10)
	for {
		if _, err := filler.Write(buf); err != nil {
			break
		}
	}
	// Leave room for an engine's small input file, not for its WAV.
	if st, err := filler.Stat(); err == nil {
		filler.Truncate(st.Size() - 8<<10)
	}
	filler.Close()
	text := strings.Repeat("A sentence long enough to need more than the few bytes left on this disk. ", 3)
	for _, e := range engines {
		_, err := e.Synthesize(context.Background(), Request{Text: text, Language: "en", OutPath: filepath.Join(dir, e.Name()+".wav")})
		t.Logf("%s on a full disk: %v", e.Name(), err)
		if code := errcode.Classify(err).Code; code != errcode.DiskFull || errcode.IsRetryable(err) {
			t.Errorf("%s on a full disk: %v", e.Name(), err)
		}
	}
	if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v %s", err, out)
	}
	for _, e := range engines {
		_, err := e.Synthesize(context.Background(), Request{Text: text, Language: "en", OutPath: filepath.Join(dir, e.Name()+".wav")})
		if code := errcode.Classify(err).Code; code != errcode.FileSystemError || errcode.IsRetryable(err) {
			t.Errorf("%s in a read-only folder: %v", e.Name(), err)
		}
	}
}
