package redisproc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/redis/go-redis/v9"
)

// PasswordFile is where the password of the Redis YTMaker starts is kept,
// in that server's directory (DATA_DIR/redis): mode 0600, one line.
// redis-cli users read it from there:
//
//	redis-cli -a "$(cat data/redis/password)" ping
func PasswordFile(dir string) string { return filepath.Join(dir, "password") }

// LoadPassword returns the stored password ("" when there is none).
func LoadPassword(dir string) (string, error) {
	b, err := os.ReadFile(PasswordFile(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("redis password: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// EnsurePassword returns the stored password, generating it (32 random
// bytes, hex) the first time. dir is created with mode 0700. Two
// processes racing here agree on one password: the file is published
// with a hard link, which never replaces an existing one.
func EnsurePassword(dir string) (string, error) {
	if err := privateDir(dir); err != nil {
		return "", err
	}
	if pw, err := LoadPassword(dir); err != nil || pw != "" {
		return pw, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("redis password: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".password-*")
	if err != nil {
		return "", fmt.Errorf("redis password: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.WriteString(hex.EncodeToString(raw) + "\n")
	if err := errors.Join(werr, tmp.Chmod(0o600), tmp.Sync(), tmp.Close()); err != nil {
		return "", fmt.Errorf("redis password: %w", err)
	}
	if err := os.Link(tmp.Name(), PasswordFile(dir)); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("redis password: %w", err)
	}
	return LoadPassword(dir)
}

// privateDir creates dir, or narrows an existing one, to mode 0700.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("chmod %s: %w", dir, err)
	}
	return nil
}

// ClientURL returns the Redis URL YTMaker's clients use. A URL that names
// a loopback Redis without a password gets the stored one from dir (the
// Redis YTMaker starts requires it); when nothing answers there yet and
// spawn is set (YTMaker is about to start Redis), the password is
// generated first. A Redis that answers without any password configured
// (someone else's) is used as it is. Other URLs come back unchanged.
func ClientURL(ctx context.Context, redisURL, dir string, spawn bool) (string, error) {
	u, err := url.Parse(redisURL)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
		return redisURL, nil
	}
	if _, has := u.User.Password(); has || !IsLoopback(u.Hostname()) {
		return redisURL, nil
	}
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		return redisURL, nil
	}
	pw, err := LoadPassword(dir)
	if err != nil {
		return "", err
	}
	if pw != "" {
		opt.Password = pw
	}
	switch perr := Probe(ctx, opt); {
	case perr == nil:
	case errors.Is(perr, ErrNothing):
		if !spawn {
			break
		}
		if pw, err = EnsurePassword(dir); err != nil {
			return "", err
		}
	case pw != "" && noPasswordConfigured(perr):
		return redisURL, nil // a Redis without a password: not ours
	}
	if pw == "" {
		return redisURL, nil
	}
	user := ""
	if u.User != nil {
		user = u.User.Username()
	}
	u.User = url.UserPassword(user, pw)
	return u.String(), nil
}

// noPasswordConfigured recognises Redis refusing AUTH because it has no
// password ("AUTH <password> called without any password configured").
func noPasswordConfigured(err error) bool {
	return err != nil && strings.Contains(err.Error(), "without any password configured")
}

// Redact returns redisURL without its password, for messages.
func Redact(redisURL string) string {
	u, err := url.Parse(redisURL)
	if err != nil || u.User == nil {
		return redisURL
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
