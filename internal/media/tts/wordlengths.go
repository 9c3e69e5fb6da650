package tts

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/internal/media/align"
	"github.com/ytmaker/ytmaker/internal/media/childproc"
	"github.com/ytmaker/ytmaker/internal/media/wav"
)

// wordBreak is the silence put between words said one by one.
const wordBreak = 300 * time.Millisecond

// WordLengths says every word on its own with espeak-ng, in one run with a
// pause between words, and returns how long each takes (zero for words
// with nothing to say). The lengths serve as the expected word lengths of
// align.Words: much closer to the truth than a guess from the spelling,
// whichever engine spoke the narration. It returns nil when the words
// cannot be told apart in the output.
func (e *ESpeak) WordLengths(ctx context.Context, words []string, lang string) ([]float64, error) {
	voice := ESpeakVoice(lang)
	chinese := voice == "cmn-latn-pinyin" || voice == "yue"
	var b strings.Builder
	b.WriteString("<speak>")
	var said []int // indexes of the words that are said
	for i, w := range words {
		if align.Weight(w) == 0 {
			continue
		}
		if len(said) > 0 {
			fmt.Fprintf(&b, `<break time="%dms"/>`, wordBreak.Milliseconds())
		}
		if chinese {
			s := chineseSSML(CleanText(w), voice == "cmn-latn-pinyin")
			b.WriteString(strings.TrimSuffix(strings.TrimPrefix(s, "<speak>"), "</speak>"))
		} else {
			b.WriteString(xmlEscape(CleanText(w)))
		}
		said = append(said, i)
	}
	b.WriteString("</speak>")
	if len(said) == 0 {
		return make([]float64, len(words)), nil
	}
	tmp, err := os.CreateTemp("", "ytmaker-words-*.wav")
	if err != nil {
		return nil, err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	cmd := exec.Command(e.path, "-m", "-v", voice, "-s", strconv.Itoa(e.speedFor(voice)), "-p", strconv.Itoa(e.pitch), "-w", tmp.Name(), b.String())
	tail := &childproc.Tail{}
	cmd.Stdout, cmd.Stderr = tail, tail
	if err := childproc.Run(ctx, cmd, e.grace); err != nil {
		return nil, fmt.Errorf("espeak-ng word lengths: %w: %s", err, tail.String())
	}
	env, err := wav.Envelope(tmp.Name(), align.Hop)
	if err != nil {
		return nil, err
	}
	chunks := soundChunks(env, int(wordBreak/align.Hop)*2/3)
	if len(chunks) != len(said) {
		return nil, nil
	}
	out := make([]float64, len(words))
	for k, i := range said {
		out[i] = float64(chunks[k])
	}
	return out, nil
}

// soundChunks returns the lengths (in hops) of the stretches of sound
// separated by at least gap hops of near silence.
func soundChunks(env []float64, gap int) []int {
	var out []int
	start, quiet := -1, 0
	for i, v := range env {
		loud := 20*math.Log10(v+1e-9) > -60
		switch {
		case loud && start < 0:
			start, quiet = i, 0
		case loud:
			quiet = 0
		case start >= 0:
			quiet++
			if quiet >= gap {
				out = append(out, i-quiet+1-start)
				start = -1
			}
		}
	}
	if start >= 0 {
		out = append(out, len(env)-quiet-start)
	}
	return out
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
