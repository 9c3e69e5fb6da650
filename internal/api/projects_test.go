package api

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/api/wire"
	"github.com/ytmaker/ytmaker/internal/project"
)

func TestCreateProject(t *testing.T) {
	e := newEnv(t, envOptions{})
	var p wire.Project
	r := e.do("POST", "/api/v1/projects", map[string]any{
		"name": "  Demo  ", "content": "台灣的夜市文化。\n\n小吃很多。",
		"settings": map[string]any{"format": "vertical", "youtube": map[string]any{"tags": []string{"food", "taipei"}}},
	}).ok(http.StatusCreated, &p)
	if p.ID <= 0 || p.Name != "Demo" || p.Status != project.Initialized || p.Progress != 0 {
		t.Fatalf("created %+v", p)
	}
	if got := r.header.Get("Location"); got != fmt.Sprintf("/api/v1/projects/%d", p.ID) {
		t.Fatalf("Location = %q", got)
	}
	if p.Language != "zh-TW" || p.Settings.Format != project.FormatVertical || !p.Settings.SubtitlesOn() ||
		p.Settings.YouTube.Privacy != "private" || len(p.Settings.YouTube.Tags) != 2 {
		t.Fatalf("settings not normalised: lang %q %+v", p.Language, p.Settings)
	}
	if len(p.Stages) != 5 || p.Stages[0].Name != project.StageScript || p.Stages[0].Task != "generate_script_task" ||
		p.Stages[4].Status != project.StagePending {
		t.Fatalf("stages %+v", p.Stages)
	}
	if p.Outputs != (wire.Outputs{}) {
		t.Fatalf("a new project has outputs: %+v", p.Outputs)
	}
	got := e.project(p.ID)
	if got.Name != "Demo" || got.Content != p.Content {
		t.Fatalf("GET after create: %+v", got)
	}
}

func TestCreateProjectValidation(t *testing.T) {
	e := newEnv(t, envOptions{})
	long := strings.Repeat("x", project.MaxContentLen+1)
	cases := []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"name": "", "content": "text"}, "name"},
		{map[string]any{"name": strings.Repeat("n", 201), "content": "text"}, "name"},
		{map[string]any{"name": "n", "content": "  "}, "content"},
		{map[string]any{"name": "n", "content": long}, "content"},
		{map[string]any{"name": "n", "content": "c", "language": "en us!"}, "language"},
		{map[string]any{"name": "n", "content": "c", "settings": map[string]any{"format": "4k"}}, "settings.format"},
		{map[string]any{"name": "n", "content": "c", "settings": map[string]any{"motion": "spin"}}, "settings.motion"},
		{map[string]any{"name": "n", "content": "c", "settings": map[string]any{"music_volume": 2}}, "settings.music_volume"},
		{map[string]any{"name": "n", "content": "c", "settings": map[string]any{"youtube": map[string]any{"privacy": "secret"}}}, "settings.youtube.privacy"},
		{map[string]any{"name": "n", "content": "c", "settings": map[string]any{"youtube": map[string]any{"title": strings.Repeat("t", 101)}}}, "settings.youtube.title"},
		{map[string]any{"name": "n", "content": "c", "settings": map[string]any{"providers": map[string]any{"tts": "acme"}}}, "settings.providers.tts"},
		// Caught at the door, not minutes later in a stage.
		{map[string]any{"name": "n", "content": "c", "language": "xx-INVALID"}, "language"},
		{map[string]any{"name": "n", "content": "c", "language": "en-INVALID"}, "language"},
		{map[string]any{"name": "n", "content": "c", "settings": map[string]any{"music": "../../etc/passwd"}}, "settings.music"},
		{map[string]any{"name": "n", "content": "c", "settings": map[string]any{"music": "/etc/passwd"}}, "settings.music"},
		{map[string]any{"name": "n", "content": "c", "settings": map[string]any{"music": "absent.mp3"}}, "settings.music"},
		{map[string]any{"name": "n", "content": "c", "settings": map[string]any{"youtube": map[string]any{"publish_at": "tomorrow"}}}, "settings.youtube.publish_at"},
		{map[string]any{"name": "n", "content": "c", "settings": map[string]any{"youtube": map[string]any{"publish_at": "2001-01-01T00:00:00Z"}}}, "settings.youtube.publish_at"},
	}
	for _, c := range cases {
		err := e.do("POST", "/api/v1/projects", c.body).fails(http.StatusUnprocessableEntity, "INVALID_INPUT")
		if err.Details["field"] != c.field {
			t.Errorf("%v: field = %v, want %s", c.body, err.Details["field"], c.field)
		}
	}
	var list wire.ProjectList
	e.do("GET", "/api/v1/projects", nil).ok(200, &list)
	if list.Total != 0 {
		t.Fatalf("invalid input created %d projects", list.Total)
	}
}

