// Package googletts narrates text with Google Cloud Text-to-Speech's REST
// API (v1 text:synthesize, LINEAR16) and writes a PCM WAV file.
//
// The API takes at most 5000 bytes per request, so longer text is split at
// sentence boundaries (full-width punctuation included), each piece is
// synthesised with one request, and the PCM is concatenated into one
// file. Each request is made once; failures are coded GOOGLE_TTS_* errors
// and retrying is the task system's job.
package googletts

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/atomicfile"
	"github.com/ytmaker/ytmaker/internal/language"
	"github.com/ytmaker/ytmaker/internal/media/tts"
)

// Defaults and limits.
const (
	DefaultBaseURL    = "https://texttospeech.googleapis.com"
	DefaultSampleRate = 24000
	DefaultTimeout    = 60 * time.Second
	// MaxInputBytes is the API's limit on input.text per request.
	MaxInputBytes = 5000
	// Engine names this engine in tts.Result.
	Engine = "google-tts"
)

// Codes specific to this service, beyond those errcode.HTTP derives
// (GOOGLE_TTS_RATE_LIMITED, GOOGLE_TTS_SERVER_ERROR,
// GOOGLE_TTS_UNAVAILABLE, GOOGLE_TTS_TIMEOUT, GOOGLE_TTS_AUTH_FAILED,
// GOOGLE_TTS_NOT_FOUND, GOOGLE_TTS_BAD_REQUEST).
const (
	CodeNotConfigured  = "GOOGLE_TTS_NOT_CONFIGURED"
	CodeInvalidRequest = "GOOGLE_TTS_INVALID_REQUEST" // refused before sending
	CodeAuthFailed     = "GOOGLE_TTS_AUTH_FAILED"
	CodeTimeout        = "GOOGLE_TTS_TIMEOUT"
	CodeNetworkError   = "GOOGLE_TTS_NETWORK_ERROR"
	CodeBadResponse    = "GOOGLE_TTS_BAD_RESPONSE"
)

// Voice selects a voice: a language code such as "cmn-TW" and a voice
// name such as "cmn-TW-Wavenet-A" ("" lets the service pick).
type Voice struct {
	LanguageCode string
	Name         string
}

// DefaultVoice returns the voice used for a narration language tag
// ("en", "zh-TW", "zh-CN", "ja", "ko"); other tags are passed through as
// the language code with no voice name.
func DefaultVoice(lang string) Voice {
	switch lang {
	case language.English, "en-US":
		return Voice{"en-US", "en-US-Neural2-F"}
	case language.ChineseTraditional:
		return Voice{"cmn-TW", "cmn-TW-Wavenet-A"}
	case language.ChineseSimplified:
		return Voice{"cmn-CN", "cmn-CN-Wavenet-A"}
	case language.Japanese:
		return Voice{"ja-JP", "ja-JP-Neural2-B"}
	case language.Korean:
		return Voice{"ko-KR", "ko-KR-Neural2-A"}
	}
	return Voice{LanguageCode: lang}
}

// Config configures a Client.
type Config struct {
	APIKey     string // required, sent as x-goog-api-key; never logged
	BaseURL    string // "" means DefaultBaseURL
	HTTPClient *http.Client
	// Timeout bounds each request; 0 means DefaultTimeout.
	Timeout time.Duration
	// SampleRate of the output; 0 means DefaultSampleRate.
	SampleRate int
	// SpeakingRate, 0.25 to 4; 0 means 1.
	SpeakingRate float64
	// Voices overrides DefaultVoice per language tag.
	Voices map[string]Voice
	// MaxChunkBytes caps the text sent per request; 0 (or more than
	// MaxInputBytes) means MaxInputBytes.
	MaxChunkBytes int
	Logger        *slog.Logger // nil discards
}

