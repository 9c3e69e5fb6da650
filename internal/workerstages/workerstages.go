// Package workerstages lets YTMaker's own commands and tests give the
// procman worker stage implementations other than the built-in pipeline.
// procman's public API carries only public types, so programs outside
// this module always run the real pipeline; the override lives here,
// where only this module can reach it.
package workerstages

import (
	"fmt"

	"github.com/ytmaker/ytmaker/internal/stage"
)

// setter stores stages in a *procman.WorkerConfig. procman installs it
// from its init function, once, before any caller can hold a
// WorkerConfig; it is not changed after that.
var setter func(wc any, stages map[string]stage.Stage) bool

// Install is called by procman's init with the function that stores the
// stages in its WorkerConfig.
func Install(f func(wc any, stages map[string]stage.Stage) bool) { setter = f }

// Set makes the worker of wc, a *procman.WorkerConfig, run stages (stage
// name → implementation) instead of the built-in pipeline. A nil map
// restores the built-in pipeline.
func Set(wc any, stages map[string]stage.Stage) {
	if setter == nil || !setter(wc, stages) {
		panic(fmt.Sprintf("workerstages: %T is not a *procman.WorkerConfig", wc))
	}
}
