// Package redisproc starts, supervises and stops a redis-server child
// process, and tells what listens on a Redis address.
package redisproc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/ytmaker/ytmaker/internal/media/childproc"
)

// ErrNotInstalled is returned when Redis must be started but
// redis-server cannot be found.
var ErrNotInstalled = errors.New(`redis-server is not installed; install it with one of:
  sudo apt-get install -y redis-server     (Debian, Ubuntu)
  brew install redis                       (macOS)
  docker run -d --name ytmaker-redis -p 6379:6379 redis:7-alpine
or point REDIS_URL at a running Redis`)

// ErrPortTaken is returned when the Redis port answers but not as Redis.
var ErrPortTaken = errors.New("port is in use by a program that is not Redis")

// redisChild is a redis-server we started and supervise.
type redisChild struct {
	bin      string
	dir      string
	host     string
	port     int
	password string
	backoff  time.Duration
	log      *slog.Logger

	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{}
	stopping bool
	restarts int
	lastExit string
	started  time.Time
	done     chan struct{} // closed when supervision ends
}

func (r *redisChild) addr() string { return net.JoinHostPort(r.host, strconv.Itoa(r.port)) }

func (r *redisChild) logPath() string { return filepath.Join(r.dir, "redis.log") }

// start launches redis-server and waits until it answers PING.
func (r *redisChild) start(ctx context.Context) error {
	bin, err := exec.LookPath(r.bin)
	if err != nil {
		return ErrNotInstalled
	}
	// Its files (append-only file, log, password) are the owner's alone.
	if err := privateDir(r.dir); err != nil {
		return err
	}
	args := []string{
		"--port", strconv.Itoa(r.port),
		"--bind", "127.0.0.1",
		"--dir", r.dir,
		"--appendonly", "yes",
		"--appendfsync", "everysec",
		"--maxmemory-policy", "noeviction",
		"--save", "",
		"--daemonize", "no",
		"--logfile", r.logPath(),
	}
	if r.password != "" {
		// From standard input ("-"), not the command line, where any
		// local user could read it in ps.
		args = append([]string{"-"}, args...)
	}
	out, err := os.OpenFile(r.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open %s: %w", r.logPath(), err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = r.dir
	// Early failures (before redis opens its log) land in the same file:
	// never an unread pipe.
	cmd.Stdout, cmd.Stderr = out, out
	if r.password != "" {
		cmd.Stdin = strings.NewReader("requirepass " + strconv.Quote(r.password) + "\n")
	}
	// Own process group: Ctrl+C in the terminal reaches only us, and we
	// stop Redis last. If we die, the kernel sends it SIGTERM, so it
	// flushes its append-only file and exits: no orphan.
	// The signal follows the thread that started the child, so it is
	// started (and waited for) from a goroutine locked to its thread.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	waited, err := childproc.StartLocked(cmd)
	if err != nil {
		out.Close()
		return fmt.Errorf("start redis-server: %w", err)
	}
	out.Close()
	if err := recordStart(r.dir, cmd.Process.Pid); err != nil {
		r.log.Warn("record which process started redis-server", "err", err)
	}
	exited := make(chan struct{})
	go func() {
		err := <-waited
		r.mu.Lock()
		r.lastExit = describeExit(err)
		r.mu.Unlock()
		close(exited)
	}()
	r.mu.Lock()
	if r.stopping {
		r.mu.Unlock()
		cmd.Process.Kill()
		<-exited
		return errors.New("redis-server is stopping")
	}
	r.cmd, r.exited, r.started = cmd, exited, time.Now()
	r.mu.Unlock()

	if err := waitRedis(ctx, r.addr(), r.password, 10*time.Second, exited); err != nil {
		r.kill()
		return fmt.Errorf("redis-server did not become ready: %w\n--- last lines of %s ---\n%s", err, r.logPath(), tail(r.logPath(), 15))
	}
	// redis-server creates its files with the process umask (often
	// 0644); the directory is 0700 already, and the files are narrowed
	// too, so no one else can read the data or the password.
	if err := narrowModes(r.dir); err != nil {
		r.log.Warn("narrow file modes", "dir", r.dir, "err", err)
	}
	r.log.Info("redis-server started", "addr", r.addr(), "pid", cmd.Process.Pid, "dir", r.dir)
	return nil
}

// narrowModes sets every file under dir to 0600 and every folder to 0700.
func narrowModes(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.Chmod(path, 0o700)
		case d.Type().IsRegular():
			return os.Chmod(path, 0o600)
		}
		return nil
	})
}

