package googletts

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/fakes/fakehttp"
	"github.com/ytmaker/ytmaker/internal/fakes/faketts"
	"github.com/ytmaker/ytmaker/internal/media/tts"
)

const testKey = "AIzaSy-tts-test-key"

func setup(t *testing.T, opts faketts.Options, mutate ...func(*Config)) (*Client, *faketts.Server) {
	t.Helper()
	if opts.APIKey == "" {
		opts.APIKey = testKey
	}
	srv := fakehttp.Start(t, faketts.New, opts)
	cfg := Config{APIKey: testKey, BaseURL: srv.URL(), HTTPClient: srv.Client(), Timeout: 10 * time.Second}
	return fakehttp.NewClient(t, New, cfg, mutate...), srv
}

func ctx(t *testing.T) context.Context { return fakehttp.Context(t, 30*time.Second) }

// readWAV checks a written file and returns its sample rate and duration.
func readWAV(t *testing.T, path string) (int, time.Duration) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, pcm, err := decodeAudio(b, 0)
	if err != nil || f.channels != 1 || string(b[0:4]) != "RIFF" {
		t.Fatalf("not a mono PCM WAV: %v", err)
	}
	if got := int(le32(b[40:])); got != len(pcm) || len(b) != 44+len(pcm) {
		t.Errorf("data size %d, file %d bytes, pcm %d", got, len(b), len(pcm))
	}
	return f.rate, time.Duration(float64(len(pcm)) / float64(f.byteRate()) * float64(time.Second))
}

// decodeAudio reads a whole WAV (or raw PCM) held in memory.
func decodeAudio(b []byte, rate int) (pcmFormat, []byte, error) {
	f, rd, err := readPCM(bytes.NewReader(b), rate)
	if err != nil {
		return f, nil, err
	}
	data, err := io.ReadAll(rd)
	return f, data[:len(data)-len(data)%(2*f.channels)], err
}

func near(a, b time.Duration) bool { return math.Abs(float64(a-b)) < float64(5*time.Millisecond) }

func TestSynthesizeEnglish(t *testing.T) {
	c, srv := setup(t, faketts.Options{})
	out := filepath.Join(t.TempDir(), "audio", "seg01.wav")
	res, err := c.Synthesize(ctx(t), tts.Request{Text: "Hello and welcome. Today we talk about bees.", Language: "en", OutPath: out})
	if err != nil {
		t.Fatal(err)
	}
	rate, dur := readWAV(t, out)
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	want := time.Duration(r.Seconds * float64(time.Second))
	if res.Engine != Engine || res.Path != out || res.SampleRate != 24000 || rate != 24000 || !near(res.Duration, want) || !near(dur, want) {
		t.Errorf("result %+v, file %d Hz %v, fake produced %v", res, rate, dur, want)
	}
	if r.LanguageCode != "en-US" || r.VoiceName != "en-US-Neural2-F" || r.Encoding != "LINEAR16" || r.SampleRate != 24000 || r.SpeakingRate != 1 {
		t.Errorf("request %+v", r)
	}
	if r.Header.Get("X-Goog-Api-Key") != "" || strings.Contains(r.Query.Encode(), testKey) {
		t.Error("recorded request kept the key")
	}
}

func TestVoiceSelection(t *testing.T) {
	c, srv := setup(t, faketts.Options{SecondsPerRequest: 0.1}, func(c *Config) {
		c.Voices = map[string]Voice{"ko": {"ko-KR", "ko-KR-Wavenet-D"}}
		c.SpeakingRate = 1.25
	})
	dir := t.TempDir()
	cases := []struct {
		req        tts.Request
		code, name string
	}{
		{tts.Request{Text: "大家好。", Language: "zh-TW"}, "cmn-TW", "cmn-TW-Wavenet-A"},
		{tts.Request{Text: "大家好。", Language: "zh-CN"}, "cmn-CN", "cmn-CN-Wavenet-A"},
		{tts.Request{Text: "今天我們來聊聊台灣的夜市文化。"}, "cmn-TW", "cmn-TW-Wavenet-A"},
		{tts.Request{Text: "こんにちは。", Language: "ja", Voice: "ja-JP-Wavenet-C"}, "ja-JP", "ja-JP-Wavenet-C"},
		{tts.Request{Text: "안녕하세요.", Language: "ko"}, "ko-KR", "ko-KR-Wavenet-D"},
		{tts.Request{Text: "Hola.", Language: "es-ES"}, "es-ES", ""},
	}
	for i, cs := range cases {
		cs.req.OutPath = filepath.Join(dir, "v.wav")
		if _, err := c.Synthesize(ctx(t), cs.req); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		r := srv.Requests()[i]
		if r.LanguageCode != cs.code || r.VoiceName != cs.name || r.SpeakingRate != 1.25 {
			t.Errorf("case %d: voice %s/%s rate %v, want %s/%s", i, r.LanguageCode, r.VoiceName, r.SpeakingRate, cs.code, cs.name)
		}
	}
}

