// Package fakedid is an in-process fake of D-ID's Talks API: uploads
// (POST /audios, POST /images), talks (POST /talks, GET /talks/{id}),
// credits (GET /credits) and the pre-signed result download.
//
// It checks "Authorization: Basic <key>", validates talk requests like
// the service (400 {"kind","description"}), charges a credit per talk
// (refunded when the talk fails) and walks every talk through created →
// started → done, one step per status call. The result is a real MP4:
// made with ffmpeg from the uploaded audio at first use (a colour card
// with the narration as its sound track, as long as the audio), or a
// small embedded clip when ffmpeg is missing or the audio is not known.
// The result URL is pre-signed: it expires, and like S3 it refuses
// requests that also carry an Authorization header.
//
// Failures are scripted with Fail. Each fault waits at the head of the
// queue for the first request it applies to: HTTP faults apply to any
// endpoint unless restricted with On, TalkError and TalkRejected to the
// next POST /talks:
//
//	srv := fakedid.New(fakedid.Options{APIKey: "user:secret"})
//	defer srv.Close()
//	srv.Fail(fakedid.Status(503).On(fakedid.EndpointGetTalk), fakedid.TalkError("FaceError", "No face detected"))
package fakedid

import (
	"context"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ytmaker/ytmaker/internal/fakes/fakehttp"
)

//go:embed avatar.mp4
var embeddedVideo []byte

// Endpoints, for Fault.On and Request.Endpoint.
const (
	EndpointUploadAudio = "POST /audios"
	EndpointUploadImage = "POST /images"
	EndpointCreateTalk  = "POST /talks"
	EndpointGetTalk     = "GET /talks/{id}"
	EndpointCredits     = "GET /credits"
	EndpointResult      = "GET /results/{file}"
)

// Options configures a Server.
type Options struct {
	// APIKey is what callers must send after "Basic ". "" accepts any
	// non-empty value.
	APIKey string
	// Credits is the starting balance; 0 means 100.
	Credits int
	// PendingPolls is how many status calls answer "created" then
	// "started" before the talk reaches its final state; 0 means 2, a
	// negative value none.
	PendingPolls int
	// Video, when set, is served as every talk's result instead of a clip
	// made with ffmpeg.
	Video []byte
	// ResultTTL is how long result URLs stay valid; 0 means an hour.
	ResultTTL time.Duration
}

// Fault describes how the fake answers one request instead of normally.
// Build one with Status, Delay, Drop, TalkError or TalkRejected, refine it
// with the methods and queue it with Server.Fail.
type Fault struct {
	base        fakehttp.Fault
	endpoint    string
	kind        string
	description string
	outcome     string // "error" or "rejected" for talk faults
}

// Status answers with an HTTP error and a {"kind","description"} body:
// 400 BadRequestError, 401 AuthorizationError, 402
// InsufficientCreditsError, 403 PermissionError, 404 NotFoundError, 429
// TooManyRequestsError, 5xx UnknownError.
func Status(code int) Fault { return Fault{base: fakehttp.Fault{Status: code}} }

// Delay answers normally after d (or delays the fault's answer, as a
// method). The wait ends early when the client goes away.
func Delay(d time.Duration) Fault { return Fault{base: fakehttp.Fault{Delay: d}} }

// Drop closes the connection in the middle of the answer.
func Drop() Fault { return Fault{base: fakehttp.Fault{Drop: true}} }

// TalkError makes the next talk created end with status "error" and
// {"kind": kind, "description": description} (kinds: FaceError,
// SourceError, DriverError, LogoError, UnknownError). The credit is
// refunded.
func TalkError(kind, description string) Fault {
	return Fault{endpoint: EndpointCreateTalk, outcome: "error", kind: kind, description: description}
}

// TalkRejected makes the next talk created end with status "rejected", as
// content moderation does.
func TalkRejected() Fault {
	return Fault{endpoint: EndpointCreateTalk, outcome: "rejected"}
}

// On restricts the fault to one endpoint (EndpointGetTalk, ...).
func (f Fault) On(endpoint string) Fault { f.endpoint = endpoint; return f }

// RetryAfter adds a Retry-After header (whole seconds).
func (f Fault) RetryAfter(d time.Duration) Fault { f.base.RetryAfter = d; return f }

// Delay makes the fault's answer arrive after d.
func (f Fault) Delay(d time.Duration) Fault { f.base.Delay = d; return f }

