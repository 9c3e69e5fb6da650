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
	"Most people never think about where their coffee comes from.",
	"In 1950, only a handful of farms grew beans for export.",
	"The process takes months, and every step changes the flavour.",
	"First, the cherries are picked by hand, sorted, and washed.",
	"Then they dry in the sun for up to three weeks.",
	"Some farmers ferment the beans, which adds fruity notes.",
	"Roasting turns green seeds into the brown beans we know.",
	"A light roast keeps more acidity; a dark roast tastes bitter.",
	"Our next stop is a small family roastery in the mountains.",
	"If you enjoyed this story, share it with a friend who loves coffee.",
	"Scientists still argue about whether coffee is good for your health.",
	"What do you think? Tell us in the comments below.",
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

// espeakReferences speaks texts (plain, or SSML in <speak>) with the
// espeak-ng library, text i into audios[i], in one run, and returns the
// written words of every text with the start espeak-ng reported for each
// (-1 for a word it reported nothing for). espeak-ng reports the text
// position of every word it says (of every character in Chinese); a word
// starts with its first.
func espeakReferences(t *testing.T, voice string, wpm int, texts, audios []string) (words [][]string, refs [][]time.Duration) {
	t.Helper()
	var in strings.Builder
	for i, text := range texts {
		fmt.Fprintf(&in, "%s\t%s\n", audios[i], text)
	}
	cmd := exec.Command("python3", "testdata/espeak_words.py", voice, fmt.Sprint(wpm))
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("the espeak-ng library cannot be driven from python3: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(texts) {
		t.Fatalf("%d reports for %d texts", len(lines), len(texts))
	}
	for i, text := range texts {
		var rep struct {
			Events [][4]int `json:"events"` // text position (1-based runes), length, ms, sample
		}
		if err := json.Unmarshal([]byte(lines[i]), &rep); err != nil {
			t.Fatal(err)
		}
		body, prefix := text, 0
		if strings.HasPrefix(text, "<speak>") {
			body = strings.TrimSuffix(strings.TrimPrefix(text, "<speak>"), "</speak>")
			prefix = len([]rune("<speak>"))
		}
		charStart := map[int]time.Duration{}
		for _, e := range rep.Events {
			charStart[e[0]-1-prefix] = time.Duration(e[2]) * time.Millisecond
		}
		var ws []string
		var ref []time.Duration
		pos := 0
		rs := []rune(body)
		for _, w := range wordseg.Split(body) {
			rest := string(rs[pos:])
			at := strings.Index(rest, w.Text)
			off := pos + len([]rune(rest[:at]))
			pos = off + len([]rune(w.Text))
			start := time.Duration(-1)
			for k := off; k < pos; k++ {
				if d, ok := charStart[k]; ok {
					start = d
					break
				}
			}
			ws = append(ws, w.Text)
			ref = append(ref, start)
		}
		if d, _ := wav.Duration(audios[i]); d < time.Second {
			t.Fatalf("%q: %v of audio", text, d)
		}
		words, refs = append(words, ws), append(refs, ref)
	}
	return words, refs
}

// startErrors returns |timed start - reference start| for every word with
// a reference.
func startErrors(t *testing.T, words []string, got []WordTiming, ref []time.Duration) []time.Duration {
	t.Helper()
	if len(got) != len(words) {
		t.Fatalf("%d timings for %d words", len(got), len(words))
	}
	var errs []time.Duration
	for i := range words {
		if ref[i] < 0 {
			continue
		}
		d := got[i].Start - ref[i]
		if testing.Verbose() && (d > 100*time.Millisecond || d < -100*time.Millisecond) {
			t.Logf("%-14q timed %v reported %v", words[i], got[i].Start, ref[i])
		}
		errs = append(errs, max(d, -d))
	}
	return errs
}

// loudnessTimes times words by the loudness of the audio alone
// (align.Words), lengths nil meaning from the spelling.
func loudnessTimes(t *testing.T, audio string, words []string, lengths []float64) []WordTiming {
	t.Helper()
	env, err := wav.Envelope(audio, align.Hop)
	if err != nil {
		t.Fatal(err)
	}
	var out []WordTiming
	for i, s := range align.Words(env, align.Hop, words, lengths) {
		out = append(out, WordTiming{Word: words[i], Start: s.Start, End: s.End})
	}
	return out
}

func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[int(float64(len(s)-1)*p+0.5)]
}

