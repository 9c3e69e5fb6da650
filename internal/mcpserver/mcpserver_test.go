package mcpserver

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ytmaker/ytmaker/internal/api"
	"github.com/ytmaker/ytmaker/internal/apiclient"
	"github.com/ytmaker/ytmaker/internal/engine"
	"github.com/ytmaker/ytmaker/internal/pipeline"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/quota"
	"github.com/ytmaker/ytmaker/internal/redistest"
	"github.com/ytmaker/ytmaker/internal/script"
	"github.com/ytmaker/ytmaker/internal/stage"
	"github.com/ytmaker/ytmaker/internal/worker"
	"github.com/ytmaker/ytmaker/tasks"
)

// The test binary doubles as the stdio server (as `ytmaker mcp` runs
// it): with YTMAKER_MCP_CHILD set to a server URL it serves MCP on stdin
// and stdout and exits.
func TestMain(m *testing.M) {
	if url := os.Getenv("YTMAKER_MCP_CHILD"); url != "" {
		c, err := apiclient.New(url, os.Getenv("YTMAKER_MCP_TOKEN"))
		if err != nil {
			os.Exit(2)
		}
		if err := New(Config{Client: c}).Run(context.Background(), &mcp.StdioTransport{}); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// server is YTMaker's HTTP API with /mcp, as serve wires it.
type server struct {
	srv    *httptest.Server
	client *tasks.Client
	eng    *engine.Engine
	dir    string
	token  string
}

func start(t *testing.T, token string, withWorker bool) *server {
	t.Helper()
	rs := redistest.Start(t)
	rdb := rs.Client()
	s := &server{dir: t.TempDir(), token: token}
	c, err := tasks.New(tasks.Config{Redis: rdb, DataDir: s.dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	eng, err := engine.Open(engine.Config{Redis: rdb, DataDir: s.dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	s.client, s.eng = c, eng
	if withWorker {
		p, err := pipeline.New(pipeline.Config{Store: eng.Store(), Quota: quota.New(rdb, quota.Options{})})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		stages := map[project.Stage]stage.Stage{}
		for name, st := range p.Stages() {
			stages[project.Stage(name)] = st
		}
		w, err := worker.New(worker.Config{Engine: eng, Concurrency: 2, Stages: stages, ShutdownTimeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Stop)
	}
	var h *api.Server
	self, err := apiclient.New("http://127.0.0.1", token, apiclient.WithHTTPClient(&http.Client{
		Transport: apiclient.InProcess(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))}))
	if err != nil {
		t.Fatal(err)
	}
	h = api.New(api.Config{Engine: eng, Token: token, MCP: Handler(New(Config{Client: self, PublicURL: "http://ytmaker.test"}))})
	s.srv = httptest.NewServer(h)
	t.Cleanup(func() { h.Shutdown(); s.srv.Close() })
	return s
}

// bearer adds the API token to every request.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

func connectHTTP(t *testing.T, s *server, token string) (*mcp.ClientSession, error) {
	t.Helper()
	hc := &http.Client{Transport: http.DefaultTransport}
	if token != "" {
		hc.Transport = bearer{token, http.DefaultTransport}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "v0"}, nil).
		Connect(ctx, &mcp.StreamableClientTransport{Endpoint: s.srv.URL + "/mcp", HTTPClient: hc}, nil)
	if err == nil {
		t.Cleanup(func() { cs.Close() })
	}
	return cs, err
}

func connectStdio(t *testing.T, s *server) *mcp.ClientSession {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "YTMAKER_MCP_CHILD="+s.srv.URL, "YTMAKER_MCP_TOKEN="+s.token)
	cmd.Stderr = os.Stderr
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "v0"}, nil).
		Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// call calls a tool and decodes its structured result (or returns the
// tool error's text).
func call(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any, out any) (errText string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if res.IsError {
		var b strings.Builder
		for _, c := range res.Content {
			if tc, ok := c.(*mcp.TextContent); ok {
				b.WriteString(tc.Text)
			}
		}
		return b.String()
	}
	raw, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s: %v in %s", name, err, raw)
		}
	}
	return ""
}

const text = "Lanterns glow over the old harbour at night. Fishing boats come home with the tide. Families walk along the pier."

// The tools, their schemas and their errors, over both transports.
func TestToolsOverStdioAndHTTP(t *testing.T) {
	const token = "mcp-test-token"
	s := start(t, token, false)
	if _, err := connectHTTP(t, s, ""); err == nil {
		t.Fatal("/mcp answered without the token")
	}
	httpSession, err := connectHTTP(t, s, token)
	if err != nil {
		t.Fatal(err)
	}
	for name, cs := range map[string]*mcp.ClientSession{"http": httpSession, "stdio": connectStdio(t, s)} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			lt, err := cs.ListTools(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, tool := range lt.Tools {
				names = append(names, tool.Name)
				if len(tool.Description) < 40 || tool.InputSchema == nil || tool.OutputSchema == nil {
					t.Errorf("%s: thin description or schema", tool.Name)
				}
				if tool.Name == "create_video" {
					schema, _ := json.Marshal(tool.InputSchema)
					if !strings.Contains(string(schema), `"required":["name","content"]`) {
						t.Errorf("create_video schema: %s", schema)
					}
				}
			}
			if got := sortStrings(names); !reflect.DeepEqual(got, ToolNames()) {
				t.Fatalf("tools %v, want %v", got, ToolNames())
			}

			var created createOut
			if e := call(t, cs, "create_video", map[string]any{"name": "Harbour " + name, "content": text,
				"settings": map[string]any{"format": "9:16", "youtube": map[string]any{"upload": false}}}, &created); e != "" {
				t.Fatal(e)
			}
			if created.ProjectID <= 0 || created.TaskID == "" || created.Language != "en" ||
				created.URL != "http://ytmaker.test/projects/"+itoa(created.ProjectID) && name == "http" {
				t.Fatalf("created %+v", created)
			}
			var p projectOut
			if e := call(t, cs, "get_project", map[string]any{"project_id": created.ProjectID}, &p); e != "" {
				t.Fatal(e)
			}
			if p.ProjectID != created.ProjectID || len(p.Stages) != 5 || p.Status == "" {
				t.Fatalf("project %+v", p)
			}
			var l listOut
			if e := call(t, cs, "list_projects", map[string]any{"query": "harbour " + name}, &l); e != "" {
				t.Fatal(e)
			}
			if l.Total != 1 || l.Projects[0].ProjectID != created.ProjectID {
				t.Fatalf("list %+v", l)
			}
			var run runOut
			if e := call(t, cs, "cancel_project", map[string]any{"project_id": created.ProjectID}, &run); e != "" {
				t.Fatal(e)
			}
			if run.ProjectID != created.ProjectID {
				t.Fatalf("cancel %+v", run)
			}

			for _, c := range []struct {
				tool string
				args map[string]any
				code string
			}{
				{"create_video", map[string]any{"name": "x", "content": text, "settings": map[string]any{"format": "4:3"}}, "INVALID_INPUT"},
				{"create_video", map[string]any{"name": " ", "content": text}, "INVALID_INPUT"},
				{"create_video", map[string]any{"name": "x", "content": text, "language": "not a tag!"}, "INVALID_INPUT"},
				{"get_project", map[string]any{"project_id": 987654}, "PROJECT_NOT_FOUND"},
				{"get_project", map[string]any{"project_id": 0}, "INVALID_INPUT"},
				{"pause_project", map[string]any{"project_id": 987654}, "PROJECT_NOT_FOUND"},
				{"list_projects", map[string]any{"status": "DONE"}, "INVALID_INPUT"},
				{"list_projects", map[string]any{"limit": 1000}, "INVALID_INPUT"},
			} {
				e := call(t, cs, c.tool, c.args, nil)
				if !strings.HasPrefix(e, c.code+":") {
					t.Errorf("%s %v: %q, want %s", c.tool, c.args, e, c.code)
				}
			}
			if e := call(t, cs, "create_video", map[string]any{"name": "x", "content": text, "settings": map[string]any{"format": "4:3"}}, nil); !strings.Contains(e, `"field":"settings.format"`) {
				t.Errorf("the field is not named: %q", e)
			}
			// Wrong types never reach the API; the SDK refuses them, and
			// the refusal is coded like the API's.
			for _, args := range []map[string]any{{"project_id": "seven"}, {"project_id": 1e30}, {"project_id": 1.5}} {
				if e := call(t, cs, "get_project", args, nil); !strings.HasPrefix(e, "INVALID_INPUT: ") {
					t.Errorf("get_project %v: %q, want INVALID_INPUT", args, e)
				}
			}
		})
	}
}

