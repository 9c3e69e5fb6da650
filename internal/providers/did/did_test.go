package did

import (
	"bytes"
	"context"
	"encoding/binary"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/fakes/fakedid"
	"github.com/ytmaker/ytmaker/internal/fakes/fakehttp"
)

const testKey = "dGVzdEBleGFtcGxlLmNvbQ:secret-123"

// writeWAV writes a mono 16-bit tone of the given length.
func writeWAV(t *testing.T, path string, seconds float64) {
	t.Helper()
	const rate = 24000
	n := int(seconds * rate)
	var pcm bytes.Buffer
	for i := 0; i < n; i++ {
		binary.Write(&pcm, binary.LittleEndian, int16(8000*math.Sin(2*math.Pi*220*float64(i)/rate)))
	}
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(36+pcm.Len()))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(rate), uint32(rate * 2), uint16(2), uint16(16)} {
		binary.Write(&b, binary.LittleEndian, v)
	}
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, uint32(pcm.Len()))
	b.Write(pcm.Bytes())
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func setup(t *testing.T, opts fakedid.Options, mutate ...func(*Config)) (*Client, *fakedid.Server) {
	t.Helper()
	if opts.APIKey == "" {
		opts.APIKey = testKey
	}
	srv := fakehttp.Start(t, fakedid.New, opts)
	cfg := Config{APIKey: testKey, BaseURL: srv.URL(), HTTPClient: srv.Client(), PollInterval: 5 * time.Millisecond, Timeout: 10 * time.Second}
	return fakehttp.NewClient(t, New, cfg, mutate...), srv
}

func ctx(t *testing.T) context.Context { return fakehttp.Context(t, 60*time.Second) }

func TestMakeAvatarFullFlow(t *testing.T) {
	c, srv := setup(t, fakedid.Options{Credits: 5})
	dir := t.TempDir()
	wav := filepath.Join(dir, "intro.wav")
	writeWAV(t, wav, 1.5)
	out := filepath.Join(dir, "avatars", "intro.mp4")

	before, err := c.Credits(ctx(t))
	if err != nil || before.Remaining != 5 || before.Total != 5 {
		t.Fatalf("credits %+v %v", before, err)
	}
	av, err := c.MakeAvatar(ctx(t), wav, out)
	if err != nil {
		t.Fatal(err)
	}
	if av.Path != out || av.TalkID == "" || !strings.HasPrefix(av.AudioURL, "s3://") || av.Bytes <= 0 {
		t.Errorf("avatar %+v", av)
	}
	if d := av.Duration.Seconds(); math.Abs(d-1.5) > 0.01 {
		t.Errorf("talk duration %.3f s, want 1.5", d)
	}
	data, err := os.ReadFile(out)
	if err != nil || len(data) < 12 || string(data[4:8]) != "ftyp" || int64(len(data)) != av.Bytes {
		t.Fatalf("output is not the MP4 (%d bytes, err %v)", len(data), err)
	}
	if _, err := exec.LookPath("ffprobe"); err == nil {
		raw, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", out).Output()
		if err != nil {
			t.Fatalf("ffprobe: %v", err)
		}
		if d, _ := strconv.ParseFloat(strings.TrimSpace(string(raw)), 64); math.Abs(d-1.5) > 0.2 {
			t.Errorf("video lasts %.2f s, want about the audio's 1.5 s", d)
		}
	}

	var calls []string
	for _, r := range srv.Requests() {
		calls = append(calls, r.Endpoint)
		if r.Header.Get("Authorization") != "" {
			t.Error("recorded request kept the Authorization header")
		}
	}
	want := []string{fakedid.EndpointCredits, fakedid.EndpointUploadAudio, fakedid.EndpointCreateTalk,
		fakedid.EndpointGetTalk, fakedid.EndpointGetTalk, fakedid.EndpointGetTalk, fakedid.EndpointResult}
	if strings.Join(calls, ",") != strings.Join(want, ",") {
		t.Errorf("calls %q\nwant %q", calls, want)
	}
	upload := srv.Requests()[1]
	if !strings.Contains(upload.Body, "audio: intro.wav, audio/wav") {
		t.Errorf("upload %q", upload.Body)
	}
	talk, ok := srv.Talk(av.TalkID)
	if !ok || talk.Status != "done" || talk.SourceURL != DefaultSourceURL || talk.AudioURL != av.AudioURL || talk.Config["stitch"] != true {
		t.Errorf("talk %+v", talk)
	}
	after, _ := c.Credits(ctx(t))
	if after.Remaining != 4 {
		t.Errorf("remaining credits %v, want 4", after.Remaining)
	}
}

