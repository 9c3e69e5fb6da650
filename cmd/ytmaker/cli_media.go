package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/ytmaker/ytmaker/internal/api/wire"
)

// runMedia is "ytmaker media set ID N FILE | rm ID N": a segment's own
// picture or clip in place of the generated picture.
func runMedia(ctx context.Context, args []string) int {
	return runGroup(ctx, "media", "Show your own picture or clip in a segment instead of the generated picture.", []subcommand{
		{"set ID N FILE", "upload FILE (PNG, JPEG, WebP, MP4, MOV or WebM, up to 200 MB) for segment N", mediaSet},
		{"rm ID N", "remove segment N's own media: the generated picture comes back", mediaRemove},
	}, args, stdio)
}

// segmentArg reads argument i as a segment number.
func (a *apiCommand) segmentArg(i int) (int, bool) {
	v := a.args[i]
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		fmt.Fprintf(a.io.err, "ytmaker %s: %q is not a segment number (1, 2, ...)\n", a.cf.fs.Name(), v)
		return 0, false
	}
	return n, true
}

func mediaSet(ctx context.Context, args []string, std cliIO) int {
	a := newAPICommand("media set", "Upload a picture or clip for a segment of a project: ytmaker media set ID N FILE.\n"+
		"The next run (ytmaker resume ID) renders the video with it.", std)
	if code := a.load(args, 3); code >= 0 {
		return code
	}
	id, ok := a.id(0, "project")
	if !ok {
		return 2
	}
	n, ok := a.segmentArg(1)
	if !ok {
		return 2
	}
	f, err := os.Open(a.args[2])
	if err != nil {
		fmt.Fprintf(a.io.err, "ytmaker media set: %v\n", err)
		return 2
	}
	defer f.Close()
	res, err := a.client.SetMedia(ctx, id, n, filepath.Base(a.args[2]), f)
	return a.done(res, err, func(w io.Writer) {
		if m := res.Media; m != nil {
			fmt.Fprintf(w, "Segment %d of project %d now shows %s (%s, %dx%d", n, id, filepath.Base(a.args[2]), m.ContentType, m.Width, m.Height)
			if m.DurationSeconds > 0 {
				fmt.Fprintf(w, ", %.1f s", m.DurationSeconds)
			}
			fmt.Fprintln(w, ").")
		}
		mediaNext(w, id, res)
	})
}

func mediaRemove(ctx context.Context, args []string, std cliIO) int {
	a := newAPICommand("media rm", "Remove a segment's own media: ytmaker media rm ID N.", std)
	if code := a.load(args, 2); code >= 0 {
		return code
	}
	id, ok := a.id(0, "project")
	if !ok {
		return 2
	}
	n, ok := a.segmentArg(1)
	if !ok {
		return 2
	}
	res, err := a.client.RemoveMedia(ctx, id, n)
	return a.done(res, err, func(w io.Writer) {
		fmt.Fprintf(w, "Segment %d of project %d shows its generated picture again.\n", n, id)
		mediaNext(w, id, res)
	})
}

func mediaNext(w io.Writer, id int64, res *wire.MediaUpdate) {
	if len(res.Reset) > 0 {
		fmt.Fprintf(w, "Run `ytmaker resume %d` to render the video again (only what changed is made).\n", id)
	}
}
