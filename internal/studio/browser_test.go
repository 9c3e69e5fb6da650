package studio

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/ytmaker/ytmaker/internal/fakes/fakeelevenlabs"
	"github.com/ytmaker/ytmaker/internal/fakes/fakestability"
	"github.com/ytmaker/ytmaker/internal/pipeline"
	"github.com/ytmaker/ytmaker/internal/project"
)

// Real-browser tests: headless Chromium (Debian's chromium package)
// driven over the DevTools protocol, against the studio with a worker
// running the offline pipeline (real ffmpeg).

const shortText = "Lanterns glow over the old harbour at night. Fishing boats come home with the tide. " +
	"Families walk along the pier and buy grilled squid."

// tab is one browser tab with the console messages it produced.
type tab struct {
	t       *testing.T
	ctx     context.Context
	mu      sync.Mutex
	console []chromedp.ConsoleMessage
	allowed []string // console error texts expected by the test
}

func newTab(t *testing.T) *tab {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (apt-get install chromium); skipping the browser test")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.WindowSize(1280, 900), chromedp.Flag("autoplay-policy", "no-user-gesture-required"))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser; no deadline on this one
		t.Fatal(err)
	}
	tb := &tab{t: t, ctx: ctx}
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			tb.mu.Lock()
			tb.console = append(tb.console, m)
			tb.mu.Unlock()
		}
	}()
	t.Cleanup(tb.checkConsole)
	return tb
}

// allowConsole lets console errors containing text pass: the browser
// logs every refused request (a 409 the page handles) as one.
func (b *tab) allowConsole(text string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.allowed = append(b.allowed, text)
}

// checkConsole fails the test on any console error or uncaught exception
// that allowConsole did not expect.
func (b *tab) checkConsole() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.console {
		if m.Type == chromedp.ConsoleError && slices.ContainsFunc(b.allowed, func(s string) bool { return strings.Contains(m.Text, s) }) {
			continue
		}
		if m.Type == chromedp.ConsoleError || m.IsException() {
			b.t.Errorf("console %s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line)
		}
	}
}

// do runs steps with a deadline.
func (b *tab) do(d time.Duration, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, d)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

// upload sets the files of the file input with id. The live page may
// redraw the control between finding its node and setting the files (the
// node then no longer exists); the step is tried again on a fresh node
// until d passes.
func (b *tab) upload(d time.Duration, id string, files []string) {
	b.t.Helper()
	deadline := time.Now().Add(d)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, time.Until(deadline))
		err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.ID(id), files))
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) || !strings.Contains(err.Error(), "Could not find node") {
			b.t.Fatal(err)
		}
	}
}

// eval evaluates a JavaScript expression.
func eval[T any](b *tab, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it is true; it survives
// navigations (an evaluation during one just fails and is tried again).
func (b *tab) waitFor(expr string, d time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(d)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	body, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string]("document.body ? document.body.innerText.slice(0, 2000) : ''"))
	b.t.Fatalf("waited %s for %s (last error %v); the page says:\n%s", d, expr, last, body)
}

// screenshot saves the page when YTMAKER_SCREENSHOTS names a folder.
func (b *tab) screenshot(name string, width, height int64) {
	dir := os.Getenv("YTMAKER_SCREENSHOTS")
	if dir == "" {
		return
	}
	b.t.Helper()
	b.do(10*time.Second, chromedp.EmulateViewport(width, height))
	time.Sleep(300 * time.Millisecond) // let layout settle after the resize
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, width)), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.do(10*time.Second, chromedp.EmulateViewport(1280, 900))
}

