package linebreak

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestWrapLatinNeverSplitsWords(t *testing.T) {
	text := "The quick brown fox jumps over the lazy dog while the extraordinarily patient cat watches."
	lines := Wrap(text, 20, Columns, false)
	if strings.Join(lines, " ") != text {
		t.Fatalf("text changed: %q", lines)
	}
	for _, l := range lines {
		if Columns(l) > 20 && !strings.Contains(l, "extraordinarily") {
			t.Errorf("line %q is %v columns", l, Columns(l))
		}
		if strings.HasPrefix(l, " ") || strings.HasSuffix(l, " ") {
			t.Errorf("line %q has edge spaces", l)
		}
	}
}

func TestWrapCJKKinsoku(t *testing.T) {
	text := "我們今天要談的是「人工智慧」如何改變影片製作，以及它帶來的機會。"
	for max := 6.0; max <= 30; max += 2 {
		lines := Wrap(text, max, Columns, false)
		if strings.Join(lines, "") != text {
			t.Fatalf("max %v: text changed: %q", max, lines)
		}
		for i, l := range lines {
			first := []rune(l)[0]
			last := []rune(l)[len([]rune(l))-1]
			if i > 0 && strings.ContainsRune(noStart, first) {
				t.Errorf("max %v: line %q starts with closing punctuation", max, l)
			}
			if i < len(lines)-1 && strings.ContainsRune(noEnd, last) {
				t.Errorf("max %v: line %q ends with an opening bracket", max, l)
			}
			if Columns(l) > max+2 { // punctuation may hang one character over
				t.Errorf("max %v: line %q is %v columns", max, l, Columns(l))
			}
		}
	}
}

func TestWrapMixedScripts(t *testing.T) {
	text := "用YouTube API上傳影片很簡單"
	lines := Wrap(text, 10, Columns, false)
	joined := strings.Join(lines, "")
	if joined != strings.ReplaceAll(text, " ", "") && joined != text {
		t.Fatalf("text changed: %q", lines)
	}
	for _, l := range lines {
		if strings.Contains(text, "You") && strings.Contains(l, "You") && !strings.Contains(l, "YouTube") {
			t.Fatalf("Latin word split: %q", lines)
		}
	}
}

func TestWrapBreakWords(t *testing.T) {
	lines := Wrap("see https://example.com/a/very/long/path/that/does/not/fit", 16, Columns, true)
	for _, l := range lines {
		if Columns(l) > 16 {
			t.Errorf("line %q is wider than 16", l)
		}
	}
	if strings.Join(lines, "") != "seehttps://example.com/a/very/long/path/that/does/not/fit" &&
		!strings.HasPrefix(lines[0], "see") {
		t.Fatalf("unexpected lines %q", lines)
	}
}

func TestBalanced(t *testing.T) {
	text := "This sentence is long enough to need two lines of text"
	lines := Balanced(text, 42, Columns, false)
	if len(lines) != 2 {
		t.Fatalf("got %d lines: %q", len(lines), lines)
	}
	d := Columns(lines[0]) - Columns(lines[1])
	if d < -8 || d > 8 {
		t.Errorf("unbalanced lines %q", lines)
	}
}

// corpus holds sentences of the kind narrated in videos, with words that
// must never be split across lines.
var corpus = []struct {
	lang, text string
	words      []string // words that must stay whole
}{
	{"zh-TW", "今天我們來聊聊台灣的夜市文化，記得訂閱頻道，開啟小鈴鐺！", []string{"夜市", "文化", "訂閱", "頻道", "鈴鐺", "今天", "台灣"}},
	{"zh-TW", "他說：「文化」「訂閱」這兩個詞，最常被斷在中間。", []string{"文化", "訂閱", "兩個", "中間"}},
	{"zh-TW", "我們今天要談的是「人工智慧」如何改變影片製作，以及它帶來的機會。", []string{"今天", "影片", "製作", "機會", "改變"}},
	{"zh-TW", "如果你喜歡這支影片，請按讚、留言並分享給你的朋友（謝謝大家）。", []string{"喜歡", "影片", "留言", "分享", "朋友", "謝謝", "大家"}},
	{"zh-TW", "研究顯示，每天運動三十分鐘可以降低心臟病的風險。", []string{"研究", "顯示", "每天", "運動", "分鐘", "可以", "降低", "心臟病", "風險"}},
	{"zh-CN", "这是一个关于传统文化和网络订阅经济的视频，欢迎订阅我们的频道。", []string{"传统", "文化", "网络", "订阅", "经济", "视频", "欢迎", "频道"}},
	{"zh-CN", "人工智能正在改变我们的生活方式，也带来了新的挑战。", []string{"人工智能", "改变", "生活", "方式", "挑战"}},
	{"zh-TW", "我們用YouTube API上傳影片，速度成長了3.5倍！", []string{"YouTube", "API", "上傳", "影片", "速度", "成長"}},
	{"en", "Welcome back to the channel, where today we explore the hidden history of night markets.", nil},
	{"en", "Remember to subscribe and turn on notifications so you never miss a new episode.", nil},
	{"en", "Researchers found that thirty minutes of daily exercise lowers the risk of heart disease considerably.", nil},
	{"en", "The extraordinarily long word internationalization should still stay whole on its own line.", nil},
	{"en", "Short one.", nil},
	{"en", "He said: \"culture\" and (subscription) are words that should never be split apart, ever.", nil},
}

