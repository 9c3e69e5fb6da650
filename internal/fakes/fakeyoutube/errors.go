package fakeyoutube

import (
	"net/http"

	"github.com/ytmaker/ytmaker/internal/fakes/fakehttp"
)

const quotaMessage = `The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.`

type errorItem struct {
	Message      string `json:"message"`
	Domain       string `json:"domain"`
	Reason       string `json:"reason"`
	Location     string `json:"location,omitempty"`
	LocationType string `json:"locationType,omitempty"`
}

type errorBody struct {
	Error struct {
		Code    int         `json:"code"`
		Message string      `json:"message"`
		Errors  []errorItem `json:"errors"`
		Status  string      `json:"status,omitempty"`
	} `json:"error"`
}

// rpcStatus maps an HTTP status to the google.rpc code name.
func rpcStatus(code int) string {
	switch code {
	case 400:
		return "INVALID_ARGUMENT"
	case 401:
		return "UNAUTHENTICATED"
	case 403:
		return "PERMISSION_DENIED"
	case 404:
		return "NOT_FOUND"
	case 409:
		return "ABORTED"
	case 410:
		return "NOT_FOUND"
	case 429:
		return "RESOURCE_EXHAUSTED"
	case 500:
		return "INTERNAL"
	case 503:
		return "UNAVAILABLE"
	case 504:
		return "DEADLINE_EXCEEDED"
	}
	return ""
}

func domainOf(reason string) string {
	switch reason {
	case "quotaExceeded":
		return "youtube.quota"
	case "rateLimitExceeded", "userRateLimitExceeded", "dailyLimitExceeded":
		return "usageLimits"
	case "uploadLimitExceeded", "invalidTitle", "invalidDescription", "invalidTags",
		"invalidCategoryId", "invalidPublishAt", "invalidVideoMetadata", "invalidImage",
		"videoNotFound", "mediaBodyRequired", "forbidden", "uploadRateLimitExceeded":
		return "youtube.video"
	}
	return "global"
}

// writeError writes a googleapis v1 error body.
func writeError(w http.ResponseWriter, code int, reason, domain, message string) {
	var b errorBody
	b.Error.Code = code
	b.Error.Message = message
	b.Error.Status = rpcStatus(code)
	if domain == "" {
		domain = domainOf(reason)
	}
	item := errorItem{Message: message, Domain: domain, Reason: reason}
	if reason == "authError" {
		item.Location, item.LocationType = "Authorization", "header"
	}
	b.Error.Errors = []errorItem{item}
	writeJSON(w, code, b)
}

func writeFault(w http.ResponseWriter, f *Fault) {
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	reason := f.Reason
	if reason == "" {
		reason = "backendError"
	}
	msg := f.Message
	if msg == "" {
		msg = http.StatusText(f.Status)
	}
	if f.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
	}
	writeError(w, f.Status, reason, "", msg)
}

// writeOAuthError writes an OAuth 2.0 token endpoint error (RFC 6749 §5.2).
func writeOAuthError(w http.ResponseWriter, code int, errCode, description string) {
	if errCode == "" {
		errCode = "server_error"
	}
	fakehttp.JSON{ContentType: "application/json; charset=utf-8"}.Write(w, code,
		map[string]string{"error": errCode, "error_description": description})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	fakehttp.JSON{ContentType: "application/json; charset=UTF-8"}.Write(w, code, v)
}
