package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/ytmaker/ytmaker/internal/api/wire"
	"github.com/ytmaker/ytmaker/internal/apiclient"
)

func runBatch(ctx context.Context, args []string) int {
	return runGroup(ctx, "batch", "Make many videos at once: a batch runs a bounded number of its projects at a time.", []subcommand{
		{"create --file F", "create a batch from a .csv or .jsonl file (--start, --name, --concurrency)", batchCreate},
		{"start ID", "start a batch", batchControl("start", (*apiclient.Client).StartBatch)},
		{"pause ID", "start no more of its projects (running ones finish)", batchControl("pause", (*apiclient.Client).PauseBatch)},
		{"resume ID", "go on with a paused batch", batchControl("resume", (*apiclient.Client).ResumeBatch)},
		{"show ID", "every project's status and progress", batchShow},
		{"list", "list batches", batchList},
	}, args, stdio)
}

func batchCreate(ctx context.Context, args []string, std cliIO) int {
	a := newAPICommand("batch create", `Create a batch from a file of projects (ytmaker batch create --file projects.csv).

CSV: a header row, then one project per row. Columns: name and content (required),
language, format, voice, motion, subtitles, privacy, title, description, tags
(separated by |), upload. JSONL: one JSON object per line, as POST /api/v1/projects takes.`, std)
	file := a.cf.fs.String("file", "", "the .csv or .jsonl file")
	var o apiclient.BatchFileOptions
	a.cf.fs.StringVar(&o.Name, "name", "", "the batch's name (default: the file's name)")
	a.cf.fs.IntVar(&o.Concurrency, "concurrency", 0, "projects of the batch made at once (default 2)")
	a.cf.fs.BoolVar(&o.Start, "start", false, "start the batch at once")
	if code := a.load(args, 0); code >= 0 {
		return code
	}
	if *file == "" {
		fmt.Fprintln(a.io.err, "ytmaker batch create: --file is required (a .csv or .jsonl file of projects)")
		return 2
	}
	f, err := os.Open(*file)
	if err != nil {
		fmt.Fprintf(a.io.err, "ytmaker: %v\n", err)
		return 1
	}
	defer f.Close()
	b, err := a.client.UploadBatch(ctx, *file, f, o)
	return a.done(b, err, func(w io.Writer) {
		state := "created; start it with: ytmaker batch start " + fmt.Sprint(b.ID)
		if b.Run != nil {
			state = "started"
		}
		fmt.Fprintf(w, "Batch %d %q: %d projects, %d at a time — %s\n\n", b.ID, b.Name, b.Counts.Total, b.Concurrency, state)
		printBatchProjects(w, b)
	})
}

func batchControl(verb string, call func(c *apiclient.Client, ctx context.Context, id int64) (*wire.BatchRunRef, error)) func(ctx context.Context, args []string, std cliIO) int {
	return func(ctx context.Context, args []string, std cliIO) int {
		a := newAPICommand("batch "+verb, fmt.Sprintf("%s a batch (ytmaker batch %s ID).", map[string]string{
			"start": "Start", "pause": "Pause", "resume": "Resume"}[verb], verb), std)
		if code := a.load(args, 1); code >= 0 {
			return code
		}
		id, ok := a.id(0, "batch")
		if !ok {
			return 2
		}
		ref, err := call(a.client, ctx, id)
		return a.done(ref, err, func(w io.Writer) {
			fmt.Fprintf(w, "Batch %d: %s", id, ref.Status)
			if ref.TaskID != "" {
				fmt.Fprintf(w, " (run %d, task %s)", ref.Run, ref.TaskID)
			}
			fmt.Fprintf(w, "\nFollow it with: ytmaker batch show %d\n", id)
		})
	}
}

func batchShow(ctx context.Context, args []string, std cliIO) int {
	a := newAPICommand("batch show", "Show a batch (ytmaker batch show ID): every project's status and progress.", std)
	if code := a.load(args, 1); code >= 0 {
		return code
	}
	id, ok := a.id(0, "batch")
	if !ok {
		return 2
	}
	b, err := a.client.Batch(ctx, id)
	return a.done(b, err, func(w io.Writer) {
		fmt.Fprintf(w, "Batch %d: %s — %s\n", b.ID, b.Name, b.Status)
		fmt.Fprintf(w, "  Progress  %s %d%%\n", bar(b.Progress, 30), b.Progress)
		c := b.Counts
		fmt.Fprintf(w, "  Projects  %d: %d completed, %d running, %d pending, %d failed, %d cancelled, %d paused\n",
			c.Total, c.Completed, c.Running, c.Pending, c.Failed, c.Cancelled, c.Paused)
		if b.Run != nil {
			fmt.Fprintf(w, "  Run       %d, task %s, started %s\n", b.Run.ID, b.Run.TaskID, ago(b.Run.StartedAt))
		}
		fmt.Fprintln(w)
		printBatchProjects(w, b)
	})
}

func printBatchProjects(w io.Writer, b *wire.Batch) {
	rows := [][]string{{"ID", "NAME", "STATUS", "PROGRESS", "ERROR"}}
	for _, p := range b.Projects {
		errText := ""
		if p.ErrorCode != "" {
			errText = clip(p.ErrorCode+": "+p.Error, 50)
		}
		rows = append(rows, []string{fmt.Sprint(p.ID), clip(p.Name, 32), string(p.Status),
			fmt.Sprintf("%s %3d%%", bar(p.Progress, 10), p.Progress), errText})
	}
	writeTable(w, "  ", rows)
}

func batchList(ctx context.Context, args []string, std cliIO) int {
	a := newAPICommand("batch list", "List batches, newest first.", std)
	limit := a.cf.fs.Int("limit", 20, "how many (1-100)")
	offset := a.cf.fs.Int("offset", 0, "skip this many")
	if code := a.load(args, 0); code >= 0 {
		return code
	}
	l, err := a.client.Batches(ctx, *limit, *offset)
	return a.done(l, err, func(w io.Writer) {
		if len(l.Batches) == 0 {
			fmt.Fprintln(w, "No batches. Make one with: ytmaker batch create --file projects.csv")
			return
		}
		rows := [][]string{{"ID", "NAME", "STATUS", "PROGRESS", "DONE", "UPDATED"}}
		for _, b := range l.Batches {
			rows = append(rows, []string{fmt.Sprint(b.ID), clip(b.Name, 32), b.Status,
				fmt.Sprintf("%s %3d%%", bar(b.Progress, 10), b.Progress), fmt.Sprintf("%d/%d", b.Counts.Completed, b.Counts.Total), ago(b.UpdatedAt)})
		}
		writeTable(w, "", rows)
	})
}