// supervise restarts Redis whenever it dies, with backoff, until stop.
func (r *redisChild) supervise() {
	r.done = make(chan struct{})
	go func() {
		defer close(r.done)
		backoff := r.backoff
		for {
			r.mu.Lock()
			exited := r.exited
			r.mu.Unlock()
			<-exited
			r.mu.Lock()
			if r.stopping {
				r.mu.Unlock()
				return
			}
			reason := r.lastExit
			ran := time.Since(r.started)
			r.mu.Unlock()
			if ran > 30*time.Second {
				backoff = r.backoff
			}
			r.log.Warn("redis-server exited unexpectedly; restarting", "reason", reason, "after", ran.Round(time.Second), "backoff", backoff)
			for {
				time.Sleep(backoff)
				backoff = min(backoff*2, 5*time.Second)
				r.mu.Lock()
				stopping := r.stopping
				r.mu.Unlock()
				if stopping {
					return
				}
				err := r.start(context.Background())
				if err == nil {
					r.mu.Lock()
					r.restarts++
					r.mu.Unlock()
					r.log.Info("redis-server restarted")
					break
				}
				r.log.Error("restart redis-server", "err", err)
			}
		}
	}()
}

// stop asks Redis to shut down (SIGTERM: it fsyncs its append-only file
// first) and waits; it kills it after timeout.
func (r *redisChild) stop(timeout time.Duration) error {
	r.mu.Lock()
	r.stopping = true
	r.mu.Unlock()
	var firstErr error
	for {
		r.mu.Lock()
		cmd, exited := r.cmd, r.exited
		r.mu.Unlock()
		if cmd == nil || cmd.Process == nil {
			break
		}
		select {
		case <-exited:
		default:
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(timeout):
				cmd.Process.Kill()
				<-exited
				if firstErr == nil {
					firstErr = fmt.Errorf("redis-server did not stop within %s; killed", timeout)
				}
			}
		}
		// The supervisor may have started a new one meanwhile.
		r.mu.Lock()
		same := r.cmd == cmd
		r.mu.Unlock()
		if same {
			break
		}
	}
	if r.done != nil {
		<-r.done
	}
	return firstErr
}

func (r *redisChild) kill() {
	r.mu.Lock()
	cmd, exited := r.cmd, r.exited
	r.mu.Unlock()
	if cmd != nil && cmd.Process != nil {
		cmd.Process.Kill()
		<-exited
	}
}

func (r *redisChild) info() (pid, restarts int, lastExit string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd != nil && r.cmd.Process != nil {
		pid = r.cmd.Process.Pid
	}
	return pid, r.restarts, r.lastExit
}

func describeExit(err error) string {
	if err == nil {
		return "exited with status 0"
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return "killed by signal " + ws.Signal().String()
		}
		return fmt.Sprintf("exited with status %d", ee.ExitCode())
	}
	return err.Error()
}

