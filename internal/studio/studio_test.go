package studio

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/progress"
)

func TestCatalogsHaveTheSameKeys(t *testing.T) {
	for k := range english {
		if _, ok := chinese[k]; !ok {
			t.Errorf("zh-TW lacks %q", k)
		}
	}
	for k := range chinese {
		if _, ok := english[k]; !ok {
			t.Errorf("en lacks %q", k)
		}
	}
	for _, k := range clientKeys {
		if _, ok := english[k]; !ok {
			t.Errorf("client key %q is not in the catalog", k)
		}
	}
	for _, s := range allStatuses {
		if _, ok := english["status."+string(s)]; !ok {
			t.Errorf("status %s has no label", s)
		}
	}
	for _, s := range project.Stages {
		if _, ok := english["stage."+string(s)]; !ok {
			t.Errorf("stage %s has no label", s)
		}
	}
}

// Every template key used must exist in both catalogs.
func TestTemplatesUseKnownKeys(t *testing.T) {
	re := regexp.MustCompile(`\{\{-?\s*t "([^"]+)"`)
	entries, err := files.ReadDir("templates")
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		b, _ := files.ReadFile("templates/" + en.Name())
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			if _, ok := english[m[1]]; !ok {
				t.Errorf("%s uses unknown key %q", en.Name(), m[1])
			}
		}
	}
}

func TestAcceptLanguage(t *testing.T) {
	for _, c := range []struct{ header, want string }{
		{"", "en"},
		{"zh-TW,zh;q=0.9,en;q=0.8", "zh-TW"},
		{"zh-Hant-TW", "zh-TW"},
		{"en-US,en;q=0.9,zh-TW;q=0.8", "en"},
		{"fr-FR,zh-TW;q=0.5,en;q=0.3", "zh-TW"},
		{"fr, de", "en"},
		{"en;q=0.2, zh;q=0.9", "zh-TW"},
		{"zh;q=0, en", "en"},
		{"garbage;;;q=x", "en"},
	} {
		if got := fromAcceptLanguage(c.header); got != c.want {
			t.Errorf("%q: got %s, want %s", c.header, got, c.want)
		}
	}
}

