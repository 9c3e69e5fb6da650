package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// MasterName is the name the sentinels of a Sentinel group monitor.
const MasterName = "ytmaster"

// Sentinel is a replicated Redis watched by three sentinels, all real
// processes on free loopback ports: the set-up a failover test needs.
type Sentinel struct {
	t         testing.TB
	Master    *Proc
	Replica   *Proc
	Sentinels []*Proc
}

// Proc is one redis-server or redis-sentinel child.
type Proc struct {
	Addr string
	cmd  *exec.Cmd
	done chan struct{}
}

// Kill sends SIGKILL and waits for the process to exit.
func (p *Proc) Kill() {
	p.cmd.Process.Kill()
	<-p.done
}

// StartSentinel starts a master, one replica of it and three sentinels
// (quorum 2) with the given down-after time and a short failover timeout.
// Everything is stopped by t.Cleanup.
func StartSentinel(t testing.TB, downAfter time.Duration) *Sentinel {
	t.Helper()
	for _, bin := range []string{"redis-server", "redis-sentinel"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s is not installed (apt-get install -y redis-server redis-sentinel): %v", bin, err)
		}
	}
	g := &Sentinel{t: t}
	dir := t.TempDir()
	mport, rport := FreePort(t), FreePort(t)
	common := []string{"--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"}
	g.Master = g.spawn("redis-server", append([]string{"--port", strconv.Itoa(mport), "--dir", mkdir(t, dir, "master")}, common...))
	g.Replica = g.spawn("redis-server", append([]string{"--port", strconv.Itoa(rport), "--dir", mkdir(t, dir, "replica"),
		"--replicaof", "127.0.0.1", strconv.Itoa(mport)}, common...))
	waitReplicated(t, g.Replica.Addr)
	for i := range 3 {
		port := FreePort(t)
		conf := filepath.Join(mkdir(t, dir, fmt.Sprintf("sentinel%d", i)), "sentinel.conf")
		body := fmt.Sprintf("port %d\nbind 127.0.0.1\nprotected-mode no\ndir %s\n"+
			"sentinel monitor %s 127.0.0.1 %d 2\n"+
			"sentinel down-after-milliseconds %s %d\n"+
			"sentinel failover-timeout %s 5000\n"+
			"sentinel parallel-syncs %s 1\n",
			port, filepath.Dir(conf), MasterName, mport, MasterName, downAfter.Milliseconds(), MasterName, MasterName)
		if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		g.Sentinels = append(g.Sentinels, g.spawn("redis-sentinel", []string{conf}))
	}
	// Wait until every sentinel knows the replica and the other sentinels.
	deadline := time.Now().Add(20 * time.Second)
	for _, s := range g.Sentinels {
		c := redis.NewSentinelClient(&redis.Options{Addr: s.Addr})
		for {
			m, err := c.Master(context.Background(), MasterName).Result()
			if err == nil && m["num-other-sentinels"] == "2" && m["num-slaves"] == "1" {
				break
			}
			if time.Now().After(deadline) {
				c.Close()
				t.Fatalf("sentinel %s not ready: %v %v", s.Addr, m, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		c.Close()
	}
	return g
}

// Addrs returns the sentinels' addresses.
func (g *Sentinel) Addrs() []string {
	var out []string
	for _, s := range g.Sentinels {
		out = append(out, s.Addr)
	}
	return out
}

func (g *Sentinel) spawn(bin string, args []string) *Proc {
	g.t.Helper()
	port := ""
	for i, a := range args {
		if a == "--port" {
			port = args[i+1]
		}
	}
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		g.t.Fatalf("start %s: %v", bin, err)
	}
	p := &Proc{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(p.done) }()
	g.t.Cleanup(p.Kill)
	if port == "" { // a sentinel: its port is in its configuration
		conf, _ := os.ReadFile(args[0])
		fmt.Sscanf(string(conf), "port %s", &port)
	}
	p.Addr = net.JoinHostPort("127.0.0.1", port)
	waitAnswer(g.t, p.Addr, p.done)
	return p
}

func waitAnswer(t testing.TB, addr string, done chan struct{}) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		select {
		case <-done:
			t.Fatalf("redis process on %s exited at start", addr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis process on %s does not answer", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitReplicated(t testing.TB, addr string) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, _ := c.Info(context.Background(), "replication").Result()
		if strings.Contains(info, "master_link_status:up") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica %s never linked to its master: %s", addr, info)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func mkdir(t testing.TB, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(p, 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}
