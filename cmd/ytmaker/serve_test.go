package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/redistest"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// binary builds ytmaker once for the tests that run it as a user would.
func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ytmaker-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "ytmaker")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = err
			binPath = string(out)
		}
	})
	if binErr != nil {
		t.Fatalf("build ytmaker: %v\n%s", binErr, binPath)
	}
	return binPath
}

func freePort(t *testing.T) int { return redistest.FreePort(t) }

func listening(port int) bool {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 200*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

type served struct {
	cmd    *exec.Cmd
	addr   string
	output *strings.Builder
	mu     *sync.Mutex
	exited chan struct{}
}

func (s *served) out() string { s.mu.Lock(); defer s.mu.Unlock(); return s.output.String() }

// serve starts `ytmaker serve` with a clean environment.
func serve(t *testing.T, args ...string) *served {
	t.Helper()
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	return spawn(t, addr, []string{"HOME=" + t.TempDir(), "WORKER_CONCURRENCY=2", "SHUTDOWN_TIMEOUT=3s"},
		append([]string{"serve", "--addr", addr}, args...)...)
}

// spawn starts ytmaker with args, PATH and env only, no .env file, its
// output collected; addr is the HTTP address it serves, if any. The
// process is killed at the end of the test if still running.
func spawn(t *testing.T, addr string, env []string, args ...string) *served {
	t.Helper()
	cmd := exec.Command(binary(t), append(args, "--env-file", "/nonexistent")...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	s := &served{cmd: cmd, addr: addr, output: &strings.Builder{}, mu: &sync.Mutex{}, exited: make(chan struct{})}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			s.mu.Lock()
			s.output.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
		}
	}()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); pw.Close(); close(s.exited) }()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			cmd.Process.Kill()
			<-s.exited
		}
	})
	return s
}

func (s *served) status(t *testing.T) (map[string]any, bool) {
	resp, err := http.Get("http://" + s.addr + "/status")
	if err != nil {
		return nil, false
	}
	defer resp.Body.Close()
	var doc map[string]any
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&doc) != nil {
		return nil, false
	}
	return doc, true
}

func (s *served) waitHealthy(t *testing.T) map[string]any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if doc, ok := s.status(t); ok && doc["data"].(map[string]any)["status"] == "healthy" {
			return doc
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("serve never became healthy; output:\n%s", s.out())
	return nil
}

func (s *served) interrupt(t *testing.T, within time.Duration) int {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.exited:
	case <-time.After(within):
		t.Fatalf("serve did not exit within %s after SIGINT; output:\n%s", within, s.out())
	}
	return s.cmd.ProcessState.ExitCode()
}

