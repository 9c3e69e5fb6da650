// Package ffmpeg runs the ffmpeg and ffprobe programs: it reports progress
// from ffmpeg's machine-readable -progress output, turns failures into coded
// errors carrying the tail of stderr, kills the whole process group when the
// context is cancelled, and reads media properties with ffprobe.
package ffmpeg

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/media/childproc"
)

// InstallHint tells an operator how to get ffmpeg.
const InstallHint = "install ffmpeg (Debian/Ubuntu: apt-get install ffmpeg; macOS: brew install ffmpeg) or set its path"

// Config configures a Runner. The zero value looks both programs up in PATH.
type Config struct {
	FFmpegPath  string        // "" = "ffmpeg" from PATH
	FFprobePath string        // "" = "ffprobe" from PATH
	Logger      *slog.Logger  // nil = discard
	KillGrace   time.Duration // SIGTERM→SIGKILL delay on cancellation; 0 = childproc.DefaultGrace
}

// Runner runs ffmpeg and ffprobe. It is safe for concurrent use.
type Runner struct {
	ffmpeg, ffprobe string
	log             *slog.Logger
	grace           time.Duration
}

// New resolves the programs' paths. A missing program yields a
// FFMPEG_NOT_FOUND error with install hints.
func New(cfg Config) (*Runner, error) {
	r := &Runner{log: cfg.Logger, grace: cfg.KillGrace}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if r.ffmpeg, err = lookPath(cfg.FFmpegPath, "ffmpeg"); err != nil {
		return nil, err
	}
	if r.ffprobe, err = lookPath(cfg.FFprobePath, "ffprobe"); err != nil {
		return nil, err
	}
	return r, nil
}

func lookPath(configured, name string) (string, error) {
	p := configured
	if p == "" {
		p = name
	}
	full, err := exec.LookPath(p)
	if err != nil {
		return "", notFound(name, p, err)
	}
	return full, nil
}

func notFound(name, path string, cause error) *errcode.Error {
	return errcode.Newf(errcode.FFmpegNotFound, false, "%s not found (%s): %s", name, path, InstallHint).
		WithDetail("program", name).
		WithDetail("hint", InstallHint).
		WithCause(cause)
}

// FFmpegPath returns the resolved ffmpeg path.
func (r *Runner) FFmpegPath() string { return r.ffmpeg }

// FFprobePath returns the resolved ffprobe path.
func (r *Runner) FFprobePath() string { return r.ffprobe }

// Progress is one progress report of a running ffmpeg.
type Progress struct {
	OutTime  time.Duration // media time written so far
	Fraction float64       // OutTime / RunOptions.Expected, in [0, 1]; 0 when unknown
	Speed    float64       // multiple of real time; 0 when unknown
	ETA      time.Duration // estimated time left; 0 when unknown
	Frame    int64         // video frames written
	Done     bool          // ffmpeg reported progress=end
}

// RunOptions tune one Run.
type RunOptions struct {
	// Dir is the working directory; relative paths in args resolve
	// against it.
	Dir string
	// Expected is the duration of the output, used to compute
	// Progress.Fraction and ETA.
	Expected time.Duration
	// OnProgress, when set, receives progress reports (about twice a
	// second, and once at the end). It is called from one goroutine.
	OnProgress func(Progress)
	// Stdin, when set, is fed to ffmpeg's standard input (for pipe:0).
	Stdin io.Reader
	// LogLevel is ffmpeg's -loglevel; "" means "error".
	LogLevel string
}

