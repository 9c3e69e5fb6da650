package api

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ytmaker/ytmaker/internal/api/wire"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/progress"
)

// Files a project makes, relative to its folder.
type outputFile struct {
	kind        string // video, thumbnail, script
	rel         string
	contentType string
}

var (
	videoFile     = outputFile{"video", filepath.Join("output", "final_video.mp4"), "video/mp4"}
	thumbnailFile = outputFile{"thumbnail", filepath.Join("output", "thumbnail.jpg"), "image/jpeg"}
	scriptFile    = outputFile{"script", "script.json", "application/json"}
)

func projectURL(id int64) string { return Prefix + "/projects/" + strconv.FormatInt(id, 10) }

func (f outputFile) url(id int64) string { return projectURL(id) + "/" + f.kind }

// path is the file's location; built only from the integer ID.
func (s *Server) outputPath(id int64, f outputFile) string {
	return filepath.Join(s.store.ProjectDir(id), f.rel)
}

// outputInfo stats an output; nil when it has not been made.
func (s *Server) outputInfo(id int64, f outputFile) *wire.File {
	path := s.outputPath(id, f)
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	return &wire.File{Path: path, URL: f.url(id), SizeBytes: fi.Size()}
}

func (s *Server) outputs(id int64) wire.Outputs {
	var o wire.Outputs
	if s.outputInfo(id, videoFile) != nil {
		o.VideoURL = videoFile.url(id)
	}
	if s.outputInfo(id, thumbnailFile) != nil {
		o.ThumbnailURL = thumbnailFile.url(id)
	}
	if s.outputInfo(id, scriptFile) != nil {
		o.ScriptURL = scriptFile.url(id)
	}
	return o
}

// liveProgress is the overall progress: the latest published value of the
// active run, otherwise the share of finished stages.
func (s *Server) liveProgress(ctx context.Context, st *project.State) int {
	run := st.ActiveRun()
	if run == nil {
		return st.Progress()
	}
	if snap, err := progress.Snapshot(ctx, s.rdb, st.ProjectID); err == nil && snap != nil && snap.Run == run.ID {
		return snap.Progress
	}
	return run.Progress
}

// currentStage is the stage the project is at: the active run's current
// stage, else the first unfinished one.
func currentStage(st *project.State) project.Stage {
	if run := st.ActiveRun(); run != nil {
		return run.Current
	}
	return st.FirstUnfinished()
}

func (s *Server) projectView(ctx context.Context, p *project.Project, st *project.State) *wire.Project {
	v := &wire.Project{
		ID: p.ID, Name: p.Name, Content: p.Content, Language: p.Language, Settings: p.Settings,
		BatchID: p.BatchID, Status: st.Status, Progress: s.liveProgress(ctx, st), CurrentStage: currentStage(st),
		Run: runView(st.Run), Error: st.Error, Outputs: s.outputs(p.ID), Media: mediaViews(p.ID, st), CreatedAt: p.CreatedAt, UpdatedAt: latest(p, st),
	}
	for _, name := range project.Stages {
		ss := st.Stages.Get(name)
		sv := wire.Stage{Name: name, Task: name.TaskName(), Status: ss.Status, Attempts: ss.Attempts, Run: ss.Run,
			TaskID: ss.TaskID, StartedAt: ss.StartedAt, FinishedAt: ss.FinishedAt, Error: ss.Error,
			Result: redact(ss.Result), Checkpoints: len(ss.Checkpoints)}
		if ss.StartedAt != nil && ss.FinishedAt != nil && !ss.FinishedAt.Before(*ss.StartedAt) {
			d := ss.FinishedAt.Sub(*ss.StartedAt).Seconds()
			sv.DurationSeconds = &d
		}
		v.Stages = append(v.Stages, sv)
	}
	return v
}

func latest(p *project.Project, st *project.State) time.Time {
	if st.UpdatedAt.After(p.UpdatedAt) {
		return st.UpdatedAt
	}
	return p.UpdatedAt
}

