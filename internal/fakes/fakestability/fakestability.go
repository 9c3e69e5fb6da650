// Package fakestability is an in-process fake of Stability AI's v2beta
// Stable Image generate endpoints (core, ultra, sd3) and of the account
// balance (GET /v1/user/balance) a key check reads.
//
// It checks the Bearer key, requires multipart/form-data, validates the
// fields like the service (400 with the {"id","name","errors"} body), and
// answers with a real PNG (or JPEG) of the requested aspect ratio, with
// finish-reason and seed headers, or the JSON form when the client
// accepts application/json. The picture is a gradient whose colours
// depend on the prompt and seed, so different prompts give different
// images.
//
// Failures are scripted per call with Fail:
//
//	srv := fakestability.New(fakestability.Options{APIKey: "sk-test"})
//	defer srv.Close()
//	srv.Fail(fakestability.ContentFiltered(), fakestability.Status(429).RetryAfter(7*time.Second))
package fakestability

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ytmaker/ytmaker/internal/fakes/fakehttp"
)

// Options configures a Server.
type Options struct {
	// APIKey is the key callers must send as "Bearer <key>". "" accepts
	// any non-empty key.
	APIKey string
	// MaxSide scales generated images so that their longer side is
	// MaxSide pixels; 0 keeps the service's sizes (about one megapixel,
	// 1344×768 for 16:9). Small values keep tests fast.
	MaxSide int
	// Credits is the balance GET /v1/user/balance reports; 0 means 25.
	Credits float64
}

// Fault describes how the fake answers one generate call instead of
// succeeding. Build one with Status, ContentFiltered, Delay or Drop,
// refine it with the methods and queue it with Server.Fail.
type Fault struct {
	base     fakehttp.Fault
	name     string
	filtered bool
}

// Status answers with an HTTP error and the service's body for it:
// 400 bad_request, 401 unauthorized, 402 payment_required (insufficient
// credits), 403 content_moderation, 404 not_found, 413
// payload_too_large, 422 invalid_language, 429 rate_limit_exceeded,
// 500 internal_error, 502/503 service_unavailable, 504 gateway_timeout.
func Status(code int) Fault { return Fault{base: fakehttp.Fault{Status: code}} }

// ContentFiltered answers 200 with a blurred (uniform grey) image and
// finish-reason CONTENT_FILTERED.
func ContentFiltered() Fault { return Fault{filtered: true} }

// Delay answers normally after d (or delays the fault's answer, as a
// method). The wait ends early when the client goes away.
func Delay(d time.Duration) Fault { return Fault{base: fakehttp.Fault{Delay: d}} }

// Drop sends the headers and part of the image, then closes the
// connection.
func Drop() Fault { return Fault{base: fakehttp.Fault{Drop: true}} }

// RetryAfter adds a Retry-After header (whole seconds).
func (f Fault) RetryAfter(d time.Duration) Fault { f.base.RetryAfter = d; return f }

// Delay makes the fault's answer arrive after d.
func (f Fault) Delay(d time.Duration) Fault { f.base.Delay = d; return f }

// Name replaces the error name of a Status fault (for example
// "unauthorized" on a 403).
func (f Fault) Name(name string) Fault { f.name = name; return f }

// Message replaces the error text of a Status fault.
func (f Fault) Message(msg string) Fault { f.base.Message = msg; return f }

// String describes the fault, as recorded in Request.Fault.
func (f Fault) String() string {
	if f.filtered {
		return f.base.Describe("CONTENT_FILTERED")
	}
	return f.base.Describe("")
}

// Request is one call the fake received, secrets removed.
type Request struct {
	Method string
	Path   string
	Model  string      // core, ultra or sd3
	Header http.Header // without Authorization
	Accept string
	// Fields holds the form fields sent (prompt, aspect_ratio, ...).
	Fields map[string]string
	Status int    // HTTP status answered; 0 when the connection was dropped
	Fault  string // the fault applied, "" for none
	// Width and Height of the image answered, if any.
	Width, Height int
}

