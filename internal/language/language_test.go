package language

import (
	"math"
	"reflect"
	"testing"
)

func TestDetect(t *testing.T) {
	cases := map[string]string{
		"The quick brown fox jumps over the lazy dog.": English,
		"": English,
		"我們今天來說一個關於時間的故事。這個故事很長。":    ChineseTraditional,
		"我们今天来说一个关于时间的故事。这个故事很长。":    ChineseSimplified,
		"今日はいい天気ですね。":                Japanese,
		"안녕하세요. 오늘은 날씨가 좋네요.":        Korean,
		"YouTube 影片製作：我們用 AI 來生成腳本。": ChineseTraditional,
	}
	for in, want := range cases {
		if got := Detect(in); got != want {
			t.Errorf("Detect(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSplitSentences(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"Hello world. This costs 3.5 dollars! Is it? Yes.", []string{"Hello world.", "This costs 3.5 dollars!", "Is it?", "Yes."}},
		{"It is approx. five metres. Dr. Smith agrees.", []string{"It is approx. five metres.", "Dr. Smith agrees."}},
		{"He said \"Stop.\" Then he left.", []string{"He said \"Stop.\"", "Then he left."}},
		{"今天天氣很好。我們去公園吧！你要來嗎？", []string{"今天天氣很好。", "我們去公園吧！", "你要來嗎？"}},
		{"他說：「好。」然後走了。", []string{"他說：「好。」", "然後走了。"}},
		{"First line\nSecond line", []string{"First line", "Second line"}},
		{"Wait...what?! Ok", []string{"Wait...", "what?!", "Ok"}},
		{"   ", nil},
	}
	for _, c := range cases {
		if got := SplitSentences(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("SplitSentences(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParagraphsAndWidth(t *testing.T) {
	if got := Paragraphs("a\n\n\n b \r\n\r\nc"); !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Errorf("Paragraphs = %q", got)
	}
	if w := Width("ab中文"); w != 6 {
		t.Errorf("Width = %d, want 6", w)
	}
	if !IsCJK("zh-TW") || IsCJK("en-US") {
		t.Error("IsCJK wrong")
	}
}

func TestReadingSeconds(t *testing.T) {
	for _, tc := range []struct {
		text string
		want float64
	}{
		{"", 0},
		{"one two three", 3 / 2.6},
		{"50 percent", 2 / 2.6},
		{"文化很好", 4 / 4.5},
		{"訂閱 the channel", 2/4.5 + 2/2.6},
	} {
		if got := ReadingSeconds(tc.text); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("ReadingSeconds(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}
