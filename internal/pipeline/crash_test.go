package pipeline_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ytmaker/ytmaker/internal/engine"
	"github.com/ytmaker/ytmaker/internal/leftover"
	"github.com/ytmaker/ytmaker/internal/media/childproc"
	"github.com/ytmaker/ytmaker/internal/owner"
	"github.com/ytmaker/ytmaker/internal/pipeline"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/quota"
	"github.com/ytmaker/ytmaker/internal/stage"
	"github.com/ytmaker/ytmaker/internal/worker"
)

// TestMain lets the test binary run as a worker process with the real
// pipeline (YTMAKER_TEST_PIPELINE_WORKER=redisURL|dataDir), so a test can
// kill -9 it.
func TestMain(m *testing.M) {
	if spec := os.Getenv("YTMAKER_TEST_PIPELINE_WORKER"); spec != "" {
		os.Exit(childWorker(spec))
	}
	os.Exit(m.Run())
}

func childWorker(spec string) int {
	url, dir, _ := strings.Cut(spec, "|")
	opt, err := redis.ParseURL(url)
	if err != nil {
		return 2
	}
	rdb := redis.NewClient(opt)
	eng, err := engine.Open(engine.Config{Redis: rdb, DataDir: dir})
	if err != nil {
		return 2
	}
	p, err := pipeline.New(pipeline.Config{Store: eng.Store(), Quota: quota.New(rdb, quota.Options{}), AssetConcurrency: 1})
	if err != nil {
		return 2
	}
	stages := map[project.Stage]stage.Stage{}
	for name, st := range p.Stages() {
		stages[project.Stage(name)] = st
	}
	w, err := worker.New(worker.Config{Engine: eng, Concurrency: 1, Stages: stages})
	if err != nil || w.Start(context.Background()) != nil {
		return 2
	}
	fmt.Println("worker ready")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	<-sig
	w.Stop()
	return 0
}

func longText() string {
	var b strings.Builder
	topics := []string{"mountains", "oceans", "forests", "deserts", "rivers", "islands", "glaciers", "valleys", "plains", "lakes"}
	for _, t := range topics {
		fmt.Fprintf(&b, "The %s of our planet tell a long story. Scientists study the %s to learn how the climate changed.\n\n", t, t)
	}
	return b.String()
}

func TestKilledDuringAssetsResumesOnlyTheMissingAssets(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the killed worker's task to be recovered (~15 s)")
	}
	s := start(t, options{})
	s.worker.Stop() // only the child works at first
	ctx := context.Background()
	id := s.project("Planet", longText(), nil)
	h, err := s.client.Chain(ctx, id, "script", "assets")
	if err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "YTMAKER_TEST_PIPELINE_WORKER=redis://"+s.rdb.Options().Addr+"/0|"+s.dataDir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); cmd.Wait() })
	if line, _ := bufio.NewReader(out).ReadString('\n'); !strings.Contains(line, "worker ready") {
		t.Fatalf("child worker: %q", line)
	}
	deadline := time.Now().Add(60 * time.Second)
	var done int
	for {
		st := s.state(id)
		done = len(st.Stages.Assets.Checkpoints)
		if done >= 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the child never got going on the assets")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Only the worker: its festival/espeak children must go with it.
	workerID, err := owner.Stat(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
	killed := time.Now()
	cmd.Wait()
	for len(taggedWith(workerID.ID)) > 0 {
		if time.Since(killed) > 2*time.Second {
			t.Fatalf("children %v of the killed worker still alive 2 s after the kill", taggedWith(workerID.ID))
		}
		time.Sleep(5 * time.Millisecond)
	}
	st := s.state(id)
	before := st.Stages.Assets.Checkpoints
	if len(before) >= 2*12 {
		t.Skip("the child finished every asset before the kill")
	}
	mtimes := map[string]time.Time{}
	for key, raw := range before {
		var a pipeline.SegmentAssets
		json.Unmarshal(raw, &a)
		path := a.Audio
		if strings.HasPrefix(key, "image:") {
			path = a.Image
		}
		fi, err := os.Stat(filepath.Join(s.engine.Store().ProjectDir(id), path))
		if err != nil {
			t.Fatalf("checkpointed %s has no file: %v", key, err)
		}
		mtimes[path] = fi.ModTime()
	}
	t.Logf("killed the worker with %d of the assets checkpointed", len(before))

	s.restartWorker()
	if _, err := h.Get(ctx, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	st = s.state(id)
	var res pipeline.AssetsResult
	json.Unmarshal(st.Stages.Assets.Result, &res)
	if res.Reused < len(before) {
		t.Fatalf("the resumed run reused %d assets, want at least the %d checkpointed before the kill", res.Reused, len(before))
	}
	for path, mt := range mtimes {
		fi, err := os.Stat(filepath.Join(s.engine.Store().ProjectDir(id), path))
		if err != nil || !fi.ModTime().Equal(mt) {
			t.Errorf("%s was made again after the crash", path)
		}
	}
	if st.Stages.Assets.Status != project.StageCompleted {
		t.Fatalf("assets %s", st.Stages.Assets.Status)
	}
	filepath.WalkDir(s.engine.Store().ProjectDir(id), func(path string, d os.DirEntry, err error) error {
		if err == nil && leftover.Stale(d.Name(), time.Now(), time.Now(), 0) {
			t.Errorf("leftover %s remains after the stage resumed", path)
		}
		return nil
	})
}

// taggedWith lists the live processes that childproc started for own.
func taggedWith(own owner.ID) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil || !bytes.Contains(env, []byte(childproc.EnvOwner+"="+own.String()+"\x00")) {
			continue
		}
		if _, err := owner.Stat(pid); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}
