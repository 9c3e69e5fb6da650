// Package did makes talking-avatar videos with D-ID's Talks API: upload
// the narration audio (D-ID cannot reach local files), create a talk that
// animates a presenter image with it, poll the talk until it is done, and
// download the result at once (its pre-signed URL expires).
//
// Each API call is made once and fails with a coded error (DID_*); the
// task system decides about retries. Polling is the one loop: it
// tolerates a few consecutive transient failures of the status call, so a
// single blip does not waste a talk that is already being rendered.
package did

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/atomicfile"
)

// Defaults for Config.
const (
	DefaultBaseURL = "https://api.d-id.com"
	// DefaultSourceURL is a presenter photo from D-ID's documentation.
	DefaultSourceURL       = "https://create-images-results.d-id.com/api_docs/assets/noelle.jpeg"
	DefaultTimeout         = 30 * time.Second
	DefaultDownloadTimeout = 2 * time.Minute
	DefaultPollInterval    = 3 * time.Second
	DefaultMaxWait         = 10 * time.Minute
	DefaultPollErrorBudget = 3
)

// Codes specific to D-ID, beyond those errcode.HTTP derives
// (DID_RATE_LIMITED, DID_SERVER_ERROR, DID_UNAVAILABLE, DID_TIMEOUT,
// DID_AUTH_FAILED, DID_NOT_FOUND, DID_BAD_REQUEST).
const (
	CodeNotConfigured       = "DID_NOT_CONFIGURED"
	CodeInvalidRequest      = "DID_INVALID_REQUEST" // refused before sending
	CodeInsufficientCredits = "DID_INSUFFICIENT_CREDITS"
	CodeAuthFailed          = "DID_AUTH_FAILED"
	CodeFaceError           = "DID_FACE_ERROR"   // no usable face in the source image
	CodeSourceError         = "DID_SOURCE_ERROR" // the source image could not be used
	CodeDriverError         = "DID_DRIVER_ERROR"
	CodeLogoError           = "DID_LOGO_ERROR"
	CodeTalkFailed          = "DID_TALK_FAILED" // unknown rendering failure; retryable
	CodeRejected            = "DID_REJECTED"    // refused by moderation
	CodeProcessingTimeout   = "DID_PROCESSING_TIMEOUT"
	CodeDownloadFailed      = "DID_DOWNLOAD_FAILED"
	CodeTimeout             = "DID_TIMEOUT"
	CodeNetworkError        = "DID_NETWORK_ERROR"
	CodeBadResponse         = "DID_BAD_RESPONSE"
)

// Talk statuses.
const (
	StatusCreated  = "created"
	StatusStarted  = "started"
	StatusDone     = "done"
	StatusError    = "error"
	StatusRejected = "rejected"
)

// Config configures a Client.
type Config struct {
	// APIKey is sent as "Authorization: Basic <APIKey>", verbatim (D-ID
	// keys already have the user:secret form). Never logged.
	APIKey string
	// Authorization, when set, is the whole Authorization header value
	// instead ("Basic ...", "Bearer ...").
	Authorization string
	BaseURL       string // "" means DefaultBaseURL
	// SourceURL is the presenter image MakeAvatar animates; "" means
	// DefaultSourceURL.
	SourceURL  string
	HTTPClient *http.Client // nil means http.DefaultClient
	// Timeout bounds each API call; 0 means DefaultTimeout.
	Timeout time.Duration
	// DownloadTimeout bounds the result download; 0 means
	// DefaultDownloadTimeout.
	DownloadTimeout time.Duration
	// PollInterval is the wait between status calls; 0 means
	// DefaultPollInterval.
	PollInterval time.Duration
	// MaxWait caps the whole wait for a talk; 0 means DefaultMaxWait.
	MaxWait time.Duration
	// PollErrorBudget is how many consecutive retryable status-call
	// failures polling tolerates; 0 means DefaultPollErrorBudget, a
	// negative value none.
	PollErrorBudget int
	Logger          *slog.Logger // nil discards
}

