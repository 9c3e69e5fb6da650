package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
)

// decodeStrict decodes exactly one JSON value from r into v: unknown
// fields, wrong types and trailing data are errors. Every error it returns
// is an *apiError with a 4xx status.
func decodeStrict(r io.Reader, v any) error {
	body, err := io.ReadAll(r)
	if err != nil {
		return jsonError(err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var pe *time.ParseError
		if errors.As(err, &pe) {
			// encoding/json does not say which field held the bad time.
			field := stringPath(body, pe.Value)
			return invalid(field, "%q is not a time; use RFC 3339, e.g. 2030-01-02T09:00:00Z or 2030-01-02T17:00:00+08:00", pe.Value)
		}
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return jsonError(err)
		}
		return newError(http.StatusBadRequest, CodeInvalidJSON, "the body must hold exactly one JSON value; found more after it")
	}
	return nil
}

// stringPath returns the path ("settings.youtube.publish_at",
// "projects[2].settings.youtube.publish_at") of the first string equal to
// value in the JSON document body, or "(body)".
func stringPath(body []byte, value string) string {
	var doc any
	if json.Unmarshal(body, &doc) != nil {
		return "(body)"
	}
	var walk func(v any, at string) (string, bool)
	walk = func(v any, at string) (string, bool) {
		switch t := v.(type) {
		case string:
			return at, t == value
		case []any:
			for i, e := range t {
				if p, ok := walk(e, at+"["+strconv.Itoa(i)+"]"); ok {
					return p, true
				}
			}
		case map[string]any:
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				sub := k
				if at != "" {
					sub = at + "." + k
				}
				if p, ok := walk(t[k], sub); ok {
					return p, true
				}
			}
		}
		return "", false
	}
	if p, ok := walk(doc, ""); ok && p != "" {
		return p
	}
	return "(body)"
}

// jsonError maps an encoding/json error to an API error.
func jsonError(err error) *apiError {
	var (
		mbe   *http.MaxBytesError
		syn   *json.SyntaxError
		typ   *json.UnmarshalTypeError
		coded *errcode.Error
	)
	switch {
	case errors.As(err, &mbe):
		return newError(http.StatusRequestEntityTooLarge, CodeTooLarge, "the body is larger than %d bytes", mbe.Limit).with("limit", mbe.Limit)
	case errors.Is(err, io.EOF):
		return newError(http.StatusBadRequest, CodeEmptyBody, "the body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return newError(http.StatusBadRequest, CodeInvalidJSON, "the JSON body ends too early")
	case errors.As(err, &syn):
		return newError(http.StatusBadRequest, CodeInvalidJSON, "malformed JSON at byte %d: %s", syn.Offset, syn.Error()).with("offset", syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		return newError(http.StatusBadRequest, CodeInvalidType, "%s must be %s, not %s", field, typeName(typ.Type.String()), typ.Value).
			with("field", field).with("expected", typeName(typ.Type.String()))
	case errors.As(err, &coded):
		if ae, ok := toAPIError(coded); ok {
			return ae
		}
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return newError(http.StatusBadRequest, CodeUnknownField, "unknown field %q", name).with("field", name)
	}
	return newError(http.StatusBadRequest, CodeInvalidJSON, "%s", strings.TrimPrefix(msg, "json: "))
}

// typeName turns a Go type into a JSON word for messages.
func typeName(goType string) string {
	switch {
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "a boolean"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "an integer"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case strings.HasPrefix(goType, "map["), strings.Contains(goType, "."):
		return "an object"
	}
	return goType
}

// mediaType returns the request's media type, lower case ("" when absent).
func mediaType(r *http.Request) (string, map[string]string, error) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return "", nil, nil
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return "", nil, newError(http.StatusUnsupportedMediaType, CodeUnsupportedMedia, "Content-Type %q cannot be parsed", ct)
	}
	return strings.ToLower(mt), params, nil
}

func isJSONType(mt string) bool {
	return mt == "" || mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// decodeBody decodes a JSON request body of at most limit bytes into v.
// With optional, an empty body leaves v alone.
func (s *Server) decodeBody(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	body := http.MaxBytesReader(w, r.Body, s.cfg.MaxJSONBytes)
	var rd io.Reader = body
	if optional {
		// An empty body is fine whatever its type (many clients label an
		// empty POST as a form).
		b, err := io.ReadAll(body)
		if err != nil {
			return jsonError(err)
		}
		if len(bytes.TrimSpace(b)) == 0 {
			return nil
		}
		rd = bytes.NewReader(b)
	}
	mt, params, err := mediaType(r)
	if err != nil {
		return err
	}
	if !isJSONType(mt) {
		return newError(http.StatusUnsupportedMediaType, CodeUnsupportedMedia, "send JSON (Content-Type: application/json), not %s", mt)
	}
	// JSON is UTF-8 (RFC 8259); a body declared in another charset would
	// be read as UTF-8 and its text garbled.
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		return newError(http.StatusUnsupportedMediaType, CodeUnsupportedMedia, "send JSON in UTF-8, not %s", cs)
	}
	return decodeStrict(rd, v)
}

// parseID reads a positive integer ID in canonical form. Anything else
// (leading zeros, signs, spaces, letters, overflow) is rejected, so
// paths are built only from integers.
func parseID(s string) (int64, bool) {
	// Canonical form only: "01" is not project 1 (it must not reach, and
	// delete, what "1" names).
	if s == "" || len(s) > 19 || s[0] == '0' {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, false
	}
	return id, true
}

// pathID reads {id}; a malformed one is answered 404 with code.
func pathID(w http.ResponseWriter, r *http.Request, code, kind string) (int64, bool) {
	raw := r.PathValue("id")
	id, ok := parseID(raw)
	if !ok {
		writeError(w, newError(http.StatusNotFound, code, "%s %q does not exist: IDs are positive integers", kind, raw))
	}
	return id, ok
}

// queryInt reads an integer query parameter within [lo, hi].
func queryInt(q url.Values, name string, def, lo, hi int) (int, error) {
	v := strings.TrimSpace(q.Get(name))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, invalid(name, "must be an integer from %d to %d", lo, hi)
	}
	return n, nil
}

// queryBool reads a boolean query parameter (true/false/1/0/yes/no).
func queryBool(q url.Values, name string, def bool) (bool, error) {
	v := strings.TrimSpace(q.Get(name))
	if v == "" {
		return def, nil
	}
	b, ok := parseBool(v)
	if !ok {
		return false, invalid(name, "must be true or false")
	}
	return b, nil
}

func parseBool(v string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1", "yes", "y", "on":
		return true, true
	case "false", "0", "no", "n", "off":
		return false, true
	}
	return false, false
}
