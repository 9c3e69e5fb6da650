package fakeyoutube

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// VideoResource is the part of a video resource the fake understands.
// Booleans are pointers so tests can tell "sent as false" from "not sent".
type VideoResource struct {
	Snippet *Snippet `json:"snippet,omitempty"`
	Status  *Status  `json:"status,omitempty"`
}

// Snippet is video.snippet.
type Snippet struct {
	Title                string   `json:"title"`
	Description          string   `json:"description,omitempty"`
	Tags                 []string `json:"tags,omitempty"`
	CategoryID           string   `json:"categoryId,omitempty"`
	DefaultLanguage      string   `json:"defaultLanguage,omitempty"`
	DefaultAudioLanguage string   `json:"defaultAudioLanguage,omitempty"`
}

// Status is video.status.
type Status struct {
	PrivacyStatus           string `json:"privacyStatus,omitempty"`
	PublishAt               string `json:"publishAt,omitempty"`
	SelfDeclaredMadeForKids *bool  `json:"selfDeclaredMadeForKids,omitempty"`
	ContainsSyntheticMedia  *bool  `json:"containsSyntheticMedia,omitempty"`
	License                 string `json:"license,omitempty"`
	Embeddable              *bool  `json:"embeddable,omitempty"`
	PublicStatsViewable     *bool  `json:"publicStatsViewable,omitempty"`
}

// Video is an uploaded video as the fake stored it.
type Video struct {
	ID            string
	Resource      VideoResource   // metadata as received
	Raw           json.RawMessage // metadata JSON exactly as received
	Parts         []string        // the part parameter values
	Media         []byte
	MediaType     string
	UploadType    string // "resumable" or "multipart"
	UploadID      string // resumable session, if any
	Thumbnail     []byte
	ThumbnailType string
	CreatedAt     time.Time

	listCalls int
}

// Videos returns copies of the stored videos in upload order.
func (s *Server) Videos() []Video {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Video, 0, len(s.videoOrder))
	for _, id := range s.videoOrder {
		out = append(out, s.videos[id].clone())
	}
	return out
}

// Video returns a copy of the stored video id.
func (s *Server) Video(id string) (Video, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.videos[id]
	if !ok {
		return Video{}, false
	}
	return v.clone(), true
}

func (v *Video) clone() Video {
	c := *v
	c.Media = slices.Clone(v.Media)
	c.Thumbnail = slices.Clone(v.Thumbnail)
	c.Raw = slices.Clone(v.Raw)
	c.Parts = slices.Clone(v.Parts)
	return c
}

// SessionInfo describes an upload session.
type SessionInfo struct {
	UploadID  string
	URI       string
	Total     int64 // -1 while unknown
	Committed int64
	VideoID   string // set when complete
	Gone      int    // 404 or 410 once expired
	CreatedAt time.Time
}

// Sessions returns every upload session.
func (s *Server) Sessions() []SessionInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SessionInfo, 0, len(s.sessions))
	for _, ss := range s.sessions {
		out = append(out, ss.info())
	}
	slices.SortFunc(out, func(a, b SessionInfo) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out
}

// Session returns one session by upload_id or session URI.
func (s *Server) Session(id string) (SessionInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.sessions[uploadIDOf(id)]
	if !ok {
		return SessionInfo{}, false
	}
	return ss.info(), true
}

type session struct {
	id        string
	uri       string
	meta      VideoResource
	raw       json.RawMessage
	parts     []string
	mediaType string
	total     int64 // -1 while unknown
	data      []byte
	videoID   string
	gone      int
	created   time.Time
}

func (ss *session) info() SessionInfo {
	return SessionInfo{UploadID: ss.id, URI: ss.uri, Total: ss.total, Committed: int64(len(ss.data)),
		VideoID: ss.videoID, Gone: ss.gone, CreatedAt: ss.created}
}

func uploadIDOf(s string) string {
	if u, err := url.Parse(s); err == nil && u.Query().Get("upload_id") != "" {
		return u.Query().Get("upload_id")
	}
	return s
}

