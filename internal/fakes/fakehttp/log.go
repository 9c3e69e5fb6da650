package fakehttp

import (
	"bufio"
	"net"
	"net/http"
	"slices"
	"sync"
)

// Log keeps one record of type R for each request a fake receives, in
// the order the requests arrived. It is safe for concurrent use; the zero
// value is an empty log.
type Log[R any] struct {
	mu   sync.Mutex
	recs []R
}

// Record stores *rec as the newest entry and returns a function that
// stores the current state of *rec in that entry again. A fake records a
// request as soon as it arrives, so that a client that got an answer
// always finds its request in the log, and saves the record again as it
// fills in, last just before the answer starts (see BeforeAnswer). Only
// the goroutine that handles the request may change *rec or call save.
func (l *Log[R]) Record(rec *R) (save func()) {
	l.mu.Lock()
	i := len(l.recs)
	l.recs = append(l.recs, *rec)
	l.mu.Unlock()
	return func() {
		l.mu.Lock()
		l.recs[i] = *rec
		l.mu.Unlock()
	}
}

// Track records the request *rec describes as it arrives (see Record) and
// returns w wrapped so that, just before the answer starts, *status is set
// to the answer's status (0 for a dropped connection) and the record is
// saved (see BeforeAnswer). The fake defers save, to keep what it notes
// in *rec after answering.
func (l *Log[R]) Track(w http.ResponseWriter, rec *R, status *int) (_ http.ResponseWriter, save func()) {
	save = l.Record(rec)
	return BeforeAnswer(w, func(code int) { *status = code; save() }), save
}

// All returns a copy of the records, oldest first.
func (l *Log[R]) All() []R { return l.Since(0) }

// Since returns a copy of the records after the first n, oldest first.
func (l *Log[R]) Since(n int) []R {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.recs[min(n, len(l.recs)):])
}

// Len returns how many requests were recorded.
func (l *Log[R]) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recs)
}

// BeforeAnswer returns w wrapped so that note runs once, just before the
// answer starts: with the status code on the first WriteHeader or Write,
// or with 0 when the handler takes the connection over (Hijack) to drop
// it. A fake uses it to complete a request's record before the client can
// see the answer.
func BeforeAnswer(w http.ResponseWriter, note func(status int)) http.ResponseWriter {
	return &noteWriter{ResponseWriter: w, note: note}
}

// noteWriter is the writer BeforeAnswer returns.
type noteWriter struct {
	http.ResponseWriter
	note    func(status int)
	started bool
}

// WriteHeader notes the status, then starts the answer.
func (w *noteWriter) WriteHeader(code int) {
	if !w.started {
		w.started = true
		w.note(code)
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write starts the answer if needed, then writes b.
func (w *noteWriter) Write(b []byte) (int, error) {
	if !w.started {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Hijack notes status 0, then hands the connection over.
func (w *noteWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if !w.started {
		w.started = true
		w.note(0)
	}
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// Unwrap lets http.ResponseController reach the wrapped writer.
func (w *noteWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