func TestSplitsTextOver5000Bytes(t *testing.T) {
	// A fixed answer length keeps 14 minutes of narration out of memory.
	c, srv := setup(t, faketts.Options{SecondsPerRequest: 0.75})
	sentence := "台灣的夜市是許多旅客最難忘的回憶，空氣中飄著各種小吃的香味。" // 31 runes, 93 bytes
	text := strings.Repeat(sentence, 120)        // 11160 bytes
	out := filepath.Join(t.TempDir(), "long.wav")
	res, err := c.Synthesize(ctx(t), tts.Request{Text: text, Language: "zh-TW", OutPath: out})
	if err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests for %d bytes, want 3", len(reqs), len(text))
	}
	var total float64
	var joined strings.Builder
	for i, r := range reqs {
		if r.Status != 200 || r.TextBytes > MaxInputBytes {
			t.Errorf("chunk %d: status %d, %d bytes", i, r.Status, r.TextBytes)
		}
		if !strings.HasSuffix(r.Text, "。") {
			t.Errorf("chunk %d does not end at a sentence boundary: …%s", i, r.Text[len(r.Text)-12:])
		}
		total += r.Seconds
		joined.WriteString(r.Text)
	}
	if joined.String() != text {
		t.Error("chunks do not add up to the text")
	}
	_, dur := readWAV(t, out)
	want := time.Duration(total * float64(time.Second))
	if !near(dur, want) || !near(res.Duration, want) {
		t.Errorf("duration %v (result %v), want the sum of the chunks %v", dur, res.Duration, want)
	}

	// English: chunks are joined with spaces and stay under the limit.
	eng := strings.Repeat("The quick brown fox jumps over the lazy dog near the river bank. ", 100)
	if _, err := c.Synthesize(ctx(t), tts.Request{Text: eng, Language: "en", OutPath: out}); err != nil {
		t.Fatal(err)
	}
	if n := srv.Calls() - 3; n != 2 {
		t.Errorf("%d requests for %d bytes of English, want 2", n, len(eng))
	}
}

func TestSplitText(t *testing.T) {
	cases := []struct {
		name  string
		text  string
		limit int
	}{
		{"sentences", strings.Repeat("One two three four. ", 50), 100},
		{"one long sentence with commas", strings.Repeat("alpha beta gamma, ", 40), 60},
		{"no punctuation", strings.Repeat("word ", 100), 37},
		{"unpunctuated CJK", strings.Repeat("我們今天在山上看見很多美麗的花朵", 20), 50},
	}
	for _, c := range cases {
		parts := SplitText(strings.TrimSpace(c.text), c.limit)
		if len(parts) < 2 {
			t.Errorf("%s: not split", c.name)
		}
		for _, p := range parts {
			if len(p) > c.limit || p == "" {
				t.Errorf("%s: piece of %d bytes (limit %d): %q", c.name, len(p), c.limit, p)
			}
			if !utf8.ValidString(p) || strings.TrimSpace(p) != p {
				t.Errorf("%s: piece cut mid-rune or untrimmed: %q", c.name, p)
			}
		}
		squeeze := func(s string) string { return strings.Join(strings.Fields(s), "") }
		if squeeze(strings.Join(parts, "")) != squeeze(c.text) {
			t.Errorf("%s: text lost in splitting", c.name)
		}
	}
	if got := SplitText("short", 5000); len(got) != 1 || got[0] != "short" {
		t.Errorf("short text split: %q", got)
	}
}

