// Package fakestock is an in-process fake of the Pexels and Pixabay
// search APIs, videos and photos, and of the file servers their results
// link to.
//
// Pexels (NewPexels) checks the Authorization header (the bare key),
// serves GET /v1/search, /videos/search and /v1/videos/search with the
// service's JSON (orientation filtered, per_page at most 80), answers
// errors as {"error": "..."} and sends the X-Ratelimit-* headers on
// success only. Pixabay (NewPixabay) checks the key query parameter,
// serves GET /api/ and /api/videos/ (image orientation filtered,
// per_page 3 to 200), answers errors as plain text (a wrong key is 400
// "[ERROR 400] Invalid API key") and sends X-RateLimit-* headers always.
//
// The media are real files: videos the test made (see Clip), photos
// JPEGs drawn here. Results come in an order that depends on the query,
// so different searches lead with different media. Failures are scripted
// per call with Fail; a fault applies to the next search, or with
// OnDownload to the next file download.
package fakestock

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/fakes/fakehttp"
)

// Media is one video or photo the fake serves.
type Media struct {
	Path          string // a file to serve; photos without one are drawn
	Width, Height int
	Seconds       float64 // videos
}

// Options configures a Server.
type Options struct {
	// APIKey is the key callers must send; "" accepts any non-empty key.
	APIKey string
	Videos []Media
	// Photos are served as they are; nil draws six, three landscape
	// (320×180) and three portrait (180×320).
	Photos []Media
}

// Fault describes how the fake answers one call instead of succeeding.
type Fault struct {
	base     fakehttp.Fault
	kind     string // malformed, empty, zero-byte, not-video
	download bool
}

// Status answers with an HTTP error and the service's body for it.
func Status(code int) Fault { return Fault{base: fakehttp.Fault{Status: code}} }

// Delay answers normally after d.
func Delay(d time.Duration) Fault { return Fault{base: fakehttp.Fault{Delay: d}} }

// Drop sends the headers and part of the answer, then closes the
// connection.
func Drop() Fault { return Fault{base: fakehttp.Fault{Drop: true}} }

// Malformed answers 200 with a body that is not the service's JSON.
func Malformed() Fault { return Fault{kind: "malformed"} }

// NoResults answers a search with no hits.
func NoResults() Fault { return Fault{kind: "empty"} }

// ZeroByte answers a download with an empty file.
func ZeroByte() Fault { return Fault{kind: "zero-byte", download: true} }

// NotVideo answers a download with bytes that are no video or picture.
func NotVideo() Fault { return Fault{kind: "not-video", download: true} }

// OnDownload makes the fault apply to the next file download instead of
// the next search.
func (f Fault) OnDownload() Fault { f.download = true; return f }

// RetryAfter adds a Retry-After header (whole seconds).
func (f Fault) RetryAfter(d time.Duration) Fault { f.base.RetryAfter = d; return f }

// String describes the fault, as recorded in Request.Fault.
func (f Fault) String() string { return f.base.Describe(f.kind) }

// Request is one call the fake received, secrets removed.
type Request struct {
	Method string
	Path   string
	// Query holds the parameters sent, without Pixabay's key.
	Query  url.Values
	Auth   bool // the key was sent and accepted
	Status int
	Fault  string
}

// Server is a running fake of one service. Its methods URL, Client,
// Close, Fail, PendingFaults, Requests and Calls are those of
// fakehttp.Server.
type Server struct {
	*server
	pexels   bool
	opts     Options
	photos   [][]byte
	faults   fakehttp.Queue[Fault]
	requests fakehttp.Log[Request]
}

type server = fakehttp.Server[Fault, Request]

// NewPexels starts a fake of Pexels.
func NewPexels(opts Options) *Server { return start(true, opts) }

// NewPixabay starts a fake of Pixabay.
func NewPixabay(opts Options) *Server { return start(false, opts) }

func start(pexels bool, opts Options) *Server {
	if opts.Photos == nil {
		for i := range 6 {
			w, h := 320, 180
			if i >= 3 {
				w, h = h, w
			}
			opts.Photos = append(opts.Photos, Media{Width: w, Height: h})
		}
	}
	s := &Server{pexels: pexels, opts: opts}
	for i, m := range opts.Photos {
		var data []byte
		if m.Path == "" {
			data = photo(m.Width, m.Height, i)
		}
		s.photos = append(s.photos, data)
	}
	s.server = fakehttp.NewServer(http.HandlerFunc(s.serve), &s.faults, &s.requests)
	return s
}