func TestExplainKey(t *testing.T) {
	for code, want := range map[string]string{
		"FFMPEG_FAILED":          "err.FFMPEG_FAILED",
		"GEMINI_AUTH_FAILED":     "err.auth",
		"STABILITY_RATE_LIMITED": "err.rate",
		"DID_SERVER_ERROR":       "err.unavailable",
		"GEMINI_BAD_REQUEST":     "err.rejected",
		"SOMETHING_NEW":          "err.generic",
	} {
		if got := explainKey(code); got != want {
			t.Errorf("%s: %s, want %s", code, got, want)
		}
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                      "/",
		"/projects/3":           "/projects/3",
		"/?status=FAILED":       "/?status=FAILED",
		"//evil.example":        "/",
		"/\\evil.example":       "/",
		"https://evil.example/": "/",
		"/signin":               "/",
		"/x\r\nSet-Cookie: a=b": "/",
		"/\t/evil.example":      "/", // browsers drop the tab: //evil.example
		"/\n/evil.example":      "/",
		"/\r/evil.example":      "/",
		"/\x00/evil.example":    "/",
		"/ /evil.example":       "/",
		"/\x7f/evil.example":    "/",
		"/a\\..\\/evil":         "/",
		"/projects/3?q=a%09b":   "/projects/3?q=a%09b",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

func TestSessionsExpireAndEnd(t *testing.T) {
	s := newSessions(time.Hour)
	now := time.Now()
	s.now = func() time.Time { return now }
	id := s.create()
	if !s.valid(id) || s.valid(id+"x") || s.valid("") {
		t.Fatal("validity")
	}
	now = now.Add(2 * time.Hour)
	if s.valid(id) {
		t.Fatal("an expired session is still valid")
	}
	id = s.create()
	s.end(id)
	if s.valid(id) {
		t.Fatal("an ended session is still valid")
	}
}

func TestPagesRenderWithData(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.browser()
	id := e.createProject("Night <markets>", "Taipei night markets are famous for their food. Visitors try many snacks there.")
	e.createProject("Rivers", "Rivers carry water to the sea. They shape valleys over a long time.")
	os.MkdirAll(filepath.Join(e.dir, "music"), 0o755)
	os.WriteFile(filepath.Join(e.dir, "music", "calm.mp3"), []byte("x"), 0o644)

	for _, c2 := range []struct {
		path, want string
		code       int
	}{
		{"/", "Night &lt;markets&gt;", 200},
		{"/?q=river", "Rivers", 200},
		{"/?status=FAILED", "No project matches.", 200},
		{"/new", "calm.mp3", 200},
		{fmt.Sprintf("/projects/%d", id), "Night &lt;markets&gt;", 200},
		{"/projects/999", "Not found", 404},
		{"/batches", "Upload a batch", 200},
		{"/system", "video_generation", 200},
		{"/system", "GEMINI_API_KEY", 200},
		{"/nowhere", "Not found", 404},
		// A name or ID that cannot exist is not found, not a server error,
		// and an ID is written the canonical way.
		{"/brands/EVIL/edit", "Not found", 404},
		{"/brands/nope/edit", "Not found", 404},
		{fmt.Sprintf("/projects/0%d", id), "Not found", 404},
		{fmt.Sprintf("/projects/+%d", id), "Not found", 404},
		{"/batches/01", "Not found", 404},
	} {
		p := e.get(c, c2.path, nil)
		if p.code != c2.code || !strings.Contains(p.body, c2.want) {
			t.Errorf("%s: %d, want %d with %q:\n%s", c2.path, p.code, c2.code, c2.want, p.body)
		}
		if strings.Contains(p.body, "Night <markets>") {
			t.Errorf("%s: a name is not escaped", c2.path)
		}
		if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("%s: CSP %q", c2.path, csp)
		}
	}
	if p := e.get(c, "/?q=river", nil); strings.Contains(p.body, "Night") {
		t.Error("search by name did not filter")
	}
	// The API keeps answering JSON on its own paths.
	if p := e.get(c, "/api/v1/nothing", nil); p.code != 404 || !strings.Contains(p.body, `"NOT_FOUND"`) {
		t.Errorf("API 404: %d %s", p.code, p.body)
	}
	if p := e.get(c, "/status", nil); p.code != 200 || !strings.Contains(p.body, `"healthy"`) {
		t.Errorf("/status: %d %s", p.code, p.body)
	}
}

// No page refers to another host: the studio works offline.
func TestNoOtherHost(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.browser()
	id := e.createProject("Offline", "A short text about offline work. It has two sentences.")
	abs := regexp.MustCompile(`(?i)(src|href|action)\s*=\s*"(https?:)?//`)
	for _, path := range []string{"/", "/new", fmt.Sprintf("/projects/%d", id), "/batches", "/system", "/static/app.css", "/static/app.js"} {
		p := e.get(c, path, nil)
		if m := abs.FindString(p.body); m != "" {
			t.Errorf("%s refers to another host: %s", path, m)
		}
		if strings.Contains(p.body, "url(http") || strings.Contains(p.body, "@import") {
			t.Errorf("%s loads from elsewhere", path)
		}
	}
}

func TestChineseFromHeaderAndSwitch(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.browser()
	p := e.get(c, "/", map[string]string{"Accept-Language": "zh-TW,zh;q=0.9"})
	if !strings.Contains(p.body, `lang="zh-TW"`) || !strings.Contains(p.body, "新增專案") {
		t.Fatalf("not Chinese: %s", p.body[:300])
	}
	p = e.get(c, "/lang/en?next=/system", map[string]string{"Accept-Language": "zh-TW"})
	if p.code != http.StatusSeeOther || p.header.Get("Location") != "/system" {
		t.Fatalf("switch: %d %v", p.code, p.header)
	}
	p = e.get(c, "/", map[string]string{"Accept-Language": "zh-TW"})
	if !strings.Contains(p.body, `lang="en"`) || !strings.Contains(p.body, "New project") {
		t.Fatal("the cookie did not win over Accept-Language")
	}
	for _, next := range []string{"//evil.example", "/%09/evil.example", "/%0A/evil.example", "/%5C%09evil.example"} {
		if p := e.get(c, "/lang/en?next="+next, nil); p.header.Get("Location") != "/" {
			t.Fatalf("open redirect through %s: %q", next, p.header.Get("Location"))
		}
	}
}

func TestSignInWithTheToken(t *testing.T) {
	const token = "s3cret-token-for-tests"
	e := newEnv(t, envOptions{token: token})
	c := e.browser()
	id := e.createProject("Private", "Only signed-in people see this project. It is short.")

	p := e.get(c, fmt.Sprintf("/projects/%d", id), nil)
	if p.code != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/signin?next=") {
		t.Fatalf("no session: %d %s", p.code, p.header.Get("Location"))
	}
	if p := e.get(c, "/events", nil); p.code != 401 {
		t.Fatalf("/events without a session: %d", p.code)
	}
	if p := e.get(c, "/api/v1/projects", nil); p.code != 401 {
		t.Fatalf("API without a session: %d", p.code)
	}
	if p := e.get(c, "/static/app.css", nil); p.code != 200 {
		t.Fatalf("static without a session: %d", p.code)
	}
	p = e.do(c, "POST", "/signin", form(url.Values{"token": {"wrong"}, "next": {"/"}}), formHeader)
	if p.code != 200 || !strings.Contains(p.body, "not right") || strings.Contains(p.header.Get("Set-Cookie"), sessionCookie) {
		t.Fatalf("wrong token: %d", p.code)
	}
	// Another site's form cannot sign the browser in (login CSRF).
	p = e.do(c, "POST", "/signin", form(url.Values{"token": {token}}),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "cross-site"})
	if p.code != http.StatusForbidden {
		t.Fatalf("cross-site sign-in: %d", p.code)
	}
	next := fmt.Sprintf("/projects/%d", id)
	p = e.do(c, "POST", "/signin", form(url.Values{"token": {token}, "next": {next}}), formHeader)
	if p.code != http.StatusSeeOther || p.header.Get("Location") != next {
		t.Fatalf("sign-in: %d %v", p.code, p.header)
	}
	ck := p.header.Get("Set-Cookie")
	for _, want := range []string{sessionCookie + "=", "HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(ck, want) {
			t.Errorf("cookie %q lacks %s", ck, want)
		}
	}
	if strings.Contains(ck, token) {
		t.Fatal("the cookie carries the token")
	}
	if p := e.get(c, next, nil); p.code != 200 || !strings.Contains(p.body, "Private") || !strings.Contains(p.body, "Sign out") {
		t.Fatalf("signed in: %d", p.code)
	}
	// A signed-in browser sent to the sign-in page goes on, but never off the site.
	if p := e.get(c, "/signin?next=/%09/evil.example/", nil); p.code != http.StatusSeeOther || p.header.Get("Location") != "/" {
		t.Fatalf("signed in, next with a tab: %d %q", p.code, p.header.Get("Location"))
	}
	// The API takes the session cookie from same-origin requests...
	if p := e.get(c, "/api/v1/projects", nil); p.code != 200 {
		t.Fatalf("API with a session: %d %s", p.code, p.body)
	}
	// ...but not a state change another site's page asks for.
	p = e.do(c, "POST", fmt.Sprintf("/api/v1/projects/%d/cancel", id), nil, map[string]string{"Sec-Fetch-Site": "cross-site"})
	if p.code != http.StatusForbidden {
		t.Fatalf("cross-site API call with the cookie: %d %s", p.code, p.body)
	}
	p = e.do(c, "POST", "/signout", nil, nil)
	if p.code != http.StatusSeeOther || p.header.Get("Location") != "/signin" {
		t.Fatalf("sign-out: %d", p.code)
	}
	// The old cookie is dead on the server, not just removed.
	u, _ := url.Parse(e.srv.URL)
	old := &http.Cookie{Name: sessionCookie, Value: strings.TrimPrefix(strings.SplitN(ck, ";", 2)[0], sessionCookie+"=")}
	c2 := e.browser()
	c2.Jar.SetCookies(u, []*http.Cookie{old})
	if p := e.get(c2, "/api/v1/projects", nil); p.code != 401 {
		t.Fatalf("API after sign-out: %d", p.code)
	}
	if p := e.get(c2, "/", nil); p.code != http.StatusSeeOther {
		t.Fatalf("page after sign-out: %d", p.code)
	}
	// The bearer token keeps working for programs.
	if p := e.get(e.browser(), "/api/v1/projects", map[string]string{"Authorization": "Bearer " + token}); p.code != 200 {
		t.Fatalf("bearer: %d", p.code)
	}
}

