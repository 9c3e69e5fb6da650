package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/api"
	"github.com/ytmaker/ytmaker/internal/apiclient"
	"github.com/ytmaker/ytmaker/internal/engine"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/redistest"
	"github.com/ytmaker/ytmaker/internal/stage"
	"github.com/ytmaker/ytmaker/internal/worker"
	"github.com/ytmaker/ytmaker/procman"
	"github.com/ytmaker/ytmaker/tasks"
)

// cliServer runs a real API with a worker of fast stages and returns its
// host:port.
func cliServer(t *testing.T, token string) string {
	t.Helper()
	return cliServerWith(t, token, nil)
}

// cliServerWith is cliServer with a list of services.
func cliServerWith(t *testing.T, token string, providers api.ProviderCatalog) string {
	t.Helper()
	return cliServerFull(t, token, providers, nil)
}

// cliServerFull is cliServerWith with a source of quota usage.
func cliServerFull(t *testing.T, token string, providers api.ProviderCatalog, quotas api.QuotaSource) string {
	t.Helper()
	t.Chdir(t.TempDir()) // no .env from the source tree
	for _, k := range []string{"API_TOKEN", "HTTP_ADDR", "REDIS_URL", "DATA_DIR"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	rs := redistest.Start(t)
	rdb := rs.Client()
	dir := t.TempDir()
	c, err := tasks.New(tasks.Config{Redis: rdb, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	eng, err := engine.Open(engine.Config{Redis: rdb, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	stages := map[project.Stage]stage.Stage{}
	for _, s := range project.Stages {
		stages[s] = stage.Func(func(ctx context.Context, job stage.Job) (any, error) {
			job.Progress(50, "working on "+string(s))
			return map[string]string{"stage": string(s)}, nil
		})
	}
	w, err := worker.New(worker.Config{Engine: eng, Concurrency: 2, ShutdownTimeout: 5 * time.Second, Stages: stages})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	h := api.New(api.Config{Engine: eng, Token: token, Providers: providers, Quotas: quotas, Status: func(context.Context) procman.Status { return procman.Status{Status: "healthy"} }})
	srv := httptest.NewUnstartedServer(h)
	srv.Config.RegisterOnShutdown(h.Shutdown)
	srv.Start()
	t.Cleanup(func() { h.Shutdown(); srv.Close() })
	return strings.TrimPrefix(srv.URL, "http://")
}

// run runs one CLI command and returns its exit code, stdout and stderr.
func runCLI(t *testing.T, f func(ctx context.Context, args []string, std cliIO) int, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := f(context.Background(), args, cliIO{out: &out, err: &errOut})
	return code, out.String(), errOut.String()
}

func wantOutput(t *testing.T, what string, code, wantCode int, text string, wants ...string) {
	t.Helper()
	if code != wantCode {
		t.Fatalf("%s: exit %d, want %d\n%s", what, code, wantCode, text)
	}
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Fatalf("%s: output lacks %q:\n%s", what, w, text)
		}
	}
}

func TestCLIProjectsAndControl(t *testing.T) {
	addr := cliServer(t, "")
	cl, _ := apiclient.New("http://"+addr, "")
	ctx := context.Background()
	p, err := cl.CreateProject(ctx, project.Input{Name: "Night markets", Content: "Taipei. Food. Night."})
	if err != nil {
		t.Fatal(err)
	}
	id := "1"
	code, out, errOut := runCLI(t, projectsList, "--addr", addr)
	wantOutput(t, "projects list", code, 0, out+errOut, "ID", "Night markets", "INITIALIZED", "1–1 of 1 projects")
	code, out, _ = runCLI(t, projectsList, "--addr", addr, "--json", "--status", "completed")
	var list struct {
		Projects []any `json:"projects"`
		Total    int   `json:"total"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || list.Total != 0 {
		t.Fatalf("projects list --json: %d %s", code, out)
	}
	code, out, errOut = runCLI(t, projectsShow, id, "--addr", addr)
	wantOutput(t, "projects show", code, 0, out+errOut, "Project 1: Night markets", "STAGE", "script", "upload", "pending")
	code, _, errOut = runCLI(t, projectsShow, "--addr", addr, "abc")
	wantOutput(t, "projects show abc", code, 2, errOut, "not a project ID")
	code, _, errOut = runCLI(t, projectsShow, "--addr", addr)
	wantOutput(t, "projects show without an ID", code, 2, errOut, "expected 1 argument")
	code, _, errOut = runCLI(t, projectsShow, "--addr", addr, "99")
	wantOutput(t, "projects show 99", code, 1, errOut, "PROJECT_NOT_FOUND")
	code, out, _ = runCLI(t, projectsShow, "--addr", addr, "--json", "99")
	wantOutput(t, "projects show 99 --json", code, 1, out, `"success":false`, `"code":"PROJECT_NOT_FOUND"`)

	// pause with nothing running: the API's code; resume --wait follows
	// the run to its end.
	pause := func(ctx context.Context, args []string, std cliIO) int {
		return runControl(ctx, args, std, "pause", "", (*apiclient.Client).Pause, false)
	}
	resume := func(ctx context.Context, args []string, std cliIO) int {
		return runControl(ctx, args, std, "resume", "", (*apiclient.Client).Resume, true)
	}
	code, _, errOut = runCLI(t, pause, id, "--addr", addr)
	wantOutput(t, "pause", code, 1, errOut, "PROJECT_NOT_RUNNING")
	code, out, errOut = runCLI(t, resume, id, "--wait", "--addr", addr)
	wantOutput(t, "resume --wait", code, 0, out+errOut, "Project 1: run 1", "100%", "completed", "Project 1 completed")
	code, out, _ = runCLI(t, resume, id, "--addr", addr, "--json")
	wantOutput(t, "resume a completed project", code, 1, out, "PROJECT_ALREADY_COMPLETED")
	got, err := cl.Project(ctx, p.ID)
	if err != nil || got.Status != project.Completed {
		t.Fatalf("after resume --wait: %+v %v", got, err)
	}
	code, out, _ = runCLI(t, tasksShow, got.Run.TaskID, "--addr", addr)
	wantOutput(t, "tasks show", code, 0, out, "Task "+got.Run.TaskID, "chain", "succeeded", "Project")
	code, _, errOut = runCLI(t, tasksShow, "nope", "--addr", addr)
	wantOutput(t, "tasks show nope", code, 1, errOut, "TASK_NOT_FOUND")
	code, out, _ = runCLI(t, projectsDelete, id, "--delete-files", "--addr", addr)
	wantOutput(t, "projects delete", code, 0, out, "Deleted project 1 and its files")
}

func TestCLIBatch(t *testing.T) {
	addr := cliServer(t, "")
	file := filepath.Join(t.TempDir(), "weekly.csv")
	os.WriteFile(file, []byte("name,content,tags\nFirst,\"Text one, with a comma.\",a|b\nSecond,Text two.,\n"), 0o644)
	code, out, errOut := runCLI(t, batchCreate, "--file", file, "--start", "--addr", addr)
	wantOutput(t, "batch create", code, 0, out+errOut, `Batch 1 "weekly": 2 projects`, "started", "First", "Second")
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, out, _ = runCLI(t, batchShow, "1", "--addr", addr)
		if strings.Contains(out, "COMPLETED —") || strings.Contains(out, "— COMPLETED") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("batch not completed: %s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	wantOutput(t, "batch show", code, 0, out, "Batch 1: weekly — COMPLETED", "2 completed", "100%")
	code, out, _ = runCLI(t, batchList, "--addr", addr)
	wantOutput(t, "batch list", code, 0, out, "weekly", "2/2")
	code, _, errOut = runCLI(t, batchControl("pause", (*apiclient.Client).PauseBatch), "1", "--addr", addr)
	wantOutput(t, "batch pause", code, 1, errOut, "BATCH_NOT_RUNNING")
	code, _, errOut = runCLI(t, batchCreate, "--addr", addr)
	wantOutput(t, "batch create without --file", code, 2, errOut, "--file is required")
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("name,content,colour\na,b,c\n"), 0o644)
	code, _, errOut = runCLI(t, batchCreate, "--file", bad, "--addr", addr)
	wantOutput(t, "batch create with a bad column", code, 1, errOut, "UNKNOWN_FIELD", "colour")
}

func TestCLIServerProblems(t *testing.T) {
	addr := cliServer(t, "the-token")
	code, _, errOut := runCLI(t, projectsList, "--addr", addr)
	wantOutput(t, "no token", code, 1, errOut, "UNAUTHORIZED", "set API_TOKEN")
	t.Setenv("API_TOKEN", "the-token")
	code, out, _ := runCLI(t, projectsList, "--addr", addr)
	wantOutput(t, "with the token", code, 0, out, "No projects")
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := l.Addr().String()
	l.Close()
	code, _, errOut = runCLI(t, projectsList, "--addr", dead)
	wantOutput(t, "no server", code, 1, errOut, "no YTMaker server answers at http://"+dead, "start one with: ytmaker serve")
	code, out, _ = runCLI(t, projectsList, "--addr", dead, "--json")
	wantOutput(t, "no server --json", code, 1, out, `"code":"SERVER_UNREACHABLE"`)
}

func TestCLIGroupsAndArgs(t *testing.T) {
	var out, errOut bytes.Buffer
	subs := []subcommand{{"list ID", "list things", func(context.Context, []string, cliIO) int { return 7 }}}
	std := cliIO{out: &out, err: &errOut}
	if code := runGroup(context.Background(), "things", "Things.", subs, nil, std); code != 2 || !strings.Contains(errOut.String(), "things list") {
		t.Fatalf("no verb: %d %s", code, errOut.String())
	}
	if code := runGroup(context.Background(), "things", "Things.", subs, []string{"help"}, std); code != 0 {
		t.Fatalf("help: %d", code)
	}
	if code := runGroup(context.Background(), "things", "Things.", subs, []string{"list"}, std); code != 7 {
		t.Fatalf("dispatch: %d", code)
	}
	if code := runGroup(context.Background(), "things", "Things.", subs, []string{"frob"}, std); code != 2 {
		t.Fatalf("unknown verb: %d", code)
	}
	a := newAPICommand("x", "", std)
	a.cf.fs.Int("limit", 0, "")
	flags, pos := splitArgs(a.cf.fs, []string{"3", "--json", "--limit", "5", "--addr=h:1", "4", "--", "--not-a-flag"})
	if strings.Join(flags, " ") != "--json --limit 5 --addr=h:1" || strings.Join(pos, " ") != "3 4 --not-a-flag" {
		t.Fatalf("splitArgs: %q %q", flags, pos)
	}
	// IDs are written one way: "01" or "+1" must not name project 1.
	for _, v := range []string{"01", "+1", "0", "-1", " 1", "1x"} {
		a.args = []string{v}
		if _, ok := a.id(0, "project"); ok {
			t.Errorf("ID %q accepted", v)
		}
	}
	a.args = []string{"12"}
	if n, ok := a.id(0, "project"); !ok || n != 12 {
		t.Fatalf("ID 12: %d %v", n, ok)
	}
	if bar(45, 10) != "[████░░░░░░]" || bar(150, 4) != "[████]" || clip("abcdef", 4) != "abc…" {
		t.Fatalf("helpers: %s %s %s", bar(45, 10), bar(150, 4), clip("abcdef", 4))
	}
}

func TestCLIPrompts(t *testing.T) {
	addr := cliServer(t, "")
	file := filepath.Join(t.TempDir(), "kids.txt")
	os.WriteFile(file, []byte("Explain {content} to children in {language_name}.\n"), 0o644)
	code, out, errOut := runCLI(t, promptsSet, "kids", "--file", file, "--description", "For children", "--addr", addr)
	wantOutput(t, "prompts set", code, 0, out+errOut, `Saved prompt template "kids"`)
	code, out, errOut = runCLI(t, promptsList, "--addr", addr)
	wantOutput(t, "prompts list", code, 0, out+errOut, "default", "built in", "kids", "For children", "{content}", "{max_duration}")
	code, out, _ = runCLI(t, promptsShow, "kids", "--addr", addr)
	wantOutput(t, "prompts show", code, 0, out, "# For children", "Explain {content} to children")
	code, _, errOut = runCLI(t, promptsSet, "bad", "--text", "{nope}", "--addr", addr)
	wantOutput(t, "prompts set with an unknown placeholder", code, 1, errOut, "INVALID_INPUT", "unknown placeholder {nope}")
	code, _, errOut = runCLI(t, promptsSet, "x", "--addr", addr)
	wantOutput(t, "prompts set without text", code, 2, errOut, "--file or --text")
	code, out, _ = runCLI(t, promptsDelete, "kids", "--addr", addr)
	wantOutput(t, "prompts delete", code, 0, out, `Deleted prompt template "kids"`)
	code, _, errOut = runCLI(t, promptsShow, "kids", "--addr", addr)
	wantOutput(t, "prompts show after delete", code, 1, errOut, "PROMPT_TEMPLATE_NOT_FOUND")
}

func TestGenerateCaptionsFlag(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "bees.txt")
	if err := os.WriteFile(file, []byte("Bees dance. They tell where flowers are."), 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := generateOptions{contentFile: file, captions: "punch"}.input()
	if err != nil || in.Settings.Captions != "punch" || in.Settings.CaptionMode() != "punch" {
		t.Fatalf("%v %+v", err, in.Settings)
	}
	in, err = generateOptions{contentFile: file, captions: "word", noSubtitles: true}.input()
	if err != nil || in.Settings.CaptionMode() != "none" {
		t.Fatalf("--no-subtitles: %v %+v", err, in.Settings)
	}
	if _, err := (generateOptions{contentFile: file, captions: "bouncy"}).input(); err == nil || !strings.Contains(err.Error(), "settings.captions") {
		t.Fatalf("bad style: %v", err)
	}
}
