package studio

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ytmaker/ytmaker/internal/api"
	"github.com/ytmaker/ytmaker/internal/config"
	"github.com/ytmaker/ytmaker/internal/engine"
	"github.com/ytmaker/ytmaker/internal/pipeline"
	"github.com/ytmaker/ytmaker/internal/project"
	providercatalog "github.com/ytmaker/ytmaker/internal/providers/catalog"
	"github.com/ytmaker/ytmaker/internal/quota"
	"github.com/ytmaker/ytmaker/internal/redistest"
	"github.com/ytmaker/ytmaker/internal/stage"
	"github.com/ytmaker/ytmaker/internal/worker"
	"github.com/ytmaker/ytmaker/procman"
	"github.com/ytmaker/ytmaker/tasks"
)

// env is one test's system: Redis, the task client, optionally a worker
// running the real offline pipeline, and the API with the studio on an
// httptest server, wired as `ytmaker serve` wires them.
type env struct {
	t      testing.TB
	rdb    redis.UniversalClient
	dir    string
	client *tasks.Client
	engine *engine.Engine
	studio *Server
	api    *api.Server
	srv    *httptest.Server
	token  string
}

type envOptions struct {
	worker bool
	token  string
	// env are settings for the list of services (keys, base URLs of
	// fakes); none means every service offline.
	env map[string]string
	// youtube connects a channel from the System page.
	youtube YouTubeConnector
}

func testLogger() *slog.Logger {
	if os.Getenv("YTMAKER_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	rs := redistest.Start(t)
	rdb := rs.Client()
	e := &env{t: t, rdb: rdb, dir: t.TempDir(), token: o.token}
	c, err := tasks.New(tasks.Config{Redis: rdb, DataDir: e.dir, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	e.client = c
	eng, err := engine.Open(engine.Config{Redis: rdb, DataDir: e.dir, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	e.engine = eng
	if o.worker {
		p, err := pipeline.New(pipeline.Config{Store: eng.Store(), Quota: quota.New(rdb, quota.Options{}), Logger: testLogger()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		stages := map[project.Stage]stage.Stage{}
		for name, st := range p.Stages() {
			stages[project.Stage(name)] = st
		}
		w, err := worker.New(worker.Config{Engine: eng, Concurrency: 2, Stages: stages,
			ShutdownTimeout: 5 * time.Second, Logger: testLogger()})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Stop)
	}
	st, err := New(Config{API: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.api.ServeHTTP(w, r) }),
		Store: eng.Store(), Redis: rdb, Token: o.token, Logger: testLogger(), KeepAlive: time.Second, YouTube: o.youtube})
	if err != nil {
		t.Fatal(err)
	}
	e.studio = st
	e.api = api.New(api.Config{
		Status: func(ctx context.Context) procman.Status {
			return procman.Status{Status: "healthy", Message: "test", Queues: []procman.QueueInfo{{Name: "video_generation"}}}
		},
		Engine: eng, Providers: providerCatalog(t, e.dir, o.env), Token: o.token, Session: st.SignedIn, Studio: st,
		Logger: testLogger()})
	e.srv = httptest.NewUnstartedServer(e.api)
	e.srv.Config.RegisterOnShutdown(e.api.Shutdown)
	e.srv.Start()
	t.Cleanup(func() {
		e.api.Shutdown()
		e.srv.Close()
	})
	return e
}

// providerCatalog is the list of services of the settings in env.
func providerCatalog(t testing.TB, dataDir string, env map[string]string) *providercatalog.Catalog {
	t.Helper()
	c, err := config.Load(config.Sources{Env: func(k string) (string, bool) {
		if k == "DATA_DIR" {
			return dataDir, true
		}
		v, ok := env[k]
		return v, ok
	}})
	if err != nil {
		t.Fatal(err)
	}
	return providercatalog.New(c, providercatalog.Options{})
}

// createProject makes a project through the task client.
func (e *env) createProject(name, content string) int64 {
	e.t.Helper()
	id, err := e.client.CreateProject(context.Background(), project.Input{Name: name, Content: content})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// browser is an HTTP client with cookies that does not follow redirects.
func (e *env) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type page struct {
	code   int
	header http.Header
	body   string
}

// do sends a request like a browser would (same-origin fetch headers
// unless h overrides them).
func (e *env) do(c *http.Client, method, path string, body io.Reader, h map[string]string) page {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Accept-Language", "en")
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{resp.StatusCode, resp.Header, string(b)}
}

func (e *env) get(c *http.Client, path string, h map[string]string) page {
	return e.do(c, http.MethodGet, path, nil, h)
}

func form(v url.Values) io.Reader { return strings.NewReader(v.Encode()) }

var formHeader = map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
