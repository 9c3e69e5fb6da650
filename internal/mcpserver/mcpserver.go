// Package mcpserver offers YTMaker to agents over the Model Context
// Protocol: tools to make a video from a text, follow it, list projects,
// and pause, resume, cancel or retry one. The tools drive YTMaker's HTTP
// API through its Go client, so the rules and the error codes are the
// API's: `ytmaker mcp` (stdio) talks to a running server, and the server
// itself answers streamable HTTP at /mcp with an in-process client.
package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ytmaker/ytmaker/internal/api/wire"
	"github.com/ytmaker/ytmaker/internal/apiclient"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/script"
)

// Config configures the MCP server.
type Config struct {
	// Client is the YTMaker API the tools drive. Required.
	Client *apiclient.Client
	// PublicURL is the server's address as clients reach it, for the
	// URLs in answers ("" = the client's URL).
	PublicURL string
	Version   string
	Logger    *slog.Logger
}

// New returns the MCP server with YTMaker's tools.
func New(cfg Config) *mcp.Server {
	if cfg.PublicURL == "" {
		cfg.PublicURL = cfg.Client.URL()
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	s := mcp.NewServer(&mcp.Implementation{Name: "ytmaker", Title: "YTMaker", Version: cfg.Version},
		&mcp.ServerOptions{Logger: cfg.Logger, Instructions: "YTMaker turns a text into a narrated, subtitled YouTube video. " +
			"Call create_video with the text; it answers a project_id at once while the video is made in the background " +
			"(typically one to a few minutes). Follow it with get_project until status is COMPLETED (result holds the " +
			"video's path and URL) or FAILED (error holds a code and what went wrong; retry_project continues from the failed stage)."})
	s.AddReceivingMiddleware(codeArgumentErrors)
	t := &tools{cfg: cfg, c: cfg.Client}
	mcp.AddTool(s, &mcp.Tool{Name: "create_video", Title: "Make a video from a text", InputSchema: createSchema(),
		Description: "Create a YTMaker project from a text and start making its video: script, narration, pictures, " +
			"render, thumbnail and (when YouTube is connected and settings.youtube.upload is not false) upload. Returns the " +
			"project_id at once; follow progress with get_project. settings takes the API's project settings: format " +
			"(1920x1080 or 1080x1920), voice, motion (none or kenburns), subtitles (true/false), music (a file in " +
			"DATA_DIR/music), music_volume (0-1), max_segments (3-50), providers {script: auto|gemini|offline, tts: " +
			"auto|google|offline, images: auto|stability|openai|gemini|offline, avatar: auto|did|none} and youtube {upload, title, " +
			"description, tags, privacy: public|unlisted|private, publish_at (RFC 3339), category_id}. Invalid values are " +
			"refused with INVALID_INPUT naming the field."}, t.createVideo)
	mcp.AddTool(s, &mcp.Tool{Name: "get_project", Title: "Get a project",
		Description: "A project's status (INITIALIZED, SCRIPT_GENERATING, ..., COMPLETED, FAILED, PAUSED, CANCELLED), " +
			"overall percent, current stage, error (code and message), and once made the result: video and thumbnail " +
			"paths on the server, their download URLs, and the YouTube URL or why it was not uploaded."}, t.getProject)
	mcp.AddTool(s, &mcp.Tool{Name: "list_projects", Title: "List projects",
		Description: "Projects, newest first, with status and percent. Filter by status or by a part of the name; page with limit and offset."}, t.listProjects)
	control := func(name, title, desc string, call func(context.Context, int64) (*wire.RunRef, error)) {
		mcp.AddTool(s, &mcp.Tool{Name: name, Title: title, Description: desc},
			func(ctx context.Context, _ *mcp.CallToolRequest, in projectRef) (*mcp.CallToolResult, runOut, error) {
				if err := in.check(); err != nil {
					return nil, runOut{}, err
				}
				ref, err := call(ctx, in.ProjectID)
				if err != nil {
					return nil, runOut{}, toolError(err)
				}
				return nil, runOutOf(ref), nil
			})
	}
	control("pause_project", "Pause a project", "Stop the project's run after its current stage (resume_project continues it). "+
		"PROJECT_NOT_RUNNING when nothing runs.", t.c.Pause)
	control("resume_project", "Resume a project", "Continue a paused project, or start one that has not run, from its first unfinished stage.", t.c.Resume)
	control("cancel_project", "Cancel a project", "Stop the project's run now. Finished stages are kept; retry_project continues later.", t.c.Cancel)
	control("retry_project", "Retry a project", "Run a failed or cancelled project again from the stage that did not finish. "+
		"NOTHING_TO_RETRY when it has not failed.", t.c.Retry)
	mcp.AddTool(s, &mcp.Tool{Name: "get_script", Title: "Get a project's script",
		Description: "The script the script stage wrote: title, description, tags, language and segments (type intro, " +
			"content or outro; the narrated text; an English image prompt). OUTPUT_NOT_READY before it exists."}, t.getScript)
	mcp.AddTool(s, &mcp.Tool{Name: "update_script", Title: "Replace a project's script",
		Description: "Replace the script of a project that waits for review (status SCRIPT_REVIEW) or is not running. Segments " +
			"may be edited, added, removed or reordered: the first must be an intro, the last an outro, at least three in " +
			"all. Only the narration and pictures of changed segments are made again. Bad input is INVALID_INPUT naming the field."}, t.updateScript)
	control("approve_project", "Approve the script", "Continue a project that waits for its script to be reviewed "+
		"(status SCRIPT_REVIEW; created with settings.review_script): the narration, pictures, render and the rest follow. "+
		"NOT_IN_REVIEW otherwise.", t.c.Approve)
	return s
}

// settingsHelp describes each project setting in create_video's schema.
var settingsHelp = map[string]string{
	"format":       "1920x1080 (16:9, default) or 1080x1920 (9:16, Shorts); 16:9 and 9:16 also work",
	"voice":        "a voice name of the narration service; empty for the language's default",
	"motion":       "none (default) or kenburns (slow zoom and pan)",
	"subtitles":    "burn in subtitles (default true)",
	"music":        "background music: a file name in DATA_DIR/music",
	"music_volume": "music volume from 0 to 1 (default 0.15)",
	"max_segments": "most segments in the script, 3-50 (default 12)",
	"avatar":       "add a talking avatar when the avatar service is configured",
	"youtube":      "upload settings: upload (default true), title, description, tags, privacy (public, unlisted, private; default private), publish_at (RFC 3339, keeps it private until then), category_id",
	"providers":    "service per stage: script auto|gemini|offline, tts auto|google|offline, images auto|stability|openai|gemini|offline, avatar auto|did|none (auto: online when its key is set)",
}

// createSchema is create_video's input schema: inferred from its Go
// type, with every setting optional (the API fills in defaults) and
// described.
func createSchema() *jsonschema.Schema {
	s, err := jsonschema.For[createIn](nil)
	if err != nil {
		panic(err) // a programming error, caught by every test
	}
	var optional func(*jsonschema.Schema)
	optional = func(x *jsonschema.Schema) {
		if x == nil {
			return
		}
		x.Required = nil
		for _, p := range x.Properties {
			optional(p)
		}
		optional(x.Items)
	}
	settings := s.Properties["settings"]
	optional(settings)
	for name, help := range settingsHelp {
		if p := settings.Properties[name]; p != nil {
			p.Description = help
		}
	}
	return s
}

// Handler serves the MCP server over streamable HTTP. It is stateless:
// any server of a fleet can answer any request.
func Handler(s *mcp.Server) http.Handler {
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, &mcp.StreamableHTTPOptions{Stateless: true})
}

