package youtube

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
)

// Fingerprint identifies the content of a video file cheaply: its size,
// modification time, and a SHA-256 of its first and last MiB.
type Fingerprint struct {
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mod_time"`
	Digest  string    `json:"digest"`
}

// Equal reports whether two fingerprints describe the same file content.
func (f Fingerprint) Equal(o Fingerprint) bool {
	return f.Size == o.Size && f.ModTime.Equal(o.ModTime) && f.Digest == o.Digest
}

const fingerprintSpan = 1 << 20

// FingerprintFile computes the Fingerprint of the file at path.
func FingerprintFile(path string) (Fingerprint, error) {
	f, err := os.Open(path)
	if err != nil {
		return Fingerprint{}, fileError(path, err)
	}
	defer f.Close()
	return fingerprint(f)
}

func fingerprint(f *os.File) (Fingerprint, error) {
	fi, err := f.Stat()
	if err != nil {
		return Fingerprint{}, fileError(f.Name(), err)
	}
	h := sha256.New()
	size := fi.Size()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, min(size, fingerprintSpan))); err != nil {
		return Fingerprint{}, fileError(f.Name(), err)
	}
	if size > fingerprintSpan {
		start := max(size-fingerprintSpan, fingerprintSpan)
		if _, err := io.Copy(h, io.NewSectionReader(f, start, size-start)); err != nil {
			return Fingerprint{}, fileError(f.Name(), err)
		}
	}
	return Fingerprint{Size: size, ModTime: fi.ModTime().UTC(), Digest: hex.EncodeToString(h.Sum(nil))}, nil
}

func fileError(path string, err error) *errcode.Error {
	if errors.Is(err, os.ErrNotExist) {
		return errcode.Newf(errcode.NotFound, false, "video file %s does not exist", path).WithCause(err)
	}
	return errcode.Wrap(err, errcode.FileSystemError, false, "")
}

// Session is the persisted state of a resumable upload. Save it (for
// example in project_state.json) every time Hooks.OnSession is called; pass
// it back in UploadRequest.Session to resume.
type Session struct {
	URI       string      `json:"uri"`
	Size      int64       `json:"size"`
	Offset    int64       `json:"offset"` // bytes the server confirmed
	CreatedAt time.Time   `json:"created_at"`
	File      Fingerprint `json:"file"`
	VideoID   string      `json:"video_id,omitempty"` // set once the upload is complete
}

// UploadRequest is one video upload.
type UploadRequest struct {
	VideoPath string
	Metadata  Metadata
	// Session is the state saved by a previous attempt, or nil. It is used
	// only when the file still has the same fingerprint.
	Session *Session
	// ContentType of the media; default video/mp4.
	ContentType string
}

// Hooks receive the upload's progress. All are optional and are called on
// the goroutine running Upload.
type Hooks struct {
	// BeforeNewSession runs before each videos.insert session is started
	// (the moment YouTube charges quota), so the caller can reserve quota.
	// An error aborts the upload; a coded one is returned as is.
	BeforeNewSession func(ctx context.Context) error
	// OnSession is called with the state to persist: when a session is
	// created, after every chunk the server confirmed, after a resume
	// query, and once complete (VideoID set). An error aborts the upload.
	OnSession func(Session) error
	// OnProgress reports confirmed bytes.
	OnProgress func(sent, total int64)
}

// Result describes a finished upload.
type Result struct {
	VideoID     string
	Video       VideoResource // as YouTube returned it (empty when known from the Session)
	Session     Session       // the final state, VideoID set
	Resumed     bool          // continued a saved session
	NewSessions int           // sessions started by this call
	BytesSent   int64         // media bytes this call sent
}