// waitRedis waits until a Redis at addr answers PING, the timeout passes,
// or exited closes (the process died).
func waitRedis(ctx context.Context, addr, password string, timeout time.Duration, exited <-chan struct{}) error {
	c := redis.NewClient(&redis.Options{Addr: addr, Password: password, MaxRetries: -1, DialTimeout: 200 * time.Millisecond,
		DialerRetries: 1})
	defer c.Close()
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		pctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		err = c.Ping(pctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return errors.New("redis-server exited during start-up")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
	return fmt.Errorf("no answer to PING within %s (%v)", timeout, err)
}

// ErrNothing means nothing listens at the address.
var ErrNothing = errors.New("nothing listens")

// Probe tells what listens at opt.Addr: Redis (nil), nothing (ErrNothing)
// or something else (ErrPortTaken). A refused password is reported as such.
func Probe(ctx context.Context, opt *redis.Options) error {
	c := redis.NewClient(&redis.Options{Addr: opt.Addr, Username: opt.Username, Password: opt.Password, DB: opt.DB,
		TLSConfig: opt.TLSConfig, MaxRetries: -1, DialTimeout: 500 * time.Millisecond, ReadTimeout: 500 * time.Millisecond,
		DialerRetries: 1})
	defer c.Close()
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	err := c.Ping(pctx).Err()
	if err == nil {
		return nil
	}
	msg := err.Error()
	if strings.Contains(msg, "NOAUTH") || strings.Contains(msg, "WRONGPASS") || strings.Contains(msg, "invalid password") {
		return fmt.Errorf("redis at %s refused the password: set it in REDIS_URL (redis://:password@host:port/db): %w", opt.Addr, err)
	}
	conn, derr := net.DialTimeout("tcp", opt.Addr, 500*time.Millisecond)
	if derr != nil {
		return ErrNothing
	}
	conn.Close()
	return fmt.Errorf("%w: %s accepts connections but does not answer as Redis (%v); stop that program or choose another port in REDIS_URL", ErrPortTaken, opt.Addr, err)
}

// IsLoopback reports whether host is a loopback name or address.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return "(no log)"
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > 64<<10 {
		f.Seek(fi.Size()-64<<10, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// Config describes a redis-server to start.
type Config struct {
	Bin      string // default "redis-server"
	Dir      string // its working directory: append-only file and log
	Port     int
	Password string
	// Supervise restarts the server with backoff when it dies.
	Supervise bool
	// RestartBackoff is the first wait before a restart (default 200ms),
	// doubling up to 5 s while restarts keep failing.
	RestartBackoff time.Duration
	Logger         *slog.Logger
}

// Server is a redis-server child process bound to 127.0.0.1, with
// append-only persistence (fsync every second) and noeviction.
type Server struct{ c *redisChild }

// Start starts redis-server and waits (at most 10 s) until it answers
// PING. On failure the error carries the tail of its log.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Bin == "" {
		cfg.Bin = "redis-server"
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, err
	}
	c := &redisChild{bin: cfg.Bin, dir: dir, host: "127.0.0.1", port: cfg.Port, password: cfg.Password, log: log,
		backoff: cfg.RestartBackoff}
	if c.backoff <= 0 {
		c.backoff = 200 * time.Millisecond
	}
	if err := c.start(ctx); err != nil {
		return nil, err
	}
	if cfg.Supervise {
		c.supervise()
	}
	return &Server{c: c}, nil
}

// Addr is host:port.
func (r *Server) Addr() string { return r.c.addr() }

// PID is the current process ID.
func (r *Server) PID() int { pid, _, _ := r.c.info(); return pid }

// Restarts counts restarts by the supervisor.
func (r *Server) Restarts() int { _, n, _ := r.c.info(); return n }

// Kill sends SIGKILL to the current process (a supervised server comes
// back by itself).
func (r *Server) Kill() {
	r.c.mu.Lock()
	cmd := r.c.cmd
	r.c.mu.Unlock()
	if cmd != nil && cmd.Process != nil {
		cmd.Process.Kill()
	}
}

// Stop shuts the server down cleanly (it flushes its append-only file),
// killing it after timeout.
func (r *Server) Stop(timeout time.Duration) error { return r.c.stop(timeout) }

// LastExit describes how the previous process ended ("" if none did).
func (r *Server) LastExit() string { _, _, e := r.c.info(); return e }

// Dir is the server's data directory.
func (r *Server) Dir() string { return r.c.dir }
