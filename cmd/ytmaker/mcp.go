package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ytmaker/ytmaker/internal/apiclient"
	"github.com/ytmaker/ytmaker/internal/mcpserver"
)

// runMCP serves YTMaker's MCP tools on stdin and stdout for an agent that
// starts it; the tools drive a running server over its HTTP API. Stdout
// carries only protocol messages: logs go to stderr.
func runMCP(ctx context.Context, args []string) int {
	cf := newFlagSet("mcp", "Serve YTMaker's tools to an agent over the Model Context Protocol on stdin/stdout.\n"+
		"The tools drive a running server (ytmaker serve) at HTTP_ADDR, with API_TOKEN when it has one.\n"+
		"The server also answers MCP over streamable HTTP at /mcp.")
	cf.setting("addr", "HTTP_ADDR", "address of the server, default 127.0.0.1:8000")
	c, code := cf.load(args)
	if c == nil {
		return code
	}
	client, err := apiclient.New(apiclient.BaseURL(c.HTTPAddr), c.APIToken)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ytmaker: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s := mcpserver.New(mcpserver.Config{Client: client, Version: versionString(), Logger: log})
	sigCtx, stop := signalContext()
	defer stop()
	if err := s.Run(sigCtx, &mcp.StdioTransport{}); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(os.Stderr, "ytmaker mcp: %v\n", err)
		return 1
	}
	return 0
}