// Kind replaces the kind and description of a Status fault's body.
func (f Fault) Kind(kind, description string) Fault {
	f.kind, f.description = kind, description
	return f
}

// String describes the fault, as recorded in Request.Fault.
func (f Fault) String() string {
	var kind string
	switch f.outcome {
	case "error":
		kind = "talk error " + f.kind
	case "rejected":
		kind = "talk rejected"
	}
	var on []string
	if f.endpoint != "" {
		on = append(on, "on "+f.endpoint)
	}
	return f.base.Describe(kind, on...)
}

// Request is one call the fake received, secrets removed.
type Request struct {
	Method   string
	Path     string
	Endpoint string      // one of the Endpoint constants, "" for unknown routes
	Header   http.Header // without Authorization
	// Body is the JSON body, or a summary of a multipart upload
	// ("audio: narration.wav, audio/wav, 48044 bytes").
	Body   string
	Status int    // HTTP status answered; 0 when the connection was dropped
	Fault  string // the fault applied, "" for none
}

// TalkState is what the fake knows about a talk, for assertions.
type TalkState struct {
	ID        string
	Status    string
	Polls     int
	SourceURL string
	AudioURL  string
	Config    map[string]any
}

type upload struct {
	data     []byte
	filename string
	duration float64
}

type talk struct {
	id, sourceURL, audioURL string
	config                  map[string]any
	created                 time.Time
	polls                   int
	outcome                 string
	errKind, errDesc        string
	status                  string
	video                   []byte
	duration                float64
	refunded                bool
}

// Server is a running fake. It is safe for concurrent use.
//
// Its methods URL, Client, Close, Fail, PendingFaults and Requests are
// those of fakehttp.Server; the package documentation tells how the
// faults given to Fail apply.
type Server struct {
	*server
	opts Options

	faults   fakehttp.Queue[Fault]
	requests fakehttp.Log[Request]
	ids      fakehttp.Counter

	mu        sync.Mutex
	uploads   map[string]upload // by s3 URL
	talks     map[string]*talk
	results   map[string]*talk // by result file name
	remaining int
	total     int
	videos    map[string][]byte // ffmpeg output by audio URL
}

// New starts a fake server.
func New(opts Options) *Server {
	if opts.Credits == 0 {
		opts.Credits = 100
	}
	switch {
	case opts.PendingPolls == 0:
		opts.PendingPolls = 2
	case opts.PendingPolls < 0:
		opts.PendingPolls = 0
	}
	if opts.ResultTTL == 0 {
		opts.ResultTTL = time.Hour
	}
	s := &Server{
		opts:      opts,
		uploads:   map[string]upload{},
		talks:     map[string]*talk{},
		results:   map[string]*talk{},
		remaining: opts.Credits,
		total:     opts.Credits,
		videos:    map[string][]byte{},
	}
	s.server = fakehttp.NewServer(http.HandlerFunc(s.serve), &s.faults, &s.requests)
	return s
}

// server is the part of a Server that serves and shows its faults and
// requests.
type server = fakehttp.Server[Fault, Request]

// Calls returns how many requests reached endpoint ("" counts all).
func (s *Server) Calls(endpoint string) int {
	if endpoint == "" {
		return s.requests.Len()
	}
	n := 0
	for _, r := range s.requests.All() {
		if r.Endpoint == endpoint {
			n++
		}
	}
	return n
}

// Credits returns the remaining balance.
func (s *Server) Credits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.remaining
}

// Talk returns the state of talk id.
func (s *Server) Talk(id string) (TalkState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.talks[id]
	if !ok {
		return TalkState{}, false
	}
	return TalkState{ID: t.id, Status: t.status, Polls: t.polls, SourceURL: t.sourceURL, AudioURL: t.audioURL, Config: t.config}, true
}

// newID returns a new ID for an upload ("aud", "img") or a talk ("tlk").
func (s *Server) newID(prefix string) string {
	return fmt.Sprintf("%s_%08dFake", prefix, s.ids.Next())
}

