package subtitles

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/internal/atomicfile"
)

// srtTime formats d as HH:MM:SS,mmm.
func srtTime(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	ms := int64(d / time.Millisecond)
	return fmt.Sprintf("%02d:%02d:%02d,%03d", ms/3600000, ms/60000%60, ms/1000%60, ms%1000)
}

// WriteSRT writes cues as SubRip text.
func WriteSRT(w io.Writer, cues []Cue) error {
	bw := bufio.NewWriter(w)
	n := 0
	for _, c := range cues {
		text := strings.TrimSpace(strings.ReplaceAll(StripMarks(c.Text), "\r", ""))
		if c.End <= c.Start || text == "" {
			continue
		}
		// A blank line would end the cue early.
		var lines []string
		for _, l := range strings.Split(text, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, l)
			}
		}
		n++
		fmt.Fprintf(bw, "%d\n%s --> %s\n%s\n\n", n, srtTime(c.Start), srtTime(c.End), strings.Join(lines, "\n"))
	}
	return bw.Flush()
}

// WriteSRTFile writes cues atomically as an SRT file at path.
func WriteSRTFile(path string, cues []Cue) error {
	return atomicfile.Write(path, 0o644, func(w io.Writer) error { return WriteSRT(w, cues) })
}

// Shift returns cues moved by offset (for placing a segment's cues on the
// whole video's timeline).
func Shift(cues []Cue, offset time.Duration) []Cue {
	out := make([]Cue, len(cues))
	for i, c := range cues {
		c.Start += offset
		c.End += offset
		out[i] = c
	}
	return out
}