// parts returns the part parameter, accepting repeated and comma forms.
func partsOf(q url.Values) []string {
	var out []string
	for _, v := range q["part"] {
		for p := range strings.SplitSeq(v, ",") {
			if p = strings.TrimSpace(p); p != "" && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// validate checks metadata as the real API does and returns the error
// reason and message, or "" when valid.
func validate(m *VideoResource, now time.Time) (reason, msg string) {
	if m.Snippet == nil {
		return "invalidVideoMetadata", "The request metadata is invalid: snippet is required."
	}
	sn := m.Snippet
	switch {
	case strings.TrimSpace(sn.Title) == "":
		return "invalidTitle", "The request metadata specifies an invalid or empty video title."
	case utf8.RuneCountInString(sn.Title) > 100 || strings.ContainsAny(sn.Title, "<>"):
		return "invalidTitle", "The request metadata specifies an invalid video title."
	case len(sn.Description) > 5000 || strings.ContainsAny(sn.Description, "<>"):
		return "invalidDescription", "The request metadata specifies an invalid video description."
	case TagsLength(sn.Tags) > 500:
		return "invalidTags", "The request metadata specifies invalid video keywords."
	}
	for _, t := range sn.Tags {
		if strings.ContainsAny(t, "<>,") {
			return "invalidTags", "The request metadata specifies invalid video keywords."
		}
	}
	if c := sn.CategoryID; c != "" {
		if _, err := strconv.Atoi(c); err != nil {
			return "invalidCategoryId", "The snippet.categoryId property specifies an invalid category ID."
		}
	}
	if st := m.Status; st != nil {
		switch st.PrivacyStatus {
		case "", "public", "unlisted", "private":
		default:
			return "invalidVideoMetadata", "The request metadata specifies an invalid privacy status."
		}
		if st.PublishAt != "" {
			at, err := time.Parse(time.RFC3339, st.PublishAt)
			if err != nil || st.PrivacyStatus != "private" || !at.After(now) {
				return "invalidPublishAt", "The request metadata specifies an invalid scheduled publishing time."
			}
		}
	}
	return "", ""
}

// TagsLength counts tags the way YouTube limits them: the commas between
// tags count, and a tag containing a space counts its surrounding quotes.
func TagsLength(tags []string) int {
	n := 0
	for i, t := range tags {
		if i > 0 {
			n++
		}
		n += utf8.RuneCountInString(t)
		if strings.Contains(t, " ") {
			n += 2
		}
	}
	return n
}

// chargeInsert spends the quota of one videos.insert, or reports false.
func (s *Server) chargeInsert() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.opts.Quota
	if q.InsertUnits > 0 {
		if !q.Unlimited && s.quota.Units+q.InsertUnits > q.DailyUnits {
			return false
		}
		s.quota.Units += q.InsertUnits
		return true
	}
	if !q.Unlimited && s.quota.InsertCalls+1 > q.InsertCallsPerDay {
		return false
	}
	s.quota.InsertCalls++
	return true
}

// charge spends units from the shared pool, or reports false.
func (s *Server) charge(units int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.opts.Quota.Unlimited && s.quota.Units+units > s.opts.Quota.DailyUnits {
		return false
	}
	s.quota.Units += units
	return true
}

func baseURL(r *http.Request) string { return "http://" + r.Host }

// handleInsert starts a resumable session or takes a multipart upload.
func (s *Server) handleInsert(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	q := r.URL.Query()
	parts := partsOf(q)
	if len(parts) == 0 {
		writeError(w, http.StatusBadRequest, "required", "global", "Required parameter: part")
		return
	}
	if r.URL.Path == "/youtube/v3/videos" {
		writeError(w, http.StatusBadRequest, "mediaBodyRequired", "", "The request does not include the video content.")
		return
	}
	switch ut := q.Get("uploadType"); ut {
	case "resumable":
		s.startSession(w, r, parts)
	case "multipart":
		s.multipartInsert(w, r, parts)
	default:
		writeError(w, http.StatusBadRequest, "invalidParameter", "global",
			fmt.Sprintf("Invalid value %q for uploadType: the fake supports resumable and multipart.", ut))
	}
}

func (s *Server) readMetadata(w http.ResponseWriter, body []byte) (VideoResource, bool) {
	var m VideoResource
	if len(bytes.TrimSpace(body)) == 0 {
		writeError(w, http.StatusBadRequest, "invalidVideoMetadata", "", "The request metadata is missing.")
		return m, false
	}
	if err := json.Unmarshal(body, &m); err != nil {
		writeError(w, http.StatusBadRequest, "parseError", "global", "Parse Error: "+err.Error())
		return m, false
	}
	if reason, msg := validate(&m, time.Now()); reason != "" {
		writeError(w, http.StatusBadRequest, reason, "", msg)
		return m, false
	}
	return m, true
}

func validMediaType(t string) bool {
	mt, _, _ := mime.ParseMediaType(t)
	return t == "" || strings.HasPrefix(mt, "video/") || mt == "application/octet-stream"
}

func (s *Server) startSession(w http.ResponseWriter, r *http.Request, parts []string) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	meta, ok := s.readMetadata(w, raw)
	if !ok {
		return
	}
	total := int64(-1)
	if v := r.Header.Get("X-Upload-Content-Length"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "badRequest", "global", "Invalid X-Upload-Content-Length.")
			return
		}
		total = n
	}
	mediaType := r.Header.Get("X-Upload-Content-Type")
	if !validMediaType(mediaType) {
		writeError(w, http.StatusBadRequest, "invalidVideoMetadata", "", "X-Upload-Content-Type must be video/* or application/octet-stream.")
		return
	}
	if !s.chargeInsert() {
		writeError(w, http.StatusForbidden, "quotaExceeded", "", quotaMessage)
		return
	}
	id := "fake-" + newID(12)
	v := url.Values{"uploadType": {"resumable"}, "upload_id": {id}, "part": {strings.Join(parts, ",")}}
	uri := baseURL(r) + "/upload/youtube/v3/videos?" + v.Encode()
	s.mu.Lock()
	s.sessions[id] = &session{id: id, uri: uri, meta: meta, raw: raw, parts: parts,
		mediaType: mediaType, total: total, created: time.Now()}
	s.mu.Unlock()
	w.Header().Set("Location", uri)
	w.Header().Set("X-GUploader-UploadID", id)
	w.WriteHeader(http.StatusOK)
}

