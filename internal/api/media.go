package api

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/api/wire"
	"github.com/ytmaker/ytmaker/internal/media/ffmpeg"
	"github.com/ytmaker/ytmaker/internal/ownmedia"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/script"
)

// MediaField is the multipart field that carries a segment's own media.
const MediaField = "file"

// CodeMediaNotFound answers a segment without own media.
const CodeMediaNotFound = "MEDIA_NOT_FOUND"

// multipartSlack is what a multipart body may hold beyond the file: the
// part headers and boundaries.
const multipartSlack = 64 << 10

// ffmpegRunner returns the ffmpeg/ffprobe runner that checks uploads.
func (s *Server) ffmpegRunner() (*ffmpeg.Runner, error) {
	s.ffOnce.Do(func() {
		s.ff, s.ffErr = ffmpeg.New(ffmpeg.Config{FFmpegPath: s.cfg.FFmpeg, FFprobePath: s.cfg.FFprobe, Logger: s.log})
	})
	return s.ff, s.ffErr
}

// mediaTarget reads {id} and {n} and checks that the project exists and
// has a script with segment n. It writes the error and returns false when
// not.
func (s *Server) mediaTarget(w http.ResponseWriter, r *http.Request) (int64, int, bool) {
	id, ok := pathID(w, r, CodeProjectNotFound, "project")
	if !ok {
		return 0, 0, false
	}
	st, err := s.store.State(id)
	if err != nil {
		s.fail(w, r, asNotFound(err, CodeProjectNotFound))
		return 0, 0, false
	}
	n, err := s.segmentNumber(id, st, r.PathValue("n"))
	if err != nil {
		s.fail(w, r, err)
		return 0, 0, false
	}
	return id, n, true
}

// segmentNumber parses raw as a segment number of project id's script.
func (s *Server) segmentNumber(id int64, st *project.State, raw string) (int, error) {
	if ss := st.Stages.Get(project.StageScript); !ss.Status.Finished() {
		return 0, newError(http.StatusConflict, CodeOutputNotReady, "the project has no script yet; generate it first")
	}
	sc, err := script.Load(filepath.Join(s.store.ProjectDir(id), scriptFile.rel))
	if err != nil {
		return 0, err
	}
	id64, ok := parseID(raw) // canonical: "01" is not segment 1
	n := int(id64)
	if !ok || n > len(sc.Segments) {
		return 0, invalid("segment", "%q is not a segment of the script: segments are numbered 1 to %d", raw, len(sc.Segments)).
			with("segments", len(sc.Segments))
	}
	return n, nil
}

// putMedia stores a creator's own picture or clip for a segment. The body
// is multipart/form-data with the file in the field "file"; it is streamed
// to disk (never held in memory), its type recognised from its bytes and
// checked with ffprobe. The assets stage and later ones go back to
// pending, keeping what they made: the next run renders again with the
// media and makes no picture it already has.
func (s *Server) putMedia(w http.ResponseWriter, r *http.Request) {
	id, n, ok := s.mediaTarget(w, r)
	if !ok {
		return
	}
	limit := s.cfg.MaxMediaBytes
	if st, err := s.store.State(id); err == nil {
		if run := st.ActiveRun(); run != nil && st.Status != project.ScriptReview {
			s.fail(w, r, busyError(run))
			return
		}
	}
	if r.ContentLength > limit+multipartSlack {
		// Refused before a byte is read; the connection is closed so
		// the client stops sending.
		w.Header().Set("Connection", "close")
		s.fail(w, r, ownmedia.TooLarge(limit))
		return
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		s.fail(w, r, newError(http.StatusUnsupportedMediaType, CodeUnsupportedMedia,
			"send the file as multipart/form-data in the field %q", MediaField))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit+multipartSlack)
	mr, err := r.MultipartReader()
	if err != nil {
		s.fail(w, r, newError(http.StatusBadRequest, CodeInvalidForm, "the multipart body cannot be read: %v", err))
		return
	}
	var up *ownmedia.Upload
	for up == nil {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			s.fail(w, r, invalid(MediaField, "the form has no field %q holding the file", MediaField))
			return
		}
		if err != nil {
			s.fail(w, r, mediaReadError(err, limit))
			return
		}
		if part.FormName() != MediaField {
			part.Close()
			continue
		}
		ff, err := s.ffmpegRunner()
		if err != nil {
			s.fail(w, r, err)
			return
		}
		up, err = ownmedia.Receive(r.Context(), ff, s.store.ProjectDir(id), part, limit)
		if err != nil {
			s.fail(w, r, mediaReadError(err, limit))
			return
		}
	}
	defer up.Discard() // nothing once committed
	var saved project.SegmentMedia
	var old *project.SegmentMedia
	var reset []project.Stage
	dir := s.store.ProjectDir(id)
	st, err := s.store.UpdateState(id, func(st *project.State) error {
		if run := st.ActiveRun(); run != nil && st.Status != project.ScriptReview {
			return busyError(run)
		}
		// The script may have changed while the file arrived.
		if _, err := s.segmentNumber(id, st, strconv.Itoa(n)); err != nil {
			return err
		}
		m, err := up.Commit(dir, n, time.Now())
		if err != nil {
			return err
		}
		saved = m
		old = st.SetMedia(m)
		reset = st.ResetAfterScript()
		return nil
	})
	if err != nil {
		s.fail(w, r, asNotFound(err, CodeProjectNotFound))
		return
	}
	if old != nil {
		if err := ownmedia.Remove(dir, old.File, saved.File); err != nil {
			s.log.Warn("could not remove replaced media", "project", id, "file", old.File, "err", err)
		}
	}
	writeData(w, http.StatusOK, wire.MediaUpdate{Media: mediaView(id, saved), Reset: reset, Segments: mediaViews(id, st)})
}

