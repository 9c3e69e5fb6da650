package errcode

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"
)

func TestStorageTellsTheTruth(t *testing.T) {
	ffmpegStderr := "[mp4 @ 0x55] Error writing trailer of out.mp4: No space left on device\nConversion failed!"
	for _, c := range []struct {
		name       string
		err        error
		code       string
		reportedAs string
	}{
		{"errno in a path error", &fs.PathError{Op: "write", Path: "/x", Err: syscall.ENOSPC}, DiskFull, ""},
		{"quota", fmt.Errorf("save: %w", syscall.EDQUOT), DiskFull, ""},
		{"read-only", fmt.Errorf("create: %w", &fs.PathError{Op: "open", Path: "/p", Err: syscall.EROFS}), FileSystemError, ""},
		{"permission", &fs.PathError{Op: "mkdir", Path: "/p", Err: syscall.EACCES}, FileSystemError, ""},
		{"ffmpeg stderr", New(FFmpegFailed, "ffmpeg exited with status 1: Conversion failed!", false).
			WithDetail("stderr", ffmpegStderr), DiskFull, FFmpegFailed},
		{"festival stderr", New(TTSFailed, "festival: synthesis failed (exit 255)", false).
			WithDetail("stderr", "SIOD ERROR: could not open file /p/assets/.a.wav.tmp-1.wav: Read-only file system"), FileSystemError, TTSFailed},
		{"espeak stderr", New(TTSFailed, "espeak-ng: synthesis failed", false).
			WithDetail("stderr", "Failed to write the output file: Permission denied"), FileSystemError, TTSFailed},
		{"coded wrapper of an errno", Wrap(&fs.PathError{Op: "write", Path: "/s", Err: syscall.ENOSPC}, FileSystemError, true, ""), DiskFull, FileSystemError},
		{"text of an uncoded error", errors.New("write /tmp/x: no space left on device"), DiskFull, ""},
		{"joined", errors.Join(errors.New("first"), fmt.Errorf("second: %w", syscall.EROFS)), FileSystemError, ""},
		{"wrapped coded error", fmt.Errorf("render: %w", New(FFmpegFailed, "x", false).WithDetail("stderr", ffmpegStderr)), DiskFull, FFmpegFailed},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := Storage(c.err)
			if e == nil {
				t.Fatal("not recognised")
			}
			if e.Code != c.code || e.Retryable {
				t.Fatalf("got %s retryable=%v, want %s not retryable", e.Code, e.Retryable, c.code)
			}
			if got, _ := e.Details["reported_as"].(string); got != c.reportedAs {
				t.Errorf("reported_as %q, want %q", got, c.reportedAs)
			}
			if cl := Classify(c.err); cl.Code != c.code {
				t.Errorf("Classify says %s", cl.Code)
			}
		})
	}
	for _, err := range []error{
		nil,
		errors.New("boom"),
		// A service's words are not the system's: a coded error's message is
		// not read, only its stderr.
		New("YOUTUBE_AUTH_FAILED", "PERMISSION_DENIED: permission denied by the caller", false),
		New(FFmpegFailed, "ffmpeg exited with status 1", false).WithDetail("stderr", "Invalid data found when processing input"),
		fmt.Errorf("dial: %w", syscall.ECONNREFUSED),
	} {
		if e := Storage(err); e != nil {
			t.Errorf("Storage(%v) = %v", err, e)
		}
	}
	// Already the right code: returned as is.
	df := Wrap(syscall.ENOSPC, DiskFull, false, "no space left on device")
	if Storage(df) != df {
		t.Error("a DISK_FULL error was rebuilt")
	}
}
