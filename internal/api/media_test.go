package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/api/wire"
	"github.com/ytmaker/ytmaker/internal/ownmedia"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/script"
)

// mediaFixture makes a small file with ffmpeg from a lavfi source.
func mediaFixture(t *testing.T, name, src string, extra ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	path := filepath.Join(t.TempDir(), name)
	args := append([]string{"-v", "error", "-y", "-f", "lavfi", "-i", src}, extra...)
	if out, err := exec.Command("ffmpeg", append(args, path)...).CombinedOutput(); err != nil {
		t.Fatalf("make %s: %v\n%s", name, err, out)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mediaForm returns a form holding data in field under file name.
func mediaForm(t *testing.T, field, name string, data []byte) (io.Reader, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if err := mw.WriteField("note", "ignored"); err != nil {
		t.Fatal(err)
	}
	fw, err := mw.CreateFormFile(field, name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	return &b, mw.FormDataContentType()
}

func (e *env) putMedia(id int64, n any, name string, data []byte) *response {
	e.t.Helper()
	body, ct := mediaForm(e.t.(*testing.T), MediaField, name, data)
	return e.do("PUT", fmt.Sprintf("/api/v1/projects/%d/segments/%v/media", id, n), body, "Content-Type", ct)
}

// scriptedProject makes a project with a three-segment script whose
// stages all finished, as after a complete run.
func (e *env) scriptedProject() int64 {
	e.t.Helper()
	id := e.createProject("Own media")
	sc := &script.Script{Title: "Harbour", Language: "en", Segments: []script.Segment{
		{Type: "intro", Text: "Hello."}, {Type: "content", Text: "Boats come home."}, {Type: "outro", Text: "Bye."}}}
	if err := sc.Save(filepath.Join(e.engine.Store().ProjectDir(id), "script.json")); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.engine.Store().UpdateState(id, func(st *project.State) error {
		for _, s := range project.Stages {
			st.Stages.Get(s).Status = project.StageCompleted
		}
		st.Stages.Assets.Checkpoints = map[string]json.RawMessage{"image:01": json.RawMessage(`{}`)}
		st.Status = project.Completed
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
	return id
}

func TestSegmentMedia(t *testing.T) {
	e := newEnv(t, envOptions{})
	id := e.scriptedProject()
	png := mediaFixture(t, "a.png", "color=c=red:s=64x48", "-frames:v", "1")
	jpg := mediaFixture(t, "a.jpg", "color=c=blue:s=64x48", "-frames:v", "1")
	webp := mediaFixture(t, "a.webp", "color=c=green:s=64x48", "-frames:v", "1")
	mp4 := mediaFixture(t, "a.mp4", "testsrc2=s=128x72:r=25:d=2", "-c:v", "libx264", "-pix_fmt", "yuv420p")

	// A picture: stored, shown in the project, served back, and every
	// stage from the assets on goes back to pending.
	var up wire.MediaUpdate
	e.putMedia(id, 2, "holiday.png", png).ok(200, &up)
	if up.Media == nil || up.Media.Segment != 2 || up.Media.Kind != "image" || up.Media.ContentType != "image/png" ||
		up.Media.Width != 64 || up.Media.Height != 48 || up.Media.SizeBytes != int64(len(png)) {
		t.Fatalf("stored %+v", up.Media)
	}
	if fmt.Sprint(up.Reset) != "[assets render thumbnail upload]" {
		t.Errorf("reset %v", up.Reset)
	}
	st := e.state(id)
	if st.Stages.Assets.Status != project.StagePending || st.Stages.Assets.Checkpoints == nil || st.Stages.Script.Status != project.StageCompleted {
		t.Errorf("stages after the upload: assets %s, script %s", st.Stages.Assets.Status, st.Stages.Script.Status)
	}
	p := e.project(id)
	if len(p.Media) != 1 || p.Media[0].Segment != 2 || p.Media[0].URL != fmt.Sprintf("/api/v1/projects/%d/segments/2/media", id) {
		t.Fatalf("project media %+v", p.Media)
	}
	got := e.do("GET", p.Media[0].URL, nil)
	if got.code != 200 || !bytes.Equal(got.body, png) || got.header.Get("Content-Type") != "image/png" {
		t.Fatalf("GET media: %d %s, %d bytes", got.code, got.header.Get("Content-Type"), len(got.body))
	}

	// JPEG, WebP and MP4 are recognised by their bytes, whatever the name.
	for _, tc := range []struct {
		n    int
		name string
		data []byte
		mime string
	}{{1, "x.bin", jpg, "image/jpeg"}, {3, "x.png", webp, "image/webp"}, {2, "clip.dat", mp4, "video/mp4"}} {
		e.putMedia(id, tc.n, tc.name, tc.data).ok(200, &up)
		if up.Media.ContentType != tc.mime {
			t.Errorf("%s stored as %s, want %s", tc.name, up.Media.ContentType, tc.mime)
		}
	}
	if up.Media.Kind != "video" || up.Media.DurationSeconds < 1.9 || up.Media.DurationSeconds > 2.1 {
		t.Errorf("clip %+v", up.Media)
	}
	// The clip replaced segment 2's picture: one file per segment.
	files, _ := filepath.Glob(filepath.Join(e.engine.Store().ProjectDir(id), "media", "*"))
	if len(files) != 3 {
		t.Errorf("media folder holds %v", files)
	}
	if len(up.Segments) != 3 {
		t.Errorf("segments with media: %+v", up.Segments)
	}

	// Bad files change nothing.
	before := e.state(id)
	bad := []struct {
		name   string
		n      any
		data   []byte
		status int
		code   string
	}{
		{"notes.png", 1, bytes.Repeat([]byte("plain text, not a picture\n"), 40), 415, errcode.MediaUnsupported},
		{"cut.mp4", 1, mp4[:len(mp4)/2], 422, errcode.MediaUndecodable},
		{"empty.png", 1, nil, 415, errcode.MediaUnsupported},
		{"a.png", 0, png, 422, errcode.InvalidInput},
		{"a.png", 4, png, 422, errcode.InvalidInput},
		{"a.png", "two", png, 422, errcode.InvalidInput},
		// Numbers are written the canonical way, as IDs are: "01" is not segment 1.
		{"a.png", "01", png, 422, errcode.InvalidInput},
		{"a.png", "+1", png, 422, errcode.InvalidInput},
	}
	for _, tc := range bad {
		er := e.putMedia(id, tc.n, tc.name, tc.data).fails(tc.status, tc.code)
		if f := er.Details["field"]; f == nil {
			t.Errorf("%s to %v: no details.field in %+v", tc.name, tc.n, er)
		}
	}
	// Not multipart, or the wrong field.
	e.do("PUT", fmt.Sprintf("/api/v1/projects/%d/segments/1/media", id), bytes.NewReader(png), "Content-Type", "image/png").
		fails(415, CodeUnsupportedMedia)
	body, ct := mediaForm(t, "picture", "a.png", png)
	e.do("PUT", fmt.Sprintf("/api/v1/projects/%d/segments/1/media", id), body, "Content-Type", ct).fails(422, errcode.InvalidInput)
	e.putMedia(999, 1, "a.png", png).fails(404, CodeProjectNotFound)
	after := e.state(id)
	if fmt.Sprint(after.Media) != fmt.Sprint(before.Media) || after.Version != before.Version {
		t.Errorf("a refused upload changed the state: %+v -> %+v", before.Media, after.Media)
	}
	if left, _ := filepath.Glob(filepath.Join(e.engine.Store().ProjectDir(id), "media", ".*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}

	// Removing brings the generated picture back.
	e.do("DELETE", fmt.Sprintf("/api/v1/projects/%d/segments/2/media", id), nil).ok(200, &up)
	if len(up.Segments) != 2 || e.state(id).MediaFor(2) != nil {
		t.Errorf("after DELETE: %+v", up.Segments)
	}
	if _, err := os.Stat(filepath.Join(e.engine.Store().ProjectDir(id), "media", "segment_02.mp4")); !os.IsNotExist(err) {
		t.Errorf("the clip is still on disk: %v", err)
	}
	e.do("DELETE", fmt.Sprintf("/api/v1/projects/%d/segments/2/media", id), nil).fails(404, CodeMediaNotFound)
	e.do("GET", fmt.Sprintf("/api/v1/projects/%d/segments/2/media", id), nil).fails(404, CodeMediaNotFound)
	e.do("DELETE", fmt.Sprintf("/api/v1/projects/%d/segments/9/media", id), nil).fails(422, errcode.InvalidInput)
	e.do("GET", fmt.Sprintf("/api/v1/projects/%d/segments/01/media", id), nil).fails(404, CodeMediaNotFound)

	// Before the script exists there are no segments.
	fresh := e.createProject("No script")
	e.putMedia(fresh, 1, "a.png", png).fails(409, CodeOutputNotReady)
}

// An upload over 200 MB is refused with 413 while it streams: the server
// stops at the limit and keeps nothing.
func TestSegmentMediaTooLarge(t *testing.T) {
	e := newEnv(t, envOptions{})
	id := e.scriptedProject()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		fw, err := mw.CreateFormFile(MediaField, "huge.png")
		if err == nil {
			_, err = fw.Write([]byte("\x89PNG\r\n\x1a\n"))
		}
		chunk := make([]byte, 1<<20)
		for i := 0; err == nil && i < ownmedia.MaxBytes>>20+2; i++ {
			_, err = fw.Write(chunk)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequest("PUT", fmt.Sprintf("%s/api/v1/projects/%d/segments/1/media", e.srv.URL, id), pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	pr.CloseWithError(io.ErrClosedPipe)
	if resp.StatusCode != 413 || !bytes.Contains(b, []byte(errcode.MediaTooLarge)) {
		t.Fatalf("HTTP %d %s", resp.StatusCode, b)
	}
	if left, _ := filepath.Glob(filepath.Join(e.engine.Store().ProjectDir(id), "media", "*")); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	if left, _ := filepath.Glob(filepath.Join(e.engine.Store().ProjectDir(id), "media", ".*")); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	// A declared length over the limit is refused before reading.
	req, _ = http.NewRequest("PUT", fmt.Sprintf("%s/api/v1/projects/%d/segments/1/media", e.srv.URL, id), io.LimitReader(neverEnding{}, ownmedia.MaxBytes+1<<20))
	req.ContentLength = ownmedia.MaxBytes + 1<<20
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	resp, err = e.srv.Client().Do(req)
	if err == nil {
		b, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 413 || !bytes.Contains(b, []byte(errcode.MediaTooLarge)) {
			t.Fatalf("HTTP %d %s", resp.StatusCode, b)
		}
	}
}

type neverEnding struct{}

func (neverEnding) Read(p []byte) (int, error) { return len(p), nil }
