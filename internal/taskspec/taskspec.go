// Package taskspec names YTMaker's tasks and queues and fixes the rules every
// process must agree on: payloads, deterministic task IDs, time limits and
// the retry schedule.
package taskspec

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/project"
)

// Task names (the seed's).
const (
	GenerateScript    = "generate_script_task"
	GenerateAssets    = "generate_assets_task"
	RenderVideo       = "render_video_task"
	GenerateThumbnail = "generate_thumbnail_task"
	UploadToYouTube   = "upload_to_youtube_task"
	BatchProcessing   = "batch_processing_task"
	SyncQuotas        = "sync_quotas"
	DebugTask         = "debug_task"
)

// Queues.
const (
	QueueVideo       = "video_generation"
	QueueBatch       = "batch_processing"
	QueueMaintenance = "maintenance"
)

// QueueWeights is the weighted priority of the three queues: video work
// first, maintenance last.
var QueueWeights = map[string]int{QueueVideo: 6, QueueBatch: 3, QueueMaintenance: 1}

// AllTasks lists every task name.
var AllTasks = []string{GenerateScript, GenerateAssets, RenderVideo, GenerateThumbnail, UploadToYouTube,
	BatchProcessing, SyncQuotas, DebugTask}

// QueueFor returns the queue a task runs on, or "" for an unknown task.
func QueueFor(task string) string {
	switch task {
	case GenerateScript, GenerateAssets, RenderVideo, GenerateThumbnail, UploadToYouTube:
		return QueueVideo
	case BatchProcessing:
		return QueueBatch
	case SyncQuotas, DebugTask:
		return QueueMaintenance
	}
	return ""
}

// MaxRetries is how often a failed task is retried (the seed's 3).
const MaxRetries = 3

// QueueMaxRetry is the retry ceiling stage tasks are enqueued with in
// asynq. asynq archives a task whose failures reached its ceiling before
// it looks at why the handler returned, so a wait (a quota snooze, a busy
// project) on the last attempt would be archived as a failure. The
// ceiling is therefore far above MaxRetries and the stage handler keeps
// the budget itself: waits never count, failures stop at MaxRetries, and
// attempts lost with a crashed worker stop at MaxRetries+1.
const QueueMaxRetry = 25

// RetrySchedule lists the waits before retry 1, 2, 3, ...; the last one
// repeats.
type RetrySchedule []time.Duration

// RetryDelays are the seed's waits before retry 1, 2 and 3.
var RetryDelays = RetrySchedule{2 * time.Second, 5 * time.Second, 10 * time.Second}

// RetryDelay returns the wait before the next attempt after the n-th
// failure (n = retries so far, starting at 0) on the seed's schedule.
func RetryDelay(n int, err error) time.Duration { return RetryDelays.Delay(n, err) }

// Delay returns the wait before the next attempt after the n-th failure
// (n = retries so far, starting at 0). A longer Retry-After asked by a
// service is honoured, up to errcode.MaxRetryAfter.
func (s RetrySchedule) Delay(n int, err error) time.Duration {
	if len(s) == 0 {
		s = RetryDelays
	}
	if n < 0 {
		n = 0
	}
	d := s[len(s)-1]
	if n < len(s) {
		d = s[n]
	}
	if e, ok := errcode.As(err); ok && e.RetryAfter > d {
		d = min(e.RetryAfter, errcode.MaxRetryAfter)
	}
	return d
}

// AlignDelay adjusts d for a scheduler that compares Unix seconds: the
// task becomes due at floor(now+d'), so d' is chosen to make that instant
// the whole second nearest to now+d. Retries then start within half a
// second (plus one forwarder tick) of the intended time.
func AlignDelay(now time.Time, d time.Duration) time.Duration {
	target := now.Add(d)
	due := time.Unix(int64(math.Round(float64(target.UnixNano())/1e9)), 0)
	out := due.Sub(now)
	if out < 0 {
		return 0
	}
	// floor(now+out) must be due: nudge into the second.
	return out + time.Millisecond
}

// TimeLimits bound how long each task may run.
type TimeLimits struct {
	Script, Assets, Render, Thumbnail, Upload, Batch time.Duration
}

// DefaultTimeLimits are the seed's limits.
var DefaultTimeLimits = TimeLimits{
	Script:    5 * time.Minute,
	Assets:    20 * time.Minute,
	Render:    30 * time.Minute,
	Thumbnail: 2 * time.Minute,
	Upload:    30 * time.Minute,
	Batch:     90 * time.Minute,
}

// For returns the limit for a task name (5 minutes for maintenance).
func (l TimeLimits) For(task string) time.Duration {
	pick := func(v, def time.Duration) time.Duration {
		if v > 0 {
			return v
		}
		return def
	}
	switch task {
	case GenerateScript:
		return pick(l.Script, DefaultTimeLimits.Script)
	case GenerateAssets:
		return pick(l.Assets, DefaultTimeLimits.Assets)
	case RenderVideo:
		return pick(l.Render, DefaultTimeLimits.Render)
	case GenerateThumbnail:
		return pick(l.Thumbnail, DefaultTimeLimits.Thumbnail)
	case UploadToYouTube:
		return pick(l.Upload, DefaultTimeLimits.Upload)
	case BatchProcessing:
		return pick(l.Batch, DefaultTimeLimits.Batch)
	}
	return 5 * time.Minute
}

// TimeoutGrace is added to a task's limit for asynq's own timeout, so the
// handler's limit fires first and the handler reports it cleanly.
const TimeoutGrace = 30 * time.Second

// StagePayload is the payload of the five video tasks.
type StagePayload struct {
	ProjectID int64           `json:"project_id"`
	Run       int             `json:"run"`
	Input     json.RawMessage `json:"input,omitempty"` // the previous stage's result
}

// BatchPayload is the payload of batch_processing_task.
type BatchPayload struct {
	BatchID int64 `json:"batch_id"`
	Run     int   `json:"run"`
}

// StageTaskID is the deterministic ID of stage s of run on a project.
// resumes counts how often a paused run was resumed, so a stage enqueued
// again after a pause gets a fresh ID.
func StageTaskID(projectID int64, run int, s project.Stage, resumes int) string {
	if resumes > 0 {
		return fmt.Sprintf("p%d-r%d-%s-rs%d", projectID, run, s, resumes)
	}
	return fmt.Sprintf("p%d-r%d-%s", projectID, run, s)
}

// ChainHandleID is the ID of the handle of a chain run.
func ChainHandleID(projectID int64, run int) string {
	return fmt.Sprintf("p%d-r%d-chain", projectID, run)
}

// BatchHandleID is the ID of batch run's handle (and of its first tick).
func BatchHandleID(batchID int64, run int) string {
	return fmt.Sprintf("b%d-r%d", batchID, run)
}

// BatchTickID is the ID of the n-th follow-up tick of a batch run.
func BatchTickID(batchID int64, run, n int) string {
	return fmt.Sprintf("b%d-r%d-t%d", batchID, run, n)
}

// SyncQuotasID is the task ID for the hourly quota sync of the hour that
// contains t, so only one is enqueued per hour across the deployment.
func SyncQuotasID(t time.Time) string {
	return "sync_quotas-" + t.UTC().Format("2006010215")
}
