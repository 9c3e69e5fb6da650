package store

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/project"
)

func input(name string) project.Input {
	return project.Input{Name: name, Content: "Hello world. This is a test."}
}

// TestMain lets the test binary act as a second process that creates
// projects, for the cross-process ID allocation test.
func TestMain(m *testing.M) {
	if dir := os.Getenv("STORE_TEST_CREATE_DIR"); dir != "" {
		n, _ := strconv.Atoi(os.Getenv("STORE_TEST_CREATE_N"))
		s, err := Open(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		for i := 0; i < n; i++ {
			p, err := s.CreateProject(context.Background(), input("child"), 0)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			fmt.Println(p.ID)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestConcurrentCreateGetsDistinctIDs(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	const procs, perProc, goroutines, perGoroutine = 3, 15, 4, 15
	var mu sync.Mutex
	seen := map[int64]bool{}
	add := func(id int64) {
		mu.Lock()
		defer mu.Unlock()
		if seen[id] {
			t.Errorf("ID %d allocated twice", id)
		}
		seen[id] = true
	}
	var wg sync.WaitGroup
	for p := 0; p < procs; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "STORE_TEST_CREATE_DIR="+dir, "STORE_TEST_CREATE_N="+strconv.Itoa(perProc))
			out, err := cmd.Output()
			if err != nil {
				t.Errorf("child: %v", err)
				return
			}
			for _, line := range strings.Fields(string(out)) {
				id, _ := strconv.ParseInt(line, 10, 64)
				add(id)
			}
		}()
	}
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perGoroutine; i++ {
				p, err := s.CreateProject(context.Background(), input("parent"), 0)
				if err != nil {
					t.Error(err)
					return
				}
				add(p.ID)
			}
		}()
	}
	wg.Wait()
	want := procs*perProc + goroutines*perGoroutine
	if len(seen) != want {
		t.Fatalf("got %d distinct IDs, want %d", len(seen), want)
	}
	for id := int64(1); id <= int64(want); id++ {
		if !seen[id] {
			t.Errorf("ID %d missing: IDs should be dense", id)
		}
	}
	list, total, err := s.ListProjects(context.Background(), ListOptions{})
	if err != nil || total != want || len(list) != want {
		t.Fatalf("list = %d/%d, %v; want %d", len(list), total, err, want)
	}
}