// Client calls the D-ID API. It is safe for concurrent use.
type Client struct {
	cfg  Config
	auth string
	log  *slog.Logger
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	auth := cfg.Authorization
	if auth == "" && cfg.APIKey != "" {
		auth = "Basic " + cfg.APIKey
	}
	if auth == "" {
		return nil, errcode.New(CodeNotConfigured, "D-ID API key is not set", false)
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.SourceURL == "" {
		cfg.SourceURL = DefaultSourceURL
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.DownloadTimeout == 0 {
		cfg.DownloadTimeout = DefaultDownloadTimeout
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = DefaultMaxWait
	}
	switch {
	case cfg.PollErrorBudget == 0:
		cfg.PollErrorBudget = DefaultPollErrorBudget
	case cfg.PollErrorBudget < 0:
		cfg.PollErrorBudget = 0
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, auth: auth, log: log}, nil
}

// Upload describes an uploaded file.
type Upload struct {
	ID       string  `json:"id"`
	URL      string  `json:"url"`      // s3:// URL to use in a talk
	Duration float64 `json:"duration"` // seconds, for audio
}

// UploadAudio uploads a WAV or MP3 file (POST /audios, multipart field
// "audio") and returns the URL a talk can use.
func (c *Client) UploadAudio(ctx context.Context, path string) (string, error) {
	u, err := c.upload(ctx, "/audios", "audio", path)
	return u.URL, err
}

// UploadImage uploads a presenter image (POST /images, field "image") and
// returns the URL a talk can use as its source.
func (c *Client) UploadImage(ctx context.Context, path string) (string, error) {
	u, err := c.upload(ctx, "/images", "image", path)
	return u.URL, err
}

func (c *Client) upload(ctx context.Context, endpoint, field, path string) (Upload, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Upload{}, errcode.Wrap(err, CodeInvalidRequest, false, "read "+field+" file: "+err.Error())
	}
	if len(data) == 0 {
		return Upload{}, errcode.Newf(CodeInvalidRequest, false, "%s file %s is empty", field, path)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, field, filepath.Base(path)))
	h.Set("Content-Type", contentType(path))
	part, err := mw.CreatePart(h)
	if err == nil {
		_, err = part.Write(data)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return Upload{}, errcode.Wrap(err, errcode.Internal, false, "build upload: "+err.Error())
	}
	var u Upload
	if err := c.call(ctx, http.MethodPost, endpoint, mw.FormDataContentType(), body.Bytes(), &u); err != nil {
		return Upload{}, err
	}
	if u.URL == "" {
		return Upload{}, errcode.New(CodeBadResponse, "D-ID upload answer has no url", true)
	}
	c.log.InfoContext(ctx, "d-id upload done", "endpoint", endpoint, "bytes", len(data), "id", u.ID)
	return u, nil
}

func contentType(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".wav":
		return "audio/wav"
	case ".mp3":
		return "audio/mpeg"
	case ".m4a":
		return "audio/mp4"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".png":
		return "image/png"
	}
	return "application/octet-stream"
}

// TalkRequest describes a talk driven by an audio file.
type TalkRequest struct {
	SourceURL string // presenter image; "" means the Config's SourceURL
	AudioURL  string // required: the URL UploadAudio returned, or any https URL
	// Stitch puts the animated face back into the whole source image.
	Stitch bool
	// Fluent smooths the start and end of the animation.
	Fluent   bool
	Name     string // optional label shown in D-ID's studio
	UserData string // optional, echoed back by the API
}

