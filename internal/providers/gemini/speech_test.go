package gemini

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/fakes/fakegemini"
	"github.com/ytmaker/ytmaker/internal/media/tts"
	"github.com/ytmaker/ytmaker/internal/media/wav"
)

func newSpeaker(t *testing.T, srv *fakegemini.Server, voice string) *Speaker {
	t.Helper()
	isolateEnv(t)
	s, err := NewSpeaker(context.Background(), Config{APIKey: testKey, BaseURL: srv.URL(), HTTPClient: srv.Client(), Timeout: 10 * time.Second}, voice)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSpeakerWritesWAV(t *testing.T) {
	srv := newServer(t, fakegemini.Options{APIKey: testKey})
	s := newSpeaker(t, srv, "")
	out := filepath.Join(t.TempDir(), "n.wav")
	res, err := s.Synthesize(context.Background(), tts.Request{Text: "Night markets open at dusk and stay busy until midnight.", OutPath: out})
	if err != nil {
		t.Fatal(err)
	}
	info, err := wav.ReadInfo(out)
	if err != nil || info.SampleRate != SpeechRate || info.Channels != 1 || info.BitsPerSample != 16 {
		t.Fatalf("written %+v, %v", info, err)
	}
	if res.Engine != SpeechEngine || res.Duration < time.Second || res.Duration != info.Duration() {
		t.Fatalf("result %+v, file lasts %s", res, info.Duration())
	}
	r := srv.Requests()[len(srv.Requests())-1]
	if r.Model != DefaultSpeechModel || r.Voice != DefaultVoice || len(r.Modalities) != 1 || r.Modalities[0] != "AUDIO" {
		t.Fatalf("request %+v", r)
	}
	// A voice named in the request wins.
	if _, err := s.Synthesize(context.Background(), tts.Request{Text: "Hello there.", Voice: "Puck", OutPath: out}); err != nil {
		t.Fatal(err)
	}
	if r := srv.Requests()[len(srv.Requests())-1]; r.Voice != "Puck" {
		t.Fatalf("voice %q, want Puck", r.Voice)
	}
	// Another service's voice name falls back to the Speaker's.
	if _, err := s.Synthesize(context.Background(), tts.Request{Text: "Hello there.", Voice: "en-US-Neural2-F", OutPath: out}); err != nil {
		t.Fatal(err)
	}
	if r := srv.Requests()[len(srv.Requests())-1]; r.Voice != DefaultVoice {
		t.Fatalf("voice %q, want %s", r.Voice, DefaultVoice)
	}
}

func TestSpeakerErrors(t *testing.T) {
	srv := newServer(t, fakegemini.Options{APIKey: testKey})
	out := filepath.Join(t.TempDir(), "n.wav")
	for _, c := range []struct {
		fault     fakegemini.Fault
		code      string
		retryable bool
	}{
		{fakegemini.Status(429).RetryAfter(7 * time.Second), "GEMINI_RATE_LIMITED", true},
		{fakegemini.Status(503), "GEMINI_UNAVAILABLE", true},
		{fakegemini.Status(403), CodeAuthFailed, false},
		{fakegemini.NoMedia(), CodeNoAudio, true},
		{fakegemini.PromptBlocked(), CodeBlocked, false},
		{fakegemini.NotMedia(), CodeBadResponse, true},
	} {
		s := newSpeaker(t, srv, "")
		srv.Fail(c.fault)
		_, err := s.Synthesize(context.Background(), tts.Request{Text: "A short line.", OutPath: out})
		if e, ok := errcode.As(err); !ok || e.Code != c.code || e.Retryable != c.retryable {
			t.Errorf("%v: got %v, want %s retryable=%v", c.fault, err, c.code, c.retryable)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v left a file", c.fault)
			os.Remove(out)
		}
	}
	s := newSpeaker(t, srv, "NoSuchVoice")
	if _, err := s.Synthesize(context.Background(), tts.Request{Text: "Hi.", OutPath: out}); errcode.Code(err) != "GEMINI_BAD_REQUEST" {
		t.Fatalf("unknown voice: %v", err)
	}
}
