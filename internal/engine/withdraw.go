package engine

import (
	"context"

	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/run"
)

// WithdrawPause cancels a pause that was asked for but has not happened
// yet: the run is still at work on its current stage, and now goes on to
// the end. It reports whether a pause request was withdrawn; a run that
// has already paused is left alone (Resume continues it).
func (o *Engine) WithdrawPause(ctx context.Context, projectID int64) (*project.State, bool, error) {
	withdrawn := false
	st, _, err := o.apply(projectID, func(st *project.State) ([]run.Effect, error) {
		err := run.WithdrawPause(st)
		withdrawn = err == nil
		return nil, err
	})
	if err != nil {
		return nil, false, err
	}
	return st, withdrawn, nil
}
