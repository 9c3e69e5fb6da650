package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/apiclient"
	"github.com/ytmaker/ytmaker/internal/fakes/fakegemini"
	"github.com/ytmaker/ytmaker/internal/fakes/fakestability"
	"github.com/ytmaker/ytmaker/internal/fakes/faketts"
	"github.com/ytmaker/ytmaker/internal/fakes/fakeyoutube"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/soak"
	"github.com/ytmaker/ytmaker/internal/store"
)

// soakPlan says how big the soak is and when it kills what.
type soakPlan struct {
	projects    int
	workers     int
	concurrency int // projects of the batch at once
	// Worker kills: either at these completion counts (short soak) or
	// every workerEvery[0]..workerEvery[1], at random (long soak).
	workerAt    []int
	workerEvery [2]time.Duration
	serveAt     []int // completion counts at which serve is killed
	redisAt     []int // ... and the Redis serve supervises
	deadline    time.Duration
	maxIdle     time.Duration
	seed        uint64
}

// planFromEnv is the short soak of `make test` unless YTMAKER_SOAK_PROJECTS
// asks for more (`make soak` sets 200): then a worker is killed every 10 to
// 30 s, serve twice and Redis once.
func planFromEnv(t *testing.T) soakPlan {
	p := soakPlan{projects: 20, workers: 3, concurrency: 4, workerAt: []int{3}, serveAt: []int{8}, redisAt: []int{13},
		deadline: 10 * time.Minute, maxIdle: 15 * time.Second, seed: 1}
	if v := os.Getenv("YTMAKER_SOAK_PROJECTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > project.MaxBatchProjects {
			t.Fatalf("YTMAKER_SOAK_PROJECTS=%q: want 1..%d", v, project.MaxBatchProjects)
		}
		p.projects, p.workerAt = n, nil
		p.workerEvery = [2]time.Duration{10 * time.Second, 30 * time.Second}
		p.serveAt = []int{n / 3, 2 * n / 3}
		p.redisAt = []int{n / 2}
		p.deadline = time.Duration(n) * 30 * time.Second
	}
	if v := os.Getenv("YTMAKER_SOAK_DEADLINE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("YTMAKER_SOAK_DEADLINE=%q: %v", v, err)
		}
		p.deadline = d
	}
	if v := os.Getenv("YTMAKER_SOAK_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("YTMAKER_SOAK_SEED=%q: %v", v, err)
		}
		p.seed = s
	}
	return p
}

// TestSoak runs `ytmaker serve` and three `ytmaker worker` processes on
// the Redis serve starts, against fakes of Gemini, Google TTS, Stability
// and YouTube, makes a batch of short videos through the API and
// kill -9's workers, serve and Redis while they work. Every project must
// complete with exactly one YouTube upload, none lost, and no project may
// sit longer than 15 s with no worker on it.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("the soak runs real processes for minutes")
	}
	plan := planFromEnv(t)
	s := newSoak(t, plan)
	s.start()
	rep := s.run()
	var b strings.Builder
	fmt.Fprintf(&b, "soak: %d projects, %d workers + serve, batch concurrency %d, seed %d\n", plan.projects, plan.workers, plan.concurrency, plan.seed)
	rep.Write(&b)
	t.Log("\n" + b.String())
	if path := os.Getenv("YTMAKER_SOAK_REPORT"); path != "" {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Error(err)
		}
	}
	if ok, why := rep.OK(plan.maxIdle); !ok {
		t.Errorf("soak failed:\n  %s\n%s", strings.Join(why, "\n  "), s.logs())
	}
	if rep.Kills[soak.RoleWorker] == 0 || rep.Kills[soak.RoleServe] != len(plan.serveAt) || rep.Kills[soak.RoleRedis] != len(plan.redisAt) {
		t.Errorf("kills %v: the chaos did not happen as planned (serve %d, redis %d, at least one worker)", rep.Kills, len(plan.serveAt), len(plan.redisAt))
	}
}

// soakRun is one soak: its fakes, processes and what it saw.
type soakRun struct {
	t       *testing.T
	plan    soakPlan
	rng     *rand.Rand
	dataDir string
	addr    string
	redis   string
	env     []string
	youtube *fakeyoutube.Server

	mu      sync.Mutex
	serve   *served
	workers []*served
	dead    []*served // killed processes, for their output
	kills   []soak.Kill
	peak    map[string]int64
	holders map[soak.AttemptKey]int // running attempts seen → their process

	ids   map[int64]string // project → its YouTube title
	began time.Time
}

