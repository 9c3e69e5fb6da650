package tts

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/atomicfile"
	"github.com/ytmaker/ytmaker/internal/leftover"
	"github.com/ytmaker/ytmaker/internal/media/wav"
)

// CodeEngineNotFound is the error code of a narration engine whose program
// is not installed.
const CodeEngineNotFound = "TTS_ENGINE_NOT_FOUND"

// Engine synthesizes narration.
type Engine interface {
	// Name identifies the engine in results and logs.
	Name() string
	// Synthesize writes req.Text as a WAV file at req.OutPath.
	Synthesize(ctx context.Context, req Request) (Result, error)
}

// BatchEngine is an Engine that synthesizes several requests in one run,
// which saves the start-up cost of its program (festival loads its voice
// once). Results are in request order.
type BatchEngine interface {
	Engine
	SynthesizeBatch(ctx context.Context, reqs []Request) ([]Result, error)
}

func notFound(program, hint string, cause error) *errcode.Error {
	return errcode.Newf(CodeEngineNotFound, false, "%s not found: %s", program, hint).
		WithDetail("program", program).WithDetail("hint", hint).WithCause(cause)
}

func ttsFailed(engine, msg, stderr string, cause error) *errcode.Error {
	e := errcode.New(errcode.TTSFailed, engine+": "+msg, false).WithDetail("engine", engine)
	if stderr != "" {
		e.WithDetail("stderr", stderr)
	}
	if cause != nil {
		e.WithCause(cause)
	}
	return e
}

func cancelled(ctx context.Context, err error) error {
	return errcode.Classify(ctx.Err()).WithCause(err)
}

// outOfSpace returns a DISK_FULL error when the file system holding path
// has no room left (less than 64 KiB for unprivileged users), else nil.
func outOfSpace(path string) error {
	var fs syscall.Statfs_t
	if err := syscall.Statfs(filepath.Dir(path), &fs); err != nil {
		return nil
	}
	if free := uint64(fs.Bavail) * uint64(fs.Bsize); free < 64<<10 {
		return errcode.Wrap(&os.PathError{Op: "write", Path: path, Err: syscall.ENOSPC}, errcode.DiskFull, false,
			fmt.Sprintf("no space left on device: %s has %d bytes free", filepath.Dir(path), free))
	}
	return nil
}

// checkRequest validates the fields every engine needs.
func checkRequest(req Request) error {
	if strings.TrimSpace(req.Text) == "" {
		return errcode.New(errcode.InvalidInput, "tts: nothing to say (empty text)", false)
	}
	if req.OutPath == "" {
		return errcode.New(errcode.InvalidInput, "tts: no output path", false)
	}
	return nil
}

// finish checks the WAV written at tmp, moves it to out atomically and
// describes it.
func finish(engine, tmp, out string) (Result, error) {
	info, err := wav.ReadInfo(tmp)
	if err != nil {
		if full := outOfSpace(tmp); full != nil {
			// Engines do not all say that a write failed (espeak-ng
			// exits with 0 and leaves a short file).
			return Result{}, full
		}
		return Result{}, ttsFailed(engine, "no usable WAV written", "", err)
	}
	// espeak-ng exits with 0 when its writes fail and fixes the header up
	// to what landed: a WAV that left the disk full may be cut short.
	if full := outOfSpace(tmp); full != nil {
		return Result{}, full
	}
	if info.Frames() == 0 {
		return Result{}, ttsFailed(engine, "synthesized no audio", "", nil)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return Result{}, errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	if err := atomicfile.Rename(tmp, out); err != nil {
		return Result{}, errcode.Wrap(err, errcode.FileSystemError, false, "")
	}
	return Result{Path: out, Duration: info.Duration(), SampleRate: info.SampleRate, Engine: engine}, nil
}

// tempPath returns a fresh temporary file name next to out.
func tempPath(out, suffix string) (string, error) {
	dir := filepath.Dir(out)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, leftover.Pattern(filepath.Base(out), "tmp", suffix))
	if err != nil {
		return "", err
	}
	name := f.Name()
	f.Close()
	return name, nil
}

func describe(reqs []Request) string {
	if len(reqs) == 1 {
		return fmt.Sprintf("%q", truncate(reqs[0].Text, 60))
	}
	return fmt.Sprintf("%d requests", len(reqs))
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
