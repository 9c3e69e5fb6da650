package fakeyoutube

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"
)

const fakeChannelID = "UCfakeChannel0000000000"

// resource renders v as the API returns it, limited to parts. s.mu must be
// held.
func (s *Server) resource(v *Video, parts []string) map[string]any {
	res := map[string]any{
		"kind": "youtube#video",
		"etag": "fake-etag-" + v.ID,
		"id":   v.ID,
	}
	processing := v.listCalls <= s.opts.ProcessingPolls
	if slices.Contains(parts, "snippet") {
		sn := v.Resource.Snippet
		if sn == nil {
			sn = &Snippet{}
		}
		snippet := map[string]any{
			"publishedAt":          v.CreatedAt.UTC().Format(time.RFC3339),
			"channelId":            fakeChannelID,
			"title":                sn.Title,
			"description":          sn.Description,
			"channelTitle":         "Fake Channel",
			"categoryId":           cmpOr(sn.CategoryID, "22"),
			"liveBroadcastContent": "none",
			"localized":            map[string]any{"title": sn.Title, "description": sn.Description},
		}
		if len(sn.Tags) > 0 {
			snippet["tags"] = sn.Tags
		}
		if sn.DefaultLanguage != "" {
			snippet["defaultLanguage"] = sn.DefaultLanguage
		}
		if sn.DefaultAudioLanguage != "" {
			snippet["defaultAudioLanguage"] = sn.DefaultAudioLanguage
		}
		if len(v.Thumbnail) > 0 {
			snippet["thumbnails"] = thumbnailSet(v.ID)
		}
		res["snippet"] = snippet
	}
	if slices.Contains(parts, "status") {
		st := v.Resource.Status
		if st == nil {
			st = &Status{}
		}
		uploadStatus := "processed"
		if processing {
			uploadStatus = "uploaded"
		}
		status := map[string]any{
			"uploadStatus":            uploadStatus,
			"privacyStatus":           cmpOr(st.PrivacyStatus, "public"),
			"license":                 cmpOr(st.License, "youtube"),
			"embeddable":              st.Embeddable == nil || *st.Embeddable,
			"publicStatsViewable":     st.PublicStatsViewable == nil || *st.PublicStatsViewable,
			"madeForKids":             st.SelfDeclaredMadeForKids != nil && *st.SelfDeclaredMadeForKids,
			"selfDeclaredMadeForKids": st.SelfDeclaredMadeForKids != nil && *st.SelfDeclaredMadeForKids,
			"containsSyntheticMedia":  st.ContainsSyntheticMedia != nil && *st.ContainsSyntheticMedia,
		}
		if st.PublishAt != "" {
			status["publishAt"] = st.PublishAt
		}
		res["status"] = status
	}
	if slices.Contains(parts, "processingDetails") {
		ps := "succeeded"
		if processing {
			ps = "processing"
		}
		res["processingDetails"] = map[string]any{
			"processingStatus":             ps,
			"thumbnailsAvailability":       "available",
			"processingFailureReason":      nil,
			"fileDetailsAvailability":      "available",
			"processingIssuesAvailability": "available",
		}
	}
	return res
}

func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func thumbnailSet(id string) map[string]any {
	mk := func(name string, w, h int) map[string]any {
		return map[string]any{"url": fmt.Sprintf("https://i.ytimg.com/vi/%s/%s.jpg", id, name), "width": w, "height": h}
	}
	return map[string]any{
		"default":  mk("default", 120, 90),
		"medium":   mk("mqdefault", 320, 180),
		"high":     mk("hqdefault", 480, 360),
		"standard": mk("sddefault", 640, 480),
		"maxres":   mk("maxresdefault", 1280, 720),
	}
}

