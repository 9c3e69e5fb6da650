package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/apiclient"
	"github.com/ytmaker/ytmaker/internal/config"
	"github.com/ytmaker/ytmaker/internal/media/slides"
	"github.com/ytmaker/ytmaker/internal/pipeline"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/workerstages"
	"github.com/ytmaker/ytmaker/procman"
	"github.com/ytmaker/ytmaker/progress"
	"github.com/ytmaker/ytmaker/tasks"
)

// generateOptions are generate's own flags.
type generateOptions struct {
	name, contentFile, language, format, motion, voice, privacy, title string
	captions, theme, brand, promptTemplate, visuals                    string
	noSubtitles, wait, asJSON, noUpload, review                        bool
}

func (o generateOptions) input() (project.Input, error) {
	var content []byte
	var err error
	switch o.contentFile {
	case "":
		return project.Input{}, errors.New("--content-file is required (use - for standard input)")
	case "-":
		content, err = io.ReadAll(io.LimitReader(os.Stdin, 1<<20))
	default:
		content, err = os.ReadFile(o.contentFile)
	}
	if err != nil {
		return project.Input{}, fmt.Errorf("read the content: %w", err)
	}
	in := project.Input{Name: o.name, Content: string(content), Language: o.language}
	in.Settings.Format, in.Settings.Motion, in.Settings.Voice = o.format, o.motion, o.voice
	in.Settings.Captions, in.Settings.Visuals = o.captions, o.visuals
	in.Settings.Theme, in.Settings.Brand, in.Settings.PromptTemplate = o.theme, o.brand, o.promptTemplate
	in.Settings.YouTube.Privacy, in.Settings.YouTube.Title = o.privacy, o.title
	if o.noSubtitles {
		f := false
		in.Settings.Subtitles = &f
	}
	if o.noUpload {
		f := false
		in.Settings.YouTube.Upload = &f
	}
	in.Settings.ReviewScript = o.review
	if in.Name == "" && o.contentFile != "-" {
		in.Name = strings.TrimSuffix(baseName(o.contentFile), ".txt")
	}
	if err := in.Validate(); err != nil {
		return project.Input{}, err
	}
	return in, nil
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

func runGenerate(ctx context.Context, args []string) int {
	cf := newFlagSet("generate", `Make a video from a text file: create a project and run the whole chain (script,
narration and images, render, thumbnail, upload). With --wait it shows live progress and
ends by printing the video and thumbnail paths.

If a YTMaker server runs (ytmaker serve), the job goes to it; otherwise this command
runs the job itself (starting Redis if needed) and waits for it.

  ytmaker generate --name demo --content-file article.txt --wait`)
	cf.common()
	cf.setting("addr", "HTTP_ADDR", "address of a running server, default 127.0.0.1:8000")
	var o generateOptions
	cf.fs.StringVar(&o.name, "name", "", "project name (1-200 characters); default the file name")
	cf.fs.StringVar(&o.contentFile, "content-file", "", "text file with the content (UTF-8; - for standard input)")
	cf.fs.StringVar(&o.language, "language", "", "language tag such as en or zh-TW; default detected")
	cf.fs.StringVar(&o.format, "format", "", "1920x1080 (default) or 1080x1920 (vertical)")
	cf.fs.StringVar(&o.motion, "motion", "", "none (default) or kenburns")
	cf.fs.StringVar(&o.voice, "voice", "", "narration voice (engine-specific)")
	cf.fs.StringVar(&o.privacy, "privacy", "", "YouTube privacy: private (default), unlisted or public")
	cf.fs.StringVar(&o.title, "title", "", "YouTube title; default the script's")
	cf.fs.StringVar(&o.captions, "captions", "", "caption style: sentence (default), word (the spoken word highlighted), punch (1-3 words, large) or none")
	cf.fs.StringVar(&o.theme, "theme", "", "slide theme: auto (default, chosen from the text) or one of "+strings.Join(slides.ThemeNames(), ", "))
	cf.fs.StringVar(&o.visuals, "visuals", "", "pictures: generated (default), stock_video or stock_photo (Pexels or Pixabay; PEXELS_API_KEY or PIXABAY_API_KEY), or slides")
	cf.fs.StringVar(&o.brand, "brand", "", "brand preset (ytmaker brands list): channel cards, logo watermark")
	cf.fs.StringVar(&o.promptTemplate, "prompt-template", "", "script prompt template (ytmaker prompts list); default the built-in one")
	cf.fs.BoolVar(&o.noSubtitles, "no-subtitles", false, "do not burn subtitles in (same as --captions none)")
	cf.fs.BoolVar(&o.noUpload, "no-upload", false, "do not upload to YouTube")
	cf.fs.BoolVar(&o.review, "review", false, "stop after the script for review (ytmaker script show|edit ID, then ytmaker approve ID)")
	cf.fs.BoolVar(&o.wait, "wait", false, "wait for the video, showing progress")
	cf.fs.BoolVar(&o.asJSON, "json", false, "print the final result as JSON")
	c, code := cf.load(args)
	if c == nil {
		return code
	}
	in, err := o.input()
	if err != nil {
		printErr(err)
		return 2
	}
	if n, ok := serverRunning(ctx, c); ok {
		return generateViaServer(ctx, c, n, in, o)
	}
	return generateHere(ctx, c, in, o)
}

// generateHere runs the job in this process: Redis (attached or started),
// a worker with the real pipeline, no HTTP.
func generateHere(ctx context.Context, c *config.Config, in project.Input, o generateOptions) int {
	log := c.Logger(os.Stderr)
	if !explicitLogLevel() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	sigCtx, stop := signalContext()
	defer stop()
	if !dataDirOK(c) {
		return 1
	}
	// This process makes the video: without ffmpeg it cannot, so say so
	// before any project is created or any service is paid.
	if err := ffmpegMissing(c); err != nil {
		printErr(err)
		return 1
	}
	warnMissingTools(c)
	if !useRedisPassword(ctx, c, true) {
		return 1
	}
	wired, err := pipeline.FromConfig(c, nil, log, pipeline.Hooks{})
	if err != nil {
		printErr(err)
		return 1
	}
	defer wired.Close()
	wc := &procman.WorkerConfig{Concurrency: max(2, c.WorkerConcurrency)}
	workerstages.Set(wc, wired.Stages)
	m, err := procman.New(procman.Config{RedisURL: c.RedisURL, Sentinels: c.RedisSentinels, MasterName: c.RedisMasterName,
		RedisPassword: c.RedisPassword, SentinelPassword: c.RedisSentinelPassword, DataDir: c.DataDir, RedisServer: c.RedisServer,
		Worker:          wc,
		ShutdownTimeout: c.ShutdownTimeout, ResultTTL: c.ResultTTL, Limits: tasks.TimeLimits(c.TimeLimits), Logger: log, Out: io.Discard})
	if err != nil {
		printErr(err)
		return 2
	}
	if err := m.StartAll(sigCtx); err != nil {
		printErr(err)
		return 1
	}
	defer m.StopAll(context.Background())
	client := m.Client()
	id, err := client.CreateProject(ctx, in)
	if err != nil {
		printErr(err)
		return 1
	}
	sub, err := client.SubscribeRun(sigCtx, id, progress.NextRun())
	if err != nil {
		printErr(err)
		return 1
	}
	defer sub.Close()
	h, err := client.Chain(ctx, id)
	if err != nil {
		printErr(err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "Project %d: %q (%s). No server is running, so this process makes the video; Ctrl+C pauses it\n(run it again later with `ytmaker serve` + resume).\n", id, in.Name, in.Language)
	bar := newProgressBar(os.Stderr)
	review := false
	for m := range sub.C {
		bar.show(m)
		if m.Final {
			break
		}
		if m.Status == string(project.ScriptReview) {
			review = true
			break
		}
	}
	bar.done()
	if review {
		fmt.Fprintf(os.Stderr, "Project %d: the script waits for your review. Start the server (ytmaker serve), then read or change it\n"+
			"in the studio or with `ytmaker script edit %d`, and continue with `ytmaker approve %d`.\n", id, id, id)
		return 0
	}
	if sigCtx.Err() != nil {
		client.Pause(context.Background(), id)
		fmt.Fprintf(os.Stderr, "Interrupted; project %d is paused. Resume it with: ytmaker serve, then ytmaker resume %d\n", id, id)
		return 130
	}
	raw, err := h.Get(ctx, 10*time.Second)
	return printOutcome(id, raw, err, o.asJSON, c)
}

// printOutcome prints where the video went, or the error with its code.
func printOutcome(id int64, raw json.RawMessage, err error, asJSON bool, c *config.Config) int {
	if err != nil {
		e := errcode.Classify(err)
		if asJSON {
			json.NewEncoder(os.Stdout).Encode(map[string]any{"project_id": id, "success": false, "error": e})
		}
		printErr(e)
		fmt.Fprintf(os.Stderr, "Fix the cause, then resume from the failed stage: ytmaker resume %d\n", id)
		return 1
	}
	if asJSON {
		os.Stdout.Write(raw)
		fmt.Println()
		return 0
	}
	var res struct {
		Uploaded      bool   `json:"uploaded"`
		Reason        string `json:"reason"`
		VideoPath     string `json:"video_path"`
		ThumbnailPath string `json:"thumbnail_path"`
		VideoURL      string `json:"video_url"`
	}
	json.Unmarshal(raw, &res)
	fmt.Printf("✅ Project %d is done.\n", id)
	fmt.Printf("   video:     %s\n", res.VideoPath)
	if res.ThumbnailPath != "" {
		fmt.Printf("   thumbnail: %s\n", res.ThumbnailPath)
	}
	if res.Uploaded {
		fmt.Printf("   YouTube:   %s\n", res.VideoURL)
	} else if res.Reason != "" {
		fmt.Printf("   YouTube:   %s\n", res.Reason)
	}
	return 0
}

func printErr(err error) {
	if e, ok := errcode.As(err); ok {
		fmt.Fprintf(os.Stderr, "ytmaker: %s: %s\n", e.Code, e.Message)
		return
	}
	fmt.Fprintf(os.Stderr, "ytmaker: %v\n", err)
}

func explicitLogLevel() bool {
	_, ok := os.LookupEnv("LOG_LEVEL")
	return ok
}

// progressBar draws progress messages: a redrawn bar on a terminal, one
// line per change of stage otherwise. generate and the CLI's --wait share it.
type progressBar struct {
	w         io.Writer
	tty       bool
	lastStage string
}

func newProgressBar(w io.Writer) *progressBar { return &progressBar{w: w, tty: isTerminal(w)} }

var stageNames = map[string]string{
	progress.StageScript: "script", progress.StageAssets: "assets", progress.StageRender: "render",
	progress.StageThumbnail: "thumbnail", progress.StageUpload: "upload", progress.StageCompleted: "done",
	progress.StageError: "error", progress.StageNotStarted: "waiting",
}

func (b *progressBar) show(m progress.Message) {
	name := stageNames[m.Stage]
	if name == "" {
		name = m.Stage
	}
	eta := ""
	if m.ETASeconds != nil && *m.ETASeconds > 0 {
		eta = fmt.Sprintf("  ETA %s", (time.Duration(*m.ETASeconds) * time.Second).String())
	}
	if !b.tty {
		// One line per stage (its first real message), errors and the end.
		informative := m.Message != "Queued" && m.Message != "Starting"
		if (m.Stage != b.lastStage && informative) || m.Final || m.Error != nil {
			fmt.Fprintf(b.w, "%3d%%  %-9s %s%s\n", m.Progress, name, m.Message, eta)
			b.lastStage = m.Stage
		}
		return
	}
	fmt.Fprintf(b.w, "\r\033[K%s %3d%%  %-9s %s%s", bar(m.Progress, 30), m.Progress, name, clip(m.Message, 50), eta)
}

func (b *progressBar) done() {
	if b.tty {
		fmt.Fprintln(b.w)
	}
}

// serverRunning reports whether a YTMaker server answers at HTTP_ADDR.
func serverRunning(ctx context.Context, c *config.Config) (*apiclient.Client, bool) {
	cl, err := apiclient.New(apiclient.BaseURL(c.HTTPAddr), c.APIToken)
	if err != nil {
		return nil, false
	}
	hctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if cl.Health(hctx) != nil {
		return nil, false
	}
	return cl, true
}

// generateViaServer hands the job to a running server.
func generateViaServer(ctx context.Context, c *config.Config, cl *apiclient.Client, in project.Input, o generateOptions) int {
	p, err := cl.CreateProject(ctx, in)
	if err != nil {
		printErr(err)
		return 1
	}
	run, err := cl.Generate(ctx, p.ID, "")
	if err != nil {
		printErr(err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "Project %d: %q, queued on %s (task %s)\n", p.ID, p.Name, cl.URL(), run.TaskID)
	if !o.wait {
		if o.asJSON {
			json.NewEncoder(os.Stdout).Encode(run)
		} else {
			fmt.Printf("Follow it with: ytmaker projects show %d   (or add --wait)\n", p.ID)
		}
		return 0
	}
	sigCtx, stop := signalContext()
	defer stop()
	bar := newProgressBar(os.Stderr)
	last, err := cl.WaitRun(sigCtx, p.ID, run.Run, bar.show)
	bar.done()
	if sigCtx.Err() != nil {
		fmt.Fprintf(os.Stderr, "Stopped watching; project %d keeps running on the server.\n", p.ID)
		return 130
	}
	if err != nil {
		printErr(err)
		return 1
	}
	if last.Status == string(project.ScriptReview) {
		fmt.Fprintf(os.Stderr, "Project %d: the script waits for your review: read or change it in the studio or with\n"+
			"`ytmaker script edit %d`, then continue with `ytmaker approve %d --wait`.\n", p.ID, p.ID, p.ID)
		return 0
	}
	if last.Error != nil {
		return printOutcome(p.ID, nil, last.Error, o.asJSON, c)
	}
	res, err := cl.Result(ctx, p.ID)
	if err != nil {
		printErr(err)
		return 1
	}
	if o.asJSON {
		json.NewEncoder(os.Stdout).Encode(res)
		return 0
	}
	fmt.Printf("✅ Project %d is done.\n", p.ID)
	if res.Video != nil {
		fmt.Printf("   video:     %s\n", res.Video.Path)
	}
	if res.Thumbnail != nil {
		fmt.Printf("   thumbnail: %s\n", res.Thumbnail.Path)
	}
	if res.YouTube.Uploaded {
		fmt.Printf("   YouTube:   %s\n", res.YouTube.URL)
	} else {
		fmt.Printf("   YouTube:   %s\n", res.YouTube.Status)
	}
	return 0
}
