package youtube

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/quota"
)

// apiErrorBody is the googleapis v1 error shape.
type apiErrorBody struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Errors  []struct {
			Message  string `json:"message"`
			Domain   string `json:"domain"`
			Reason   string `json:"reason"`
			Location string `json:"location"`
		} `json:"errors"`
	} `json:"error"`
}

// metadataFields maps error reasons about the video resource to the field
// they concern.
var metadataFields = map[string]string{
	"invalidTitle":            "title",
	"invalidDescription":      "description",
	"invalidTags":             "tags",
	"invalidCategoryId":       "categoryId",
	"invalidPublishAt":        "publishAt",
	"invalidVideoMetadata":    "metadata",
	"invalidRecordingDetails": "recordingDetails",
	"invalidFilename":         "filename",
	"defaultLanguageNotSet":   "defaultLanguage",
	"invalidDefaultLanguage":  "defaultLanguage",
	"mediaBodyRequired":       "media",
	"invalidImage":            "thumbnail",
	"mediaBodyTooLarge":       "thumbnail",
}

var htmlTag = regexp.MustCompile(`<[^>]*>`)

// apiError reads an error answer and returns the coded error for it. op
// names the call ("insert", "upload", "thumbnails.set", "videos.list").
func (c *Client) apiError(op string, resp *http.Response) *errcode.Error {
	defer drain(resp)
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var body apiErrorBody
	var reason, domain, location string
	msg := strings.TrimSpace(string(raw))
	if json.Unmarshal(raw, &body) == nil && (body.Error.Message != "" || len(body.Error.Errors) > 0) {
		msg = body.Error.Message
		if len(body.Error.Errors) > 0 {
			reason = body.Error.Errors[0].Reason
			domain = body.Error.Errors[0].Domain
			location = body.Error.Errors[0].Location
			if msg == "" {
				msg = body.Error.Errors[0].Message
			}
		}
	}
	msg = htmlTag.ReplaceAllString(msg, "")
	if len(msg) > 500 {
		msg = msg[:500] + "…"
	}
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	status := resp.StatusCode
	e := c.mapError(op, status, reason, msg, location, resp.Header)
	e.HTTPStatus = status
	if reason != "" {
		e.WithDetail("reason", reason)
	}
	if domain != "" {
		e.WithDetail("domain", domain)
	}
	return e
}

func (c *Client) mapError(op string, status int, reason, msg, location string, h http.Header) *errcode.Error {
	prefix := "youtube " + op + ": "
	switch reason {
	case "quotaExceeded", "dailyLimitExceeded":
		reset := quota.NextReset(c.now(), quota.Pacific())
		return errcode.New(errcode.YouTubeQuotaExceeded,
			fmt.Sprintf("%sdaily API quota exhausted (%s); it resets at %s", prefix, msg,
				reset.Format("2006-01-02 15:04 MST")), false).
			WithRetryAfter(reset.Sub(c.now())).
			WithDetail("reset_at", reset.UTC().Format(time.RFC3339))
	case "uploadLimitExceeded":
		return errcode.New(errcode.YouTubeUploadLimit,
			prefix+"the channel reached its daily upload limit ("+msg+"); try again in 24 hours", false).
			WithRetryAfter(24 * time.Hour)
	case "rateLimitExceeded", "userRateLimitExceeded", "uploadRateLimitExceeded":
		e := errcode.New(CodeRateLimited, prefix+"rate limited ("+msg+")", true)
		if d := errcode.ParseRetryAfter(h.Get("Retry-After"), c.now()); d > 0 {
			e.WithRetryAfter(d)
		}
		return e
	case "forbidden":
		if op == "thumbnails.set" {
			return errcode.New(CodeThumbnailForbidden,
				prefix+"this channel may not set custom thumbnails (verify the account to enable them): "+msg, false)
		}
		return errcode.New(CodeForbidden, prefix+"forbidden: "+msg, false)
	case "videoNotFound":
		return errcode.New(CodeVideoNotFound, prefix+"video not found: "+msg, false)
	}
	if field, ok := metadataFields[reason]; ok {
		return errcode.New(CodeInvalidMetadata,
			fmt.Sprintf("%sYouTube rejected the %s (%s): %s", prefix, field, reason, msg), false).
			WithDetail("field", field)
	}
	switch {
	case status == http.StatusUnauthorized:
		return errcode.New(errcode.YouTubeAuthRequired,
			prefix+"YouTube rejected the credentials even after a token refresh ("+msg+"); "+AuthHint, false).
			WithDetail("location", location)
	case status == http.StatusTooManyRequests:
		e := errcode.New(CodeRateLimited, prefix+"rate limited ("+msg+")", true)
		if d := errcode.ParseRetryAfter(h.Get("Retry-After"), c.now()); d > 0 {
			e.WithRetryAfter(d)
		}
		return e
	case status == http.StatusForbidden:
		return errcode.New(CodeForbidden, prefix+"forbidden: "+msg, false)
	case status == http.StatusNotFound && op != "upload":
		return errcode.New(CodeVideoNotFound, prefix+"not found: "+msg, false)
	}
	return errcode.HTTP("YOUTUBE", status, h, prefix+msg)
}
