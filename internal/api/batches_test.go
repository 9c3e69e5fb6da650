package api

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/api/wire"
	"github.com/ytmaker/ytmaker/internal/project"
)

const testCSV = "\xEF\xBB\xBFName,Content,language,subtitles,tags,privacy,title,motion,format,voice,description,upload\n" +
	"First,\"Line one, with a comma.\n\nSecond paragraph.\",en,false,a|b | c,unlisted,My title,kenburns,vertical,slt,Desc,no\n" +
	"第二,台灣的夜市。小吃很多。,,,,,,,,,,\n"

const testJSONL = `{"name":"one","content":"First text."}

{"name":"two","content":"Second text.","settings":{"subtitles":false}}
`

// multipartBody builds a form with a file field and extra fields.
func multipartBody(t *testing.T, filename, ctype, content string, fields ...string) (*bytes.Buffer, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for i := 0; i+1 < len(fields); i += 2 {
		mw.WriteField(fields[i], fields[i+1])
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, filename))
	if ctype != "" {
		h.Set("Content-Type", ctype)
	}
	fw, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write([]byte(content))
	mw.Close()
	return &b, mw.FormDataContentType()
}

func (e *env) batchProjects(b *wire.Batch) []*wire.Project {
	e.t.Helper()
	var out []*wire.Project
	for _, bp := range b.Projects {
		out = append(out, e.project(bp.ID))
	}
	return out
}

func TestCreateBatchFromJSON(t *testing.T) {
	e := newEnv(t, envOptions{})
	var b wire.Batch
	r := e.do("POST", "/api/v1/batches", map[string]any{"name": "weekly", "concurrency": 3, "projects": []map[string]any{
		{"name": "a", "content": "Text A."}, {"name": "b", "content": "Text B."}}}).ok(201, &b)
	if b.ID <= 0 || b.Name != "weekly" || b.Concurrency != 3 || b.Status != project.BatchCreated || b.Counts.Total != 2 ||
		b.Counts.Pending != 2 || len(b.Projects) != 2 || b.Projects[0].Name != "a" || b.Run != nil {
		t.Fatalf("batch %+v", b)
	}
	if r.header.Get("Location") != fmt.Sprintf("/api/v1/batches/%d", b.ID) {
		t.Fatalf("Location %q", r.header.Get("Location"))
	}
	var list wire.ProjectList
	e.do("GET", fmt.Sprintf("/api/v1/projects?batch_id=%d", b.ID), nil).ok(200, &list)
	if list.Total != 2 {
		t.Fatalf("projects of the batch: %d", list.Total)
	}
	err := e.do("POST", "/api/v1/batches", map[string]any{"projects": []map[string]any{
		{"name": "a", "content": "x"}, {"name": "", "content": "y"}}}).fails(422, "INVALID_INPUT")
	if err.Details["field"] != "projects[1].name" {
		t.Fatalf("field %v", err.Details)
	}
	e.do("POST", "/api/v1/batches", `{"projects":[]}`).fails(422, "INVALID_INPUT")
	e.do("POST", "/api/v1/batches", `{"projects":[{"name":"a","content":"x","extra":1}]}`).fails(400, CodeUnknownField)
	e.do("POST", "/api/v1/batches", `{"concurrency":"two","projects":[]}`).fails(400, CodeInvalidType)
	e.do("POST", "/api/v1/batches?start=perhaps", `{"projects":[{"name":"a","content":"x"}]}`).fails(422, "INVALID_INPUT")
	e.do("POST", "/api/v1/batches", "a,b", "Content-Type", "application/vnd.ms-excel").fails(415, CodeUnsupportedMedia)
}