// A video made through the tools with a script review, followed to the
// end; then a script edit remakes only the changed segment.
func TestReviewCreateAndFollowToCompletion(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg is not installed")
	}
	s := start(t, "", true)
	cs, err := connectHTTP(t, s, "")
	if err != nil {
		t.Fatal(err)
	}
	wait := func(id int64, status project.Status) projectOut {
		t.Helper()
		deadline := time.Now().Add(3 * time.Minute)
		var p projectOut
		for {
			if e := call(t, cs, "get_project", map[string]any{"project_id": id}, &p); e != "" {
				t.Fatal(e)
			}
			if p.Status == string(status) {
				return p
			}
			if p.Status == string(project.Failed) || time.Now().After(deadline) {
				t.Fatalf("waiting for %s: %+v", status, p)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	var created createOut
	if e := call(t, cs, "create_video", map[string]any{"name": "Harbour", "content": text,
		"settings": map[string]any{"review_script": true}}, &created); e != "" {
		t.Fatal(e)
	}
	id := created.ProjectID
	wait(id, project.ScriptReview)
	var sc scriptOut
	if e := call(t, cs, "get_script", map[string]any{"project_id": id}, &sc); e != "" {
		t.Fatal(e)
	}
	if sc.Script == nil || len(sc.Script.Segments) < 3 {
		t.Fatalf("script %+v", sc)
	}
	bad := *sc.Script
	bad.Segments = append([]script.Segment(nil), sc.Script.Segments...)
	bad.Segments[1].Text = "  "
	if e := call(t, cs, "update_script", map[string]any{"project_id": id, "script": bad}, nil); !strings.HasPrefix(e, "INVALID_INPUT:") || !strings.Contains(e, `"field":"segments[1].text"`) {
		t.Fatalf("an empty segment: %q", e)
	}
	good := *sc.Script
	good.Segments = append([]script.Segment(nil), sc.Script.Segments...)
	good.Segments[1].Text = "Lighthouse keepers polish the great lens every evening."
	if e := call(t, cs, "update_script", map[string]any{"project_id": id, "script": good}, nil); e != "" {
		t.Fatal(e)
	}
	var run runOut
	if e := call(t, cs, "approve_project", map[string]any{"project_id": id}, &run); e != "" {
		t.Fatal(e)
	}
	p := wait(id, project.Completed)
	r := p.Result
	if p.Progress != 100 || r == nil {
		t.Fatalf("project %+v", p)
	}
	if _, err := os.Stat(r.VideoPath); err != nil || !strings.HasSuffix(r.VideoURL, "/api/v1/projects/"+itoa(id)+"/video") ||
		r.ThumbnailPath == "" || !strings.HasPrefix(r.YouTubeStatus, "not uploaded") {
		t.Fatalf("result %+v (%v)", r, err)
	}
	srt, _ := os.ReadFile(filepath.Join(filepath.Dir(r.VideoPath), "subtitles.srt"))
	if !strings.Contains(strings.Join(strings.Fields(string(srt)), " "), "Lighthouse keepers") {
		t.Fatalf("subtitles without the edit:\n%s", srt)
	}
	if e := call(t, cs, "approve_project", map[string]any{"project_id": id}, nil); !strings.HasPrefix(e, "NOT_IN_REVIEW:") {
		t.Fatalf("approving a finished project: %q", e)
	}

	// Edit one segment of the finished video: only it is made again.
	good.Segments[len(good.Segments)-2].Text = "The tide turns twice a day, and the harbour breathes with it."
	var up scriptOut
	if e := call(t, cs, "update_script", map[string]any{"project_id": id, "script": good}, &up); e != "" {
		t.Fatal(e)
	}
	if len(up.Reset) == 0 || up.Reset[0] != "assets" {
		t.Fatalf("reset %v", up.Reset)
	}
	if e := call(t, cs, "resume_project", map[string]any{"project_id": id}, nil); e != "" {
		t.Fatal(e)
	}
	wait(id, project.Completed)
	st, err := s.eng.Store().State(id)
	if err != nil {
		t.Fatal(err)
	}
	var assets pipeline.AssetsResult
	json.Unmarshal(st.Stages.Assets.Result, &assets)
	t.Logf("after the edit: %+v", assets)
	// Each segment has a narration and a picture; the picture of a
	// changed segment may follow its text, so at least the other
	// segments' assets and the changed one's are not all remade.
	if assets.Reused < 2*(assets.Segments-1) {
		t.Fatalf("assets %+v: expected the unchanged segments' narration and pictures reused", assets)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func sortStrings(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
