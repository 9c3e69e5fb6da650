package fakeyoutube

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
	yt "google.golang.org/api/youtube/v3"
)

// media returns n deterministic pseudo-random bytes.
func media(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func testJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 128, 72))
	for x := 0; x < 128; x++ {
		for y := 0; y < 72; y++ {
			img.Set(x, y, color.RGBA{uint8(x * 2), uint8(y * 3), 90, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// service returns the official YouTube client pointed at the fake, with a
// real OAuth token source refreshing against the fake's token endpoint.
func service(t *testing.T, s *Server) *yt.Service {
	t.Helper()
	ctx := context.Background()
	oc := &oauth2.Config{
		ClientID:     s.ClientID(),
		ClientSecret: s.ClientSecret(),
		Endpoint:     oauth2.Endpoint{TokenURL: s.TokenURL(), AuthStyle: oauth2.AuthStyleInParams},
	}
	ts := oc.TokenSource(ctx, &oauth2.Token{RefreshToken: s.RefreshToken()})
	svc, err := yt.NewService(ctx, option.WithEndpoint(s.URL+"/"), option.WithTokenSource(ts))
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func officialVideo() *yt.Video {
	return &yt.Video{
		Snippet: &yt.VideoSnippet{Title: "Official client", Description: "desc", Tags: []string{"a", "b c"}, CategoryId: "27"},
		Status: &yt.VideoStatus{
			PrivacyStatus:           "private",
			SelfDeclaredMadeForKids: false,
			ContainsSyntheticMedia:  true,
			ForceSendFields:         []string{"SelfDeclaredMadeForKids"},
		},
	}
}

func TestOfficialClientMultipartUpload(t *testing.T) {
	s := Start(t, Options{})
	svc := service(t, s)
	data := media(300_000, 1)
	v, err := svc.Videos.Insert([]string{"snippet", "status"}, officialVideo()).
		Media(bytes.NewReader(data), googleapi.ContentType("video/mp4")).
		NotifySubscribers(false).Do()
	if err != nil {
		t.Fatalf("insert: %v", err)
	}
	if v.Id == "" || v.Status.UploadStatus != "uploaded" || v.Snippet.Title != "Official client" {
		t.Fatalf("video = %+v / %+v", v.Snippet, v.Status)
	}
	got, ok := s.Video(v.Id)
	if !ok {
		t.Fatal("video not stored")
	}
	if got.UploadType != "multipart" || !bytes.Equal(got.Media, data) || got.MediaType != "video/mp4" {
		t.Fatalf("stored upload type %q, %d bytes (%q)", got.UploadType, len(got.Media), got.MediaType)
	}
	st := got.Resource.Status
	if st.SelfDeclaredMadeForKids == nil || *st.SelfDeclaredMadeForKids || st.ContainsSyntheticMedia == nil || !*st.ContainsSyntheticMedia {
		t.Fatalf("status flags not received as sent: %+v", st)
	}
	if fmt.Sprint(got.Parts) != "[snippet status]" {
		t.Fatalf("parts = %v (repeated part parameters must be accepted)", got.Parts)
	}
	reqs := s.Requests()
	var insert *Request
	for i := range reqs {
		if reqs[i].Op == OpInsert {
			insert = &reqs[i]
		}
	}
	if insert == nil || insert.Query.Get("uploadType") != "multipart" || len(insert.Query["part"]) != 2 {
		t.Fatalf("insert request = %+v", insert)
	}
	if u := s.QuotaUsage(); u.InsertCalls != 1 {
		t.Fatalf("quota usage = %+v, want one insert call", u)
	}
}

func TestOfficialClientResumableChunksWithOverlapRetry(t *testing.T) {
	s := Start(t, Options{})
	svc := service(t, s)
	const chunk = 512 << 10
	data := media(1_700_000, 2)
	// Cut the connection inside the second chunk, past a 256 KiB boundary:
	// the server keeps 786432 bytes and the client resends the whole second
	// chunk from 524288, overlapping what was committed.
	s.Inject(CutAtOffset(800_000))
	var progress []int64
	v, err := svc.Videos.Insert([]string{"snippet,status"}, officialVideo()).
		Media(bytes.NewReader(data), googleapi.ChunkSize(chunk), googleapi.ContentType("video/mp4"),
			googleapi.ChunkRetryDeadline(20*time.Second)).
		ProgressUpdater(func(cur, _ int64) { progress = append(progress, cur) }).
		NotifySubscribers(false).Do()
	if err != nil {
		t.Fatalf("insert: %v", err)
	}
	got, _ := s.Video(v.Id)
	if got.UploadType != "resumable" || !bytes.Equal(got.Media, data) {
		t.Fatalf("stored %s upload of %d bytes, want resumable %d", got.UploadType, len(got.Media), len(data))
	}
	var chunks []Request
	for _, r := range s.Requests() {
		if r.Op == OpChunk {
			chunks = append(chunks, r)
		}
	}
	// 4 chunks + 1 retry of the cut one.
	if len(chunks) != 5 {
		t.Fatalf("%d chunk requests, want 5: %+v", len(chunks), chunks)
	}
	if !chunks[1].Cut || chunks[1].Bytes != 800_000-chunk {
		t.Fatalf("second chunk = %+v, want cut after %d bytes", chunks[1], 800_000-chunk)
	}
	if chunks[2].ContentRange != chunks[1].ContentRange || chunks[2].Method != http.MethodPost {
		t.Fatalf("retry = %+v, want the same range by POST", chunks[2])
	}
	if !strings.HasSuffix(chunks[0].ContentRange, "/*") || chunks[4].ContentRange != "bytes 1572864-1699999/1700000" {
		t.Fatalf("ranges = %q ... %q", chunks[0].ContentRange, chunks[4].ContentRange)
	}
	if len(progress) == 0 || progress[len(progress)-1] != int64(len(data)) {
		t.Fatalf("progress = %v", progress)
	}
	sess := s.Sessions()
	if len(sess) != 1 || sess[0].Committed != int64(len(data)) || sess[0].VideoID != v.Id {
		t.Fatalf("sessions = %+v", sess)
	}
}

func TestOfficialClientExactChunkMultiple(t *testing.T) {
	s := Start(t, Options{})
	svc := service(t, s)
	data := media(2*Granularity, 3)
	v, err := svc.Videos.Insert([]string{"snippet", "status"}, officialVideo()).
		Media(bytes.NewReader(data), googleapi.ChunkSize(Granularity)).Do()
	if err != nil {
		t.Fatalf("insert: %v", err)
	}
	got, _ := s.Video(v.Id)
	if !bytes.Equal(got.Media, data) {
		t.Fatalf("stored %d bytes, want %d", len(got.Media), len(data))
	}
}

func TestOfficialClientThumbnailAndList(t *testing.T) {
	s := Start(t, Options{ProcessingPolls: 1})
	svc := service(t, s)
	v, err := svc.Videos.Insert([]string{"snippet", "status"}, officialVideo()).
		Media(bytes.NewReader(media(1000, 4))).Do()
	if err != nil {
		t.Fatal(err)
	}
	img := testJPEG(t)
	res, err := svc.Thumbnails.Set(v.Id).Media(bytes.NewReader(img)).Do()
	if err != nil {
		t.Fatalf("thumbnails.set: %v", err)
	}
	if len(res.Items) != 1 || res.Items[0].Maxres == nil || res.Items[0].Maxres.Width != 1280 {
		t.Fatalf("thumbnail response = %+v", res.Items)
	}
	got, _ := s.Video(v.Id)
	if !bytes.Equal(got.Thumbnail, img) || got.ThumbnailType != "image/jpeg" {
		t.Fatalf("thumbnail stored %d bytes %q", len(got.Thumbnail), got.ThumbnailType)
	}

	list := func() *yt.Video {
		t.Helper()
		r, err := svc.Videos.List([]string{"status", "processingDetails"}).Id(v.Id).Do()
		if err != nil || len(r.Items) != 1 {
			t.Fatalf("list: %v %+v", err, r)
		}
		return r.Items[0]
	}
	if first := list(); first.ProcessingDetails.ProcessingStatus != "processing" || first.Status.UploadStatus != "uploaded" {
		t.Fatalf("first poll = %+v %+v", first.Status, first.ProcessingDetails)
	}
	if second := list(); second.ProcessingDetails.ProcessingStatus != "succeeded" || second.Status.UploadStatus != "processed" {
		t.Fatalf("second poll = %+v %+v", second.Status, second.ProcessingDetails)
	}
	if u := s.QuotaUsage(); u.Units != 50+2 {
		t.Fatalf("units = %d, want 52 (thumbnail 50 + 2 lists)", u.Units)
	}

	s.SetThumbnailsForbidden(true)
	_, err = svc.Thumbnails.Set(v.Id).Media(bytes.NewReader(img)).Do()
	var ge *googleapi.Error
	if !errors.As(err, &ge) || ge.Code != 403 || len(ge.Errors) == 0 || ge.Errors[0].Reason != "forbidden" {
		t.Fatalf("forbidden thumbnail err = %v", err)
	}
}

func TestQuotaBucketsAndErrorShape(t *testing.T) {
	s := Start(t, Options{Quota: Quota{InsertCallsPerDay: 1}})
	svc := service(t, s)
	insert := func() error {
		_, err := svc.Videos.Insert([]string{"snippet", "status"}, officialVideo()).
			Media(bytes.NewReader(media(100, 5))).Do()
		return err
	}
	if err := insert(); err != nil {
		t.Fatal(err)
	}
	err := insert()
	var ge *googleapi.Error
	if !errors.As(err, &ge) || ge.Code != 403 || ge.Errors[0].Reason != "quotaExceeded" || !strings.Contains(ge.Body, `"domain":"youtube.quota"`) {
		t.Fatalf("second insert err = %#v", err)
	}
	s.ResetQuota()
	if err := insert(); err != nil {
		t.Fatalf("after reset: %v", err)
	}

	// Legacy model: 1600 units per upload out of 3200.
	s2 := Start(t, Options{Quota: Quota{DailyUnits: 3200, InsertUnits: 1600}})
	svc2 := service(t, s2)
	for i := 0; i < 3; i++ {
		_, err := svc2.Videos.Insert([]string{"snippet", "status"}, officialVideo()).
			Media(bytes.NewReader(media(100, 6))).Do()
		if (i < 2) != (err == nil) {
			t.Fatalf("legacy upload %d: err = %v", i+1, err)
		}
	}
	if u := s2.QuotaUsage(); u.Units != 3200 || u.InsertCalls != 0 {
		t.Fatalf("legacy usage = %+v", u)
	}
}

func TestInjectedFaultsOnOfficialClient(t *testing.T) {
	s := Start(t, Options{})
	svc := service(t, s)
	s.Inject(InvalidMetadata("invalidTitle"))
	_, err := svc.Videos.Insert([]string{"snippet", "status"}, officialVideo()).
		Media(bytes.NewReader(media(100, 7))).Do()
	var ge *googleapi.Error
	if !errors.As(err, &ge) || ge.Code != 400 || ge.Errors[0].Reason != "invalidTitle" {
		t.Fatalf("err = %v", err)
	}
	// The fake validates metadata by itself too.
	bad := officialVideo()
	bad.Snippet.Title = strings.Repeat("x", 101)
	_, err = svc.Videos.Insert([]string{"snippet", "status"}, bad).Media(bytes.NewReader(media(100, 7))).Do()
	if !errors.As(err, &ge) || ge.Errors[0].Reason != "invalidTitle" {
		t.Fatalf("long title err = %v", err)
	}
	bad = officialVideo()
	bad.Status.PrivacyStatus = "public"
	bad.Status.PublishAt = time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	_, err = svc.Videos.Insert([]string{"snippet", "status"}, bad).Media(bytes.NewReader(media(100, 7))).Do()
	if !errors.As(err, &ge) || ge.Errors[0].Reason != "invalidPublishAt" {
		t.Fatalf("publishAt on a public video err = %v", err)
	}
	// A 503 on a chunk is retried by the official client.
	s.Inject(ChunkError(2, 503, "backendError"))
	data := media(3*Granularity+10, 8)
	v, err := svc.Videos.Insert([]string{"snippet", "status"}, officialVideo()).
		Media(bytes.NewReader(data), googleapi.ChunkSize(Granularity)).Do()
	if err != nil {
		t.Fatalf("insert with a 503: %v", err)
	}
	if got, _ := s.Video(v.Id); !bytes.Equal(got.Media, data) {
		t.Fatal("media differs after a retried chunk")
	}
	if s.PendingFaults() != 0 {
		t.Fatalf("%d faults did not fire", s.PendingFaults())
	}
}

func TestBearerCheckAndExpiry(t *testing.T) {
	s := Start(t, Options{})
	// No credentials at all.
	resp, err := http.Get(s.URL + "/youtube/v3/videos?part=status&id=x")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.Contains(string(body), `"reason":"authError"`) ||
		!strings.Contains(string(body), `"location":"Authorization"`) {
		t.Fatalf("anonymous list: %d %s", resp.StatusCode, body)
	}

	// The official client refreshes by itself when its token expires by
	// time; a server-side revocation shows as a 401 to the caller.
	svc := service(t, s)
	if _, err := svc.Videos.List([]string{"status"}).Id("x").Do(); err != nil {
		t.Fatalf("list: %v", err)
	}
	s.ExpireAccessTokens()
	_, err = svc.Videos.List([]string{"status"}).Id("x").Do()
	var ge *googleapi.Error
	if !errors.As(err, &ge) || ge.Code != 401 {
		t.Fatalf("after expiry err = %v, want 401", err)
	}
}

func TestTokenEndpoint(t *testing.T) {
	s := Start(t, Options{TokenTTL: time.Minute})
	ctx := context.Background()
	oc := &oauth2.Config{ClientID: s.ClientID(), ClientSecret: s.ClientSecret(),
		Endpoint: oauth2.Endpoint{TokenURL: s.TokenURL()}} // auto-detected auth style: basic first
	tok, err := oc.TokenSource(ctx, &oauth2.Token{RefreshToken: s.RefreshToken()}).Token()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok.AccessToken, "ya29.") || tok.RefreshToken != s.RefreshToken() ||
		time.Until(tok.Expiry) > time.Minute || time.Until(tok.Expiry) < 50*time.Second {
		t.Fatalf("token = %+v", tok)
	}

	s.SetInvalidGrant(true)
	_, err = oc.TokenSource(ctx, &oauth2.Token{RefreshToken: s.RefreshToken()}).Token()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" || re.Response.StatusCode != 400 {
		t.Fatalf("invalid grant err = %v", err)
	}
	s.SetInvalidGrant(false)

	bad := *oc
	bad.ClientSecret = "wrong"
	_, err = bad.TokenSource(ctx, &oauth2.Token{RefreshToken: s.RefreshToken()}).Token()
	if !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
		t.Fatalf("bad client err = %v", err)
	}
}

func TestAuthorizationCodeFlowWithPKCE(t *testing.T) {
	s := Start(t, Options{})
	ctx := context.Background()
	oc := &oauth2.Config{ClientID: s.ClientID(), ClientSecret: s.ClientSecret(),
		Endpoint:    oauth2.Endpoint{AuthURL: s.AuthURL(), TokenURL: s.TokenURL(), AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL: "http://127.0.0.1:9/callback", Scopes: []string{defaultScope}}
	verifier := oauth2.GenerateVerifier()
	authURL := oc.AuthCodeURL("st-1", oauth2.AccessTypeOffline, oauth2.ApprovalForce, oauth2.S256ChallengeOption(verifier))

	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	codeFor := func() string {
		resp, err := noFollow.Get(authURL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, err := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || err != nil || loc.Host != "127.0.0.1:9" || loc.Query().Get("state") != "st-1" {
			t.Fatalf("authorize answered %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		return loc.Query().Get("code")
	}

	// Wrong verifier: refused.
	if _, err := oc.Exchange(ctx, codeFor(), oauth2.VerifierOption("wrong-verifier")); err == nil {
		t.Fatal("exchange with a wrong PKCE verifier succeeded")
	}
	code := codeFor()
	tok, err := oc.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" || tok.AccessToken == "" {
		t.Fatalf("token = %+v", tok)
	}
	// Codes are single use.
	if _, err := oc.Exchange(ctx, code, oauth2.VerifierOption(verifier)); err == nil {
		t.Fatal("a code was accepted twice")
	}
	// The new refresh token works.
	if _, err := oc.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err != nil {
		t.Fatalf("refresh with the issued token: %v", err)
	}
	q := s.AuthRequests()[0]
	if q.Get("access_type") != "offline" || q.Get("prompt") != "consent" || q.Get("code_challenge_method") != "S256" {
		t.Fatalf("auth request = %v", q)
	}
}

// rawSession starts a resumable session by hand and returns its URI.
func rawSession(t *testing.T, s *Server, size int) string {
	t.Helper()
	svcTok, err := (&oauth2.Config{ClientID: s.ClientID(), ClientSecret: s.ClientSecret(),
		Endpoint: oauth2.Endpoint{TokenURL: s.TokenURL(), AuthStyle: oauth2.AuthStyleInParams}}).
		TokenSource(context.Background(), &oauth2.Token{RefreshToken: s.RefreshToken()}).Token()
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/upload/youtube/v3/videos?uploadType=resumable&part=snippet,status",
		strings.NewReader(`{"snippet":{"title":"raw"},"status":{"privacyStatus":"private"}}`))
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header.Set("X-Upload-Content-Length", fmt.Sprint(size))
	svcTok.SetAuthHeader(req)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Location") == "" {
		t.Fatalf("session start: %d", resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

func put(t *testing.T, uri, contentRange string, body []byte) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, uri, bytes.NewReader(body))
	if contentRange != "" {
		req.Header.Set("Content-Range", contentRange)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestRawProtocolEdges(t *testing.T) {
	s := Start(t, Options{})
	data := media(Granularity+100, 9)
	uri := rawSession(t, s, len(data))

	// Status query on a fresh session: 308 without Range.
	if r := put(t, uri, fmt.Sprintf("bytes */%d", len(data)), nil); r.StatusCode != 308 || r.Header.Get("Range") != "" {
		t.Fatalf("fresh query: %d Range %q", r.StatusCode, r.Header.Get("Range"))
	}
	// A non-final chunk that is not a whole unit: only whole units persist.
	if r := put(t, uri, fmt.Sprintf("bytes 0-%d/%d", Granularity+49, len(data)), data[:Granularity+50]); r.StatusCode != 308 ||
		r.Header.Get("Range") != fmt.Sprintf("bytes=0-%d", Granularity-1) {
		t.Fatalf("partial unit: %d Range %q", r.StatusCode, r.Header.Get("Range"))
	}
	// A gap past the committed offset is refused.
	if r := put(t, uri, fmt.Sprintf("bytes %d-%d/%d", Granularity+10, len(data)-1, len(data)), data[Granularity+10:]); r.StatusCode != 400 {
		t.Fatalf("gap: %d", r.StatusCode)
	}
	// Overlapping bytes must match what was stored.
	bad := slicesClone(data[Granularity-10:])
	bad[0] ^= 1
	if r := put(t, uri, fmt.Sprintf("bytes %d-%d/%d", Granularity-10, len(data)-1, len(data)), bad); r.StatusCode != 400 {
		t.Fatalf("mismatching overlap: %d", r.StatusCode)
	}
	// The right overlap completes the upload with 201 (PUT).
	if r := put(t, uri, fmt.Sprintf("bytes %d-%d/%d", Granularity-10, len(data)-1, len(data)), data[Granularity-10:]); r.StatusCode != 201 {
		t.Fatalf("final chunk: %d", r.StatusCode)
	}
	if v := s.Videos(); len(v) != 1 || !bytes.Equal(v[0].Media, data) {
		t.Fatal("raw upload not stored")
	}
	// Total mismatch with the declared size.
	uri2 := rawSession(t, s, 10)
	if r := put(t, uri2, "bytes 0-10/11", media(11, 1)); r.StatusCode != 400 {
		t.Fatalf("size mismatch: %d", r.StatusCode)
	}
	// A single PUT without Content-Range carries the whole file.
	if r := put(t, uri2, "", media(10, 1)); r.StatusCode != 201 {
		t.Fatalf("single PUT: %d", r.StatusCode)
	}
	// One expired session answers 404; unknown sessions too.
	uri3 := rawSession(t, s, 10)
	if !s.ExpireSession(uri3, http.StatusNotFound) {
		t.Fatal("ExpireSession did not find the session")
	}
	if r := put(t, uri3, "bytes */10", nil); r.StatusCode != 404 {
		t.Fatalf("expired: %d", r.StatusCode)
	}
	if r := put(t, s.URL+"/upload/youtube/v3/videos?upload_id=nope", "bytes */10", nil); r.StatusCode != 404 {
		t.Fatalf("unknown: %d", r.StatusCode)
	}
}

func TestSlowAndDroppedRequests(t *testing.T) {
	s := Start(t, Options{NoAuth: true})
	s.Inject(Slow(OpList, 300*time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/youtube/v3/videos?part=status&id=x", nil)
	start := time.Now()
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("slow request err = %v, want deadline exceeded", err)
	}
	if time.Since(start) > 250*time.Millisecond {
		t.Fatal("the client waited for the whole delay")
	}

	s.Inject(DropConnection(OpList))
	// Fresh connections, so the transport never replays the dropped GET.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if _, err := client.Get(s.URL + "/youtube/v3/videos?part=status&id=x"); err == nil {
		t.Fatal("dropped request got an answer")
	}
	resp, err := client.Get(s.URL + "/youtube/v3/videos?part=status&id=x")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("after the faults: %v %v", resp, err)
	}
	resp.Body.Close()
	reqs := s.Requests()
	if len(reqs) != 3 || !reqs[1].Cut || reqs[2].Status != 200 {
		t.Fatalf("records = %+v", reqs)
	}
}

func slicesClone(b []byte) []byte { return append([]byte(nil), b...) }