type tools struct {
	cfg Config
	c   *apiclient.Client
}

// codedError is a tool error carrying the API's code: the text reads
// "CODE: message" (with details as JSON when there are any), so agents
// can branch on the code.
type codedError struct {
	Code    string
	Message string
	Details map[string]any
}

func (e *codedError) Error() string {
	s := e.Code + ": " + e.Message
	if len(e.Details) > 0 {
		if b, err := json.Marshal(e.Details); err == nil {
			s += " " + string(b)
		}
	}
	return s
}

// toolError turns a client error into a coded tool error.
func toolError(err error) error {
	var ae *apiclient.Error
	if errors.As(err, &ae) {
		return &codedError{Code: ae.Code, Message: ae.Message, Details: ae.Details}
	}
	var ue *apiclient.UnreachableError
	if errors.As(err, &ue) {
		return &codedError{Code: "SERVER_UNREACHABLE", Message: ue.Error()}
	}
	return &codedError{Code: "INTERNAL_ERROR", Message: err.Error()}
}

func invalid(field, msg string) error {
	return &codedError{Code: "INVALID_INPUT", Message: field + ": " + msg, Details: map[string]any{"field": field}}
}

type createIn struct {
	Name    string `json:"name" jsonschema:"the project's name, 1-200 characters"`
	Content string `json:"content" jsonschema:"the text to make the video from (an article or a script), up to 20000 characters"`
	// Language is optional: detected from the text when empty.
	Language string            `json:"language,omitempty" jsonschema:"BCP 47 tag of the narration, such as en or zh-TW; empty or auto detects it"`
	Settings *project.Settings `json:"settings,omitempty" jsonschema:"how the video is made; see the tool description"`
	Start    *bool             `json:"start,omitempty" jsonschema:"start making the video at once (default true)"`
}

