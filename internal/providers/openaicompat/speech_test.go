package openaicompat

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/fakes/fakeopenai"
	"github.com/ytmaker/ytmaker/internal/media/tts"
	"github.com/ytmaker/ytmaker/internal/media/wav"
)

func newSpeaker(t *testing.T, srv *fakeopenai.Server, key string) *Speaker {
	t.Helper()
	isolateEnv(t)
	return NewSpeaker(SpeakerConfig{BaseURL: srv.BaseURL(), APIKey: key, HTTPClient: srv.Client(), Timeout: 5 * time.Second})
}

func TestSpeechWritesWAV(t *testing.T) {
	srv := newServer(t, fakeopenai.Options{APIKey: testKey})
	s := newSpeaker(t, srv, testKey)
	out := filepath.Join(t.TempDir(), "a.wav")
	res, err := s.Synthesize(ctx(t), tts.Request{Text: "Rivers shape the land around them.", Voice: "nova", OutPath: out})
	if err != nil {
		t.Fatal(err)
	}
	info, err := wav.ReadInfo(out)
	if err != nil || info.SampleRate != 24000 || info.Duration() != res.Duration || res.Duration < time.Second || res.Engine != SpeechEngine {
		t.Fatalf("wav %+v %v, result %+v", info, err, res)
	}
	r := srv.Requests()[0]
	if r.Path != "/v1/audio/speech" || r.Speech.Voice != "nova" || r.Speech.Model != DefaultSpeechModel || r.Speech.ResponseFormat != "pcm" || !r.Auth {
		t.Fatalf("request %+v", r)
	}
	// The configured voice when the request names none.
	if _, err := s.Synthesize(ctx(t), tts.Request{Text: "Hello.", OutPath: out}); err != nil || srv.Requests()[1].Speech.Voice != DefaultVoice {
		t.Fatalf("default voice: %v %+v", err, srv.Requests()[1].Speech)
	}
}

func TestSpeechErrors(t *testing.T) {
	cases := []struct {
		fault     fakeopenai.Fault
		code      string
		retryable bool
	}{
		{fakeopenai.Status(429), "OPENAI_RATE_LIMITED", true},
		{fakeopenai.Status(503), "OPENAI_UNAVAILABLE", true},
		{fakeopenai.Status(401), CodeAuthFailed, false},
		{fakeopenai.Status(400), "OPENAI_BAD_REQUEST", false},
		{fakeopenai.Status(404), CodeModelNotFound, false},
		{fakeopenai.EmptyAudio(), CodeBadAudio, true},
		{fakeopenai.NotAudio(), CodeBadAudio, true},
		{fakeopenai.Drop(), CodeNetworkError, true},
	}
	srv := newServer(t, fakeopenai.Options{})
	s := newSpeaker(t, srv, "")
	out := filepath.Join(t.TempDir(), "a.wav")
	for _, c := range cases {
		srv.Fail(c.fault)
		_, err := s.Synthesize(ctx(t), tts.Request{Text: "Hello there.", OutPath: out})
		if e, ok := errcode.As(err); !ok || e.Code != c.code || e.Retryable != c.retryable {
			t.Errorf("%v: got %v, want %s retryable=%v", c.fault, err, c.code, c.retryable)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v left a file", c.fault)
		}
	}
}
