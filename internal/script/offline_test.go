package script

import (
	"context"
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/language"
)

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkShape asserts the structural promises every offline script keeps.
func checkShape(t *testing.T, s *Script, maxSegments int) {
	t.Helper()
	if n := len(s.Segments); n < 3 || n > maxSegments {
		t.Fatalf("got %d segments, want 3..%d", n, maxSegments)
	}
	for i, seg := range s.Segments {
		want := Content
		if i == 0 {
			want = Intro
		} else if i == len(s.Segments)-1 {
			want = Outro
		}
		if seg.Type != want {
			t.Errorf("segment %d type %q, want %q", i, seg.Type, want)
		}
		if strings.TrimSpace(seg.Text) == "" {
			t.Errorf("segment %d has empty text", i)
		}
		if seg.ImagePrompt == "" {
			t.Errorf("segment %d has no image prompt", i)
		}
		for _, r := range seg.ImagePrompt {
			if language.IsWide(r) {
				t.Errorf("segment %d image prompt is not English: %q", i, seg.ImagePrompt)
				break
			}
		}
	}
	if err := s.Clone().Validate(); err != nil {
		t.Errorf("offline script does not validate: %v", err)
	}
}

// squeeze removes spaces so that texts re-joined with or without spaces
// compare equal.
func squeeze(s string) string {
	return strings.Join(strings.Fields(s), "")
}

func TestOfflineEnglish(t *testing.T) {
	content := readTestdata(t, "english.txt")
	req := Request{Name: "Why Coffee Became the World's Favourite Drink", Content: content}
	s, err := WriteOffline(req)
	if err != nil {
		t.Fatal(err)
	}
	checkShape(t, s, DefaultMaxSegments)
	if s.Language != "en" {
		t.Errorf("language %q, want en", s.Language)
	}
	if s.Title != req.Name {
		t.Errorf("title %q, want the project name", s.Title)
	}
	intro := s.Segments[0].Text
	if !strings.Contains(intro, "Today: Why Coffee Became the World's Favourite Drink.") {
		t.Errorf("intro %q does not announce the topic", intro)
	}
	if outro := s.Segments[len(s.Segments)-1].Text; !strings.Contains(outro, "subscribe") || !strings.Contains(outro, "Thanks") {
		t.Errorf("outro %q lacks thanks/subscribe", outro)
	}
	// Seven paragraphs of very different sizes: tiny ones merged, the long one split.
	if n := len(s.Segments) - 2; n < 5 || n > 9 {
		t.Errorf("%d content segments, want 5..9", n)
	}
	for i, seg := range s.Segments[1 : len(s.Segments)-1] {
		if sec := speechSeconds(seg.Text); sec > maxSegmentSeconds+1 || sec < 3 {
			t.Errorf("content segment %d is %.1f s of narration: %q", i+1, sec, seg.Text)
		}
		if strings.Contains(seg.Text, "#") || strings.HasPrefix(seg.Text, "- ") {
			t.Errorf("markdown left in segment %d: %q", i+1, seg.Text)
		}
	}
	// Every sentence of the source is narrated, the heading excepted.
	all := squeeze(s.Text())
	for _, sent := range []string{
		"a goat herder named Kaldi noticed his goats dancing",
		"lively debates about science, trade and politics.",
		"Venice was first.",
		"Finland drinks the most coffee per person.",
	} {
		if !strings.Contains(all, squeeze(sent)) {
			t.Errorf("narration lost %q", sent)
		}
	}
	if strings.Contains(s.Segments[1].Text, "Favourite Drink") {
		t.Errorf("heading repeating the name was narrated: %q", s.Segments[1].Text)
	}
	if !contains(s.Tags, "coffee") || !contains(s.Tags, "coffee houses") || !contains(s.Tags, "Brazil") {
		t.Errorf("tags %q miss the obvious keywords", s.Tags)
	}
	if !strings.HasPrefix(s.Description, "Coffee began its journey") || !strings.Contains(s.Description, "#coffee") {
		t.Errorf("description %q", s.Description)
	}
	if !strings.Contains(s.Segments[1].ImagePrompt, "Ethiopia") {
		t.Errorf("image prompt %q does not mention the segment's subject", s.Segments[1].ImagePrompt)
	}

	again, err := OfflineWriter{}.Write(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s, again) {
		t.Error("offline writer is not deterministic")
	}
}