// mediaReadError codes a failure while reading the upload.
func mediaReadError(err error, limit int64) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || errcode.Code(err) == errcode.MediaTooLarge {
		return ownmedia.TooLarge(limit)
	}
	if e, ok := errcode.As(err); ok {
		if e.Code == errcode.MediaUndecodable || e.Code == errcode.MediaUnsupported {
			e = e.WithDetail("field", MediaField)
		}
		return e
	}
	return newError(http.StatusBadRequest, CodeInvalidForm, "the multipart body cannot be read: %v", err)
}

// deleteMedia removes a segment's own media: the generated picture comes
// back (made by the next run if it was never made).
func (s *Server) deleteMedia(w http.ResponseWriter, r *http.Request) {
	id, n, ok := s.mediaTarget(w, r)
	if !ok {
		return
	}
	var old *project.SegmentMedia
	var reset []project.Stage
	dir := s.store.ProjectDir(id)
	st, err := s.store.UpdateState(id, func(st *project.State) error {
		if run := st.ActiveRun(); run != nil && st.Status != project.ScriptReview {
			return busyError(run)
		}
		old = st.RemoveMedia(n)
		if old == nil {
			return newError(http.StatusNotFound, CodeMediaNotFound, "segment %d has no own media", n).with("segment", n)
		}
		reset = st.ResetAfterScript()
		return nil
	})
	if err != nil {
		s.fail(w, r, asNotFound(err, CodeProjectNotFound))
		return
	}
	if err := ownmedia.Remove(dir, old.File, ""); err != nil {
		s.log.Warn("could not remove media", "project", id, "file", old.File, "err", err)
	}
	writeData(w, http.StatusOK, wire.MediaUpdate{Reset: reset, Segments: mediaViews(id, st)})
}

// getMedia serves a segment's own media file.
func (s *Server) getMedia(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, CodeProjectNotFound, "project")
	if !ok {
		return
	}
	st, err := s.store.State(id)
	if err != nil {
		s.fail(w, r, asNotFound(err, CodeProjectNotFound))
		return
	}
	n64, ok := parseID(r.PathValue("n"))
	m := st.MediaFor(int(n64))
	n := int(n64)
	if !ok || m == nil {
		s.fail(w, r, newError(http.StatusNotFound, CodeMediaNotFound, "segment %q has no own media", r.PathValue("n")).with("field", "segment"))
		return
	}
	f, err := os.Open(filepath.Join(s.store.ProjectDir(id), filepath.FromSlash(m.File)))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			s.fail(w, r, newError(http.StatusNotFound, CodeMediaNotFound, "segment %d's media file is missing", n))
			return
		}
		s.fail(w, r, err)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	name := fmt.Sprintf("project-%d-%s", id, strings.TrimPrefix(m.File, ownmedia.Dir+"/"))
	h := w.Header()
	h.Set("Content-Type", m.ContentType)
	h.Set("Content-Disposition", `inline; filename="`+name+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", `"`+m.SHA256[:16]+`"`)
	h.Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, name, fi.ModTime(), f)
}

// mediaURL is where segment n's media is served.
func mediaURL(id int64, n int) string {
	return projectURL(id) + "/segments/" + strconv.Itoa(n) + "/media"
}

func mediaView(id int64, m project.SegmentMedia) *wire.SegmentMedia {
	return &wire.SegmentMedia{Segment: m.Segment, Kind: m.Kind, ContentType: m.ContentType, SizeBytes: m.Bytes,
		SHA256: m.SHA256, Width: m.Width, Height: m.Height, DurationSeconds: m.Seconds, UploadedAt: m.UploadedAt,
		URL: mediaURL(id, m.Segment)}
}

func mediaViews(id int64, st *project.State) []wire.SegmentMedia {
	out := []wire.SegmentMedia{}
	for _, m := range st.Media {
		out = append(out, *mediaView(id, m))
	}
	return out
}