// Server is a running fake. It is safe for concurrent use.
//
// Its methods URL, Client, Close, Fail, PendingFaults, Requests and Calls
// are those of fakehttp.Server. Each fault given to Fail applies to one
// later call (generate or balance), in order.
type Server struct {
	*server
	opts Options

	faults   fakehttp.Queue[Fault]
	requests fakehttp.Log[Request]
	ids      fakehttp.Counter
}

// server is the part of a Server that serves and shows its faults and
// requests.
type server = fakehttp.Server[Fault, Request]

// New starts a fake server.
func New(opts Options) *Server {
	s := &Server{opts: opts}
	s.server = fakehttp.NewServer(http.HandlerFunc(s.serve), &s.faults, &s.requests)
	return s
}

// nextID returns a new request ID.
func (s *Server) nextID() string { return fmt.Sprintf("%032x", s.ids.Next()) }

var pathRE = regexp.MustCompile(`^/v2beta/stable-image/generate/(core|ultra|sd3)$`)

// AspectRatios and their sizes at about one megapixel.
var sizes = map[string][2]int{
	"16:9": {1344, 768}, "9:16": {768, 1344}, "1:1": {1024, 1024}, "21:9": {1536, 640}, "9:21": {640, 1536},
	"3:2": {1216, 832}, "2:3": {832, 1216}, "5:4": {1088, 896}, "4:5": {896, 1088},
}

var stylePresets = map[string]bool{"3d-model": true, "analog-film": true, "anime": true, "cinematic": true,
	"comic-book": true, "digital-art": true, "enhance": true, "fantasy-art": true, "isometric": true,
	"line-art": true, "low-poly": true, "modeling-compound": true, "neon-punk": true, "origami": true,
	"photographic": true, "pixel-art": true, "tile-texture": true}

