package elevenlabs

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/fakes/fakeelevenlabs"
	"github.com/ytmaker/ytmaker/internal/fakes/fakehttp"
	"github.com/ytmaker/ytmaker/internal/media/tts"
	"github.com/ytmaker/ytmaker/internal/media/wav"
)

const testKey = "xi-test-key-123"

func setup(t *testing.T, opts fakeelevenlabs.Options, mutate ...func(*Config)) (*fakeelevenlabs.Server, *Client) {
	t.Helper()
	srv := fakehttp.Start(t, fakeelevenlabs.New, opts)
	c := fakehttp.NewClient(t, New, Config{APIKey: testKey, BaseURL: srv.URL(), HTTPClient: srv.Client(), Timeout: 5 * time.Second}, mutate...)
	return srv, c
}

func ctx(t *testing.T) context.Context { return fakehttp.Context(t, 20*time.Second) }

func TestSynthesizeWithWordTimes(t *testing.T) {
	srv, c := setup(t, fakeelevenlabs.Options{APIKey: testKey, Voices: []string{"voice-1"}})
	out := filepath.Join(t.TempDir(), "a.wav")
	text := "Bees dance to tell the hive where flowers are."
	res, err := c.Synthesize(ctx(t), tts.Request{Text: text, Voice: "voice-1", OutPath: out})
	if err != nil {
		t.Fatal(err)
	}
	info, err := wav.ReadInfo(out)
	if err != nil || info.SampleRate != 24000 || info.Channels != 1 || info.Duration() != res.Duration || res.Engine != "elevenlabs" {
		t.Fatalf("wav %+v %v, result %+v", info, err, res)
	}
	if len(res.Words) != 9 || res.Words[0].Word != "Bees" || res.Words[8].Word != "are." || res.Words[8].End > res.Duration {
		t.Fatalf("words %+v", res.Words)
	}
	for i := 1; i < len(res.Words); i++ {
		if res.Words[i].Start < res.Words[i-1].End || res.Words[i].End < res.Words[i].Start {
			t.Fatalf("words out of order: %+v", res.Words)
		}
	}
	r := srv.Requests()[0]
	if r.Path != "/v1/text-to-speech/voice-1/with-timestamps" || r.OutputFormat != "pcm_24000" || r.ModelID != DefaultModel || r.Text != text {
		t.Fatalf("request %+v", r)
	}
}

func TestChineseWordsAreCharacters(t *testing.T) {
	_, c := setup(t, fakeelevenlabs.Options{})
	res, err := c.Synthesize(ctx(t), tts.Request{Text: "夜市很熱鬧。", OutPath: filepath.Join(t.TempDir(), "z.wav")})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Words) != 5 || res.Words[0].Word != "夜" || res.Words[4].Word != "鬧" {
		t.Fatalf("words %+v", res.Words)
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		fault     fakeelevenlabs.Fault
		code      string
		retryable bool
	}{
		{fakeelevenlabs.Status(429).RetryAfter(2 * time.Second), "ELEVENLABS_RATE_LIMITED", true},
		{fakeelevenlabs.Status(500), "ELEVENLABS_SERVER_ERROR", true},
		{fakeelevenlabs.Status(503), "ELEVENLABS_UNAVAILABLE", true},
		{fakeelevenlabs.Status(400), "ELEVENLABS_BAD_REQUEST", false},
		{fakeelevenlabs.Status(401), CodeAuthFailed, false},
		{fakeelevenlabs.Status(403), CodeAuthFailed, false},
		{fakeelevenlabs.Status(404), "ELEVENLABS_NOT_FOUND", false},
		{fakeelevenlabs.Quota(), CodeQuotaExceeded, false},
		{fakeelevenlabs.EmptyAudio(), CodeBadAudio, true},
		{fakeelevenlabs.BadBase64(), CodeBadAudio, true},
		{fakeelevenlabs.BadJSON(), CodeBadResponse, true},
		{fakeelevenlabs.Drop(), CodeNetworkError, true},
	}
	srv, c := setup(t, fakeelevenlabs.Options{APIKey: testKey})
	dir := t.TempDir()
	for i, cs := range cases {
		srv.Fail(cs.fault)
		out := filepath.Join(dir, "x.wav")
		_, err := c.Synthesize(ctx(t), tts.Request{Text: "Hello there.", OutPath: out})
		e, ok := errcode.As(err)
		if !ok || e.Code != cs.code || e.Retryable != cs.retryable {
			t.Errorf("%d %v: got %v, want %s retryable=%v", i, cs.fault, err, cs.code, cs.retryable)
			continue
		}
		if cs.code == "ELEVENLABS_RATE_LIMITED" && e.RetryAfter != 2*time.Second {
			t.Errorf("Retry-After not kept: %v", e.RetryAfter)
		}
		if strings.Contains(err.Error(), testKey) {
			t.Errorf("key in %v", err)
		}
		if _, serr := os.Stat(out); serr == nil {
			t.Errorf("%v left a file behind", cs.fault)
		}
	}
	if srv.Calls() != len(cases) {
		t.Errorf("%d calls for %d cases: the client must not retry", srv.Calls(), len(cases))
	}
}

func TestWrongKeyVoiceAndMissingAlignment(t *testing.T) {
	srv, c := setup(t, fakeelevenlabs.Options{APIKey: testKey, Voices: []string{"v"}}, func(c *Config) { c.APIKey = "nope" })
	_, err := c.Synthesize(ctx(t), tts.Request{Text: "Hi.", Voice: "v", OutPath: filepath.Join(t.TempDir(), "a.wav")})
	if errcode.Code(err) != CodeAuthFailed {
		t.Fatalf("wrong key: %v", err)
	}
	c2 := fakehttp.NewClient(t, New, Config{APIKey: testKey, BaseURL: srv.URL()})
	_, err = c2.Synthesize(ctx(t), tts.Request{Text: "Hi.", Voice: "ghost", OutPath: filepath.Join(t.TempDir(), "a.wav")})
	if e, ok := errcode.As(err); !ok || e.Code != CodeVoiceNotFound || e.Retryable {
		t.Fatalf("unknown voice: %v", err)
	}
	srv.Fail(fakeelevenlabs.NoAlignment())
	res, err := c2.Synthesize(ctx(t), tts.Request{Text: "Hello there.", Voice: "v", OutPath: filepath.Join(t.TempDir(), "b.wav")})
	if err != nil || res.Words != nil || res.Duration <= 0 {
		t.Fatalf("no alignment: %+v %v", res, err)
	}
	if _, err := New(Config{}); errcode.Code(err) != CodeNotConfigured {
		t.Fatalf("no key: %v", err)
	}
}

func TestWordsFromBrokenAlignment(t *testing.T) {
	if w := Words(&alignment{Characters: []string{"a", "b"}, Starts: []float64{0}, Ends: []float64{1, 2}}, time.Second); w != nil {
		t.Errorf("mismatched lists gave %+v", w)
	}
	w := Words(&alignment{Characters: []string{"h", "i", " ", "x"}, Starts: []float64{0, 0.1, 0.2, 5}, Ends: []float64{0.1, 0.2, 0.3, 9}}, time.Second)
	if len(w) != 2 || w[0].Word != "hi" || w[1].Start != time.Second || w[1].End != time.Second {
		t.Errorf("words %+v (times past the audio must be clamped)", w)
	}
}