// CreateTalk starts a talk (POST /talks) and returns its id.
func (c *Client) CreateTalk(ctx context.Context, req TalkRequest) (string, error) {
	if req.SourceURL == "" {
		req.SourceURL = c.cfg.SourceURL
	}
	if req.AudioURL == "" {
		return "", errcode.New(CodeInvalidRequest, "talk has no audio URL", false)
	}
	body := map[string]any{
		"source_url": req.SourceURL,
		"script":     map[string]any{"type": "audio", "audio_url": req.AudioURL},
		"config": map[string]any{
			"stitch":        req.Stitch,
			"fluent":        req.Fluent,
			"pad_audio":     0.0,
			"result_format": "mp4",
		},
	}
	if req.Name != "" {
		body["name"] = req.Name
	}
	if req.UserData != "" {
		body["user_data"] = req.UserData
	}
	raw, _ := json.Marshal(body)
	var t Talk
	if err := c.call(ctx, http.MethodPost, "/talks", "application/json", raw, &t); err != nil {
		return "", err
	}
	if t.ID == "" {
		return "", errcode.New(CodeBadResponse, "D-ID talk answer has no id", true)
	}
	c.log.InfoContext(ctx, "d-id talk created", "talk", t.ID, "status", t.Status)
	return t.ID, nil
}

// Talk is the state of a talk.
type Talk struct {
	ID        string     `json:"id"`
	Status    string     `json:"status"`
	ResultURL string     `json:"result_url,omitempty"`
	Duration  float64    `json:"duration,omitempty"` // seconds
	Error     *TalkError `json:"error,omitempty"`
}

// TalkError is D-ID's description of a failed talk.
type TalkError struct {
	Kind        string `json:"kind"`
	Description string `json:"description"`
	Details     any    `json:"details,omitempty"`
}

// GetTalk returns the talk's current state (GET /talks/{id}).
func (c *Client) GetTalk(ctx context.Context, id string) (Talk, error) {
	if id == "" || strings.ContainsAny(id, "/?#") {
		return Talk{}, errcode.Newf(CodeInvalidRequest, false, "bad talk id %q", id)
	}
	var t Talk
	err := c.call(ctx, http.MethodGet, "/talks/"+url.PathEscape(id), "", nil, &t)
	return t, err
}

// WaitTalk polls the talk every PollInterval until it is done, and fails
// with a coded error when it ends in error (DID_FACE_ERROR, ...) or is
// rejected (DID_REJECTED), when MaxWait passes (DID_PROCESSING_TIMEOUT,
// retryable) or when ctx ends.
func (c *Client) WaitTalk(ctx context.Context, id string) (Talk, error) {
	wctx, cancel := context.WithTimeout(ctx, c.cfg.MaxWait)
	defer cancel()
	start := time.Now()
	failures := 0
	for poll := 1; ; poll++ {
		t, err := c.GetTalk(wctx, id)
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return Talk{}, errcode.Classify(ctx.Err())
			}
			if wctx.Err() != nil {
				return Talk{}, c.processingTimeout(id, start)
			}
			failures++
			if !errcode.IsRetryable(err) || failures > c.cfg.PollErrorBudget {
				return Talk{}, err
			}
			c.log.WarnContext(ctx, "d-id status call failed, polling on", "talk", id, "failures", failures, "err", err)
		case t.Status == StatusDone:
			if t.ResultURL == "" {
				return t, errcode.New(CodeBadResponse, "D-ID talk is done but has no result_url", true)
			}
			c.log.InfoContext(ctx, "d-id talk done", "talk", id, "polls", poll, "elapsed", time.Since(start))
			return t, nil
		case t.Status == StatusError:
			return t, talkError(t)
		case t.Status == StatusRejected:
			return t, errcode.New(CodeRejected, "D-ID rejected the talk (content moderation)", false).WithDetail("talk", id)
		default:
			failures = 0
			c.log.DebugContext(ctx, "d-id talk pending", "talk", id, "status", t.Status, "poll", poll)
		}
		timer := time.NewTimer(c.cfg.PollInterval)
		select {
		case <-wctx.Done():
			timer.Stop()
			if ctx.Err() != nil {
				return Talk{}, errcode.Classify(ctx.Err())
			}
			return Talk{}, c.processingTimeout(id, start)
		case <-timer.C:
		}
	}
}

