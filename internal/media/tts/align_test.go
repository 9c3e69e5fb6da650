package tts

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/language"
	"github.com/ytmaker/ytmaker/internal/language/wordseg"
	"github.com/ytmaker/ytmaker/internal/media/align"
	"github.com/ytmaker/ytmaker/internal/media/wav"
)

// alignCorpusEN and alignCorpusZH are the test corpus for the alignment
// method: narration-like sentences with clauses, numbers and names.
var alignCorpusEN = []string{
	"Welcome back to the channel, where today we explore the hidden history of night markets.",
	"Remember to subscribe and turn on notifications, so you never miss a new episode.",
	"Researchers found that thirty minutes of daily exercise lowers the risk of heart disease.",
	"The first markets appeared along the river in the late nineteenth century.",
	"Vendors sold noodles, grilled squid, and sweet potato balls until long after midnight.",
	"Today, more than three hundred markets operate across the island every single week.",
	"But why do so many people prefer eating outside instead of at home?",
	"The answer is simple: it is cheap, it is social, and the food is excellent.",
	"In this video, we will look at five dishes that every visitor should try.",
	"Let's start with the most famous one, a soup made from pork bones and rice noodles.",
	"Our guide, Mei, has worked at the same stall for almost twenty years.",
	"She wakes up at four in the morning to prepare the broth, which simmers for eight hours.",
	"Stinky tofu smells terrible, but many people say it tastes wonderful.",
	"Climate change is making summers hotter, and vendors are adapting quickly.",
	"Thanks for watching, and see you in the next episode.",
}

var alignCorpusZH = []string{
	"今天我們來聊聊台灣的夜市文化，記得訂閱頻道。",
	"研究顯示，每天運動三十分鐘可以降低心臟病的風險。",
	"最早的夜市出現在河邊，距今已經超過一百年。",
	"攤販賣著麵線、烤魷魚和地瓜球，一直營業到深夜。",
	"為什麼這麼多人喜歡在外面吃飯，而不是在家裡？",
	"答案很簡單：便宜、熱鬧，而且東西好吃。",
	"我們的導遊在同一個攤位工作了將近二十年。",
	"她每天凌晨四點起床準備湯頭，要熬八個小時。",
	"臭豆腐聞起來很臭，但是很多人說它非常好吃。",
	"謝謝收看，我們下一集再見。",
}

// alignErrors returns |aligned start - reported start| for every word.
func alignErrors(t *testing.T, audio string, words []string, ref []time.Duration, lang string) []time.Duration {
	t.Helper()
	env, err := wav.Envelope(audio, align.Hop)
	if err != nil {
		t.Fatal(err)
	}
	var lengths []float64
	if language.IsCJK(lang) && os.Getenv("ALIGN_SPELLING") == "" {
		e, err := NewESpeak(ESpeakConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if lengths, err = e.WordLengths(context.Background(), words, lang); err != nil || lengths == nil {
			t.Fatalf("word lengths: %v", err)
		}
	}
	got := align.Words(env, align.Hop, words, lengths)
	var errs []time.Duration
	for i := range words {
		if ref[i] < 0 {
			continue
		}
		d := got[i].Start - ref[i]
		if testing.Verbose() && (d > 80*time.Millisecond || d < -80*time.Millisecond) {
			t.Logf("%-14q aligned %v reported %v", words[i], got[i].Start, ref[i])
		}
		errs = append(errs, max(d, -d))
	}
	return errs
}

func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[int(float64(len(s)-1)*p+0.5)]
}

func TestAlignAgainstFestival(t *testing.T) {
	needProgram(t, "festival")
	f, err := NewFestival(FestivalConfig{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	reqs := make([]Request, len(alignCorpusEN))
	for i, s := range alignCorpusEN {
		reqs[i] = Request{Text: s, Language: "en", OutPath: filepath.Join(dir, fmt.Sprintf("%02d.wav", i))}
	}
	res, err := f.SynthesizeBatch(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	var all []time.Duration
	for i, r := range res {
		// The written words, punctuation included, timed by festival's
		// report (MapWords, as Narrate does).
		words := wordseg.Texts(wordseg.Split(alignCorpusEN[i]))
		var ref []time.Duration
		for _, w := range MapWords(words, r.Words) {
			ref = append(ref, w.Start)
		}
		if len(r.Words) < 5 {
			t.Fatalf("sentence %d: festival reported %d words", i, len(r.Words))
		}
		all = append(all, alignErrors(t, r.Path, words, ref, "en")...)
	}
	// The median meets the target (50 ms); the 95th percentile
	// does not yet (target 120 ms; measured 245 ms, see
	// docs/BENCHMARKS.md), and this bound keeps it from getting worse.
	reportAlign(t, "English (festival)", all, 50*time.Millisecond, 280*time.Millisecond)
}

func TestAlignAgainstESpeak(t *testing.T) {
	needProgram(t, "python3")
	needProgram(t, "espeak-ng")
	dir := t.TempDir()
	var all []time.Duration
	for i, s := range alignCorpusZH {
		audio := filepath.Join(dir, fmt.Sprintf("%02d.wav", i))
		ssml := chineseSSML(CleanText(s), true)
		out, err := exec.Command("python3", "testdata/espeak_words.py", "cmn-latn-pinyin", "150", ssml, audio).Output()
		if err != nil {
			t.Skipf("the espeak-ng library cannot be driven from python3: %v", err)
		}
		var rep struct {
			Events [][4]int `json:"events"` // text position (1-based runes), length, ms, sample
		}
		if err := json.Unmarshal(out, &rep); err != nil {
			t.Fatal(err)
		}
		// espeak-ng reports every character; a word starts with its first.
		charStart := map[int]time.Duration{}
		for _, e := range rep.Events {
			charStart[e[0]-1-len([]rune("<speak>"))] = time.Duration(e[2]) * time.Millisecond
		}
		var words []string
		var ref []time.Duration
		pos := 0
		text := []rune(ssml[len("<speak>") : len(ssml)-len("</speak>")])
		for _, w := range wordseg.Split(string(text)) {
			at := strings.Index(string(text[pos:]), w.Text)
			off := pos + len([]rune(string(text[pos:])[:at]))
			pos = off + len([]rune(w.Text))
			start := time.Duration(-1)
			for k := off; k < pos; k++ {
				if d, ok := charStart[k]; ok {
					start = d
					break
				}
			}
			words = append(words, w.Text)
			ref = append(ref, start)
		}
		if d, _ := wav.Duration(audio); d < time.Second {
			t.Fatalf("sentence %d: %v of audio", i, d)
		}
		all = append(all, alignErrors(t, audio, words, ref, "zh-TW")...)
	}
	reportAlign(t, "Chinese (espeak-ng)", all, 50*time.Millisecond, 120*time.Millisecond)
}

func reportAlign(t *testing.T, name string, errs []time.Duration, medLimit, p95Limit time.Duration) {
	t.Helper()
	med, p95 := percentile(errs, 0.5), percentile(errs, 0.95)
	t.Logf("%s: %d words, word start error median %v, p95 %v, max %v", name, len(errs), med, p95, percentile(errs, 1))
	if os.Getenv("ALIGN_REPORT") != "" {
		fmt.Printf("| %s | %d | %d | %d |\n", name, len(errs), med.Milliseconds(), p95.Milliseconds())
	}
	if med > medLimit || p95 > p95Limit {
		t.Errorf("%s: median %v (limit %v), p95 %v (limit %v)", name, med, medLimit, p95, p95Limit)
	}
}
