package subtitles

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/language"
)

func TestEscapeASS(t *testing.T) {
	cases := map[string]string{
		"plain":              "plain",
		"{\\b1}bold?":        `\{\b1\}bold?`,
		"line one\nline two": `line one\Nline two`,
		"windows\r\nbreak":   `windows\Nbreak`,
		`a literal \N here`:  "a literal \\\u2060N here",
		`path C:\new\hello`:  "path C:\\\u2060new\\\u2060hello",
		`back\slash`:         `back\slash`,
		"tab\tsep":           "tab sep",
		"中文「引號」{括號}":         `中文「引號」\{括號\}`,
	}
	for in, want := range cases {
		if got := EscapeASS(in); got != want {
			t.Errorf("EscapeASS(%q) = %q, want %q", in, got, want)
		}
	}
	// No escaped text may open an override block or form \N, \n or \h.
	for in := range cases {
		got := EscapeASS(in)
		for i := 0; i < len(got); i++ {
			if got[i] == '{' && (i == 0 || got[i-1] != '\\') {
				t.Errorf("%q: unescaped brace in %q", in, got)
			}
		}
		if strings.Contains(strings.ReplaceAll(got, `\N`, ""), `\n`) || strings.Contains(got, `\h`) {
			t.Errorf("%q: escape sequence survived in %q", in, got)
		}
	}
}

func TestBuildSplitsLongCJKSentence(t *testing.T) {
	text := "人工智慧正在改變我們製作影片的方式，從撰寫腳本、生成圖片到配音與剪輯，整個流程都可以自動完成，讓創作者把時間留給真正重要的想法。"
	s := Sentence{Text: text, Start: 2 * time.Second, End: 14 * time.Second}
	cues := Build([]Sentence{s}, Options{Language: "zh-TW"})
	if len(cues) < 2 {
		t.Fatalf("got %d cues for a %d-column sentence", len(cues), language.Width(text))
	}
	var joined strings.Builder
	for i, c := range cues {
		lines := c.Lines()
		if len(lines) > 2 {
			t.Errorf("cue %d has %d lines: %q", i, len(lines), lines)
		}
		for _, l := range lines {
			if w := language.Width(l); w > CJKColumns+2 {
				t.Errorf("cue %d line %q is %d columns (%d characters)", i, l, w, len([]rune(l)))
			}
			if strings.ContainsAny(string([]rune(l)[0]), "，。、」") {
				t.Errorf("cue %d line %q starts with closing punctuation", i, l)
			}
			joined.WriteString(l)
		}
		if i > 0 && c.Start != cues[i-1].End {
			t.Errorf("cue %d starts at %v, previous ends at %v", i, c.Start, cues[i-1].End)
		}
	}
	if joined.String() != text {
		t.Fatalf("cue text %q differs from the sentence", joined.String())
	}
	if cues[0].Start != s.Start || cues[len(cues)-1].End != s.End {
		t.Fatalf("cues span %v..%v, want %v..%v", cues[0].Start, cues[len(cues)-1].End, s.Start, s.End)
	}
	// Time is shared by text width.
	for _, c := range cues {
		share := float64(c.End-c.Start) / float64(s.End-s.Start)
		width := float64(language.Width(strings.ReplaceAll(c.Text, "\n", ""))) / float64(language.Width(text))
		if share < width*0.8 || share > width*1.2 {
			t.Errorf("cue %q gets %.2f of the time for %.2f of the text", c.Text, share, width)
		}
	}
}

func TestBuildLatin(t *testing.T) {
	text := "Offline narration engines are robotic, but they never fail, never cost money, and never need an API key, which matters when you render thousands of videos."
	cues := Build([]Sentence{{Text: text, Start: 0, End: 9 * time.Second}}, Options{})
	if len(cues) < 2 {
		t.Fatalf("got %d cues", len(cues))
	}
	var words []string
	for _, c := range cues {
		if n := len(c.Lines()); n > 2 {
			t.Errorf("cue has %d lines", n)
		}
		for _, l := range c.Lines() {
			if language.Width(l) > LatinColumns {
				t.Errorf("line %q is %d columns", l, language.Width(l))
			}
			words = append(words, strings.Fields(l)...)
		}
	}
	if strings.Join(words, " ") != text {
		t.Fatalf("words changed: %q", strings.Join(words, " "))
	}
	short := Build([]Sentence{{Text: "Hello there.", Start: time.Second, End: 2 * time.Second}}, Options{})
	if len(short) != 1 || short[0].Text != "Hello there." {
		t.Fatalf("short sentence: %+v", short)
	}
}