func newSoak(t *testing.T, plan soakPlan) *soakRun {
	gem := fakegemini.New(fakegemini.Options{APIKey: "gemini-soak"})
	stab := fakestability.New(fakestability.Options{APIKey: "sk-soak", MaxSide: 480})
	tts := faketts.New(faketts.Options{APIKey: "tts-soak"})
	yt := fakeyoutube.Start(t, fakeyoutube.Options{Quota: fakeyoutube.Quota{Unlimited: true}})
	t.Cleanup(func() { gem.Close(); stab.Close(); tts.Close() })
	s := &soakRun{t: t, plan: plan, rng: rand.New(rand.NewPCG(plan.seed, plan.seed^0x50a6)), dataDir: t.TempDir(),
		addr: "127.0.0.1:" + strconv.Itoa(freePort(t)), redis: "redis://127.0.0.1:" + strconv.Itoa(freePort(t)) + "/0",
		youtube: yt, peak: map[string]int64{}, ids: map[int64]string{}, holders: map[soak.AttemptKey]int{}}
	s.env = []string{"HOME=" + t.TempDir(), "SHUTDOWN_TIMEOUT=3s", "LOG_LEVEL=warn",
		"LLM_PROVIDER=gemini", "GEMINI_API_KEY=gemini-soak", "GEMINI_BASE_URL=" + gem.URL(),
		"TTS_PROVIDER=google", "GOOGLE_TTS_API_KEY=tts-soak", "GOOGLE_TTS_BASE_URL=" + tts.URL(),
		"STABILITY_API_KEY=sk-soak", "STABILITY_BASE_URL=" + stab.URL(),
		"YOUTUBE_CLIENT_ID=" + yt.ClientID(), "YOUTUBE_CLIENT_SECRET=" + yt.ClientSecret(), "YOUTUBE_REFRESH_TOKEN=" + yt.RefreshToken(),
		"YOUTUBE_BASE_URL=" + yt.URL, "GOOGLE_OAUTH_TOKEN_URL=" + yt.TokenURL(), "YOUTUBE_DAILY_QUOTA=1000000000"}
	return s
}

func (s *soakRun) startServe() *served {
	sv := spawn(s.t, s.addr, append(s.env, "WORKER_CONCURRENCY=1"), "serve", "--addr", s.addr, "--data-dir", s.dataDir, "--redis-url", s.redis)
	s.waitHealthy(sv)
	return sv
}

func (s *soakRun) startWorker(i int) *served {
	return spawn(s.t, "", append(s.env, "WORKER_CONCURRENCY=2"), "worker", "--data-dir", s.dataDir, "--redis-url", s.redis)
}

// waitHealthy waits for serve's /status to answer healthy: Redis up and
// a worker alive.
func (s *soakRun) waitHealthy(sv *served) {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if doc, ok := sv.status(s.t); ok && doc["data"].(map[string]any)["status"] == "healthy" {
			return
		}
		select {
		case <-sv.exited:
			s.t.Fatalf("serve exited while starting:\n%s", sv.out())
		case <-time.After(100 * time.Millisecond):
		}
	}
	s.t.Fatalf("serve never became healthy:\n%s", sv.out())
}

// start brings up serve and the workers and submits the batch.
func (s *soakRun) start() {
	s.serve = s.startServe()
	for i := range s.plan.workers {
		s.workers = append(s.workers, s.startWorker(i))
	}
	in := project.BatchInput{Name: "soak", Concurrency: s.plan.concurrency}
	for i := range s.plan.projects {
		name := fmt.Sprintf("Soak %03d", i+1)
		in.Projects = append(in.Projects, project.Input{Name: name, Content: soakText, Language: "en",
			Settings: project.Settings{MaxSegments: 3, Avatar: &noAvatar, YouTube: project.YouTube{Title: "Soak video " + strconv.Itoa(i+1)}}})
	}
	c, err := apiclient.New("http://"+s.addr, "")
	if err != nil {
		s.t.Fatal(err)
	}
	s.began = time.Now()
	b, err := c.CreateBatch(context.Background(), in, true)
	if err != nil {
		s.t.Fatalf("create the batch: %v", err)
	}
	for i, p := range b.Projects {
		s.ids[p.ID] = in.Projects[i].Settings.YouTube.Title
	}
	if len(s.ids) != s.plan.projects {
		s.t.Fatalf("the batch holds %d projects, want %d", len(s.ids), s.plan.projects)
	}
}

