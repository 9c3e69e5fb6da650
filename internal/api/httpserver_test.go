package api

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ytmaker/ytmaker/progress"
)

func TestNewHTTPServerHasDeadlines(t *testing.T) {
	s := NewHTTPServer(nil, nil)
	if s.ReadHeaderTimeout <= 0 || s.ReadTimeout <= 0 || s.WriteTimeout <= 0 || s.IdleTimeout <= 0 {
		t.Fatalf("a deadline is missing: %+v", s)
	}
}

// The server's read and write deadlines end ordinary requests; progress
// streams outlive them (SSE and WebSocket alike).
func TestStreamsOutliveTheServerDeadlines(t *testing.T) {
	const deadline = time.Second // generous: every ordinary request of the test must finish within it on a loaded machine
	e := newEnv(t, envOptions{deadlines: deadline, keepAlive: time.Hour, pingInterval: time.Hour})
	id := e.createProject("long")
	sse := e.openSSE(t, id)
	ws := e.dialWS(t, id)
	time.Sleep(4 * deadline)
	e.publish(t, progress.Message{ProjectID: id, Stage: "script", Progress: 7, Message: "late"})
	for {
		if _, m := sse.next(t, 5*time.Second); m.Message == "late" {
			break
		}
	}
	for !strings.Contains(string(readWS(t, ws, 5*time.Second)), "late") {
	}
	ws.Close(websocket.StatusNormalClosure, "")
	// A download read slowly (a phone on a poor link) is not cut at the
	// write deadline.
	video := make([]byte, 32<<20)
	for i := range video {
		video[i] = byte(i * 7)
	}
	dir := filepath.Join(e.dir, "projects", strconv.FormatInt(id, 10), "output")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "final_video.mp4"), video, 0o644); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(e.srv.URL + fmt.Sprintf("/api/v1/projects/%d/video", id))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	head := make([]byte, 1<<20)
	if _, err := io.ReadFull(resp.Body, head); err != nil {
		t.Fatal(err)
	}
	time.Sleep(4 * deadline) // the server's writes block on the full socket meanwhile
	rest, err := io.ReadAll(resp.Body)
	if err != nil || len(head)+len(rest) != len(video) {
		t.Fatalf("download cut at %d of %d bytes: %v", len(head)+len(rest), len(video), err)
	}
	// A creator's own clip (up to 200 MiB) sent over a slow uplink is not
	// cut at the read deadline, nor is it when played back slowly.
	mid := e.scriptedProject()
	png := mediaFixture(t, "slow.png", "color=c=red:s=64x48", "-frames:v", "1")
	form, ctype := mediaForm(t, MediaField, "slow.png", png)
	body, _ := io.ReadAll(form)
	pr, pw := io.Pipe()
	go func() {
		pw.Write(body[:len(body)/2])
		time.Sleep(4 * deadline) // the rest of the upload arrives late
		pw.Write(body[len(body)/2:])
		pw.Close()
	}()
	req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/api/v1/projects/%d/segments/2/media", e.srv.URL, mid), pr)
	req.Header.Set("Content-Type", ctype)
	up, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("slow upload: %v", err)
	}
	up.Body.Close()
	if up.StatusCode != 200 {
		t.Fatalf("slow upload: %d", up.StatusCode)
	}
	// Played back slowly: the stored file is swapped for a large one so
	// the server's writes block on the full socket.
	if err := os.WriteFile(filepath.Join(e.engine.Store().ProjectDir(mid), "media", "segment_02.png"), video, 0o644); err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get(fmt.Sprintf("%s/api/v1/projects/%d/segments/2/media", e.srv.URL, mid))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.ReadFull(resp.Body, head); err != nil {
		t.Fatal(err)
	}
	time.Sleep(4 * deadline)
	rest, err = io.ReadAll(resp.Body)
	if err != nil || len(head)+len(rest) != len(video) {
		t.Fatalf("media download cut at %d of %d bytes: %v", len(head)+len(rest), len(video), err)
	}
	// Ordinary requests keep working on the same server.
	e.do("GET", "/api/v1/projects", nil).ok(200, nil)
}
