// Package ownmedia receives a creator's own picture (PNG, JPEG, WebP) or
// video clip (MP4, MOV, WebM) for a segment: it streams the upload to a
// temporary file in the project folder, recognises the type from the
// bytes (never the name), checks with ffprobe and ffmpeg that the file
// decodes and has a sane size and length, and moves it into place.
package ownmedia

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/atomicfile"
	"github.com/ytmaker/ytmaker/internal/leftover"
	"github.com/ytmaker/ytmaker/internal/media/ffmpeg"
	"github.com/ytmaker/ytmaker/internal/project"
)

// Limits of an upload.
const (
	MaxBytes   = 200 << 20 // the largest file accepted
	MinSide    = 16        // pixels, each side
	MaxSide    = 8192
	MinSeconds = 0.1 // a clip's length
	MaxSeconds = 3600
)

// Dir is the folder of the media inside a project folder.
const Dir = "media"

// Type is a recognised file type.
type Type struct {
	Kind string // project.MediaImage or project.MediaVideo
	Ext  string // ".png", ".jpg", ".webp", ".mp4", ".mov", ".webm"
	MIME string
}

// Types lists the accepted types.
var Types = []Type{
	{project.MediaImage, ".png", "image/png"},
	{project.MediaImage, ".jpg", "image/jpeg"},
	{project.MediaImage, ".webp", "image/webp"},
	{project.MediaVideo, ".mp4", "video/mp4"},
	{project.MediaVideo, ".mov", "video/quicktime"},
	{project.MediaVideo, ".webm", "video/webm"},
}

// SniffLen is how many leading bytes Sniff needs.
const SniffLen = 64

// Sniff recognises an accepted type from a file's first bytes.
func Sniff(head []byte) (Type, bool) {
	switch {
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return Types[0], true
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return Types[1], true
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return Types[2], true
	case len(head) >= 12 && string(head[4:8]) == "ftyp":
		if string(head[8:12]) == "qt  " {
			return Types[4], true
		}
		return Types[3], true
	case len(head) >= 8 && (string(head[4:8]) == "moov" || string(head[4:8]) == "mdat" || string(head[4:8]) == "wide" || string(head[4:8]) == "free"):
		// QuickTime files written without a file type box.
		return Types[4], true
	case bytes.HasPrefix(head, []byte{0x1A, 0x45, 0xDF, 0xA3}) && bytes.Contains(head, []byte("webm")):
		return Types[5], true
	}
	return Type{}, false
}

// Upload is a received file waiting in the media folder under a temporary
// name: Commit moves it into place, Discard removes it.
type Upload struct {
	Type   Type
	Path   string // the temporary file
	Bytes  int64
	SHA256 string
	Width  int
	Height int
	// Seconds is a clip's length (0 for pictures).
	Seconds float64
}

// TooLarge is the error of an upload over the limit.
func TooLarge(limit int64) error {
	return errcode.Newf(errcode.MediaTooLarge, false, "the file is larger than %d MB", limit>>20).WithDetail("max_bytes", limit)
}

func unsupported() error {
	return errcode.New(errcode.MediaUnsupported, "the file is not a PNG, JPEG or WebP picture or an MP4, MOV or WebM video", false)
}

func undecodable(format string, args ...any) *errcode.Error {
	return errcode.Newf(errcode.MediaUndecodable, false, format, args...)
}

