// Package redistest starts a real redis-server on a free loopback port for
// tests, through YTMaker's own process manager, and stops it when the test
// ends.
package redistest

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ytmaker/ytmaker/procman/redisproc"
)

// Server is a redis-server child process owned by one test.
type Server struct {
	t    testing.TB
	Addr string // host:port
	Port int
	Dir  string
	srv  *redisproc.Server
}

// Start launches redis-server on a free port with its files in a temporary
// directory. The server is stopped by t.Cleanup.
func Start(t testing.TB) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("redis-server is not installed (apt-get install -y redis-server): %v", err)
	}
	s := &Server{t: t, Dir: t.TempDir()}
	s.Port = FreePort(t)
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port))
	s.start()
	t.Cleanup(func() {
		if s.srv != nil {
			s.srv.Stop(5 * time.Second)
		}
	})
	return s
}

func (s *Server) start() {
	s.t.Helper()
	srv, err := redisproc.Start(context.Background(), redisproc.Config{Dir: s.Dir, Port: s.Port})
	if err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	s.srv = srv
}

// URL returns redis://addr/db.
func (s *Server) URL(db int) string { return fmt.Sprintf("redis://%s/%d", s.Addr, db) }

// Client returns a new go-redis client for db 0, closed by t.Cleanup.
func (s *Server) Client() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr})
	s.t.Cleanup(func() { c.Close() })
	return c
}

// Kill sends SIGKILL to the server and waits for it to exit.
func (s *Server) Kill() {
	s.t.Helper()
	s.srv.Kill()
	s.srv.Stop(5 * time.Second)
}

// Restart kills the server and starts it again on the same port and
// directory, so data persisted in its append-only file comes back.
func (s *Server) Restart() {
	s.t.Helper()
	s.Kill()
	s.start()
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