func TestLiveParts(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.browser()
	id := e.createProject("Live", "A text to follow live. It has two sentences.")
	p := e.get(c, fmt.Sprintf("/projects/%d/live", id), nil)
	if p.code != 200 || !strings.Contains(p.body, `"timeline"`) || !strings.Contains(p.body, `data-action=\"generate\"`) {
		t.Fatalf("live: %d %s", p.code, p.body)
	}
	if p := e.get(c, "/projects/77/live", nil); p.code != 404 {
		t.Fatalf("live of a missing project: %d", p.code)
	}
	for _, path := range []string{fmt.Sprintf("/projects/%d/assets/image/1", id), fmt.Sprintf("/projects/%d/assets/x/1", id),
		fmt.Sprintf("/projects/%d/assets/audio/0", id), "/projects/0/assets/image/1",
		fmt.Sprintf("/projects/0%d/assets/image/1", id), fmt.Sprintf("/projects/%d/assets/image/01", id)} {
		if p := e.get(c, path, nil); p.code != 404 {
			t.Errorf("%s: %d", path, p.code)
		}
	}
	img := filepath.Join(e.dir, "projects", fmt.Sprint(id), "assets", "images")
	os.MkdirAll(img, 0o755)
	os.WriteFile(filepath.Join(img, "segment_01.png"), []byte("\x89PNG\r\n\x1a\nfake"), 0o644)
	if p := e.get(c, fmt.Sprintf("/projects/%d/assets/image/1", id), nil); p.code != 200 || p.header.Get("Content-Type") != "image/png" {
		t.Errorf("image: %d %s", p.code, p.header.Get("Content-Type"))
	}
}

