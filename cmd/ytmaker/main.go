// Command ytmaker turns text into finished YouTube videos through durable
// background jobs. `ytmaker serve` brings everything up with one command.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/ytmaker/ytmaker/internal/config"
	"github.com/ytmaker/ytmaker/procman/redisproc"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string) int
}

func commands() []command {
	return []command{
		{"serve", "run everything: Redis (attached or started), worker, scheduler and HTTP API (default)", runServe},
		{"worker", "run a worker only (scale out on more machines sharing one Redis)", runWorker},
		{"scheduler", "run the periodic scheduler (beat) only", runScheduler},
		{"generate", "make a video from a text file (--wait shows progress)", runGenerate},
		{"status", "print the health of a running server; exit 0 when healthy", runStatus},
		{"debug-task", "enqueue debug_task; the worker logs \"Request: ...\"", runDebugTask},
		{"youtube", "youtube auth: authorize uploads to your channel", runYouTube},
		{"projects", "projects list | show ID | delete ID: see and manage projects on a running server", runProjects},
		{"resume", "resume ID: continue a paused or failed project", runResume},
		{"pause", "pause ID: stop a project's run after its current stage", runPause},
		{"cancel", "cancel ID: stop a project's run now", runCancel},
		{"retry", "retry ID: run a failed project again from the failed stage", runRetry},
		{"script", "script show ID | edit ID: read or change a project's script", runScript},
		{"approve", "approve ID: make the video of a project whose script waits for review", runApprove},
		{"media", "media set ID N FILE | rm ID N: your own picture or clip for a segment", runMedia},
		{"batch", "batch create --file F | start | pause | resume | show ID | list: many videos at once", runBatch},
		{"tasks", "tasks show ID: a background task's state, result and error", runTasks},
		{"prompts", "prompts list | show NAME | set NAME --file F | delete NAME: script prompt templates", runPrompts},
		{"providers", "providers [list] | test NAME: the services a server can use, and a test of each key", runProviders},
		{"quotas", "quotas: today's usage of the paid APIs per provider, with the daily limits", runQuotas},
		{"brands", "brands list | show NAME | save FILE | rm NAME | logo NAME FILE: brand presets (logo, channel cards)", runBrands},
		{"monitor", "run the queue dashboard on its own (--port 5555)", runMonitor},
		{"mcp", "serve the tools to an agent over MCP on stdin/stdout (drives a running server)", runMCP},
		{"version", "print the version", runVersion},
	}
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	ctx := context.Background()
	if len(args) > 0 {
		switch args[0] {
		case "help", "-h", "-help", "--help":
			usage(os.Stdout)
			return 0
		}
	}
	name := "serve" // the default, also when only flags are given
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, args)
		}
	}
	fmt.Fprintf(os.Stderr, "ytmaker: unknown command %q\n\n", name)
	usage(os.Stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "YTMaker %s: text in, finished YouTube videos out.\n\nUsage: ytmaker <command> [flags]\n\nCommands:\n", versionString())
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'ytmaker <command> --help' for a command's flags.\nSettings come from flags, then the environment, then ./.env, then defaults.\n")
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			if dirty {
				rev += "-dirty"
			}
			return "dev-" + rev
		}
	}
	return "dev"
}

func runVersion(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprintln(fs.Output(), "Usage: ytmaker version\n\nPrint the version.") }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	fmt.Println("ytmaker", versionString())
	return 0
}

// configFlags are the settings every command accepts as flags.
type configFlags struct {
	fs      *flag.FlagSet
	envFile *string
	keys    map[string]string // flag name → config key
}

func newFlagSet(name, summary string) *configFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	cf := &configFlags{fs: fs, keys: map[string]string{}}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: ytmaker %s [flags]\n\n%s\n\nFlags:\n", name, summary)
		fs.PrintDefaults()
	}
	cf.envFile = fs.String("env-file", ".env", "read settings from this .env file (missing is fine)")
	return cf
}

// setting declares a flag that overrides config key.
func (cf *configFlags) setting(flagName, key, usage string) {
	cf.fs.String(flagName, "", usage+" ("+key+")")
	cf.keys[flagName] = key
}

func (cf *configFlags) common() {
	cf.setting("redis-url", "REDIS_URL", "Redis URL, default redis://127.0.0.1:6379/0")
	cf.setting("data-dir", "DATA_DIR", "where projects live, default ./data")
	cf.setting("log-level", "LOG_LEVEL", "debug, info, warn or error")
	cf.setting("log-format", "LOG_FORMAT", "text or json")
}

// load parses args and reads the configuration. On a bad value it prints
// one line and returns exit code 2.
func (cf *configFlags) load(args []string) (*config.Config, int) {
	if err := cf.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, 0
		}
		return nil, 2
	}
	if cf.fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "ytmaker %s: unexpected argument %q\n", cf.fs.Name(), cf.fs.Arg(0))
		return nil, 2
	}
	flags := map[string]string{}
	cf.fs.Visit(func(f *flag.Flag) {
		if key, ok := cf.keys[f.Name]; ok {
			flags[key] = f.Value.String()
		}
	})
	dot, err := config.ReadDotEnv(*cf.envFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ytmaker: %v\n", err)
		return nil, 2
	}
	c, err := config.Load(config.Sources{Flags: flags, Env: os.LookupEnv, DotEnv: dot, EnvNames: envNames})
	if err != nil {
		fmt.Fprintf(os.Stderr, "ytmaker: %v\n", err)
		return nil, 2
	}
	for _, w := range c.Warnings {
		fmt.Fprintf(os.Stderr, "ytmaker: warning: %s\n", w)
	}
	return c, -1
}

// envNames lists the names set in the environment.
func envNames() []string {
	var out []string
	for _, kv := range os.Environ() {
		if k, _, ok := strings.Cut(kv, "="); ok {
			out = append(out, k)
		}
	}
	return out
}

// useRedisPassword gives c.RedisURL the password of the Redis YTMaker
// starts (kept in DATA_DIR/redis/password), generating it first when
// spawn is set and YTMaker is about to start that Redis. It prints the
// problem and returns false on failure.
func useRedisPassword(ctx context.Context, c *config.Config, spawn bool) bool {
	if len(c.RedisSentinels) > 0 {
		return true // REDIS_PASSWORD authenticates to the master Sentinel names
	}
	u, err := redisproc.ClientURL(ctx, c.RedisURL, filepath.Join(c.DataDir, "redis"), spawn)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ytmaker: %v\n", err)
		return false
	}
	c.RedisURL = u
	return true
}

// redisDescription names the Redis c reaches, without passwords.
func redisDescription(c *config.Config) string {
	if len(c.RedisSentinels) > 0 {
		return c.RedisConn().String()
	}
	return redisproc.Redact(c.RedisURL)
}

// signalContext is cancelled on the first SIGINT/SIGTERM; a second one
// exits at once.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-ch
		cancel()
		<-ch
		fmt.Fprintln(os.Stderr, "ytmaker: second signal; exiting now")
		os.Exit(1)
	}()
	return ctx, func() { signal.Stop(ch); cancel() }
}