func (c *Client) processingTimeout(id string, start time.Time) *errcode.Error {
	return errcode.Newf(CodeProcessingTimeout, true, "D-ID talk %s not done after %s", id, time.Since(start).Round(time.Second)).
		WithDetail("talk", id)
}

// talkError maps a talk that ended in error to a coded error.
func talkError(t Talk) *errcode.Error {
	kind, desc := "UnknownError", ""
	if t.Error != nil {
		if t.Error.Kind != "" {
			kind = t.Error.Kind
		}
		desc = t.Error.Description
	}
	code, retryable := CodeTalkFailed, true
	switch kind {
	case "FaceError":
		code, retryable = CodeFaceError, false
	case "SourceError":
		code, retryable = CodeSourceError, false
	case "DriverError":
		code, retryable = CodeDriverError, false
	case "LogoError":
		code, retryable = CodeLogoError, false
	}
	msg := "D-ID talk failed: " + kind
	if desc != "" {
		msg += ": " + desc
	}
	return errcode.New(code, msg, retryable).WithDetail("talk", t.ID).WithDetail("kind", kind)
}

// Download fetches a talk's result (a pre-signed URL, fetched without the
// API key) into outPath atomically and returns its size.
func (c *Client) Download(ctx context.Context, resultURL, outPath string) (int64, error) {
	if outPath == "" {
		return 0, errcode.New(CodeInvalidRequest, "no output path", false)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.DownloadTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, resultURL, nil)
	if err != nil {
		return 0, errcode.New(CodeBadResponse, "D-ID result URL is invalid", true)
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return 0, c.transportError(err, "download")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return 0, errcode.Newf(CodeDownloadFailed, true, "D-ID result download answered HTTP %d", resp.StatusCode).
			WithDetail("http_status", resp.StatusCode)
	}
	var n int64
	err = atomicfile.Write(outPath, 0o644, func(w io.Writer) error {
		var head [12]byte
		k, err := io.ReadFull(resp.Body, head[:])
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			return err
		}
		if k < 12 || string(head[4:8]) != "ftyp" {
			return errNotMP4
		}
		if _, err := w.Write(head[:]); err != nil {
			return err
		}
		m, err := io.Copy(w, resp.Body)
		n = int64(k) + m
		return err
	})
	switch {
	case errors.Is(err, errNotMP4):
		return 0, errcode.New(CodeBadResponse, "D-ID result is not an MP4 file", true)
	case err != nil && (errors.Is(err, os.ErrPermission) || errors.Is(err, os.ErrNotExist)):
		return 0, errcode.Wrap(err, errcode.FileSystemError, false, "write avatar video: "+err.Error())
	case err != nil:
		if e := errcode.Classify(err); e.Code == errcode.DiskFull {
			return 0, e
		}
		return 0, c.transportError(err, "download")
	}
	return n, nil
}

var errNotMP4 = errors.New("not an MP4 file")

// Await waits for the talk and downloads its result to outPath.
func (c *Client) Await(ctx context.Context, id, outPath string) (Talk, error) {
	t, err := c.WaitTalk(ctx, id)
	if err != nil {
		return t, err
	}
	if _, err := c.Download(ctx, t.ResultURL, outPath); err != nil {
		return t, err
	}
	return t, nil
}

// Avatar describes a finished avatar video.
type Avatar struct {
	TalkID   string
	Path     string
	AudioURL string
	Duration time.Duration
	Bytes    int64
}

// MakeAvatar runs the whole flow: upload wavPath, create a talk with the
// configured presenter image, wait for it and download the video to
// outPath.
func (c *Client) MakeAvatar(ctx context.Context, wavPath, outPath string) (Avatar, error) {
	audioURL, err := c.UploadAudio(ctx, wavPath)
	if err != nil {
		return Avatar{}, err
	}
	id, err := c.CreateTalk(ctx, TalkRequest{AudioURL: audioURL, Stitch: true})
	if err != nil {
		return Avatar{}, err
	}
	t, err := c.WaitTalk(ctx, id)
	if err != nil {
		return Avatar{}, err
	}
	n, err := c.Download(ctx, t.ResultURL, outPath)
	if err != nil {
		return Avatar{}, err
	}
	return Avatar{
		TalkID:   id,
		Path:     outPath,
		AudioURL: audioURL,
		Duration: time.Duration(t.Duration * float64(time.Second)),
		Bytes:    n,
	}, nil
}

