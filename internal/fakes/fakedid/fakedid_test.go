package fakedid

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/fakes/fakehttp"
)

func call(t *testing.T, method, url, auth, contentType string, body io.Reader) (int, map[string]any, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, body)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, raw := fakehttp.Do(t, req)
	var m map[string]any
	json.Unmarshal(raw, &m)
	return resp.StatusCode, m, raw
}

func uploadAudio(t *testing.T, srv *Server) string {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	w, _ := mw.CreateFormFile("audio", "a.mp3")
	w.Write([]byte("ID3 not really mp3"))
	mw.Close()
	code, m, raw := call(t, "POST", srv.URL()+"/audios", "Basic k", mw.FormDataContentType(), &b)
	if code != 201 {
		t.Fatalf("upload %d %s", code, raw)
	}
	return m["url"].(string)
}

func TestTalkLifecycleAndValidation(t *testing.T) {
	srv := New(Options{APIKey: "k", Video: []byte("\x00\x00\x00\x18ftypmp42 fake video"), Credits: 2})
	defer srv.Close()
	if code, m, _ := call(t, "GET", srv.URL()+"/credits", "Basic wrong", "", nil); code != 401 || m["kind"] != "AuthorizationError" {
		t.Errorf("wrong key: %d %v", code, m)
	}
	audio := uploadAudio(t, srv)
	if !strings.HasPrefix(audio, "s3://d-id-audios-prod/") {
		t.Errorf("audio url %q", audio)
	}
	bad := []struct{ body, msg string }{
		{`{"script":{"type":"audio","audio_url":"` + audio + `"}}`, "source_url is required"},
		{`{"source_url":"https://x.test/face.bmp","script":{"type":"audio","audio_url":"` + audio + `"}}`, ".jpg"},
		{`{"source_url":"https://x.test/face.jpg"}`, "script is required"},
		{`{"source_url":"https://x.test/face.jpg","script":{"type":"audio","audio_url":"s3://nowhere/a.mp3"}}`, "not found"},
		{`{"source_url":"https://x.test/face.jpg","script":{"type":"text"}}`, "script.input"},
		{`{"source_url":"https://x.test/face.jpg","script":{"type":"video"}}`, "script.type"},
	}
	for _, c := range bad {
		code, m, _ := call(t, "POST", srv.URL()+"/talks", "Basic k", "application/json", strings.NewReader(c.body))
		if code != 400 || m["kind"] != "ValidationError" || !strings.Contains(m["description"].(string), c.msg) {
			t.Errorf("%s: %d %v", c.body, code, m)
		}
	}
	good := `{"source_url":"https://x.test/face.jpg","script":{"type":"audio","audio_url":"` + audio + `"},"config":{"stitch":true}}`
	code, m, _ := call(t, "POST", srv.URL()+"/talks", "Basic k", "application/json", strings.NewReader(good))
	if code != 201 || m["status"] != "created" {
		t.Fatalf("create: %d %v", code, m)
	}
	id := m["id"].(string)
	var statuses []string
	var result string
	for i := 0; i < 3; i++ {
		_, m, _ = call(t, "GET", srv.URL()+"/talks/"+id, "Basic k", "", nil)
		statuses = append(statuses, m["status"].(string))
		if u, ok := m["result_url"].(string); ok {
			result = u
		}
	}
	if strings.Join(statuses, ",") != "created,started,done" || !strings.Contains(result, "Expires=") {
		t.Fatalf("statuses %v result %q", statuses, result)
	}
	// Pre-signed: an Authorization header is refused, a plain GET works.
	if code, _, raw := call(t, "GET", result, "Basic k", "", nil); code != 400 || !bytes.Contains(raw, []byte("Only one auth mechanism")) {
		t.Errorf("result with auth: %d %s", code, raw)
	}
	if code, _, raw := call(t, "GET", result, "", "", nil); code != 200 || !bytes.Contains(raw, []byte("ftyp")) {
		t.Errorf("result: %d", code)
	}
	// Credits: one spent; a second talk spends the last; the third is refused.
	call(t, "POST", srv.URL()+"/talks", "Basic k", "application/json", strings.NewReader(good))
	code, m, _ = call(t, "POST", srv.URL()+"/talks", "Basic k", "application/json", strings.NewReader(good))
	if code != 402 || m["kind"] != "InsufficientCreditsError" {
		t.Errorf("no credits: %d %v", code, m)
	}
	_, m, _ = call(t, "GET", srv.URL()+"/credits", "Basic k", "", nil)
	if m["remaining"] != float64(0) || m["total"] != float64(2) {
		t.Errorf("credits %v", m)
	}
}

func TestFaultsWaitForTheirEndpoint(t *testing.T) {
	srv := New(Options{PendingPolls: -1, Video: []byte("....ftyp")})
	defer srv.Close()
	srv.Fail(Status(503).On(EndpointGetTalk).RetryAfter(3*time.Second), TalkRejected())
	audio := uploadAudio(t, srv) // not affected: the head fault wants GET /talks/{id}
	if srv.PendingFaults() != 2 {
		t.Fatalf("a fault was used by the upload")
	}
	body := `{"source_url":"https://x.test/face.png","script":{"type":"audio","audio_url":"` + audio + `"}}`
	_, m, _ := call(t, "POST", srv.URL()+"/talks", "Basic k", "application/json", strings.NewReader(body))
	id := m["id"].(string)
	if srv.PendingFaults() != 2 {
		t.Fatal("the rejected-talk fault jumped the queue")
	}
	code, m, _ := call(t, "GET", srv.URL()+"/talks/"+id, "Basic k", "", nil)
	if code != 503 || m["kind"] != "UnknownError" {
		t.Errorf("faulted poll: %d %v", code, m)
	}
	_, m, _ = call(t, "GET", srv.URL()+"/talks/"+id, "Basic k", "", nil)
	if m["status"] != "done" {
		t.Errorf("first talk: %v", m)
	}
	_, m, _ = call(t, "POST", srv.URL()+"/talks", "Basic k", "application/json", strings.NewReader(body))
	_, m, _ = call(t, "GET", srv.URL()+"/talks/"+m["id"].(string), "Basic k", "", nil)
	if m["status"] != "rejected" || srv.PendingFaults() != 0 {
		t.Errorf("second talk: %v", m)
	}
	if srv.Credits() != 99 {
		t.Errorf("credits %d: the rejected talk must be refunded", srv.Credits())
	}
	if got := srv.Calls(EndpointGetTalk); got != 3 {
		t.Errorf("%d status calls recorded", got)
	}
}

func TestWAVDuration(t *testing.T) {
	h := []byte("RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data\x80\x3e\x00\x00")
	data := append(h, make([]byte, 16000)...)
	if d := wavDuration(data); d != 1 {
		t.Errorf("duration %v, want 1 s", d)
	}
	if wavDuration([]byte("ID3....")) != 0 {
		t.Error("non-WAV has a duration")
	}
}