const maxBody = 10 << 20

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rec := Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Accept: r.Header.Get("Accept")}
	rec.Header.Del("Authorization")
	w, save := s.requests.Track(w, &rec, &rec.Status)
	defer save()
	fail := func(code int, name string, errs ...string) {
		rec.Status = code
		s.writeError(w, code, name, errs...)
	}

	if r.URL.Path == "/v1/user/balance" {
		s.balance(w, r, &rec)
		return
	}
	m := pathRE.FindStringSubmatch(r.URL.Path)
	if m == nil {
		fail(http.StatusNotFound, "not_found", "path: "+r.URL.Path+" was not found")
		return
	}
	rec.Model = m[1]
	if r.Method != http.MethodPost {
		fail(http.StatusMethodNotAllowed, "method_not_allowed", "method: only POST is allowed")
		return
	}
	auth := r.Header.Get("Authorization")
	key, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || key == "" || (s.opts.APIKey != "" && key != s.opts.APIKey) {
		fail(http.StatusUnauthorized, "unauthorized", "authorization: invalid or missing header value")
		return
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		fail(http.StatusBadRequest, "bad_request", "content-type: must be multipart/form-data")
		return
	}
	if r.ContentLength > maxBody {
		fail(http.StatusRequestEntityTooLarge, "payload_too_large", "body: payloads cannot be larger than 10MiB in size")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseMultipartForm(maxBody); err != nil {
		fail(http.StatusBadRequest, "bad_request", "body: could not parse multipart form: "+err.Error())
		return
	}
	rec.Fields = map[string]string{}
	for k, v := range r.MultipartForm.Value {
		if len(v) > 0 {
			rec.Fields[k] = v[0]
		}
	}
	accept := rec.Accept
	switch accept {
	case "", "*/*", "image/*", "application/json":
	default:
		fail(http.StatusBadRequest, "bad_request", "accept: must be image/* or application/json")
		return
	}
	if errs := validate(rec.Model, rec.Fields); len(errs) > 0 {
		fail(http.StatusBadRequest, "bad_request", errs...)
		return
	}

	fault, _ := s.faults.Pop()
	rec.Fault = fault.String()
	if fault.base.Apply(w, r, droppedAnswer, func(code int, msg string) {
		name, usual := errorFor(code)
		fail(code, cmp.Or(fault.name, name), cmp.Or(msg, usual))
	}) {
		return
	}

	format := rec.Fields["output_format"]
	if format == "" {
		format = "png"
	}
	seed, _ := strconv.ParseUint(rec.Fields["seed"], 10, 32)
	if seed == 0 {
		h := fnv.New32a()
		h.Write([]byte(rec.Fields["prompt"]))
		seed = uint64(h.Sum32()%4294967294) + 1
	}
	ar := rec.Fields["aspect_ratio"]
	if ar == "" {
		ar = "1:1"
	}
	width, height := s.size(ar)
	finish := "SUCCESS"
	if fault.filtered {
		finish = "CONTENT_FILTERED"
	}
	img := picture(width, height, rec.Fields["prompt"], uint32(seed), fault.filtered)
	var buf bytes.Buffer
	contentType := "image/png"
	if format == "jpeg" {
		contentType = "image/jpeg"
		jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
	} else {
		// There is no WebP encoder in Go's libraries: webp requests get PNG bytes.
		(&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img)
	}
	rec.Status, rec.Width, rec.Height = http.StatusOK, width, height
	w.Header().Set("X-Request-Id", s.nextID())
	if accept == "application/json" {
		fakehttp.JSON{}.Write(w, http.StatusOK, map[string]any{
			"image":         base64.StdEncoding.EncodeToString(buf.Bytes()),
			"finish_reason": finish,
			"seed":          seed,
		})
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Finish-Reason", finish)
	w.Header().Set("Seed", strconv.FormatUint(seed, 10))
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
}

// validate checks the form fields like the service, returning its error
// lines.
func validate(model string, f map[string]string) []string {
	var errs []string
	prompt := f["prompt"]
	switch n := utf8.RuneCountInString(prompt); {
	case strings.TrimSpace(prompt) == "":
		errs = append(errs, "prompt: is required")
	case n > 10000:
		errs = append(errs, "prompt: must be at most 10000 characters")
	}
	if utf8.RuneCountInString(f["negative_prompt"]) > 10000 {
		errs = append(errs, "negative_prompt: must be at most 10000 characters")
	}
	if ar, ok := f["aspect_ratio"]; ok {
		if _, known := sizes[ar]; !known {
			errs = append(errs, "aspect_ratio: must be one of 16:9, 1:1, 21:9, 2:3, 3:2, 4:5, 5:4, 9:16, 9:21")
		}
	}
	if seed, ok := f["seed"]; ok {
		if n, err := strconv.ParseUint(seed, 10, 64); err != nil || n > 4294967294 {
			errs = append(errs, "seed: must be a number between 0 and 4294967294")
		}
	}
	if format, ok := f["output_format"]; ok {
		allowed := format == "png" || format == "jpeg" || (format == "webp" && model != "sd3")
		if !allowed {
			want := "png, jpeg, webp"
			if model == "sd3" {
				want = "png, jpeg"
			}
			errs = append(errs, "output_format: must be one of "+want)
		}
	}
	if p, ok := f["style_preset"]; ok && !stylePresets[p] {
		errs = append(errs, "style_preset: must be a valid style preset")
	}
	return errs
}

func (s *Server) size(ar string) (int, int) {
	wh := sizes[ar]
	w, h := wh[0], wh[1]
	if s.opts.MaxSide > 0 {
		long := max(w, h)
		w, h = max(1, w*s.opts.MaxSide/long), max(1, h*s.opts.MaxSide/long)
	}
	return w, h
}

// picture draws a diagonal gradient between two colours chosen from the
// prompt and seed, with soft bands; filtered images are flat grey.
func picture(w, h int, prompt string, seed uint32, filtered bool) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	if filtered {
		for i := 0; i < len(img.Pix); i += 4 {
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = 128, 128, 128, 255
		}
		return img
	}
	hs := fnv.New64a()
	fmt.Fprintf(hs, "%s|%d", prompt, seed)
	v := hs.Sum64()
	a := color.NRGBA{uint8(v), uint8(v >> 8), uint8(v >> 16), 255}
	b := color.NRGBA{uint8(v >> 24), uint8(v >> 32), uint8(v >> 40), 255}
	bands := 3 + int(v>>48)%5
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			t := float64(x+y) / float64(w+h)
			band := float64((x*bands/max(w, 1)+y*bands/max(h, 1))%2) * 0.08
			mix := func(p, q uint8) uint8 {
				f := float64(p)*(1-t) + float64(q)*t
				f *= 1 - band
				return uint8(f)
			}
			o := img.PixOffset(x, y)
			img.Pix[o], img.Pix[o+1], img.Pix[o+2], img.Pix[o+3] = mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 255
		}
	}
	return img
}

