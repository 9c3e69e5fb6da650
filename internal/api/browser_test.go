package api

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ytmaker/ytmaker/internal/project"
)

// progressPage subscribes to a project's SSE stream, then starts the
// project; window.ytmakerResult resolves with every message seen once one
// says 100.
const progressPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>YTMaker progress</title></head>
<body><progress id="bar" max="100" value="0"></progress><pre id="log"></pre>
<script>
const id = new URLSearchParams(location.search).get("project");
window.ytmakerResult = new Promise((resolve, reject) => {
  const seen = [];
  const es = new EventSource("/api/v1/projects/" + id + "/events");
  let started = false;
  es.onopen = () => {
    if (started) return;
    started = true;
    fetch("/api/v1/projects/" + id + "/generate", {method: "POST"})
      .then(r => r.json())
      .then(j => { if (!j.success) reject(new Error("generate: " + JSON.stringify(j))); })
      .catch(reject);
  };
  es.onmessage = (e) => {
    const m = JSON.parse(e.data);
    seen.push({progress: m.progress, stage: m.stage, run: m.run || 0, seq: Number(e.lastEventId), final: !!m.final});
    document.getElementById("bar").value = m.progress;
    document.getElementById("log").textContent += m.progress + "% " + m.stage + " " + m.message + "\n";
    if (m.progress === 100) { es.close(); resolve(seen); }
  };
  setTimeout(() => reject(new Error("no 100 within 60s: " + JSON.stringify(seen))), 60000);
});
</script></body></html>`

// cdp is a minimal Chrome DevTools Protocol client.
type cdp struct {
	c      *websocket.Conn
	mu     sync.Mutex
	nextID int
	calls  map[int]chan cdpReply
	events chan cdpEvent
}

type cdpReply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

type cdpEvent struct {
	Method    string          `json:"method"`
	SessionID string          `json:"sessionId"`
	Params    json.RawMessage `json:"params"`
}

func dialCDP(ctx context.Context, url string) (*cdp, error) {
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(64 << 20)
	d := &cdp{c: c, calls: map[int]chan cdpReply{}, events: make(chan cdpEvent, 256)}
	go func() {
		for {
			_, b, err := c.Read(context.Background())
			if err != nil {
				close(d.events)
				return
			}
			var msg struct {
				ID int `json:"id"`
				cdpReply
				cdpEvent
			}
			if json.Unmarshal(b, &msg) != nil {
				continue
			}
			if msg.ID != 0 {
				d.mu.Lock()
				ch := d.calls[msg.ID]
				delete(d.calls, msg.ID)
				d.mu.Unlock()
				if ch != nil {
					ch <- msg.cdpReply
				}
				continue
			}
			select {
			case d.events <- msg.cdpEvent:
			default: // nobody listens for this many events
			}
		}
	}()
	return d, nil
}

func (d *cdp) call(ctx context.Context, session, method string, params any, out any) error {
	d.mu.Lock()
	d.nextID++
	id := d.nextID
	ch := make(chan cdpReply, 1)
	d.calls[id] = ch
	d.mu.Unlock()
	req := map[string]any{"id": id, "method": method, "params": params}
	if session != "" {
		req["sessionId"] = session
	}
	b, _ := json.Marshal(req)
	if err := d.c.Write(ctx, websocket.MessageText, b); err != nil {
		return err
	}
	select {
	case r := <-ch:
		if r.Error != nil {
			return fmt.Errorf("%s: %s", method, r.Error.Message)
		}
		if out != nil {
			return json.Unmarshal(r.Result, out)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// startChromium runs headless Chromium with remote debugging and returns
// the browser's DevTools WebSocket URL.
func startChromium(t *testing.T, bin string) string {
	t.Helper()
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
		"--user-data-dir="+t.TempDir(), "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "about:blank")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its helpers die with it
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	exited := make(chan struct{})
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	})
	urlCh := make(chan string, 1)
	var tail []string
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			if _, url, ok := strings.Cut(line, "DevTools listening on "); ok {
				urlCh <- strings.TrimSpace(url)
			} else if len(tail) < 20 {
				tail = append(tail, line)
			}
		}
		cmd.Wait()
		close(exited)
	}()
	select {
	case url := <-urlCh:
		return url
	case <-exited:
		t.Fatalf("chromium exited before listening: %s", strings.Join(tail, "\n"))
	case <-time.After(30 * time.Second):
		t.Fatal("chromium did not open its DevTools port within 30s")
	}
	return ""
}

// TestBrowserSeesProgressReach100 opens a page in headless Chromium that
// subscribes to a project's SSE stream and starts it; a real worker runs
// the (fast) test stages; the page must see progress reach 100, once.
func TestBrowserSeesProgressReach100(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (apt-get install chromium); skipping the browser test")
	}
	e := newEnv(t, envOptions{worker: true, extra: func(mux *http.ServeMux) {
		mux.HandleFunc("GET /test/progress.html", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte(progressPage))
		})
	}})
	id := e.createProject("browser")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	d, err := dialCDP(ctx, startChromium(t, bin))
	if err != nil {
		t.Fatal(err)
	}
	defer d.c.CloseNow()
	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := d.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		t.Fatal(err)
	}
	var att struct {
		SessionID string `json:"sessionId"`
	}
	if err := d.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &att); err != nil {
		t.Fatal(err)
	}
	if err := d.call(ctx, att.SessionID, "Page.enable", map[string]any{}, nil); err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("%s/test/progress.html?project=%d", e.srv.URL, id)
	if err := d.call(ctx, att.SessionID, "Page.navigate", map[string]any{"url": page}, nil); err != nil {
		t.Fatal(err)
	}
	for loaded := false; !loaded; {
		select {
		case ev, ok := <-d.events:
			if !ok {
				t.Fatal("the DevTools connection closed")
			}
			loaded = ev.Method == "Page.loadEventFired" && ev.SessionID == att.SessionID
		case <-ctx.Done():
			t.Fatal("the page did not load")
		}
	}
	var eval struct {
		Result struct {
			Value []struct {
				Progress int    `json:"progress"`
				Stage    string `json:"stage"`
				Run      int    `json:"run"`
				Seq      int64  `json:"seq"`
				Final    bool   `json:"final"`
			} `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := d.call(ctx, att.SessionID, "Runtime.evaluate", map[string]any{"expression": "window.ytmakerResult",
		"awaitPromise": true, "returnByValue": true}, &eval); err != nil {
		t.Fatal(err)
	}
	if eval.ExceptionDetails != nil {
		t.Fatalf("the page failed: %s", eval.ExceptionDetails.Exception.Description)
	}
	seen := eval.Result.Value
	if len(seen) < 3 {
		t.Fatalf("the page saw only %d messages: %+v", len(seen), seen)
	}
	last := seen[len(seen)-1]
	if last.Progress != 100 || !last.Final || last.Stage != "completed" {
		t.Fatalf("last message %+v", last)
	}
	stages := map[string]bool{}
	for i, m := range seen {
		stages[m.Stage] = true
		if i > 0 && m.Run == seen[i-1].Run && (m.Progress < seen[i-1].Progress || m.Seq <= seen[i-1].Seq) {
			t.Fatalf("message %d went backwards: %+v after %+v", i, m, seen[i-1])
		}
		if m.Progress == 100 && i != len(seen)-1 {
			t.Fatalf("100 before the end: %+v", seen)
		}
	}
	if !stages["video_rendering"] || !stages["script_generation"] {
		t.Fatalf("stages seen: %v", stages)
	}
	e.waitStatus(id, project.Completed, 10*time.Second)
	t.Logf("the browser saw %d progress messages, ending in 100", len(seen))
	d.call(ctx, "", "Browser.close", map[string]any{}, nil)
}
