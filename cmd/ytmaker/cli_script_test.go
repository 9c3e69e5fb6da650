package main

import (
	"bytes"
	"context"
	"image"
	"image/png"
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
	"github.com/ytmaker/ytmaker/internal/script"
	"github.com/ytmaker/ytmaker/internal/stage"
	"github.com/ytmaker/ytmaker/internal/worker"
)

// TestCLIScriptReview: generate with a review stops after the script;
// script show prints it, script edit runs $EDITOR and saves what it
// wrote, approve makes the rest.
func TestCLIScriptReview(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, k := range []string{"API_TOKEN", "HTTP_ADDR", "REDIS_URL", "DATA_DIR"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	rs := redistest.Start(t)
	rdb := rs.Client()
	eng, err := engine.Open(engine.Config{Redis: rdb, DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	stages := map[project.Stage]stage.Stage{}
	for _, s := range project.Stages {
		stages[s] = stage.Func(func(ctx context.Context, job stage.Job) (any, error) {
			if s == project.StageScript {
				sc := &script.Script{Title: "Harbour", Language: "en", Segments: []script.Segment{
					{Type: "intro", Text: "Hello."}, {Type: "content", Text: "Boats come home."}, {Type: "outro", Text: "Bye."}}}
				if err := sc.Save(filepath.Join(job.Dir(), "script.json")); err != nil {
					return nil, err
				}
			}
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
	h := api.New(api.Config{Engine: eng})
	srv := httptest.NewServer(h)
	t.Cleanup(func() { h.Shutdown(); srv.Close() })
	addr := strings.TrimPrefix(srv.URL, "http://")
	cl, _ := apiclient.New(srv.URL, "")
	ctx := context.Background()
	p, err := cl.CreateProject(ctx, project.Input{Name: "Harbour", Content: "Boats come home.", Settings: project.Settings{ReviewScript: true}})
	if err != nil {
		t.Fatal(err)
	}
	resume := func(ctx context.Context, args []string, std cliIO) int {
		return runControl(ctx, args, std, "resume", "", (*apiclient.Client).Resume, true)
	}
	// --wait ends when the run stops for the review.
	code, out, errOut := runCLI(t, resume, "1", "--wait", "--addr", addr)
	wantOutput(t, "resume --wait", code, 0, out+errOut, "the script waits for your review", "ytmaker approve 1")
	if got, err := cl.Project(ctx, p.ID); err != nil || got.Status != project.ScriptReview {
		t.Fatalf("after resume --wait: %+v %v", got, err)
	}
	code, out, errOut = runCLI(t, scriptShow, "1", "--addr", addr)
	wantOutput(t, "script show", code, 0, out+errOut, `"title": "Harbour"`, `"Boats come home."`)

	// The editor: a shell script that rewrites the second segment.
	editor := filepath.Join(t.TempDir(), "edit.sh")
	os.WriteFile(editor, []byte("#!/bin/sh\nsed -i 's/Boats come home\\./Lighthouses blink all night./' \"$1\"\n"), 0o755)
	t.Setenv("VISUAL", "")
	t.Setenv("EDITOR", editor)
	code, out, errOut = runCLI(t, scriptEdit, "1", "--addr", addr)
	wantOutput(t, "script edit", code, 0, out+errOut, "Saved the script of project 1 (3 segments)", "ytmaker approve 1")
	sc, err := cl.Script(ctx, p.ID)
	if err != nil || sc.Segments[1].Text != "Lighthouses blink all night." {
		t.Fatalf("script after the edit: %+v %v", sc, err)
	}
	// Own media for segment 2, refused for a file that is no picture,
	// then removed.
	pic := filepath.Join(t.TempDir(), "harbour.png")
	img := image.NewNRGBA(image.Rect(0, 0, 64, 36))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	os.WriteFile(pic, buf.Bytes(), 0o644)
	code, out, errOut = runCLI(t, mediaSet, "1", "2", pic, "--addr", addr)
	wantOutput(t, "media set", code, 0, out+errOut, "Segment 2 of project 1 now shows harbour.png (image/png, 64x36)")
	notes := filepath.Join(t.TempDir(), "notes.png")
	os.WriteFile(notes, []byte("not a picture at all"), 0o644)
	code, _, errOut = runCLI(t, mediaSet, "1", "3", notes, "--addr", addr)
	wantOutput(t, "media set (text)", code, 1, errOut, "MEDIA_UNSUPPORTED")
	code, out, errOut = runCLI(t, mediaRemove, "1", "2", "--addr", addr)
	wantOutput(t, "media rm", code, 0, out+errOut, "Segment 2 of project 1 shows its generated picture again")
	code, _, errOut = runCLI(t, mediaRemove, "1", "2", "--addr", addr)
	wantOutput(t, "media rm again", code, 1, errOut, "MEDIA_NOT_FOUND")
	approve := func(ctx context.Context, args []string, std cliIO) int {
		return runControl(ctx, args, std, "approve", "", (*apiclient.Client).Approve, true)
	}
	code, out, errOut = runCLI(t, approve, "1", "--wait", "--addr", addr)
	wantOutput(t, "approve --wait", code, 0, out+errOut, "100%", "Project 1 completed")
	code, _, errOut = runCLI(t, approve, "1", "--addr", addr)
	wantOutput(t, "approve again", code, 1, errOut, "NOT_IN_REVIEW")
}