func TestCreateProjectBadBodies(t *testing.T) {
	e := newEnv(t, envOptions{maxJSON: 4096})
	cases := []struct {
		name, body, ctype string
		code              int
		errCode, field    string
	}{
		{"unknown field", `{"name":"n","content":"c","colour":"red"}`, "", 400, CodeUnknownField, "colour"},
		{"unknown nested field", `{"name":"n","content":"c","settings":{"youtube":{"visibility":"public"}}}`, "", 400, CodeUnknownField, "visibility"},
		{"wrong type", `{"name":5,"content":"c"}`, "", 400, CodeInvalidType, "name"},
		{"wrong nested type", `{"name":"n","content":"c","settings":{"subtitles":"yes"}}`, "", 400, CodeInvalidType, "settings.subtitles"},
		{"wrong array type", `{"name":"n","content":"c","settings":{"youtube":{"tags":"a,b"}}}`, "", 400, CodeInvalidType, "settings.youtube.tags"},
		{"array body", `[1,2]`, "", 400, CodeInvalidType, "(body)"},
		{"malformed", `{"name":"n",`, "", 400, CodeInvalidJSON, ""},
		{"syntax", `{"name" "n"}`, "", 400, CodeInvalidJSON, ""},
		{"empty", ``, "", 400, CodeEmptyBody, ""},
		{"trailing", `{"name":"n","content":"c"} {"x":1}`, "", 400, CodeInvalidJSON, ""},
		{"bad time", `{"name":"n","content":"c","settings":{"youtube":{"publish_at":"tomorrow"}}}`, "", 422, "INVALID_INPUT", "settings.youtube.publish_at"},
		{"too large", `{"name":"n","content":"` + strings.Repeat("a", 5000) + `"}`, "", 413, CodeTooLarge, ""},
		{"form post", `name=n&content=c`, "application/x-www-form-urlencoded", 415, CodeUnsupportedMedia, ""},
		{"bad content type", `{}`, "application/json; charset", 415, CodeUnsupportedMedia, ""},
		{"JSON in UTF-16", `{}`, "application/json; charset=utf-16", 415, CodeUnsupportedMedia, ""},
		{"JSON in Latin-1", `{}`, "application/json; charset=ISO-8859-1", 415, CodeUnsupportedMedia, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := []string{}
			if c.ctype != "" {
				h = append(h, "Content-Type", c.ctype)
			}
			err := e.do("POST", "/api/v1/projects", c.body, h...).fails(c.code, c.errCode)
			if c.field != "" && err.Details["field"] != c.field {
				t.Fatalf("field = %v, want %s", err.Details["field"], c.field)
			}
		})
	}
	// No Content-Type at all is read as JSON (curl -d sets a form type;
	// a bare client may send none).
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/projects", strings.NewReader(`{"name":"n","content":"c"}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("no Content-Type: HTTP %d", resp.StatusCode)
	}
	// UTF-8 named explicitly, in any case, is fine.
	e.do("POST", "/api/v1/projects", `{"name":"n","content":"c"}`, "Content-Type", "application/json; charset=UTF-8").ok(201, nil)
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.do("GET", "/api/v1/nothing", nil).fails(404, "NOT_FOUND")
	r := e.do("PUT", "/api/v1/projects", `{}`)
	r.fails(405, "METHOD_NOT_ALLOWED")
	if allow := r.header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") {
		t.Fatalf("Allow = %q", allow)
	}
	e.do("POST", "/api/v1/projects/1/result", nil).fails(405, "METHOD_NOT_ALLOWED")
	var h map[string]any
	resp, err := http.Get(e.srv.URL + "/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/health: %d", resp.StatusCode)
	}
	e.do("GET", "/status", nil).ok(200, &h)
	if h["status"] != "healthy" {
		t.Fatalf("/status data %v", h)
	}
}

