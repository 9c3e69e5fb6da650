package youtube

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"

	"github.com/ytmaker/ytmaker/errcode"
)

// MaxThumbnailBytes is the largest thumbnail SetThumbnail sends. YouTube's
// documented limit has been 2 MB for years (newer pages say 50 MB); the
// thumbnail stage should stay under 2 MB.
const MaxThumbnailBytes = 50 << 20

// Thumbnail is one rendition YouTube made of a thumbnail.
type Thumbnail struct {
	URL    string `json:"url"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// SetThumbnail uploads the image at path (JPEG or PNG) as the custom
// thumbnail of videoID, and returns the renditions by name ("default",
// "medium", "high", "standard", "maxres"). A channel that may not set
// custom thumbnails gets the non-retryable YOUTUBE_THUMBNAIL_FORBIDDEN,
// which callers may treat as a warning.
func (c *Client) SetThumbnail(ctx context.Context, videoID, path string) (map[string]Thumbnail, error) {
	if err := c.requireConfigured(); err != nil {
		return nil, err
	}
	if videoID == "" {
		return nil, errcode.New(errcode.InvalidInput, "youtube thumbnails.set: empty video id", false)
	}
	img, err := os.ReadFile(path)
	if err != nil {
		return nil, fileError(path, err)
	}
	if len(img) == 0 || len(img) > MaxThumbnailBytes {
		return nil, errcode.Newf(errcode.InvalidInput, false,
			"thumbnail %s has %d bytes; it must be between 1 byte and 50 MiB", path, len(img))
	}
	ctype := http.DetectContentType(img)
	if ctype != "image/jpeg" && ctype != "image/png" {
		return nil, errcode.Newf(errcode.InvalidInput, false, "thumbnail %s is %s, not a JPEG or PNG image", path, ctype)
	}
	if len(img) > 2<<20 {
		c.log.Warn("thumbnail is larger than 2 MB; YouTube may refuse it", "bytes", len(img))
	}
	endpoint := c.endpoint("/upload/youtube/v3/thumbnails/set", url.Values{
		"videoId":    {videoID},
		"uploadType": {"media"},
	})
	resp, err := c.send(ctx, func() (*http.Request, error) {
		r, err := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(img))
		if err != nil {
			return nil, err
		}
		r.Header.Set("Content-Type", ctype)
		return r, nil
	})
	if err != nil {
		if ce, ok := errcode.As(err); ok {
			return nil, ce
		}
		return nil, transportError("thumbnails.set", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, c.apiError("thumbnails.set", resp)
	}
	defer drain(resp)
	var body struct {
		Items []map[string]Thumbnail `json:"items"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
		return nil, errcode.New(CodeProtocol, "youtube thumbnails.set: unreadable answer", true).WithCause(err)
	}
	out := map[string]Thumbnail{}
	if len(body.Items) > 0 {
		out = body.Items[0]
	}
	c.log.Info("thumbnail set", "video_id", videoID, "bytes", len(img))
	return out, nil
}

// GetVideo returns the status and processing details of one of the
// channel's videos (videos.list, 1 quota unit). Poll it to learn when
// processing has finished: Status.UploadStatus turns "processed" (or
// "failed", "rejected") and ProcessingDetails.ProcessingStatus
// "succeeded" (or "failed", "terminated").
func (c *Client) GetVideo(ctx context.Context, videoID string) (*VideoResource, error) {
	if err := c.requireConfigured(); err != nil {
		return nil, err
	}
	endpoint := c.endpoint("/youtube/v3/videos", url.Values{
		"id":   {videoID},
		"part": {"snippet,status,processingDetails"},
	})
	resp, err := c.send(ctx, func() (*http.Request, error) {
		return http.NewRequest(http.MethodGet, endpoint, nil)
	})
	if err != nil {
		if ce, ok := errcode.As(err); ok {
			return nil, ce
		}
		return nil, transportError("videos.list", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, c.apiError("videos.list", resp)
	}
	defer drain(resp)
	var body struct {
		Items []VideoResource `json:"items"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(&body); err != nil {
		return nil, errcode.New(CodeProtocol, "youtube videos.list: unreadable answer", true).WithCause(err)
	}
	if len(body.Items) == 0 {
		return nil, errcode.Newf(CodeVideoNotFound, false,
			"youtube videos.list: video %s not found (deleted, or owned by another channel)", videoID)
	}
	return &body.Items[0], nil
}
