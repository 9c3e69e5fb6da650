package script

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/language"
)

// Segment lengths the offline writer aims for, in seconds of narration.
const (
	minSegmentSeconds    = 6
	targetSegmentSeconds = 15
	maxSegmentSeconds    = 25
)

// maxTags caps the tags the offline writer proposes.
const maxTags = 12

// OfflineWriter writes scripts from the source text alone, with no API:
// the text is split into narration-sized segments, framed by an intro and
// an outro in the text's language. The same request always gives the same
// script. It is the writer to use when no Gemini key is configured.
type OfflineWriter struct{}

// Write builds a script for req. It fails only for a request without
// content (INVALID_INPUT) or when ctx is already done.
func (OfflineWriter) Write(ctx context.Context, req Request) (*Script, error) {
	if err := ctx.Err(); err != nil {
		return nil, errcode.Classify(err)
	}
	return WriteOffline(req)
}

// WriteOffline is OfflineWriter.Write without a context.
//
// Paragraphs become content segments; paragraphs shorter than about six
// seconds of narration are merged with a neighbour and those longer than
// about 25 seconds are split at sentence boundaries (at clause boundaries
// for a single over-long sentence). When there are more segments than
// req.MaxSegments allows, the shortest neighbouring pairs are merged, so
// no text is dropped. Full-width punctuation is understood, so Chinese,
// Japanese and Korean texts split as well as English ones.
//
// The title is the project name (or the first sentence when there is no
// name), the description summarises the first sentences, tags come from
// the name and from frequent words (English) or frequent runs of
// characters (CJK), and every segment gets an English image prompt built
// from what it mentions.
func WriteOffline(req Request) (*Script, error) {
	req, err := req.Normalize()
	if err != nil {
		return nil, err
	}
	cjk := language.IsCJK(req.Language)

	var sentencesByPara [][]string
	var allSentences []string
	for _, p := range language.Paragraphs(req.Content) {
		var sents []string
		for _, s := range language.SplitSentences(cleanParagraph(p, cjk)) {
			if !hasLetterOrDigit(s) {
				continue
			}
			sents = append(sents, punctuate(s, cjk))
		}
		if len(sents) > 0 {
			sentencesByPara = append(sentencesByPara, sents)
			allSentences = append(allSentences, sents...)
		}
	}
	// A first line repeating the project name (a heading) would repeat the intro.
	if len(sentencesByPara) > 0 && req.Name != "" && sameText(sentencesByPara[0][0], req.Name) {
		sentencesByPara[0] = sentencesByPara[0][1:]
		if len(sentencesByPara[0]) == 0 {
			sentencesByPara = sentencesByPara[1:]
		}
		allSentences = allSentences[1:]
	}
	if len(allSentences) == 0 {
		return nil, errcode.New(errcode.InvalidInput, "content has no sentences to narrate", false)
	}

	chunks := capChunks(mergeShort(splitLong(sentencesByPara)), req.MaxSegments-2)

	title := req.Name
	if title == "" {
		title = truncateRunes(trimEnd(allSentences[0]), 60)
	}
	title = truncateTitle(title, MaxTitleRunes)

	s := &Script{
		Title:    title,
		Language: req.Language,
		Tags:     offlineTags(req.Name, joinText(allSentences), req.Language),
	}
	s.Description = offlineDescription(allSentences, s.Tags, cjk)

	topic := englishTopic(title, req.Language)
	if topic == "" {
		topic = joinAnd(englishSubjects(req.Content, req.Language, 2))
	}
	phr := phrasesFor(req.Language)
	segs := make([]Segment, 0, len(chunks)+2)
	segs = append(segs, Segment{Type: Intro, Text: phr.intro(trimEnd(title))})
	for _, c := range chunks {
		segs = append(segs, Segment{Type: Content, Text: c.text()})
	}
	segs = append(segs, Segment{Type: Outro, Text: phr.outro})
	for i := range segs {
		segs[i].ImagePrompt = imagePrompt(segs[i].Type, segs[i].Text, req.Language, topic, i)
	}
	s.Segments = segs
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// sameText reports whether a and b are the same words, ignoring case,
// spaces and punctuation.
func sameText(a, b string) bool {
	norm := func(s string) string {
		return strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				return unicode.ToLower(r)
			}
			return -1
		}, s)
	}
	return norm(a) == norm(b)
}