// Credits is the account's balance.
type Credits struct {
	Remaining float64
	Total     float64
}

// Credits returns the remaining and total credits (GET /credits).
func (c *Client) Credits(ctx context.Context) (Credits, error) {
	var raw struct {
		Remaining *float64 `json:"remaining"`
		Total     *float64 `json:"total"`
		Credits   []struct {
			Remaining float64 `json:"remaining"`
			Total     float64 `json:"total"`
		} `json:"credits"`
	}
	if err := c.call(ctx, http.MethodGet, "/credits", "", nil, &raw); err != nil {
		return Credits{}, err
	}
	var cr Credits
	if raw.Remaining != nil && raw.Total != nil {
		return Credits{Remaining: *raw.Remaining, Total: *raw.Total}, nil
	}
	for _, x := range raw.Credits {
		cr.Remaining += x.Remaining
		cr.Total += x.Total
	}
	return cr, nil
}

// call makes one API request and decodes a 2xx JSON answer into out.
func (c *Client) call(ctx context.Context, method, path, contentType string, body []byte, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.cfg.BaseURL+path, rd)
	if err != nil {
		return errcode.New(CodeNotConfigured, "bad D-ID base URL: "+err.Error(), false)
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return c.transportError(err, method+" "+path)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return c.transportError(err, method+" "+path)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := c.statusError(resp, raw)
		c.log.WarnContext(ctx, "d-id call failed", "call", method+" "+path, "status", resp.StatusCode, "code", e.Code)
		return e
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return errcode.Wrap(err, CodeBadResponse, true, "D-ID answer is not JSON: "+err.Error())
	}
	return nil
}

// statusError maps a non-2xx answer to a coded error.
func (c *Client) statusError(resp *http.Response, raw []byte) *errcode.Error {
	var body struct {
		Kind        string `json:"kind"`
		Description string `json:"description"`
		Message     string `json:"message"`
	}
	msg := ""
	if json.Unmarshal(raw, &body) == nil && (body.Kind != "" || body.Description != "" || body.Message != "") {
		text := body.Description
		if text == "" {
			text = body.Message
		}
		msg = strings.Trim(body.Kind+": "+text, ": ")
	} else if t := strings.TrimSpace(string(raw)); t != "" {
		if len(t) > 300 {
			t = t[:300]
		}
		msg = t
	}
	msg = c.redact(msg)
	if msg != "" {
		msg = "D-ID: " + msg
	}
	e := errcode.HTTP("DID", resp.StatusCode, resp.Header, msg)
	if resp.StatusCode == http.StatusPaymentRequired || strings.Contains(body.Kind, "InsufficientCredits") {
		e.Code = CodeInsufficientCredits
		e.Retryable = false
	}
	if body.Kind != "" {
		e.WithDetail("kind", body.Kind)
	}
	return e
}

// transportError codes a failure to reach the API or read its answer.
func (c *Client) transportError(err error, what string) *errcode.Error {
	cl := errcode.Classify(err)
	msg := c.redact(err.Error())
	switch cl.Code {
	case errcode.Cancelled:
		return cl
	case errcode.Timeout:
		return errcode.New(CodeTimeout, "D-ID "+what+" timed out: "+msg, true).WithCause(err)
	}
	return errcode.New(CodeNetworkError, "D-ID "+what+" failed: "+msg, true).WithCause(err)
}

func (c *Client) redact(msg string) string {
	for _, secret := range []string{c.cfg.APIKey, strings.TrimPrefix(c.auth, "Basic ")} {
		if secret != "" {
			msg = strings.ReplaceAll(msg, secret, "[REDACTED]")
		}
	}
	return msg
}
