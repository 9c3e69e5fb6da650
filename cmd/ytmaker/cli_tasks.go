package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/ytmaker/ytmaker/internal/api/wire"
)

func runTasks(ctx context.Context, args []string) int {
	return runGroup(ctx, "tasks", "Look at background tasks.", []subcommand{
		{"show ID", "a task's state, queue, retries, result and error", tasksShow},
	}, args, stdio)
}

func tasksShow(ctx context.Context, args []string, std cliIO) int {
	a := newAPICommand("tasks show", "Show a task (ytmaker tasks show ID): its state, queue, retries, result and error.\nIDs come from generate, resume and batch start, or from a project's stages.", std)
	if code := a.load(args, 1); code >= 0 {
		return code
	}
	t, err := a.client.Task(ctx, a.args[0])
	return a.done(t, err, func(w io.Writer) { printTask(w, t) })
}

func printTask(w io.Writer, t *wire.Task) {
	fmt.Fprintf(w, "Task %s\n", t.ID)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "  %-11s %s\n", k, v)
		}
	}
	row("Type", t.Type)
	row("Queue", t.Queue)
	state := t.State
	if t.QueueState != "" && t.QueueState != t.State {
		state += " (in the queue: " + t.QueueState + ")"
	}
	row("State", state)
	retries := fmt.Sprint(t.Retries)
	if t.MaxRetries > 0 {
		retries += fmt.Sprintf(" of %d", t.MaxRetries)
	}
	row("Retries", retries)
	if t.ProjectID != 0 {
		row("Project", fmt.Sprintf("%d (run %d)", t.ProjectID, t.Run))
	}
	if t.BatchID != 0 {
		row("Batch", fmt.Sprint(t.BatchID))
	}
	when := func(p *time.Time) string {
		if p == nil {
			return ""
		}
		return p.Local().Format("2006-01-02 15:04:05")
	}
	row("Created", when(&t.CreatedAt))
	row("Started", when(t.StartedAt))
	row("Finished", when(t.FinishedAt))
	row("Next run", when(t.NextRunAt))
	if t.Error != nil {
		row("Error", t.Error.Code+": "+t.Error.Message)
	} else {
		row("Last error", t.LastError)
	}
	if len(t.Result) > 0 {
		row("Result", clip(string(t.Result), 300))
	}
}