func TestOfflineTraditionalChinese(t *testing.T) {
	content := readTestdata(t, "zh-tw.txt")
	req := Request{Name: "台灣夜市：美食與文化", Content: content}
	s, err := WriteOffline(req)
	if err != nil {
		t.Fatal(err)
	}
	checkShape(t, s, DefaultMaxSegments)
	if s.Language != language.ChineseTraditional {
		t.Errorf("language %q, want zh-TW", s.Language)
	}
	if got := s.Segments[0].Text; !strings.Contains(got, "今天的主題是：「台灣夜市：美食與文化」") || !strings.Contains(got, "歡迎") {
		t.Errorf("intro %q", got)
	}
	if got := s.Segments[len(s.Segments)-1].Text; !strings.Contains(got, "訂閱") || !strings.Contains(got, "感謝收看") {
		t.Errorf("outro %q", got)
	}
	// Five paragraphs of about 15 s each: one segment per paragraph.
	if n := len(s.Segments) - 2; n != 5 {
		t.Errorf("%d content segments, want 5", n)
	}
	for i, seg := range s.Segments[1 : len(s.Segments)-1] {
		if strings.Contains(seg.Text, " ") {
			t.Errorf("segment %d has spaces between Chinese sentences: %q", i+1, seg.Text)
		}
	}
	if !strings.Contains(s.Text(), "士林夜市、饒河街夜市和逢甲夜市都是非常有名的例子。") {
		t.Error("narration lost a sentence")
	}
	for _, want := range []string{"台灣夜市", "美食與文化", "夜市"} {
		if !contains(s.Tags, want) {
			t.Errorf("tags %q lack %q", s.Tags, want)
		}
	}
	for _, tag := range s.Tags {
		if strings.ContainsRune(tag, '的') {
			t.Errorf("tag %q contains a particle", tag)
		}
	}
	if !strings.Contains(s.Segments[3].ImagePrompt, "night market") {
		t.Errorf("image prompt %q does not translate the subject", s.Segments[3].ImagePrompt)
	}
}

func TestOfflineSimplifiedChineseAndJapanese(t *testing.T) {
	s, err := WriteOffline(Request{Name: "咖啡的历史", Content: "咖啡起源于埃塞俄比亚。后来它传到了也门和欧洲。今天，全世界的人们每天都喝咖啡。"})
	if err != nil {
		t.Fatal(err)
	}
	checkShape(t, s, DefaultMaxSegments)
	if s.Language != language.ChineseSimplified || !strings.Contains(s.Segments[0].Text, "今天的主题是") || !strings.Contains(s.Segments[2].Text, "感谢收看") {
		t.Errorf("simplified script: %s %q %q", s.Language, s.Segments[0].Text, s.Segments[2].Text)
	}
	j, err := WriteOffline(Request{Name: "京都の秋", Content: "京都の秋はとても美しいです。紅葉を見に多くの人が訪れます。"})
	if err != nil {
		t.Fatal(err)
	}
	checkShape(t, j, DefaultMaxSegments)
	if j.Language != language.Japanese || !strings.Contains(j.Segments[0].Text, "「京都の秋」") {
		t.Errorf("japanese script: %s %q", j.Language, j.Segments[0].Text)
	}
}

func TestOfflineSplitsLongParagraphAndCapsCount(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 25; i++ {
		b.WriteString("The river carried small boats past the old mill every single morning. ")
	}
	long := b.String()
	s, err := WriteOffline(Request{Name: "River", Content: long})
	if err != nil {
		t.Fatal(err)
	}
	checkShape(t, s, DefaultMaxSegments)
	// 25 sentences of ~4.6 s each: about eight segments, each within bounds.
	if n := len(s.Segments) - 2; n < 6 || n > 10 {
		t.Errorf("long paragraph became %d content segments, want it split", n)
	}
	for i, seg := range s.Segments[1 : len(s.Segments)-1] {
		if sec := speechSeconds(seg.Text); sec > maxSegmentSeconds {
			t.Errorf("segment %d is %.1f s", i+1, sec)
		}
	}

	capped, err := WriteOffline(Request{Name: "River", Content: long, MaxSegments: 4})
	if err != nil {
		t.Fatal(err)
	}
	checkShape(t, capped, 4)
	if len(capped.Segments) != 4 {
		t.Errorf("capped script has %d segments, want 4", len(capped.Segments))
	}
	var body []string
	for _, seg := range capped.Segments[1:3] {
		body = append(body, seg.Text)
	}
	if got, want := strings.Count(strings.Join(body, " "), "old mill"), 25; got != want {
		t.Errorf("capping dropped text: %d of %d sentences kept", got, want)
	}
}