type createOut struct {
	ProjectID int64  `json:"project_id" jsonschema:"the new project's ID"`
	Name      string `json:"name"`
	Language  string `json:"language" jsonschema:"the narration language used"`
	Status    string `json:"status" jsonschema:"the project's status"`
	TaskID    string `json:"task_id,omitempty" jsonschema:"the run's task ID when started"`
	URL       string `json:"url" jsonschema:"the project's page in the studio"`
}

func (t *tools) createVideo(ctx context.Context, _ *mcp.CallToolRequest, in createIn) (*mcp.CallToolResult, createOut, error) {
	pin := project.Input{Name: in.Name, Content: in.Content, Language: in.Language}
	if in.Settings != nil {
		pin.Settings = *in.Settings
	}
	p, err := t.c.CreateProject(ctx, pin)
	if err != nil {
		return nil, createOut{}, toolError(err)
	}
	out := createOut{ProjectID: p.ID, Name: p.Name, Language: p.Language, Status: string(p.Status),
		URL: fmt.Sprintf("%s/projects/%d", t.cfg.PublicURL, p.ID)}
	if in.Start == nil || *in.Start {
		ref, err := t.c.Generate(ctx, p.ID, "")
		if err != nil {
			return nil, createOut{}, toolError(err)
		}
		out.TaskID, out.Status = ref.TaskID, string(ref.ProjectStatus)
	}
	return nil, out, nil
}

type projectRef struct {
	ProjectID int64 `json:"project_id" jsonschema:"the project's ID, as create_video or list_projects gave it"`
}

func (p projectRef) check() error {
	if p.ProjectID <= 0 {
		return invalid("project_id", "must be a positive integer")
	}
	return nil
}

type errorOut struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Stage   string `json:"stage,omitempty"`
}

type resultOut struct {
	VideoPath     string `json:"video_path,omitempty" jsonschema:"the MP4 on the server's disk"`
	VideoURL      string `json:"video_url,omitempty" jsonschema:"download URL of the MP4 (range requests work)"`
	ThumbnailPath string `json:"thumbnail_path,omitempty"`
	ThumbnailURL  string `json:"thumbnail_url,omitempty"`
	ScriptURL     string `json:"script_url,omitempty"`
	YouTubeURL    string `json:"youtube_url,omitempty" jsonschema:"the uploaded video, when it was uploaded"`
	YouTubeStatus string `json:"youtube_status" jsonschema:"uploaded, or not uploaded: the reason"`
}

type projectOut struct {
	ProjectID int64      `json:"project_id"`
	Name      string     `json:"name"`
	Language  string     `json:"language"`
	Status    string     `json:"status" jsonschema:"INITIALIZED, SCRIPT_GENERATING, SCRIPT_GENERATED, ASSETS_GENERATING, ASSETS_GENERATED, RENDERING, RENDERED, THUMBNAIL_GENERATING, THUMBNAIL_GENERATED, UPLOADING, COMPLETED, FAILED, PAUSED or CANCELLED"`
	Progress  int        `json:"progress" jsonschema:"overall percent done"`
	Stage     string     `json:"stage,omitempty" jsonschema:"the stage it is at: script, assets, render, thumbnail or upload"`
	Stages    []stageOut `json:"stages"`
	Error     *errorOut  `json:"error,omitempty" jsonschema:"why it failed or was cancelled"`
	Result    *resultOut `json:"result,omitempty" jsonschema:"the files made so far"`
	URL       string     `json:"url" jsonschema:"the project's page in the studio"`
}