// TestBrowserCreateWatchAndPlay fills the new-project form, follows the
// project page as the stages run (no reload) to 100 %, then plays the
// video.
func TestBrowserCreateWatchAndPlay(t *testing.T) {
	e := newEnv(t, envOptions{worker: true})
	b := newTab(t)
	b.do(20*time.Second,
		chromedp.Navigate(e.srv.URL+"/new"),
		chromedp.WaitVisible(chromedp.ID("f-name")),
		chromedp.SendKeys(chromedp.ID("f-name"), "Harbour lights"),
		chromedp.SendKeys(chromedp.ID("f-content"), shortText),
	)
	b.waitFor(`document.getElementById("f-language-help").textContent.includes("en")`, 10*time.Second)
	b.screenshot("new", 390, 900)
	b.do(10*time.Second, chromedp.Click(chromedp.ID("f-submit")))
	b.waitFor(`/^\/projects\/\d+$/.test(location.pathname) && document.getElementById("pct")`, 20*time.Second)
	id := eval[int64](b, `Number(location.pathname.split("/").pop())`)
	// A mark that a reload would wipe out.
	eval[bool](b, `window.studioMark = true`)
	b.waitFor(`document.getElementById("pct").textContent === "100%"`, 3*time.Minute)
	b.waitFor(`document.querySelector("video#video")`, 20*time.Second)
	if !eval[bool](b, `window.studioMark === true`) {
		t.Fatal("the page was reloaded")
	}
	if got := eval[string](b, `document.getElementById("status").dataset.status`); got != string(project.Completed) {
		t.Fatalf("badge %s", got)
	}
	b.waitFor(`document.querySelectorAll(".timeline .st-completed, .timeline .st-skipped").length === 5`, 10*time.Second)
	// Play it: the range-request endpoint must let the browser load it.
	b.do(10*time.Second, chromedp.Evaluate[chromedp.Void](`(v => { v.muted = true; v.play().catch(() => {}); })(document.getElementById("video"))`))
	b.waitFor(`document.getElementById("video").readyState >= 2`, 30*time.Second)
	dur := eval[float64](b, `document.getElementById("video").duration`)
	st, err := e.engine.Store().State(id)
	if err != nil {
		t.Fatal(err)
	}
	var rr pipeline.RenderResult
	if err := json.Unmarshal(st.Stages.Render.Result, &rr); err != nil || rr.Seconds <= 0 {
		t.Fatalf("render result %s: %v", st.Stages.Render.Result, err)
	}
	if math.Abs(dur-rr.Seconds) > 0.02*rr.Seconds {
		t.Fatalf("the browser sees %.2fs, the project made %.2fs", dur, rr.Seconds)
	}
	if n := eval[int](b, `document.querySelectorAll(".gallery img").length`); n < 3 {
		t.Fatalf("%d pictures in the gallery", n)
	}
	b.screenshot("project", 1280, 900)
	b.screenshot("project", 390, 900)
	b.do(10*time.Second, chromedp.Navigate(e.srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS(".project-row")))
	b.screenshot("projects", 1280, 700)
	b.screenshot("projects", 390, 800)
	t.Logf("project %d reached 100%% live; the browser plays %.2fs of %.2fs", id, dur, rr.Seconds)
}

