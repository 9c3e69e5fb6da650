package youtube

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/fakes/fakeyoutube"
)

const mib = 1 << 20

// writeVideo writes n deterministic pseudo-random bytes to a file.
func writeVideo(t *testing.T, n int, seed uint64) (string, []byte) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	path := filepath.Join(t.TempDir(), "final_video.mp4")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, data
}

func newClient(t *testing.T, fake *fakeyoutube.Server, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		ClientID:     fake.ClientID(),
		ClientSecret: fake.ClientSecret(),
		RefreshToken: fake.RefreshToken(),
		TokenURL:     fake.TokenURL(),
		BaseURL:      fake.URL,
		ChunkSize:    ChunkUnit,
		RetryBackoff: time.Millisecond,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func meta() Metadata {
	return Metadata{Title: "Test video", Description: "About things.", Tags: []string{"go", "video maker"}, Language: "en"}
}

// recorder collects hook calls.
type recorder struct {
	sessions []Session
	progress [][2]int64
	inserts  int
}

func (r *recorder) hooks() Hooks {
	return Hooks{
		BeforeNewSession: func(context.Context) error { r.inserts++; return nil },
		OnSession:        func(s Session) error { r.sessions = append(r.sessions, s); return nil },
		OnProgress:       func(sent, total int64) { r.progress = append(r.progress, [2]int64{sent, total}) },
	}
}

func (r *recorder) last() *Session {
	if len(r.sessions) == 0 {
		return nil
	}
	s := r.sessions[len(r.sessions)-1]
	return &s
}

func requireCode(t *testing.T, err error, code string, retryable bool) *errcode.Error {
	t.Helper()
	ce, ok := errcode.As(err)
	if !ok {
		t.Fatalf("err = %v (%T), want coded %s", err, err, code)
	}
	if ce.Code != code || ce.Retryable != retryable {
		t.Fatalf("err = %s retryable=%v, want %s retryable=%v", ce, ce.Retryable, code, retryable)
	}
	return ce
}

func opsOf(reqs []fakeyoutube.Request, op fakeyoutube.Op) []fakeyoutube.Request {
	var out []fakeyoutube.Request
	for _, r := range reqs {
		if r.Op == op {
			out = append(out, r)
		}
	}
	return out
}

func sumBytes(reqs []fakeyoutube.Request) int64 {
	var n int64
	for _, r := range reqs {
		n += r.Bytes
	}
	return n
}

func TestUploadMultiChunk(t *testing.T) {
	fake := fakeyoutube.Start(t, fakeyoutube.Options{})
	c := newClient(t, fake, nil)
	path, data := writeVideo(t, 3*mib, 1)
	var rec recorder
	res, err := c.Upload(context.Background(), UploadRequest{VideoPath: path, Metadata: meta()}, rec.hooks())
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	v, ok := fake.Video(res.VideoID)
	if !ok || !bytes.Equal(v.Media, data) {
		t.Fatalf("fake holds %d bytes for %q, want the %d-byte source", len(v.Media), res.VideoID, len(data))
	}
	if res.Resumed || res.NewSessions != 1 || res.BytesSent != int64(len(data)) || rec.inserts != 1 {
		t.Fatalf("result = %+v, inserts %d", res, rec.inserts)
	}
	chunks := opsOf(fake.Requests(), fakeyoutube.OpChunk)
	if len(chunks) != 12 {
		t.Fatalf("%d chunk requests, want 12", len(chunks))
	}
	for i, ch := range chunks {
		want := "bytes " + itoa(int64(i)*ChunkUnit) + "-" + itoa(int64(i+1)*ChunkUnit-1) + "/3145728"
		if ch.Method != http.MethodPut || ch.ContentRange != want || ch.Bytes != ChunkUnit {
			t.Fatalf("chunk %d = %s %q %d bytes, want PUT %q", i, ch.Method, ch.ContentRange, ch.Bytes, want)
		}
		if ch.Header.Get("Authorization") != "Bearer ***" {
			t.Fatalf("chunk %d sent without a bearer token", i)
		}
	}
	insert := opsOf(fake.Requests(), fakeyoutube.OpInsert)[0]
	if insert.Header.Get("X-Upload-Content-Length") != "3145728" || insert.Header.Get("X-Upload-Content-Type") != "video/mp4" ||
		insert.Query.Get("part") != "snippet,status" || insert.Query.Get("uploadType") != "resumable" {
		t.Fatalf("insert request = %+v", insert)
	}
	// OnSession: created, 11 confirmed chunks, complete.
	if len(rec.sessions) != 13 {
		t.Fatalf("%d OnSession calls, want 13", len(rec.sessions))
	}
	first, last := rec.sessions[0], rec.last()
	if first.URI == "" || first.Offset != 0 || first.Size != int64(len(data)) || first.File.Size != int64(len(data)) || first.CreatedAt.IsZero() {
		t.Fatalf("first session = %+v", first)
	}
	if rec.sessions[5].Offset != 5*ChunkUnit {
		t.Fatalf("6th session offset = %d", rec.sessions[5].Offset)
	}
	if last.VideoID != res.VideoID || last.Offset != int64(len(data)) {
		t.Fatalf("final session = %+v", last)
	}
	if p := rec.progress[len(rec.progress)-1]; p != [2]int64{int64(len(data)), int64(len(data))} {
		t.Fatalf("last progress = %v", p)
	}
	if res.Video.Status == nil || res.Video.Status.UploadStatus != "uploaded" {
		t.Fatalf("returned video = %+v", res.Video)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestResumeAfterConnectionCutSendsOnlyTheRest(t *testing.T) {
	fake := fakeyoutube.Start(t, fakeyoutube.Options{})
	path, data := writeVideo(t, 3*mib, 2)
	size := int64(len(data))

	// First attempt: the connection drops at 60 % and the server stays
	// unreachable for the status queries that follow.
	fake.Inject(fakeyoutube.CutAt(60), fakeyoutube.Fault{Op: fakeyoutube.OpStatus, Status: 503, Times: 100})
	c1 := newClient(t, fake, func(c *Config) { c.ChunkSize = mib })
	var rec recorder
	_, err := c1.Upload(context.Background(), UploadRequest{VideoPath: path, Metadata: meta()}, rec.hooks())
	ce := requireCode(t, err, "YOUTUBE_UNAVAILABLE", true)
	if !strings.Contains(ce.Message, "next attempt resumes") {
		t.Fatalf("message = %q", ce.Message)
	}
	saved := rec.last()
	if saved == nil || saved.Offset != mib {
		t.Fatalf("saved session = %+v, want offset %d (first chunk confirmed)", saved, mib)
	}
	sess, _ := fake.Session(saved.URI)
	const committed = 7 * fakeyoutube.Granularity // 60 % = 1887436 bytes, whole 256 KiB units: 1835008
	if sess.Committed != committed {
		t.Fatalf("server committed %d, want %d", sess.Committed, committed)
	}
	fake.ClearFaults()

	// Second attempt, as after a restart: a new client and the saved state.
	c2 := newClient(t, fake, func(c *Config) { c.ChunkSize = mib })
	mark := len(fake.Requests())
	var rec2 recorder
	res, err := c2.Upload(context.Background(), UploadRequest{VideoPath: path, Metadata: meta(), Session: saved}, rec2.hooks())
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	after := fake.RequestsSince(mark)
	var api []fakeyoutube.Request
	for _, r := range after {
		if r.Op != fakeyoutube.OpToken {
			api = append(api, r)
		}
	}
	if api[0].Op != fakeyoutube.OpStatus || api[0].Bytes != 0 || api[0].ContentRange != "bytes */3145728" {
		t.Fatalf("first request after resume = %+v, want a status query", api[0])
	}
	if got := sumBytes(api); got != size-committed {
		t.Fatalf("resume sent %d bytes, want exactly the remaining %d", got, size-committed)
	}
	if len(opsOf(after, fakeyoutube.OpInsert)) != 0 || rec2.inserts != 0 {
		t.Fatal("resume started a new session")
	}
	if !res.Resumed || res.NewSessions != 0 || res.BytesSent != size-committed {
		t.Fatalf("result = %+v", res)
	}
	if rec2.progress[0][0] != committed {
		t.Fatalf("first progress after resume = %v, want %d", rec2.progress[0], committed)
	}
	v, _ := fake.Video(res.VideoID)
	if !bytes.Equal(v.Media, data) {
		t.Fatal("the uploaded file differs from the source")
	}
	if len(fake.Videos()) != 1 {
		t.Fatalf("%d videos on the fake, want 1", len(fake.Videos()))
	}
}

func TestExpiredSessionRestartsFromZero(t *testing.T) {
	fake := fakeyoutube.Start(t, fakeyoutube.Options{})
	path, data := writeVideo(t, 5*ChunkUnit/2, 3)
	fake.Inject(fakeyoutube.CutAtOffset(2*ChunkUnit + 10))
	c := newClient(t, fake, func(c *Config) { c.MaxRetries = -1 })
	var rec recorder
	_, err := c.Upload(context.Background(), UploadRequest{VideoPath: path, Metadata: meta()}, rec.hooks())
	requireCode(t, err, errcode.NetworkError, true)
	saved := rec.last()
	if saved.Offset != 2*ChunkUnit {
		t.Fatalf("saved offset = %d", saved.Offset)
	}

	fake.ExpireSessions(http.StatusGone)
	mark := len(fake.Requests())
	var rec2 recorder
	res, err := newClient(t, fake, nil).Upload(context.Background(),
		UploadRequest{VideoPath: path, Metadata: meta(), Session: saved}, rec2.hooks())
	if err != nil {
		t.Fatalf("upload after expiry: %v", err)
	}
	after := fake.RequestsSince(mark)
	if st := opsOf(after, fakeyoutube.OpStatus); len(st) != 1 || st[0].Status != http.StatusGone {
		t.Fatalf("status queries = %+v", st)
	}
	if res.NewSessions != 1 || rec2.inserts != 1 || res.BytesSent != int64(len(data)) {
		t.Fatalf("result = %+v (inserts %d), want a new session sending every byte", res, rec2.inserts)
	}
	if rec2.sessions[0].URI == saved.URI || rec2.sessions[0].Offset != 0 {
		t.Fatalf("new session = %+v", rec2.sessions[0])
	}
	if got := sumBytes(opsOf(after, fakeyoutube.OpChunk)); got != int64(len(data)) {
		t.Fatalf("sent %d bytes, want %d", got, len(data))
	}
	v, _ := fake.Video(res.VideoID)
	if !bytes.Equal(v.Media, data) {
		t.Fatal("media differs")
	}
}

func Test503MidUploadRecoveredWithinOneCall(t *testing.T) {
	fake := fakeyoutube.Start(t, fakeyoutube.Options{})
	path, data := writeVideo(t, 6*ChunkUnit, 4)
	fake.Inject(fakeyoutube.ChunkError(3, 503, "backendError"))
	c := newClient(t, fake, nil)
	res, err := c.Upload(context.Background(), UploadRequest{VideoPath: path, Metadata: meta()}, Hooks{})
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	reqs := fake.Requests()
	if st := opsOf(reqs, fakeyoutube.OpStatus); len(st) != 1 {
		t.Fatalf("%d status queries, want 1 after the 503", len(st))
	}
	chunks := opsOf(reqs, fakeyoutube.OpChunk)
	if len(chunks) != 7 || chunks[2].Status != 503 || chunks[3].ContentRange != chunks[2].ContentRange {
		t.Fatalf("chunks = %+v", chunks)
	}
	v, _ := fake.Video(res.VideoID)
	if !bytes.Equal(v.Media, data) {
		t.Fatal("media differs")
	}
	if res.BytesSent != int64(len(data))+ChunkUnit {
		t.Fatalf("bytes sent = %d, want the file plus the refused chunk", res.BytesSent)
	}
}

func TestPersistent5xxReturnsRetryableAfterRetries(t *testing.T) {
	fake := fakeyoutube.Start(t, fakeyoutube.Options{})
	path, _ := writeVideo(t, 3*ChunkUnit, 5)
	fake.Inject(fakeyoutube.Fault{Op: fakeyoutube.OpChunk, Skip: 1, Status: 500, Reason: "backendError", Times: 100})
	c := newClient(t, fake, func(c *Config) { c.MaxRetries = 2 })
	var rec recorder
	_, err := c.Upload(context.Background(), UploadRequest{VideoPath: path, Metadata: meta()}, rec.hooks())
	ce := requireCode(t, err, "YOUTUBE_SERVER_ERROR", true)
	if ce.Details["upload_offset"] != int64(ChunkUnit) {
		t.Fatalf("details = %v", ce.Details)
	}
	// 1 good chunk, then 3 failing ones (first try + 2 retries), each
	// followed by a status query except the last.
	reqs := fake.Requests()
	if n, q := len(opsOf(reqs, fakeyoutube.OpChunk)), len(opsOf(reqs, fakeyoutube.OpStatus)); n != 4 || q != 2 {
		t.Fatalf("%d chunks and %d queries, want 4 and 2", n, q)
	}
	if rec.last().Offset != ChunkUnit {
		t.Fatalf("saved offset = %d", rec.last().Offset)
	}
}

func TestUnauthorizedRefreshesOnce(t *testing.T) {
	fake := fakeyoutube.Start(t, fakeyoutube.Options{})
	path, data := writeVideo(t, 2*ChunkUnit, 6)
	c := newClient(t, fake, nil)
	ctx := context.Background()
	if _, err := c.Upload(ctx, UploadRequest{VideoPath: path, Metadata: meta()}, Hooks{}); err != nil {
		t.Fatal(err)
	}
	if n := len(opsOf(fake.Requests(), fakeyoutube.OpToken)); n != 1 {
		t.Fatalf("%d token requests for the first upload, want 1 (token reused)", n)
	}

	// The server revokes the access token: one 401, one refresh, success.
	fake.ExpireAccessTokens()
	res, err := c.Upload(ctx, UploadRequest{VideoPath: path, Metadata: meta()}, Hooks{})
	if err != nil {
		t.Fatalf("upload after token expiry: %v", err)
	}
	reqs := fake.Requests()
	if n := len(opsOf(reqs, fakeyoutube.OpToken)); n != 2 {
		t.Fatalf("%d token requests, want 2", n)
	}
	inserts := opsOf(reqs, fakeyoutube.OpInsert)
	if len(inserts) != 3 || inserts[1].Status != 401 || inserts[2].Status != 200 {
		t.Fatalf("inserts = %+v", inserts)
	}
	if v, _ := fake.Video(res.VideoID); !bytes.Equal(v.Media, data) {
		t.Fatal("media differs")
	}

	// A 401 on a chunk is handled the same way.
	fake.Inject(fakeyoutube.Fault{Op: fakeyoutube.OpChunk, Skip: 1, Status: 401, Reason: "authError"})
	if _, err := c.Upload(ctx, UploadRequest{VideoPath: path, Metadata: meta()}, Hooks{}); err != nil {
		t.Fatalf("upload with a 401 on a chunk: %v", err)
	}

	// Refused again after the refresh: authorization is needed.
	fake.Inject(fakeyoutube.Fault{Op: fakeyoutube.OpInsert, Status: 401, Reason: "authError", Times: 2})
	_, err = c.Upload(ctx, UploadRequest{VideoPath: path, Metadata: meta()}, Hooks{})
	requireCode(t, err, errcode.YouTubeAuthRequired, false)
}

func TestInvalidGrantIsAuthRequired(t *testing.T) {
	fake := fakeyoutube.Start(t, fakeyoutube.Options{})
	fake.SetInvalidGrant(true)
	path, _ := writeVideo(t, 1000, 7)
	c := newClient(t, fake, nil)
	_, err := c.Upload(context.Background(), UploadRequest{VideoPath: path, Metadata: meta()}, Hooks{})
	ce := requireCode(t, err, errcode.YouTubeAuthRequired, false)
	if !strings.Contains(ce.Message, "ytmaker youtube auth") {
		t.Fatalf("message lacks the remedy: %q", ce.Message)
	}
	for _, secret := range []string{fake.ClientSecret(), fake.RefreshToken()} {
		if strings.Contains(ce.Error(), secret) {
			t.Fatalf("error message leaks a secret: %q", ce.Error())
		}
	}
	if len(fake.Videos()) != 0 || len(opsOf(fake.Requests(), fakeyoutube.OpInsert)) != 0 {
		t.Fatal("an insert was attempted without a token")
	}

	fake.SetInvalidGrant(false)
	bad := newClient(t, fake, func(c *Config) { c.ClientSecret = "wrong" })
	_, err = bad.Upload(context.Background(), UploadRequest{VideoPath: path, Metadata: meta()}, Hooks{})
	requireCode(t, err, CodeAuthFailed, false)

	unconfigured, _ := New(Config{BaseURL: fake.URL})
	if unconfigured.Configured() {
		t.Fatal("client without credentials claims to be configured")
	}
	_, err = unconfigured.Upload(context.Background(), UploadRequest{VideoPath: path, Metadata: meta()}, Hooks{})
	requireCode(t, err, errcode.YouTubeAuthRequired, false)
}

func TestInsertErrorsAreCoded(t *testing.T) {
	cases := []struct {
		name      string
		fault     fakeyoutube.Fault
		code      string
		retryable bool
		field     string
	}{
		{"quota", fakeyoutube.QuotaExceeded(fakeyoutube.OpInsert), errcode.YouTubeQuotaExceeded, false, ""},
		{"upload limit", fakeyoutube.UploadLimitExceeded(), errcode.YouTubeUploadLimit, false, ""},
		{"rate limit", fakeyoutube.RateLimited(fakeyoutube.OpInsert), CodeRateLimited, true, ""},
		{"invalid title", fakeyoutube.InvalidMetadata("invalidTitle"), CodeInvalidMetadata, false, "title"},
		{"invalid publishAt", fakeyoutube.InvalidMetadata("invalidPublishAt"), CodeInvalidMetadata, false, "publishAt"},
		{"invalid tags", fakeyoutube.InvalidMetadata("invalidTags"), CodeInvalidMetadata, false, "tags"},
		{"backend error", fakeyoutube.ServerError(fakeyoutube.OpInsert, 503), "YOUTUBE_UNAVAILABLE", true, ""},
	}
	fake := fakeyoutube.Start(t, fakeyoutube.Options{})
	path, _ := writeVideo(t, 1000, 8)
	c := newClient(t, fake, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake.Inject(tc.fault)
			_, err := c.Upload(context.Background(), UploadRequest{VideoPath: path, Metadata: meta()}, Hooks{})
			ce := requireCode(t, err, tc.code, tc.retryable)
			if tc.field != "" && ce.Details["field"] != tc.field {
				t.Fatalf("field = %v, want %s", ce.Details["field"], tc.field)
			}
			if tc.code == errcode.YouTubeQuotaExceeded {
				if ce.Details["reset_at"] == nil || ce.RetryAfter <= 0 || strings.Contains(ce.Message, "<a") {
					t.Fatalf("quota error = %+v", ce)
				}
			}
		})
	}
	// The real quota bucket of the fake behaves the same.
	fake2 := fakeyoutube.Start(t, fakeyoutube.Options{Quota: fakeyoutube.Quota{InsertCallsPerDay: 1}})
	c2 := newClient(t, fake2, nil)
	if _, err := c2.Upload(context.Background(), UploadRequest{VideoPath: path, Metadata: meta()}, Hooks{}); err != nil {
		t.Fatal(err)
	}
	_, err := c2.Upload(context.Background(), UploadRequest{VideoPath: path, Metadata: meta()}, Hooks{})
	requireCode(t, err, errcode.YouTubeQuotaExceeded, false)
}

func TestMetadataSentToTheServer(t *testing.T) {
	fake := fakeyoutube.Start(t, fakeyoutube.Options{})
	path, _ := writeVideo(t, 1000, 9)
	now := time.Now()
	c := newClient(t, fake, func(c *Config) { c.Now = func() time.Time { return now } })
	publish := now.Add(48 * time.Hour).Truncate(time.Second)
	m := Metadata{
		Title:       "第一支影片 <測試>",
		Description: "說明",
		Tags:        []string{"AI", "影片"},
		Privacy:     Public,
		PublishAt:   publish,
		Language:    "zh-TW",
	}
	res, err := c.Upload(context.Background(), UploadRequest{VideoPath: path, Metadata: m}, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := fake.Video(res.VideoID)
	var raw map[string]map[string]any
	if err := json.Unmarshal(v.Raw, &raw); err != nil {
		t.Fatal(err)
	}
	st := raw["status"]
	if st["privacyStatus"] != "private" || st["publishAt"] != publish.UTC().Format(time.RFC3339) {
		t.Fatalf("status = %v: publishAt must force private", st)
	}
	if mk, ok := st["selfDeclaredMadeForKids"]; !ok || mk != false {
		t.Fatalf("selfDeclaredMadeForKids not sent as false: %v", st)
	}
	if st["containsSyntheticMedia"] != true {
		t.Fatalf("containsSyntheticMedia = %v", st["containsSyntheticMedia"])
	}
	sn := raw["snippet"]
	if sn["title"] != "第一支影片 ‹測試›" || sn["categoryId"] != "22" || sn["defaultLanguage"] != "zh-TW" {
		t.Fatalf("snippet = %v", sn)
	}
	if sn["description"] != "說明\n\n"+DisclosureChineseTraditional {
		t.Fatalf("description = %q", sn["description"])
	}
}

func TestSavedSessionReuseRules(t *testing.T) {
	fake := fakeyoutube.Start(t, fakeyoutube.Options{})
	path, data := writeVideo(t, 2*ChunkUnit, 10)
	c := newClient(t, fake, nil)
	ctx := context.Background()
	var rec recorder
	res, err := c.Upload(ctx, UploadRequest{VideoPath: path, Metadata: meta()}, rec.hooks())
	if err != nil {
		t.Fatal(err)
	}
	done := rec.last()

	// A complete session returns the video without touching the network.
	mark := len(fake.Requests())
	again, err := c.Upload(ctx, UploadRequest{VideoPath: path, Metadata: meta(), Session: done}, Hooks{})
	if err != nil || again.VideoID != res.VideoID || len(fake.RequestsSince(mark)) != 0 {
		t.Fatalf("re-upload of a finished session: %+v %v, %d requests", again, err, len(fake.RequestsSince(mark)))
	}

	// A session whose file changed is not resumed.
	stale := *done
	stale.VideoID, stale.Offset = "", ChunkUnit
	data[0] ^= 0xff
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var rec2 recorder
	fresh, err := c.Upload(ctx, UploadRequest{VideoPath: path, Metadata: meta(), Session: &stale}, rec2.hooks())
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Resumed || fresh.NewSessions != 1 || fresh.VideoID == res.VideoID {
		t.Fatalf("changed file: %+v", fresh)
	}
	if v, _ := fake.Video(fresh.VideoID); !bytes.Equal(v.Media, data) {
		t.Fatal("media differs")
	}

	// A resumed session that the server had already completed answers
	// with the video at the status query.
	fp, _ := FingerprintFile(path)
	finished := Session{URI: rec2.sessions[0].URI, Size: fp.Size, File: fp}
	mark = len(fake.Requests())
	res3, err := c.Upload(ctx, UploadRequest{VideoPath: path, Metadata: meta(), Session: &finished}, Hooks{})
	if err != nil || res3.VideoID != fresh.VideoID || res3.BytesSent != 0 {
		t.Fatalf("resume of a completed session: %+v %v", res3, err)
	}
	if reqs := fake.RequestsSince(mark); len(reqs) != 1 || reqs[0].Op != fakeyoutube.OpStatus {
		t.Fatalf("requests = %+v", reqs)
	}
}

func TestUploadInputErrors(t *testing.T) {
	fake := fakeyoutube.Start(t, fakeyoutube.Options{})
	c := newClient(t, fake, nil)
	ctx := context.Background()
	_, err := c.Upload(ctx, UploadRequest{VideoPath: filepath.Join(t.TempDir(), "missing.mp4"), Metadata: meta()}, Hooks{})
	requireCode(t, err, errcode.NotFound, false)
	path, _ := writeVideo(t, 10, 11)
	_, err = c.Upload(ctx, UploadRequest{VideoPath: path, Metadata: Metadata{Title: "  "}}, Hooks{})
	ce := requireCode(t, err, CodeInvalidMetadata, false)
	if ce.Details["field"] != "title" {
		t.Fatalf("field = %v", ce.Details["field"])
	}
	if _, err := New(Config{ChunkSize: 1000}); errcode.Code(err) != errcode.InvalidInput {
		t.Fatalf("bad chunk size: %v", err)
	}
	// A hook refusing the quota stops the upload before any request.
	stop := errcode.New(errcode.YouTubeQuotaExceeded, "local budget spent", false)
	_, err = c.Upload(ctx, UploadRequest{VideoPath: path, Metadata: meta()},
		Hooks{BeforeNewSession: func(context.Context) error { return stop }})
	requireCode(t, err, errcode.YouTubeQuotaExceeded, false)
	if len(opsOf(fake.Requests(), fakeyoutube.OpInsert)) != 0 {
		t.Fatal("insert sent despite the refusing hook")
	}
	// Cancellation is reported as such.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = c.Upload(cctx, UploadRequest{VideoPath: path, Metadata: meta()}, Hooks{})
	requireCode(t, err, errcode.Cancelled, false)
}

// A server that stops answering costs one request deadline, not the
// stage's whole time limit.
func TestStalledRequestsHitTheirDeadline(t *testing.T) {
	fake := fakeyoutube.Start(t, fakeyoutube.Options{})
	c := newClient(t, fake, func(c *Config) { c.RequestTimeout = 300 * time.Millisecond; c.ChunkTimeout = 500 * time.Millisecond })
	fake.Inject(fakeyoutube.Slow(fakeyoutube.OpList, time.Minute))
	start := time.Now()
	_, err := c.GetVideo(context.Background(), "abc")
	if e, ok := errcode.As(err); !ok || e.Code != errcode.Timeout || !e.Retryable {
		t.Fatalf("stalled videos.list: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("stalled videos.list returned after %s", d)
	}
	// A stalled chunk fails alone and the upload goes on from the
	// confirmed offset.
	path, data := writeVideo(t, 2*ChunkUnit, 7)
	// (The fake notices a gone client only once it reads the body, so its
	// stall is kept short.)
	fake.Inject(fakeyoutube.Fault{Op: fakeyoutube.OpChunk, Skip: 1, Delay: 3 * time.Second})
	start = time.Now()
	res, err := c.Upload(context.Background(), UploadRequest{VideoPath: path, Metadata: meta()}, Hooks{})
	if err != nil {
		t.Fatalf("upload with a stalled chunk: %v", err)
	}
	if v, ok := fake.Video(res.VideoID); !ok || !bytes.Equal(v.Media, data) {
		t.Fatal("the uploaded video differs from the source")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("upload with a stalled chunk took %s", d)
	}
}
