package fakegemini

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ytmaker/ytmaker/internal/fakes/fakehttp"
)

type errorBody struct {
	Error struct {
		Code    int              `json:"code"`
		Message string           `json:"message"`
		Status  string           `json:"status"`
		Details []map[string]any `json:"details"`
	} `json:"error"`
}

func post(t *testing.T, url, key, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("X-Goog-Api-Key", key)
	}
	resp, b := fakehttp.Do(t, req)
	return resp.StatusCode, b
}

const endpoint = "/v1beta/models/gemini-3.5-flash:generateContent"

func TestAuthAndValidation(t *testing.T) {
	srv := New(Options{APIKey: "k1"})
	defer srv.Close()
	valid := `{"contents":[{"role":"user","parts":[{"text":"hello"}]}]}`
	cases := []struct {
		name, url, key, body string
		code                 int
		status, msg          string
	}{
		{"no key", srv.URL() + endpoint, "", valid, 403, "PERMISSION_DENIED", "unregistered callers"},
		{"wrong key", srv.URL() + endpoint, "k2", valid, 400, "INVALID_ARGUMENT", "API key not valid"},
		{"no contents", srv.URL() + endpoint, "k1", `{"contents":[]}`, 400, "INVALID_ARGUMENT", "contents is not specified"},
		{"bad role", srv.URL() + endpoint, "k1", `{"contents":[{"role":"robot","parts":[{"text":"x"}]}]}`, 400, "INVALID_ARGUMENT", "valid role"},
		{"array without items", srv.URL() + endpoint, "k1", `{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"responseMimeType":"application/json","responseSchema":{"type":"OBJECT","properties":{"tags":{"type":"ARRAY"}}}}}`, 400, "INVALID_ARGUMENT", "items: missing field"},
		{"schema without JSON mode", srv.URL() + endpoint, "k1", `{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"responseSchema":{"type":"object"}}}`, 400, "INVALID_ARGUMENT", "response_mime_type"},
		{"unknown path", srv.URL() + "/v1beta/models/x:countTokens", "k1", valid, 404, "NOT_FOUND", "generateContent"},
	}
	for _, c := range cases {
		code, b := post(t, c.url, c.key, c.body)
		var e errorBody
		json.Unmarshal(b, &e)
		if code != c.code || e.Error.Code != c.code || e.Error.Status != c.status || !strings.Contains(e.Error.Message, c.msg) {
			t.Errorf("%s: %d %s", c.name, code, b)
		}
	}
	// ?key= works as well as the header, and the key is not recorded.
	code, _ := post(t, srv.URL()+endpoint+"?key=k1", "", valid)
	if code != 200 {
		t.Errorf("?key= answered %d", code)
	}
	for _, r := range srv.Requests() {
		if r.Query.Get("key") != "" || r.Header.Get("X-Goog-Api-Key") != "" {
			t.Error("key recorded")
		}
	}
	if srv.Calls() != len(cases)+1 {
		t.Errorf("%d calls recorded", srv.Calls())
	}
}

func TestDefaultAnswerFollowsPromptLanguage(t *testing.T) {
	srv := New(Options{})
	defer srv.Close()
	body := `{"contents":[{"role":"user","parts":[{"text":"台灣的夜市很熱鬧。每到晚上，街上都是人。大家喜歡吃小吃。"}]}],
	"generationConfig":{"responseMimeType":"application/json","responseSchema":{"type":"OBJECT","properties":{"title":{"type":"STRING"}}}}}`
	code, b := post(t, srv.URL()+endpoint, "any-key", body)
	if code != 200 {
		t.Fatalf("%d %s", code, b)
	}
	var resp generateResponse
	if err := json.Unmarshal(b, &resp); err != nil || len(resp.Candidates) != 1 {
		t.Fatalf("envelope: %v %s", err, b)
	}
	c := resp.Candidates[0]
	if c.FinishReason != "STOP" || c.Content.Role != "model" || resp.ModelVersion != "gemini-3.5-flash" || resp.ResponseID == "" {
		t.Errorf("candidate %+v", resp)
	}
	u := resp.UsageMetadata
	if u.PromptTokenCount <= 0 || u.CandidatesTokenCount <= 0 || u.TotalTokenCount != u.PromptTokenCount+u.CandidatesTokenCount {
		t.Errorf("usage %+v", u)
	}
	var s struct {
		Segments []struct{ Type, Text string }
	}
	if err := json.Unmarshal([]byte(c.Content.Parts[0].Text), &s); err != nil || len(s.Segments) < 3 {
		t.Fatalf("model text is not a script: %v", err)
	}
	if !strings.Contains(s.Segments[0].Text, "今天的主題是") {
		t.Errorf("intro %q is not Traditional Chinese", s.Segments[0].Text)
	}
}