func TestHeaderlessAudio(t *testing.T) {
	c, srv := setup(t, faketts.Options{Headerless: true, SecondsPerRequest: 0.5}, func(c *Config) { c.SampleRate = 16000 })
	out := filepath.Join(t.TempDir(), "raw.wav")
	res, err := c.Synthesize(ctx(t), tts.Request{Text: "Raw samples.", Language: "en", OutPath: out})
	if err != nil {
		t.Fatal(err)
	}
	rate, dur := readWAV(t, out)
	if rate != 16000 || res.SampleRate != 16000 || !near(dur, 500*time.Millisecond) {
		t.Errorf("raw PCM answer: %d Hz, %v", rate, dur)
	}
	if srv.Requests()[0].SampleRate != 16000 {
		t.Error("sample rate not requested")
	}
}

func TestErrorMapping(t *testing.T) {
	cases := []struct {
		fault      faketts.Fault
		code       string
		retryable  bool
		retryAfter time.Duration
	}{
		{faketts.Status(429).RetryAfter(2 * time.Second), "GOOGLE_TTS_RATE_LIMITED", true, 2 * time.Second},
		{faketts.Status(500), "GOOGLE_TTS_SERVER_ERROR", true, 0},
		{faketts.Status(503), "GOOGLE_TTS_UNAVAILABLE", true, 0},
		{faketts.Status(504), "GOOGLE_TTS_TIMEOUT", true, 0},
		{faketts.Status(400), "GOOGLE_TTS_BAD_REQUEST", false, 0},
		{faketts.Status(401), CodeAuthFailed, false, 0},
		{faketts.Status(403), CodeAuthFailed, false, 0},
		{faketts.Status(404), "GOOGLE_TTS_NOT_FOUND", false, 0},
		{faketts.Drop(), CodeNetworkError, true, 0},
	}
	for _, c := range cases {
		t.Run(c.fault.String(), func(t *testing.T) {
			cl, srv := setup(t, faketts.Options{})
			srv.Fail(c.fault)
			_, err := cl.Synthesize(ctx(t), tts.Request{Text: "Hello.", Language: "en", OutPath: filepath.Join(t.TempDir(), "x.wav")})
			e, ok := errcode.As(err)
			if !ok || e.Code != c.code || e.Retryable != c.retryable || e.RetryAfter != c.retryAfter {
				t.Fatalf("err %v, want %s retryable=%v after=%v", err, c.code, c.retryable, c.retryAfter)
			}
			if srv.Calls() != 1 {
				t.Errorf("%d calls, want one attempt", srv.Calls())
			}
		})
	}
}

func TestFailureMidwayWritesNothing(t *testing.T) {
	c, srv := setup(t, faketts.Options{}, func(c *Config) { c.MaxChunkBytes = 40 })
	srv.Fail(faketts.Delay(0), faketts.Status(503))
	out := filepath.Join(t.TempDir(), "x.wav")
	_, err := c.Synthesize(ctx(t), tts.Request{Text: "First sentence here. Second sentence here. Third one here.", Language: "en", OutPath: out})
	if errcode.Code(err) != "GOOGLE_TTS_UNAVAILABLE" || srv.Calls() != 2 {
		t.Errorf("err %v after %d calls", err, srv.Calls())
	}
	if _, statErr := os.Stat(out); !os.IsNotExist(statErr) {
		t.Error("partial narration written")
	}
}

