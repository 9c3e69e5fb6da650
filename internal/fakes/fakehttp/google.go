package fakehttp

import (
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// GoogleError returns the body with which Google's JSON APIs answer an
// error: a google.rpc.Status, {"code", "message", "status", "details"}
// with details left out when empty, wrapped in {"error": ...}. status is
// the google.rpc code name, such as "RESOURCE_EXHAUSTED".
func GoogleError(code int, status, message string, details []any) any {
	e := map[string]any{"code": code, "message": message, "status": status}
	if len(details) > 0 {
		e["details"] = details
	}
	return map[string]any{"error": e}
}

// GoogleRetryInfo returns a google.rpc.RetryInfo detail for GoogleError,
// which tells the client to retry after d.
func GoogleRetryInfo(d time.Duration) any {
	return map[string]any{
		"@type":      "type.googleapis.com/google.rpc.RetryInfo",
		"retryDelay": strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s",
	}
}

// CheckGoogleAPIKey checks the API key that a request to one of Google's
// APIs carries, in the x-goog-api-key header or the key query parameter,
// against want ("" accepts any key). It returns 0 when the key is
// accepted, and otherwise the status, message and details of the API's
// answer (see GoogleError): 403 for a request without a key, 400 for a
// wrong one. service names the API, as in "texttospeech.googleapis.com".
func CheckGoogleAPIKey(r *http.Request, want, service string) (code int, message string, details []any) {
	key := r.Header.Get("X-Goog-Api-Key")
	if key == "" {
		key = r.URL.Query().Get("key")
	}
	switch {
	case key == "":
		return http.StatusForbidden, "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.", nil
	case want != "" && key != want:
		return http.StatusBadRequest, "API key not valid. Please pass a valid API key.", []any{map[string]any{
			"@type":    "type.googleapis.com/google.rpc.ErrorInfo",
			"reason":   "API_KEY_INVALID",
			"domain":   "googleapis.com",
			"metadata": map[string]string{"service": service},
		}}
	}
	return 0, "", nil
}

// WithoutGoogleKey returns copies of the header and the query of a
// request to one of Google's APIs without the API key and the
// Authorization header, for the fake's record of the request.
func WithoutGoogleKey(r *http.Request) (http.Header, url.Values) {
	header, query := r.Header.Clone(), r.URL.Query()
	header.Del("X-Goog-Api-Key")
	header.Del("Authorization")
	query.Del("key")
	return header, query
}