type stageOut struct {
	Name     string    `json:"name"`
	Status   string    `json:"status" jsonschema:"pending, queued, running, retrying, waiting, completed, skipped, failed or cancelled"`
	Attempts int       `json:"attempts"`
	Error    *errorOut `json:"error,omitempty"`
}

func (t *tools) abs(path string) string {
	if path == "" {
		return ""
	}
	return t.cfg.PublicURL + path
}

func (t *tools) getProject(ctx context.Context, _ *mcp.CallToolRequest, in projectRef) (*mcp.CallToolResult, projectOut, error) {
	if err := in.check(); err != nil {
		return nil, projectOut{}, err
	}
	p, err := t.c.Project(ctx, in.ProjectID)
	if err != nil {
		return nil, projectOut{}, toolError(err)
	}
	out := projectOut{ProjectID: p.ID, Name: p.Name, Language: p.Language, Status: string(p.Status), Progress: p.Progress,
		Stage: string(p.CurrentStage), Stages: []stageOut{}, URL: fmt.Sprintf("%s/projects/%d", t.cfg.PublicURL, p.ID)}
	if p.Error != nil {
		out.Error = &errorOut{Code: p.Error.Code, Message: p.Error.Message, Stage: p.Error.Stage}
	}
	for _, s := range p.Stages {
		so := stageOut{Name: string(s.Name), Status: string(s.Status), Attempts: s.Attempts}
		if s.Error != nil {
			so.Error = &errorOut{Code: s.Error.Code, Message: s.Error.Message}
		}
		out.Stages = append(out.Stages, so)
	}
	o := p.Outputs
	if o.VideoURL != "" || o.ThumbnailURL != "" || o.ScriptURL != "" {
		out.Result = &resultOut{VideoURL: t.abs(o.VideoURL), ThumbnailURL: t.abs(o.ThumbnailURL), ScriptURL: t.abs(o.ScriptURL),
			YouTubeStatus: "not uploaded: the video is not finished"}
	}
	if p.Status == project.Completed {
		res, err := t.c.Result(ctx, p.ID)
		if err != nil {
			return nil, projectOut{}, toolError(err)
		}
		r := &resultOut{YouTubeStatus: res.YouTube.Status, YouTubeURL: res.YouTube.URL}
		if res.Video != nil {
			r.VideoPath, r.VideoURL = res.Video.Path, t.abs(res.Video.URL)
		}
		if res.Thumbnail != nil {
			r.ThumbnailPath, r.ThumbnailURL = res.Thumbnail.Path, t.abs(res.Thumbnail.URL)
		}
		if res.Script != nil {
			r.ScriptURL = t.abs(res.Script.URL)
		}
		out.Result = r
	}
	return nil, out, nil
}

type listIn struct {
	Status string `json:"status,omitempty" jsonschema:"only projects with this status, such as FAILED or COMPLETED"`
	Query  string `json:"query,omitempty" jsonschema:"only projects whose name contains this text"`
	Limit  int    `json:"limit,omitempty" jsonschema:"page size, 1-100 (default 20)"`
	Offset int    `json:"offset,omitempty" jsonschema:"projects to skip"`
}

type summaryOut struct {
	ProjectID  int64  `json:"project_id"`
	Name       string `json:"name"`
	Status     string `json:"status"`
	Progress   int    `json:"progress"`
	Stage      string `json:"stage,omitempty"`
	ErrorCode  string `json:"error_code,omitempty"`
	YouTubeURL string `json:"youtube_url,omitempty"`
	CreatedAt  string `json:"created_at"`
}

type listOut struct {
	Projects []summaryOut `json:"projects"`
	Total    int          `json:"total" jsonschema:"projects matching, before paging"`
}

func (t *tools) listProjects(ctx context.Context, _ *mcp.CallToolRequest, in listIn) (*mcp.CallToolResult, listOut, error) {
	if in.Limit < 0 || in.Limit > 100 {
		return nil, listOut{}, invalid("limit", "must be between 1 and 100")
	}
	if in.Offset < 0 {
		return nil, listOut{}, invalid("offset", "must not be negative")
	}
	l, err := t.c.ListProjects(ctx, apiclient.ListOptions{Status: in.Status, Query: in.Query, Limit: in.Limit, Offset: in.Offset})
	if err != nil {
		return nil, listOut{}, toolError(err)
	}
	out := listOut{Projects: []summaryOut{}, Total: l.Total}
	for _, p := range l.Projects {
		out.Projects = append(out.Projects, summaryOut{ProjectID: p.ID, Name: p.Name, Status: string(p.Status), Progress: p.Progress,
			Stage: string(p.CurrentStage), ErrorCode: p.ErrorCode, YouTubeURL: p.YouTubeURL, CreatedAt: p.CreatedAt.UTC().Format("2006-01-02T15:04:05Z")})
	}
	return nil, out, nil
}