func TestListProjects(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, n := range []string{"charlie", "alpha", "bravo"} {
		e.createProject(n)
	}
	var list wire.ProjectList
	e.do("GET", "/api/v1/projects", nil).ok(200, &list)
	if list.Total != 3 || list.Limit != 20 || list.Offset != 0 || len(list.Projects) != 3 {
		t.Fatalf("list %+v", list)
	}
	if list.Projects[0].Name != "bravo" { // newest first by default
		t.Fatalf("default order: first is %q", list.Projects[0].Name)
	}
	e.do("GET", "/api/v1/projects?sort=name&order=asc&limit=2", nil).ok(200, &list)
	if list.Total != 3 || len(list.Projects) != 2 || list.Projects[0].Name != "alpha" || list.Projects[1].Name != "bravo" {
		t.Fatalf("sorted page %+v", list)
	}
	e.do("GET", "/api/v1/projects?sort=name&order=asc&limit=2&offset=2", nil).ok(200, &list)
	if len(list.Projects) != 1 || list.Projects[0].Name != "charlie" || list.Offset != 2 {
		t.Fatalf("second page %+v", list)
	}
	e.do("GET", "/api/v1/projects?sort_by=id&order=asc", nil).ok(200, &list)
	if list.Projects[0].Name != "charlie" {
		t.Fatalf("sort_by=id: %+v", list.Projects)
	}
	e.do("GET", "/api/v1/projects?status=completed", nil).ok(200, &list)
	if list.Total != 0 || list.Projects == nil {
		t.Fatalf("status filter %+v", list)
	}
	e.do("GET", "/api/v1/projects?status=INITIALIZED", nil).ok(200, &list)
	if list.Total != 3 {
		t.Fatalf("status=INITIALIZED %+v", list)
	}
	for q, field := range map[string]string{
		"limit=0": "limit", "limit=101": "limit", "limit=x": "limit", "offset=-1": "offset",
		"status=DONE": "status", "sort=size": "sort", "order=up": "order", "batch_id=abc": "batch_id",
	} {
		err := e.do("GET", "/api/v1/projects?"+q, nil).fails(422, "INVALID_INPUT")
		if err.Details["field"] != field {
			t.Errorf("%s: field %v", q, err.Details["field"])
		}
	}
}

func TestBadProjectIDs(t *testing.T) {
	e := newEnv(t, envOptions{})
	// Project 1 exists: no other spelling of its ID may reach (or delete) it.
	var one wire.Project
	e.do("POST", "/api/v1/projects", map[string]any{"name": "one", "content": "text"}).ok(http.StatusCreated, &one)
	if one.ID != 1 {
		t.Fatalf("first project has ID %d", one.ID)
	}
	for _, id := range []string{"abc", "0", "-1", "1.5", "99999999999999999999", "%2e%2e", "1%2F..%2F2", "+7", "12abc",
		"01", "007", "%201", "1%20", "00", "9223372036854775808"} {
		for _, path := range []string{"", "/result", "/video", "/events", "/progress"} {
			e.do("GET", "/api/v1/projects/"+id+path, nil).fails(404, CodeProjectNotFound)
		}
		e.do("POST", "/api/v1/projects/"+id+"/generate", nil).fails(404, CodeProjectNotFound)
		e.do("DELETE", "/api/v1/projects/"+id, nil).fails(404, CodeProjectNotFound)
	}
	// Well-formed but unknown.
	e.do("GET", "/api/v1/projects/42", nil).fails(404, CodeProjectNotFound)
	e.do("PATCH", "/api/v1/projects/42", `{"name":"x"}`).fails(404, CodeProjectNotFound)
	e.do("POST", "/api/v1/projects/42/generate", nil).fails(404, CodeProjectNotFound)
	e.do("POST", "/api/v1/projects/42/pause", nil).fails(404, CodeProjectNotFound)
	e.do("POST", "/api/v1/projects/42/resume", nil).fails(404, CodeProjectNotFound)
	e.do("POST", "/api/v1/projects/42/cancel", nil).fails(404, CodeProjectNotFound)
	e.do("POST", "/api/v1/projects/42/retry", nil).fails(404, CodeProjectNotFound)
	e.do("GET", "/api/v1/projects/42/script", nil).fails(404, CodeProjectNotFound)
	e.do("DELETE", "/api/v1/projects/42", nil).fails(404, CodeProjectNotFound)
	for _, id := range []string{"01", "0x1", "1e0"} {
		e.do("GET", "/api/v1/projects?batch_id="+id, nil).fails(422, "INVALID_INPUT")
	}
	if got := e.project(1); got.Name != "one" {
		t.Fatalf("project 1 after the bad IDs: %+v", got)
	}
}