func TestFaultQueueOrder(t *testing.T) {
	srv := New(Options{})
	defer srv.Close()
	srv.Fail(Status(503), PromptBlocked(), Text("plain"))
	valid := `{"contents":[{"parts":[{"text":"Bees are busy. They make honey."}]}]}`
	code, _ := post(t, srv.URL()+endpoint, "k", valid)
	if code != 503 || srv.PendingFaults() != 2 {
		t.Fatalf("first call %d, pending %d", code, srv.PendingFaults())
	}
	_, b := post(t, srv.URL()+endpoint, "k", valid)
	if !strings.Contains(string(b), `"blockReason":"SAFETY"`) || strings.Contains(string(b), "candidates") {
		t.Errorf("prompt blocked answer: %s", b)
	}
	_, b = post(t, srv.URL()+endpoint, "k", valid)
	if !strings.Contains(string(b), `"text":"plain"`) {
		t.Errorf("scripted text answer: %s", b)
	}
	code, b = post(t, srv.URL()+endpoint, "k", valid)
	if code != 200 || !strings.Contains(string(b), "They make honey.") {
		t.Errorf("after the queue: %d %s", code, b)
	}
	want := []string{"status 503", "prompt blocked", "scripted text", ""}
	for i, r := range srv.Requests() {
		if r.Fault != want[i] {
			t.Errorf("request %d fault %q, want %q", i, r.Fault, want[i])
		}
	}
}

func TestFaultForModelAndAlways(t *testing.T) {
	srv := New(Options{})
	defer srv.Close()
	image := srv.URL() + "/v1beta/models/gemini-3.1-flash-image:generateContent"
	imageReq := `{"contents":[{"parts":[{"text":"a boat"}]}],"generationConfig":{"responseModalities":["IMAGE"]}}`
	valid := `{"contents":[{"parts":[{"text":"Bees are busy."}]}]}`
	srv.Fail(Status(403).ForModel("models/gemini-3.1-flash-image").Always(), Status(503), Billing().ForModel("gemini-3.8-flash-tts"))
	// The text model passes the image model's fault by and takes the 503.
	if code, _ := post(t, srv.URL()+endpoint, "k", valid); code != 503 {
		t.Fatalf("text call: %d, want the 503 queued behind the image fault", code)
	}
	if code, _ := post(t, srv.URL()+endpoint, "k", valid); code != 200 {
		t.Fatalf("second text call: %d", code)
	}
	for i := range 3 {
		code, b := post(t, image, "k", imageReq)
		var e errorBody
		json.Unmarshal(b, &e)
		if code != 403 || e.Error.Status != "PERMISSION_DENIED" {
			t.Fatalf("image call %d: %d %s", i, code, b)
		}
	}
	code, b := post(t, srv.URL()+"/v1beta/models/gemini-3.8-flash-tts:generateContent", "k",
		`{"contents":[{"parts":[{"text":"Hello there."}]}],"generationConfig":{"responseModalities":["AUDIO"]}}`)
	var e errorBody
	json.Unmarshal(b, &e)
	if code != 400 || e.Error.Status != "FAILED_PRECONDITION" || !strings.Contains(e.Error.Message, "billing") {
		t.Fatalf("speech call: %d %s", code, b)
	}
	if n := srv.PendingFaults(); n != 1 {
		t.Fatalf("%d faults pending, want the image model's, kept", n)
	}
	srv.ClearFaults()
	if code, _ := post(t, image, "k", imageReq); code != 200 {
		t.Fatalf("image call after ClearFaults: %d", code)
	}
	want := []string{"status 503", "", "status 403, model gemini-3.1-flash-image, always", "status 403, model gemini-3.1-flash-image, always",
		"status 403, model gemini-3.1-flash-image, always", "status 400, FAILED_PRECONDITION, model gemini-3.8-flash-tts", ""}
	for i, r := range srv.Requests() {
		if r.Fault != want[i] {
			t.Errorf("request %d fault %q, want %q", i, r.Fault, want[i])
		}
	}
}
