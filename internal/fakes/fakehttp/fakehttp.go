// Package fakehttp holds what the in-process fakes of external HTTP
// services have in common: a queue of scripted faults, a log of the
// requests received whose records are complete before the client sees an
// answer, delayed, failed and cut-short answers, JSON and Google API
// errors, and helpers for the tests that use the fakes.
//
// A fake keeps a Queue of its faults and a Log of its requests, and embeds
// a *Server that shows both to tests. Its own fault type holds a Fault
// for what all fakes' faults share. Its handler tracks the request and
// applies the next fault before answering:
//
//	func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
//		rec := Request{Method: r.Method, Path: r.URL.Path}
//		w, save := s.requests.Track(w, &rec, &rec.Status)
//		defer save()
//		fault, _ := s.faults.Pop()
//		rec.Fault = fault.String()
//		if fault.base.Apply(w, r, droppedAnswer, func(code int, msg string) {
//			writeError(w, code, msg)
//		}) {
//			return
//		}
//		// Answer as the service does.
//	}
package fakehttp

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
)

// Server runs a fake's handler on a loopback port and shows tests the
// fault queue and the request log the handler uses. A fake embeds a
// *Server, so that its own server type has these methods.
type Server[F, R any] struct {
	ts       *httptest.Server
	faults   *Queue[F]
	requests *Log[R]
}

// NewServer starts handler on a loopback port. faults and requests are
// the queue the handler takes its faults from and the log it records
// requests in.
func NewServer[F, R any](handler http.Handler, faults *Queue[F], requests *Log[R]) *Server[F, R] {
	return &Server[F, R]{ts: httptest.NewServer(handler), faults: faults, requests: requests}
}

// URL is the base URL to give the client.
func (s *Server[F, R]) URL() string { return s.ts.URL }

// Client returns an HTTP client for the server.
func (s *Server[F, R]) Client() *http.Client { return s.ts.Client() }

// Close shuts the server down, waiting for calls in progress.
func (s *Server[F, R]) Close() { s.ts.Close() }

// Fail queues faults; each applies to one later call, in order.
func (s *Server[F, R]) Fail(faults ...F) { s.faults.Push(faults...) }

// ClearFaults drops every queued fault, those that stay included.
func (s *Server[F, R]) ClearFaults() { s.faults.Clear() }

// PendingFaults returns how many queued faults have not been used yet.
func (s *Server[F, R]) PendingFaults() int { return s.faults.Len() }

// Requests returns the calls received so far, oldest first.
func (s *Server[F, R]) Requests() []R { return s.requests.All() }

// Calls returns how many calls were received.
func (s *Server[F, R]) Calls() int { return s.requests.Len() }

// Counter hands out the numbers 1, 2, 3 and so on, for the IDs a fake
// gives its answers and the objects it creates. It is safe for concurrent
// use; the zero value starts at 1.
type Counter struct {
	n atomic.Int64
}

// Next returns the next number.
func (c *Counter) Next() int { return int(c.n.Add(1)) }
