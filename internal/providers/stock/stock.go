// Package stock searches and downloads stock footage and photos from
// Pexels and Pixabay.
//
// Each Search or Download makes exactly one request and returns precise
// coded errors (PEXELS_RATE_LIMITED, PIXABAY_AUTH_FAILED, ...), with the
// Retry-After a service sent; retrying is the task system's job.
package stock

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/atomicfile"
)

// Kind is what is searched: videos or photos.
type Kind string

// Kinds.
const (
	Video Kind = "video"
	Photo Kind = "photo"
)

// Orientation is the shape of the pictures searched.
type Orientation string

// Orientations.
const (
	Landscape Orientation = "landscape"
	Portrait  Orientation = "portrait"
)

// Defaults and limits.
const (
	DefaultTimeout = 30 * time.Second
	// DefaultPerPage is how many results a search asks for.
	DefaultPerPage = 15
	// MaxQueryRunes is the longest query sent (Pixabay's limit is 100
	// characters); longer ones are cut at a word boundary.
	MaxQueryRunes = 100
	// DefaultMaxDownload caps one download.
	DefaultMaxDownload = 200 << 20
	maxAnswerBytes     = 8 << 20
)

// Query is one search.
type Query struct {
	Terms       string // English words; required
	Kind        Kind
	Orientation Orientation // "" for any
	// Width and Height are the frame's size: the smallest file at least
	// this large is chosen (else the largest).
	Width, Height int
	PerPage       int // 0 means DefaultPerPage
}

// Asset is one search result: a video file or photo ready to download,
// with the credit its service asks for.
type Asset struct {
	Provider string  `json:"provider"` // pexels or pixabay
	ID       string  `json:"id"`       // the service's ID of the video or photo
	Kind     Kind    `json:"kind"`
	Width    int     `json:"width"`
	Height   int     `json:"height"`
	Seconds  float64 `json:"seconds,omitempty"` // a video's length, 0 when unknown
	URL      string  `json:"url"`               // the file to download
	Bytes    int64   `json:"bytes,omitempty"`   // the file's size when the service tells it
	// PageURL is the asset's page on the service; Author and AuthorURL
	// are its maker, to be credited.
	PageURL   string `json:"page_url"`
	Author    string `json:"author"`
	AuthorURL string `json:"author_url,omitempty"`
}

// Key identifies the asset across services ("pexels-video-123").
func (a Asset) Key() string { return a.Provider + "-" + string(a.Kind) + "-" + a.ID }

var (
	errTooLarge = errors.New("file too large")
	errEmpty    = errors.New("empty file")
)

// base holds what both clients share.
type base struct {
	service string // PEXELS or PIXABAY
	name    string // Pexels or Pixabay
	key     string
	baseURL string
	http    *http.Client
	timeout time.Duration
	log     *slog.Logger
}

// Config configures a Pexels or Pixabay client.
type Config struct {
	APIKey     string // required; never logged
	BaseURL    string // "" means the service's default
	HTTPClient *http.Client
	// Downloads fetches the files (from the service's CDN, outside the
	// API's limits); nil means HTTPClient.
	Downloads *http.Client
	Timeout   time.Duration // bounds each search; 0 means DefaultTimeout
	Logger    *slog.Logger
}

// clients returns the search client and the download client of cfg for
// service (its error-code prefix), named name, at defaultURL by default.
func (cfg Config) clients(service, name, defaultURL string) (search, download base, err error) {
	b, err := newBase(service, name, cfg.APIKey, cfg.BaseURL, defaultURL, cfg.HTTPClient, cfg.Timeout, cfg.Logger)
	if err != nil {
		return base{}, base{}, err
	}
	dl := b
	if cfg.Downloads != nil {
		dl.http = cfg.Downloads
	}
	return b, dl, nil
}

func newBase(service, name, key, baseURL, defaultURL string, hc *http.Client, timeout time.Duration, log *slog.Logger) (base, error) {
	if key == "" {
		return base{}, errcode.New(service+"_NOT_CONFIGURED", name+" API key is not set", false)
	}
	if baseURL == "" {
		baseURL = defaultURL
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return base{service: service, name: name, key: key, baseURL: strings.TrimRight(baseURL, "/"), http: hc, timeout: timeout, log: log}, nil
}

// get sends one GET and returns the body of a 200 answer, or the coded
// error of any other.
func (b *base) get(ctx context.Context, url string, header http.Header) ([]byte, error) {
	if b.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, b.timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, errcode.New(b.service+"_NOT_CONFIGURED", "bad "+b.name+" base URL: "+b.redact(err.Error()), false)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	start := time.Now()
	resp, err := b.http.Do(req)
	if err != nil {
		return nil, b.transportError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e := b.statusError(resp)
		b.log.WarnContext(ctx, "stock search failed", "service", b.name, "status", resp.StatusCode, "code", e.Code,
			"elapsed", time.Since(start))
		return nil, e
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	if err != nil {
		return nil, b.transportError(err)
	}
	if len(data) > maxAnswerBytes {
		return nil, errcode.New(b.service+"_BAD_RESPONSE", b.name+" answer is larger than 8 MiB", true)
	}
	return data, nil
}

// statusError maps a non-200 answer to a coded error. Pexels answers
// {"error": "..."} (or nothing), Pixabay plain text.
func (b *base) statusError(resp *http.Response) *errcode.Error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<10))
	msg := strings.TrimSpace(string(raw))
	if strings.HasPrefix(msg, "{") {
		var j struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(raw, &j) == nil && j.Error != "" {
			msg = j.Error
		}
	}
	msg = b.redact(cutRunes(msg, 300))
	if msg != "" {
		msg = b.name + ": " + msg
	}
	e := errcode.HTTP(b.service, resp.StatusCode, resp.Header, msg)
	if resp.StatusCode == http.StatusBadRequest && strings.Contains(strings.ToLower(msg), "api key") {
		// Pixabay answers a wrong key with 400 "[ERROR 400] Invalid API key".
		e.Code = b.service + "_AUTH_FAILED"
	}
	if resp.StatusCode == http.StatusTooManyRequests && e.RetryAfter == 0 {
		// Pixabay counts down its window in X-RateLimit-Reset (seconds).
		if s, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("X-RateLimit-Reset"))); err == nil && s > 0 && s <= 3600 {
			e.WithRetryAfter(time.Duration(s) * time.Second)
		}
	}
	return e
}