// TestBrowserBatchUpload uploads a CSV of two projects and watches the
// batch finish.
func TestBrowserBatchUpload(t *testing.T) {
	e := newEnv(t, envOptions{worker: true})
	b := newTab(t)
	csv := filepath.Join(t.TempDir(), "batch.csv")
	body := "name,content\n" +
		"Harbour,\"" + shortText + "\"\n" +
		"Tea,\"Tea grows on green hills in the mist. Farmers pick the leaves by hand in spring.\"\n"
	if err := os.WriteFile(csv, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	b.do(20*time.Second,
		chromedp.Navigate(e.srv.URL+"/batches"),
		chromedp.WaitVisible(chromedp.ID("b-file")),
		chromedp.SetUploadFiles(chromedp.ID("b-file"), []string{csv}),
		chromedp.SendKeys(chromedp.ID("b-name"), "Two videos"),
		chromedp.Click(chromedp.CSS(`#batch-upload button[type="submit"]`)),
	)
	b.waitFor(`/^\/batches\/\d+$/.test(location.pathname) && document.querySelectorAll("#batch .project-row").length === 2`, 20*time.Second)
	eval[bool](b, `window.studioMark = true`)
	b.waitFor(`document.querySelector("[data-batch-status]").dataset.batchStatus === "COMPLETED"`, 4*time.Minute)
	if !eval[bool](b, `window.studioMark === true`) {
		t.Fatal("the page was reloaded")
	}
	if n := eval[int](b, `document.querySelectorAll('#batch .badge[data-status="COMPLETED"]').length`); n != 2 {
		t.Fatalf("%d projects shown completed", n)
	}
	b.screenshot("batch", 1280, 700)
}

// TestBrowserSignIn signs in with the token and reaches the page asked for.
func TestBrowserSignIn(t *testing.T) {
	const token = "browser-token-123"
	e := newEnv(t, envOptions{token: token})
	id := e.createProject("Locked", shortText)
	b := newTab(t)
	b.do(20*time.Second, chromedp.Navigate(fmt.Sprintf("%s/projects/%d", e.srv.URL, id)))
	b.waitFor(`location.pathname === "/signin" && document.getElementById("token")`, 10*time.Second)
	b.screenshot("signin", 390, 700)
	b.do(10*time.Second,
		chromedp.SendKeys(chromedp.ID("token"), "wrong"),
		chromedp.Submit(chromedp.ID("token")),
	)
	b.waitFor(`document.getElementById("token-error")`, 10*time.Second)
	b.do(10*time.Second,
		chromedp.SendKeys(chromedp.ID("token"), token),
		chromedp.Submit(chromedp.ID("token")),
	)
	b.waitFor(fmt.Sprintf(`location.pathname === "/projects/%d" && document.getElementById("status")`, id), 10*time.Second)
	if eval[bool](b, `document.cookie.includes("ytmaker_session")`) {
		t.Fatal("a script can read the session cookie")
	}
	// The page's own API calls work with the session.
	ok := eval[bool](b, `fetch("/api/v1/projects").then(r => r.ok)`)
	if !ok {
		t.Fatal("the API refused the signed-in browser")
	}
	b.do(10*time.Second, chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
	b.waitFor(`location.pathname === "/signin"`, 10*time.Second)
	b.do(10*time.Second, chromedp.Navigate(e.srv.URL+"/"))
	b.waitFor(`location.pathname === "/signin" && document.getElementById("token")`, 10*time.Second)
}

// TestBrowserChineseInterface renders the zh-TW interface from the
// browser's language and from the switch.
func TestBrowserChineseInterface(t *testing.T) {
	e := newEnv(t, envOptions{})
	id := e.createProject("夜市", "台灣的夜市很熱鬧。遊客品嚐各種小吃。")
	b := newTab(t)
	b.do(10*time.Second, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
			Headers: network.Headers{"Accept-Language": "zh-TW,zh;q=0.9,en;q=0.5"}})
		return err
	}))
	b.do(20*time.Second, chromedp.Navigate(e.srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS(".project-row")))
	if lang := eval[string](b, `document.documentElement.lang`); lang != "zh-TW" {
		t.Fatalf("lang %q", lang)
	}
	if h := eval[string](b, `document.querySelector("h1").textContent`); h != "專案" {
		t.Fatalf("h1 %q", h)
	}
	if s := eval[string](b, `document.querySelector(".project-row .badge").textContent`); s != "尚未開始" {
		t.Fatalf("badge %q", s)
	}
	b.screenshot("projects-zh", 390, 700)
	// Keyboard: the first Tab reaches the skip link, shown with a focus
	// outline; the next ones walk the menu.
	b.do(10*time.Second, chromedp.KeyEvent(kb.Tab))
	if got := eval[string](b, `document.activeElement.className + "|" + getComputedStyle(document.activeElement).outlineStyle`); got != "skip|solid" {
		t.Fatalf("first Tab: %q", got)
	}
	b.do(10*time.Second, chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Tab))
	if got := eval[string](b, `document.activeElement.getAttribute("href") + "|" + getComputedStyle(document.activeElement).outlineStyle`); got != "/|solid" {
		t.Fatalf("third Tab: %q", got)
	}
	b.do(20*time.Second, chromedp.Navigate(fmt.Sprintf("%s/projects/%d", e.srv.URL, id)), chromedp.WaitVisible(chromedp.ID("status")))
	if txt := eval[string](b, `document.querySelector('[data-action="generate"]').textContent`); txt != "開始" {
		t.Fatalf("button %q", txt)
	}
	// The switch wins over the header and keeps the page.
	b.do(10*time.Second, chromedp.Click(chromedp.CSS(`a[hreflang="en"]`)))
	b.waitFor(fmt.Sprintf(`location.pathname === "/projects/%d" && document.documentElement.lang === "en"`, id), 10*time.Second)
	if txt := eval[string](b, `document.querySelector('[data-action="generate"]').textContent`); strings.TrimSpace(txt) != "Start" {
		t.Fatalf("button %q", txt)
	}
}

