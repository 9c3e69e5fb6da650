package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/api/wire"
	"github.com/ytmaker/ytmaker/internal/engine"
)

// Error codes of the HTTP API (besides the core's, such as INVALID_INPUT
// and PROJECT_BUSY).
const (
	CodeInvalidJSON        = "INVALID_JSON"
	CodeInvalidType        = "INVALID_TYPE"
	CodeUnknownField       = "UNKNOWN_FIELD"
	CodeEmptyBody          = "EMPTY_BODY"
	CodeTooLarge           = "REQUEST_TOO_LARGE"
	CodeUnsupportedMedia   = "UNSUPPORTED_MEDIA_TYPE"
	CodeInvalidCSV         = "INVALID_CSV"
	CodeInvalidForm        = "INVALID_FORM"
	CodeProjectNotFound    = "PROJECT_NOT_FOUND"
	CodeBatchNotFound      = "BATCH_NOT_FOUND"
	CodeTaskNotFound       = "TASK_NOT_FOUND"
	CodeOutputNotReady     = "OUTPUT_NOT_READY"
	CodeNotCompleted       = "PROJECT_NOT_COMPLETED"
	CodeNothingToRetry     = "NOTHING_TO_RETRY"
	CodeBatchNotRunning    = "BATCH_NOT_RUNNING"
	CodeServiceUnavailable = "SERVICE_UNAVAILABLE"
)

// apiError is an error with the HTTP status it is answered with.
type apiError struct {
	status  int
	code    string
	message string
	details map[string]any
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func newError(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

func (e *apiError) with(key string, v any) *apiError {
	if e.details == nil {
		e.details = map[string]any{}
	}
	e.details[key] = v
	return e
}

// invalid is a 422 INVALID_INPUT naming the field.
func invalid(field, format string, args ...any) *apiError {
	return newError(http.StatusUnprocessableEntity, errcode.InvalidInput, "%s: %s", field, fmt.Sprintf(format, args...)).with("field", field)
}

// statusForCode maps the core's error codes to HTTP statuses.
func statusForCode(code string) int {
	switch code {
	case errcode.InvalidInput:
		return http.StatusUnprocessableEntity
	case errcode.NotFound, CodeProjectNotFound, CodeBatchNotFound, CodeTaskNotFound:
		return http.StatusNotFound
	case errcode.Conflict, errcode.ProjectBusy, engine.CodeNotRunning, engine.CodeAlreadyCompleted:
		return http.StatusConflict
	case errcode.RedisUnavailable, errcode.Timeout, errcode.NetworkError:
		return http.StatusServiceUnavailable
	case errcode.DiskFull:
		return http.StatusInsufficientStorage
	case errcode.MediaTooLarge:
		return http.StatusRequestEntityTooLarge
	case errcode.MediaUnsupported:
		return http.StatusUnsupportedMediaType
	case errcode.MediaUndecodable:
		return http.StatusUnprocessableEntity
	}
	return http.StatusInternalServerError
}

// toAPIError turns any error into what the client sees. Coded errors keep
// their code and message; anything else becomes a generic 500 whose detail
// goes to the log only.
func toAPIError(err error) (*apiError, bool) {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae, true
	}
	if e, ok := errcode.As(err); ok && e.Code != errcode.Internal {
		out := &apiError{status: statusForCode(e.Code), code: e.Code, message: e.Message}
		for k, v := range e.Details {
			out.with(k, v)
		}
		return out, true
	}
	return newError(http.StatusInternalServerError, errcode.Internal, "internal error; the server log has the details"), false
}

// fail answers err. A client that went away gets nothing.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil && errors.Is(err, context.Canceled) {
		return
	}
	ae, known := toAPIError(err)
	if !known || ae.status >= 500 {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "status", ae.status, "err", err)
	} else {
		s.log.Log(r.Context(), slog.LevelDebug, "request refused", "method", r.Method, "path", r.URL.Path, "status", ae.status, "code", ae.code)
	}
	writeError(w, ae)
}

// writeError writes the error envelope.
func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.status, wire.Envelope[any]{Success: false,
		Error: &wire.Error{Code: e.code, Message: e.message, Details: e.details}})
}

// writeData writes the success envelope.
func writeData(w http.ResponseWriter, status int, data any) {
	writeJSON(w, status, wire.Envelope[any]{Success: true, Data: data})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code = http.StatusInternalServerError
		b = []byte(`{"success":false,"error":{"code":"INTERNAL_ERROR","message":"could not encode the answer"}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write(b)
	w.Write([]byte{'\n'})
}
