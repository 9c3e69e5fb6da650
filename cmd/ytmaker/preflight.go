package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ytmaker/ytmaker/internal/config"
	"github.com/ytmaker/ytmaker/internal/media/ffmpeg"
	"github.com/ytmaker/ytmaker/internal/media/tts"
)

// checkDataDir makes sure DATA_DIR is a folder this process can write in
// (creating it if needed), so a wrong value stops the program at once
// with the setting named, rather than as an error about some file deep
// inside it.
func checkDataDir(dir string) error {
	fail := func(err error) error {
		return fmt.Errorf("DATA_DIR=%s is not a folder YTMaker can write in: %w", dir, err)
	}
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return fail(errors.New("it is a file"))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail(err)
	}
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return fail(err)
	}
	name := f.Name()
	f.Close()
	if err := os.Remove(name); err != nil {
		return fail(err)
	}
	return nil
}

// missingTools names, one warning each, the programs a worker needs that
// this machine lacks: without ffmpeg and ffprobe no video renders, and
// without espeak-ng or festival no project narrated offline gets its
// voice. The worker starts anyway (a worker on another machine may have
// them), but says so now rather than when a project fails on it.
func missingTools(c *config.Config) []string {
	var out []string
	if err := ffmpegMissing(c); err != nil {
		out = append(out, fmt.Sprintf("%v; until then every project fails at the render stage", err))
	}
	if _, err := tts.NewOffline(tts.OfflineConfig{}); err != nil {
		out = append(out, fmt.Sprintf("%v; until then projects narrated offline fail at the assets stage", err))
	}
	return out
}

// warnMissingTools prints missingTools' warnings.
func warnMissingTools(c *config.Config) {
	for _, w := range missingTools(c) {
		fmt.Fprintf(os.Stderr, "ytmaker: warning: %s\n", w)
	}
}

// dataDirOK checks DATA_DIR and prints why it cannot be used.
func dataDirOK(c *config.Config) bool {
	dir := c.DataDir
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if err := checkDataDir(dir); err != nil {
		fmt.Fprintf(os.Stderr, "ytmaker: %v\n", err)
		return false
	}
	return true
}

// ffmpegMissing returns FFMPEG_NOT_FOUND, with how to install it, when
// ffmpeg or ffprobe cannot be found.
func ffmpegMissing(c *config.Config) error {
	_, err := ffmpeg.New(ffmpeg.Config{FFmpegPath: c.FFmpeg, FFprobePath: c.FFprobe})
	return err
}