// Client synthesises speech. It is safe for concurrent use.
type Client struct {
	cfg Config
	log *slog.Logger
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.APIKey == "" {
		return nil, errcode.New(CodeNotConfigured, "Google Text-to-Speech API key is not set", false)
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.SampleRate == 0 {
		cfg.SampleRate = DefaultSampleRate
	}
	if cfg.SpeakingRate == 0 {
		cfg.SpeakingRate = 1
	}
	if cfg.SpeakingRate < 0.25 || cfg.SpeakingRate > 4 {
		return nil, errcode.Newf(CodeNotConfigured, false, "speaking rate %.2f is outside 0.25–4", cfg.SpeakingRate)
	}
	if cfg.MaxChunkBytes <= 0 || cfg.MaxChunkBytes > MaxInputBytes {
		cfg.MaxChunkBytes = MaxInputBytes
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, log: log}, nil
}

// voiceFor resolves the voice of a request: an explicit voice name (its
// language code is the name's first two parts), else the configured or
// default voice for the language (detected from the text when empty).
func (c *Client) voiceFor(req tts.Request) Voice {
	if v := strings.TrimSpace(req.Voice); v != "" {
		parts := strings.Split(v, "-")
		if len(parts) >= 3 {
			return Voice{LanguageCode: parts[0] + "-" + parts[1], Name: v}
		}
		return Voice{LanguageCode: v}
	}
	lang := req.Language
	if lang == "" {
		lang = language.Detect(req.Text)
	}
	if v, ok := c.cfg.Voices[lang]; ok {
		return v
	}
	return DefaultVoice(lang)
}

// Synthesize narrates req.Text and writes a mono 16-bit PCM WAV file to
// req.OutPath, atomically.
func (c *Client) Synthesize(ctx context.Context, req tts.Request) (tts.Result, error) {
	text := strings.TrimSpace(req.Text)
	if text == "" {
		return tts.Result{}, errcode.New(CodeInvalidRequest, "nothing to say: text is empty", false)
	}
	if req.OutPath == "" {
		return tts.Result{}, errcode.New(CodeInvalidRequest, "no output path", false)
	}
	voice := c.voiceFor(req)
	chunks := SplitText(text, c.cfg.MaxChunkBytes)
	start := time.Now()
	var (
		format   pcmFormat
		total    int64
		chunkErr error // a failure of the service, not of the file
	)
	err := atomicfile.Write(req.OutPath, 0o644, func(w io.Writer) error {
		// atomicfile hands over the temporary *os.File: the header is
		// written last, once the length is known.
		f, ok := w.(outFile)
		if !ok {
			return errors.New("narration file is not seekable")
		}
		if _, err := f.Write(make([]byte, wavHeaderSize)); err != nil {
			return err
		}
		for i, chunk := range chunks {
			cf, n, err := c.synthesizeChunk(ctx, chunk, voice, f)
			if err != nil {
				if _, coded := errcode.As(err); coded {
					c.log.WarnContext(ctx, "google tts request failed", "chunk", i+1, "chunks", len(chunks), "code", errcode.Code(err))
					chunkErr = err
				}
				return err
			}
			if i == 0 {
				format = cf
			} else if cf != format {
				chunkErr = errcode.Newf(CodeBadResponse, true, "Google TTS chunks differ in format (%v then %v)", format, cf)
				return chunkErr
			}
			total += n
		}
		if total == 0 {
			chunkErr = errcode.New(CodeBadResponse, "Google TTS returned no audio", true)
			return chunkErr
		}
		if err := f.Truncate(wavHeaderSize + total); err != nil {
			return err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		_, err := f.Write(wavHeader(format, int(total)))
		return err
	})
	if chunkErr != nil {
		return tts.Result{}, chunkErr
	}
	if err != nil {
		if e := errcode.Classify(err); e.Code == errcode.DiskFull {
			return tts.Result{}, e
		}
		return tts.Result{}, errcode.Wrap(err, errcode.FileSystemError, false, "write narration: "+err.Error())
	}
	dur := time.Duration(float64(total) / float64(format.byteRate()) * float64(time.Second))
	c.log.InfoContext(ctx, "google tts narration written", "path", req.OutPath, "voice", voice.Name,
		"language_code", voice.LanguageCode, "chunks", len(chunks), "duration", dur, "elapsed", time.Since(start))
	return tts.Result{Path: req.OutPath, Duration: dur, SampleRate: format.rate, Engine: Engine}, nil
}

// outFile is the temporary narration file being written.
type outFile interface {
	io.WriteSeeker
	Truncate(size int64) error
}

const wavHeaderSize = 44

// maxAnswer bounds the size of one answer (the audio of one chunk of at
// most MaxInputBytes of text is a few megabytes).
const maxAnswer = 256 << 20

type synthesizeRequest struct {
	Input struct {
		Text string `json:"text"`
	} `json:"input"`
	Voice struct {
		LanguageCode string `json:"languageCode"`
		Name         string `json:"name,omitempty"`
	} `json:"voice"`
	AudioConfig struct {
		AudioEncoding   string  `json:"audioEncoding"`
		SampleRateHertz int     `json:"sampleRateHertz"`
		SpeakingRate    float64 `json:"speakingRate"`
	} `json:"audioConfig"`
}

// synthesizeChunk makes one text:synthesize request and appends the
// samples of its answer to out as they arrive, keeping out at a whole
// number of sample frames. It returns their format and byte count. An
// error writing out is returned as is; the others are coded.
func (c *Client) synthesizeChunk(ctx context.Context, text string, voice Voice, out outFile) (pcmFormat, int64, error) {
	var body synthesizeRequest
	body.Input.Text = text
	body.Voice.LanguageCode = voice.LanguageCode
	body.Voice.Name = voice.Name
	body.AudioConfig.AudioEncoding = "LINEAR16"
	body.AudioConfig.SampleRateHertz = c.cfg.SampleRate
	body.AudioConfig.SpeakingRate = c.cfg.SpeakingRate
	raw, _ := json.Marshal(body)

	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.BaseURL+"/v1/text:synthesize", bytes.NewReader(raw))
	if err != nil {
		return pcmFormat{}, 0, errcode.New(CodeNotConfigured, "bad Google TTS base URL: "+err.Error(), false)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("X-Goog-Api-Key", c.cfg.APIKey)
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return pcmFormat{}, 0, c.transportError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return pcmFormat{}, 0, c.transportError(err)
		}
		return pcmFormat{}, 0, c.statusError(resp, data)
	}
	rd := &readErr{r: io.LimitReader(resp.Body, maxAnswer)}
	b64, err := audioContent(bufio.NewReaderSize(rd, 64<<10))
	if err != nil {
		return pcmFormat{}, 0, c.answerError(rd, err, "Google TTS answer is not the expected JSON: ")
	}
	f, pcm, err := readPCM(base64.NewDecoder(base64.StdEncoding, b64), c.cfg.SampleRate)
	if err != nil {
		return pcmFormat{}, 0, c.answerError(rd, err, "Google TTS audio: ")
	}
	cw := &countWriter{w: out}
	if _, err := io.Copy(cw, pcm); err != nil {
		if cw.err != nil {
			return pcmFormat{}, 0, cw.err
		}
		return pcmFormat{}, 0, c.answerError(rd, err, "Google TTS audioContent: ")
	}
	// Drop a trailing partial sample frame.
	if extra := cw.n % int64(2*f.channels); extra != 0 {
		if _, err := out.Seek(-extra, io.SeekCurrent); err != nil {
			return pcmFormat{}, 0, err
		}
		cw.n -= extra
	}
	return f, cw.n, nil
}