func route(method, p string) string {
	switch {
	case method == http.MethodPost && p == "/audios":
		return EndpointUploadAudio
	case method == http.MethodPost && p == "/images":
		return EndpointUploadImage
	case method == http.MethodPost && p == "/talks":
		return EndpointCreateTalk
	case method == http.MethodGet && strings.HasPrefix(p, "/talks/") && !strings.Contains(p[len("/talks/"):], "/"):
		return EndpointGetTalk
	case method == http.MethodGet && p == "/credits":
		return EndpointCredits
	case method == http.MethodGet && strings.HasPrefix(p, "/results/"):
		return EndpointResult
	}
	return ""
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rec := Request{Method: r.Method, Path: r.URL.Path, Endpoint: route(r.Method, r.URL.Path), Header: r.Header.Clone()}
	rec.Header.Del("Authorization")
	w, save := s.requests.Track(w, &rec, &rec.Status)
	defer save()

	if rec.Endpoint == "" {
		writeError(w, http.StatusNotFound, "NotFoundError", "The requested route was not found")
		return
	}
	if rec.Endpoint != EndpointResult {
		key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Basic ")
		if !ok || key == "" || (s.opts.APIKey != "" && key != s.opts.APIKey) {
			writeError(w, http.StatusUnauthorized, "AuthorizationError", "Unauthorized")
			return
		}
	}

	fault, _ := s.faults.PopIf(func(f Fault) bool { return f.endpoint == "" || f.endpoint == rec.Endpoint })
	rec.Fault = fault.String()
	if fault.base.Apply(w, r, droppedAnswer, func(code int, _ string) {
		kind, desc := errorFor(code)
		if fault.kind != "" {
			kind, desc = fault.kind, fault.description
		}
		writeError(w, code, kind, desc)
	}) {
		return
	}

	switch rec.Endpoint {
	case EndpointUploadAudio:
		s.upload(w, r, &rec, "audio", "d-id-audios-prod")
	case EndpointUploadImage:
		s.upload(w, r, &rec, "image", "d-id-images-prod")
	case EndpointCreateTalk:
		s.createTalk(w, r, &rec, fault)
	case EndpointGetTalk:
		s.getTalk(w, path.Base(r.URL.Path))
	case EndpointCredits:
		s.mu.Lock()
		remaining, total := s.remaining, s.total
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{
			"credits": []any{map[string]any{
				"owner_id": "auth0|fake", "product_id": "prod_fake", "remaining": remaining, "total": total,
				"expire_at": time.Now().AddDate(0, 1, 0).UTC().Format(time.RFC3339),
			}},
			"remaining": remaining,
			"total":     total,
		})
	case EndpointResult:
		s.result(w, r)
	}
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request, rec *Request, field, bucket string) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		writeError(w, http.StatusBadRequest, "BadRequestError", "Content-Type must be multipart/form-data")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 50<<20)
	file, hdr, err := r.FormFile(field)
	if err != nil {
		writeError(w, http.StatusBadRequest, "BadRequestError", fmt.Sprintf("%q field is required", field))
		return
	}
	defer file.Close()
	data, err := io.ReadAll(file)
	if err != nil || len(data) == 0 {
		writeError(w, http.StatusBadRequest, "BadRequestError", "uploaded file is empty")
		return
	}
	ct := hdr.Header.Get("Content-Type")
	rec.Body = fmt.Sprintf("%s: %s, %s, %d bytes", field, hdr.Filename, ct, len(data))
	if field == "audio" && !strings.HasPrefix(ct, "audio/") && ct != "application/octet-stream" {
		writeError(w, http.StatusBadRequest, "BadRequestError", "audio file type is not supported")
		return
	}
	prefix := "aud"
	if field == "image" {
		prefix = "img"
	}
	id := s.newID(prefix)
	u := fmt.Sprintf("s3://%s/auth0|fake/%s/%s", bucket, id, hdr.Filename)
	dur := wavDuration(data)
	s.mu.Lock()
	s.uploads[u] = upload{data: data, filename: hdr.Filename, duration: dur}
	s.mu.Unlock()
	body := map[string]any{"id": id, "url": u}
	if field == "audio" {
		body["duration"] = dur
	}
	writeJSON(w, http.StatusCreated, body)
}

type createTalkBody struct {
	SourceURL string `json:"source_url"`
	Script    *struct {
		Type     string         `json:"type"`
		AudioURL string         `json:"audio_url"`
		Input    string         `json:"input"`
		Provider map[string]any `json:"provider"`
	} `json:"script"`
	Config   map[string]any `json:"config"`
	Name     string         `json:"name"`
	UserData string         `json:"user_data"`
}

