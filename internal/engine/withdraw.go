package engine

import (
	"context"
	"errors"

	"github.com/ytmaker/ytmaker/internal/project"
)

// WithdrawPause cancels a pause that was asked for but has not happened
// yet: the run is still at work on its current stage, and now goes on to
// the end. It reports whether a pause request was withdrawn; a run that
// has already paused is left alone (Resume continues it).
func (o *Engine) WithdrawPause(ctx context.Context, projectID int64) (*project.State, bool, error) {
	withdrawn := false
	st, err := o.store.UpdateState(projectID, func(st *project.State) error {
		run := st.ActiveRun()
		if run == nil || run.State == project.RunPaused || !run.PauseRequested {
			return errNoWrite
		}
		run.PauseRequested = false
		withdrawn = true
		return nil
	})
	if errors.Is(err, errNoWrite) {
		st, err = o.store.State(projectID)
	}
	if err != nil {
		return nil, false, err
	}
	return st, withdrawn, nil
}