// handleThumbnail serves thumbnails.set, taking a multipart/related body
// (what the Go client sends) or the raw image.
func (s *Server) handleThumbnail(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "methodNotAllowed", "global", "Use POST.")
		return
	}
	if !s.authorized(w, r) {
		return
	}
	id := r.URL.Query().Get("videoId")
	s.mu.Lock()
	forbidden := s.thumbsForbidden
	v, found := s.videos[id]
	s.mu.Unlock()
	switch {
	case id == "":
		writeError(w, http.StatusBadRequest, "required", "global", "Required parameter: videoId")
		return
	case forbidden:
		writeError(w, http.StatusForbidden, "forbidden", "",
			"The authenticated user doesnt have permissions to upload and set custom video thumbnails.")
		return
	case !found:
		writeError(w, http.StatusNotFound, "videoNotFound", "", "The video that you are trying to update cannot be found.")
		return
	}
	var img []byte
	var ctype string
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); strings.HasPrefix(mt, "multipart/") {
		_, media, mediaType, err := readRelated(r)
		if err != nil {
			writeError(w, http.StatusBadRequest, "badContent", "global", err.Error())
			return
		}
		img, ctype = media, mediaType
	} else if r.URL.Path == "/upload/youtube/v3/thumbnails/set" {
		b, err := io.ReadAll(io.LimitReader(r.Body, s.opts.MaxThumbnailBytes+1))
		if err != nil {
			return
		}
		img, ctype = b, r.Header.Get("Content-Type")
	}
	if len(img) == 0 {
		writeError(w, http.StatusBadRequest, "mediaBodyRequired", "", "The request does not include the image content.")
		return
	}
	if int64(len(img)) > s.opts.MaxThumbnailBytes {
		writeError(w, http.StatusRequestEntityTooLarge, "mediaBodyTooLarge", "global", "The thumbnail image is too large.")
		return
	}
	switch {
	case bytes.HasPrefix(img, []byte{0xFF, 0xD8, 0xFF}):
		ctype = "image/jpeg"
	case bytes.HasPrefix(img, []byte("\x89PNG\r\n\x1a\n")):
		ctype = "image/png"
	default:
		writeError(w, http.StatusBadRequest, "invalidImage", "", "The provided image content is invalid.")
		return
	}
	if !s.charge(s.opts.Quota.ThumbnailUnits) {
		writeError(w, http.StatusForbidden, "quotaExceeded", "", quotaMessage)
		return
	}
	s.mu.Lock()
	v.Thumbnail, v.ThumbnailType = img, ctype
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"kind":  "youtube#thumbnailSetResponse",
		"etag":  "fake-etag-thumb-" + id,
		"items": []any{thumbnailSet(id)},
	})
}

// handleList serves videos.list by id.
func (s *Server) handleList(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	q := r.URL.Query()
	parts := partsOf(q)
	if len(parts) == 0 {
		writeError(w, http.StatusBadRequest, "required", "global", "Required parameter: part")
		return
	}
	if !s.charge(s.opts.Quota.ListUnits) {
		writeError(w, http.StatusForbidden, "quotaExceeded", "", quotaMessage)
		return
	}
	var ids []string
	for _, v := range q["id"] {
		for id := range strings.SplitSeq(v, ",") {
			if id = strings.TrimSpace(id); id != "" {
				ids = append(ids, id)
			}
		}
	}
	items := []any{}
	s.mu.Lock()
	for _, id := range ids {
		if v, ok := s.videos[id]; ok {
			v.listCalls++
			items = append(items, s.resource(v, parts))
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"kind":     "youtube#videoListResponse",
		"etag":     "fake-etag-list",
		"items":    items,
		"pageInfo": map[string]any{"totalResults": len(items), "resultsPerPage": len(items)},
	})
}

// fakeChannelTitle is the authorized channel's title.
const fakeChannelTitle = "Fake Channel"

// handleChannels answers channels.list with mine=true: the one channel of
// the authorized account (1 quota unit, like videos.list).
func (s *Server) handleChannels(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	q := r.URL.Query()
	parts := partsOf(q)
	if len(parts) == 0 {
		writeError(w, http.StatusBadRequest, "required", "global", "Required parameter: part")
		return
	}
	if q.Get("mine") != "true" && q.Get("id") == "" {
		writeError(w, http.StatusBadRequest, "missingRequiredParameter", "global",
			"No filter selected. Expected one of: forUsername, managedByMe, categoryId, mine, mySubscribers, id, idParam")
		return
	}
	if !s.charge(s.opts.Quota.ListUnits) {
		writeError(w, http.StatusForbidden, "quotaExceeded", "", quotaMessage)
		return
	}
	items := []any{}
	if q.Get("mine") == "true" || slices.Contains(strings.Split(q.Get("id"), ","), fakeChannelID) {
		ch := map[string]any{"kind": "youtube#channel", "etag": "fake-etag-channel", "id": fakeChannelID}
		if slices.Contains(parts, "snippet") {
			ch["snippet"] = map[string]any{"title": fakeChannelTitle, "description": "", "customUrl": "@fakechannel",
				"publishedAt": "2020-01-01T00:00:00Z", "localized": map[string]any{"title": fakeChannelTitle, "description": ""}}
		}
		items = append(items, ch)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"kind":     "youtube#channelListResponse",
		"etag":     "fake-etag-channels",
		"items":    items,
		"pageInfo": map[string]any{"totalResults": len(items), "resultsPerPage": 5},
	})
}