func (s *Server) createTalk(w http.ResponseWriter, r *http.Request, rec *Request, fault Fault) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	rec.Body = string(raw)
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeError(w, http.StatusBadRequest, "BadRequestError", "Content-Type must be application/json")
		return
	}
	var b createTalkBody
	if err := json.Unmarshal(raw, &b); err != nil {
		writeError(w, http.StatusBadRequest, "ValidationError", "invalid JSON body: "+err.Error())
		return
	}
	if msg := s.validateTalk(b); msg != "" {
		writeError(w, http.StatusBadRequest, "ValidationError", msg)
		return
	}
	s.mu.Lock()
	if s.remaining < 1 {
		s.mu.Unlock()
		writeError(w, http.StatusPaymentRequired, "InsufficientCreditsError", "not enough credits")
		return
	}
	s.remaining--
	t := &talk{
		id:        s.newID("tlk"),
		sourceURL: b.SourceURL,
		config:    b.Config,
		created:   time.Now().UTC(),
		outcome:   "done",
		status:    "created",
	}
	if b.Script.Type == "audio" {
		t.audioURL = b.Script.AudioURL
	}
	if fault.outcome != "" {
		t.outcome, t.errKind, t.errDesc = fault.outcome, fault.kind, fault.description
	}
	s.talks[t.id] = t
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{
		"id": t.id, "object": "talk", "created_by": "auth0|fake",
		"created_at": t.created.Format(time.RFC3339Nano), "status": "created",
	})
}

// validateTalk returns the service's message for a bad talk, or "".
func (s *Server) validateTalk(b createTalkBody) string {
	if b.SourceURL == "" {
		return "source_url is required"
	}
	u, err := url.Parse(b.SourceURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "s3") || u.Host == "" {
		return "source_url must be a valid https or s3 URL"
	}
	switch strings.ToLower(path.Ext(u.Path)) {
	case ".jpg", ".jpeg", ".png":
	default:
		return "source_url must point to a .jpg, .jpeg or .png image"
	}
	if b.Script == nil {
		return "script is required"
	}
	switch b.Script.Type {
	case "audio":
		a, err := url.Parse(b.Script.AudioURL)
		if b.Script.AudioURL == "" || err != nil || (a.Scheme != "https" && a.Scheme != "http" && a.Scheme != "s3") {
			return "script.audio_url must be a valid https or s3 URL"
		}
		if a.Scheme == "s3" {
			s.mu.Lock()
			_, ok := s.uploads[b.Script.AudioURL]
			s.mu.Unlock()
			if !ok {
				return "script.audio_url was not found"
			}
		}
	case "text":
		if strings.TrimSpace(b.Script.Input) == "" {
			return "script.input is required for a text script"
		}
	default:
		return "script.type must be text or audio"
	}
	return ""
}

