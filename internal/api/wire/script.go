package wire

import (
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/script"
)

// ScriptUpdate answers PUT /projects/{id}/script: the script as saved
// (validated and normalised) and the stages that must be made again.
type ScriptUpdate struct {
	Script *script.Script `json:"script"`
	// Reset lists the stages set back to pending; the narration and
	// pictures of unchanged segments are kept and reused.
	Reset []project.Stage `json:"reset"`
}
