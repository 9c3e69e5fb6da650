package tts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/media/childproc"
)

// FestivalHint tells an operator how to install festival and its voice.
const FestivalHint = "install festival and an HTS voice (Debian/Ubuntu: apt-get install festival festvox-us-slt-hts)"

// DefaultFestivalVoice is the HTS voice used for English.
const DefaultFestivalVoice = "cmu_us_slt_arctic_hts"

// FestivalConfig configures the festival engine.
type FestivalConfig struct {
	Path      string        // festival program; "" = "festival" from PATH
	Voice     string        // "" = DefaultFestivalVoice
	Logger    *slog.Logger  // nil = discard
	KillGrace time.Duration // 0 = childproc.DefaultGrace
}

// Festival speaks English with festival and an HTS voice (32 kHz mono).
// It runs festival in batch mode with a generated script, so one process
// synthesizes a whole batch with the voice loaded once.
type Festival struct {
	path  string
	voice string
	log   *slog.Logger
	grace time.Duration
}

var voiceName = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// NewFestival finds the festival program. A missing program yields a
// TTS_ENGINE_NOT_FOUND error with install hints.
func NewFestival(cfg FestivalConfig) (*Festival, error) {
	p := cfg.Path
	if p == "" {
		p = "festival"
	}
	full, err := exec.LookPath(p)
	if err != nil {
		return nil, notFound("festival", FestivalHint, err)
	}
	voice := cfg.Voice
	if voice == "" {
		voice = DefaultFestivalVoice
	}
	if !voiceName.MatchString(voice) {
		return nil, errcode.Newf(errcode.InvalidInput, false, "festival: invalid voice name %q", voice)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Festival{path: full, voice: voice, log: log, grace: cfg.KillGrace}, nil
}

// Name implements Engine.
func (f *Festival) Name() string { return "festival" }

// Speakable reports whether festival can say anything of text (it reads
// Latin script only).
func (f *Festival) Speakable(text string) bool { return FestivalText(text) != "" }

// Synthesize implements Engine.
func (f *Festival) Synthesize(ctx context.Context, req Request) (Result, error) {
	res, err := f.SynthesizeBatch(ctx, []Request{req})
	if err != nil {
		return Result{}, err
	}
	return res[0], nil
}

// SynthesizeBatch implements BatchEngine. Every request must use the same
// voice (Request.Voice or the engine's). A Request.Voice that is not a
// festival voice name (letters, digits and underscores, such as
// cmu_us_slt_arctic_hts) is ignored with a warning.
func (f *Festival) SynthesizeBatch(ctx context.Context, reqs []Request) ([]Result, error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	voice := f.voice
	if v := reqs[0].Voice; v != "" {
		if voiceName.MatchString(v) {
			voice = v
		} else {
			// A voice of another engine (e.g. a cloud voice kept in the
			// project settings) falls back to the default.
			f.log.Warn("festival: ignoring a voice name it cannot use", "voice", v, "using", voice)
		}
	}
	var script strings.Builder
	fmt.Fprintf(&script, "(voice_%s)\n%s", voice, festivalWordsScheme)
	tmps := make([]string, len(reqs))
	wordFiles := make([]string, len(reqs))
	defer func() {
		for i, t := range tmps {
			if t != "" {
				os.Remove(t)
			}
			if wordFiles[i] != "" {
				os.Remove(wordFiles[i])
			}
		}
	}()
	for i, r := range reqs {
		if err := checkRequest(r); err != nil {
			return nil, err
		}
		if r.Voice != "" && r.Voice != reqs[0].Voice {
			return nil, errcode.New(errcode.InvalidInput, "festival: a batch must use one voice", false)
		}
		text := FestivalText(r.Text)
		if text == "" {
			return nil, errcode.Newf(errcode.InvalidInput, false, "festival: nothing speakable in %q", truncate(r.Text, 60))
		}
		tmp, err := tempPath(r.OutPath, ".wav")
		if err != nil {
			return nil, errcode.Wrap(err, errcode.FileSystemError, false, "")
		}
		tmps[i] = tmp
		abs, err := filepath.Abs(tmp)
		if err != nil {
			return nil, errcode.Wrap(err, errcode.FileSystemError, false, "")
		}
		wordFiles[i] = strings.TrimSuffix(abs, ".wav") + ".words"
		fmt.Fprintf(&script, "(set! utt%d (Utterance Text %s))\n(utt.synth utt%d)\n(utt.save.wave utt%d %s 'riff)\n(ytm_words utt%d %s)\n",
			i, schemeString(text), i, i, schemeString(abs), i, schemeString(wordFiles[i]))
	}
	scriptPath, err := tempPath(reqs[0].OutPath, ".scm")
	if err != nil {
		return nil, errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	defer os.Remove(scriptPath)
	if err := os.WriteFile(scriptPath, []byte(script.String()), 0o600); err != nil {
		return nil, errcode.Wrap(err, errcode.FileSystemError, false, "")
	}

	cmd := exec.Command(f.path, "-b", scriptPath)
	tail := &childproc.Tail{}
	cmd.Stdout = tail
	cmd.Stderr = tail
	start := time.Now()
	if err := childproc.Run(ctx, cmd, f.grace); err != nil {
		if ctx.Err() != nil {
			return nil, cancelled(ctx, err)
		}
		if errors.Is(err, exec.ErrNotFound) {
			return nil, notFound("festival", FestivalHint, err)
		}
		if full := outOfSpace(tmps[0]); full != nil {
			return nil, full // festival says only that it could not save
		}
		return nil, ttsFailed("festival", fmt.Sprintf("synthesis of %s failed (exit %d)", describe(reqs), childproc.ExitCode(err)), tail.String(), err)
	}
	// festival reports some script errors only on its output.
	if out := tail.String(); strings.Contains(out, "SIOD ERROR") {
		return nil, ttsFailed("festival", "script error (is the voice "+voice+" installed? "+FestivalHint+")", out, nil)
	}
	results := make([]Result, len(reqs))
	for i, r := range reqs {
		words, werr := readFestivalWords(wordFiles[i])
		res, err := finish("festival", tmps[i], r.OutPath)
		if err != nil {
			return nil, err
		}
		if werr != nil {
			f.log.Warn("festival: no word times", "error", werr)
		}
		res.Words = words
		tmps[i] = ""
		results[i] = res
	}
	f.log.Debug("festival synthesized", "requests", len(reqs), "elapsed", time.Since(start))
	return results, nil
}

// schemeString quotes s as a Scheme string literal.
func schemeString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

// festivalWordsScheme defines ytm_words, which writes the tokens of a
// synthesized utterance with the times festival gave their words: one line
// per word, "+" when the word continues the token of the previous line
// (festival says "2024" as three words), then the token, the word's start
// and its end in seconds.
const festivalWordsScheme = `(define (ytm_words utt path)
  (let ((fd (fopen path "w")) (prev nil))
    (mapcar (lambda (w)
      (let ((tok (item.parent (item.relation w 'Token))))
        (format fd "%s\t%s\t%s\t%s\n" (if (equal? tok prev) "+" "-") (item.name tok) (item.feat w "word_start") (item.feat w "word_end"))
        (set! prev tok)))
      (utt.relation.items utt 'Word))
    (fclose fd)))
`

// readFestivalWords reads the file ytm_words wrote: one WordTiming per
// token, from the start of its first word to the end of its last (words
// festival gave no time, such as the "'s" of "Smith's", are ignored).
func readFestivalWords(path string) ([]WordTiming, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseFestivalWords(string(b))
}

func parseFestivalWords(s string) ([]WordTiming, error) {
	var out []WordTiming
	for _, line := range strings.Split(s, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			return nil, fmt.Errorf("festival word times: bad line %q", line)
		}
		start, err1 := strconv.ParseFloat(f[2], 64)
		end, err2 := strconv.ParseFloat(f[3], 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("festival word times: bad line %q", line)
		}
		st, en := secs(start), secs(end)
		timed := end > 0
		if f[0] == "+" && len(out) > 0 {
			if timed {
				last := &out[len(out)-1]
				if last.End == 0 && last.Start == 0 {
					last.Start = st
				}
				last.End = max(last.End, en)
			}
			continue
		}
		if !timed {
			st, en = 0, 0
		}
		out = append(out, WordTiming{Word: f[1], Start: st, End: en})
	}
	// Tokens festival said nothing for start where the previous ended.
	for i := range out {
		if out[i].End == 0 {
			if i > 0 {
				out[i].Start, out[i].End = out[i-1].End, out[i-1].End
			}
		}
	}
	return out, nil
}

func secs(s float64) time.Duration { return time.Duration(math.Round(s*1e6)) * time.Microsecond }
