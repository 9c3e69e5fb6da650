package wire

import (
	"time"

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

// SegmentMedia is a creator's own picture or video clip shown for a
// segment in place of the generated picture.
type SegmentMedia struct {
	Segment         int       `json:"segment"` // 1-based
	Kind            string    `json:"kind"`    // image | video
	ContentType     string    `json:"content_type"`
	SizeBytes       int64     `json:"size_bytes"`
	SHA256          string    `json:"sha256"`
	Width           int       `json:"width"`
	Height          int       `json:"height"`
	DurationSeconds float64   `json:"duration_seconds,omitempty"` // clips only
	UploadedAt      time.Time `json:"uploaded_at"`
	URL             string    `json:"url"` // GET serves the file
}

// MediaUpdate answers PUT and DELETE /projects/{id}/segments/{n}/media.
type MediaUpdate struct {
	// Media is what PUT stored (absent after DELETE).
	Media *SegmentMedia `json:"media,omitempty"`
	// Segments lists every segment's own media now.
	Segments []SegmentMedia `json:"segments"`
	// Reset lists the stages set back to pending; what they made is kept
	// and reused where the media does not change it.
	Reset []project.Stage `json:"reset"`
}
