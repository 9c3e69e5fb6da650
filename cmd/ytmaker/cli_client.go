package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/internal/api/wire"
	"github.com/ytmaker/ytmaker/internal/apiclient"
	"github.com/ytmaker/ytmaker/internal/config"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/progress"
)

// The API-driven commands (projects, resume, pause, cancel, retry, batch,
// tasks) talk to a running server through internal/apiclient, with
// API_TOKEN from the environment or .env. Output is for people by default
// and JSON with --json (errors too: {"success":false,"error":{...}}).

// cliIO is where a command writes; tests swap it.
type cliIO struct {
	out, err io.Writer
}

var stdio = cliIO{out: os.Stdout, err: os.Stderr}

// apiCommand is one API-driven command being run.
type apiCommand struct {
	cf     *configFlags
	io     cliIO
	asJSON *bool
	client *apiclient.Client
	args   []string // positional arguments
}

// newAPICommand declares the flags every API command takes.
func newAPICommand(name, summary string, std cliIO) *apiCommand {
	cf := newFlagSet(name, summary)
	cf.fs.SetOutput(std.err)
	cf.setting("addr", "HTTP_ADDR", "address of the YTMaker server, default 127.0.0.1:8000")
	return &apiCommand{cf: cf, io: std, asJSON: cf.fs.Bool("json", false, "print JSON (for scripts)")}
}

// load parses args (flags may come before or after the positional
// arguments) and connects the client. It returns -1 to go on, or an exit
// code.
func (a *apiCommand) load(args []string, positional int) int {
	flags, pos := splitArgs(a.cf.fs, args)
	c, code := a.cf.load(flags)
	if c == nil {
		return code
	}
	if len(pos) != positional {
		fmt.Fprintf(a.io.err, "ytmaker %s: expected %d argument(s), got %d (%s)\n", a.cf.fs.Name(), positional, len(pos), strings.Join(pos, " "))
		a.cf.fs.Usage()
		return 2
	}
	a.args = pos
	cl, err := newAPIClient(c)
	if err != nil {
		fmt.Fprintf(a.io.err, "ytmaker: %v\n", err)
		return 2
	}
	a.client = cl
	return -1
}

func newAPIClient(c *config.Config) (*apiclient.Client, error) {
	return apiclient.New(apiclient.BaseURL(c.HTTPAddr), c.APIToken)
}

// id reads positional argument i as a positive integer ID, written the
// one way the server writes it ("7", not "07" or "+7").
func (a *apiCommand) id(i int, kind string) (int64, bool) {
	v := a.args[i]
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != v {
		fmt.Fprintf(a.io.err, "ytmaker %s: %q is not a %s ID (a positive integer)\n", a.cf.fs.Name(), v, kind)
		return 0, false
	}
	return n, true
}

// splitArgs separates flags (with their values) from positional
// arguments, so "show 3 --json" and "show --json 3" both work.
func splitArgs(fs *flag.FlagSet, args []string) (flags, positional []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if f := fs.Lookup(name); f != nil {
			if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
				continue
			}
			if i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
		}
	}
	return flags, positional
}

// done prints data (JSON or human) or the error, and returns the exit
// code: 0, or 1 on any error.
func (a *apiCommand) done(data any, err error, human func(w io.Writer)) int {
	if err != nil {
		return a.fail(err)
	}
	if *a.asJSON {
		enc := json.NewEncoder(a.io.out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		enc.Encode(data)
		return 0
	}
	human(a.io.out)
	return 0
}

// fail reports err: a missing server, an API error (code and message)
// or anything else.
func (a *apiCommand) fail(err error) int {
	var ae *apiclient.Error
	var ue *apiclient.UnreachableError
	if *a.asJSON {
		e := wire.Error{Code: "CLIENT_ERROR", Message: err.Error()}
		switch {
		case errors.As(err, &ae):
			e = wire.Error{Code: ae.Code, Message: ae.Message, Details: ae.Details}
		case errors.As(err, &ue):
			e = wire.Error{Code: "SERVER_UNREACHABLE", Message: err.Error()}
		}
		json.NewEncoder(a.io.out).Encode(wire.Envelope[any]{Success: false, Error: &e})
		return 1
	}
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(a.io.err, "ytmaker: no YTMaker server answers at %s\n(start one with: ytmaker serve; or point --addr / HTTP_ADDR at it)\n", ue.URL)
	case errors.As(err, &ae) && ae.Status == 401:
		fmt.Fprintf(a.io.err, "ytmaker: %v\n(set API_TOKEN to the server's token, in the environment or .env)\n", err)
	default:
		fmt.Fprintf(a.io.err, "ytmaker: %v\n", err)
	}
	return 1
}

