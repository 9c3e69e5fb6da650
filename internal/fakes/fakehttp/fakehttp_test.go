package fakehttp

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// miniFault and miniRequest make a small fake in the way the package
// documentation describes.
type miniFault struct {
	base Fault
	kind string // "teapot" answers 418
}

func (f miniFault) String() string { return f.base.Describe(f.kind) }

type miniRequest struct {
	Path   string
	Status int
	Fault  string
}

type mini struct {
	*Server[miniFault, miniRequest]
	faults   Queue[miniFault]
	requests Log[miniRequest]
	seen     chan int // receives the record count as each answer starts
}

func newMini(t *testing.T) *mini {
	m := &mini{seen: make(chan int, 10)}
	m.Server = NewServer(http.HandlerFunc(m.serve), &m.faults, &m.requests)
	t.Cleanup(m.Close)
	return m
}

func (m *mini) serve(w http.ResponseWriter, r *http.Request) {
	rec := miniRequest{Path: r.URL.Path}
	w, save := m.requests.Track(w, &rec, &rec.Status)
	defer save()
	fault, _ := m.faults.Pop()
	rec.Fault = fault.String()
	if fault.base.Apply(w, r, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", func(code int, msg string) {
		JSON{}.Write(w, code, map[string]string{"error": msg})
	}) {
		return
	}
	if fault.kind == "teapot" {
		w.WriteHeader(http.StatusTeapot)
		return
	}
	io.WriteString(w, "ok")
}

func get(t *testing.T, url string) (*http.Response, []byte, error) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func TestServerRecordsRequestsBeforeAnswering(t *testing.T) {
	m := newMini(t)
	m.Fail(miniFault{base: Fault{Status: 503, Message: "busy", RetryAfter: 1500 * time.Millisecond}},
		miniFault{kind: "teapot"},
		miniFault{base: Fault{Drop: true}})
	if m.PendingFaults() != 3 {
		t.Fatalf("pending %d", m.PendingFaults())
	}

	resp, body, err := get(t, m.URL()+"/a")
	if err != nil || resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "2" ||
		resp.Header.Get("Content-Type") != "application/json" || string(body) != `{"error":"busy"}`+"\n" {
		t.Fatalf("status fault: %v %v %s", err, resp, body)
	}
	// The record is complete as soon as the client has the answer.
	if r := m.Requests()[0]; r.Status != 503 || r.Fault != "status 503, retry after 1.5s" {
		t.Errorf("record %+v", r)
	}

	resp, _, err = get(t, m.URL()+"/b")
	if err != nil || resp.StatusCode != http.StatusTeapot {
		t.Fatalf("teapot: %v %v", err, resp)
	}
	if r := m.Requests()[1]; r.Status != http.StatusTeapot || r.Fault != "teapot" {
		t.Errorf("record %+v", r)
	}

	if _, _, err := get(t, m.URL()+"/c"); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("dropped answer: %v, want unexpected EOF", err)
	}

	resp, body, err = get(t, m.URL()+"/d")
	if err != nil || resp.StatusCode != 200 || string(body) != "ok" {
		t.Fatalf("normal answer: %v %v %s", err, resp, body)
	}

	reqs := m.Requests()
	if m.Calls() != 4 || len(reqs) != 4 || m.PendingFaults() != 0 {
		t.Fatalf("calls %d, requests %d, pending %d", m.Calls(), len(reqs), m.PendingFaults())
	}
	if r := reqs[2]; r.Path != "/c" || r.Status != 0 || r.Fault != "drop" {
		t.Errorf("dropped record %+v", r)
	}
	if r := reqs[3]; r.Status != 200 || r.Fault != "" {
		t.Errorf("normal record %+v", r)
	}
	if got := m.requests.Since(3); len(got) != 1 || got[0].Path != "/d" {
		t.Errorf("Since(3) = %+v", got)
	}
	if got := m.requests.Since(9); len(got) != 0 {
		t.Errorf("Since(9) = %+v", got)
	}
}

func TestDelayEndsWhenTheClientGoesAway(t *testing.T) {
	m := newMini(t)
	m.Fail(miniFault{base: Fault{Delay: time.Minute}}, miniFault{base: Fault{Delay: time.Millisecond}})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", m.URL(), nil)
	start := time.Now()
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("want an error for the abandoned call")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("abandoned call took %v", d)
	}
	// A delay alone answers normally.
	resp, body, err := get(t, m.URL())
	if err != nil || resp.StatusCode != 200 || string(body) != "ok" {
		t.Fatalf("delayed answer: %v %v %s", err, resp, body)
	}
}

func TestQueue(t *testing.T) {
	var q Queue[int]
	if _, ok := q.Pop(); ok {
		t.Error("Pop on an empty queue")
	}
	q.Push(1, 2, 3, 4)
	if v, ok := q.Pop(); v != 1 || !ok {
		t.Errorf("Pop = %d, %v", v, ok)
	}
	even := func(v int) bool { return v%2 == 0 }
	if v, ok := q.PopIf(even); v != 2 || !ok {
		t.Errorf("PopIf = %d, %v", v, ok)
	}
	if _, ok := q.PopIf(even); ok || q.Len() != 2 {
		t.Errorf("PopIf took an odd head; %d left", q.Len())
	}
	// Take the first even item twice: keep it after the first use.
	uses := 0
	pick := func(v *int) (use, keep bool) {
		if *v%2 != 0 {
			return false, false
		}
		uses++
		*v += 10
		return true, uses < 2
	}
	if v, ok := q.Take(pick); v != 14 || !ok || q.Len() != 2 {
		t.Errorf("first Take = %d, %v; %d left", v, ok, q.Len())
	}
	if v, ok := q.Take(pick); v != 24 || !ok || q.Len() != 1 {
		t.Errorf("second Take = %d, %v; %d left", v, ok, q.Len())
	}
	if _, ok := q.Take(pick); ok {
		t.Error("Take found no even item and still reported one")
	}
	q.Clear()
	if q.Len() != 0 {
		t.Errorf("%d left after Clear", q.Len())
	}
}

