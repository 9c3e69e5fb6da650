package fakeyoutube

import (
	"net/http"
	"time"
)

// Fault is one injected misbehaviour. A fault matches requests of kind Op
// (OpAny: every API request except OAuth), lets the first Skip matching
// requests through, then fires on the next Times requests (default 1).
//
// When it fires, the server waits Delay (if set), then either drops the
// connection (Drop), answers Status with a googleapis error body carrying
// Reason and Message (for OpToken: an OAuth error body with Reason as the
// error code), or, with neither set, handles the request normally after
// the delay.
//
// CutAtPercent and CutAtByte describe a different fault, for uploads only:
// the connection is dropped in the middle of a chunk once the upload has
// received that share (or absolute offset) of its bytes, and only the whole
// 256 KiB units received are committed, as the real server does. CutAtPercent
// needs the total size, which the hand-written resumable protocol announces
// (X-Upload-Content-Length); use CutAtByte with the official Go client. Skip
// and Times do not apply to cuts: a cut fires once, on the first chunk that
// reaches its point.
type Fault struct {
	Op         Op
	Skip       int
	Times      int
	Delay      time.Duration
	Drop       bool
	Status     int
	Reason     string
	Message    string
	RetryAfter string // Retry-After header value, if any

	CutAtPercent float64
	CutAtByte    int64
}

func (f *Fault) isCut() bool { return f.CutAtPercent > 0 || f.CutAtByte > 0 }

func (f *Fault) matches(op Op) bool {
	if f.Op == OpAny {
		return op != OpToken && op != OpAuthorize
	}
	return f.Op == op
}

// cutPoint returns the absolute offset at which the fault cuts an upload of
// total bytes (-1 when unknown), or -1.
func (f *Fault) cutPoint(total int64) int64 {
	if f.CutAtByte > 0 {
		return f.CutAtByte
	}
	if total <= 0 {
		return -1
	}
	p := int64(float64(total) * f.CutAtPercent / 100)
	if p >= total {
		p = total - 1
	}
	return p
}

// ChunkError answers the n-th upload data request (counting from 1 after
// injection) with status and reason, e.g. ChunkError(3, 503, "backendError").
func ChunkError(n, status int, reason string) Fault {
	return Fault{Op: OpChunk, Skip: n - 1, Status: status, Reason: reason,
		Message: http.StatusText(status)}
}

// Unauthorized answers the next API request with 401 authError, as for an
// expired or revoked access token.
func Unauthorized() Fault {
	return Fault{Op: OpAny, Status: http.StatusUnauthorized, Reason: "authError",
		Message: "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential."}
}

// QuotaExceeded answers the next request of kind op (OpInsert for an upload)
// with 403 quotaExceeded.
func QuotaExceeded(op Op) Fault {
	return Fault{Op: op, Status: http.StatusForbidden, Reason: "quotaExceeded", Message: quotaMessage}
}

// UploadLimitExceeded answers the next videos.insert with 400
// uploadLimitExceeded (the channel's daily upload cap).
func UploadLimitExceeded() Fault {
	return Fault{Op: OpInsert, Status: http.StatusBadRequest, Reason: "uploadLimitExceeded",
		Message: "The user has exceeded the number of videos they may upload."}
}

// RateLimited answers the next request of kind op with 403
// rateLimitExceeded.
func RateLimited(op Op) Fault {
	return Fault{Op: op, Status: http.StatusForbidden, Reason: "rateLimitExceeded",
		Message: "The request cannot be completed because you have exceeded your rate limit."}
}

// InvalidMetadata answers the next videos.insert with 400 and reason, e.g.
// "invalidTitle", "invalidDescription", "invalidTags", "invalidPublishAt".
func InvalidMetadata(reason string) Fault {
	return Fault{Op: OpInsert, Status: http.StatusBadRequest, Reason: reason,
		Message: "The request metadata is invalid (" + reason + ")."}
}

// ServerError answers the next request of kind op with status (500, 503)
// and reason backendError.
func ServerError(op Op, status int) Fault {
	return Fault{Op: op, Status: status, Reason: "backendError", Message: "Backend Error"}
}

// CutAt drops the connection once the upload has received percent of its
// bytes.
func CutAt(percent float64) Fault { return Fault{Op: OpChunk, CutAtPercent: percent} }

// CutAtOffset drops the connection once the upload reaches byte offset.
func CutAtOffset(offset int64) Fault { return Fault{Op: OpChunk, CutAtByte: offset} }

// Slow delays the next request of kind op by d, then handles it normally.
func Slow(op Op, d time.Duration) Fault { return Fault{Op: op, Delay: d} }

// DropConnection closes the connection of the next request of kind op
// without an answer.
func DropConnection(op Op) Fault { return Fault{Op: op, Drop: true} }

// InvalidGrantOnce answers the next token request with 400 invalid_grant.
// SetInvalidGrant refuses every refresh until turned off.
func InvalidGrantOnce() Fault {
	return Fault{Op: OpToken, Status: http.StatusBadRequest, Reason: "invalid_grant",
		Message: "Token has been expired or revoked."}
}