// TestBrowserReviewFlow asks for a script review on the form, edits a
// segment in the editor, approves, and finds the edit in the subtitles.
func TestBrowserReviewFlow(t *testing.T) {
	e := newEnv(t, envOptions{worker: true})
	b := newTab(t)
	b.do(20*time.Second,
		chromedp.Navigate(e.srv.URL+"/new"),
		chromedp.WaitVisible(chromedp.ID("f-name")),
		chromedp.SendKeys(chromedp.ID("f-name"), "Reviewed"),
		chromedp.SendKeys(chromedp.ID("f-content"), shortText),
		chromedp.Click(chromedp.ID("f-review")),
		chromedp.Click(chromedp.ID("f-submit")),
	)
	b.waitFor(`/^\/projects\/\d+$/.test(location.pathname) && document.getElementById("status")`, 20*time.Second)
	id := eval[int64](b, `Number(location.pathname.split("/").pop())`)
	eval[bool](b, `window.studioMark = true`)
	b.waitFor(`document.getElementById("status").dataset.status === "SCRIPT_REVIEW" && document.getElementById("s-seg-1")`, time.Minute)
	b.screenshot("review", 1280, 900)
	const edited = "Lighthouse keepers polish the great lens every evening."
	b.do(10*time.Second,
		chromedp.Clear(chromedp.ID("s-seg-1")),
		chromedp.SendKeys(chromedp.ID("s-seg-1"), edited),
		chromedp.Click(chromedp.ID("s-approve")),
	)
	b.waitFor(`document.getElementById("pct").textContent === "100%" && document.getElementById("status").dataset.status === "COMPLETED"`, 3*time.Minute)
	if !eval[bool](b, `window.studioMark === true`) {
		t.Fatal("the page was reloaded")
	}
	srt, err := os.ReadFile(filepath.Join(e.dir, "projects", fmt.Sprint(id), "output", "subtitles.srt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(strings.Fields(string(srt)), " "), "Lighthouse keepers polish") {
		t.Fatalf("the subtitles lack the edited text:\n%s", srt)
	}
}

// TestBrowserSystemKeyTest presses Test beside two services whose APIs are
// protocol fakes: one key works, one is refused, and a second press at
// once is held back. The buttons work from the keyboard.
func TestBrowserSystemKeyTest(t *testing.T) {
	images := fakestability.New(fakestability.Options{APIKey: "sk-studio-right", Credits: 9})
	defer images.Close()
	voice := fakeelevenlabs.New(fakeelevenlabs.Options{APIKey: "el-studio-right"})
	defer voice.Close()
	e := newEnv(t, envOptions{env: map[string]string{
		"STABILITY_API_KEY": "sk-studio-right", "STABILITY_BASE_URL": images.URL(),
		"ELEVENLABS_API_KEY": "el-studio-wrong", "ELEVENLABS_BASE_URL": voice.URL(),
	}})
	b := newTab(t)
	b.do(20*time.Second, chromedp.Navigate(e.srv.URL+"/system"), chromedp.WaitVisible(chromedp.CSS(`[data-test-provider="stability"]`)))
	if n := eval[int](b, `document.querySelectorAll("[data-test-provider]").length`); n != 5 {
		t.Fatalf("%d Test buttons, want 5 (2 configured services and 3 built in)", n)
	}
	if eval[bool](b, `!!document.querySelector('[data-test-provider="gemini"]')`) {
		t.Fatal("a Test button for a service without a key")
	}
	if html := eval[string](b, `document.body.innerHTML`); strings.Contains(html, "sk-studio") || strings.Contains(html, "el-studio") {
		t.Fatal("the page shows a key")
	}
	// From the keyboard: focus the button, press Enter.
	b.do(10*time.Second, chromedp.Focus(chromedp.CSS(`[data-test-provider="stability"]`)), chromedp.KeyEvent(kb.Enter))
	b.waitFor(`document.getElementById("test-stability").dataset.code === "OK"`, 15*time.Second)
	if txt := eval[string](b, `document.getElementById("test-stability").textContent`); !strings.Contains(txt, "9.00 credits left") {
		t.Fatalf("stability result %q", txt)
	}
	b.do(10*time.Second, chromedp.Click(chromedp.CSS(`[data-test-provider="elevenlabs"]`)))
	b.waitFor(`document.getElementById("test-elevenlabs").dataset.code === "ELEVENLABS_AUTH_FAILED"`, 15*time.Second)
	if cls := eval[string](b, `document.getElementById("test-elevenlabs").className`); !strings.Contains(cls, "bad-text") {
		t.Fatalf("class %q", cls)
	}
	// The button rests while the server would refuse another test, then
	// works again.
	if !eval[bool](b, `document.querySelector('[data-test-provider="stability"]').disabled`) {
		t.Fatal("Test can be pressed again at once")
	}
	b.waitFor(`!document.querySelector('[data-test-provider="stability"]').disabled`, 15*time.Second)
	b.do(10*time.Second, chromedp.Click(chromedp.CSS(`[data-test-provider="stability"]`)))
	b.waitFor(`document.getElementById("test-stability").dataset.code === "OK"`, 15*time.Second)
	if images.Calls() != 2 || voice.Calls() != 1 {
		t.Fatalf("calls: stability %d, elevenlabs %d", images.Calls(), voice.Calls())
	}
	b.screenshot("system", 1280, 900)
}
