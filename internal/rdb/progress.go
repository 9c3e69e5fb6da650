package rdb

import (
	"context"
	"errors"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// PublishProgress stores body (a JSON object without its closing brace;
// the sequence number is appended) as the project's latest message and
// publishes it, unless it belongs to a run older than the latest one,
// would move run's progress backwards or would follow its final message. It returns the sequence number, or 0 when dropped.
func PublishProgress(ctx context.Context, rdb redis.UniversalClient, projectID int64, run, progress int, final bool, body string) (int64, error) {
	f := "0"
	if final {
		f = "1"
	}
	return publishProgress.Run(ctx, rdb, []string{ProgressKey(projectID)},
		strconv.Itoa(run), progress, f, body, ProgressChannel(projectID), int(ProgressTTL.Seconds())).Int64()
}

// ProgressSnapshot returns the project's latest message, or "" when there
// is none.
func ProgressSnapshot(ctx context.Context, rdb redis.UniversalClient, projectID int64) (string, error) {
	s, err := rdb.HGet(ctx, ProgressKey(projectID), "msg").Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	return s, err
}

// DeleteProgress forgets a project's latest message.
func DeleteProgress(ctx context.Context, rdb redis.UniversalClient, projectID int64) error {
	return rdb.Del(ctx, ProgressKey(projectID)).Err()
}