// TestCorpus checks the line-breaking rules on the corpus at many widths:
// no word is split, no line starts with closing punctuation or ends with
// an opening bracket, the text is unchanged and balanced lines are even.
func TestCorpus(t *testing.T) {
	for _, c := range corpus {
		cjk := c.lang != "en"
		words := c.words
		if !cjk {
			words = strings.Fields(c.text)
		}
		for max := 8.0; max <= 44; max += 4 {
			for _, balanced := range []bool{false, true} {
				var lines []string
				if balanced {
					lines = Balanced(c.text, max, Columns, false)
				} else {
					lines = Wrap(c.text, max, Columns, false)
				}
				name := fmt.Sprintf("%s at %v (balanced %v): %q", c.lang, max, balanced, lines)
				sep := " "
				if cjk {
					sep = ""
				}
				if got := strings.Join(lines, sep); got != c.text && strings.ReplaceAll(got, " ", "") != strings.ReplaceAll(c.text, " ", "") {
					t.Fatalf("%s: text changed", name)
				}
				// Line boundaries as rune offsets into the text without spaces.
				flat := []rune(strings.ReplaceAll(c.text, " ", ""))
				var cuts []int
				at := 0
				for _, l := range lines[:len(lines)-1] {
					at += len([]rune(strings.ReplaceAll(l, " ", "")))
					cuts = append(cuts, at)
				}
				for _, w := range words {
					w = strings.ReplaceAll(w, " ", "")
					wr := []rune(w)
					for i := 0; i+len(wr) <= len(flat); i++ {
						if string(flat[i:i+len(wr)]) != w {
							continue
						}
						for _, cut := range cuts {
							if cut > i && cut < i+len(wr) {
								t.Errorf("%s: %q is split", name, w)
							}
						}
					}
				}
				for i, l := range lines {
					r := []rune(l)
					// A straight quote opens as well as closes.
					if i > 0 && strings.ContainsRune(noStart, r[0]) && r[0] != '"' && r[0] != '\'' {
						t.Errorf("%s: line %q starts with closing punctuation", name, l)
					}
					if i < len(lines)-1 && strings.ContainsRune(noEnd, r[len(r)-1]) {
						t.Errorf("%s: line %q ends with an opening bracket", name, l)
					}
				}
				if balanced && len(lines) >= 2 {
					// The widest line exceeds an even share by less than
					// the widest unbreakable word.
					total, widestAtom := 0.0, 0.0
					for _, a := range atoms(c.text) {
						total += Columns(a.text)
						widestAtom = math.Max(widestAtom, Columns(a.text))
					}
					if w := Widest(lines, Columns); w > total/float64(len(lines))+widestAtom+1 {
						t.Errorf("%s: unbalanced (widest %v of %v in %d lines)", name, w, total, len(lines))
					}
				}
			}
		}
	}
}

func TestCultureAndSubscribeStayWhole(t *testing.T) {
	// At every width where the line must break near them, 「文化」 and
	// 「訂閱」 move whole to the next line.
	text := "歡迎了解台灣文化並訂閱"
	for max := 4.0; max <= 22; max++ {
		for _, l := range Wrap(text, max, Columns, false) {
			for _, bad := range []string{"文", "化", "訂", "閱"} {
				if strings.HasSuffix(l, bad) && (bad == "文" || bad == "訂") || strings.HasPrefix(l, bad) && (bad == "化" || bad == "閱") {
					t.Errorf("width %v: line %q splits a word", max, l)
				}
			}
		}
	}
}
