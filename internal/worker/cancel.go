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

// cancels maps running projects to the cancel functions of their stages.
type cancels struct {
	mu sync.Mutex
	m  map[int64]context.CancelCauseFunc
}

func (c *cancels) add(projectID int64, f context.CancelCauseFunc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[int64]context.CancelCauseFunc{}
	}
	c.m[projectID] = f
}

func (c *cancels) remove(projectID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, projectID)
}

func (c *cancels) cancel(projectID int64) bool {
	c.mu.Lock()
	f := c.m[projectID]
	c.mu.Unlock()
	if f != nil {
		f(errCancelled)
	}
	return f != nil
}

// listenCancels cancels local stages when a cancel is published. It
// resubscribes if the subscription breaks.
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
					pid, _, _ := strings.Cut(msg.Payload, ":")
					id, err := strconv.ParseInt(pid, 10, 64)
					if err != nil {
						continue
					}
					if w.cancels.cancel(id) {
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
