package fakehttp

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
)

// JSON writes answers encoded as JSON, in the manner of one service. The
// zero value sends the Content-Type application/json and escapes <, > and
// & in strings, as encoding/json does.
type JSON struct {
	// ContentType, when not "", replaces application/json.
	ContentType string
	// RawHTML leaves <, > and & in strings as they are.
	RawHTML bool
	// Length sends a Content-Length header.
	Length bool
}

// Write answers code with v.
func (j JSON) Write(w http.ResponseWriter, code int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(!j.RawHTML)
	enc.Encode(v)
	ct := j.ContentType
	if ct == "" {
		ct = "application/json"
	}
	w.Header().Set("Content-Type", ct)
	if j.Length {
		w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	}
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}