func runView(r *project.Run) *wire.Run {
	if r == nil {
		return nil
	}
	return &wire.Run{ID: r.ID, TaskID: r.HandleID, Kind: r.Kind, Stages: r.Stages, State: r.State, Current: r.Current,
		Progress: r.Progress, PauseRequested: r.PauseRequested, CancelRequested: r.CancelRequested, BatchID: r.BatchID,
		CreatedAt: r.CreatedAt, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, Error: r.Error}
}

func (s *Server) summaryView(ctx context.Context, p *project.Project, st *project.State) wire.ProjectSummary {
	v := wire.ProjectSummary{ID: p.ID, Name: p.Name, Language: p.Language, BatchID: p.BatchID, Status: st.Status,
		Progress: s.liveProgress(ctx, st), CurrentStage: currentStage(st), CreatedAt: p.CreatedAt, UpdatedAt: latest(p, st)}
	if st.Error != nil {
		v.ErrorCode = st.Error.Code
	}
	if up := parseUpload(st); up.URL != "" {
		v.YouTubeURL = up.URL
	}
	return v
}

func runRef(projectID int64, st *project.State, run *project.Run) wire.RunRef {
	ref := wire.RunRef{ProjectID: projectID}
	if st != nil {
		ref.ProjectStatus = st.Status
		if run == nil {
			run = st.Run
		}
	}
	if run != nil {
		ref.TaskID, ref.Run, ref.Status, ref.Stages = run.HandleID, run.ID, run.State, run.Stages
		ref.PauseRequested, ref.CancelRequested = run.PauseRequested, run.CancelRequested
	}
	return ref
}

// uploadInfo is what the upload stage reported.
type uploadInfo struct {
	Uploaded bool
	VideoID  string
	URL      string
	Privacy  string
	Reason   string
}

// parseUpload reads the upload stage's result. It accepts the usual key
// spellings so it does not depend on one stage implementation.
func parseUpload(st *project.State) uploadInfo {
	ss := st.Stages.Get(project.StageUpload)
	var m map[string]any
	if len(ss.Result) > 0 {
		json.Unmarshal(ss.Result, &m)
	}
	str := func(keys ...string) string {
		for _, k := range keys {
			if v, ok := m[k].(string); ok && v != "" {
				return v
			}
		}
		return ""
	}
	info := uploadInfo{
		VideoID: str("video_id", "youtube_video_id", "youtube_id"),
		URL:     str("url", "video_url", "youtube_url"),
		Privacy: str("privacy", "privacy_status"),
		Reason:  strings.TrimPrefix(str("reason", "skip_reason", "skipped_reason", "message"), "not uploaded: "),
	}
	if info.VideoID != "" && info.URL == "" {
		info.URL = "https://www.youtube.com/watch?v=" + info.VideoID
	}
	info.Uploaded = ss.Status == project.StageCompleted && info.VideoID != ""
	if !info.Uploaded {
		info.URL = ""
		if info.Reason == "" {
			switch ss.Status {
			case project.StageSkipped:
				info.Reason = "skipped"
			case project.StageFailed:
				info.Reason = "the upload failed"
				if ss.Error != nil {
					info.Reason += " (" + ss.Error.Code + ")"
				}
			default:
				info.Reason = "the upload stage has not run"
			}
		}
	}
	return info
}

// sensitiveKey matches result fields that could hold a credential or a
// resumable-upload session; they are never shown.
var sensitiveKey = regexp.MustCompile(`(?i)(token|secret|password|passwd|api_?key|authorization|session|credential|cookie)`)

// redact drops sensitive fields from a stage result (at any depth).
func redact(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil
	}
	changed := false
	var walk func(any) any
	walk = func(v any) any {
		switch t := v.(type) {
		case map[string]any:
			for k, x := range t {
				if sensitiveKey.MatchString(k) {
					delete(t, k)
					changed = true
					continue
				}
				t[k] = walk(x)
			}
		case []any:
			for i, x := range t {
				t[i] = walk(x)
			}
		}
		return v
	}
	v = walk(v)
	if !changed {
		return raw
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return out
}