func TestUpdateStateIsAtomicAndSerialised(t *testing.T) {
	s, _ := Open(t.TempDir())
	p, err := s.CreateProject(context.Background(), input("p"), 0)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.UpdateState(p.ID, func(st *project.State) error {
				st.RunSeq++
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	st, err := s.State(p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.RunSeq != 50 || st.Version != 50 {
		t.Fatalf("RunSeq=%d Version=%d, want 50/50 (lost updates)", st.RunSeq, st.Version)
	}
	// A failing update writes nothing.
	_, err = s.UpdateState(p.ID, func(st *project.State) error {
		st.RunSeq = 999
		return fmt.Errorf("refuse")
	})
	if err == nil {
		t.Fatal("want error")
	}
	if st, _ := s.State(p.ID); st.RunSeq != 50 {
		t.Fatalf("failed update was written: %d", st.RunSeq)
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(s.ProjectDir(p.ID))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("leftover temp file %s", e.Name())
		}
	}
	raw, _ := os.ReadFile(filepath.Join(s.ProjectDir(p.ID), StateFile))
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("state file not valid JSON: %v", err)
	}
}

func TestNotFoundAndValidation(t *testing.T) {
	s, _ := Open(t.TempDir())
	if _, err := s.Project(42); !IsNotFound(err) || errcode.Code(err) != errcode.NotFound {
		t.Fatalf("want NOT_FOUND, got %v", err)
	}
	_, err := s.CreateProject(context.Background(), project.Input{Name: "", Content: "x"}, 0)
	e, ok := errcode.As(err)
	if !ok || e.Code != errcode.InvalidInput || e.Details["field"] != "name" {
		t.Fatalf("want INVALID_INPUT for name, got %v", err)
	}
	in := input("p")
	in.Settings.Format = "800x600"
	_, err = s.CreateProject(context.Background(), in, 0)
	if e, _ := errcode.As(err); e == nil || e.Details["field"] != "settings.format" {
		t.Fatalf("want settings.format error, got %v", err)
	}
}

// The Go API (tasks.Client.CreateProject goes through the store) refuses
// what a stage would fail on minutes later.
func TestCreateChecksMusicAndPublishAt(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(dir)
	os.MkdirAll(filepath.Join(dir, "music"), 0o755)
	os.WriteFile(filepath.Join(dir, "music", "calm.mp3"), []byte("music"), 0o644)
	past := time.Now().Add(-time.Hour)
	for want, set := range map[string]func(*project.Input){
		"settings.music":              func(in *project.Input) { in.Settings.Music = "absent.mp3" },
		"settings.music ":             func(in *project.Input) { in.Settings.Music = "../../etc/passwd" },
		"settings.youtube.publish_at": func(in *project.Input) { in.Settings.YouTube.PublishAt = &past },
		"language":                    func(in *project.Input) { in.Language = "xx-INVALID" },
	} {
		in := input("p")
		set(&in)
		_, err := s.CreateProject(context.Background(), in, 0)
		if e, _ := errcode.As(err); e == nil || e.Code != errcode.InvalidInput || e.Details["field"] != strings.TrimSpace(want) {
			t.Errorf("want INVALID_INPUT naming %s, got %v", want, err)
		}
	}
	in := input("p")
	in.Settings.Music = "calm.mp3"
	if _, err := s.CreateProject(context.Background(), in, 0); err != nil {
		t.Fatal(err)
	}
	if p, err := s.MusicPath("calm.mp3"); err != nil || p != filepath.Join(dir, "music", "calm.mp3") {
		t.Fatalf("MusicPath = %q, %v", p, err)
	}
	if list, _, _ := s.ListProjects(context.Background(), ListOptions{Limit: 10}); len(list) != 1 {
		t.Fatalf("%d projects created, want only the valid one", len(list))
	}
}

func TestDeleteKeepsFilesUnlessAsked(t *testing.T) {
	s, _ := Open(t.TempDir())
	p1, _ := s.CreateProject(context.Background(), input("a"), 0)
	p2, _ := s.CreateProject(context.Background(), input("b"), 0)
	os.WriteFile(filepath.Join(s.ProjectDir(p1.ID), "video.mp4"), []byte("x"), 0o644)
	if err := s.DeleteProject(p1.ID, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Project(p1.ID); !IsNotFound(err) {
		t.Fatal("project still visible")
	}
	matches, _ := filepath.Glob(filepath.Join(s.Root(), "deleted", "project-1-*", "video.mp4"))
	if len(matches) != 1 {
		t.Fatalf("files not kept: %v", matches)
	}
	if err := s.DeleteProject(p2.ID, true, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.ProjectDir(p2.ID)); !os.IsNotExist(err) {
		t.Fatal("folder not removed")
	}
	// IDs are never reused after deletion.
	p3, _ := s.CreateProject(context.Background(), input("c"), 0)
	if p3.ID != 3 {
		t.Fatalf("new ID %d, want 3", p3.ID)
	}
}

func TestBatchCreateAndList(t *testing.T) {
	s, _ := Open(t.TempDir())
	b, err := s.CreateBatch(context.Background(), project.BatchInput{Name: "b", Projects: []project.Input{input("x"), input("y")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.ProjectIDs) != 2 || b.Concurrency != project.DefaultBatchConcurrency {
		t.Fatalf("batch = %+v", b)
	}
	list, total, _ := s.ListProjects(context.Background(), ListOptions{BatchID: b.ID})
	if total != 2 || len(list) != 2 {
		t.Fatalf("batch projects = %d", total)
	}
	_, err = s.CreateBatch(context.Background(), project.BatchInput{Projects: []project.Input{input("ok"), {Name: "bad"}}})
	if e, _ := errcode.As(err); e == nil || e.Details["field"] != "projects[1].content" {
		t.Fatalf("want projects[1].content error, got %v", err)
	}
}