// Upload sends the video file with its metadata and returns the new video.
//
// With a saved Session for the same file it first asks the server how many
// bytes it holds and sends only the rest; a session the server no longer
// knows (404/410) is replaced by a new one. Transient failures (5xx,
// broken connections) are absorbed up to MaxRetries times in a row, each
// followed by a status query; past that Upload returns a retryable error,
// and since the session was already handed to OnSession, the next attempt
// resumes.
func (c *Client) Upload(ctx context.Context, req UploadRequest, hooks Hooks) (*Result, error) {
	if err := c.requireConfigured(); err != nil {
		return nil, err
	}
	f, err := os.Open(req.VideoPath)
	if err != nil {
		return nil, fileError(req.VideoPath, err)
	}
	defer f.Close()
	fp, err := fingerprint(f)
	if err != nil {
		return nil, err
	}
	if fp.Size == 0 {
		return nil, errcode.Newf(errcode.InvalidInput, false, "video file %s is empty", req.VideoPath)
	}
	video, err := BuildVideo(req.Metadata, c.now())
	if err != nil {
		return nil, err
	}
	meta, err := json.Marshal(video)
	if err != nil {
		return nil, errcode.Wrap(err, errcode.Internal, false, "encode video metadata: "+err.Error())
	}
	u := &upload{c: c, f: f, fp: fp, meta: meta, hooks: hooks, contentType: req.ContentType,
		log: c.log.With("file", req.VideoPath, "size", fp.Size)}
	if u.contentType == "" {
		u.contentType = "video/mp4"
	}
	if s := req.Session; s != nil && s.URI != "" {
		switch {
		case !s.File.Equal(fp) || s.Size != fp.Size:
			u.log.Warn("video file changed since the saved upload session; starting a new session")
		case s.VideoID != "":
			u.log.Info("saved upload session is already complete", "video_id", s.VideoID)
			return &Result{VideoID: s.VideoID, Session: *s, Resumed: true}, nil
		default:
			u.sess = *s
			u.resumed = true
		}
	}
	return u.run(ctx)
}

// upload is the state of one Upload call.
type upload struct {
	c           *Client
	f           *os.File
	fp          Fingerprint
	meta        []byte
	hooks       Hooks
	contentType string
	log         *slog.Logger

	sess        Session
	resumed     bool
	newSessions int
	bytesSent   int64
}

// state is what the server says about a session.
type state struct {
	done   bool
	video  VideoResource
	offset int64
	gone   int // 404 or 410
}

func (u *upload) run(ctx context.Context) (*Result, error) {
	failures := 0
	needQuery := u.resumed
	if u.resumed {
		u.log.Info("resuming upload session", "offset", u.sess.Offset, "created_at", u.sess.CreatedAt)
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, u.interrupted(errcode.Classify(err))
		}
		if u.sess.URI == "" {
			if err := u.start(ctx); err != nil {
				return nil, err
			}
			needQuery = false
		}

		var st state
		var err error
		asked := needQuery || u.sess.Offset >= u.fp.Size
		if asked {
			st, err = u.query(ctx)
		} else {
			st, err = u.sendChunk(ctx)
		}
		if err != nil {
			ce := errcode.Classify(err)
			if !ce.Retryable || ce.Code == errcode.Cancelled || ctx.Err() != nil {
				return nil, u.interrupted(ce)
			}
			failures++
			if failures > u.c.retries {
				return nil, u.interrupted(ce)
			}
			wait := u.c.backoff << (failures - 1)
			u.log.Warn("upload interrupted; will ask the server where to continue",
				"error", ce.Message, "attempt", failures, "pause", wait)
			if err := pause(ctx, wait); err != nil {
				return nil, u.interrupted(errcode.Classify(err))
			}
			needQuery = true
			continue
		}
		needQuery = false

		switch {
		case st.done:
			return u.finish(st.video)
		case st.gone != 0:
			if u.newSessions > 0 {
				return nil, errcode.Newf(CodeSessionExpired, true,
					"youtube upload: a session started moments ago is already gone (HTTP %d)", st.gone)
			}
			u.log.Warn("upload session expired on the server; starting a new session from byte 0",
				"status", st.gone, "offset", u.sess.Offset)
			u.sess = Session{}
			continue
		}
		if st.offset > u.fp.Size || (asked && st.offset == u.fp.Size) {
			return nil, errcode.Newf(CodeProtocol, true,
				"youtube upload: server holds %d bytes of a %d-byte file but does not finish the upload", st.offset, u.fp.Size)
		}
		switch {
		case st.offset > u.sess.Offset:
			failures = 0
		case !asked:
			// A chunk was taken but nothing new was persisted.
			failures++
			if failures > u.c.retries {
				return nil, u.interrupted(errcode.Newf(CodeProtocol, true,
					"youtube upload: the server persists nothing past byte %d", st.offset))
			}
		}
		u.sess.Offset = st.offset
		if err := u.saved(); err != nil {
			return nil, err
		}
		u.progress(st.offset)
	}
}

