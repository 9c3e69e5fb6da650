package childproc

import (
	"bytes"
	"strings"
	"sync"
)

// Tail is an io.Writer that keeps only the last lines written to it, for
// error reports built from a program's stderr. It is safe for concurrent
// use. The zero value keeps 20 lines of at most 8 KiB in total.
type Tail struct {
	// Lines is the number of lines kept; 0 means 20.
	Lines int
	// MaxBytes bounds the memory kept; 0 means 8 KiB.
	MaxBytes int

	mu  sync.Mutex
	buf []byte
}

// Write implements io.Writer. It never fails.
func (t *Tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	limit := t.MaxBytes
	if limit <= 0 {
		limit = 8 << 10
	}
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*limit {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-limit:]...)
	}
	return len(p), nil
}

// String returns the kept lines, trimmed, joined by newlines.
func (t *Tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.Lines
	if n <= 0 {
		n = 20
	}
	limit := t.MaxBytes
	if limit <= 0 {
		limit = 8 << 10
	}
	b := bytes.TrimRight(t.buf, "\r\n\t ")
	if len(b) > limit {
		b = b[len(b)-limit:]
	}
	// ffmpeg rewrites status lines with carriage returns.
	s := strings.ReplaceAll(string(b), "\r", "\n")
	lines := strings.Split(s, "\n")
	out := lines[:0]
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			out = append(out, strings.TrimRight(l, " \t"))
		}
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return strings.Join(out, "\n")
}