// answerError codes a failure while reading an answer: the connection's
// fault when reading the body failed, the answer's otherwise.
func (c *Client) answerError(rd *readErr, err error, what string) error {
	if rd.err != nil && !errors.Is(rd.err, io.EOF) {
		return c.transportError(rd.err)
	}
	return errcode.Wrap(err, CodeBadResponse, true, what+err.Error())
}

// readErr remembers the error of the reader it wraps.
type readErr struct {
	r   io.Reader
	err error
}

func (r *readErr) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil {
		r.err = err
	}
	return n, err
}

// countWriter counts what it writes and remembers a write error.
type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if err != nil {
		c.err = err
	}
	return n, err
}

// rpcError is the google.rpc.Status error body.
type rpcError struct {
	Error struct {
		Code    int              `json:"code"`
		Message string           `json:"message"`
		Status  string           `json:"status"`
		Details []map[string]any `json:"details"`
	} `json:"error"`
}

// statusError maps a non-200 answer to a coded error.
func (c *Client) statusError(resp *http.Response, body []byte) *errcode.Error {
	var re rpcError
	msg := ""
	if json.Unmarshal(body, &re) == nil && (re.Error.Message != "" || re.Error.Status != "") {
		msg = strings.TrimSpace(re.Error.Status + ": " + re.Error.Message)
	} else if t := strings.TrimSpace(string(body)); t != "" {
		if len(t) > 300 {
			t = t[:300]
		}
		msg = t
	}
	msg = redact(msg, c.cfg.APIKey)
	if msg != "" {
		msg = "Google TTS " + msg
	}
	e := errcode.HTTP("GOOGLE_TTS", resp.StatusCode, resp.Header, msg)
	reason := ""
	for _, d := range re.Error.Details {
		t, _ := d["@type"].(string)
		switch {
		case strings.HasSuffix(t, "google.rpc.ErrorInfo"):
			reason, _ = d["reason"].(string)
		case strings.HasSuffix(t, "google.rpc.RetryInfo"):
			if s, ok := d["retryDelay"].(string); ok {
				if dur, err := time.ParseDuration(s); err == nil && dur > 0 {
					e.WithRetryAfter(dur)
				}
			}
		}
	}
	if resp.StatusCode == http.StatusBadRequest && (reason == "API_KEY_INVALID" || strings.Contains(re.Error.Message, "API key not valid")) {
		e.Code = CodeAuthFailed
	}
	if re.Error.Status != "" {
		e.WithDetail("status", re.Error.Status)
	}
	if reason != "" {
		e.WithDetail("reason", reason)
	}
	return e
}