// start creates a new upload session.
func (u *upload) start(ctx context.Context) error {
	if u.hooks.BeforeNewSession != nil {
		if err := u.hooks.BeforeNewSession(ctx); err != nil {
			return errcode.Classify(err)
		}
	}
	c := u.c
	endpoint := c.endpoint("/upload/youtube/v3/videos", url.Values{
		"uploadType": {"resumable"},
		"part":       {"snippet,status"},
	})
	resp, err := c.send(ctx, func() (*http.Request, error) {
		r, err := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(u.meta))
		if err != nil {
			return nil, err
		}
		r.Header.Set("Content-Type", "application/json; charset=UTF-8")
		r.Header.Set("X-Upload-Content-Length", strconv.FormatInt(u.fp.Size, 10))
		r.Header.Set("X-Upload-Content-Type", u.contentType)
		return r, nil
	})
	if err != nil {
		if _, ok := errcode.As(err); ok {
			return err
		}
		return transportError("start upload session", err)
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return c.apiError("insert", resp)
	}
	drain(resp)
	loc := resp.Header.Get("Location")
	if loc == "" {
		return errcode.New(CodeProtocol, "youtube upload: session start answered without a Location header", true)
	}
	ref, err := resp.Request.URL.Parse(loc)
	if err != nil {
		return errcode.New(CodeProtocol, "youtube upload: unparsable session Location header", true)
	}
	u.newSessions++
	u.sess = Session{URI: ref.String(), Size: u.fp.Size, CreatedAt: c.now().UTC(), File: u.fp}
	u.log.Info("upload session started")
	if err := u.saved(); err != nil {
		return err
	}
	u.progress(0)
	return nil
}

// sendChunk sends the next chunk from the confirmed offset.
func (u *upload) sendChunk(ctx context.Context) (state, error) {
	off := u.sess.Offset
	n := min(u.c.cfg.ChunkSize, u.fp.Size-off)
	contentRange := fmt.Sprintf("bytes %d-%d/%d", off, off+n-1, u.fp.Size)
	var counter *countingReader
	resp, err := u.c.sendWithin(ctx, u.c.cfg.ChunkTimeout, func() (*http.Request, error) {
		if counter != nil {
			u.bytesSent += counter.n.Load()
		}
		counter = &countingReader{r: io.NewSectionReader(u.f, off, n)}
		r, err := http.NewRequest(http.MethodPut, u.sess.URI, counter)
		if err != nil {
			return nil, err
		}
		r.ContentLength = n
		r.Header.Set("Content-Type", u.contentType)
		r.Header.Set("Content-Range", contentRange)
		return r, nil
	})
	if counter != nil {
		u.bytesSent += counter.n.Load()
	}
	if err != nil {
		if _, ok := errcode.As(err); ok {
			return state{}, err
		}
		return state{}, transportError("upload chunk", err)
	}
	u.log.Debug("chunk answered", "range", contentRange, "status", resp.StatusCode)
	return u.interpret(resp)
}