// The list pages' stream carries every project's progress messages.
func TestEventsStreamAllProjects(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") != "text/event-stream; charset=utf-8" {
		t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
	}
	r := bufio.NewReader(resp.Body)
	if line, _ := r.ReadString('\n'); !strings.HasPrefix(line, "retry:") {
		t.Fatalf("first line %q", line)
	}
	pub := progress.NewPublisher(e.rdb)
	for _, id := range []int64{3, 4} {
		if _, err := pub.Publish(ctx, progress.Message{ProjectID: id, Run: 1, Stage: progress.StageScript, Progress: 10 * int(id)}); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for len(seen) < 2 {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended: %v (seen %v)", err, seen)
		}
		if strings.HasPrefix(line, "data: ") {
			for _, id := range []string{`"project_id":3`, `"project_id":4`} {
				if strings.Contains(line, id) {
					seen[id] = true
				}
			}
		}
	}
}

// The studio sits behind the API's Host check: without a token, a page
// reached through a foreign name (DNS rebinding) is refused.
func TestForeignHostRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, path := range []string{"/", "/system", "/events"} {
		req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		req.Host = "rebind.example:80"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMisdirectedRequest {
			t.Errorf("%s with a foreign Host: %d", path, resp.StatusCode)
		}
	}
}

// The System page lists every service in both languages, offers Test only
// where there is something to test, and the test endpoint it calls
// refuses other sites.
func TestSystemPageServices(t *testing.T) {
	e := newEnv(t, envOptions{env: map[string]string{"STABILITY_API_KEY": "sk-page-secret-123", "STABILITY_BASE_URL": "http://127.0.0.1:9"}})
	c := e.browser()
	p := e.get(c, "/system", nil)
	for _, want := range []string{"Stability AI", `data-test-provider="stability"`, `data-test-provider="offline-voice"`,
		"Set GEMINI_API_KEY", "Key test", `data-interval="5"`, `aria-live="polite"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the System page lacks %q", want)
		}
	}
	if strings.Contains(p.body, `data-test-provider="gemini"`) {
		t.Error("Test offered for a service without a key")
	}
	if strings.Contains(p.body, "sk-page") || strings.Contains(p.body, "secret-123") {
		t.Fatal("the page shows the key")
	}
	p = e.get(c, "/system", map[string]string{"Accept-Language": "zh-TW"})
	for _, want := range []string{"金鑰測試", ">測試</button>", "未設定", "請設定 GEMINI_API_KEY", "語音"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the zh-TW System page lacks %q", want)
		}
	}
	p = e.do(c, "POST", "/api/v1/providers/slides/test", nil, map[string]string{"Sec-Fetch-Site": "cross-site"})
	if p.code != http.StatusForbidden {
		t.Fatalf("cross-site test: %d %s", p.code, p.body)
	}
	p = e.do(c, "POST", "/api/v1/providers/slides/test", nil, map[string]string{"Sec-Fetch-Site": "same-origin"})
	if p.code != http.StatusOK || !strings.Contains(p.body, `"ok":true`) {
		t.Fatalf("same-origin test: %d %s", p.code, p.body)
	}
}

func TestNotUploadedReasonInThePageLanguage(t *testing.T) {
	for _, c := range []struct{ lang, status, want string }{
		{"en", "not uploaded: no YouTube credentials (set YOUTUBE_CLIENT_ID and YOUTUBE_CLIENT_SECRET, then ...)", "Not uploaded: no YouTube channel is connected"},
		{"zh-TW", "not uploaded: no YouTube credentials (set YOUTUBE_CLIENT_ID and YOUTUBE_CLIENT_SECRET, then ...)", "未上傳：尚未連結 YouTube 頻道"},
		{"zh-TW", "not uploaded: uploading is turned off for this project (settings.youtube.upload)", "未上傳：這個專案關閉了上傳"},
		{"zh-TW", "not uploaded: something new", "未上傳：something new"},
		{"en", "not uploaded: something new", "Not uploaded: something new"},
	} {
		if got := notUploaded(c.lang, c.status); !strings.HasPrefix(got, c.want) {
			t.Errorf("%s %q: %q, want %q...", c.lang, c.status, got, c.want)
		}
	}
}

// A zh-TW project page shows its settings and script in Chinese, not the
// API's English values.
func TestProjectPageSettingsInChinese(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.browser()
	id := e.createProject("夜市", "臺灣的夜市很熱鬧。小吃便宜又好吃。")
	p := e.get(c, fmt.Sprintf("/projects/%d", id), map[string]string{"Accept-Language": "zh-TW"})
	for _, want := range []string{translate("zh-TW", "new.motion.none"), translate("zh-TW", "new.captions.sentence")} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	for _, v := range []string{"<dd>none</dd>", "<dd>sentence</dd>"} {
		if strings.Contains(p.body, v) {
			t.Errorf("an untranslated setting: %s", v)
		}
	}
	f := funcs("zh-TW")["tv"].(func(string, string) string)
	if got := f("segtype.", "intro"); got != "開場" {
		t.Errorf("segment type: %q", got)
	}
	if got := f("new.motion.", "something-new"); got != "something-new" {
		t.Errorf("an unknown value: %q", got)
	}
}
