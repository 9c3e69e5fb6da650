package subtitles

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

const ms = time.Millisecond

func timed(text string, start time.Duration, words ...string) TimedSentence {
	s := TimedSentence{Sentence: Sentence{Text: text, Start: start}}
	at := start
	for _, w := range words {
		d := time.Duration(len([]rune(w))) * 60 * ms
		s.Words = append(s.Words, Word{Text: w, Start: at, End: at + d})
		at += d
	}
	s.End = at
	return s
}

// marked returns the highlighted word of a cue.
func marked(c Cue) string {
	i := strings.IndexRune(c.Text, MarkStart)
	j := strings.IndexRune(c.Text, MarkEnd)
	if i < 0 || j < i {
		return ""
	}
	return c.Text[i+len(string(MarkStart)) : j]
}

func TestWordCaptions(t *testing.T) {
	s := timed("Welcome back to the channel, where today we explore night markets.", time.Second,
		"Welcome", "back", "to", "the", "channel,", "where", "today", "we", "explore", "night", "markets.")
	cues := Captions([]TimedSentence{s}, ModeWord, Options{MaxColumns: 24})
	if len(cues) != len(s.Words) {
		t.Fatalf("%d cues for %d words", len(cues), len(s.Words))
	}
	lines := map[string]bool{}
	for i, c := range cues {
		if got := marked(c); got != s.Words[i].Text {
			t.Errorf("cue %d marks %q, want %q", i, got, s.Words[i].Text)
		}
		if i > 0 && c.Start != s.Words[i].Start {
			t.Errorf("cue %d starts at %v, word at %v", i, c.Start, s.Words[i].Start)
		}
		if i > 0 && cues[i-1].End != c.Start {
			t.Errorf("gap before cue %d", i)
		}
		lines[StripMarks(c.Text)] = true
	}
	// The lines stay while the highlight moves: a handful of distinct texts.
	if len(lines) > 3 {
		t.Errorf("%d distinct line sets: %v", len(lines), lines)
	}
	if cues[0].Start != s.Start || cues[len(cues)-1].End != s.End {
		t.Errorf("cues span %v..%v, sentence %v..%v", cues[0].Start, cues[len(cues)-1].End, s.Start, s.End)
	}
}

func TestWordCaptionsChinese(t *testing.T) {
	s := timed("今天我們來聊聊台灣的夜市文化，記得訂閱頻道！", 0,
		"今天", "我們", "來", "聊聊", "台灣", "的", "夜市", "文化，", "記得", "訂閱", "頻道！")
	cues := Captions([]TimedSentence{s}, ModeWord, Options{Language: "zh-TW", MaxColumns: 16})
	if len(cues) != len(s.Words) {
		t.Fatalf("%d cues for %d words", len(cues), len(s.Words))
	}
	for i, c := range cues {
		if marked(c) != s.Words[i].Text {
			t.Errorf("cue %d marks %q", i, marked(c))
		}
		for _, l := range strings.Split(StripMarks(c.Text), "\n") {
			if strings.HasPrefix(l, "化") || strings.HasPrefix(l, "閱") || strings.HasPrefix(l, "，") {
				t.Errorf("line %q splits a word", l)
			}
		}
	}
}

func TestPunchCaptions(t *testing.T) {
	s := timed("Stinky tofu smells terrible, but many people say it tastes wonderful.", 0,
		"Stinky", "tofu", "smells", "terrible,", "but", "many", "people", "say", "it", "tastes", "wonderful.")
	cues := Captions([]TimedSentence{s}, ModePunch, Options{})
	if len(cues) != len(s.Words) {
		t.Fatalf("%d cues for %d words", len(cues), len(s.Words))
	}
	for i, c := range cues {
		text := StripMarks(c.Text)
		if n := len(strings.Fields(text)); n < 1 || n > 3 {
			t.Errorf("cue %q has %d words", text, n)
		}
		if marked(c) != s.Words[i].Text {
			t.Errorf("cue %d marks %q", i, marked(c))
		}
		// A clause ends a group: "terrible," is never shown with "but".
		if strings.Contains(text, "terrible, but") {
			t.Errorf("group crosses the comma: %q", text)
		}
	}
	zh := timed("謝謝收看，我們下一集再見。", 0, "謝謝", "收看，", "我們", "下", "一集", "再見。")
	for _, c := range Captions([]TimedSentence{zh}, ModePunch, Options{}) {
		if strings.Contains(c.Text, " ") {
			t.Errorf("Chinese punch cue with a space: %q", c.Text)
		}
	}
}

func TestCaptionsWithoutWordTimes(t *testing.T) {
	s := TimedSentence{Sentence: Sentence{Text: "No word times here at all.", Start: 0, End: 3 * time.Second}}
	cues := Captions([]TimedSentence{s}, ModeWord, Options{})
	if len(cues) != 6 || cues[0].Start != 0 || cues[5].End != 3*time.Second {
		t.Fatalf("cues %+v", cues)
	}
	if Captions([]TimedSentence{s}, ModeNone, Options{}) != nil {
		t.Error("none mode made cues")
	}
	if c := Captions([]TimedSentence{s}, ModeSentence, Options{}); len(c) != 1 || strings.ContainsRune(c[0].Text, MarkStart) {
		t.Errorf("sentence mode: %+v", c)
	}
}

func TestHighlightInASSAndSRT(t *testing.T) {
	st := DefaultStyle(1920, 1080, "DejaVu Sans")
	cue := Cue{Start: 0, End: time.Second, Text: "a " + string(MarkStart) + "{word}" + string(MarkEnd) + " here"}
	var b bytes.Buffer
	if err := WriteASS(&b, []Cue{cue}, 1920, 1080, st); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `a {\1c&H00D4FF&}\{word\}{\1c&HFFFFFF&} here`) {
		t.Errorf("ASS event: %s", b.String())
	}
	b.Reset()
	if err := WriteSRT(&b, []Cue{cue}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "a {word} here") {
		t.Errorf("SRT: %s", b.String())
	}
}

func TestPortraitStylesAvoidShortsUI(t *testing.T) {
	for _, mode := range []string{ModeSentence, ModeWord, ModePunch} {
		st := StyleFor(mode, 1080, 1920, "DejaVu Sans")
		if st.MarginR < int(0.15*1080) {
			t.Errorf("%s: right margin %d inside the Shorts buttons", mode, st.MarginR)
		}
		if st.Alignment <= 3 && st.MarginV < int(0.2*1920) {
			t.Errorf("%s: bottom margin %d inside the Shorts title area", mode, st.MarginV)
		}
	}
	st := StyleFor(ModePunch, 1920, 1080, "DejaVu Sans")
	if d := DefaultStyle(1920, 1080, "x"); st.Alignment != d.Alignment || st.MarginV != d.MarginV || st.FontSize <= d.FontSize {
		t.Errorf("punch style %+v", st)
	}
	st.SetPosition(PositionTop, 1920, 1080)
	if st.Alignment != 8 {
		t.Errorf("top: alignment %d", st.Alignment)
	}
}