func TestBadKeyTimeoutAndInput(t *testing.T) {
	var logs bytes.Buffer
	c, srv := setup(t, faketts.Options{APIKey: "right-key"}, func(c *Config) {
		c.Timeout = 150 * time.Millisecond
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	out := filepath.Join(t.TempDir(), "x.wav")
	_, err := c.Synthesize(ctx(t), tts.Request{Text: "Hello.", OutPath: out})
	if errcode.Code(err) != CodeAuthFailed || errcode.IsRetryable(err) {
		t.Errorf("wrong key: %v", err)
	}
	if strings.Contains(err.Error(), testKey) || strings.Contains(logs.String(), testKey) {
		t.Error("key leaked")
	}

	c2, srv2 := setup(t, faketts.Options{}, func(c *Config) { c.Timeout = 150 * time.Millisecond })
	srv2.Fail(faketts.Delay(10 * time.Second))
	if _, err := c2.Synthesize(ctx(t), tts.Request{Text: "Hello.", OutPath: out}); errcode.Code(err) != CodeTimeout || !errcode.IsRetryable(err) {
		t.Errorf("timeout: %v", err)
	}
	calls := srv.Calls()
	if _, err := c.Synthesize(ctx(t), tts.Request{Text: "  ", OutPath: out}); errcode.Code(err) != CodeInvalidRequest {
		t.Errorf("empty text: %v", err)
	}
	if srv.Calls() != calls {
		t.Error("empty text was sent")
	}
	if _, err := New(Config{}); errcode.Code(err) != CodeNotConfigured {
		t.Errorf("no key: %v", err)
	}
}

func TestDecodeAudioVariants(t *testing.T) {
	pcm := []byte{1, 0, 2, 0, 3, 0, 4, 0}
	f := pcmFormat{rate: 22050, channels: 1}
	// A LIST chunk before the data, and a streaming size.
	wav := wavHeader(f, len(pcm))
	withList := append(append(append([]byte{}, wav[:36]...), []byte("LIST\x04\x00\x00\x00INFO")...), wav[36:]...)
	withList = append(withList, pcm...)
	got, data, err := decodeAudio(withList, 0)
	if err != nil || got != f || !bytes.Equal(data, pcm) {
		t.Errorf("LIST chunk: %v %v %v", got, data, err)
	}
	streaming := append(append([]byte{}, wav...), pcm...)
	copy(streaming[40:], []byte{0xFF, 0xFF, 0xFF, 0xFF})
	if _, data, err := decodeAudio(streaming, 0); err != nil || !bytes.Equal(data, pcm) {
		t.Errorf("streaming size: %v %v", data, err)
	}
	bad := append([]byte{}, wav...)
	bad[34] = 8
	if _, _, err := decodeAudio(append(bad, pcm...), 0); err == nil {
		t.Error("8-bit WAV accepted")
	}
}

// TestLongAnswerStreamsToDisk answers with 64 MiB of audio (sent as it is
// made, so the server holds none of it) and expects the narration on
// disk with a correct header while the client allocates a small fraction
// of it: the answer is decoded as it arrives, not read whole.
func TestLongAnswerStreamsToDisk(t *testing.T) {
	const rate, seconds = 24000, 1400 // 1400 s of 24 kHz mono: 64.1 MiB
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"audioConfig": {"x": [1, "}"]}, "audioContent": "`)
		enc := base64.NewEncoder(base64.StdEncoding, w)
		n := rate * seconds * 2
		enc.Write(wavHeader(pcmFormat{rate: rate, channels: 1}, n))
		buf := make([]byte, 32<<10)
		for i := range buf {
			buf[i] = byte(i * 7)
		}
		for left := n; left > 0; left -= len(buf) {
			if _, err := enc.Write(buf[:min(left, len(buf))]); err != nil {
				return
			}
		}
		enc.Close()
		io.WriteString(w, `", "timepoints": []}`)
	}))
	defer srv.Close()
	c, err := New(Config{APIKey: testKey, BaseURL: srv.URL, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "long.wav")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res, err := c.Synthesize(ctx(t), tts.Request{Text: "A very long narration.", Language: "en", OutPath: out})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if res.Duration != seconds*time.Second {
		t.Errorf("duration %v, want %v s", res.Duration, seconds)
	}
	st, err := os.Stat(out)
	if err != nil || st.Size() != 44+rate*seconds*2 {
		t.Fatalf("file: %v, %v", st, err)
	}
	f, _ := os.Open(out)
	head := make([]byte, 44)
	io.ReadFull(f, head)
	f.Close()
	if got := int(le32(head[40:])); got != rate*seconds*2 || string(head[:4]) != "RIFF" {
		t.Errorf("header says %d bytes of data", got)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("allocated %d MiB for a %d MiB answer", alloc>>20, (rate*seconds*2*4/3)>>20)
	}
}

func TestAudioContentScanner(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"audioContent":"QUJD"}`, "QUJD"},
		{` { "a" : 1 , "b":"x\"}" ,"c":[{"d":"]"}], "audioContent" : "QU\/J" }`, "QU/J"},
		{`{"e":true,"audioContent":""}`, ""},
	} {
		rd, err := audioContent(bufio.NewReader(strings.NewReader(c.in)))
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		got, err := io.ReadAll(rd)
		if err != nil || string(got) != c.want {
			t.Errorf("%s: %q, %v", c.in, got, err)
		}
	}
	for _, bad := range []string{``, `[]`, `{"a":1}`, `{"audioContent":"QU`, `{"audioContent":"\u0041"}`, `{"audioContent":3}`} {
		rd, err := audioContent(bufio.NewReader(strings.NewReader(bad)))
		if err == nil {
			_, err = io.ReadAll(rd)
		}
		if err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
