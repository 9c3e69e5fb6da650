package faketts

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ytmaker/ytmaker/internal/fakes/fakehttp"
)

func synth(t *testing.T, url, key, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	if key != "" {
		req.Header.Set("X-Goog-Api-Key", key)
	}
	resp, raw := fakehttp.Do(t, req)
	var m map[string]any
	json.Unmarshal(raw, &m)
	return resp.StatusCode, m
}

func body(text, encoding string) string {
	b, _ := json.Marshal(map[string]any{
		"input":       map[string]any{"text": text},
		"voice":       map[string]any{"languageCode": "en-US", "name": "en-US-Neural2-F"},
		"audioConfig": map[string]any{"audioEncoding": encoding, "sampleRateHertz": 16000, "speakingRate": 2.0},
	})
	return string(b)
}

func TestValidation(t *testing.T) {
	srv := New(Options{APIKey: "k"})
	defer srv.Close()
	url := srv.URL() + "/v1/text:synthesize"
	cases := []struct {
		name, key, body string
		code            int
		msg             string
	}{
		{"no key", "", body("hi", "LINEAR16"), 403, "unregistered callers"},
		{"wrong key", "x", body("hi", "LINEAR16"), 400, "API key not valid"},
		{"too long", "k", body(strings.Repeat("é", 2501), "LINEAR16"), 400, "longer than the limit of 5000 bytes"},
		{"no voice", "k", `{"input":{"text":"hi"},"audioConfig":{"audioEncoding":"LINEAR16"}}`, 400, "language code"},
		{"voice mismatch", "k", `{"input":{"text":"hi"},"voice":{"languageCode":"en-US","name":"cmn-TW-Wavenet-A"},"audioConfig":{"audioEncoding":"LINEAR16"}}`, 400, "doesn't match"},
		{"bad encoding", "k", body("hi", "FLAC"), 400, "audio_encoding"},
		{"mp3", "k", body("hi", "MP3"), 501, "LINEAR16 only"},
	}
	for _, c := range cases {
		code, m := synth(t, url, c.key, c.body)
		e, _ := m["error"].(map[string]any)
		if code != c.code || e == nil || !strings.Contains(e["message"].(string), c.msg) {
			t.Errorf("%s: %d %v", c.name, code, m)
		}
	}
	// Exactly 5000 bytes is fine; ?key= works.
	if code, _ := synth(t, url+"?key=k", "", body(strings.Repeat("é", 2500), "LINEAR16")); code != 200 {
		t.Errorf("5000 bytes answered %d", code)
	}
}

func TestAnswerIsAWAVOfPlausibleLength(t *testing.T) {
	srv := New(Options{})
	defer srv.Close()
	text := strings.Repeat("one two three four five six seven eight nine ten ", 13) // 130 words
	code, m := synth(t, srv.URL()+"/v1/text:synthesize", "k", body(text, "LINEAR16"))
	if code != 200 {
		t.Fatalf("%d %v", code, m)
	}
	wav, err := base64.StdEncoding.DecodeString(m["audioContent"].(string))
	if err != nil || string(wav[:4]) != "RIFF" || string(wav[8:16]) != "WAVEfmt " {
		t.Fatalf("not a WAV: %v", err)
	}
	rate := binary.LittleEndian.Uint32(wav[24:])
	n := binary.LittleEndian.Uint32(wav[40:])
	secs := float64(n) / float64(rate*2)
	// 130 words at 2.6 words/s, read at speakingRate 2: 25 s.
	if rate != 16000 || int(n) != len(wav)-44 || secs < 24.9 || secs > 25.1 {
		t.Errorf("%d Hz, %d bytes, %.2f s", rate, n, secs)
	}
	if r := srv.Requests()[0]; r.Seconds != secs || r.SpeakingRate != 2 || r.VoiceName != "en-US-Neural2-F" {
		t.Errorf("recorded %+v", r)
	}
}
