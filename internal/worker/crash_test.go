package worker_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/project"
)

// startChildWorker runs a worker in a separate process whose stage block
// hangs until the process is killed. host overrides the host name in its
// liveness record ("" keeps the real one), to play a worker on another
// machine.
func (e *env) startChildWorker(block project.Stage, host string) *exec.Cmd {
	e.t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "YTMAKER_TEST_WORKER="+e.redis.URL(0)+"|"+e.dir+"|"+string(block)+"|"+host)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, _ := bufio.NewReader(out).ReadString('\n')
	if !strings.Contains(line, "worker ready") {
		e.t.Fatalf("child worker did not start: %q", line)
	}
	return cmd
}

// TestKilledWorkerSameHostRunsAgainWithin3s: kill -9 of a worker mid-stage
// and a new worker on the same machine at once; the new one sees that the
// holder's process is gone and runs the stage again within 3 s.
func TestKilledWorkerSameHostRunsAgainWithin3s(t *testing.T) {
	testKilledWorker(t, "", 3*time.Second)
}

// TestKilledWorkerOtherHostRunsAgainWithin10s: the dead worker was on
// another machine, so only the expiry of its liveness record tells; the
// stage runs again within 10 s.
func TestKilledWorkerOtherHostRunsAgainWithin10s(t *testing.T) {
	testKilledWorker(t, "elsewhere.invalid", 10*time.Second)
}

func testKilledWorker(t *testing.T, childHost string, bound time.Duration) {
	e := newEnv(t)
	ctx := context.Background()
	pid := e.newProject("crash")
	child := e.startChildWorker(project.StageAssets, childHost)
	h, err := e.client.Chain(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "assets to start in the child worker", func() bool {
		return len(e.stages.starts(t, pid, project.StageAssets)) == 1
	})
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	// The test's own stages are counted by the recorder the child shared:
	// its "running" counter is stuck at 1 for the killed stage. Reset it.
	e.rdb.Set(ctx, fmt.Sprintf("test:%d:running", pid), 0, 0)

	restart := time.Now()
	e.startWorker(2)
	waitFor(t, bound+20*time.Second, "assets to run again", func() bool {
		return len(e.stages.starts(t, pid, project.StageAssets)) == 2
	})
	again := e.stages.starts(t, pid, project.StageAssets)[1].Sub(restart)
	t.Logf("crash to running again (holder host %q): %s after the restart", childHost, again.Round(time.Millisecond))
	if again > bound {
		t.Fatalf("the stage ran again %s after the restart; want <= %s", again.Round(time.Millisecond), bound)
	}
	if _, err := h.Get(ctx, 60*time.Second); err != nil {
		t.Fatalf("chain after the crash: %v", err)
	}
	if n := len(e.stages.starts(t, pid, project.StageAssets)); n != 2 {
		t.Fatalf("assets ran %d times, want 2 (killed + recovered)", n)
	}
	for _, s := range []project.Stage{project.StageScript, project.StageRender, project.StageThumbnail, project.StageUpload} {
		if n := len(e.stages.starts(t, pid, s)); n != 1 {
			t.Errorf("stage %s ran %d times, want 1", s, n)
		}
	}
	if n := e.stages.overlaps(t, pid); n != 0 {
		t.Fatalf("%d overlapping stage runs on one project", n)
	}
	if st := e.state(pid); st.Status != project.Completed {
		t.Fatalf("status %s", st.Status)
	}
}
