package fakehttp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault is what the scripted failures of every fake have in common. A
// fake's own fault type holds one and adds what is particular to its
// service. The zero value is no fault.
type Fault struct {
	// Status, when not 0, is the HTTP error to answer with.
	Status int
	// Message, when not "", replaces the service's usual error text.
	Message string
	// RetryAfter, when positive, is sent as a Retry-After header, in
	// whole seconds rounded up.
	RetryAfter time.Duration
	// Delay holds the answer back this long; the wait ends early when the
	// client goes away.
	Delay time.Duration
	// Drop cuts the answer short and closes the connection.
	Drop bool
}

// Apply carries out f on the answer to r. It waits f.Delay and sets the
// Retry-After header; then a Drop fault sends partial, the raw start of
// an answer (status line, headers and the first bytes of a body they
// promise to be longer), and closes the connection, and a Status fault
// calls fail with f.Status and f.Message to write the service's error.
// Apply reports whether that leaves the fake nothing to do: true after a
// drop, a Status fault or a delay the client did not wait for, false for
// the zero Fault and a delay alone, after which the fake answers as usual.
//
// A Drop fault panics with http.ErrAbortHandler, which makes the server
// break the connection instead, when w cannot hand its connection over.
func (f Fault) Apply(w http.ResponseWriter, r *http.Request, partial string, fail func(code int, message string)) bool {
	if f.Delay > 0 && !Sleep(r.Context(), f.Delay) {
		return true
	}
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((f.RetryAfter+time.Second-1)/time.Second)))
	}
	switch {
	case f.Drop:
		hangUp(w, partial)
		return true
	case f.Status != 0:
		fail(f.Status, f.Message)
		return true
	}
	return false
}

// Describe describes f for a request record: first what it does
// ("status 503", "drop", or else kind, a fault particular to the fake),
// then notes, then its Retry-After and delay, joined by commas, as in
// "status 429, retry after 7s, delay 1s".
func (f Fault) Describe(kind string, notes ...string) string {
	var parts []string
	switch {
	case f.Status != 0:
		parts = append(parts, fmt.Sprintf("status %d", f.Status))
	case f.Drop:
		parts = append(parts, "drop")
	case kind != "":
		parts = append(parts, kind)
	}
	parts = append(parts, notes...)
	if f.RetryAfter > 0 {
		parts = append(parts, "retry after "+f.RetryAfter.String())
	}
	if f.Delay > 0 {
		parts = append(parts, "delay "+f.Delay.String())
	}
	return strings.Join(parts, ", ")
}

// Sleep waits for d or until ctx is done, whichever comes first. It
// reports whether the whole of d went by.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// hangUp takes over the connection behind w, sends partial and closes the
// connection. Headers set on w are not sent.
func hangUp(w http.ResponseWriter, partial string) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if errors.Is(err, http.ErrNotSupported) {
		panic(http.ErrAbortHandler)
	}
	if err != nil {
		return
	}
	defer conn.Close()
	buf.WriteString(partial)
	buf.Flush()
}
