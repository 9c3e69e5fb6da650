package wordseg

import (
	"reflect"
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	cases := []struct {
		text string
		want []string
	}{
		{"The quick, brown fox.", []string{"The", "quick,", "brown", "fox."}},
		{"  spaces   collapse  ", []string{"spaces", "collapse"}},
		{"今天我們來聊聊台灣的夜市文化，記得訂閱頻道！", []string{"今天", "我們", "來", "聊聊", "台灣", "的", "夜市", "文化，", "記得", "訂閱", "頻道！"}},
		{"这是一个关于文化和订阅的视频。", []string{"这是", "一个", "关于", "文化", "和", "订阅", "的", "视频。"}},
		{"我們用YouTube API上傳影片", []string{"我們", "用", "YouTube", "API", "上傳", "影片"}},
		{"他說：「文化」「訂閱」（很重要）。", []string{"他", "說：", "「文化」", "「訂閱」", "（很", "重要）。"}},
		{"成長3.5倍", []string{"成長", "3.5", "倍"}},
		{"", nil},
	}
	for _, c := range cases {
		got := Texts(Split(c.text))
		if len(got) == 0 && len(c.want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Split(%q)\n got %q\nwant %q", c.text, got, c.want)
		}
	}
}

// TestSplitKeepsText: joining the words gives the text back.
func TestSplitKeepsText(t *testing.T) {
	for _, text := range []string{
		"Hello there, (this) is \"quoted\" — and 50% more!",
		"我們今天要談的是「人工智慧」如何改變影片製作，以及它帶來的機會。",
		"日本語のテキストも、そのまま。",
		"한국어 문장도 있습니다.",
	} {
		if got := Join(Split(text)); got != text {
			t.Errorf("Join(Split(%q)) = %q", text, got)
		}
		for _, w := range Split(text) {
			if strings.TrimSpace(w.Text) != w.Text || w.Text == "" {
				t.Errorf("%q: word %q", text, w.Text)
			}
		}
	}
}