func TestBuildFillGap(t *testing.T) {
	ss := []Sentence{
		{Text: "One.", Start: 0, End: time.Second},
		{Text: "Two.", Start: 1300 * time.Millisecond, End: 2 * time.Second},
		{Text: "Three.", Start: 4 * time.Second, End: 5 * time.Second},
	}
	cues := Build(ss, Options{FillGap: 500 * time.Millisecond})
	if cues[0].End != 1300*time.Millisecond {
		t.Errorf("short gap not filled: cue ends at %v", cues[0].End)
	}
	if cues[1].End != 2*time.Second {
		t.Errorf("long gap filled: cue ends at %v", cues[1].End)
	}
}

func TestColumnsFor(t *testing.T) {
	if c := ColumnsFor(1920, 1080, "en"); c != LatinColumns {
		t.Errorf("landscape en: %d", c)
	}
	if c := ColumnsFor(1920, 1080, "zh-TW"); c != CJKColumns {
		t.Errorf("landscape zh: %d", c)
	}
	if c := ColumnsFor(1080, 1920, "en"); c >= LatinColumns {
		t.Errorf("portrait en: %d", c)
	}
}

func TestWriteASSAndSRT(t *testing.T) {
	cues := []Cue{
		{Start: 1500 * time.Millisecond, End: 3*time.Second + 999*time.Millisecond, Text: "Hello {world}\nsecond line"},
		{Start: 61 * time.Second, End: 62 * time.Second, Text: "中文字幕"},
		{Start: 70 * time.Second, End: 70 * time.Second, Text: "empty span is skipped"},
	}
	st := DefaultStyle(1080, 1920, "Noto Sans CJK TC")
	var ass bytes.Buffer
	if err := WriteASS(&ass, cues, 1080, 1920, st); err != nil {
		t.Fatal(err)
	}
	out := ass.String()
	for _, want := range []string{
		"PlayResX: 1080", "PlayResY: 1920", "Style: Default,Noto Sans CJK TC,67,",
		`Dialogue: 0,0:00:01.50,0:00:03.99,Default,,0,0,0,,Hello \{world\}\Nsecond line`,
		"Dialogue: 0,0:01:01.00,0:01:02.00,Default,,0,0,0,,中文字幕",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("ASS lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "empty span") {
		t.Error("zero-length cue written")
	}
	if st.MarginV < 1920/10 {
		t.Errorf("portrait bottom margin %d is too low", st.MarginV)
	}
	var srt bytes.Buffer
	if err := WriteSRT(&srt, cues); err != nil {
		t.Fatal(err)
	}
	want := "1\n00:00:01,500 --> 00:00:03,999\nHello {world}\nsecond line\n\n2\n00:01:01,000 --> 00:01:02,000\n中文字幕\n\n"
	if srt.String() != want {
		t.Errorf("SRT:\n%q\nwant\n%q", srt.String(), want)
	}
}

// TestASSRendersWithLibass burns a cue into a tiny clip and checks that
// the frames during the cue differ from those outside it.
func TestASSRendersWithLibass(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	dir := t.TempDir()
	fam := FontFamily(context.Background(), "zh-TW")
	cues := []Cue{{Start: 0, End: 500 * time.Millisecond, Text: "字幕 {test}"}}
	if err := WriteASSFile(filepath.Join(dir, "s.ass"), cues, 320, 180, DefaultStyle(320, 180, fam)); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=gray:s=320x180:r=10:d=1",
		"-vf", "ass=s.ass", "-f", "framemd5", "-")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, stderr.String())
	}
	var hashes []string
	for _, l := range strings.Split(string(out), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			f := strings.Split(l, ",")
			hashes = append(hashes, strings.TrimSpace(f[len(f)-1]))
		}
	}
	if len(hashes) != 10 {
		t.Fatalf("got %d frames", len(hashes))
	}
	if hashes[0] == hashes[9] {
		t.Fatal("cue did not change the frame")
	}
	if hashes[0] != hashes[4] || hashes[5] != hashes[9] {
		t.Fatal("cue not shown exactly during its time")
	}
	if _, err := os.Stat(filepath.Join(dir, "s.ass")); err != nil {
		t.Fatal(err)
	}
}
