// Package apiclient is a typed Go client of YTMaker's HTTP API (/api/v1).
// The CLI uses it, so every command works against a running server, local
// or remote:
//
//	c, _ := apiclient.New("http://127.0.0.1:8000", os.Getenv("API_TOKEN"))
//	p, _ := c.CreateProject(ctx, project.Input{Name: "demo", Content: text})
//	run, _ := c.Generate(ctx, p.ID, "")
//	last, err := c.WaitRun(ctx, p.ID, run.Run, func(m progress.Message) { fmt.Println(m.Progress) })
//	res, _ := c.Result(ctx, p.ID)
//
// Errors the server answers are *Error (with the API's code); a server
// that cannot be reached gives an *UnreachableError.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/internal/api/wire"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/quota"
	"github.com/ytmaker/ytmaker/procman"
)

// Client calls one YTMaker server.
type Client struct {
	base   *url.URL
	token  string
	hc     *http.Client // JSON calls
	stream *http.Client // progress streams and downloads: no overall timeout
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient uses hc for JSON calls (default: a client with a 30 s
// timeout). Streams and downloads use hc's transport without a timeout.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		c.hc = hc
		c.stream = &http.Client{Transport: hc.Transport}
	}
}

// New returns a client of the server at baseURL (such as
// "http://127.0.0.1:8000"); token is the server's API_TOKEN ("" for
// none).
func New(baseURL, token string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("apiclient: %q is not an http(s) URL", baseURL)
	}
	c := &Client{base: u, token: token, hc: &http.Client{Timeout: 30 * time.Second}, stream: &http.Client{}}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// BaseURL turns a listen address (HTTP_ADDR, such as 0.0.0.0:8000) into