// TestAlignAgainstEnglish measures English word times against the
// engines' own, both ways round:
//
//   - espeak-ng's audio (en-us at 165 wpm, as the espeak-ng engine speaks
//     English) timed as Narrate times it when festival is installed
//     (festival saying the same text is the template of align.Follow),
//     against the word events the espeak-ng library reports;
//   - festival's audio timed from a template said by espeak-ng (the word
//     events of its library as the template's times), against festival's
//     own word times.
//
// No recording is its own template. The loudness method (align.Words,
// the fallback without festival) is measured on the same audio.
func TestAlignAgainstEnglish(t *testing.T) {
	needProgram(t, "festival")
	needProgram(t, "python3")
	needProgram(t, "espeak-ng")
	f, err := NewFestival(FestivalConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dir := t.TempDir()
	reqs := make([]Request, len(alignCorpusEN))
	for i, s := range alignCorpusEN {
		reqs[i] = Request{Text: s, Language: "en", OutPath: filepath.Join(dir, fmt.Sprintf("f%02d.wav", i))}
	}
	fest, err := f.SynthesizeBatch(ctx, reqs)
	if err != nil {
		t.Fatal(err)
	}
	var texts, audios []string
	for i, s := range alignCorpusEN {
		texts = append(texts, CleanText(s))
		audios = append(audios, filepath.Join(dir, fmt.Sprintf("e%02d.wav", i)))
	}
	allWords, esRefs := espeakReferences(t, "en-us", 165, texts, audios)
	var onESpeak, onESpeakLoud, onFestival, onFestivalLoud []time.Duration
	for i, s := range alignCorpusEN {
		if len(fest[i].Words) < 5 {
			t.Fatalf("sentence %d: festival reported %d words", i, len(fest[i].Words))
		}
		audio, words, esRef := audios[i], allWords[i], esRefs[i]

		got, err := wordTimes(ctx, s, "en", Result{Path: audio}, nil, &fest[i])
		if err != nil {
			t.Fatal(err)
		}
		onESpeak = append(onESpeak, startErrors(t, words, got, esRef)...)
		onESpeakLoud = append(onESpeakLoud, startErrors(t, words, loudnessTimes(t, audio, words, nil), esRef)...)

		// festival's times on the written words, as Narrate puts them.
		var festRef []time.Duration
		for _, w := range MapWords(words, fest[i].Words) {
			festRef = append(festRef, w.Start)
		}
		var said []WordTiming
		for k, w := range words {
			if esRef[k] >= 0 {
				said = append(said, WordTiming{Word: w, Start: esRef[k]})
			}
		}
		end, err := wav.Duration(audio)
		if err != nil {
			t.Fatal(err)
		}
		for k := range said {
			said[k].End = end
			if k+1 < len(said) {
				said[k].End = said[k+1].Start
			}
		}
		got, err = wordTimes(ctx, s, "en", Result{Path: fest[i].Path}, nil, &Result{Path: audio, Words: said})
		if err != nil {
			t.Fatal(err)
		}
		onFestival = append(onFestival, startErrors(t, words, got, festRef)...)
		onFestivalLoud = append(onFestivalLoud, startErrors(t, words, loudnessTimes(t, fest[i].Path, words, nil), festRef)...)
	}
	reportAlign(t, "English, espeak-ng audio, festival template", onESpeak, 50*time.Millisecond, 120*time.Millisecond)
	reportAlign(t, "English, festival audio, espeak-ng template", onFestival, 50*time.Millisecond, 120*time.Millisecond)
	// The fallback meets the median target but not the 95th percentile;
	// these bounds keep it from getting worse (see docs/BENCHMARKS.md).
	reportAlign(t, "English, espeak-ng audio, loudness only", onESpeakLoud, 50*time.Millisecond, 280*time.Millisecond)
	reportAlign(t, "English, festival audio, loudness only", onFestivalLoud, 50*time.Millisecond, 280*time.Millisecond)
}

func TestAlignAgainstESpeak(t *testing.T) {
	needProgram(t, "python3")
	needProgram(t, "espeak-ng")
	es, err := NewESpeak(ESpeakConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dir := t.TempDir()
	var texts, audios []string
	for i, s := range alignCorpusZH {
		texts = append(texts, chineseSSML(CleanText(s), true))
		audios = append(audios, filepath.Join(dir, fmt.Sprintf("%02d.wav", i)))
	}
	allWords, refs := espeakReferences(t, "cmn-latn-pinyin", 150, texts, audios)
	var all, byChars []time.Duration
	for i := range alignCorpusZH {
		audio, words, ref := audios[i], allWords[i], refs[i]
		// As Narrate times espeak-ng's Chinese: no template (festival
		// has no Chinese voice); lengths from espeak-ng saying each word.
		got, err := wordTimes(ctx, strings.Join(words, ""), "zh-TW", Result{Path: audio}, es, nil)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, startErrors(t, words, got, ref)...)
		byChars = append(byChars, startErrors(t, words, loudnessTimes(t, audio, words, nil), ref)...)
	}
	reportAlign(t, "Chinese, espeak-ng audio, espeak-ng word lengths", all, 50*time.Millisecond, 120*time.Millisecond)
	if testing.Verbose() {
		reportAlign(t, "Chinese, espeak-ng audio, characters as weights", byChars, time.Minute, time.Minute)
	}
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

func TestNarrateTemplates(t *testing.T) {
	needProgram(t, "festival")
	needProgram(t, "espeak-ng")
	ctx := context.Background()
	es, err := NewESpeak(ESpeakConfig{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewFestival(FestivalConfig{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	reqs := []Request{
		{Text: "The first markets appeared along the river.", Language: "en", OutPath: filepath.Join(dir, "0.wav")},
		{Text: "你好", Language: "en", OutPath: filepath.Join(dir, "1.wav")}, // nothing festival can say
		{Text: "Thanks for watching.", Language: "en", OutPath: filepath.Join(dir, "2.wav")},
	}
	results := []Result{{}, {}, {Words: []WordTiming{{Word: "Thanks"}}}} // the last has its own times
	got := templates(ctx, es, f, false, "en-US", reqs, results, dir)
	if got[0] == nil || len(got[0].Words) != 7 || got[1] != nil || got[2] != nil {
		t.Fatalf("templates: %+v", got)
	}
	if d, err := wav.Duration(got[0].Path); err != nil || d < time.Second {
		t.Fatalf("template recording: %v, %v", d, err)
	}
	for name, g := range map[string][]*Result{
		"festival speaking":  templates(ctx, f, f, true, "en", reqs, results, dir),
		"Chinese":            templates(ctx, es, f, true, "zh-TW", reqs, results, dir),
		"festival not found": templates(ctx, es, nil, false, "en", reqs, results, dir),
	} {
		for i, r := range g {
			if r != nil {
				t.Errorf("%s: a template for piece %d", name, i)
			}
		}
	}
}