// chunk is the text of one future content segment.
type chunk struct {
	sentences []string
	// paras[i] is the source paragraph of sentence i: where it changes
	// the segment's text keeps a blank line, so each paragraph merged into
	// a segment gets its own slide while it is spoken.
	paras   []int
	seconds float64
}

func (c *chunk) add(s string, para int) {
	c.sentences = append(c.sentences, s)
	c.paras = append(c.paras, para)
	c.seconds += speechSeconds(s)
}

func (c *chunk) merge(o chunk) {
	c.sentences = append(c.sentences, o.sentences...)
	c.paras = append(c.paras, o.paras...)
	c.seconds += o.seconds
}

// text joins the chunk's sentences, with a blank line between merged
// paragraphs.
func (c *chunk) text() string {
	var paras []string
	from := 0
	for i := 1; i <= len(c.sentences); i++ {
		if i == len(c.sentences) || c.paras[i] != c.paras[i-1] {
			paras = append(paras, joinText(c.sentences[from:i]))
			from = i
		}
	}
	return strings.Join(paras, ParagraphBreak)
}

// ParagraphBreak separates the paragraphs a content segment was merged
// from. Slides show one paragraph at a time.
const ParagraphBreak = "\n\n"

// Paragraphs splits a segment's text into the paragraphs it was merged
// from (one, when it was not merged).
func Paragraphs(text string) []string {
	return language.Paragraphs(text)
}

// splitLong turns each paragraph into one chunk, or into several balanced
// chunks at sentence boundaries when it is longer than maxSegmentSeconds.
func splitLong(paras [][]string) []chunk {
	var out []chunk
	for para, sents := range paras {
		var pieces []string
		total := 0.0
		for _, s := range sents {
			for _, p := range splitSentence(s) {
				pieces = append(pieces, p)
				total += speechSeconds(p)
			}
		}
		if total <= maxSegmentSeconds {
			var c chunk
			for _, p := range pieces {
				c.add(p, para)
			}
			out = append(out, c)
			continue
		}
		n := int(total/targetSegmentSeconds + 0.999)
		aim := total / float64(n)
		var cur chunk
		for _, p := range pieces {
			sec := speechSeconds(p)
			if len(cur.sentences) > 0 && (cur.seconds+sec > aim+sec/2 || cur.seconds+sec > maxSegmentSeconds) {
				out = append(out, cur)
				cur = chunk{}
			}
			cur.add(p, para)
		}
		if len(cur.sentences) > 0 {
			out = append(out, cur)
		}
	}
	return out
}

// splitSentence breaks a sentence too long for one segment at clauses, and
// a clause still too long between words or characters.
func splitSentence(s string) []string {
	if speechSeconds(s) <= maxSegmentSeconds {
		return []string{s}
	}
	var out []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for _, c := range clauseSplit(s) {
		if speechSeconds(c) > maxSegmentSeconds {
			flush()
			out = append(out, hardSplit(c, targetSegmentSeconds)...)
			continue
		}
		if cur.Len() > 0 && speechSeconds(cur.String())+speechSeconds(c) > targetSegmentSeconds {
			flush()
		}
		if cur.Len() > 0 && needsSpace(cur.String(), c) {
			cur.WriteByte(' ')
		}
		cur.WriteString(c)
	}
	flush()
	return out
}

// mergeShort joins chunks shorter than minSegmentSeconds to a neighbour
// when the result stays within maxSegmentSeconds.
func mergeShort(in []chunk) []chunk {
	var out []chunk
	for _, c := range in {
		if n := len(out); n > 0 {
			last := &out[n-1]
			if (last.seconds < minSegmentSeconds || c.seconds < minSegmentSeconds) && last.seconds+c.seconds <= maxSegmentSeconds {
				last.merge(c)
				continue
			}
		}
		out = append(out, c)
	}
	return out
}

// capChunks merges the shortest neighbouring pair until at most max chunks
// remain.
func capChunks(cs []chunk, max int) []chunk {
	if max < 1 {
		max = 1
	}
	for len(cs) > max {
		best := 0
		for i := 1; i+1 < len(cs); i++ {
			if cs[i].seconds+cs[i+1].seconds < cs[best].seconds+cs[best+1].seconds {
				best = i
			}
		}
		cs[best].merge(cs[best+1])
		cs = append(cs[:best+1], cs[best+2:]...)
	}
	return cs
}

