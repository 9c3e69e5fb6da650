package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"

	"github.com/ytmaker/ytmaker/internal/pipeline"
	"github.com/ytmaker/ytmaker/internal/providers/youtube"
)

func runYouTube(ctx context.Context, args []string) int {
	if len(args) == 0 || args[0] != "auth" {
		fmt.Fprintln(os.Stderr, "Usage: ytmaker youtube auth [flags]\n\nAuthorize YTMaker to upload to your YouTube channel (OAuth, loopback flow).")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return 0
		}
		return 2
	}
	cf := newFlagSet("youtube auth", `Authorize YTMaker to upload to your channel. You need an OAuth client of type
"Desktop app" from the Google Cloud console (APIs & Services → Credentials) with the
YouTube Data API v3 enabled; put its ID and secret in YOUTUBE_CLIENT_ID and
YOUTUBE_CLIENT_SECRET (.env works). A browser opens; after you consent, the refresh
token is saved to DATA_DIR/youtube_token.json (mode 0600).`)
	cf.setting("data-dir", "DATA_DIR", "where the token is saved, default ./data")
	noBrowser := cf.fs.Bool("no-browser", false, "print the URL instead of opening a browser")
	c, code := cf.load(args[1:])
	if c == nil {
		return code
	}
	if c.YouTubeClientID == "" || c.YouTubeClientSecret == "" {
		fmt.Fprintln(os.Stderr, "ytmaker: set YOUTUBE_CLIENT_ID and YOUTUBE_CLIENT_SECRET (an OAuth client of type \"Desktop app\") first")
		return 2
	}
	open := openBrowser
	if *noBrowser {
		open = nil
	}
	tok, err := youtube.Authorize(ctx, youtube.AuthConfig{ClientID: c.YouTubeClientID, ClientSecret: c.YouTubeClientSecret,
		TokenURL: c.GoogleOAuthTokenURL}, open, os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ytmaker: %v\n", err)
		return 1
	}
	path := pipeline.YouTubeTokenFile(c.DataDir)
	if err := youtube.SaveToken(path, tok); err != nil {
		fmt.Fprintf(os.Stderr, "ytmaker: save token: %v\n", err)
		return 1
	}
	fmt.Printf("✓ Authorized. The refresh token is saved in %s; uploads will use it.\n", path)
	return 0
}

func openBrowser(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	return cmd.Start()
}
