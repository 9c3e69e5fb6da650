package errcode

import (
	"errors"
	"strings"
	"syscall"
)

// storageFailures maps what the system says when storage fails, as an
// errno and as the text programs print for it (strerror), to a code.
var storageFailures = []struct {
	errno syscall.Errno
	text  string
	code  string
}{
	{syscall.ENOSPC, "no space left on device", DiskFull},
	{syscall.EDQUOT, "disk quota exceeded", DiskFull},
	{syscall.EROFS, "read-only file system", FileSystemError},
	{syscall.EACCES, "permission denied", FileSystemError},
}

// Storage returns a DISK_FULL error (ENOSPC, EDQUOT) or a
// FILE_SYSTEM_ERROR (EROFS, EACCES) when err shows the storage failing,
// and nil otherwise. It looks everywhere the failure can show: an errno
// anywhere in err's chain (errors.Is), the system's message in the
// "stderr" detail of a coded error in the chain (what ffmpeg, festival and
// espeak-ng print, such as "No space left on device"), and the text of an
// error that carries no code and wraps nothing. Neither is retryable: the
// next attempt would meet the same disk.
//
// A coded error that reported the failure as something else (FFMPEG_FAILED,
// TTS_FAILED) keeps its message, stage, attempt and details; its code moves
// to details["reported_as"].
func Storage(err error) *Error {
	if err == nil {
		return nil
	}
	code, what := storageCode(err)
	if code == "" {
		return nil
	}
	first, coded := As(err)
	if coded && first.Code == code && !first.Retryable {
		return first
	}
	e := Wrap(err, code, false, "")
	if coded {
		e = first.Clone().WithCause(err)
		if first.Code != code {
			e.WithDetail("reported_as", first.Code)
		}
		e.Code, e.Retryable = code, false
		e.RetryAfter, e.RetryAfterSeconds = 0, 0
	}
	if !strings.Contains(strings.ToLower(e.Message), what) {
		e.Message = what + ": " + e.Message
	}
	return e
}

// storageCode finds a storage failure in err and returns its code and the
// system's words for it.
func storageCode(err error) (code, what string) {
	for _, f := range storageFailures {
		if errors.Is(err, f.errno) {
			return f.code, f.text
		}
	}
	var found string
	var walk func(error) bool
	match := func(text string) bool {
		text = strings.ToLower(text)
		for _, f := range storageFailures {
			if strings.Contains(text, f.text) {
				code, found = f.code, f.text
				return true
			}
		}
		return false
	}
	walk = func(err error) bool {
		for err != nil {
			if e, ok := err.(*Error); ok {
				if s, ok := e.Details["stderr"].(string); ok && match(s) {
					return true
				}
			}
			switch u := err.(type) {
			case interface{ Unwrap() []error }:
				for _, inner := range u.Unwrap() {
					if walk(inner) {
						return true
					}
				}
				return false
			case interface{ Unwrap() error }:
				err = u.Unwrap()
			default:
				if _, isCoded := err.(*Error); !isCoded {
					return match(err.Error())
				}
				return false
			}
		}
		return false
	}
	if walk(err) {
		return code, found
	}
	return "", ""
}