func (s *Server) getTalk(w http.ResponseWriter, id string) {
	s.mu.Lock()
	t, ok := s.talks[id]
	if !ok {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "NotFoundError", "talk not found")
		return
	}
	t.polls++
	final := t.polls > s.opts.PendingPolls
	switch {
	case !final && t.polls == 1:
		t.status = "created"
	case !final:
		t.status = "started"
	default:
		t.status = t.outcome
	}
	if final && t.outcome != "done" && !t.refunded {
		t.refunded = true
		s.remaining++
	}
	needVideo := final && t.outcome == "done" && t.video == nil
	s.mu.Unlock()

	if needVideo {
		video, dur := s.videoFor(t.audioURL)
		s.mu.Lock()
		if t.video == nil {
			t.video, t.duration = video, dur
			s.results[t.id+".mp4"] = t
		}
		s.mu.Unlock()
	}

	s.mu.Lock()
	body := map[string]any{
		"id": t.id, "object": "talk", "user_id": "auth0|fake", "created_by": "auth0|fake",
		"source_url": t.sourceURL, "audio_url": t.audioURL, "status": t.status,
		"created_at":  t.created.Format(time.RFC3339Nano),
		"modified_at": time.Now().UTC().Format(time.RFC3339Nano),
		"config":      t.config,
	}
	if t.status != "created" {
		body["started_at"] = t.created.Add(time.Second).Format(time.RFC3339Nano)
	}
	switch t.status {
	case "done":
		expires := time.Now().Add(s.opts.ResultTTL).Unix()
		body["result_url"] = fmt.Sprintf("%s/results/%s.mp4?AWSAccessKeyId=AKIAFAKEFAKEFAKE&Expires=%d&Signature=ZmFrZQ%%3D%%3D", s.URL(), t.id, expires)
		body["duration"] = t.duration
	case "error":
		kind, desc := t.errKind, t.errDesc
		if kind == "" {
			kind = "UnknownError"
		}
		body["error"] = map[string]any{"kind": kind, "description": desc, "details": map[string]any{}}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) result(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "" {
		writeS3Error(w, http.StatusBadRequest, "InvalidArgument", "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified")
		return
	}
	exp, err := strconv.ParseInt(r.URL.Query().Get("Expires"), 10, 64)
	if err != nil || r.URL.Query().Get("Signature") == "" {
		writeS3Error(w, http.StatusForbidden, "AccessDenied", "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters")
		return
	}
	if time.Now().Unix() > exp {
		writeS3Error(w, http.StatusForbidden, "AccessDenied", "Request has expired")
		return
	}
	s.mu.Lock()
	t, ok := s.results[path.Base(r.URL.Path)]
	var video []byte
	if ok {
		video = t.video
	}
	s.mu.Unlock()
	if !ok {
		writeS3Error(w, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		return
	}
	w.Header().Set("Content-Type", "video/mp4")
	w.Header().Set("Content-Length", strconv.Itoa(len(video)))
	w.Write(video)
}

// videoFor returns the result video for a talk driven by audioURL, and
// its duration in seconds.
func (s *Server) videoFor(audioURL string) ([]byte, float64) {
	s.mu.Lock()
	up, known := s.uploads[audioURL]
	cached, hit := s.videos[audioURL]
	s.mu.Unlock()
	dur := up.duration
	if dur <= 0 {
		dur = 1
	}
	if s.opts.Video != nil {
		return s.opts.Video, dur
	}
	if hit {
		return cached, dur
	}
	if !known {
		return embeddedVideo, 1
	}
	video, err := render(up)
	if err != nil {
		return embeddedVideo, 1
	}
	s.mu.Lock()
	s.videos[audioURL] = video
	s.mu.Unlock()
	return video, dur
}

// render makes a talking-head stand-in with ffmpeg: a colour card with the
// uploaded audio as its sound track.
func render(up upload) ([]byte, error) {
	dir, err := os.MkdirTemp("", "fakedid-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "in"+strings.ToLower(filepath.Ext(up.filename)))
	out := filepath.Join(dir, "out.mp4")
	if err := os.WriteFile(in, up.data, 0o600); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-y",
		"-f", "lavfi", "-i", "color=c=0x4a6fa5:s=256x256:r=25", "-i", in, "-shortest",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "64k", "-movflags", "+faststart", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("ffmpeg: %w: %s", err, msg)
	}
	return os.ReadFile(out)
}

// wavDuration reads a PCM WAV header and returns the duration in seconds,
// 0 when data is not a WAV file.
func wavDuration(data []byte) float64 {
	if len(data) < 12 || string(data[0:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		return 0
	}
	var byteRate uint32
	for off := 12; off+8 <= len(data); {
		id := string(data[off : off+4])
		size := binary.LittleEndian.Uint32(data[off+4 : off+8])
		body := off + 8
		switch id {
		case "fmt ":
			if body+12 <= len(data) {
				byteRate = binary.LittleEndian.Uint32(data[body+8 : body+12])
			}
		case "data":
			if byteRate == 0 {
				return 0
			}
			n := int(size)
			if body+n > len(data) || size == 0xFFFFFFFF {
				n = len(data) - body
			}
			return float64(n) / float64(byteRate)
		}
		off = body + int(size) + int(size&1)
	}
	return 0
}

func errorFor(code int) (kind, desc string) {
	switch code {
	case 400:
		return "BadRequestError", "Failed to validate script"
	case 401:
		return "AuthorizationError", "Unauthorized"
	case 402:
		return "InsufficientCreditsError", "not enough credits"
	case 403:
		return "PermissionError", "user is not allowed to perform this action"
	case 404:
		return "NotFoundError", "not found"
	case 429:
		return "TooManyRequestsError", "too many requests"
	}
	return "UnknownError", "internal server error"
}

func writeError(w http.ResponseWriter, code int, kind, desc string) {
	writeJSON(w, code, map[string]any{"kind": kind, "description": desc})
}

func writeS3Error(w http.ResponseWriter, code int, s3code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(code)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>%s</Code><Message>%s</Message><RequestId>FAKE</RequestId></Error>`, s3code, msg)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	fakehttp.JSON{ContentType: "application/json; charset=utf-8", Length: true}.Write(w, code, v)
}

// droppedAnswer is what a Drop fault sends: a talk promised and never
// finished.
const droppedAnswer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2048\r\n\r\n{\"id\":\"tlk_"
