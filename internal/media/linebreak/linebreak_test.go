package linebreak

import (
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