// Run runs ffmpeg with args, which should not contain -progress, -nostats
// or -loglevel: Run adds them. A non-zero exit yields a FFMPEG_FAILED error
// (not retryable) whose details hold the exit code and the last lines of
// stderr; when stderr shows the disk full or refusing writes, the error is
// DISK_FULL or FILE_SYSTEM_ERROR instead, even if ffmpeg exited with 0. Cancelling ctx kills the process group and returns an error
// wrapping ctx.Err().
func (r *Runner) Run(ctx context.Context, args []string, opts RunOptions) error {
	level := opts.LogLevel
	if level == "" {
		level = "error"
	}
	full := []string{"-hide_banner", "-nostdin", "-loglevel", level, "-y"}
	if opts.OnProgress != nil {
		full = append(full, "-nostats", "-progress", "pipe:1")
	}
	full = append(full, args...)

	cmd := exec.Command(r.ffmpeg, full...)
	cmd.Dir = opts.Dir
	cmd.Stdin = opts.Stdin
	tail := &childproc.Tail{Lines: 20}
	cmd.Stderr = tail

	var wg sync.WaitGroup
	if opts.OnProgress != nil {
		pr, pw := io.Pipe()
		cmd.Stdout = pw
		wg.Add(1)
		go func() {
			defer wg.Done()
			parseProgress(pr, opts.Expected, time.Now(), opts.OnProgress)
			_, _ = io.Copy(io.Discard, pr)
		}()
		defer func() {
			pw.Close()
			wg.Wait()
		}()
	}

	start := time.Now()
	r.log.Debug("ffmpeg start", "args", strings.Join(args, " "), "dir", opts.Dir)
	err := childproc.Run(ctx, cmd, r.grace)
	if err == nil {
		// ffmpeg may report a failed write of its output (a full disk
		// while writing the trailer) and still exit with status 0.
		if stderr := tail.String(); stderr != "" {
			failed := errcode.New(errcode.FFmpegFailed, "ffmpeg: "+lastLine(stderr), false).WithDetail("stderr", stderr)
			if e := errcode.Storage(failed); e != nil {
				return e
			}
		}
		r.log.Debug("ffmpeg done", "elapsed", time.Since(start))
		return nil
	}
	if ctx.Err() != nil {
		return errcode.Classify(ctx.Err()).WithCause(err)
	}
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, exec.ErrDot) {
		return notFound("ffmpeg", r.ffmpeg, err)
	}
	code := childproc.ExitCode(err)
	stderr := tail.String()
	msg := "ffmpeg failed"
	if code >= 0 {
		msg = fmt.Sprintf("ffmpeg exited with status %d", code)
	}
	if last := lastLine(stderr); last != "" {
		msg += ": " + last
	}
	failed := errcode.New(errcode.FFmpegFailed, msg, false).
		WithDetail("exit_code", code).
		WithDetail("stderr", stderr).
		WithCause(err)
	if e := errcode.Storage(failed); e != nil {
		return e // DISK_FULL or FILE_SYSTEM_ERROR, as stderr says
	}
	return failed
}

func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// parseProgress reads ffmpeg's -progress key=value blocks and reports one
// Progress per block.
func parseProgress(rd io.Reader, expected time.Duration, start time.Time, report func(Progress)) {
	sc := bufio.NewScanner(rd)
	var p Progress
	for sc.Scan() {
		key, val, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch key {
		case "out_time_us", "out_time_ms": // both are microseconds
			if us, err := strconv.ParseInt(val, 10, 64); err == nil && us >= 0 {
				p.OutTime = time.Duration(us) * time.Microsecond
			}
		case "frame":
			if n, err := strconv.ParseInt(val, 10, 64); err == nil {
				p.Frame = n
			}
		case "speed":
			if f, err := strconv.ParseFloat(strings.TrimSuffix(val, "x"), 64); err == nil {
				p.Speed = f
			}
		case "progress":
			p.Done = val == "end"
			out := p
			out.Fraction, out.ETA = estimate(p.OutTime, expected, time.Since(start), p.Done)
			report(out)
		}
	}
}

// estimate returns the fraction done and the time left, from media time
// written against the expected total and the wall time spent so far.
func estimate(out, expected, elapsed time.Duration, done bool) (float64, time.Duration) {
	if done {
		return 1, 0
	}
	if expected <= 0 || out <= 0 {
		return 0, 0
	}
	f := float64(out) / float64(expected)
	if f > 1 {
		f = 1
	}
	if f < 0.999 {
		return f, time.Duration(float64(elapsed) * (1 - f) / f)
	}
	return f, 0
}