// bar draws a progress bar of width cells.
func bar(pct, width int) string {
	pct = max(0, min(pct, 100))
	full := pct * width / 100
	return "[" + strings.Repeat("█", full) + strings.Repeat("░", width-full) + "]"
}

// ago says how long ago t was, briefly.
func ago(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return t.Local().Format("2006-01-02")
}

// clip shortens s to n runes.
func clip(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// isTerminal reports whether w is a terminal (progress redraws in place).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// follow shows a run's progress until it ends and returns the exit code:
// 0 when it completed, 1 when it failed or was cancelled.
func (a *apiCommand) follow(ctx context.Context, id int64, run int) int {
	pb := newProgressBar(a.io.err)
	show := func(m progress.Message) {
		if *a.asJSON {
			b, _ := json.Marshal(m)
			fmt.Fprintf(a.io.out, "%s\n", b)
			return
		}
		pb.show(m)
	}
	last, err := a.client.WaitRun(ctx, id, run, show)
	if !*a.asJSON {
		pb.done()
	}
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintf(a.io.err, "Stopped watching; project %d goes on on the server.\n", id)
			return 130
		}
		return a.fail(err)
	}
	if last.Status == string(project.ScriptReview) {
		if !*a.asJSON {
			fmt.Fprintf(a.io.out, "Project %d: the script waits for your review: ytmaker script edit %d, then ytmaker approve %d\n", id, id, id)
		}
		return 0
	}
	if last.Stage == progress.StageCompleted {
		if !*a.asJSON {
			fmt.Fprintf(a.io.out, "Project %d completed. See it with: ytmaker projects show %d\n", id, id)
		}
		return 0
	}
	if last.Final && last.Stage != progress.StageError && last.Error == nil {
		// A run of some stages only: done, but the project is not complete.
		if !*a.asJSON {
			fmt.Fprintf(a.io.out, "Project %d: %s (%s). See it with: ytmaker projects show %d\n", id, last.Message, last.Status, id)
		}
		return 0
	}
	if !*a.asJSON {
		code := ""
		if last.Error != nil {
			code = last.Error.Code + ": "
		}
		fmt.Fprintf(a.io.err, "ytmaker: project %d did not complete: %s%s\n", id, code, last.Message)
	}
	return 1
}

// writeTable writes rows as aligned columns, two spaces apart. Unlike
// text/tabwriter it counts East Asian wide characters (Chinese names) as
// two cells, so columns line up in a terminal.
func writeTable(w io.Writer, indent string, rows [][]string) {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		b.WriteString(indent)
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)+2))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// displayWidth is how many terminal cells s takes.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r >= 0x1100 && r <= 0x115F, r >= 0x2E80 && r <= 0xA4CF, r >= 0xAC00 && r <= 0xD7A3,
			r >= 0xF900 && r <= 0xFAFF, r >= 0xFE30 && r <= 0xFE4F, r >= 0xFF00 && r <= 0xFF60,
			r >= 0xFFE0 && r <= 0xFFE6, r >= 0x1F300 && r <= 0x1FAFF, r >= 0x20000 && r <= 0x3FFFD:
			n += 2
		default:
			n++
		}
	}
	return n
}