func (s *Server) multipartInsert(w http.ResponseWriter, r *http.Request, parts []string) {
	raw, media, mediaType, err := readRelated(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "badContent", "global", err.Error())
		return
	}
	meta, ok := s.readMetadata(w, raw)
	if !ok {
		return
	}
	if len(media) == 0 {
		writeError(w, http.StatusBadRequest, "mediaBodyRequired", "", "The request does not include the video content.")
		return
	}
	if !validMediaType(mediaType) {
		writeError(w, http.StatusBadRequest, "invalidVideoMetadata", "", "The media must be video/* or application/octet-stream.")
		return
	}
	if !s.chargeInsert() {
		writeError(w, http.StatusForbidden, "quotaExceeded", "", quotaMessage)
		return
	}
	s.mu.Lock()
	v := s.addVideo(meta, raw, parts, media, mediaType, "multipart", "")
	res := s.resource(v, parts)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, res)
}

// readRelated reads a multipart/related body: a JSON part, then the media.
func readRelated(r *http.Request) (meta, media []byte, mediaType string, err error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") || params["boundary"] == "" {
		return nil, nil, "", errors.New("expected a multipart/related body")
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	for i := 0; ; i++ {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, "", fmt.Errorf("read multipart body: %w", err)
		}
		b, err := io.ReadAll(p)
		if err != nil {
			return nil, nil, "", fmt.Errorf("read multipart body: %w", err)
		}
		switch i {
		case 0:
			meta = b
		case 1:
			media, mediaType = b, p.Header.Get("Content-Type")
		default:
			return nil, nil, "", errors.New("too many parts in multipart body")
		}
	}
	return meta, media, mediaType, nil
}

// addVideo stores a finished upload. s.mu must be held.
func (s *Server) addVideo(meta VideoResource, raw json.RawMessage, parts []string, media []byte, mediaType, uploadType, uploadID string) *Video {
	v := &Video{
		ID:         newVideoID(),
		Resource:   meta,
		Raw:        raw,
		Parts:      parts,
		Media:      media,
		MediaType:  mediaType,
		UploadType: uploadType,
		UploadID:   uploadID,
		CreatedAt:  time.Now(),
	}
	s.videos[v.ID] = v
	s.videoOrder = append(s.videoOrder, v.ID)
	return v
}

