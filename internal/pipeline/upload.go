package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/providers/did"
	"github.com/ytmaker/ytmaker/internal/providers/youtube"
	"github.com/ytmaker/ytmaker/internal/quota"
	"github.com/ytmaker/ytmaker/internal/script"
	"github.com/ytmaker/ytmaker/internal/stage"
)

// UploadResult is upload_to_youtube_task's result, and the chain's.
type UploadResult struct {
	Uploaded      bool       `json:"uploaded"`
	Skipped       bool       `json:"skipped,omitempty"`
	Reason        string     `json:"reason,omitempty"`
	ProjectID     int64      `json:"project_id"`
	VideoPath     string     `json:"video_path"`
	ThumbnailPath string     `json:"thumbnail_path,omitempty"`
	VideoID       string     `json:"video_id,omitempty"`
	VideoURL      string     `json:"video_url,omitempty"`
	Title         string     `json:"title,omitempty"`
	Privacy       string     `json:"privacy,omitempty"`
	PublishAt     *time.Time `json:"publish_at,omitempty"`
	ThumbnailSet  bool       `json:"thumbnail_set,omitempty"`
	Resumed       bool       `json:"resumed,omitempty"`
	BytesSent     int64      `json:"bytes_sent,omitempty"`
	Warnings      []string   `json:"warnings,omitempty"`
}

// StageSkipped implements stage.Skipper.
func (r UploadResult) StageSkipped() bool { return r.Skipped }

const sessionKey = "youtube_session"

// metadata assembles what YouTube shows: the project's YouTube settings
// first, the script's title, description and tags otherwise.
func metadata(pr *project.Project, sc *script.Script) youtube.Metadata {
	y := pr.Settings.YouTube
	m := youtube.Metadata{Title: y.Title, Description: y.Description, Tags: y.Tags, CategoryID: y.CategoryID,
		Privacy: y.Privacy, Language: pr.Language}
	if sc != nil {
		if m.Title == "" {
			m.Title = sc.Title
		}
		if m.Description == "" {
			m.Description = sc.Description
		}
		if len(m.Tags) == 0 {
			m.Tags = sc.Tags
		}
		if sc.Language != "" {
			m.Language = sc.Language
		}
	}
	if m.Title == "" {
		m.Title = pr.Name
	}
	if y.PublishAt != nil {
		m.PublishAt = *y.PublishAt
	}
	return m
}

