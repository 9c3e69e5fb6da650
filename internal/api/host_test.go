package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHostCheckAllows(t *testing.T) {
	h := newHostCheck([]string{"https://App.Example.com", "http://localhost:3000", "junk"})
	for host, want := range map[string]bool{
		"127.0.0.1": true, "127.0.0.1:8000": true, "127.1.2.3:80": true, "localhost": true, "LOCALHOST:8000": true,
		"localhost.:8000": true, "[::1]": true, "[::1]:8000": true, "app.example.com": true, "app.example.com:443": true,
		"": false, "evil.example": false, "evil.example:8000": false, "127.0.0.1.nip.io:8000": false,
		"localhost.evil.example": false, "10.0.0.5:8000": false, "[::2]:8000": false, "::1": false,
		"0.0.0.0:8000": false, "example.com": false, "sub.app.example.com": false,
	} {
		if got := h.allows(host); got != want {
			t.Errorf("allows(%q) = %v, want %v", host, got, want)
		}
	}
}

// A page whose name is re-pointed at 127.0.0.1 (DNS rebinding) sends its
// own name as Host: without a token every route refuses it.
func TestDNSRebindingRefusedWithoutToken(t *testing.T) {
	e := newEnv(t, envOptions{monitor: true, origins: []string{"http://studio.example:3000"}})
	id := e.createProject("rebind")
	send := func(method, path, host string, hdr ...string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, e.srv.URL+path, nil)
		req.Host = host
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	proj := fmt.Sprintf("/api/v1/projects/%d", id)
	routes := []struct{ method, path string }{
		{"GET", "/status"}, {"GET", "/health"}, {"GET", "/metrics"}, {"GET", "/monitor/"}, {"GET", "/monitor/api/queues"},
		{"GET", "/api/v1/projects"}, {"GET", proj}, {"DELETE", proj}, {"POST", proj + "/pause"},
		{"GET", proj + "/events"}, {"GET", proj + "/video"}, {"GET", "/api/v1/openapi.json"}, {"GET", "/api/v1/nothing"},
	}
	_, port, _ := net.SplitHostPort(e.srv.Listener.Addr().String())
	for _, host := range []string{"attacker.example", "attacker.example:" + port, "127.0.0.1.attacker.example"} {
		for _, rt := range routes {
			resp, body := send(rt.method, rt.path, host)
			var env struct {
				Success bool
				Error   struct {
					Code    string
					Details map[string]any
				}
			}
			json.Unmarshal(body, &env)
			if resp.StatusCode != http.StatusMisdirectedRequest || env.Success || env.Error.Code != CodeHostNotAllowed {
				t.Fatalf("%s %s with Host %q: HTTP %d %s", rt.method, rt.path, host, resp.StatusCode, body)
			}
		}
		// The WebSocket upgrade too.
		resp, _ := send("GET", proj+"/progress", host, "Connection", "Upgrade", "Upgrade", "websocket",
			"Sec-WebSocket-Version", "13", "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
		if resp.StatusCode != http.StatusMisdirectedRequest {
			t.Fatalf("WebSocket with Host %q: HTTP %d", host, resp.StatusCode)
		}
	}
	if e.project(id).Name != "rebind" {
		t.Fatal("the project changed through a refused Host")
	}
	for _, host := range []string{"127.0.0.1", "localhost:8000", "[::1]:8000", "studio.example:3000", "studio.example"} {
		if resp, body := send("GET", proj, host); resp.StatusCode != 200 {
			t.Fatalf("Host %q: HTTP %d %s", host, resp.StatusCode, body)
		}
	}
}

// With API_TOKEN set the token is the guard, as before: any Host with it.
func TestTokenServerAcceptsAnyHost(t *testing.T) {
	e := newEnv(t, envOptions{token: "tok-123"})
	for _, auth := range []string{"Bearer tok-123", ""} {
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/projects", nil)
		req.Host = "api.example.com"
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := map[bool]int{true: 200, false: 401}[auth != ""]; resp.StatusCode != want {
			t.Fatalf("auth %q: HTTP %d, want %d", auth, resp.StatusCode, want)
		}
	}
}

func TestProtectGuardsHostWithoutToken(t *testing.T) {
	h := Protect("", nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	for host, want := range map[string]int{"127.0.0.1:5555": 204, "evil.example:5555": 421} {
		req, _ := http.NewRequest("GET", "http://"+host+"/", nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("Host %s: %d, want %d", host, rec.Code, want)
		}
	}
}