// newVideoID returns an 11-character id in YouTube's alphabet.
func newVideoID() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	b := []byte(newID(11))
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:11])
}

// contentRangeRe matches "bytes FIRST-LAST/TOTAL" and "bytes */TOTAL",
// TOTAL being a number or "*".
var contentRangeRe = regexp.MustCompile(`^bytes (?:(\*)|(\d+)-(\d+))/(\*|\d+)$`)

// handleSession serves PUT/POST to a session URI: data chunks and status
// queries. It reports whether the connection was cut.
func (s *Server) handleSession(w http.ResponseWriter, r *http.Request, op Op) bool {
	if r.Method != http.MethodPut && r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "methodNotAllowed", "global", "Use PUT or POST on a session URI.")
		return false
	}
	id := r.URL.Query().Get("upload_id")
	s.mu.Lock()
	ss, ok := s.sessions[id]
	var gone int
	if ok {
		gone = ss.gone
	}
	s.mu.Unlock()
	switch {
	case !ok:
		io.Copy(io.Discard, r.Body)
		writeError(w, http.StatusNotFound, "notFound", "global", "Upload session not found.")
		return false
	case gone != 0:
		io.Copy(io.Discard, r.Body)
		writeError(w, gone, "notFound", "global", "The upload session has expired.")
		return false
	}

	var first, last int64 = 0, -1
	total := int64(-1)
	query := false
	if cr := r.Header.Get("Content-Range"); cr != "" {
		m := contentRangeRe.FindStringSubmatch(cr)
		if m == nil {
			io.Copy(io.Discard, r.Body)
			writeError(w, http.StatusBadRequest, "badRequest", "global", "Failed to parse Content-Range header.")
			return false
		}
		if m[1] == "*" {
			query = true
		} else {
			first, _ = strconv.ParseInt(m[2], 10, 64)
			last, _ = strconv.ParseInt(m[3], 10, 64)
			if last < first {
				io.Copy(io.Discard, r.Body)
				writeError(w, http.StatusBadRequest, "badRequest", "global", "Invalid Content-Range.")
				return false
			}
		}
		if m[4] != "*" {
			total, _ = strconv.ParseInt(m[4], 10, 64)
		}
	} else {
		// A single PUT of the whole media.
		if r.ContentLength < 0 {
			writeError(w, http.StatusLengthRequired, "badRequest", "global", "Content-Length required.")
			return false
		}
		last = r.ContentLength - 1
		total = r.ContentLength
	}

	s.mu.Lock()
	if total >= 0 {
		if ss.total >= 0 && ss.total != total {
			s.mu.Unlock()
			io.Copy(io.Discard, r.Body)
			writeError(w, http.StatusBadRequest, "badContent", "global",
				fmt.Sprintf("Content-Range total %d does not match the declared size %d.", total, ss.total))
			return false
		}
		ss.total = total
	}
	committed := int64(len(ss.data))
	done := ss.videoID
	s.mu.Unlock()

	if done != "" {
		io.Copy(io.Discard, r.Body)
		s.answerDone(w, r, ss)
		return false
	}
	if query {
		io.Copy(io.Discard, r.Body)
		s.mu.Lock()
		finished := ss.total >= 0 && committed == ss.total
		s.mu.Unlock()
		if finished {
			s.finish(w, r, ss)
			return false
		}
		answerIncomplete(w, r, committed)
		return false
	}
	if first > committed {
		io.Copy(io.Discard, r.Body)
		writeError(w, http.StatusBadRequest, "badRequest", "global",
			fmt.Sprintf("Invalid request. According to the Content-Range header, the upload offset is %d byte(s), which exceeds already uploaded size of %d byte(s).", first, committed))
		return false
	}
	if ss.total >= 0 && last >= ss.total {
		io.Copy(io.Discard, r.Body)
		writeError(w, http.StatusBadRequest, "badRequest", "global", "Content-Range goes past the end of the upload.")
		return false
	}

	want := last - first + 1
	limit := want
	cutFault := s.cutFor(ss, first, last)
	if cutFault >= 0 {
		limit = cutFault - first
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit))
	if cutFault >= 0 || err != nil {
		// The connection ends here: keep the whole units that arrived.
		s.commit(ss, first, body, false)
		if cutFault >= 0 {
			return hangUp(w)
		}
		return false
	}
	if int64(len(body)) < want {
		writeError(w, http.StatusBadRequest, "badRequest", "global", "The body is shorter than the Content-Range says.")
		return false
	}
	if extra, _ := io.Copy(io.Discard, io.LimitReader(r.Body, 1)); extra > 0 {
		io.Copy(io.Discard, r.Body)
		writeError(w, http.StatusBadRequest, "badRequest", "global", "The body is longer than the Content-Range says.")
		return false
	}
	if !s.commit(ss, first, body, true) {
		writeError(w, http.StatusBadRequest, "badContent", "global", "Resent bytes differ from the bytes already received.")
		return false
	}
	s.mu.Lock()
	committed = int64(len(ss.data))
	finished := ss.total >= 0 && committed == ss.total
	s.mu.Unlock()
	if finished {
		s.finish(w, r, ss)
		return false
	}
	answerIncomplete(w, r, committed)
	return false
}