func (p *Pipeline) runUpload(ctx context.Context, job stage.Job) (any, error) {
	pr, err := p.load(job)
	if err != nil {
		return nil, err
	}
	res := UploadResult{ProjectID: pr.ID, VideoPath: abs(job, videoFile)}
	if fileExists(abs(job, thumbnailFile)) {
		res.ThumbnailPath = abs(job, thumbnailFile)
	}
	if !fileExists(res.VideoPath) {
		return nil, errcode.New(errcode.InvalidInput, "the video has not been rendered yet: run render_video_task first", false)
	}
	if !pr.Settings.YouTube.UploadWanted() {
		res.Skipped, res.Reason = true, "not uploaded: uploading is turned off for this project (settings.youtube.upload)"
		job.Progress(100, res.Reason)
		return res, nil
	}
	yt, err := p.youtube()
	if err != nil {
		return nil, err
	}
	if yt == nil {
		res.Skipped, res.Reason = true, "not uploaded: no YouTube credentials (set YOUTUBE_CLIENT_ID and YOUTUBE_CLIENT_SECRET, then connect the channel in the studio's System page or run `ytmaker youtube auth`)"
		job.Progress(100, res.Reason)
		return res, nil
	}
	sc, _ := script.Load(abs(job, scriptFile))
	meta := metadata(pr, sc)
	var man Manifest
	if b, err := os.ReadFile(abs(job, manifestFile)); err == nil && json.Unmarshal(b, &man) == nil {
		// The credit each stock service asks for.
		if c := creditLines(man.Credits); c != "" && !strings.Contains(meta.Description, c) {
			meta.Description = strings.TrimSpace(meta.Description + "\n\n" + c)
		}
	}
	var saved youtube.Session
	var session *youtube.Session
	if ok, _ := job.Checkpoint(sessionKey, &saved); ok && saved.URI != "" {
		session = &saved
	}
	var reservation *quota.Reservation
	var lastSent int64
	hooks := youtube.Hooks{
		BeforeNewSession: func(ctx context.Context) error {
			if p.cfg.Quota == nil {
				return nil
			}
			r, err := p.cfg.Quota.ReserveUpload(ctx)
			if err != nil {
				return err
			}
			reservation = &r
			return nil
		},
		OnSession: func(s youtube.Session) error { return job.SaveCheckpoint(sessionKey, s) },
		OnProgress: func(sent, total int64) {
			if p.cfg.UploadBytes != nil && sent > lastSent {
				p.cfg.UploadBytes(sent - lastSent)
			}
			lastSent = sent
			if total > 0 {
				job.Progress(float64(sent)*90/float64(total), fmt.Sprintf("Uploading to YouTube: %.1f of %.1f MB", float64(sent)/1e6, float64(total)/1e6))
			}
		},
	}
	job.Progress(1, "Uploading to YouTube...")
	up, err := yt.Upload(ctx, youtube.UploadRequest{VideoPath: res.VideoPath, Metadata: meta, Session: session}, hooks)
	if err != nil {
		var ex *quota.ExhaustedError
		switch {
		case errors.As(err, &ex):
			// Too little quota left today: wait for the reset instead of failing.
			return nil, stage.Snooze(time.Now().Add(p.cfg.Quota.UntilReset()), errcode.Newf(errcode.YouTubeQuotaExceeded, true,
				"YouTube quota for today is used up (%d of %d units); the upload waits for the reset at midnight Pacific time", ex.Used, ex.Limit))
		case errcode.Code(err) == errcode.YouTubeQuotaExceeded:
			// YouTube says so itself: make every worker wait.
			if reservation != nil {
				p.cfg.Quota.Release(context.WithoutCancel(ctx), *reservation)
			}
			reset := quota.NextReset(time.Now(), quota.Pacific())
			if p.cfg.Quota != nil {
				p.cfg.Quota.MarkUploadsExhausted(context.WithoutCancel(ctx))
				reset = time.Now().Add(p.cfg.Quota.UntilReset())
			}
			return nil, stage.Snooze(reset, errcode.New(errcode.YouTubeQuotaExceeded,
				"YouTube refused the upload: quota exceeded; waiting for the reset at midnight Pacific time", true))
		}
		if reservation != nil {
			var s youtube.Session
			if ok, _ := job.Checkpoint(sessionKey, &s); !ok || s.URI == "" {
				p.cfg.Quota.Release(context.WithoutCancel(ctx), *reservation)
			}
		}
		return nil, err
	}
	res.Uploaded, res.VideoID, res.Resumed, res.BytesSent = true, up.VideoID, up.Resumed, up.BytesSent
	res.VideoURL = "https://www.youtube.com/watch?v=" + up.VideoID
	res.Title, res.Privacy = meta.Title, meta.Privacy
	if !meta.PublishAt.IsZero() {
		t := meta.PublishAt.UTC()
		res.PublishAt, res.Privacy = &t, youtube.Private
	}
	if res.Privacy == "" {
		res.Privacy = youtube.Private
	}
	if res.ThumbnailPath != "" {
		job.Progress(95, "Setting the thumbnail...")
		if w := p.setThumbnail(ctx, yt, up.VideoID, res.ThumbnailPath); w != "" {
			res.Warnings = append(res.Warnings, w)
		} else {
			res.ThumbnailSet = true
		}
	}
	job.Progress(100, "Uploaded: "+res.VideoURL)
	return res, nil
}

// setThumbnail sets the custom thumbnail; a failure is a warning, never a
// failed upload.
func (p *Pipeline) setThumbnail(ctx context.Context, yt *youtube.Client, videoID, path string) string {
	if p.cfg.Quota != nil {
		if _, err := p.cfg.Quota.ReserveThumbnail(ctx); err != nil {
			return "thumbnail not set: " + err.Error()
		}
	}
	if _, err := yt.SetThumbnail(ctx, videoID, path); err != nil {
		return "thumbnail not set: " + err.Error()
	}
	return ""
}

// SyncQuotas is the body of the hourly sync_quotas task: it refreshes the
// D-ID credit balance and writes DATA_DIR/quotas.json.
func (p *Pipeline) SyncQuotas(ctx context.Context) (any, error) {
	out := map[string]any{"synced_at": time.Now().UTC().Format(time.RFC3339)}
	if p.cfg.Quota == nil {
		out["quota"] = "not tracked"
		return out, nil
	}
	if p.cfg.DIDAPIKey != "" {
		c, err := did.New(did.Config{APIKey: p.cfg.DIDAPIKey, BaseURL: p.cfg.DIDBaseURL, HTTPClient: p.cfg.HTTPClient, Logger: p.log})
		if err == nil {
			cr, err := c.Credits(ctx)
			if err != nil {
				p.log.Warn("sync_quotas: D-ID credits", "err", err)
				out["did_error"] = err.Error()
			} else {
				p.cfg.Quota.SetCredits(ctx, "did", quota.Credits{Remaining: int64(cr.Remaining), Total: int64(cr.Total), Unit: "credits"})
				if cr.Total > 0 && cr.Remaining/cr.Total < 0.1 {
					p.log.Warn("D-ID credits are running low", "remaining", cr.Remaining, "total", cr.Total)
				}
			}
		}
	}
	snap, err := p.cfg.Quota.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(p.cfg.Store.Root(), "quotas.json")
	if err := p.cfg.Quota.WriteFile(ctx, path); err != nil {
		return nil, err
	}
	out["quotas"] = snap
	out["file"] = path
	return out, nil
}