func TestServeStartsRedisAndShutsDownCleanly(t *testing.T) {
	redisPort := freePort(t)
	dir := t.TempDir()
	s := serve(t, "--data-dir", dir, "--redis-url", "redis://127.0.0.1:"+strconv.Itoa(redisPort)+"/0")
	doc := s.waitHealthy(t)
	svc := doc["data"].(map[string]any)["services"].(map[string]any)
	if svc["redis"].(map[string]any)["process"] != true || svc["worker"].(map[string]any)["alive"] != true || svc["beat"].(map[string]any)["alive"] != true {
		t.Fatalf("services %v", svc)
	}
	// `ytmaker status` agrees and exits 0.
	st := exec.Command(binary(t), "status", "--addr", s.addr, "--env-file", "/nonexistent")
	if out, err := st.CombinedOutput(); err != nil || !strings.Contains(string(out), "HEALTHY") {
		t.Fatalf("ytmaker status: %v\n%s", err, out)
	}
	// The Redis it started wants the password in DATA_DIR/redis/password;
	// every client serve built (here the dashboard's) uses it, and a
	// separate client command finds it too.
	if fi, err := os.Stat(filepath.Join(dir, "redis", "password")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("password file: %v", err)
	}
	if resp, err := http.Get("http://" + s.addr + "/monitor/api/queues"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("dashboard against the password-protected Redis: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	// debug-task through the server (--addr), like every client command.
	dt := exec.Command(binary(t), "debug-task", "--addr", s.addr, "--wait", "20s", "--env-file", "/nonexistent")
	if out, err := dt.CombinedOutput(); err != nil || !strings.Contains(string(out), "through "+s.addr) || !strings.Contains(string(out), "result:") {
		t.Fatalf("ytmaker debug-task --addr: %v\n%s", err, out)
	}
	dt = exec.Command(binary(t), "debug-task", "--wait", "20s", "--env-file", "/nonexistent", "--data-dir", dir,
		"--redis-url", "redis://127.0.0.1:"+strconv.Itoa(redisPort)+"/0")
	if out, err := dt.CombinedOutput(); err != nil || !strings.Contains(string(out), "result:") {
		t.Fatalf("ytmaker debug-task against the password-protected Redis: %v\n%s", err, out)
	}
	if code := s.interrupt(t, 3*time.Second+5*time.Second); code != 0 {
		t.Fatalf("exit code %d; output:\n%s", code, s.out())
	}
	for _, line := range []string{"YTMaker shutting down...", "✓ Beat stopped", "✓ Worker stopped", "✓ Redis stopped", "✅ YTMaker shut down cleanly"} {
		if !strings.Contains(s.out(), line) {
			t.Errorf("missing %q in:\n%s", line, s.out())
		}
	}
	if listening(redisPort) {
		t.Fatal("the Redis serve started is still listening after it exited")
	}
	if _, err := os.Stat(filepath.Join(dir, "redis", "appendonlydir")); err != nil {
		t.Fatalf("no append-only file under DATA_DIR/redis: %v", err)
	}
	// With nothing serving, `ytmaker status` says so and exits 1.
	st = exec.Command(binary(t), "status", "--addr", s.addr, "--env-file", "/nonexistent")
	if err := st.Run(); err == nil || st.ProcessState.ExitCode() != 1 {
		t.Fatalf("status with no server: %v", err)
	}
}

func TestServeAttachesToRunningRedisAndLeavesIt(t *testing.T) {
	r := redistest.Start(t)
	s := serve(t, "--data-dir", t.TempDir(), "--redis-url", r.URL(0))
	doc := s.waitHealthy(t)
	if p := doc["data"].(map[string]any)["services"].(map[string]any)["redis"].(map[string]any)["process"]; p != false {
		t.Fatalf("redis.process = %v, want false (attached)", p)
	}
	if code := s.interrupt(t, 8*time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if err := r.Client().Ping(context.Background()).Err(); err != nil {
		t.Fatalf("attached Redis was stopped: %v", err)
	}
	if !strings.Contains(s.out(), "✓ Redis left running (not started by YTMaker)") {
		t.Fatalf("no word about the Redis left running:\n%s", s.out())
	}
}

func TestBadConfigurationExits2WithOneLine(t *testing.T) {
	cases := [][]string{
		{"serve", "--redis-url", "not-a-url"},
		{"serve", "--addr", "127.0.0.1:99999"},
		{"serve", "--concurrency", "-1"},
		{"worker", "--shutdown-timeout", "soon"},
	}
	for _, args := range cases {
		cmd := exec.Command(binary(t), append(args, "--env-file", "/nonexistent")...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
		out, err := cmd.CombinedOutput()
		if err == nil || cmd.ProcessState.ExitCode() != 2 {
			t.Errorf("%v: exit %v, want 2", args, err)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) != 1 || !strings.Contains(lines[0], "config:") {
			t.Errorf("%v: want one config line, got:\n%s", args, out)
		}
	}
	// An environment value is named with its key.
	cmd := exec.Command(binary(t), "serve", "--env-file", "/nonexistent")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "REDIS_PORT=70000"}
	out, _ := cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(out), `REDIS_PORT="70000"`) {
		t.Errorf("REDIS_PORT=70000: exit %d, %s", cmd.ProcessState.ExitCode(), out)
	}
}

func TestServeRefusesPublicAddressWithoutToken(t *testing.T) {
	cmd := exec.Command(binary(t), "serve", "--addr", "0.0.0.0:"+strconv.Itoa(freePort(t)), "--env-file", "/nonexistent")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	out, _ := cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(out), "API_TOKEN") {
		t.Fatalf("exit %d, output %s", cmd.ProcessState.ExitCode(), out)
	}
}

func TestHelpOnEveryCommand(t *testing.T) {
	for _, c := range []string{"serve", "worker", "scheduler", "status", "debug-task", "generate", "version"} {
		cmd := exec.Command(binary(t), c, "--help")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Usage: ytmaker") && c != "version" {
			t.Errorf("%s --help: %v\n%s", c, err, out)
		}
	}
}

// TestWorkerMetricsAddr: `ytmaker worker --metrics-addr` serves the
// worker's own /metrics, with the API's Host rules (no token: loopback
// names only).
func TestWorkerMetricsAddr(t *testing.T) {
	srv := redistest.Start(t)
	port := freePort(t)
	cmd := exec.Command(binary(t), "worker", "--metrics-addr", "127.0.0.1:"+strconv.Itoa(port), "--env-file", "/nonexistent",
		"--data-dir", t.TempDir(), "--redis-url", srv.URL(0))
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "WORKER_CONCURRENCY=1", "SHUTDOWN_TIMEOUT=2s"}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for !listening(port) {
		if time.Now().After(deadline) {
			t.Fatal("worker never served --metrics-addr")
		}
		time.Sleep(50 * time.Millisecond)
	}
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/metrics"
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "go_goroutines") {
		t.Fatalf("GET /metrics: %d %.300s", res.StatusCode, body)
	}
	req, _ := http.NewRequest("GET", url, nil)
	req.Host = "evil.example"
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMisdirectedRequest {
		t.Fatalf("GET /metrics with Host evil.example: %d, want 421", res.StatusCode)
	}
}