func TestAuthorizationHeaderOverride(t *testing.T) {
	c, srv := setup(t, fakedid.Options{APIKey: "custom-value"}, func(c *Config) {
		c.APIKey = ""
		c.Authorization = "Basic custom-value"
	})
	if _, err := c.Credits(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if srv.Calls("") != 1 {
		t.Error("no call made")
	}
	if _, err := New(Config{}); errcode.Code(err) != CodeNotConfigured {
		t.Errorf("no key: %v", err)
	}
}

func TestTalkEndStates(t *testing.T) {
	cases := []struct {
		fault     fakedid.Fault
		code      string
		retryable bool
		msg       string
	}{
		{fakedid.TalkError("FaceError", "No face detected in the image"), CodeFaceError, false, "No face detected"},
		{fakedid.TalkError("SourceError", "bad image"), CodeSourceError, false, "SourceError"},
		{fakedid.TalkError("DriverError", "driver failed"), CodeDriverError, false, "DriverError"},
		{fakedid.TalkError("LogoError", "bad logo"), CodeLogoError, false, "LogoError"},
		{fakedid.TalkError("UnknownError", "internal"), CodeTalkFailed, true, "UnknownError"},
		{fakedid.TalkRejected(), CodeRejected, false, "moderation"},
	}
	for _, c := range cases {
		t.Run(c.fault.String(), func(t *testing.T) {
			cl, srv := setup(t, fakedid.Options{Credits: 3})
			srv.Fail(c.fault)
			wav := filepath.Join(t.TempDir(), "a.wav")
			writeWAV(t, wav, 0.2)
			out := filepath.Join(t.TempDir(), "a.mp4")
			_, err := cl.MakeAvatar(ctx(t), wav, out)
			e, ok := errcode.As(err)
			if !ok || e.Code != c.code || e.Retryable != c.retryable || !strings.Contains(e.Message, c.msg) {
				t.Fatalf("err %v, want %s retryable=%v containing %q", err, c.code, c.retryable, c.msg)
			}
			if e.Details["talk"] == nil {
				t.Error("error does not name the talk")
			}
			if _, statErr := os.Stat(out); !os.IsNotExist(statErr) {
				t.Error("output written for a failed talk")
			}
			if srv.Credits() != 3 {
				t.Errorf("credits %d, want the failed talk refunded", srv.Credits())
			}
		})
	}
}

func TestSynchronousErrorMapping(t *testing.T) {
	cases := []struct {
		fault      fakedid.Fault
		code       string
		retryable  bool
		retryAfter time.Duration
		msg        string
	}{
		{fakedid.Status(429).RetryAfter(7 * time.Second), "DID_RATE_LIMITED", true, 7 * time.Second, "TooManyRequestsError"},
		{fakedid.Status(500), "DID_SERVER_ERROR", true, 0, "UnknownError"},
		{fakedid.Status(503), "DID_UNAVAILABLE", true, 0, ""},
		{fakedid.Status(504), "DID_TIMEOUT", true, 0, ""},
		{fakedid.Status(400), "DID_BAD_REQUEST", false, 0, "Failed to validate script"},
		{fakedid.Status(401), CodeAuthFailed, false, 0, "Unauthorized"},
		{fakedid.Status(403), CodeAuthFailed, false, 0, ""},
		{fakedid.Status(402), CodeInsufficientCredits, false, 0, "not enough credits"},
		{fakedid.Status(404), "DID_NOT_FOUND", false, 0, ""},
		{fakedid.Drop(), CodeNetworkError, true, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.fault.String(), func(t *testing.T) {
			cl, srv := setup(t, fakedid.Options{})
			srv.Fail(c.fault.On(fakedid.EndpointCreateTalk))
			wav := filepath.Join(t.TempDir(), "a.wav")
			writeWAV(t, wav, 0.2)
			_, err := cl.MakeAvatar(ctx(t), wav, filepath.Join(t.TempDir(), "a.mp4"))
			e, ok := errcode.As(err)
			if !ok || e.Code != c.code || e.Retryable != c.retryable || e.RetryAfter != c.retryAfter || !strings.Contains(e.Message, c.msg) {
				t.Fatalf("err %v, want %s retryable=%v after=%v msg~%q", err, c.code, c.retryable, c.retryAfter, c.msg)
			}
			if n := srv.Calls(fakedid.EndpointCreateTalk); n != 1 {
				t.Errorf("%d talk creations, want one attempt", n)
			}
		})
	}
}

func TestRealCreditExhaustion(t *testing.T) {
	cl, _ := setup(t, fakedid.Options{Credits: 1})
	wav := filepath.Join(t.TempDir(), "a.wav")
	writeWAV(t, wav, 0.2)
	if _, err := cl.MakeAvatar(ctx(t), wav, filepath.Join(t.TempDir(), "1.mp4")); err != nil {
		t.Fatal(err)
	}
	_, err := cl.MakeAvatar(ctx(t), wav, filepath.Join(t.TempDir(), "2.mp4"))
	if errcode.Code(err) != CodeInsufficientCredits || errcode.IsRetryable(err) {
		t.Errorf("err %v, want DID_INSUFFICIENT_CREDITS", err)
	}
}

func TestPollingToleratesBlipsWithinBudget(t *testing.T) {
	cl, srv := setup(t, fakedid.Options{}, func(c *Config) { c.PollErrorBudget = 2 })
	wav := filepath.Join(t.TempDir(), "a.wav")
	writeWAV(t, wav, 0.2)
	srv.Fail(fakedid.Status(503).On(fakedid.EndpointGetTalk), fakedid.Drop().On(fakedid.EndpointGetTalk))
	if _, err := cl.MakeAvatar(ctx(t), wav, filepath.Join(t.TempDir(), "a.mp4")); err != nil {
		t.Fatalf("two transient poll failures within a budget of 2: %v", err)
	}

	srv.Fail(fakedid.Status(503).On(fakedid.EndpointGetTalk), fakedid.Status(502).On(fakedid.EndpointGetTalk), fakedid.Status(503).On(fakedid.EndpointGetTalk))
	_, err := cl.MakeAvatar(ctx(t), wav, filepath.Join(t.TempDir(), "b.mp4"))
	if errcode.Code(err) != "DID_UNAVAILABLE" || !errcode.IsRetryable(err) {
		t.Errorf("three failures over budget: %v", err)
	}

	srv.Fail(fakedid.Status(404).On(fakedid.EndpointGetTalk))
	before := srv.Calls(fakedid.EndpointGetTalk)
	_, err = cl.MakeAvatar(ctx(t), wav, filepath.Join(t.TempDir(), "c.mp4"))
	if errcode.Code(err) != "DID_NOT_FOUND" || srv.Calls(fakedid.EndpointGetTalk)-before != 1 {
		t.Errorf("non-retryable poll failure must stop at once: %v", err)
	}
}

func TestMaxWaitAndCancel(t *testing.T) {
	cl, _ := setup(t, fakedid.Options{PendingPolls: 1 << 20}, func(c *Config) { c.MaxWait = 100 * time.Millisecond })
	wav := filepath.Join(t.TempDir(), "a.wav")
	writeWAV(t, wav, 0.2)
	start := time.Now()
	_, err := cl.MakeAvatar(ctx(t), wav, filepath.Join(t.TempDir(), "a.mp4"))
	if errcode.Code(err) != CodeProcessingTimeout || !errcode.IsRetryable(err) {
		t.Errorf("err %v, want retryable DID_PROCESSING_TIMEOUT", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("MaxWait not honoured: %v", time.Since(start))
	}

	c2, _ := setup(t, fakedid.Options{PendingPolls: 1 << 20})
	url, err := c2.UploadAudio(ctx(t), wav)
	if err != nil {
		t.Fatal(err)
	}
	id, err := c2.CreateTalk(ctx(t), TalkRequest{AudioURL: url})
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(context.Background(), 80*time.Millisecond)
	defer cancel()
	_, err = c2.WaitTalk(cctx, id)
	if e := errcode.Classify(err); e.Code != errcode.Timeout || !e.Retryable {
		t.Errorf("caller deadline: %v", err)
	}
	cctx2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := c2.WaitTalk(cctx2, id); errcode.Code(err) != errcode.Cancelled {
		t.Errorf("cancelled: %v", err)
	}
}

func TestExpiredResultURL(t *testing.T) {
	cl, _ := setup(t, fakedid.Options{ResultTTL: -time.Minute})
	wav := filepath.Join(t.TempDir(), "a.wav")
	writeWAV(t, wav, 0.2)
	out := filepath.Join(t.TempDir(), "a.mp4")
	_, err := cl.MakeAvatar(ctx(t), wav, out)
	if errcode.Code(err) != CodeDownloadFailed || !errcode.IsRetryable(err) {
		t.Errorf("err %v, want retryable DID_DOWNLOAD_FAILED", err)
	}
	if _, statErr := os.Stat(out); !os.IsNotExist(statErr) {
		t.Error("partial download left behind")
	}
}

func TestInvalidInputsAndValidation(t *testing.T) {
	var logs bytes.Buffer
	cl, srv := setup(t, fakedid.Options{}, func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	if _, err := cl.UploadAudio(ctx(t), filepath.Join(t.TempDir(), "missing.wav")); errcode.Code(err) != CodeInvalidRequest {
		t.Errorf("missing file: %v", err)
	}
	if _, err := cl.CreateTalk(ctx(t), TalkRequest{}); errcode.Code(err) != CodeInvalidRequest {
		t.Errorf("no audio: %v", err)
	}
	_, err := cl.CreateTalk(ctx(t), TalkRequest{SourceURL: "https://example.com/face.gif", AudioURL: "https://example.com/a.mp3"})
	if errcode.Code(err) != "DID_BAD_REQUEST" || !strings.Contains(err.Error(), "source_url") {
		t.Errorf("bad source: %v", err)
	}
	if srv.Calls(fakedid.EndpointUploadAudio) != 0 {
		t.Error("a missing file was uploaded")
	}
	bad, _ := New(Config{APIKey: "wrong-secret-key", BaseURL: srv.URL(), Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	_, err = bad.Credits(ctx(t))
	if errcode.Code(err) != CodeAuthFailed {
		t.Errorf("wrong key: %v", err)
	}
	if strings.Contains(err.Error(), "wrong-secret-key") || strings.Contains(logs.String(), "wrong-secret-key") || strings.Contains(logs.String(), testKey) {
		t.Error("key leaked")
	}
}