func TestCreateBatchFromCSV(t *testing.T) {
	e := newEnv(t, envOptions{})
	check := func(b *wire.Batch) {
		t.Helper()
		ps := e.batchProjects(b)
		if len(ps) != 2 {
			t.Fatalf("%d projects", len(ps))
		}
		a, z := ps[0], ps[1]
		s := a.Settings
		if a.Name != "First" || !strings.Contains(a.Content, "with a comma.\n\nSecond paragraph.") || a.Language != "en" ||
			s.SubtitlesOn() || fmt.Sprint(s.YouTube.Tags) != "[a b c]" || s.YouTube.Privacy != "unlisted" ||
			s.YouTube.Title != "My title" || s.Motion != project.MotionKenBurns || s.Format != project.FormatVertical ||
			s.Voice != "slt" || s.YouTube.Description != "Desc" || s.YouTube.UploadWanted() {
			t.Fatalf("first project %+v %+v", a, s)
		}
		if z.Name != "第二" || z.Language != "zh-TW" || !z.Settings.SubtitlesOn() || !z.Settings.YouTube.UploadWanted() {
			t.Fatalf("second project %+v", z)
		}
	}
	var b wire.Batch
	e.do("POST", "/api/v1/batches?name=from-csv&concurrency=1", strings.NewReader(testCSV), "Content-Type", "text/csv").ok(201, &b)
	if b.Name != "from-csv" || b.Concurrency != 1 {
		t.Fatalf("csv batch %+v", b)
	}
	check(&b)
	body, ct := multipartBody(t, "weekly videos.csv", "", testCSV, "concurrency", "4")
	e.do("POST", "/api/v1/batches", body, "Content-Type", ct).ok(201, &b)
	if b.Name != "weekly videos" || b.Concurrency != 4 {
		t.Fatalf("uploaded csv batch %+v", b)
	}
	check(&b)

	bad := []struct {
		csv, code, field string
		status           int
	}{
		{"name,content,colour\nA,B,red\n", CodeUnknownField, "colour", 400},
		{"name,language\nA,en\n", CodeInvalidCSV, "content", 400},
		{"name,content,name\nA,B,C\n", CodeInvalidCSV, "name", 400},
		{"name,content,subtitles\nA,B,sometimes\n", "INVALID_INPUT", "projects[0].settings.subtitles", 422},
		{"name,content\nA,B\nC,D,E\n", CodeInvalidCSV, "", 400},
		{"name,content\nA,\"unclosed\n", CodeInvalidCSV, "", 400},
		{"name,content\n,B\n", "INVALID_INPUT", "projects[0].name", 422},
		{"name,content\n", "INVALID_INPUT", "projects", 422},
		{"", CodeInvalidCSV, "", 400},
	}
	for _, c := range bad {
		err := e.do("POST", "/api/v1/batches", strings.NewReader(c.csv), "Content-Type", "text/csv").fails(c.status, c.code)
		if c.field != "" && err.Details["field"] != c.field {
			t.Errorf("%q: field %v, want %s", c.csv, err.Details["field"], c.field)
		}
	}
	err := e.do("POST", "/api/v1/batches", strings.NewReader("name,content\nA,B\nC,D,E\n"), "Content-Type", "text/csv").fails(400, CodeInvalidCSV)
	if err.Details["line"] != float64(3) {
		t.Fatalf("line of a CSV error: %v", err.Details)
	}
	err = e.do("POST", "/api/v1/batches", strings.NewReader("name,content,upload\nA,B,yes\nC,D,bogus\n"), "Content-Type", "text/csv").fails(422, "INVALID_INPUT")
	if err.Details["line"] != float64(3) || err.Details["field"] != "projects[1].settings.youtube.upload" {
		t.Fatalf("line of a CSV value error: %v", err.Details)
	}
}

