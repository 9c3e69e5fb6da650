// Package stage is the contract between the worker and a pipeline stage:
// what a stage implements (Stage) and what it gets to work with (Job),
// how it reports that it skipped its work (Skipper) or must wait for a
// quota to reset (Snooze).
package stage

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
)

// Stage is one step of the pipeline as the worker runs it. YTMaker's own
// stages implement it; tests plug in their own.
type Stage interface {
	Run(ctx context.Context, job Job) (any, error)
}

// Func adapts a function to Stage.
type Func func(ctx context.Context, job Job) (any, error)

// Run calls f.
func (f Func) Run(ctx context.Context, job Job) (any, error) { return f(ctx, job) }

// Job is what a running stage gets to work with.
type Job interface {
	ProjectID() int64
	// Dir is the project's folder; every artifact goes below it.
	Dir() string
	// Input is the previous stage's result (nil for the first stage).
	Input() json.RawMessage
	// Attempt counts from 1.
	Attempt() int
	// Progress reports the stage's own progress (0-100) with a message.
	Progress(percent float64, message string)
	// ProgressETA is Progress with an estimate of the time left.
	ProgressETA(percent float64, eta time.Duration, message string)
	// Checkpoint loads a sub-step checkpoint saved by an earlier attempt
	// of this stage into v; it reports whether one existed.
	Checkpoint(key string, v any) (bool, error)
	// SaveCheckpoint records a finished sub-step in project_state.json.
	SaveCheckpoint(key string, v any) error
	Logger() *slog.Logger
}

// Skipper is implemented by stage results that report the stage chose not
// to do its work (for example an upload without credentials); the stage
// is then recorded as skipped and the run goes on.
type Skipper interface{ StageSkipped() bool }

// SnoozeError asks the worker to run the stage again at Until without
// counting a failed attempt — for example when the YouTube quota is used
// up until midnight Pacific time. Err says why (shown in the status).
type SnoozeError struct {
	Until time.Time
	Err   *errcode.Error
}

func (e *SnoozeError) Error() string {
	return fmt.Sprintf("waiting until %s: %v", e.Until.Format(time.RFC3339), e.Err)
}

// Unwrap returns the reason.
func (e *SnoozeError) Unwrap() error { return e.Err }

// Snooze returns a SnoozeError.
func Snooze(until time.Time, why *errcode.Error) error { return &SnoozeError{Until: until, Err: why} }
