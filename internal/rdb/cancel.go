package rdb

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// CancelTTL is how long a cancel request is kept: far longer than the
// longest stage may run, so a stage that missed the cancel message still
// finds the request when it next looks.
const CancelTTL = 24 * time.Hour

// CancelKey holds the ID of the project's run whose running stage must
// stop. It is the durable half of a cancel; the message on CancelChannel
// is only the fast half, and Pub/Sub drops messages while a subscriber
// reconnects.
func CancelKey(projectID int64) string {
	return "ytmaker:cancel:project:" + strconv.FormatInt(projectID, 10)
}

// RequestCancel records that run runID of the project must stop, then
// tells every worker at once. The record is written first: a worker that
// misses the message finds it on its next check.
func RequestCancel(ctx context.Context, rdb redis.UniversalClient, projectID int64, runID int) error {
	if err := rdb.Set(ctx, CancelKey(projectID), runID, CancelTTL).Err(); err != nil {
		return fmt.Errorf("record cancel of project %d: %w", projectID, err)
	}
	// A lost message is recovered from the record above.
	rdb.Publish(ctx, CancelChannel, fmt.Sprintf("%d:%d", projectID, runID))
	return nil
}

// RunRef names one run of one project.
type RunRef struct {
	ProjectID int64
	Run       int
}

// CancelRequested returns the runs among runs whose cancel was requested.
// It costs one round trip whatever the number of runs.
func CancelRequested(ctx context.Context, rdb redis.UniversalClient, runs []RunRef) ([]RunRef, error) {
	if len(runs) == 0 {
		return nil, nil
	}
	keys := make([]string, len(runs))
	for i, r := range runs {
		keys[i] = CancelKey(r.ProjectID)
	}
	vals, err := rdb.MGet(ctx, keys...).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	var out []RunRef
	for i, v := range vals {
		s, ok := v.(string)
		if !ok {
			continue
		}
		if id, err := strconv.Atoi(s); err == nil && id == runs[i].Run {
			out = append(out, runs[i])
		}
	}
	return out, nil
}