func TestCreateBatchFromJSONL(t *testing.T) {
	e := newEnv(t, envOptions{maxUpload: 64 << 10})
	var b wire.Batch
	e.do("POST", "/api/v1/batches?name=lines", strings.NewReader(testJSONL), "Content-Type", "application/x-ndjson").ok(201, &b)
	ps := e.batchProjects(&b)
	if b.Name != "lines" || len(ps) != 2 || ps[0].Name != "one" || ps[1].Settings.SubtitlesOn() {
		t.Fatalf("jsonl batch %+v", b)
	}
	body, ct := multipartBody(t, "list.jsonl", "", testJSONL, "name", "uploaded")
	e.do("POST", "/api/v1/batches", body, "Content-Type", ct).ok(201, &b)
	if b.Name != "uploaded" || b.Counts.Total != 2 {
		t.Fatalf("uploaded jsonl %+v", b)
	}
	err := e.do("POST", "/api/v1/batches", strings.NewReader("{\"name\":\"a\",\"content\":\"b\"}\n{\"name\":\"c\",\"content\":\"d\",\"x\":1}\n"),
		"Content-Type", "application/x-ndjson").fails(400, CodeUnknownField)
	if err.Details["line"] != float64(2) {
		t.Fatalf("line %v", err.Details)
	}
	e.do("POST", "/api/v1/batches", strings.NewReader("{\"name\":\"a\",\n"), "Content-Type", "application/x-ndjson").fails(400, CodeInvalidJSON)
	err = e.do("POST", "/api/v1/batches", strings.NewReader(`{"name":"a","content":""}`), "Content-Type", "application/x-ndjson").fails(422, "INVALID_INPUT")
	if err.Details["field"] != "projects[0].content" {
		t.Fatalf("field %v", err.Details)
	}
	// Uploads past the limit.
	big := strings.Repeat(`{"name":"a","content":"`+strings.Repeat("x", 1000)+"\"}\n", 100)
	e.do("POST", "/api/v1/batches", strings.NewReader(big), "Content-Type", "application/x-ndjson").fails(413, CodeTooLarge)
	body, ct = multipartBody(t, "big.jsonl", "", big)
	e.do("POST", "/api/v1/batches", body, "Content-Type", ct).fails(413, CodeTooLarge)
	// Form mistakes.
	body, ct = multipartBody(t, "list.txt", "text/plain", testJSONL)
	e.do("POST", "/api/v1/batches", body, "Content-Type", ct).fails(415, CodeUnsupportedMedia)
	body, ct = multipartBody(t, "list.jsonl", "", testJSONL, "colour", "red")
	e.do("POST", "/api/v1/batches", body, "Content-Type", ct).fails(400, CodeUnknownField)
	var nofile bytes.Buffer
	mw := multipart.NewWriter(&nofile)
	mw.WriteField("name", "x")
	mw.Close()
	if err := e.do("POST", "/api/v1/batches", &nofile, "Content-Type", mw.FormDataContentType()).fails(422, "INVALID_INPUT"); err.Details["field"] != "file" {
		t.Fatalf("missing file: %v", err.Details)
	}
	e.do("POST", "/api/v1/batches", strings.NewReader("junk"), "Content-Type", "multipart/form-data; boundary=zzz").fails(422, "INVALID_INPUT")
	e.do("POST", "/api/v1/batches", strings.NewReader("junk"), "Content-Type", "multipart/form-data").fails(400, CodeInvalidForm)
}

