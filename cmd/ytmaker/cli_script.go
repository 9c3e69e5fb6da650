package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/ytmaker/ytmaker/internal/apiclient"
	"github.com/ytmaker/ytmaker/internal/script"
)

// runScript is "ytmaker script show|edit ID": read or change the script of
// a project, typically one waiting in SCRIPT_REVIEW.
func runScript(ctx context.Context, args []string) int {
	return runGroup(ctx, "script", "Read or change a project's script (for example while it waits for review).", []subcommand{
		{"show ID", "print the script as JSON", scriptShow},
		{"edit ID", "open the script in $EDITOR; it is checked and saved when you close the editor", scriptEdit},
	}, args, stdio)
}

var runApprove = controlCommand("approve", "Approve the script of a project waiting for review (ytmaker approve ID): the video is made.",
	(*apiclient.Client).Approve, true)

func scriptShow(ctx context.Context, args []string, std cliIO) int {
	a := newAPICommand("script show", "Print a project's script as JSON.", std)
	if code := a.load(args, 1); code >= 0 {
		return code
	}
	id, ok := a.id(0, "project")
	if !ok {
		return 2
	}
	sc, err := a.client.Script(ctx, id)
	if err != nil {
		return a.fail(err)
	}
	enc := json.NewEncoder(a.io.out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	enc.Encode(sc)
	return 0
}

func scriptEdit(ctx context.Context, args []string, std cliIO) int {
	a := newAPICommand("script edit", "Edit a project's script in $EDITOR (default vi). It is validated when saved;\n"+
		"on an error the editor opens again with your text. Save an empty file to give up.", std)
	if code := a.load(args, 1); code >= 0 {
		return code
	}
	id, ok := a.id(0, "project")
	if !ok {
		return 2
	}
	sc, err := a.client.Script(ctx, id)
	if err != nil {
		return a.fail(err)
	}
	text, _ := json.MarshalIndent(sc, "", "  ")
	dir, err := os.MkdirTemp("", "ytmaker-script-")
	if err != nil {
		return a.fail(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, fmt.Sprintf("project-%d-script.json", id))
	for {
		if err := os.WriteFile(path, append(text, '\n'), 0o600); err != nil {
			return a.fail(err)
		}
		if err := openEditor(path, std); err != nil {
			return a.fail(err)
		}
		edited, err := os.ReadFile(path)
		if err != nil {
			return a.fail(err)
		}
		if len(bytes.TrimSpace(edited)) == 0 {
			fmt.Fprintln(a.io.err, "Empty file: the script is unchanged.")
			return 1
		}
		var next script.Script
		dec := json.NewDecoder(bytes.NewReader(edited))
		dec.DisallowUnknownFields()
		err = dec.Decode(&next)
		if err == nil {
			res, uerr := a.client.UpdateScript(ctx, id, &next)
			if uerr == nil {
				return a.done(res, nil, func(w io.Writer) {
					fmt.Fprintf(w, "Saved the script of project %d (%d segments).", id, len(res.Script.Segments))
					if len(res.Reset) > 0 {
						fmt.Fprintf(w, " To make again: %v.", res.Reset)
					}
					fmt.Fprintf(w, "\nWhen it waits for review, continue with: ytmaker approve %d\n", id)
				})
			}
			var ae *apiclient.Error
			if !errors.As(uerr, &ae) || ae.Status >= 500 || ae.Code == "PROJECT_BUSY" {
				return a.fail(uerr)
			}
			err = uerr
		}
		fmt.Fprintf(a.io.err, "The script was not saved: %v\nPress Enter to edit it again (Ctrl+C to give up).\n", err)
		if _, rerr := fmt.Fscanln(os.Stdin); rerr != nil && rerr.Error() != "unexpected newline" {
			return 1
		}
		text = bytes.TrimRight(edited, "\n")
	}
}

// openEditor runs $VISUAL, $EDITOR or vi on path, on the terminal.
func openEditor(path string, std cliIO) error {
	editor := os.Getenv("VISUAL")
	if editor == "" {
		editor = os.Getenv("EDITOR")
	}
	if editor == "" {
		editor = "vi"
	}
	cmd := exec.Command("sh", "-c", editor+` "$1"`, "editor", path)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, std.out, std.err
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("the editor (%s) failed: %w", editor, err)
	}
	return nil
}
