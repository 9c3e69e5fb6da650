package redisproc_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/ytmaker/ytmaker/internal/redistest"
	"github.com/ytmaker/ytmaker/procman/redisproc"
)

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestEnsurePasswordIsPrivateAndStable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "redis")
	var wg sync.WaitGroup
	got := make([]string, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pw, err := redisproc.EnsurePassword(dir)
			if err != nil {
				t.Error(err)
			}
			got[i] = pw
		}()
	}
	wg.Wait()
	for _, pw := range got {
		if len(pw) != 64 || pw != got[0] {
			t.Fatalf("racing callers got different or short passwords: %q", got)
		}
	}
	if m := mode(t, dir); m != 0o700 {
		t.Fatalf("dir mode %o", m)
	}
	if m := mode(t, redisproc.PasswordFile(dir)); m != 0o600 {
		t.Fatalf("password file mode %o", m)
	}
	if pw, _ := redisproc.LoadPassword(dir); pw != got[0] {
		t.Fatalf("LoadPassword = %q", pw)
	}
	left, _ := os.ReadDir(dir)
	if len(left) != 1 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestClientURL(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// Nothing listens and YTMaker will start Redis: a password is made.
	free := "redis://127.0.0.1:" + strconv.Itoa(redistest.FreePort(t)) + "/0"
	u, err := redisproc.ClientURL(ctx, free, dir, true)
	pw, _ := redisproc.LoadPassword(dir)
	if err != nil || pw == "" || !strings.Contains(u, ":"+pw+"@") {
		t.Fatalf("ClientURL = %q, %v (password %q)", u, err, pw)
	}
	// Unchanged: a password given, a remote host.
	for _, in := range []string{"redis://:given@127.0.0.1:1/0", "redis://redis.internal:6379/0"} {
		if u, err := redisproc.ClientURL(ctx, in, dir, true); err != nil || u != in {
			t.Fatalf("ClientURL(%q) = %q, %v", in, u, err)
		}
	}
	// Someone else's Redis without a password answers although a
	// password is stored: the URL still works with it.
	srv := redistest.Start(t)
	u, err = redisproc.ClientURL(ctx, srv.URL(0), dir, true)
	if err != nil {
		t.Fatal(err)
	}
	opt, err := redis.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	defer c.Close()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("ClientURL(open Redis) = %q does not work: %v", u, err)
	}
	// Without spawn nothing is generated.
	other := t.TempDir()
	if u, err := redisproc.ClientURL(ctx, free, other, false); err != nil || u != free {
		t.Fatalf("ClientURL without spawn = %q, %v", u, err)
	}
	if pw, _ := redisproc.LoadPassword(other); pw != "" {
		t.Fatal("a password was generated although nothing will be started")
	}
	if got := redisproc.Redact("redis://:s3cret@127.0.0.1:6379/0"); strings.Contains(got, "s3cret") {
		t.Fatalf("Redact = %q", got)
	}
}

func TestStartedRedisRequiresThePassword(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "redis")
	pw, err := redisproc.EnsurePassword(dir)
	if err != nil {
		t.Fatal(err)
	}
	port := redistest.FreePort(t)
	s, err := redisproc.Start(ctx, redisproc.Config{Dir: dir, Port: port, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop(5e9)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	anon := redis.NewClient(&redis.Options{Addr: addr})
	defer anon.Close()
	if err := anon.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		t.Fatalf("a client without the password: %v", err)
	}
	c := redis.NewClient(&redis.Options{Addr: addr, Password: pw})
	defer c.Close()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	// Not on the command line, where ps shows it.
	cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(s.PID()) + "/cmdline")
	if strings.Contains(string(cmdline), pw) {
		t.Fatal("the password is on redis-server's command line")
	}
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		want := os.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if m := mode(t, path); m != want {
			t.Errorf("%s: mode %o, want %o", path, m, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