func TestBatchLifecycle(t *testing.T) {
	e := newEnv(t, envOptions{worker: true})
	e.do("GET", "/api/v1/batches/7", nil).fails(404, CodeBatchNotFound)
	e.do("GET", "/api/v1/batches/x", nil).fails(404, CodeBatchNotFound)
	e.do("POST", "/api/v1/batches/7/start", nil).fails(404, CodeBatchNotFound)
	e.do("POST", "/api/v1/batches/7/pause", nil).fails(404, CodeBatchNotFound)
	var idle, b wire.Batch
	e.do("POST", "/api/v1/batches", strings.NewReader(testJSONL), "Content-Type", "application/x-ndjson").ok(201, &idle)
	e.do("POST", fmt.Sprintf("/api/v1/batches/%d/pause", idle.ID), nil).fails(409, CodeBatchNotRunning)

	body, ct := multipartBody(t, "run.csv", "", testCSV, "start", "true")
	e.do("POST", "/api/v1/batches", body, "Content-Type", ct).ok(201, &b)
	if b.Status != project.BatchRunning || b.Run == nil || b.Run.TaskID == "" {
		t.Fatalf("started batch %+v", b)
	}
	path := fmt.Sprintf("/api/v1/batches/%d", b.ID)
	newest := b.ID
	waitFor(t, 30*time.Second, "the batch to complete", func() bool {
		e.do("GET", path, nil).ok(200, &b)
		return b.Status == project.BatchCompleted
	})
	if b.Counts.Completed != 2 || b.Progress != 100 || b.Run.FinishedAt == nil || len(b.Run.Result) == 0 {
		t.Fatalf("completed batch %+v", b)
	}
	for _, p := range b.Projects {
		if p.Status != project.Completed || p.Progress != 100 {
			t.Fatalf("batch project %+v", p)
		}
	}
	var task wire.Task
	e.do("GET", "/api/v1/tasks/"+b.Run.TaskID, nil).ok(200, &task)
	if task.Type != "batch_processing_task" || task.State != "succeeded" || !bytes.Contains(task.Result, []byte(`"completed":2`)) {
		t.Fatalf("batch task %+v %s", task, task.Result)
	}
	// Start the idle batch; resume is the same call and joins the run.
	var ref, again wire.BatchRunRef
	e.do("POST", fmt.Sprintf("/api/v1/batches/%d/start", idle.ID), nil).ok(202, &ref)
	e.do("POST", fmt.Sprintf("/api/v1/batches/%d/resume", idle.ID), nil).ok(202, &again)
	if ref.TaskID == "" || (again.TaskID != ref.TaskID && again.Status != project.BatchCompleted) {
		t.Fatalf("start %+v resume %+v", ref, again)
	}
	waitFor(t, 30*time.Second, "the second batch to complete", func() bool {
		e.do("GET", fmt.Sprintf("/api/v1/batches/%d", idle.ID), nil).ok(200, &b)
		return b.Status == project.BatchCompleted
	})
	var list wire.BatchList
	e.do("GET", "/api/v1/batches?limit=1", nil).ok(200, &list)
	if list.Total != 2 || len(list.Batches) != 1 || list.Batches[0].ID != newest || list.Batches[0].Counts.Completed != 2 {
		t.Fatalf("batch list %+v", list)
	}
	e.do("GET", "/api/v1/batches?limit=500", nil).fails(422, "INVALID_INPUT")
}

func TestPauseBatch(t *testing.T) {
	e := newEnv(t, envOptions{worker: true})
	g := newGate()
	e.stages.on(project.StageScript, g.stage(project.StageScript))
	var b wire.Batch
	e.do("POST", "/api/v1/batches?start=true", map[string]any{"concurrency": 1, "projects": []map[string]any{
		{"name": "a", "content": "Text A."}, {"name": "b", "content": "Text B."}}}).ok(201, &b)
	g.waitStarted(t, 10*time.Second)
	var ref wire.BatchRunRef
	e.do("POST", fmt.Sprintf("/api/v1/batches/%d/pause", b.ID), nil).ok(202, &ref)
	if ref.Status != project.BatchPaused {
		t.Fatalf("pause %+v", ref)
	}
	g.open()
	first := b.Projects[0].ID
	e.waitStatus(first, project.Completed, 20*time.Second)
	e.do("GET", fmt.Sprintf("/api/v1/batches/%d", b.ID), nil).ok(200, &b)
	if b.Status != project.BatchPaused || b.Counts.Completed != 1 || b.Counts.Pending != 1 {
		t.Fatalf("paused batch %+v", b.Counts)
	}
	e.do("POST", fmt.Sprintf("/api/v1/batches/%d/resume", b.ID), nil).ok(202, &ref)
	e.waitStatus(b.Projects[1].ID, project.Completed, 20*time.Second)
}
