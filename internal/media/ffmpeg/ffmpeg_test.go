package ffmpeg

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
)

func newRunner(t *testing.T) *Runner {
	t.Helper()
	r, err := New(Config{})
	if err != nil {
		t.Skip("ffmpeg not installed")
	}
	return r
}

func TestNotFound(t *testing.T) {
	_, err := New(Config{FFmpegPath: "/nonexistent/ffmpeg"})
	e, ok := errcode.As(err)
	if !ok || e.Code != errcode.FFmpegNotFound || e.Retryable {
		t.Fatalf("got %v, want non-retryable FFMPEG_NOT_FOUND", err)
	}
	if !strings.Contains(e.Message, "apt-get install ffmpeg") || !strings.Contains(e.Message, "brew install ffmpeg") {
		t.Errorf("message lacks install hints: %q", e.Message)
	}
}

func TestRunProgress(t *testing.T) {
	r := newRunner(t)
	out := filepath.Join(t.TempDir(), "out.mp4")
	var mu sync.Mutex
	var reports []Progress
	err := r.Run(context.Background(), []string{
		"-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=4", "-c:v", "libx264", "-preset", "ultrafast", out,
	}, RunOptions{Expected: 4 * time.Second, OnProgress: func(p Progress) {
		mu.Lock()
		reports = append(reports, p)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) == 0 {
		t.Fatal("no progress reported")
	}
	last := reports[len(reports)-1]
	if !last.Done || last.Fraction != 1 || last.Frame != 120 {
		t.Fatalf("last report %+v, want done at frame 120", last)
	}
	for i := 1; i < len(reports); i++ {
		if reports[i].Fraction < reports[i-1].Fraction {
			t.Fatalf("fraction went back: %v then %v", reports[i-1].Fraction, reports[i].Fraction)
		}
	}
}

func TestParseProgress(t *testing.T) {
	in := "frame=10\nfps=0.0\nout_time_us=N/A\nout_time_ms=N/A\nspeed=N/A\nprogress=continue\n" +
		"frame=60\nout_time_us=2000000\nout_time_ms=2000000\nspeed=2.5x\nprogress=continue\n" +
		"frame=120\nout_time_ms=4000000\nspeed=2.6x\nprogress=end\n"
	var got []Progress
	parseProgress(strings.NewReader(in), 4*time.Second, time.Now().Add(-time.Second), func(p Progress) { got = append(got, p) })
	if len(got) != 3 {
		t.Fatalf("%d reports", len(got))
	}
	if got[0].OutTime != 0 || got[0].Fraction != 0 || got[0].Frame != 10 {
		t.Errorf("N/A values: %+v", got[0])
	}
	if got[1].OutTime != 2*time.Second || got[1].Fraction != 0.5 || got[1].Speed != 2.5 || got[1].ETA <= 0 {
		t.Errorf("middle: %+v", got[1])
	}
	if !got[2].Done || got[2].Fraction != 1 || got[2].OutTime != 4*time.Second {
		t.Errorf("end (out_time_ms is microseconds): %+v", got[2])
	}
}

func TestRunFailure(t *testing.T) {
	r := newRunner(t)
	err := r.Run(context.Background(), []string{"-i", "/nonexistent/input.mp4", "-f", "null", "-"}, RunOptions{})
	e, ok := errcode.As(err)
	if !ok || e.Code != errcode.FFmpegFailed || e.Retryable {
		t.Fatalf("got %v, want non-retryable FFMPEG_FAILED", err)
	}
	stderr, _ := e.Details["stderr"].(string)
	if !strings.Contains(stderr, "No such file or directory") {
		t.Errorf("stderr detail %q", stderr)
	}
	if e.Details["exit_code"] != 1 {
		t.Errorf("exit code %v", e.Details["exit_code"])
	}
}

// alive reports whether a process exists (zombies count as gone).
func alive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

func TestCancelKillsFFmpeg(t *testing.T) {
	r := newRunner(t)
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	var once sync.Once
	errc := make(chan error, 1)
	go func() {
		errc <- r.Run(ctx, []string{"-re", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=30", "-f", "null", "-"},
			RunOptions{OnProgress: func(Progress) { once.Do(func() { close(started) }) }})
	}()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("ffmpeg did not start")
	}
	pids := childPIDs(t)
	cancel()
	t0 := time.Now()
	err := <-errc
	if d := time.Since(t0); d > 1500*time.Millisecond {
		t.Errorf("Run returned %v after cancellation", d)
	}
	if !errors.Is(err, context.Canceled) || errcode.Code(err) != errcode.Cancelled {
		t.Fatalf("got %v, want CANCELLED wrapping context.Canceled", err)
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("process %d still running", pid)
		}
	}
}

// TestCancelKillsStubbornGroup runs a program that ignores SIGTERM and
// has a child: both must be killed.
func TestCancelKillsStubbornGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	script := filepath.Join(dir, "ffmpeg")
	body := "#!/bin/sh\ntrap '' TERM\nsleep 30 &\necho $! > " + pidFile + "\nwhile :; do sleep 0.05; done\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	r := &Runner{ffmpeg: script, ffprobe: script, grace: 200 * time.Millisecond}
	r.log = slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- r.Run(ctx, nil, RunOptions{}) }()
	var child int
	deadline := time.Now().Add(5 * time.Second)
	for child == 0 && time.Now().Before(deadline) {
		if b, err := os.ReadFile(pidFile); err == nil && len(strings.TrimSpace(string(b))) > 0 {
			child, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		} else {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if child == 0 {
		t.Fatal("script did not start its child")
	}
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Run did not return after cancellation")
	}
	deadline = time.Now().Add(2 * time.Second)
	for alive(child) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if alive(child) {
		_ = syscall.Kill(child, syscall.SIGKILL)
		t.Fatal("the program's child outlived the cancellation")
	}
}