type runOut struct {
	ProjectID     int64    `json:"project_id"`
	TaskID        string   `json:"task_id,omitempty"`
	Run           int      `json:"run,omitempty"`
	RunStatus     string   `json:"run_status" jsonschema:"the run's state: queued, running, paused, succeeded, failed or cancelled"`
	ProjectStatus string   `json:"project_status"`
	Stages        []string `json:"stages,omitempty" jsonschema:"the stages this run makes"`
	// AlreadyRunning: the project was busy and this is the run that was there.
	AlreadyRunning  bool `json:"already_running,omitempty"`
	PauseRequested  bool `json:"pause_requested,omitempty"`
	CancelRequested bool `json:"cancel_requested,omitempty"`
}

func runOutOf(r *wire.RunRef) runOut {
	out := runOut{ProjectID: r.ProjectID, TaskID: r.TaskID, Run: r.Run, RunStatus: string(r.Status), ProjectStatus: string(r.ProjectStatus),
		AlreadyRunning: r.AlreadyRunning, PauseRequested: r.PauseRequested, CancelRequested: r.CancelRequested}
	for _, s := range r.Stages {
		out.Stages = append(out.Stages, string(s))
	}
	return out
}

type scriptIn struct {
	ProjectID int64          `json:"project_id" jsonschema:"the project's ID"`
	Script    *script.Script `json:"script" jsonschema:"the whole new script, as get_script returns it"`
}

type scriptOut struct {
	ProjectID int64          `json:"project_id"`
	Script    *script.Script `json:"script"`
	Reset     []string       `json:"reset,omitempty" jsonschema:"stages that will be made again"`
}

func (t *tools) getScript(ctx context.Context, _ *mcp.CallToolRequest, in projectRef) (*mcp.CallToolResult, scriptOut, error) {
	if err := in.check(); err != nil {
		return nil, scriptOut{}, err
	}
	sc, err := t.c.Script(ctx, in.ProjectID)
	if err != nil {
		return nil, scriptOut{}, toolError(err)
	}
	return nil, scriptOut{ProjectID: in.ProjectID, Script: sc}, nil
}

func (t *tools) updateScript(ctx context.Context, _ *mcp.CallToolRequest, in scriptIn) (*mcp.CallToolResult, scriptOut, error) {
	if err := (projectRef{in.ProjectID}).check(); err != nil {
		return nil, scriptOut{}, err
	}
	if in.Script == nil {
		return nil, scriptOut{}, invalid("script", "is required")
	}
	up, err := t.c.UpdateScript(ctx, in.ProjectID, in.Script)
	if err != nil {
		return nil, scriptOut{}, toolError(err)
	}
	out := scriptOut{ProjectID: in.ProjectID, Script: up.Script}
	for _, s := range up.Reset {
		out.Reset = append(out.Reset, string(s))
	}
	return nil, out, nil
}

// ToolNames lists the tools, sorted (for documentation and tests).
func ToolNames() []string {
	n := []string{"create_video", "get_project", "list_projects", "pause_project", "resume_project", "cancel_project", "retry_project",
		"get_script", "update_script", "approve_project"}
	sort.Strings(n)
	return n
}

// codedText is a tool error's text that starts with a code.
var codedText = regexp.MustCompile(`^[A-Z][A-Z0-9_]*: `)

// codeArgumentErrors gives a code to the tool errors that come from the
// SDK itself: arguments that do not decode into the tool's input (a
// project_id of 1e30, a string for a number) or fail its schema. The
// tools' own errors already start with the API's code; these now start
// with INVALID_INPUT, so an agent can branch on every refusal the same
// way.
func codeArgumentErrors(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		res, err := next(ctx, method, req)
		if r, ok := res.(*mcp.CallToolResult); ok && err == nil && r.IsError {
			for _, c := range r.Content {
				if tc, ok := c.(*mcp.TextContent); ok && !codedText.MatchString(tc.Text) {
					tc.Text = "INVALID_INPUT: " + tc.Text
				}
			}
		}
		return res, err
	}
}
