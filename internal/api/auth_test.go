package api

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/stage"
	"github.com/ytmaker/ytmaker/tasks"
)

func TestTokenRequired(t *testing.T) {
	const token = "s3cret-token-value"
	e := newEnv(t, envOptions{token: token, monitor: true})
	id := e.createProject("auth") // e.do sends the token
	raw := func(method, path, auth string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, e.srv.URL+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), token) {
			t.Fatalf("%s %s: the token appears in the answer", method, path)
		}
		return resp
	}
	paths := []string{"/status", "/metrics", "/monitor/", "/monitor/api/queues", "/api/v1/projects",
		fmt.Sprintf("/api/v1/projects/%d", id), fmt.Sprintf("/api/v1/projects/%d/events", id),
		fmt.Sprintf("/api/v1/projects/%d/video", id), "/api/v1/openapi.json", "/api/v1/quotas", "/api/v1/nothing",
		"/api/v1/brands", "/api/v1/brands/rivers", "/api/v1/brands/rivers/logo"}
	for _, p := range paths {
		for _, auth := range []string{"", "Bearer wrong", "Bearer " + token + "x", "Basic Zm9vOmJhcg==", "Token " + token, "bearer"} {
			if resp := raw("GET", p, auth); resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
				t.Fatalf("GET %s with %q: HTTP %d", p, auth, resp.StatusCode)
			}
		}
	}
	e.token = ""
	e.do("POST", fmt.Sprintf("/api/v1/projects/%d/generate", id), nil).fails(401, "UNAUTHORIZED")
	e.do("GET", "/api/v1/projects", nil, "Authorization", "Bearer nope").fails(401, "INVALID_TOKEN")
	e.token = token
	if resp := raw("GET", "/health", ""); resp.StatusCode != 200 {
		t.Fatalf("/health without a token: %d", resp.StatusCode)
	}
	for _, p := range paths[:5] {
		if resp := raw("GET", p, "Bearer "+token); resp.StatusCode != 200 {
			t.Fatalf("GET %s with the token: %d", p, resp.StatusCode)
		}
		if resp := raw("GET", p, "bearer  "+token); resp.StatusCode != 200 {
			t.Fatalf("GET %s with a lower-case scheme: %d", p, resp.StatusCode)
		}
	}
	// Browsers: the dashboard takes Basic credentials (password = token);
	// the progress streams take ?access_token=; nothing else does.
	req, _ := http.NewRequest("GET", e.srv.URL+"/monitor/", nil)
	req.SetBasicAuth("admin", token)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("monitor with Basic: %v %v", err, resp)
	}
	req.SetBasicAuth("admin", token)
	req.URL.Path = "/api/v1/projects"
	if resp, _ := http.DefaultClient.Do(req); resp.StatusCode != 401 {
		t.Fatalf("Basic on the API: %d", resp.StatusCode)
	}
	ctx, cancel := context.WithCancel(context.Background())
	sreq, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+fmt.Sprintf("/api/v1/projects/%d/events?access_token=%s", id, token), nil)
	sresp, err := http.DefaultClient.Do(sreq)
	if err != nil || sresp.StatusCode != 200 {
		t.Fatalf("SSE with access_token: %v %v", err, sresp)
	}
	cancel()
	sresp.Body.Close()
	if resp := raw("GET", "/api/v1/projects?access_token="+token, ""); resp.StatusCode != 401 {
		t.Fatalf("access_token on a JSON endpoint: %d", resp.StatusCode)
	}
	wsURL := strings.Replace(e.srv.URL, "http://", "ws://", 1) + fmt.Sprintf("/api/v1/projects/%d/progress", id)
	if _, resp, err := websocket.Dial(context.Background(), wsURL, nil); err == nil || resp.StatusCode != 401 {
		t.Fatalf("websocket without a token: %v", err)
	}
	c, _, err := websocket.Dial(context.Background(), wsURL+"?access_token="+token, nil)
	if err != nil {
		t.Fatalf("websocket with access_token: %v", err)
	}
	c.CloseNow()
}

func TestCrossOriginWritesRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	id := e.createProject("csrf")
	path := fmt.Sprintf("/api/v1/projects/%d/cancel", id)
	e.do("POST", path, nil, "Sec-Fetch-Site", "cross-site").fails(403, "CROSS_ORIGIN_REJECTED")
	e.do("POST", path, nil, "Origin", "https://evil.example").fails(403, "CROSS_ORIGIN_REJECTED")
	// Same-origin browsers and non-browser clients pass.
	e.do("POST", path, nil, "Sec-Fetch-Site", "same-origin").fails(409, "PROJECT_NOT_RUNNING")
	e.do("POST", path, nil).fails(409, "PROJECT_NOT_RUNNING")
	// Reads are not affected.
	e.do("GET", fmt.Sprintf("/api/v1/projects/%d", id), nil, "Sec-Fetch-Site", "cross-site").ok(200, nil)
	// Another site's page cannot open the progress WebSocket; the refusal
	// is the API's coded answer.
	ws := fmt.Sprintf("/api/v1/projects/%d/progress", id)
	upgrade := []string{"Connection", "Upgrade", "Upgrade", "websocket", "Sec-WebSocket-Version", "13",
		"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}
	e.do("GET", ws, nil, append(upgrade, "Origin", "https://evil.example")...).fails(403, "CROSS_ORIGIN_REJECTED")
	e.do("GET", ws, nil, append(upgrade, "Origin", "null")...).fails(403, "CROSS_ORIGIN_REJECTED")
}

func TestNoSecretsInStatusOrLogsPaths(t *testing.T) {
	// The request log holds the path only, never the query (which may
	// carry an access token).
	var buf strings.Builder
	e := newEnv(t, envOptions{token: "tok-123"})
	e.api.log = newBufferLogger(&buf)
	e.do("GET", "/api/v1/projects/1/events?access_token=tok-123", nil, "Authorization", "")
	if strings.Contains(buf.String(), "tok-123") {
		t.Fatalf("token in the log: %s", buf.String())
	}
	if !strings.Contains(buf.String(), "/api/v1/projects/1/events") {
		t.Fatalf("request not logged: %q", buf.String())
	}
}

func newBufferLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func TestMetricsExposure(t *testing.T) {
	e := newEnv(t, envOptions{worker: true})
	e.stages.on(project.StageAssets, func(ctx context.Context, job stage.Job) (any, error) {
		if job.Attempt() == 1 {
			return nil, fmt.Errorf("transient failure") // retried after 2 s
		}
		return defaultStage(project.StageAssets)(ctx, job)
	})
	id := e.createProject("metrics")
	e.do("POST", fmt.Sprintf("/api/v1/projects/%d/generate", id), nil).ok(202, nil)
	e.waitStatus(id, project.Completed, 30*time.Second)
	e.metrics.RenderFinished(60, 5)
	e.metrics.UploadBytes(1 << 20)
	scrape := func() string {
		t.Helper()
		resp, err := http.Get(e.srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return string(b)
	}
	wants := []string{
		`ytmaker_tasks_processed_total{queue="video_generation",task="generate_script_task"} 1`,
		`ytmaker_tasks_processed_total{queue="video_generation",task="generate_assets_task"} 2`,
		`ytmaker_tasks_retried_total{queue="video_generation",task="generate_assets_task"} 1`,
		`ytmaker_stage_duration_seconds_count{outcome="ok",stage="render"} 1`,
		`ytmaker_stage_duration_seconds_count{outcome="error",stage="assets"} 1`,
		`ytmaker_queue_depth{queue="video_generation",state="pending"} 0`,
		`ytmaker_queue_depth{queue="maintenance",state="active"} 0`,
		`ytmaker_queue_inspect_up 1`,
		`ytmaker_render_last_speed_ratio 12`,
		`ytmaker_upload_bytes_total 1.048576e+06`,
		`ytmaker_http_requests_total{code="202",route="POST /api/v1/projects/{id}/generate"} 1`,
	}
	// A task is counted after its handler returns, which may be a moment
	// after the state file says the project is complete.
	var text string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		text = scrape()
		missing := 0
		for _, want := range wants {
			if !strings.Contains(text, want) {
				missing++
			}
		}
		if missing == 0 || time.Now().After(deadline) {
			break
		}
	}
	for _, want := range wants {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	name := regexp.MustCompile(`(?m)^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]`)
	for _, m := range name.FindAllStringSubmatch(text, -1) {
		if !strings.HasPrefix(m[1], "ytmaker_") {
			t.Fatalf("metric %s is not prefixed ytmaker_", m[1])
		}
	}
}

func TestMonitorUnderPrefix(t *testing.T) {
	e := newEnv(t, envOptions{monitor: true})
	if _, err := e.client.Delay(context.Background(), tasks.DebugTask, tasks.Args{}); err != nil {
		t.Fatal(err)
	}
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Get(e.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	resp, page := get("/monitor")
	if i := strings.Index(page, "FLAG_ROOT_PATH"); resp.StatusCode != 200 || i < 0 {
		t.Fatalf("/monitor (redirected): %d %.200s", resp.StatusCode, page)
	} else if root := page[i : i+40]; !strings.Contains(root, `"/monitor"`) && !strings.Contains(root, `"\/monitor"`) {
		t.Fatalf("root path in the page: %s", root)
	}
	js := regexp.MustCompile(`src="(/monitor/static/js/main\.[0-9a-f]+\.chunk\.js)"`).FindStringSubmatch(page)
	if js == nil {
		t.Fatalf("no script under /monitor/ in the page: %.500s", page)
	}
	resp, body := get(js[1])
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/javascript") || len(body) < 1000 {
		t.Fatalf("%s: %d %s", js[1], resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	resp, body = get("/monitor/api/queues")
	if resp.StatusCode != 200 || !strings.Contains(body, `"queue":"maintenance"`) {
		t.Fatalf("/monitor/api/queues: %d %s", resp.StatusCode, body)
	}
	resp, body = get("/monitor/api/queues/maintenance/pending_tasks")
	if resp.StatusCode != 200 || !strings.Contains(body, "debug_task") {
		t.Fatalf("pending tasks: %d %s", resp.StatusCode, body)
	}
}

func TestAllowedOriginsGetCORS(t *testing.T) {
	e := newEnv(t, envOptions{})
	s := New(Config{Engine: e.engine, AllowedOrigins: []string{"http://localhost:3000", "not an origin"}, Token: "tok"})
	srv := httptest.NewServer(s)
	defer srv.Close()
	do := func(method, origin string, h ...string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+"/api/v1/projects", strings.NewReader(`{"name":"n","content":"c"}`))
		req.Header.Set("Origin", origin)
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(h); i += 2 {
			req.Header.Set(h[i], h[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	// A preflight needs no token.
	resp := do("OPTIONS", "http://localhost:3000", "Access-Control-Request-Method", "POST")
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:3000" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	// Every method a route has may be asked for: PUT saves scripts,
	// media, brands and templates.
	for _, m := range []string{"PUT", "PATCH", "DELETE", "POST"} {
		resp = do("OPTIONS", "http://localhost:3000", "Access-Control-Request-Method", m)
		allowed := strings.Split(resp.Header.Get("Access-Control-Allow-Methods"), ", ")
		if resp.StatusCode != 204 || !slices.Contains(allowed, m) {
			t.Errorf("preflight for %s: %d, allowed %q", m, resp.StatusCode, allowed)
		}
	}
	resp = do("POST", "http://localhost:3000", "Authorization", "Bearer tok", "Sec-Fetch-Site", "cross-site")
	if resp.StatusCode != 201 || resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:3000" {
		t.Fatalf("allowed origin: %d %v", resp.StatusCode, resp.Header)
	}
	if exp := resp.Header.Get("Access-Control-Expose-Headers"); !strings.Contains(exp, "Location") {
		t.Fatalf("the created project's Location is hidden from the front end: %q", exp)
	}
	resp = do("POST", "http://evil.example", "Authorization", "Bearer tok", "Sec-Fetch-Site", "cross-site")
	if resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("other origin: %d %v", resp.StatusCode, resp.Header)
	}
}