// the URL a client on this machine dials.
func BaseURL(addr string) string {
	if strings.Contains(addr, "://") {
		return strings.TrimRight(addr, "/")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// URL returns the server's base URL.
func (c *Client) URL() string { return c.base.String() }

// Error is an error answer of the API.
type Error struct {
	Status  int
	Code    string
	Message string
	Details map[string]any
}

func (e *Error) Error() string {
	if f, ok := e.Details["field"].(string); ok && f != "" && !strings.Contains(e.Message, f) {
		return fmt.Sprintf("%s: %s (field %s)", e.Code, e.Message, f)
	}
	return e.Code + ": " + e.Message
}

// Code returns the API error code of err ("" if it is not an API error).
func Code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// UnreachableError means no server answered: none could be reached, or
// (Slow) one took the connection but did not answer in time.
type UnreachableError struct {
	URL  string
	Err  error
	Slow bool
}

func (e *UnreachableError) Error() string {
	if e.Slow {
		return fmt.Sprintf("the YTMaker server at %s took the request but did not answer in time (it may be overloaded): %v", e.URL, e.Err)
	}
	return fmt.Sprintf("no YTMaker server answers at %s (start one with: ytmaker serve): %v", e.URL, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// url joins the base URL and path. path is already escaped (its names
// went through url.PathEscape), so it is kept as the raw path: setting it
// as Path alone would escape its % again, and the server would see
// "..%2Fx" for the name "../x".
func (c *Client) url(path string, q url.Values) string {
	u := *c.base
	raw := strings.TrimRight(u.EscapedPath(), "/") + path
	if p, err := url.PathUnescape(raw); err == nil {
		u.Path, u.RawPath = p, raw
	} else {
		u.Path, u.RawPath = strings.TrimRight(u.Path, "/")+path, ""
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func (c *Client) newRequest(ctx context.Context, method, path string, q url.Values, body io.Reader, ctype string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.url(path, q), body)
	if err != nil {
		return nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return req, nil
}

func (c *Client) send(hc *http.Client, req *http.Request) (*http.Response, error) {
	resp, err := hc.Do(req)
	if err != nil {
		if req.Context().Err() != nil {
			return nil, req.Context().Err()
		}
		return nil, &UnreachableError{URL: c.base.String(), Err: err, Slow: answeredLate(err)}
	}
	return resp, nil
}

// answeredLate reports whether err is a timeout after the connection was
// made: the server is there, so telling the user to start one is wrong.
func answeredLate(err error) bool {
	var ne net.Error
	var op *net.OpError
	return errors.As(err, &ne) && ne.Timeout() && !(errors.As(err, &op) && op.Op == "dial")
}

// decodeError reads an error answer.
func decodeError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var env wire.Envelope[json.RawMessage]
	if json.Unmarshal(b, &env) == nil && env.Error != nil {
		return &Error{Status: resp.StatusCode, Code: env.Error.Code, Message: env.Error.Message, Details: env.Error.Details}
	}
	msg := strings.TrimSpace(string(b))
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	if msg == "" {
		msg = resp.Status
	}
	return &Error{Status: resp.StatusCode, Code: "HTTP_" + strconv.Itoa(resp.StatusCode), Message: msg}
}

// do sends a JSON request (in may be nil) and decodes the envelope's data
// into out (may be nil).
func (c *Client) do(ctx context.Context, method, path string, q url.Values, in, out any) error {
	var body io.Reader
	ctype := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body, ctype = bytes.NewReader(b), "application/json"
	}
	req, err := c.newRequest(ctx, method, path, q, body, ctype)
	if err != nil {
		return err
	}
	return c.roundTrip(req, out)
}

func (c *Client) roundTrip(req *http.Request, out any) error { return c.roundTripWith(c.hc, req, out) }

// upload sends a file (a segment's clip of up to 200 MiB, a logo, a batch
// file) without the JSON calls' overall timeout, which would cut a large
// file on an ordinary uplink; the request's context still bounds it.
func (c *Client) upload(req *http.Request, out any) error { return c.roundTripWith(c.stream, req, out) }

func (c *Client) roundTripWith(hc *http.Client, req *http.Request, out any) error {
	resp, err := c.send(hc, req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return decodeError(resp)
	}
	var env wire.Envelope[json.RawMessage]
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		return fmt.Errorf("apiclient: %s %s: the answer is not JSON: %w", req.Method, req.URL.Path, err)
	}
	if !env.Success {
		return &Error{Status: resp.StatusCode, Code: "UNKNOWN", Message: "the server answered success=false"}
	}
	if out != nil {
		if err := json.Unmarshal(env.Data, out); err != nil {
			return fmt.Errorf("apiclient: %s %s: %w", req.Method, req.URL.Path, err)
		}
	}
	return nil
}

func projectPath(id int64) string { return "/api/v1/projects/" + strconv.FormatInt(id, 10) }
func batchPath(id int64) string   { return "/api/v1/batches/" + strconv.FormatInt(id, 10) }

// Health checks that the server is alive (GET /health).
func (c *Client) Health(ctx context.Context) error {
	req, err := c.newRequest(ctx, "GET", "/health", nil, nil, "")
	if err != nil {
		return err
	}
	resp, err := c.send(c.hc, req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return decodeError(resp)
	}
	return nil
}

// Status returns the server's /status document.
func (c *Client) Status(ctx context.Context) (*procman.Status, error) {
	var s procman.Status
	return &s, c.do(ctx, "GET", "/status", nil, nil, &s)
}

// CreateProject creates a project.
func (c *Client) CreateProject(ctx context.Context, in project.Input) (*wire.Project, error) {
	var p wire.Project
	return &p, c.do(ctx, "POST", "/api/v1/projects", nil, in, &p)
}

// ListOptions filter and page ListProjects. Zero values take the
// server's defaults.
type ListOptions struct {
	Status  string
	BatchID int64
	Query   string // names containing it
	Limit   int
	Offset  int
	Sort    string // created_at, updated_at, name, id, status
	Order   string // asc or desc
}

// ListProjects lists projects.
func (c *Client) ListProjects(ctx context.Context, o ListOptions) (*wire.ProjectList, error) {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" && v != "0" {
			q.Set(k, v)
		}
	}
	set("status", o.Status)
	set("q", o.Query)
	set("batch_id", strconv.FormatInt(o.BatchID, 10))
	set("limit", strconv.Itoa(o.Limit))
	set("offset", strconv.Itoa(o.Offset))
	set("sort", o.Sort)
	set("order", o.Order)
	var l wire.ProjectList
	return &l, c.do(ctx, "GET", "/api/v1/projects", q, nil, &l)
}

// Project returns one project with its state.
func (c *Client) Project(ctx context.Context, id int64) (*wire.Project, error) {
	var p wire.Project
	return &p, c.do(ctx, "GET", projectPath(id), nil, nil, &p)
}

// UpdateProject changes a project that is not running.
func (c *Client) UpdateProject(ctx context.Context, id int64, patch wire.ProjectPatch) (*wire.PatchResult, error) {
	var r wire.PatchResult
	return &r, c.do(ctx, "PATCH", projectPath(id), nil, patch, &r)
}

// DeleteProject deletes a project; deleteFiles also removes its folder.
func (c *Client) DeleteProject(ctx context.Context, id int64, deleteFiles bool) (*wire.Deleted, error) {
	var d wire.Deleted
	return &d, c.do(ctx, "DELETE", projectPath(id), url.Values{"delete_files": {strconv.FormatBool(deleteFiles)}}, nil, &d)
}

// Generate starts making the video from the first unfinished stage, or
// from stage from. While a run is active it returns that run.
func (c *Client) Generate(ctx context.Context, id int64, from string) (*wire.RunRef, error) {
	var in any
	if from != "" {
		in = wire.GenerateRequest{From: from}
	}
	var r wire.RunRef
	return &r, c.do(ctx, "POST", projectPath(id)+"/generate", nil, in, &r)
}

func (c *Client) control(ctx context.Context, id int64, action string) (*wire.RunRef, error) {
	var r wire.RunRef
	return &r, c.do(ctx, "POST", projectPath(id)+"/"+action, nil, nil, &r)
}

// Pause stops the project's run after its current stage.
func (c *Client) Pause(ctx context.Context, id int64) (*wire.RunRef, error) {
	return c.control(ctx, id, "pause")
}

// Resume continues a paused run, or starts one from the first unfinished
// stage.
func (c *Client) Resume(ctx context.Context, id int64) (*wire.RunRef, error) {
	return c.control(ctx, id, "resume")
}

// Cancel stops the project's run now.
func (c *Client) Cancel(ctx context.Context, id int64) (*wire.RunRef, error) {
	return c.control(ctx, id, "cancel")
}

// Retry starts a new run from the failed stage.
func (c *Client) Retry(ctx context.Context, id int64) (*wire.RunRef, error) {
	return c.control(ctx, id, "retry")
}

// Result describes a completed project's video, thumbnail and upload.
func (c *Client) Result(ctx context.Context, id int64) (*wire.Result, error) {
	var r wire.Result
	return &r, c.do(ctx, "GET", projectPath(id)+"/result", nil, nil, &r)
}

// Download writes a project's output — "video", "thumbnail" or
// "script" — to w and returns the number of bytes written.
func (c *Client) Download(ctx context.Context, id int64, kind string, w io.Writer) (int64, error) {
	switch kind {
	case "video", "thumbnail", "script":
	default:
		return 0, fmt.Errorf("apiclient: unknown output %q (video, thumbnail or script)", kind)
	}
	req, err := c.newRequest(ctx, "GET", projectPath(id)+"/"+kind, nil, nil, "")
	if err != nil {
		return 0, err
	}
	resp, err := c.send(c.stream, req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, decodeError(resp)
	}
	return io.Copy(w, resp.Body)
}

// CreateBatch creates a batch from projects; start also starts it.
func (c *Client) CreateBatch(ctx context.Context, in project.BatchInput, start bool) (*wire.Batch, error) {
	var q url.Values
	if start {
		q = url.Values{"start": {"true"}}
	}
	var b wire.Batch
	return &b, c.do(ctx, "POST", "/api/v1/batches", q, in, &b)
}

// BatchFileOptions go with UploadBatch.
type BatchFileOptions struct {
	Name        string // default: the file's name without its extension
	Concurrency int    // 0: the server's default
	Start       bool
}

// UploadBatch creates a batch from a CSV or JSONL file (told by
// filename's extension, .csv or .jsonl/.ndjson).
func (c *Client) UploadBatch(ctx context.Context, filename string, r io.Reader, o BatchFileOptions) (*wire.Batch, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if o.Name != "" {
		mw.WriteField("name", o.Name)
	}
	if o.Concurrency > 0 {
		mw.WriteField("concurrency", strconv.Itoa(o.Concurrency))
	}
	if o.Start {
		mw.WriteField("start", "true")
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, filepath.Base(filename)))
	switch strings.ToLower(filepath.Ext(filename)) {
	case ".csv":
		h.Set("Content-Type", "text/csv")
	case ".jsonl", ".ndjson":
		h.Set("Content-Type", "application/x-ndjson")
	default:
		return nil, fmt.Errorf("apiclient: %s: a batch file must be .csv or .jsonl", filename)
	}
	fw, err := mw.CreatePart(h)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(fw, r); err != nil {
		return nil, err
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	req, err := c.newRequest(ctx, "POST", "/api/v1/batches", nil, &body, mw.FormDataContentType())
	if err != nil {
		return nil, err
	}
	var b wire.Batch
	return &b, c.upload(req, &b)
}

// Batch returns a batch with its projects' status and progress.
func (c *Client) Batch(ctx context.Context, id int64) (*wire.Batch, error) {
	var b wire.Batch
	return &b, c.do(ctx, "GET", batchPath(id), nil, nil, &b)
}

// Batches lists batches, newest first.
func (c *Client) Batches(ctx context.Context, limit, offset int) (*wire.BatchList, error) {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if offset > 0 {
		q.Set("offset", strconv.Itoa(offset))
	}
	var l wire.BatchList
	return &l, c.do(ctx, "GET", "/api/v1/batches", q, nil, &l)
}

func (c *Client) batchControl(ctx context.Context, id int64, action string) (*wire.BatchRunRef, error) {
	var r wire.BatchRunRef
	return &r, c.do(ctx, "POST", batchPath(id)+"/"+action, nil, nil, &r)
}

// StartBatch starts a batch (or joins its current run).
func (c *Client) StartBatch(ctx context.Context, id int64) (*wire.BatchRunRef, error) {
	return c.batchControl(ctx, id, "start")
}

// PauseBatch stops a batch from starting more projects.
func (c *Client) PauseBatch(ctx context.Context, id int64) (*wire.BatchRunRef, error) {
	return c.batchControl(ctx, id, "pause")
}

// ResumeBatch continues a paused batch.
func (c *Client) ResumeBatch(ctx context.Context, id int64) (*wire.BatchRunRef, error) {
	return c.batchControl(ctx, id, "resume")
}

// DebugTask enqueues debug_task (POST /tasks/debug) with payload (nil:
// the server's own).
func (c *Client) DebugTask(ctx context.Context, payload json.RawMessage) (*wire.TaskRef, error) {
	var out wire.TaskRef
	if err := c.do(ctx, http.MethodPost, "/api/v1/tasks/debug", nil, wire.DebugRequest{Payload: payload}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Task returns a task's state, result, error and retries.
func (c *Client) Task(ctx context.Context, id string) (*wire.Task, error) {
	var t wire.Task
	return &t, c.do(ctx, "GET", "/api/v1/tasks/"+url.PathEscape(id), nil, nil, &t)
}

// Quotas returns the quota usage.
func (c *Client) Quotas(ctx context.Context) (*quota.Snapshot, error) {
	var s quota.Snapshot
	return &s, c.do(ctx, "GET", "/api/v1/quotas", nil, nil, &s)
}

func promptPath(name string) string { return "/api/v1/prompt-templates/" + url.PathEscape(name) }

// PromptTemplates lists the prompt templates and their placeholders.
func (c *Client) PromptTemplates(ctx context.Context) (*wire.PromptTemplateList, error) {
	var l wire.PromptTemplateList
	return &l, c.do(ctx, "GET", "/api/v1/prompt-templates", nil, nil, &l)
}

// PromptTemplate returns one prompt template.
func (c *Client) PromptTemplate(ctx context.Context, name string) (*wire.PromptTemplate, error) {
	var t wire.PromptTemplate
	return &t, c.do(ctx, "GET", promptPath(name), nil, nil, &t)
}

// PutPromptTemplate creates or replaces the prompt template called name.
func (c *Client) PutPromptTemplate(ctx context.Context, name string, in wire.PromptTemplateInput) (*wire.PromptTemplate, error) {
	var t wire.PromptTemplate
	return &t, c.do(ctx, "PUT", promptPath(name), nil, in, &t)
}

// DeletePromptTemplate deletes the prompt template called name. Unless
// force is set, a template that unfinished projects name is refused with
// IN_USE.
func (c *Client) DeletePromptTemplate(ctx context.Context, name string, force bool) (*wire.PromptTemplateDeleted, error) {
	var d wire.PromptTemplateDeleted
	return &d, c.do(ctx, "DELETE", promptPath(name), forceQuery(force), nil, &d)
}

// Providers lists the services the server can use and whether each is
// configured (never a key).
func (c *Client) Providers(ctx context.Context) (*wire.ProviderList, error) {
	var l wire.ProviderList
	return &l, c.do(ctx, "GET", "/api/v1/providers", nil, nil, &l)
}

// TestProvider makes the named service's cheapest real call on the
// server. A call that was made returns its outcome (OK false with the
// coded error when the service refused); an unknown, unconfigured or
// too recently tested service is an *Error.
func (c *Client) TestProvider(ctx context.Context, name string) (*wire.ProviderTest, error) {
	var t wire.ProviderTest
	return &t, c.do(ctx, "POST", "/api/v1/providers/"+url.PathEscape(name)+"/test", nil, nil, &t)
}