// Downloads returns how many file downloads the fake served.
func (s *Server) Downloads() int {
	n := 0
	for _, r := range s.Requests() {
		if strings.HasPrefix(r.Path, "/files/") && r.Status == http.StatusOK {
			n++
		}
	}
	return n
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	q.Del("key")
	rec := Request{Method: r.Method, Path: r.URL.Path, Query: q}
	w, save := s.requests.Track(w, &rec, &rec.Status)
	defer save()
	if strings.HasPrefix(r.URL.Path, "/files/") {
		s.file(w, r, &rec)
		return
	}
	var video bool
	switch p := r.URL.Path; {
	case s.pexels && (p == "/videos/search" || p == "/v1/videos/search"):
		video = true
	case s.pexels && p == "/v1/search":
	case !s.pexels && p == "/api/videos/":
		video = true
	case !s.pexels && p == "/api/":
	default:
		s.fail(w, http.StatusNotFound, "")
		return
	}
	if r.Method != http.MethodGet {
		s.fail(w, http.StatusMethodNotAllowed, "")
		return
	}
	key := r.URL.Query().Get("key")
	if s.pexels {
		key = r.Header.Get("Authorization")
	}
	if key == "" || s.opts.APIKey != "" && key != s.opts.APIKey {
		if s.pexels {
			s.fail(w, http.StatusUnauthorized, "")
		} else {
			s.fail(w, http.StatusBadRequest, "[ERROR 400] Invalid API key. Note: This value is case-sensitive.")
		}
		return
	}
	rec.Auth = true
	term := "query"
	if !s.pexels {
		term = "q"
	}
	if strings.TrimSpace(q.Get(term)) == "" || !s.pexels && len([]rune(q.Get("q"))) > 100 {
		s.fail(w, http.StatusBadRequest, "")
		return
	}
	per, err := strconv.Atoi(q.Get("per_page"))
	lo, hi, def := 1, 80, 15
	if !s.pexels {
		lo, hi, def = 3, 200, 20
	}
	if q.Get("per_page") == "" {
		per, err = def, nil
	}
	if err != nil || per < lo || per > hi {
		s.fail(w, http.StatusBadRequest, "")
		return
	}
	fault, _ := s.faults.PopIf(func(f Fault) bool { return !f.download })
	rec.Fault = fault.String()
	if fault.base.Apply(w, r, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n{\"page\":1,", func(code int, msg string) {
		s.fail(w, code, msg)
	}) {
		return
	}
	s.rateHeaders(w)
	if fault.kind == "malformed" {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"page":1,"videos":[{"id":"x"`))
		return
	}
	lib := s.opts.Photos
	if video {
		lib = s.opts.Videos
	}
	var idx []int
	if fault.kind != "empty" {
		h := fnv.New32a()
		h.Write([]byte(q.Get(term)))
		start := 0
		if len(lib) > 0 {
			start = int(h.Sum32() % uint32(len(lib)))
		}
		for k := range lib {
			i := (start + k) % len(lib)
			m := lib[i]
			if !orientationOK(s.pexels, video, q.Get("orientation"), m) {
				continue
			}
			idx = append(idx, i)
		}
	}
	total := len(idx)
	if len(idx) > per {
		idx = idx[:per]
	}
	base := "http://" + r.Host
	var body any
	switch {
	case s.pexels && video:
		body = s.pexelsVideos(base, idx, total, per)
	case s.pexels:
		body = s.pexelsPhotos(base, idx, total, per)
	case video:
		body = s.pixabayVideos(base, idx, total)
	default:
		body = s.pixabayPhotos(base, idx, total)
	}
	fakehttp.JSON{}.Write(w, http.StatusOK, body)
}

func orientationOK(pexels, video bool, o string, m Media) bool {
	if !pexels && video {
		return true // Pixabay does not filter videos by orientation
	}
	switch o {
	case "landscape", "horizontal":
		return m.Width > m.Height
	case "portrait", "vertical":
		return m.Height > m.Width
	case "square":
		return m.Width == m.Height
	}
	return true
}

func (s *Server) rateHeaders(w http.ResponseWriter) {
	if s.pexels {
		w.Header().Set("X-Ratelimit-Limit", "20000")
		w.Header().Set("X-Ratelimit-Remaining", "19999")
		w.Header().Set("X-Ratelimit-Reset", strconv.FormatInt(time.Now().Add(30*24*time.Hour).Unix(), 10))
	}
}

func (s *Server) fail(w http.ResponseWriter, code int, msg string) {
	if s.pexels {
		if msg == "" {
			msg = http.StatusText(code)
		}
		fakehttp.JSON{}.Write(w, code, map[string]string{"error": msg})
		return
	}
	w.Header().Set("X-RateLimit-Limit", "100")
	w.Header().Set("X-RateLimit-Remaining", "0")
	w.Header().Set("X-RateLimit-Reset", "60")
	if msg == "" {
		msg = fmt.Sprintf("[ERROR %d] %s", code, http.StatusText(code))
		if code == http.StatusTooManyRequests {
			msg = "API rate limit exceeded"
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	w.Write([]byte(msg))
}

func mediaID(video bool, i int) int64 {
	if video {
		return int64(1000 + i)
	}
	return int64(5000 + i)
}

func (s *Server) fileURL(base string, video bool, i int) string {
	if video {
		return fmt.Sprintf("%s/files/video/%d%s", base, i, filepath.Ext(s.opts.Videos[i].Path))
	}
	return fmt.Sprintf("%s/files/photo/%d.jpg", base, i)
}

func (s *Server) pexelsVideos(base string, idx []int, total, per int) any {
	videos := []any{}
	for _, i := range idx {
		m := s.opts.Videos[i]
		id := mediaID(true, i)
		videos = append(videos, map[string]any{
			"id": id, "width": m.Width, "height": m.Height, "duration": int(m.Seconds + 0.5),
			"url":   fmt.Sprintf("https://www.pexels.com/video/clip-%d/", id),
			"image": base + "/files/none.jpg",
			"user":  map[string]any{"id": 77 + i, "name": fmt.Sprintf("Maker %d", i), "url": fmt.Sprintf("https://www.pexels.com/@maker-%d", i)},
			"video_files": []any{
				map[string]any{"id": id*10 + 1, "quality": "hls", "file_type": "video/mp4", "width": nil, "height": nil, "fps": nil,
					"link": base + "/files/none.m3u8"},
				map[string]any{"id": id * 10, "quality": "hd", "file_type": "video/mp4", "width": m.Width, "height": m.Height, "fps": 25.0,
					"link": s.fileURL(base, true, i)},
			},
			"video_pictures": []any{map[string]any{"id": id, "picture": base + "/files/none.jpg", "nr": 0}},
		})
	}
	return map[string]any{"page": 1, "per_page": per, "total_results": total, "url": "https://www.pexels.com/videos/", "videos": videos}
}

func (s *Server) pexelsPhotos(base string, idx []int, total, per int) any {
	photos := []any{}
	for _, i := range idx {
		m := s.opts.Photos[i]
		id := mediaID(false, i)
		link := s.fileURL(base, false, i)
		photos = append(photos, map[string]any{
			"id": id, "width": m.Width, "height": m.Height, "url": fmt.Sprintf("https://www.pexels.com/photo/picture-%d/", id),
			"photographer": fmt.Sprintf("Photographer %d", i), "photographer_url": fmt.Sprintf("https://www.pexels.com/@photographer-%d", i),
			"photographer_id": 300 + i, "avg_color": "#7A8B9C", "alt": "a picture",
			"src": map[string]string{"original": link, "large2x": link, "large": link, "medium": link, "small": link,
				"portrait": link, "landscape": link, "tiny": link},
		})
	}
	return map[string]any{"page": 1, "per_page": per, "total_results": total, "photos": photos}
}

func (s *Server) pixabayVideos(base string, idx []int, total int) any {
	hits := []any{}
	for _, i := range idx {
		m := s.opts.Videos[i]
		id := mediaID(true, i)
		fi, _ := os.Stat(m.Path)
		var size int64
		if fi != nil {
			size = fi.Size()
		}
		link := s.fileURL(base, true, i)
		hits = append(hits, map[string]any{
			"id": id, "pageURL": fmt.Sprintf("https://pixabay.com/videos/clip-%d/", id), "type": "film", "tags": "test, clip",
			"duration": int(m.Seconds + 0.5), "views": 10, "downloads": 2, "likes": 1, "comments": 0,
			"user_id": 900 + i, "user": fmt.Sprintf("maker%d", i), "userImageURL": "",
			"videos": map[string]any{
				"large":  map[string]any{"url": "", "width": 0, "height": 0, "size": 0, "thumbnail": ""},
				"medium": map[string]any{"url": link, "width": m.Width, "height": m.Height, "size": size, "thumbnail": base + "/files/none.jpg"},
				"small":  map[string]any{"url": link, "width": m.Width * 2 / 3, "height": m.Height * 2 / 3, "size": size, "thumbnail": ""},
				"tiny":   map[string]any{"url": link, "width": m.Width / 2, "height": m.Height / 2, "size": size, "thumbnail": ""},
			},
		})
	}
	return map[string]any{"total": total, "totalHits": min(total, 500), "hits": hits}
}

func (s *Server) pixabayPhotos(base string, idx []int, total int) any {
	hits := []any{}
	for _, i := range idx {
		m := s.opts.Photos[i]
		id := mediaID(false, i)
		link := s.fileURL(base, false, i)
		hits = append(hits, map[string]any{
			"id": id, "pageURL": fmt.Sprintf("https://pixabay.com/photos/picture-%d/", id), "type": "photo", "tags": "test",
			"previewURL": link, "webformatURL": link, "webformatWidth": m.Width, "webformatHeight": m.Height,
			"largeImageURL": link, "imageWidth": m.Width, "imageHeight": m.Height, "imageSize": len(s.photos[i]),
			"user_id": 800 + i, "user": fmt.Sprintf("photographer%d", i), "userImageURL": "",
		})
	}
	return map[string]any{"total": total, "totalHits": min(total, 500), "hits": hits}
}

// file serves /files/video/N.ext and /files/photo/N.jpg.
func (s *Server) file(w http.ResponseWriter, r *http.Request, rec *Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/files/"), "/")
	var data []byte
	var path string
	if len(parts) == 2 {
		n, err := strconv.Atoi(strings.TrimSuffix(parts[1], filepath.Ext(parts[1])))
		switch {
		case err != nil:
		case parts[0] == "video" && n >= 0 && n < len(s.opts.Videos):
			path = s.opts.Videos[n].Path
		case parts[0] == "photo" && n >= 0 && n < len(s.opts.Photos):
			path, data = s.opts.Photos[n].Path, s.photos[n]
		}
	}
	if path == "" && data == nil {
		http.NotFound(w, r)
		return
	}
	fault, _ := s.faults.PopIf(func(f Fault) bool { return f.download })
	rec.Fault = fault.String()
	if fault.base.Apply(w, r, "HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: 100000\r\n\r\n\x00\x00\x00\x18ftyp", func(code int, msg string) {
		http.Error(w, cmpOr(msg, http.StatusText(code)), code)
	}) {
		return
	}
	switch fault.kind {
	case "zero-byte":
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return
	case "not-video":
		w.Header().Set("Content-Type", "video/mp4")
		w.Write(bytes.Repeat([]byte("not a video "), 100))
		return
	}
	if data == nil {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	ct := "image/jpeg"
	if parts[0] == "video" {
		ct = "video/mp4"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// photo draws a JPEG of w×h whose colours depend on i.
func photo(w, h, i int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(40*i + x*200/w), uint8(y * 200 / h), uint8(255 - 30*i), 255})
		}
	}
	var buf bytes.Buffer
	jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80})
	return buf.Bytes()
}

// Clip makes a small real H.264 MP4 of w×h lasting seconds with ffmpeg
// (found on PATH) in dir, its picture a test pattern tinted by n, and
// returns it as Media. The test is skipped when ffmpeg is missing.
func Clip(t testing.TB, dir string, n, w, h int, seconds float64) Media {
	t.Helper()
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not found")
	}
	path := filepath.Join(dir, fmt.Sprintf("clip%02d_%dx%d.mp4", n, w, h))
	src := fmt.Sprintf("testsrc2=size=%dx%d:rate=25:duration=%g,hue=h=%d", w, h, seconds, n*47%360)
	out, err := exec.Command(ff, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", src,
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", path).CombinedOutput()
	if err != nil {
		t.Fatalf("make clip: %v: %s", err, out)
	}
	return Media{Path: path, Width: w, Height: h, Seconds: seconds}
}
