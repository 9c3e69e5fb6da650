package render

import (
	"errors"
	"io"
	"os"
	"path/filepath"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/media/h264"
)

// The encoded pieces of a video are spliced by streaming them from disk
// one access unit at a time: a ten-minute 1080p Ken Burns video is
// hundreds of megabytes of H.264, which must not pass through memory.

// openStream opens an encoded file of the work directory for reading one
// access unit at a time.
func (r *renderer) openStream(name string) (*h264.Reader, io.Closer, error) {
	f, err := os.Open(r.path(name))
	if err != nil {
		return nil, nil, errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	return h264.NewReader(f), f, nil
}

// readParams returns the parameter sets at the head of an encoded file
// (read with its first picture only).
func (r *renderer) readParams(name string) (*h264.ParamSets, error) {
	rd, c, err := r.openStream(name)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if _, err := rd.Next(); err != nil {
		return nil, badStream(name, err)
	}
	return rd.Params(), nil
}

// spliceable returns errFallback unless every file shares the parameter
// sets of the first: streams encoded with other settings cannot be joined.
func (r *renderer) spliceable(names ...string) error {
	var ref *h264.ParamSets
	for _, name := range names {
		ps, err := r.readParams(name)
		if err != nil {
			return err
		}
		if ref == nil {
			ref = ps
			continue
		}
		if !h264.SameParamSets(ref, ps) {
			r.log.Warn("parameter sets differ from the main stream", "stream", name)
			return errFallback
		}
	}
	return nil
}

// copyStream appends every picture of an encoded file to w, checking that
// the file holds frames pictures. after, when set, runs after picture k
// is written (to lengthen it with skipped pictures).
func (r *renderer) copyStream(w *h264.Writer, name string, frames int, after func(k int) error) error {
	rd, c, err := r.openStream(name)
	if err != nil {
		return err
	}
	defer c.Close()
	k := 0
	for ; ; k++ {
		au, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return badStream(name, err)
		}
		if k >= frames {
			continue // count them all for the error below
		}
		if err := w.WriteUnit(au); err != nil {
			return err
		}
		if after != nil {
			if err := after(k); err != nil {
				return err
			}
		}
	}
	if k != frames {
		return errcode.Newf(errcode.FFmpegFailed, false, "render: %s holds %d pictures, want %d", name, k, frames)
	}
	return nil
}

func badStream(name string, err error) error {
	if _, ok := errcode.As(err); ok {
		return err
	}
	return errcode.Wrap(err, errcode.FFmpegFailed, false, "render: read encoded video "+filepath.Base(name))
}

// clipNames returns the encoded intro and outro files ("" when absent).
func (r *renderer) clipNames() (intro, outro string) {
	if r.p.spec.Intro != "" {
		intro = "intro.h264"
	}
	if r.p.spec.Outro != "" {
		outro = "outro.h264"
	}
	return intro, outro
}

// spliceAll writes the intro, the middle (written by body) and the outro
// into the video stream, checking the total length.
func (r *renderer) spliceAll(body func(w *h264.Writer) error) error {
	return r.spliceAllWith(h264.NewWriter, body)
}

// spliceAllWith is spliceAll with the Writer newWriter makes.
func (r *renderer) spliceAllWith(newWriter func(io.Writer) *h264.Writer, body func(w *h264.Writer) error) error {
	intro, outro := r.clipNames()
	return writeStreamWith(r.path("video.h264"), newWriter, func(w *h264.Writer) error {
		if intro != "" {
			if err := r.copyStream(w, intro, r.p.introFrames, nil); err != nil {
				return err
			}
		}
		if err := body(w); err != nil {
			return err
		}
		if outro != "" {
			return r.copyStream(w, outro, r.p.outroFrames, nil)
		}
		return nil
	}, r.p.totalFrames())
}

// pieceNames lists the files to check with spliceable: first the main
// stream(s), then the clips.
func (r *renderer) pieceNames(main ...string) []string {
	intro, outro := r.clipNames()
	for _, c := range []string{intro, outro} {
		if c != "" {
			main = append(main, c)
		}
	}
	return main
}
