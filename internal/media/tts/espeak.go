package tts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/language"
	"github.com/ytmaker/ytmaker/internal/media/childproc"
)

// ESpeakHint tells an operator how to install espeak-ng.
const ESpeakHint = "install espeak-ng (Debian/Ubuntu: apt-get install espeak-ng; macOS: brew install espeak-ng)"

// ESpeakConfig configures the espeak-ng engine.
type ESpeakConfig struct {
	Path      string        // espeak-ng program; "" = "espeak-ng" from PATH
	Speed     int           // words per minute; 0 = a per-language default
	Pitch     int           // 0..99; 0 = 50
	Logger    *slog.Logger  // nil = discard
	KillGrace time.Duration // 0 = childproc.DefaultGrace
}

// ESpeak speaks any language espeak-ng knows (22.05 kHz mono). Chinese,
// in Traditional or Simplified characters, is read with the Mandarin voice
// that spells characters out as pinyin (espeak-ng's plain "cmn" voice
// reads its own pinyin with English rules); Latin words inside Chinese
// text switch to the English voice through SSML.
type ESpeak struct {
	path  string
	speed int
	pitch int
	log   *slog.Logger
	grace time.Duration
}

// NewESpeak finds the espeak-ng program.
func NewESpeak(cfg ESpeakConfig) (*ESpeak, error) {
	p := cfg.Path
	if p == "" {
		p = "espeak-ng"
	}
	full, err := exec.LookPath(p)
	if err != nil {
		return nil, notFound("espeak-ng", ESpeakHint, err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pitch := cfg.Pitch
	if pitch <= 0 || pitch > 99 {
		pitch = 50
	}
	return &ESpeak{path: full, speed: cfg.Speed, pitch: pitch, log: log, grace: cfg.KillGrace}, nil
}

// Name implements Engine.
func (e *ESpeak) Name() string { return "espeak-ng" }

// ESpeakVoice returns the espeak-ng voice for a BCP 47 tag.
func ESpeakVoice(lang string) string {
	l := strings.ToLower(strings.ReplaceAll(lang, "_", "-"))
	base, region, _ := strings.Cut(l, "-")
	switch {
	case l == "" || base == "en":
		if region == "gb" || region == "uk" {
			return "en-gb"
		}
		return "en-us"
	case l == "zh-hk" || l == "zh-mo" || base == "yue":
		return "yue"
	case base == "zh" || base == "cmn":
		return "cmn-latn-pinyin"
	}
	return base
}

func (e *ESpeak) speedFor(voice string) int {
	if e.speed > 0 {
		return e.speed
	}
	switch voice {
	case "cmn-latn-pinyin", "yue":
		return 150
	case "en-us", "en-gb":
		return 165
	}
	return 160
}

// espeakVoiceName matches espeak-ng voice names, with an optional
// variant ("en-us", "cmn-latn-pinyin", "en-us+f3"); names of other
// engines' voices ("en-US-Neural2-F") have capitals and do not match.
var espeakVoiceName = regexp.MustCompile(`^[a-z0-9]+([-_][a-z0-9]+)*(\+[a-z0-9]+)?$`)

// Synthesize implements Engine. A Request.Voice that is not an espeak-ng
// voice name is ignored with a warning.
func (e *ESpeak) Synthesize(ctx context.Context, req Request) (Result, error) {
	if err := checkRequest(req); err != nil {
		return Result{}, err
	}
	lang := req.Language
	if lang == "" {
		lang = language.Detect(req.Text)
	}
	voice := ESpeakVoice(lang)
	if v := req.Voice; v != "" {
		if espeakVoiceName.MatchString(v) {
			voice = v
		} else {
			e.log.Warn("espeak-ng: ignoring a voice name it cannot use", "voice", v, "using", voice)
		}
	}
	text := CleanText(req.Text)
	ssml := false
	if voice == "cmn-latn-pinyin" || voice == "yue" {
		text, ssml = chineseSSML(text, voice == "cmn-latn-pinyin"), true
	}
	if strings.TrimSpace(text) == "" {
		return Result{}, errcode.Newf(errcode.InvalidInput, false, "espeak-ng: nothing speakable in %q", truncate(req.Text, 60))
	}
	txt, err := tempPath(req.OutPath, ".txt")
	if err != nil {
		return Result{}, errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	defer os.Remove(txt)
	if err := os.WriteFile(txt, []byte(text), 0o600); err != nil {
		return Result{}, errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	tmp, err := tempPath(req.OutPath, ".wav")
	if err != nil {
		return Result{}, errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	defer os.Remove(tmp)
	args := []string{"-v", voice, "-s", strconv.Itoa(e.speedFor(voice)), "-p", strconv.Itoa(e.pitch), "-w", tmp, "-f", txt}
	if ssml {
		args = append([]string{"-m"}, args...)
	}
	cmd := exec.Command(e.path, args...)
	tail := &childproc.Tail{}
	cmd.Stdout = tail
	cmd.Stderr = tail
	if err := childproc.Run(ctx, cmd, e.grace); err != nil {
		if ctx.Err() != nil {
			return Result{}, cancelled(ctx, err)
		}
		if errors.Is(err, exec.ErrNotFound) {
			return Result{}, notFound("espeak-ng", ESpeakHint, err)
		}
		if full := outOfSpace(tmp); full != nil {
			return Result{}, full
		}
		return Result{}, ttsFailed("espeak-ng", fmt.Sprintf("synthesis with voice %s failed (exit %d)", voice, childproc.ExitCode(err)), tail.String(), err)
	}
	return finish("espeak-ng", tmp, req.OutPath)
}
