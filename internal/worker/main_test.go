package worker_test

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ytmaker/ytmaker/internal/engine"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/stage"
	"github.com/ytmaker/ytmaker/internal/worker"
)

// TestMain lets the test binary run as a separate worker process (so a
// test can kill -9 it): YTMAKER_TEST_WORKER=redisURL|dataDir|blockStage|host
// (host empty: the real host name).
func TestMain(m *testing.M) {
	if spec := os.Getenv("YTMAKER_TEST_WORKER"); spec != "" {
		os.Exit(runChildWorker(spec))
	}
	os.Exit(m.Run())
}

func runChildWorker(spec string) int {
	parts := strings.SplitN(spec+"|||", "|", 5)
	url, dir, block, host := parts[0], parts[1], parts[2], parts[3]
	opt, err := redis.ParseURL(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	rdb := redis.NewClient(opt)
	eng, err := engine.Open(engine.Config{Redis: rdb, DataDir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	rec := newRecorder(rdb)
	rec.on(project.Stage(block), func(ctx context.Context, job stage.Job) (any, error) {
		<-ctx.Done() // hold the stage until killed (or its lock is lost)
		rdb.Incr(context.Background(), fmt.Sprintf("test:%d:%s:stopped", job.ProjectID(), block))
		return nil, ctx.Err()
	})
	w, err := worker.New(worker.Config{Engine: eng, Concurrency: 2, Stages: rec.stages(), ShutdownTimeout: time.Second, Host: host})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if err := w.Start(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Println("worker ready")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	w.Stop()
	return 0
}