func TestOfflineMergesTinyParagraphs(t *testing.T) {
	paras := []string{"Cats sleep a lot.", "Dogs bark.", "Birds sing at dawn.", "Fish swim.", "Frogs jump high.", "Bees make honey."}
	s, err := WriteOffline(Request{Name: "Animals", Content: strings.Join(paras, "\n\n")})
	if err != nil {
		t.Fatal(err)
	}
	checkShape(t, s, DefaultMaxSegments)
	if n := len(s.Segments) - 2; n >= len(paras) {
		t.Errorf("%d tiny paragraphs gave %d segments; want them merged", len(paras), n)
	}
	for _, p := range paras {
		if !strings.Contains(s.Text(), p) {
			t.Errorf("lost %q", p)
		}
	}
	// A merged segment keeps its paragraphs apart, so that each one's
	// slide can be shown while it is spoken.
	var got []string
	for _, seg := range s.Segments[1 : len(s.Segments)-1] {
		got = append(got, Paragraphs(seg.Text)...)
	}
	if !reflect.DeepEqual(got, paras) {
		t.Errorf("paragraphs of the segments %q, want %q", got, paras)
	}
}

func TestOfflineUnpunctuatedCJK(t *testing.T) {
	// One 300-character run without any punctuation must still be cut.
	text := strings.Repeat("我們今天在山上看見很多美麗的花朵和樹木", 15)
	s, err := WriteOffline(Request{Content: text, Language: "zh-TW"})
	if err != nil {
		t.Fatal(err)
	}
	checkShape(t, s, DefaultMaxSegments)
	if len(s.Segments) < 5 {
		t.Errorf("unpunctuated text gave %d segments", len(s.Segments))
	}
	if utf8.RuneCountInString(s.Title) > 61 || s.Title == "" {
		t.Errorf("title from first sentence: %q", s.Title)
	}
	var joined string
	for _, seg := range s.Segments[1 : len(s.Segments)-1] {
		joined += seg.Text
	}
	if strings.TrimRight(joined, "。") != text {
		t.Error("characters lost while splitting")
	}
}

func TestOfflineHardWrappedLinesAndNoName(t *testing.T) {
	content := "The lighthouse stood on the cliff for two\nhundred years, guiding ships through the storms.\nKeepers lived there with their families."
	s, err := WriteOffline(Request{Content: content})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.Segments[1].Text, "for two hundred years") {
		t.Errorf("hard-wrapped line not re-joined: %q", s.Segments[1].Text)
	}
	if !strings.HasPrefix(s.Title, "The lighthouse stood on the cliff") {
		t.Errorf("title without a name: %q", s.Title)
	}
	if !strings.Contains(s.Segments[0].Text, "Today: The lighthouse") {
		t.Errorf("intro %q", s.Segments[0].Text)
	}
}

func TestOfflineRejectsEmptyContent(t *testing.T) {
	for _, c := range []string{"", "   \n\n ", "—— ！！"} {
		_, err := WriteOffline(Request{Name: "x", Content: c})
		if errcode.Code(err) != errcode.InvalidInput || errcode.IsRetryable(err) {
			t.Errorf("content %q: err %v, want non-retryable INVALID_INPUT", c, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (OfflineWriter{}).Write(ctx, Request{Content: "Hello there."}); err == nil {
		t.Error("Write ignored a cancelled context")
	}
}

func TestRequestNormalize(t *testing.T) {
	r, err := Request{Name: "  a \n b ", Content: "我們今天來說故事。", Language: "zh_Hant"}.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "a b" || r.Language != "zh-TW" || r.MaxSegments != DefaultMaxSegments {
		t.Errorf("normalized %+v", r)
	}
	r, _ = Request{Content: "我们今天来说故事。", MaxSegments: 1}.Normalize()
	if r.Language != "zh-CN" || r.MaxSegments != 3 {
		t.Errorf("normalized %+v", r)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