// cutFor returns the absolute offset at which a pending cut fault stops the
// request covering [first, last], or -1. A fault that fires is removed.
func (s *Server) cutFor(ss *session, first, last int64) int64 {
	s.mu.Lock()
	total := ss.total
	s.mu.Unlock()
	cut := int64(-1)
	s.faults.Take(func(f *Fault) (use, keep bool) {
		if !f.isCut() {
			return false, false
		}
		p := f.cutPoint(total)
		if p < 0 || p < first || p > last {
			return false, false
		}
		cut = p
		return true, false
	})
	return cut
}

// commit stores body, which starts at offset first. Bytes below the
// committed offset must equal the stored ones. When whole is false (the
// connection broke) or the chunk does not end the upload, only whole
// Granularity units are kept. It reports false on a mismatch.
func (s *Server) commit(ss *session, first int64, body []byte, whole bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	committed := int64(len(ss.data))
	overlap := min(committed-first, int64(len(body)))
	if overlap > 0 && !bytes.Equal(ss.data[first:first+overlap], body[:overlap]) {
		return false
	}
	end := first + int64(len(body))
	final := whole && ss.total >= 0 && end == ss.total
	if !final {
		end -= end % Granularity
	}
	if end > committed {
		ss.data = append(ss.data, body[committed-first:end-first]...)
	}
	return true
}

// answerIncomplete answers 308 with the committed range, or 200 with the
// override header when the client asked for no 308 (the Go client).
func answerIncomplete(w http.ResponseWriter, r *http.Request, committed int64) {
	if committed > 0 {
		w.Header().Set("Range", fmt.Sprintf("bytes=0-%d", committed-1))
	}
	w.Header().Set("Content-Length", "0")
	if strings.EqualFold(r.Header.Get("X-GUploader-No-308"), "yes") {
		w.Header().Set("X-Http-Status-Code-Override", "308")
		w.WriteHeader(http.StatusOK)
		return
	}
	w.WriteHeader(http.StatusPermanentRedirect)
}

// finish turns a complete session into a video and answers with it.
func (s *Server) finish(w http.ResponseWriter, r *http.Request, ss *session) {
	s.mu.Lock()
	if ss.videoID == "" {
		v := s.addVideo(ss.meta, ss.raw, ss.parts, slices.Clone(ss.data), ss.mediaType, "resumable", ss.id)
		ss.videoID = v.ID
	}
	s.mu.Unlock()
	s.answerDone(w, r, ss)
}

func (s *Server) answerDone(w http.ResponseWriter, r *http.Request, ss *session) {
	s.mu.Lock()
	res := s.resource(s.videos[ss.videoID], ss.parts)
	s.mu.Unlock()
	code := http.StatusOK
	if r.Method == http.MethodPut {
		code = http.StatusCreated
	}
	writeJSON(w, code, res)
}
