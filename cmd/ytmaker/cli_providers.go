package main

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// runProviders lists the services (with no command, or "list") or tests
// one's key ("test NAME").
func runProviders(ctx context.Context, args []string) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && !isHelp(args[0]) {
		return providersList(ctx, args, stdio)
	}
	return runGroup(ctx, "providers", "See the services a running server can use, and test their keys.", []subcommand{
		{"list", "list every service: configured or not, the default of each kind, host, model and voice", providersList},
		{"test NAME", "make the service's cheapest real call and report ok or the coded error", providersTest},
	}, args, stdio)
}

func isHelp(a string) bool { return a == "-h" || a == "-help" || a == "--help" }

func providersList(ctx context.Context, args []string, std cliIO) int {
	a := newAPICommand("providers list", "List the services YTMaker can use and whether each is configured (never a key).", std)
	if code := a.load(args, 0); code >= 0 {
		return code
	}
	l, err := a.client.Providers(ctx)
	return a.done(l, err, func(w io.Writer) {
		rows := [][]string{{"NAME", "KIND", "STATE", "HOST", "MODEL / VOICE"}}
		for _, p := range l.Providers {
			state := "not configured"
			switch {
			case p.BuiltIn:
				state = "built in"
			case p.Configured:
				state = "configured"
			}
			if p.Default {
				state += ", default"
			}
			mv := p.Model
			if p.Voice != "" {
				mv = strings.TrimPrefix(mv+" / "+p.Voice, " / ")
			}
			rows = append(rows, []string{p.Name, p.Kind, state, p.Host, clip(mv, 60)})
		}
		writeTable(w, "", rows)
		fmt.Fprintln(w, "\nTest a key with: ytmaker providers test NAME")
	})
}

func providersTest(ctx context.Context, args []string, std cliIO) int {
	a := newAPICommand("providers test", "Test a service's key with its cheapest real call (ytmaker providers test NAME).", std)
	if code := a.load(args, 1); code >= 0 {
		return code
	}
	res, err := a.client.TestProvider(ctx, a.args[0])
	code := a.done(res, err, func(w io.Writer) {
		if res.OK {
			fmt.Fprintf(w, "✓ %s works (%d ms): %s\n", res.Name, res.LatencyMS, res.Message)
			return
		}
		if res.Error == nil {
			fmt.Fprintf(w, "✗ %s failed (%d ms)\n", res.Name, res.LatencyMS)
			return
		}
		fmt.Fprintf(w, "✗ %s failed (%d ms): %s\n", res.Name, res.LatencyMS, res.Error.Message)
		fmt.Fprintf(w, "  code: %s", res.Error.Code)
		if res.Error.Retryable {
			fmt.Fprint(w, " (temporary: try again later)")
		}
		fmt.Fprintln(w)
	})
	if code == 0 && !res.OK {
		return 1
	}
	return code
}