func TestMusicAndPublishAtAtTheDoor(t *testing.T) {
	e := newEnv(t, envOptions{})
	if err := os.MkdirAll(filepath.Join(e.dir, "music", "calm"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(e.dir, "music", "calm", "rain.mp3"), []byte("ID3 not really music"), 0o644)
	os.WriteFile(filepath.Join(e.dir, "secret.txt"), []byte("secret"), 0o644)
	os.Symlink(filepath.Join(e.dir, "secret.txt"), filepath.Join(e.dir, "music", "escape.mp3"))
	var p wire.Project
	future := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	e.do("POST", "/api/v1/projects", map[string]any{"name": "n", "content": "c", "settings": map[string]any{
		"music": "calm/rain.mp3", "youtube": map[string]any{"publish_at": future.Format(time.RFC3339)}}}).ok(http.StatusCreated, &p)
	if p.Settings.Music != "calm/rain.mp3" || !p.Settings.YouTube.PublishAt.Equal(future) {
		t.Fatalf("settings %+v", p.Settings)
	}
	url := fmt.Sprintf("/api/v1/projects/%d", p.ID)
	for body, field := range map[string]string{
		`{"settings":{"music":"escape.mp3"}}`:                            "settings.music",
		`{"settings":{"music":"calm/../../secret.txt"}}`:                 "settings.music",
		`{"settings":{"music":"gone.mp3"}}`:                              "settings.music",
		`{"settings":{"youtube":{"publish_at":"tomorrow"}}}`:             "settings.youtube.publish_at",
		`{"settings":{"youtube":{"publish_at":"2020-01-01T00:00:00Z"}}}`: "settings.youtube.publish_at",
		`{"language":"xx-INVALID"}`:                                      "language",
	} {
		err := e.do("PATCH", url, body).fails(http.StatusUnprocessableEntity, "INVALID_INPUT")
		if err.Details["field"] != field {
			t.Errorf("PATCH %s: field %v, want %s", body, err.Details["field"], field)
		}
	}
	// Unrelated changes are not refused for what was valid when set.
	e.do("PATCH", url, `{"name":"renamed"}`).ok(http.StatusOK, nil)
	// Batches name the entry.
	err := e.do("POST", "/api/v1/batches", map[string]any{"name": "b", "projects": []any{
		map[string]any{"name": "a", "content": "c"},
		map[string]any{"name": "b", "content": "c", "settings": map[string]any{"music": "nope.mp3"}}}}).
		fails(http.StatusUnprocessableEntity, "INVALID_INPUT")
	if err.Details["field"] != "projects[1].settings.music" {
		t.Fatalf("batch field %v", err.Details["field"])
	}
	err = e.do("POST", "/api/v1/batches", `{"name":"b","projects":[{"name":"a","content":"c","settings":{"youtube":{"publish_at":"soon"}}}]}`).
		fails(http.StatusUnprocessableEntity, "INVALID_INPUT")
	if err.Details["field"] != "projects[0].settings.youtube.publish_at" {
		t.Fatalf("batch field %v", err.Details["field"])
	}
}

func TestPatchProject(t *testing.T) {
	e := newEnv(t, envOptions{worker: true})
	id := e.createProject("patch me")
	var res wire.PatchResult
	// Before anything ran: nothing to reset.
	e.do("PATCH", fmt.Sprintf("/api/v1/projects/%d", id), `{"name":"renamed","settings":{"motion":"kenburns"}}`).ok(200, &res)
	if res.Project.Name != "renamed" || res.Project.Settings.Motion != project.MotionKenBurns || len(res.Reset) != 0 {
		t.Fatalf("patch before run: %+v reset %v", res.Project.Settings, res.Reset)
	}
	// Partial settings keep the others.
	if res.Project.Settings.Format != project.FormatLandscape || res.Project.Settings.YouTube.Privacy != "private" {
		t.Fatalf("merge lost settings: %+v", res.Project.Settings)
	}
	e.do("POST", fmt.Sprintf("/api/v1/projects/%d/generate", id), nil).ok(202, nil)
	e.waitStatus(id, project.Completed, 20*time.Second)

	patch := func(body string, wantReset []project.Stage, wantStatus project.Status) {
		t.Helper()
		var res wire.PatchResult
		e.do("PATCH", fmt.Sprintf("/api/v1/projects/%d", id), body).ok(200, &res)
		if fmt.Sprint(res.Reset) != fmt.Sprint(wantReset) || res.Project.Status != wantStatus {
			t.Fatalf("PATCH %s: reset %v status %s; want %v %s", body, res.Reset, res.Project.Status, wantReset, wantStatus)
		}
		st := e.state(id)
		for _, s := range wantReset {
			ss := st.Stages.Get(s)
			if ss.Status != project.StagePending || ss.Result != nil || ss.Checkpoints != nil || ss.Attempts != 0 {
				t.Fatalf("stage %s not reset: %+v", s, ss)
			}
		}
	}
	// Other YouTube settings: only the upload.
	patch(`{"settings":{"youtube":{"privacy":"unlisted"}}}`, []project.Stage{project.StageUpload}, project.ThumbnailGenerated)
	// The title: the thumbnail (and what follows).
	patch(`{"settings":{"youtube":{"title":"New title"}}}`, []project.Stage{project.StageThumbnail}, project.Rendered)
	// Subtitles: the render onwards.
	patch(`{"settings":{"subtitles":false}}`, []project.Stage{project.StageRender}, project.AssetsGenerated)
	// The voice: the assets onwards.
	patch(`{"settings":{"voice":"en-slt"}}`, []project.Stage{project.StageAssets}, project.ScriptGenerated)
	// The same value again changes nothing.
	patch(`{"settings":{"voice":"en-slt"}}`, []project.Stage{}, project.ScriptGenerated)
	// The content: everything.
	patch(`{"content":"Entirely new text. With two sentences."}`, []project.Stage{project.StageScript}, project.Initialized)
	if e.project(id).Settings.YouTube.Title != "New title" {
		t.Fatal("earlier settings were lost")
	}
	// null resets a setting to its default.
	var r wire.PatchResult
	e.do("PATCH", fmt.Sprintf("/api/v1/projects/%d", id), `{"settings":{"subtitles":null,"youtube":{"title":null}}}`).ok(200, &r)
	if !r.Project.Settings.SubtitlesOn() || r.Project.Settings.YouTube.Title != "" || r.Project.Settings.YouTube.Privacy != "unlisted" {
		t.Fatalf("null patch: %+v", r.Project.Settings)
	}

	// Bad patches.
	path := fmt.Sprintf("/api/v1/projects/%d", id)
	if err := e.do("PATCH", path, `{"settings":{"youtube":{"privacy":"everyone"}}}`).fails(422, "INVALID_INPUT"); err.Details["field"] != "settings.youtube.privacy" {
		t.Fatalf("field %v", err.Details["field"])
	}
	if err := e.do("PATCH", path, `{"settings":{"caption_style":{"color":"red"}}}`).fails(422, "INVALID_INPUT"); err.Details["field"] != "settings.caption_style.color" {
		t.Fatalf("field %v", err.Details["field"])
	}
	if err := e.do("PATCH", path, `{"settings":{"captions":"bouncy"}}`).fails(422, "INVALID_INPUT"); err.Details["field"] != "settings.captions" {
		t.Fatalf("field %v", err.Details["field"])
	}
	if err := e.do("PATCH", path, `{"settings":{"colour":"red"}}`).fails(400, CodeUnknownField); err.Details["field"] != "settings.colour" {
		t.Fatalf("unknown settings field %v", err.Details)
	}
	if err := e.do("PATCH", path, `{"settings":{"subtitles":"no"}}`).fails(400, CodeInvalidType); err.Details["field"] != "settings.subtitles" {
		t.Fatalf("type error field %v", err.Details)
	}
	e.do("PATCH", path, `{"settings":[1]}`).fails(400, CodeInvalidType)
	e.do("PATCH", path, `{"name":""}`).fails(422, "INVALID_INPUT")
	e.do("PATCH", path, `{"status":"COMPLETED"}`).fails(400, CodeUnknownField)
}

func TestChangesRefusedWhileRunning(t *testing.T) {
	e := newEnv(t, envOptions{worker: true})
	g := newGate()
	e.stages.on(project.StageAssets, g.stage(project.StageAssets))
	id := e.createProject("busy")
	e.do("POST", fmt.Sprintf("/api/v1/projects/%d/generate", id), nil).ok(202, nil)
	g.waitStarted(t, 10*time.Second)
	path := fmt.Sprintf("/api/v1/projects/%d", id)
	err := e.do("PATCH", path, `{"name":"new"}`).fails(409, "PROJECT_BUSY")
	if err.Details["task_id"] == "" || err.Details["state"] != "running" {
		t.Fatalf("busy details %v", err.Details)
	}
	e.do("DELETE", path+"?delete_files=true", nil).fails(409, "PROJECT_BUSY")
	e.do("POST", path+"/retry", nil).fails(409, "PROJECT_BUSY")
	e.do("GET", path+"/result", nil).fails(409, CodeNotCompleted)
	// Progress is the live value while running.
	p := e.project(id)
	if p.Status != project.AssetsGenerating || p.Run == nil || p.Run.State != project.RunRunning || p.CurrentStage != project.StageAssets {
		t.Fatalf("running project %+v", p)
	}
	if p.Progress < 10 || p.Progress >= 100 {
		t.Fatalf("live progress %d", p.Progress)
	}
	g.open()
	e.waitStatus(id, project.Completed, 20*time.Second)
	if e.project(id).Progress != 100 {
		t.Fatal("a completed project's progress is not 100")
	}
	e.do("PATCH", path, `{"name":"new"}`).ok(200, nil)
}

func TestDeleteProject(t *testing.T) {
	e := newEnv(t, envOptions{})
	keep := e.createProject("keep files")
	drop := e.createProject("drop files")
	e.do("DELETE", fmt.Sprintf("/api/v1/projects/%d?delete_files=maybe", keep), nil).fails(422, "INVALID_INPUT")
	var d wire.Deleted
	e.do("DELETE", fmt.Sprintf("/api/v1/projects/%d", keep), nil).ok(200, &d)
	if !d.Deleted || d.FilesDeleted || d.ID != keep {
		t.Fatalf("delete answer %+v", d)
	}
	moved, _ := filepath.Glob(filepath.Join(e.dir, "deleted", fmt.Sprintf("project-%d-*", keep)))
	if len(moved) != 1 {
		t.Fatalf("files not kept under deleted/: %v", moved)
	}
	e.do("DELETE", fmt.Sprintf("/api/v1/projects/%d?delete_files=true", drop), nil).ok(200, &d)
	if !d.FilesDeleted {
		t.Fatal("files_deleted false")
	}
	if _, err := os.Stat(e.engine.Store().ProjectDir(drop)); !os.IsNotExist(err) {
		t.Fatalf("project folder still there: %v", err)
	}
	e.do("GET", fmt.Sprintf("/api/v1/projects/%d", drop), nil).fails(404, CodeProjectNotFound)
	e.do("DELETE", fmt.Sprintf("/api/v1/projects/%d", drop), nil).fails(404, CodeProjectNotFound)
}

func TestDebugTaskEndpoint(t *testing.T) {
	e := newEnv(t, envOptions{worker: true})
	var ref wire.TaskRef
	r := e.do("POST", "/api/v1/tasks/debug", `{"payload":{"hello":"worker"}}`).ok(http.StatusAccepted, &ref)
	if ref.TaskID == "" || ref.Type != "debug_task" || ref.Queue != "maintenance" || r.header.Get("Location") != "/api/v1/tasks/"+ref.TaskID {
		t.Fatalf("ref %+v, Location %q", ref, r.header.Get("Location"))
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		var task wire.Task
		e.do("GET", "/api/v1/tasks/"+ref.TaskID, nil).ok(200, &task)
		if task.State == "succeeded" {
			if !strings.Contains(string(task.Result), "worker") {
				t.Fatalf("result %s", task.Result)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("debug_task still %s", task.State)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// An empty body is fine; a malformed one is not.
	e.do("POST", "/api/v1/tasks/debug", nil).ok(http.StatusAccepted, nil)
	e.do("POST", "/api/v1/tasks/debug", `{"payload":`).fails(400, CodeInvalidJSON)
	// A payload is a note for the worker's log, not a store: a large one is refused.
	big := `{"payload":"` + strings.Repeat("b", MaxDebugPayload) + `"}`
	if er := e.do("POST", "/api/v1/tasks/debug", big).fails(422, errcode.InvalidInput); er.Details["field"] != "payload" {
		t.Errorf("large payload: %+v", er)
	}
}