// noAvatar: the soak's videos are stills. A talking-head clip is re-encoded
// frame by frame at 1080p, most of a short render's CPU; on a loaded
// 2-core machine such renders outlast the 10-30 s between worker kills.
var noAvatar = false

// soakText makes a short video: three segments of a few words.
const soakText = `Rivers shape the land around them.

Cities grew beside rivers.

Today we protect rivers.`

// run drives the chaos until every project settled or the deadline, and
// returns the report.
func (s *soakRun) run() soak.Report {
	st, err := store.Open(s.dataDir)
	if err != nil {
		s.t.Fatal(err)
	}
	deadline := s.began.Add(s.plan.deadline)
	nextWorkerKill := time.Time{}
	if s.plan.workerEvery[1] > 0 {
		nextWorkerKill = time.Now().Add(s.between(s.plan.workerEvery))
	}
	workerAt, serveAt, redisAt := s.plan.workerAt, s.plan.serveAt, s.plan.redisAt
	var states map[int64]*project.State
	for {
		s.sampleRSS()
		states = s.states(st)
		s.noteHolders(states)
		settled := 0
		for _, ps := range states {
			if ps != nil && (ps.Status == project.Completed || ps.Status == project.Failed || ps.Status == project.Cancelled) {
				settled++
			}
		}
		if settled == len(s.ids) || time.Now().After(deadline) {
			break
		}
		switch {
		case len(workerAt) > 0 && settled >= workerAt[0]:
			workerAt = workerAt[1:]
			s.killWorker()
		case !nextWorkerKill.IsZero() && time.Now().After(nextWorkerKill):
			s.killWorker()
			nextWorkerKill = time.Now().Add(s.between(s.plan.workerEvery))
		case len(serveAt) > 0 && settled >= serveAt[0]:
			serveAt = serveAt[1:]
			s.killServe()
		case len(redisAt) > 0 && settled >= redisAt[0]:
			redisAt = redisAt[1:]
			s.killRedis()
		}
		time.Sleep(500 * time.Millisecond)
	}
	end := time.Now()
	uploads, stray := s.uploads()
	s.mu.Lock()
	defer s.mu.Unlock()
	return soak.Analyze(soak.Input{States: states, Uploads: uploads, Stray: stray, Kills: s.kills,
		Start: s.began, End: end, PeakRSS: s.peak, Holders: s.holders})
}

func (s *soakRun) between(r [2]time.Duration) time.Duration {
	return r[0] + time.Duration(s.rng.Int64N(int64(r[1]-r[0])+1))
}

func (s *soakRun) states(st *store.Store) map[int64]*project.State {
	out := make(map[int64]*project.State, len(s.ids))
	for id := range s.ids {
		ps, err := st.State(id)
		if err != nil {
			ps = nil
		}
		out[id] = ps
	}
	return out
}

// noteHolders records which process runs each running attempt, so that
// an interrupted attempt is known to end when that process was killed.
func (s *soakRun) noteHolders(states map[int64]*project.State) {
	for id, ps := range states {
		if ps == nil {
			continue
		}
		for _, stg := range project.Stages {
			ss := ps.Stages.Get(stg)
			if n := len(ss.History); n > 0 && ss.History[n-1].Outcome == "" {
				if pid := soak.HolderPID(ss.Holder); pid > 0 {
					s.holders[soak.KeyOf(id, stg, ss.History[n-1])] = pid
				}
			}
		}
	}
}

// uploads counts the fake's videos per project by their titles.
func (s *soakRun) uploads() (map[int64]int, int) {
	byTitle := map[string]int64{}
	for id, title := range s.ids {
		byTitle[title] = id
	}
	out, stray := map[int64]int{}, 0
	for _, v := range s.youtube.Videos() {
		if id, ok := byTitle[v.Resource.Snippet.Title]; ok {
			out[id]++
		} else {
			stray++
		}
	}
	return out, stray
}

