package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/ytmaker/ytmaker/internal/api/wire"
	"github.com/ytmaker/ytmaker/internal/apiclient"
)

// subcommand is one verb of a command group (projects list, batch start).
type subcommand struct {
	name, usage string
	run         func(ctx context.Context, args []string, std cliIO) int
}

// runGroup dispatches "ytmaker <group> <verb> ...".
func runGroup(ctx context.Context, group, summary string, subs []subcommand, args []string, std cliIO) int {
	help := func(w io.Writer) {
		fmt.Fprintf(w, "Usage: ytmaker %s <command> [flags]\n\n%s\n\nCommands:\n", group, summary)
		for _, s := range subs {
			fmt.Fprintf(w, "  %-28s %s\n", group+" "+s.name, s.usage)
		}
		fmt.Fprintf(w, "\nEvery command takes --addr (HTTP_ADDR) and --json; API_TOKEN comes from the environment or .env.\n")
	}
	if len(args) == 0 {
		help(std.err)
		return 2
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		help(std.out)
		return 0
	}
	for _, s := range subs {
		if strings.Fields(s.name)[0] == args[0] {
			return s.run(ctx, args[1:], std)
		}
	}
	fmt.Fprintf(std.err, "ytmaker %s: unknown command %q\n\n", group, args[0])
	help(std.err)
	return 2
}

func runProjects(ctx context.Context, args []string) int {
	return runGroup(ctx, "projects", "See and manage the projects of a running YTMaker server.", []subcommand{
		{"list", "list projects (--status, --batch, --limit, --offset, --sort, --order)", projectsList},
		{"show ID", "a project's status, stages, errors and files", projectsShow},
		{"delete ID", "delete a project (--delete-files also removes its folder)", projectsDelete},
	}, args, stdio)
}

func projectsList(ctx context.Context, args []string, std cliIO) int {
	a := newAPICommand("projects list", "List projects, newest first.", std)
	var o apiclient.ListOptions
	a.cf.fs.StringVar(&o.Status, "status", "", "only this status (COMPLETED, FAILED, RENDERING, ...)")
	a.cf.fs.Int64Var(&o.BatchID, "batch", 0, "only the projects of this batch")
	a.cf.fs.IntVar(&o.Limit, "limit", 20, "how many (1-100)")
	a.cf.fs.IntVar(&o.Offset, "offset", 0, "skip this many")
	a.cf.fs.StringVar(&o.Sort, "sort", "", "created_at (default), updated_at, name, id or status")
	a.cf.fs.StringVar(&o.Order, "order", "", "asc or desc (default)")
	if code := a.load(args, 0); code >= 0 {
		return code
	}
	list, err := a.client.ListProjects(ctx, o)
	return a.done(list, err, func(w io.Writer) {
		if len(list.Projects) == 0 {
			fmt.Fprintf(w, "No projects%s. Make one with: ytmaker generate --content-file article.txt\n", filterNote(o))
			return
		}
		rows := [][]string{{"ID", "NAME", "STATUS", "PROGRESS", "STAGE", "UPDATED"}}
		for _, p := range list.Projects {
			status := string(p.Status)
			if p.ErrorCode != "" {
				status += " (" + p.ErrorCode + ")"
			}
			stage := string(p.CurrentStage)
			if stage == "" {
				stage = "-"
			}
			rows = append(rows, []string{fmt.Sprint(p.ID), clip(p.Name, 32), status,
				fmt.Sprintf("%s %3d%%", bar(p.Progress, 10), p.Progress), stage, ago(p.UpdatedAt)})
		}
		writeTable(w, "", rows)
		fmt.Fprintf(w, "%d–%d of %d projects%s\n", list.Offset+1, list.Offset+len(list.Projects), list.Total, filterNote(o))
	})
}