// offlineDescription summarises the first sentences and ends with up to
// three hashtags.
func offlineDescription(sentences []string, tags []string, cjk bool) string {
	limit, enough := 400, 200
	if cjk {
		limit, enough = 200, 100
	}
	var summary []string
	n := 0
	for _, s := range sentences {
		l := utf8.RuneCountInString(s)
		if len(summary) > 0 && n+l > limit {
			break
		}
		summary = append(summary, truncateRunes(s, limit))
		n += l
		if n >= enough {
			break
		}
	}
	desc := joinText(summary)
	var hashtags []string
	for _, t := range tags {
		if len(hashtags) == 3 {
			break
		}
		h := strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				return r
			}
			return -1
		}, t)
		if h != "" {
			hashtags = append(hashtags, "#"+h)
		}
	}
	if len(hashtags) > 0 {
		desc += "\n\n" + strings.Join(hashtags, " ")
	}
	return desc
}

// offlineTags proposes tags: the name and its parts, then the content's
// frequent words and pairs (English) or frequent character runs and Latin
// names (CJK).
func offlineTags(name, content, lang string) []string {
	var tags []string
	if name != "" && utf8.RuneCountInString(name) <= 30 {
		tags = append(tags, name)
	}
	if language.IsCJK(lang) {
		parts := strings.FieldsFunc(name, func(r rune) bool {
			return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r)
		})
		if len(parts) > 1 {
			for _, p := range parts {
				if n := utf8.RuneCountInString(p); n >= 2 && n <= 20 {
					tags = append(tags, p)
				}
			}
		}
		terms := cjkTerms(content)
		terms = append(terms, latinTerms(content)...)
		rankTerms(terms)
		for _, t := range pickDistinct(terms, maxTags) {
			tags = append(tags, t)
		}
	} else {
		names := properNouns(content)
		n := 0
		for _, sent := range englishSentences(name) {
			for _, w := range sent {
				if !contentWord(w) || n == 4 {
					continue
				}
				n++
				if f, ok := names[w.lower]; ok {
					tags = append(tags, f)
				} else if isAcronym(w.text) {
					tags = append(tags, w.text)
				} else {
					tags = append(tags, w.lower)
				}
			}
		}
		tags = append(tags, englishKeywords(content, maxTags, 2)...)
		if len(tags) < 5 {
			tags = append(tags, englishKeywords(content, 5, 1)...)
		}
	}
	tags = cleanTags(tags)
	if len(tags) > maxTags {
		tags = tags[:maxTags]
	}
	return tags
}

// phrases are the fixed sentences of a script in one language.
type phrases struct {
	intro func(title string) string
	outro string
}

func phrasesFor(lang string) phrases {
	switch lang {
	case language.ChineseTraditional:
		return phrases{
			intro: func(t string) string {
				return fmt.Sprintf("大家好，歡迎收看！今天的主題是：「%s」。我們馬上開始吧！", t)
			},
			outro: "感謝收看！如果喜歡這支影片，請按讚、訂閱並開啟小鈴鐺，我們下次見！",
		}
	case language.ChineseSimplified:
		return phrases{
			intro: func(t string) string {
				return fmt.Sprintf("大家好，欢迎收看！今天的主题是：“%s”。我们马上开始吧！", t)
			},
			outro: "感谢收看！如果喜欢这个视频，请点赞、订阅并打开小铃铛，我们下次见！",
		}
	case language.Japanese:
		return phrases{
			intro: func(t string) string {
				return fmt.Sprintf("こんにちは！今日のテーマは「%s」です。さっそく始めましょう。", t)
			},
			outro: "ご視聴ありがとうございました。よろしければ高評価とチャンネル登録をお願いします。また次回お会いしましょう！",
		}
	case language.Korean:
		return phrases{
			intro: func(t string) string {
				return fmt.Sprintf("안녕하세요! 오늘의 주제는 “%s”입니다. 바로 시작해 볼까요?", t)
			},
			outro: "시청해 주셔서 감사합니다. 영상이 마음에 드셨다면 좋아요와 구독 부탁드립니다. 다음에 또 만나요!",
		}
	}
	return phrases{
		intro: func(t string) string {
			end := "."
			if strings.HasSuffix(t, "?") || strings.HasSuffix(t, "!") {
				end = ""
			}
			return "Hello and welcome! Today: " + t + end + " Let's get started."
		},
		outro: "Thanks for watching! If you enjoyed this video, please like it, subscribe and turn on notifications. See you next time!",
	}
}