// transportError codes a failure to reach the service or read its answer.
func (b *base) transportError(err error) *errcode.Error {
	c := errcode.Classify(err)
	switch c.Code {
	case errcode.Cancelled:
		return c
	case errcode.Timeout:
		return errcode.New(b.service+"_TIMEOUT", b.name+" call timed out: "+b.redact(err.Error()), true)
	}
	return errcode.New(b.service+"_NETWORK_ERROR", b.name+" connection failed: "+b.redact(err.Error()), true)
}

// redact removes the key from s (Pixabay's key travels in the URL, which
// transport errors quote).
func (b *base) redact(s string) string {
	if b.key == "" {
		return s
	}
	return strings.ReplaceAll(s, b.key, "REDACTED")
}

// download writes the file at a.URL to path, atomically, refusing files
// larger than max bytes.
func (b *base) download(ctx context.Context, a Asset, path string, max int64) (int64, error) {
	if max <= 0 {
		max = DefaultMaxDownload
	}
	tooLarge := func(n int64) error {
		return errcode.Newf(b.service+"_FILE_TOO_LARGE", false, "%s %s %s is %d bytes, more than the %d allowed", b.name, a.Kind, a.ID, n, max).
			WithDetail("asset", a.Key())
	}
	if a.Bytes > max {
		return 0, tooLarge(a.Bytes)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.URL, nil)
	if err != nil {
		return 0, errcode.Newf(b.service+"_BAD_RESPONSE", false, "%s gave an unusable file URL: %v", b.name, err)
	}
	resp, err := b.http.Do(req)
	if err != nil {
		return 0, b.transportError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, b.statusError(resp)
	}
	if resp.ContentLength > max {
		return 0, tooLarge(resp.ContentLength)
	}
	var n int64
	var over bool
	err = atomicfile.Write(path, 0o644, func(w io.Writer) error {
		var err error
		n, err = io.Copy(w, io.LimitReader(resp.Body, max+1))
		if err != nil {
			return err
		}
		if n > max {
			over = true
			return errTooLarge
		}
		if n == 0 {
			return errEmpty
		}
		return nil
	})
	switch {
	case over:
		return 0, tooLarge(n)
	case err == nil:
		return n, nil
	case errors.Is(err, errEmpty):
		return 0, errcode.Newf(b.service+"_BAD_RESPONSE", true, "%s sent an empty file for %s %s", b.name, a.Kind, a.ID).WithDetail("asset", a.Key())
	}
	if c := errcode.Classify(err); c.Code == errcode.DiskFull || c.Code == errcode.Cancelled {
		return 0, c
	}
	if resp.ContentLength < 0 || n < resp.ContentLength {
		return 0, b.transportError(err)
	}
	return 0, errcode.Wrap(err, errcode.FileSystemError, false, "write "+b.name+" download: "+err.Error())
}

// pick returns the index of the smallest of sizes at least w×h (by
// area), else of the largest; -1 when sizes is empty.
func pick(sizes [][2]int, w, h int) int {
	best, bestArea, largest, largestArea := -1, 0, -1, -1
	for i, s := range sizes {
		area := s[0] * s[1]
		if area > largestArea {
			largest, largestArea = i, area
		}
		if (s[0] >= w && s[1] >= h || s[0] >= h && s[1] >= w) && (best < 0 || area < bestArea) {
			best, bestArea = i, area
		}
	}
	if best >= 0 {
		return best
	}
	return largest
}

// query cuts terms to MaxQueryRunes at a word boundary.
func query(terms string) string {
	terms = strings.Join(strings.Fields(terms), " ")
	r := []rune(terms)
	if len(r) <= MaxQueryRunes {
		return terms
	}
	cut := string(r[:MaxQueryRunes])
	if i := strings.LastIndexByte(cut, ' '); i > 0 {
		cut = cut[:i]
	}
	return cut
}

func matches(o Orientation, w, h int) bool {
	switch o {
	case Landscape:
		return w >= h
	case Portrait:
		return h >= w
	}
	return true
}

func cutRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