func errorFor(code int) (name, msg string) {
	switch code {
	case 400:
		return "bad_request", "prompt: is invalid"
	case 401:
		return "unauthorized", "authorization: invalid or missing header value"
	case 402:
		return "payment_required", "You lack sufficient credits to make this request. Please purchase more credits and try again."
	case 403:
		return "content_moderation", "Your request was flagged by our content moderation system, as a result your request was denied and you were not charged."
	case 404:
		return "not_found", "The requested resource was not found."
	case 413:
		return "payload_too_large", "body: payloads cannot be larger than 10MiB in size"
	case 422:
		return "invalid_language", "English is the only supported language for this service."
	case 429:
		return "rate_limit_exceeded", "You have exceeded the rate limit of 150 requests within a 10 second period, and have been timed out for 60 seconds."
	case 500:
		return "internal_error", "An unexpected server error has occurred, please try again later."
	case 502, 503:
		return "service_unavailable", "The service is temporarily unavailable."
	case 504:
		return "gateway_timeout", "The request timed out."
	}
	return "error", http.StatusText(code)
}

func (s *Server) writeError(w http.ResponseWriter, code int, name string, errs ...string) {
	fakehttp.JSON{}.Write(w, code, map[string]any{"id": s.nextID(), "name": name, "errors": errs})
}

// droppedAnswer is what a Drop fault sends: an image promised and never
// finished.
const droppedAnswer = "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nFinish-Reason: SUCCESS\r\nContent-Length: 100000\r\n\r\n\x89PNG\r\n\x1a\n"

// balance answers GET /v1/user/balance: {"credits": n}, after the same key
// check as generate. Errors have the v1 {"id","name","message"} shape.
func (s *Server) balance(w http.ResponseWriter, r *http.Request, rec *Request) {
	fail := func(code int, name, msg string) {
		rec.Status = code
		fakehttp.JSON{}.Write(w, code, map[string]any{"id": s.nextID(), "name": name, "message": msg})
	}
	if r.Method != http.MethodGet {
		fail(http.StatusMethodNotAllowed, "method_not_allowed", "method: only GET is allowed")
		return
	}
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || key == "" || (s.opts.APIKey != "" && key != s.opts.APIKey) {
		fail(http.StatusUnauthorized, "unauthorized", "authorization: invalid or missing header value")
		return
	}
	fault, _ := s.faults.Pop()
	rec.Fault = fault.String()
	if fault.base.Apply(w, r, droppedBalance, func(code int, msg string) {
		name, usual := errorFor(code)
		fail(code, cmp.Or(fault.name, name), cmp.Or(msg, usual))
	}) {
		return
	}
	rec.Status = http.StatusOK
	fakehttp.JSON{}.Write(w, http.StatusOK, map[string]any{"credits": cmp.Or(s.opts.Credits, 25)})
}

// droppedBalance is what a Drop fault sends on a balance call.
const droppedBalance = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 64\r\n\r\n{\"cred"