// query asks the server how much of the session it holds.
func (u *upload) query(ctx context.Context) (state, error) {
	resp, err := u.c.send(ctx, func() (*http.Request, error) {
		r, err := http.NewRequest(http.MethodPut, u.sess.URI, http.NoBody)
		if err != nil {
			return nil, err
		}
		r.ContentLength = 0
		r.Header.Set("Content-Range", fmt.Sprintf("bytes */%d", u.fp.Size))
		return r, nil
	})
	if err != nil {
		if _, ok := errcode.As(err); ok {
			return state{}, err
		}
		return state{}, transportError("query upload status", err)
	}
	return u.interpret(resp)
}

var rangeRe = regexp.MustCompile(`^bytes=0-(\d+)$`)

// interpret reads a session answer (to a chunk or a status query).
func (u *upload) interpret(resp *http.Response) (state, error) {
	code := resp.StatusCode
	if code == http.StatusOK && resp.Header.Get("X-Http-Status-Code-Override") == "308" {
		code = http.StatusPermanentRedirect
	}
	switch code {
	case http.StatusPermanentRedirect:
		drain(resp)
		rg := resp.Header.Get("Range")
		if rg == "" {
			return state{offset: 0}, nil
		}
		m := rangeRe.FindStringSubmatch(rg)
		if m == nil {
			return state{}, errcode.Newf(CodeProtocol, true, "youtube upload: unparsable Range header %q", rg)
		}
		last, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			return state{}, errcode.Newf(CodeProtocol, true, "youtube upload: unparsable Range header %q", rg)
		}
		return state{offset: last + 1}, nil
	case http.StatusOK, http.StatusCreated:
		defer drain(resp)
		var v VideoResource
		if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(&v); err != nil || v.ID == "" {
			return state{}, errcode.New(CodeProtocol,
				"youtube upload: the final answer carries no video resource", true).WithCause(err)
		}
		return state{done: true, video: v}, nil
	case http.StatusNotFound, http.StatusGone:
		drain(resp)
		return state{gone: code}, nil
	}
	return state{}, u.c.apiError("upload", resp)
}

func (u *upload) finish(v VideoResource) (*Result, error) {
	u.sess.Offset = u.fp.Size
	u.sess.VideoID = v.ID
	if err := u.saved(); err != nil {
		// The video exists; losing its id in the state file is worse than
		// failing, so the error is returned with the id attached.
		if ce, ok := errcode.As(err); ok {
			return nil, ce.Clone().WithDetail("video_id", v.ID)
		}
		return nil, err
	}
	u.progress(u.fp.Size)
	u.log.Info("upload complete", "video_id", v.ID, "resumed", u.resumed, "bytes_sent", u.bytesSent)
	return &Result{VideoID: v.ID, Video: v, Session: u.sess, Resumed: u.resumed,
		NewSessions: u.newSessions, BytesSent: u.bytesSent}, nil
}

// saved hands the session to OnSession.
func (u *upload) saved() error {
	if u.hooks.OnSession == nil {
		return nil
	}
	if err := u.hooks.OnSession(u.sess); err != nil {
		if ce, ok := errcode.As(err); ok {
			return ce
		}
		return errcode.Wrap(err, errcode.FileSystemError, false, "save upload session: "+err.Error())
	}
	return nil
}

func (u *upload) progress(sent int64) {
	if u.hooks.OnProgress != nil {
		u.hooks.OnProgress(sent, u.fp.Size)
	}
}

// interrupted adds where the upload stopped to a final error.
func (u *upload) interrupted(ce *errcode.Error) error {
	e := ce.Clone()
	if u.sess.URI != "" {
		e.WithDetail("upload_offset", u.sess.Offset).WithDetail("upload_size", u.fp.Size)
		if e.Retryable {
			e.Message += fmt.Sprintf(" (upload stopped at %d of %d bytes; the session is saved and the next attempt resumes)",
				u.sess.Offset, u.fp.Size)
		}
	}
	return e
}

// countingReader counts the bytes read from r. The transport may still be
// reading the body when the response arrives (a server may answer early),
// so the count is atomic.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