// Receive streams r (at most limit bytes; more is MEDIA_TOO_LARGE) to a
// temporary file in projectDir's media folder and checks it. Any error
// leaves nothing behind. The caller commits or discards the upload.
func Receive(ctx context.Context, ff *ffmpeg.Runner, projectDir string, r io.Reader, limit int64) (*Upload, error) {
	dir := filepath.Join(projectDir, Dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	head := make([]byte, SniffLen)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, readError(err)
	}
	head = head[:n]
	t, ok := Sniff(head)
	if !ok {
		return nil, unsupported()
	}
	f, err := os.CreateTemp(dir, leftover.Pattern("upload", "tmp", t.Ext))
	if err != nil {
		return nil, errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	up := &Upload{Type: t, Path: f.Name()}
	keep := false
	defer func() {
		if !keep {
			f.Close()
			os.Remove(up.Path)
		}
	}()
	h := sha256.New()
	w := io.MultiWriter(f, h)
	if _, err := w.Write(head); err != nil {
		return nil, errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	// One byte more than allowed tells an oversized file apart.
	copied, err := io.Copy(w, io.LimitReader(r, limit-int64(n)+1))
	if err != nil {
		return nil, readError(err)
	}
	up.Bytes = int64(n) + copied
	if up.Bytes > limit {
		return nil, TooLarge(limit)
	}
	if err := f.Close(); err != nil {
		return nil, errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	up.SHA256 = hex.EncodeToString(h.Sum(nil))
	if err := up.check(ctx, ff); err != nil {
		return nil, err
	}
	keep = true
	return up, nil
}

// readError codes a failure to read the upload: a body over the server's
// limit, or a client that went away.
func readError(err error) error {
	if e, ok := errcode.As(err); ok {
		return e
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return TooLarge(MaxBytes)
	}
	return errcode.Wrap(err, errcode.InvalidInput, false, "reading the upload: "+err.Error())
}

// check probes the file: it must hold a decodable video stream (a
// picture is one) of a sane size and, for a clip, length.
func (up *Upload) check(ctx context.Context, ff *ffmpeg.Runner) error {
	info, err := ff.Probe(ctx, up.Path)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		return undecodable("the %s file cannot be read: %s", up.Type.Ext[1:], up.lastWords(err))
	}
	v, ok := info.Video()
	if !ok {
		return undecodable("the file has no picture or video stream")
	}
	if v.Width < MinSide || v.Height < MinSide || v.Width > MaxSide || v.Height > MaxSide {
		return undecodable("the picture is %dx%d; each side must be %d to %d pixels", v.Width, v.Height, MinSide, MaxSide).
			WithDetail("width", v.Width).WithDetail("height", v.Height)
	}
	up.Width, up.Height = v.Width, v.Height
	if up.Type.Kind == project.MediaVideo {
		d := v.Duration
		if d <= 0 {
			d = info.Duration
		}
		if s := d.Seconds(); s < MinSeconds || s > MaxSeconds {
			return undecodable("the clip lasts %.2f s; it must last %.1f s to %d min", s, MinSeconds, MaxSeconds/60).
				WithDetail("duration_seconds", s)
		}
		up.Seconds = d.Seconds()
	}
	// Decoding the first and the last frames catches files cut short
	// whose header still reads well.
	args := []string{"-xerror", "-i", up.Path, "-map", "0:v:0", "-frames:v", "1", "-f", "null", "-"}
	if err := ff.Run(ctx, args, ffmpeg.RunOptions{Dir: filepath.Dir(up.Path)}); err != nil {
		if ctx.Err() != nil {
			return err
		}
		return undecodable("the %s file does not decode: %s", up.Type.Ext[1:], up.lastWords(err))
	}
	if up.Type.Kind == project.MediaVideo {
		end := time.Duration(max(up.Seconds-0.5, 0) * float64(time.Second))
		args := []string{"-xerror", "-ss", fmt.Sprintf("%.3f", end.Seconds()), "-i", up.Path, "-map", "0:v:0", "-f", "null", "-"}
		if err := ff.Run(ctx, args, ffmpeg.RunOptions{Dir: filepath.Dir(up.Path)}); err != nil {
			if ctx.Err() != nil {
				return err
			}
			return undecodable("the end of the %s file does not decode: %s", up.Type.Ext[1:], up.lastWords(err))
		}
	}
	return nil
}

// lastWords is the message of a coded ffmpeg failure, without the
// server's path of the file.
func (up *Upload) lastWords(err error) string {
	msg := err.Error()
	if e, ok := errcode.As(err); ok {
		msg = e.Message
	}
	return strings.ReplaceAll(msg, up.Path, "the upload")
}

// FileName is where segment n's media of type t lives, relative to the
// project folder.
func FileName(n int, t Type) string {
	return fmt.Sprintf("%s/segment_%02d%s", Dir, n, t.Ext)
}

// Commit moves the upload into place as segment n's media and returns its
// record. A file the record replaces is the caller's to remove (Remove)
// once the new record is saved.
func (up *Upload) Commit(projectDir string, n int, now time.Time) (project.SegmentMedia, error) {
	rel := FileName(n, up.Type)
	if err := atomicfile.Rename(up.Path, filepath.Join(projectDir, filepath.FromSlash(rel))); err != nil {
		return project.SegmentMedia{}, errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	return project.SegmentMedia{Segment: n, Kind: up.Type.Kind, File: rel, ContentType: up.Type.MIME, Bytes: up.Bytes,
		SHA256: up.SHA256, Width: up.Width, Height: up.Height, Seconds: up.Seconds, UploadedAt: now.UTC()}, nil
}

// Discard removes an upload that was not committed.
func (up *Upload) Discard() { os.Remove(up.Path) }

// Remove deletes a media file of projectDir (a record's File), unless
// keep names the same file.
func Remove(projectDir, rel, keep string) error {
	if rel == "" || rel == keep {
		return nil
	}
	err := os.Remove(filepath.Join(projectDir, filepath.FromSlash(rel)))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	return nil
}
