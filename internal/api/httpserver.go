package api

import (
	"log"
	"net/http"
	"strings"
	"time"
)

// Deadlines of the HTTP server NewHTTPServer builds. Streams (progress
// over SSE and WebSocket, file downloads, segment media uploads) are
// exempt from the read and write deadlines: they last as long as the
// client keeps them open.
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 2 * time.Minute // a whole request, body included
	WriteTimeout      = 2 * time.Minute // a whole answer
	IdleTimeout       = 2 * time.Minute // a kept-alive connection between requests
)

// NewHTTPServer returns an http.Server for h with YTMaker's deadlines, so a
// client that stops reading or writing cannot hold a connection (and a
// goroutine) forever.
func NewHTTPServer(h http.Handler, errorLog *log.Logger) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: ReadHeaderTimeout, ReadTimeout: ReadTimeout,
		WriteTimeout: WriteTimeout, IdleTimeout: IdleTimeout, ErrorLog: errorLog}
}

// longLived reports whether r opens a stream that must outlive the
// server's read and write deadlines: a WebSocket, Server-Sent Events, the
// download of a project's file, or the upload or download of a segment's
// own media.
func longLived(r *http.Request) bool {
	if isUpgrade(r) || strings.Contains(r.Header.Get("Accept"), "text/event-stream") || isStreamPath(r.URL.Path) {
		return true
	}
	p := r.URL.Path
	return strings.HasPrefix(p, Prefix+"/projects/") &&
		(strings.HasSuffix(p, "/video") || strings.HasSuffix(p, "/thumbnail") || strings.HasSuffix(p, "/script") ||
			// A segment's own media: a clip of up to 200 MiB, sent over a
			// home uplink, takes longer than the read deadline (2 minutes
			// is 14 Mbit/s), and playing it back is a download.
			strings.HasSuffix(p, "/media"))
}

// lift removes the connection's read and write deadlines for a stream.
// Servers without deadlines (or writers that cannot change them) are left
// as they are.
func lift(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
}
