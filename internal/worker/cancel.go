package worker

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ytmaker/ytmaker/internal/rdb"
)

var (
	errCancelled = errors.New("cancelled by the user")
	errTimeLimit = errors.New("task time limit exceeded")
	errLockLost  = errors.New("project lock lost")
)

// cancelCheckInterval is how often a worker looks for cancel requests of
// its running stages in Redis, in case it missed the cancel message.
const cancelCheckInterval = 500 * time.Millisecond

// cancels maps running projects to their run and the cancel function of
// their stage.
type cancels struct {
	mu sync.Mutex
	m  map[int64]runningStage
}

type runningStage struct {
	run    int
	cancel context.CancelCauseFunc
}

func (c *cancels) add(projectID int64, run int, f context.CancelCauseFunc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[int64]runningStage{}
	}
	c.m[projectID] = runningStage{run: run, cancel: f}
}

func (c *cancels) remove(projectID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, projectID)
}

// cancel stops the project's running stage if it belongs to run (any run
// when run is 0).
func (c *cancels) cancel(projectID int64, run int) bool {
	c.mu.Lock()
	r, ok := c.m[projectID]
	c.mu.Unlock()
	if !ok || run != 0 && r.run != run {
		return false
	}
	r.cancel(errCancelled)
	return true
}

func (c *cancels) running() []rdb.RunRef {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]rdb.RunRef, 0, len(c.m))
	for pid, r := range c.m {
		out = append(out, rdb.RunRef{ProjectID: pid, Run: r.run})
	}
	return out
}

// watchCancels stops running stages whose cancel was recorded in Redis:
// the durable path that still works when the cancel message was lost.
func (w *Worker) watchCancels(ctx context.Context) {
	t := time.NewTicker(cancelCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		runs := w.cancels.running()
		if len(runs) == 0 {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, cancelCheckInterval)
		hit, err := rdb.CancelRequested(cctx, w.rdb, runs)
		cancel()
		if err != nil {
			w.log.Debug("check cancel requests", "err", err)
			continue
		}
		for _, r := range hit {
			if w.cancels.cancel(r.ProjectID, r.Run) {
				w.log.Info("cancelling running stage (cancel request found)", "project", r.ProjectID, "run", r.Run)
			}
		}
	}
}

// listenCancels cancels local stages when a cancel is published. It
// resubscribes if the subscription breaks; a message lost meanwhile is
// caught by watchCancels.
func (w *Worker) listenCancels(ctx context.Context) {
	for ctx.Err() == nil {
		ps := w.rdb.Subscribe(ctx, rdb.CancelChannel)
		ch := ps.Channel(redis.WithChannelSize(64))
		func() {
			defer ps.Close()
			for {
				select {
				case <-ctx.Done():
					return
				case msg, ok := <-ch:
					if !ok {
						return
					}
					pid, run, _ := strings.Cut(msg.Payload, ":")
					id, err := strconv.ParseInt(pid, 10, 64)
					if err != nil {
						continue
					}
					runID, _ := strconv.Atoi(run)
					if w.cancels.cancel(id, runID) {
						w.log.Info("cancelling running stage", "project", id)
					}
				}
			}
		}()
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}
