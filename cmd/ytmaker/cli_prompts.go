package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ytmaker/ytmaker/internal/api/wire"
)

func runPrompts(ctx context.Context, args []string) int {
	return runGroup(ctx, "prompts", "See and manage the prompt templates the script writers fill in.", []subcommand{
		{"list", "list the templates and the placeholders they may use", promptsList},
		{"show NAME", "print a template's text", promptsShow},
		{"set NAME", "create or replace a template (--file F or --text T, --description D)", promptsSet},
		{"delete NAME", "delete a template", promptsDelete},
	}, args, stdio)
}

func promptsList(ctx context.Context, args []string, std cliIO) int {
	a := newAPICommand("prompts list", "List the prompt templates, the built-in \"default\" first.", std)
	if code := a.load(args, 0); code >= 0 {
		return code
	}
	l, err := a.client.PromptTemplates(ctx)
	return a.done(l, err, func(w io.Writer) {
		rows := [][]string{{"NAME", "DESCRIPTION", "UPDATED"}}
		for _, t := range l.Templates {
			updated := "built in"
			if !t.BuiltIn {
				updated = ago(t.UpdatedAt)
			}
			rows = append(rows, []string{t.Name, clip(t.Description, 50), updated})
		}
		writeTable(w, "", rows)
		fmt.Fprintln(w, "\nPlaceholders:")
		for _, p := range l.Placeholders {
			fmt.Fprintf(w, "  {%s}  %s\n", p.Name, p.Description)
		}
		fmt.Fprintln(w, "\nA project uses one with settings.prompt_template; write {{ and }} for literal braces.")
	})
}

func promptsShow(ctx context.Context, args []string, std cliIO) int {
	a := newAPICommand("prompts show", "Print a prompt template (ytmaker prompts show NAME).", std)
	if code := a.load(args, 1); code >= 0 {
		return code
	}
	t, err := a.client.PromptTemplate(ctx, a.args[0])
	return a.done(t, err, func(w io.Writer) {
		if t.Description != "" {
			fmt.Fprintf(w, "# %s\n", t.Description)
		}
		fmt.Fprint(w, t.Text)
		if !strings.HasSuffix(t.Text, "\n") {
			fmt.Fprintln(w)
		}
	})
}

func promptsSet(ctx context.Context, args []string, std cliIO) int {
	a := newAPICommand("prompts set", "Create or replace a prompt template (ytmaker prompts set NAME --file prompt.txt).", std)
	file := a.cf.fs.String("file", "", "read the template's text from this file (- for standard input)")
	text := a.cf.fs.String("text", "", "the template's text")
	desc := a.cf.fs.String("description", "", "a short description")
	if code := a.load(args, 1); code >= 0 {
		return code
	}
	body := *text
	switch {
	case *file != "" && *text != "":
		fmt.Fprintln(a.io.err, "ytmaker prompts set: give --file or --text, not both")
		return 2
	case *file == "-":
		b, err := io.ReadAll(os.Stdin)
		if err != nil {
			fmt.Fprintf(a.io.err, "ytmaker prompts set: %v\n", err)
			return 1
		}
		body = string(b)
	case *file != "":
		b, err := os.ReadFile(*file)
		if err != nil {
			fmt.Fprintf(a.io.err, "ytmaker prompts set: %v\n", err)
			return 1
		}
		body = string(b)
	case body == "":
		fmt.Fprintln(a.io.err, "ytmaker prompts set: give the text with --file or --text")
		return 2
	}
	t, err := a.client.PutPromptTemplate(ctx, a.args[0], wire.PromptTemplateInput{Description: *desc, Text: body})
	return a.done(t, err, func(w io.Writer) {
		fmt.Fprintf(w, "Saved prompt template %q. Use it with settings.prompt_template = %q.\n", t.Name, t.Name)
	})
}

func promptsDelete(ctx context.Context, args []string, std cliIO) int {
	a := newAPICommand("prompts delete", "Delete a prompt template (ytmaker prompts delete NAME).", std)
	force := a.cf.fs.Bool("force", false, "delete it even while unfinished projects use it (they stop at their next stage)")
	if code := a.load(args, 1); code >= 0 {
		return code
	}
	d, err := a.client.DeletePromptTemplate(ctx, a.args[0], *force)
	return a.done(d, err, func(w io.Writer) { fmt.Fprintf(w, "Deleted prompt template %q.\n", d.Name) })
}