func (c *Client) transportError(err error) *errcode.Error {
	cl := errcode.Classify(err)
	msg := redact(err.Error(), c.cfg.APIKey)
	switch cl.Code {
	case errcode.Cancelled:
		return cl
	case errcode.Timeout:
		return errcode.New(CodeTimeout, "Google TTS request timed out: "+msg, true).WithCause(err)
	}
	return errcode.New(CodeNetworkError, "Google TTS connection failed: "+msg, true).WithCause(err)
}

func redact(msg, key string) string {
	if key == "" {
		return msg
	}
	return strings.ReplaceAll(msg, key, "[REDACTED]")
}

// SplitText cuts text into pieces of at most limit bytes, at sentence
// boundaries where possible, then at clause punctuation, then between
// words, and as a last resort between characters. Text within the limit
// is returned whole.
func SplitText(text string, limit int) []string {
	if len(text) <= limit {
		return []string{text}
	}
	var out []string
	cur := ""
	add := func(piece string) {
		switch {
		case cur == "":
			cur = piece
		case len(cur)+len(sep(cur, piece))+len(piece) <= limit:
			cur += sep(cur, piece) + piece
		default:
			out = append(out, cur)
			cur = piece
		}
	}
	for _, s := range language.SplitSentences(text) {
		if len(s) <= limit {
			add(s)
			continue
		}
		for _, p := range splitLong(s, limit) {
			add(p)
		}
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}

// splitLong cuts one over-long sentence into pieces of at most limit
// bytes.
func splitLong(s string, limit int) []string {
	var out []string
	for len(s) > limit {
		cut := lastCut(s[:limit], "，、；：,;:")
		if cut <= 0 {
			cut = lastCut(s[:limit], " ")
		}
		if cut <= 0 {
			cut = limit
			for cut > 0 && !utf8.RuneStart(s[cut]) {
				cut--
			}
		}
		out = append(out, strings.TrimSpace(s[:cut]))
		s = strings.TrimSpace(s[cut:])
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

// lastCut returns the byte offset just after the last rune of set in s,
// or -1.
func lastCut(s, set string) int {
	i := strings.LastIndexAny(s, set)
	if i < 0 {
		return -1
	}
	_, size := utf8.DecodeRuneInString(s[i:])
	return i + size
}

// sep is the separator between two joined pieces: a space unless either
// side is a full-width character.
func sep(a, b string) string {
	last, _ := utf8.DecodeLastRuneInString(a)
	first, _ := utf8.DecodeRuneInString(b)
	if language.IsWide(last) || language.IsWide(first) {
		return ""
	}
	return " "
}

// pcmFormat describes 16-bit PCM audio.
type pcmFormat struct {
	rate     int
	channels int
}

// byteRate is the number of bytes per second of audio.
func (f pcmFormat) byteRate() int { return f.rate * f.channels * 2 }

// String formats f for messages.
func (f pcmFormat) String() string { return fmt.Sprintf("%d Hz × %d ch", f.rate, f.channels) }

// wavHeader returns a 44-byte PCM WAV header for n bytes of samples.
func wavHeader(f pcmFormat, n int) []byte {
	h := make([]byte, 0, 44)
	h = append(h, "RIFF"...)
	h = appendLE32(h, uint32(36+n))
	h = append(h, "WAVEfmt "...)
	h = appendLE32(h, 16)
	h = appendLE16(h, 1)
	h = appendLE16(h, uint16(f.channels))
	h = appendLE32(h, uint32(f.rate))
	h = appendLE32(h, uint32(f.byteRate()))
	h = appendLE16(h, uint16(2*f.channels))
	h = appendLE16(h, 16)
	h = append(h, "data"...)
	return appendLE32(h, uint32(n))
}

func le16(b []byte) uint16 { return uint16(b[0]) | uint16(b[1])<<8 }
func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
func appendLE16(b []byte, v uint16) []byte { return append(b, byte(v), byte(v>>8)) }
func appendLE32(b []byte, v uint32) []byte {
	return append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
}