// kill sends SIGKILL to a process the soak started and waits for it to go.
func (s *soakRun) kill(p *served, role, name string) {
	pid := p.cmd.Process.Pid
	s.record(role, name, pid)
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		s.t.Fatalf("kill -9 %s (pid %d): %v", name, pid, err)
	}
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		s.t.Fatalf("%s (pid %d) still running 10 s after kill -9", name, pid)
	}
	s.mu.Lock()
	s.dead = append(s.dead, p)
	s.mu.Unlock()
}

func (s *soakRun) record(role, name string, pid int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kills = append(s.kills, soak.Kill{At: time.Now(), Role: role, Name: name, PID: pid})
	s.t.Logf("%s kill -9 %s (pid %d)", time.Since(s.began).Round(100*time.Millisecond), name, pid)
}

// killWorker kills a random worker among those running a task (as
// /status lists them), any worker if none is or serve does not answer.
func (s *soakRun) killWorker() {
	busy := map[int]bool{}
	if doc, ok := s.serve.status(s.t); ok {
		ws, _ := doc["data"].(map[string]any)["workers"].([]any)
		for _, w := range ws {
			w, _ := w.(map[string]any)
			if pid, ok := w["pid"].(float64); ok && w["active_tasks"].(float64) > 0 {
				busy[int(pid)] = true
			}
		}
	}
	var pick []int
	for i, w := range s.workers {
		if busy[w.cmd.Process.Pid] {
			pick = append(pick, i)
		}
	}
	if len(pick) == 0 {
		for i := range s.workers {
			pick = append(pick, i)
		}
	}
	i := pick[s.rng.IntN(len(pick))]
	s.kill(s.workers[i], soak.RoleWorker, "worker-"+strconv.Itoa(i+1))
	s.workers[i] = s.startWorker(i)
}

func (s *soakRun) killServe() {
	s.kill(s.serve, soak.RoleServe, "serve")
	s.serve = s.startServe()
}

// killRedis kill -9's the redis-server serve started and supervises (its
// PID from /status), then waits for serve to have it running again.
func (s *soakRun) killRedis() {
	doc, ok := s.serve.status(s.t)
	if !ok {
		s.t.Fatalf("no /status from serve to find the Redis PID")
	}
	pid := int(doc["data"].(map[string]any)["redis"].(map[string]any)["pid"].(float64))
	if pid <= 0 || !childOf(pid, s.serve.cmd.Process.Pid) {
		s.t.Fatalf("Redis PID %d is not a child of serve (pid %d)", pid, s.serve.cmd.Process.Pid)
	}
	s.record(soak.RoleRedis, "redis-server", pid)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		s.t.Fatalf("kill -9 redis-server (pid %d): %v", pid, err)
	}
	s.waitHealthy(s.serve)
}

// childOf reports whether pid's parent is parent.
func childOf(pid, parent int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return err == nil && parentOf(string(stat)) == parent
}

// sampleRSS records each live process's peak resident set (VmHWM).
func (s *soakRun) sampleRSS() {
	procs := map[string]int{"serve": s.serve.cmd.Process.Pid}
	for i, w := range s.workers {
		procs["worker-"+strconv.Itoa(i+1)] = w.cmd.Process.Pid
	}
	if doc, ok := s.serve.status(s.t); ok {
		if r, ok := doc["data"].(map[string]any)["redis"].(map[string]any); ok {
			if pid, ok := r["pid"].(float64); ok && pid > 0 {
				procs["redis-server"] = int(pid)
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, pid := range procs {
		if kb := statusKB(pid, "VmHWM"); kb<<10 > s.peak[name] {
			s.peak[name] = kb << 10
		}
	}
}

// statusKB reads a "Name: N kB" line of /proc/pid/status; 0 if absent.
func statusKB(pid int, key string) int64 {
	raw, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// logs is the tail of every process's output, for a failed soak.
func (s *soakRun) logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	all := append(append([]*served{s.serve}, s.workers...), s.dead...)
	for _, p := range all {
		out := p.out()
		if len(out) > 4000 {
			out = out[len(out)-4000:]
		}
		fmt.Fprintf(&b, "--- %v (pid %d)\n%s\n", p.cmd.Args[1], p.cmd.Process.Pid, out)
	}
	return b.String()
}
