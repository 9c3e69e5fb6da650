package fakehttp

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"
)

// Start starts a fake with newFake(opts) for a test, and closes it when
// the test ends.
func Start[O any, S interface{ Close() }](t testing.TB, newFake func(O) S, opts O) S {
	t.Helper()
	srv := newFake(opts)
	t.Cleanup(srv.Close)
	return srv
}

// Context returns a context for a test's calls to a fake. It ends after
// timeout, or when the test and its cleanups are done.
func Context(t testing.TB, timeout time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	return ctx
}

// NewClient builds the client a test points at a fake: it applies each
// change to cfg, in order, and calls newClient with the result. It fails
// the test when newClient returns an error.
func NewClient[C, T any](t testing.TB, newClient func(C) (T, error), cfg C, changes ...func(*C)) T {
	t.Helper()
	for _, change := range changes {
		change(&cfg)
	}
	c, err := newClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Do sends req with http.DefaultClient and returns the response with its
// body read and closed. It fails the test when the request gets no
// response.
func Do(t testing.TB, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}