// childPIDs lists this process's children.
func childPIDs(t *testing.T) []int {
	t.Helper()
	entries, _ := os.ReadDir("/proc")
	me := strconv.Itoa(os.Getpid())
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(data)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) > 1 && fields[1] == me {
			out = append(out, pid)
		}
	}
	if len(out) == 0 {
		t.Fatal("no child process found")
	}
	return out
}

func TestProbe(t *testing.T) {
	r := newRunner(t)
	out := filepath.Join(t.TempDir(), "clip.mp4")
	if err := r.Run(context.Background(), []string{
		"-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=2", "-f", "lavfi", "-i", "sine=f=440:d=2:sample_rate=44100",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-ac", "2", out,
	}, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	info, err := r.Probe(context.Background(), out)
	if err != nil {
		t.Fatal(err)
	}
	v, ok := info.Video()
	if !ok || v.Codec != "h264" || v.Width != 320 || v.Height != 240 || v.PixFmt != "yuv420p" ||
		v.RFrameRate != (Rational{25, 1}) || v.NbFrames != 50 {
		t.Fatalf("video %+v", v)
	}
	a, ok := info.Audio()
	if !ok || a.Codec != "aac" || a.SampleRate != 44100 || a.Channels != 2 {
		t.Fatalf("audio %+v", a)
	}
	if info.Duration < 1900*time.Millisecond || info.Duration > 2100*time.Millisecond || info.Size <= 0 {
		t.Fatalf("format %+v", info)
	}
	if _, err := r.Probe(context.Background(), filepath.Join(t.TempDir(), "missing.mp4")); errcode.Code(err) != errcode.FFmpegFailed {
		t.Fatalf("missing file: %v", err)
	}
}

// TestStorageFailuresAreTold writes ffmpeg's output where the system
// refuses it: /dev/full (every write fails with ENOSPC; ffmpeg reports it
// while writing the trailer yet exits with 0) and, as root, a read-only
// tmpfs. The errors must say DISK_FULL and FILE_SYSTEM_ERROR, not
// FFMPEG_FAILED or success, and must not be retryable.
func TestStorageFailuresAreTold(t *testing.T) {
	r := newRunner(t)
	src := []string{"-f", "lavfi", "-i", "testsrc=d=1:s=64x64", "-f", "mpegts"}
	err := r.Run(context.Background(), append(src, "/dev/full"), RunOptions{})
	if errcode.Code(err) != errcode.DiskFull || errcode.IsRetryable(err) {
		t.Fatalf("/dev/full: %v", err)
	}
	if os.Geteuid() != 0 {
		t.Skip("a read-only tmpfs needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m,ro", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	err = r.Run(context.Background(), append(src, filepath.Join(dir, "out.ts")), RunOptions{})
	if e, _ := errcode.As(err); e == nil || e.Code != errcode.FileSystemError || e.Retryable || e.Details["reported_as"] != errcode.FFmpegFailed {
		t.Fatalf("read-only: %v", err)
	}
}