func filterNote(o apiclient.ListOptions) string {
	var parts []string
	if o.Status != "" {
		parts = append(parts, "status "+strings.ToUpper(o.Status))
	}
	if o.BatchID != 0 {
		parts = append(parts, fmt.Sprintf("batch %d", o.BatchID))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func projectsShow(ctx context.Context, args []string, std cliIO) int {
	a := newAPICommand("projects show", "Show a project (ytmaker projects show ID): status, progress, every stage, errors and files.", std)
	if code := a.load(args, 1); code >= 0 {
		return code
	}
	id, ok := a.id(0, "project")
	if !ok {
		return 2
	}
	p, err := a.client.Project(ctx, id)
	return a.done(p, err, func(w io.Writer) { printProject(w, p, a.client.URL()) })
}

func printProject(w io.Writer, p *wire.Project, base string) {
	fmt.Fprintf(w, "Project %d: %s\n", p.ID, p.Name)
	fmt.Fprintf(w, "  Status    %s\n", p.Status)
	fmt.Fprintf(w, "  Progress  %s %d%%\n", bar(p.Progress, 30), p.Progress)
	fmt.Fprintf(w, "  Language  %s   Format %s   Motion %s   Subtitles %v\n", p.Language, p.Settings.Format, p.Settings.Motion, p.Settings.SubtitlesOn())
	if p.BatchID != 0 {
		fmt.Fprintf(w, "  Batch     %d\n", p.BatchID)
	}
	if r := p.Run; r != nil {
		fmt.Fprintf(w, "  Run       %d (%s), %s, task %s\n", r.ID, r.Kind, r.State, r.TaskID)
	}
	fmt.Fprintf(w, "  Created   %s, updated %s\n", p.CreatedAt.Local().Format("2006-01-02 15:04:05"), ago(p.UpdatedAt))
	fmt.Fprintln(w)
	rows := [][]string{{"STAGE", "STATUS", "ATTEMPTS", "TOOK", "ERROR"}}
	for _, s := range p.Stages {
		took := "-"
		if s.DurationSeconds != nil {
			took = fmt.Sprintf("%.1fs", *s.DurationSeconds)
		}
		errText := ""
		if s.Error != nil {
			errText = clip(s.Error.Code+": "+s.Error.Message, 60)
		}
		rows = append(rows, []string{string(s.Name), string(s.Status), fmt.Sprint(s.Attempts), took, errText})
	}
	writeTable(w, "  ", rows)
	if p.Error != nil {
		fmt.Fprintf(w, "\n  Error: %s: %s\n", p.Error.Code, p.Error.Message)
	}
	if o := p.Outputs; o != (wire.Outputs{}) {
		fmt.Fprintln(w, "\n  Files:")
		for _, f := range []struct{ name, url string }{{"video", o.VideoURL}, {"thumbnail", o.ThumbnailURL}, {"script", o.ScriptURL}} {
			if f.url != "" {
				fmt.Fprintf(w, "    %-10s %s%s\n", f.name, base, f.url)
			}
		}
	}
}

func projectsDelete(ctx context.Context, args []string, std cliIO) int {
	a := newAPICommand("projects delete", "Delete a project (ytmaker projects delete ID). Its files are kept under DATA_DIR/deleted/\nunless --delete-files is given. A running project must be paused or cancelled first.", std)
	files := a.cf.fs.Bool("delete-files", false, "also delete the project's folder and every file in it")
	if code := a.load(args, 1); code >= 0 {
		return code
	}
	id, ok := a.id(0, "project")
	if !ok {
		return 2
	}
	d, err := a.client.DeleteProject(ctx, id, *files)
	return a.done(d, err, func(w io.Writer) {
		if d.FilesDeleted {
			fmt.Fprintf(w, "Deleted project %d and its files.\n", id)
		} else {
			fmt.Fprintf(w, "Deleted project %d (its files were moved under DATA_DIR/deleted/).\n", id)
		}
	})
}

// controlCommand builds resume, pause, cancel and retry.
func controlCommand(verb, summary string, call func(c *apiclient.Client, ctx context.Context, id int64) (*wire.RunRef, error), canWait bool) func(ctx context.Context, args []string) int {
	return func(ctx context.Context, args []string) int {
		return runControl(ctx, args, stdio, verb, summary, call, canWait)
	}
}

func runControl(ctx context.Context, args []string, std cliIO, verb, summary string,
	call func(c *apiclient.Client, ctx context.Context, id int64) (*wire.RunRef, error), canWait bool) int {
	a := newAPICommand(verb, summary, std)
	var wait *bool
	if canWait {
		wait = a.cf.fs.Bool("wait", false, "follow the run's progress until it ends")
	}
	if code := a.load(args, 1); code >= 0 {
		return code
	}
	id, ok := a.id(0, "project")
	if !ok {
		return 2
	}
	ref, err := call(a.client, ctx, id)
	if err != nil {
		return a.fail(err)
	}
	if wait != nil && *wait {
		if !*a.asJSON {
			fmt.Fprintf(a.io.out, "Project %d: run %d (task %s)\n", id, ref.Run, ref.TaskID)
		}
		sigCtx, stop := signalContext()
		defer stop()
		return a.follow(sigCtx, id, ref.Run)
	}
	return a.done(ref, nil, func(w io.Writer) {
		what := map[string]string{"resume": "resumed", "pause": "will pause after its current stage", "cancel": "cancelled",
			"retry": "retrying from the failed stage"}[verb]
		if verb == "pause" && ref.Status == "paused" {
			what = "paused"
		}
		if verb == "cancel" && ref.Status != "cancelled" {
			what = "cancelling (the running stage is being stopped)"
		}
		fmt.Fprintf(w, "Project %d %s — run %d, %s (task %s)\n", id, what, ref.Run, ref.Status, ref.TaskID)
		if ref.AlreadyRunning {
			fmt.Fprintln(w, "(it was already running: this is the same run)")
		}
	})
}

var (
	runResume = controlCommand("resume", "Resume a project (ytmaker resume ID): a paused run goes on; otherwise a new run starts\nat the first unfinished stage, reusing finished work.",
		(*apiclient.Client).Resume, true)
	runPause = controlCommand("pause", "Pause a project (ytmaker pause ID): its run stops after the current stage. Resume it with ytmaker resume ID.",
		(*apiclient.Client).Pause, false)
	runCancel = controlCommand("cancel", "Cancel a project's run now (ytmaker cancel ID): the running stage is stopped and not retried.",
		(*apiclient.Client).Cancel, false)
	runRetry = controlCommand("retry", "Retry a failed project (ytmaker retry ID) from the stage that failed.",
		(*apiclient.Client).Retry, true)
)