func TestCounterIsSafeForConcurrentUse(t *testing.T) {
	var c Counter
	var wg sync.WaitGroup
	seen := make([]int, 100)
	for i := range seen {
		wg.Go(func() { seen[i] = c.Next() })
	}
	wg.Wait()
	got := map[int]bool{}
	for _, n := range seen {
		got[n] = true
	}
	if len(got) != 100 || got[0] || !got[1] || !got[100] {
		t.Errorf("numbers handed out: %v", seen)
	}
}

func TestDescribe(t *testing.T) {
	cases := []struct {
		f     Fault
		kind  string
		notes []string
		want  string
	}{
		{Fault{}, "", nil, ""},
		{Fault{Status: 429, RetryAfter: 7 * time.Second}, "", []string{"quota X"}, "status 429, quota X, retry after 7s"},
		{Fault{Drop: true, Delay: time.Second}, "", nil, "drop, delay 1s"},
		{Fault{}, "talk rejected", []string{"on POST /talks"}, "talk rejected, on POST /talks"},
	}
	for _, c := range cases {
		if got := c.f.Describe(c.kind, c.notes...); got != c.want {
			t.Errorf("%+v.Describe(%q, %q) = %q, want %q", c.f, c.kind, c.notes, got, c.want)
		}
	}
}

func TestJSON(t *testing.T) {
	v := map[string]string{"text": "<b>&</b>"}
	rec := httptest.NewRecorder()
	JSON{}.Write(rec, 201, v)
	if rec.Code != 201 || rec.Header().Get("Content-Type") != "application/json" ||
		rec.Header().Get("Content-Length") != "" || !strings.Contains(rec.Body.String(), `\u003cb\u003e\u0026`) {
		t.Errorf("zero JSON: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	rec = httptest.NewRecorder()
	JSON{ContentType: "application/json; charset=UTF-8", RawHTML: true, Length: true}.Write(rec, 200, v)
	if rec.Header().Get("Content-Type") != "application/json; charset=UTF-8" ||
		rec.Header().Get("Content-Length") != "20" || rec.Body.String() != `{"text":"<b>&</b>"}`+"\n" {
		t.Errorf("configured JSON: %v %q", rec.Header(), rec.Body)
	}
}

func TestGoogleAPIKey(t *testing.T) {
	req := func(header, query string) *http.Request {
		r := httptest.NewRequest("POST", "/v1/x"+query, nil)
		if header != "" {
			r.Header.Set("X-Goog-Api-Key", header)
		}
		r.Header.Set("Authorization", "Bearer secret")
		return r
	}
	if code, _, _ := CheckGoogleAPIKey(req("k", ""), "k", "x.googleapis.com"); code != 0 {
		t.Errorf("header key refused: %d", code)
	}
	if code, _, _ := CheckGoogleAPIKey(req("", "?key=any"), "", "x.googleapis.com"); code != 0 {
		t.Errorf("query key refused: %d", code)
	}
	if code, msg, _ := CheckGoogleAPIKey(req("", ""), "k", "x.googleapis.com"); code != 403 || !strings.Contains(msg, "unregistered callers") {
		t.Errorf("no key: %d %q", code, msg)
	}
	code, msg, details := CheckGoogleAPIKey(req("bad", ""), "k", "x.googleapis.com")
	info, _ := details[0].(map[string]any)
	if code != 400 || !strings.Contains(msg, "API key not valid") ||
		info["reason"] != "API_KEY_INVALID" || info["metadata"].(map[string]string)["service"] != "x.googleapis.com" {
		t.Errorf("wrong key: %d %q %v", code, msg, details)
	}

	header, query := WithoutGoogleKey(req("k", "?key=k&alt=json"))
	if header.Get("X-Goog-Api-Key") != "" || header.Get("Authorization") != "" || query.Has("key") || query.Get("alt") != "json" {
		t.Errorf("kept secrets: %v %v", header, query)
	}

	body := GoogleError(429, "RESOURCE_EXHAUSTED", "slow down", []any{GoogleRetryInfo(1500 * time.Millisecond)})
	rec := httptest.NewRecorder()
	JSON{}.Write(rec, 429, body)
	want := `{"error":{"code":429,"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1.5s"}],"message":"slow down","status":"RESOURCE_EXHAUSTED"}}` + "\n"
	if rec.Body.String() != want {
		t.Errorf("error body %s, want %s", rec.Body, want)
	}
	rec = httptest.NewRecorder()
	JSON{}.Write(rec, 404, GoogleError(404, "NOT_FOUND", "gone", nil))
	if strings.Contains(rec.Body.String(), "details") {
		t.Errorf("empty details kept: %s", rec.Body)
	}
}

func TestNewClientAppliesChangesInOrder(t *testing.T) {
	type config struct{ s string }
	newClient := func(c config) (string, error) { return c.s, nil }
	got := NewClient(t, newClient, config{"a"},
		func(c *config) { c.s += "b" },
		func(c *config) { c.s += "c" })
	if got != "abc" {
		t.Errorf("client built from %q", got)
	}
}
