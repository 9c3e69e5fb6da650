package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/progress"
)

// BenchmarkGetProject measures GET /api/v1/projects/{id} of a rendering
// project with a large state file (many checkpoints), without the network.
func BenchmarkGetProject(b *testing.B) {
	e := newEnv(b, envOptions{})
	id := e.createProject("bench")
	now := time.Now().UTC()
	_, err := e.engine.Store().UpdateState(id, func(st *project.State) error {
		st.RunSeq = 1
		st.Run = &project.Run{ID: 1, HandleID: "p1-r1-chain", Kind: "chain", Stages: project.Stages, State: project.RunRunning,
			Current: project.StageRender, Progress: 50, CreatedAt: now, StartedAt: &now}
		st.Status = project.Rendering
		for _, s := range []project.Stage{project.StageScript, project.StageAssets} {
			ss := st.Stages.Get(s)
			ss.Status, ss.Attempts, ss.Run, ss.StartedAt, ss.FinishedAt = project.StageCompleted, 1, 1, &now, &now
			ss.Result = json.RawMessage(`{"manifest_path":"/data/projects/1/assets/assets.json","segments":14,"audio_seconds":93.2}`)
			ss.Checkpoints = map[string]json.RawMessage{}
			for i := range 28 {
				ss.Checkpoints[fmt.Sprintf("asset-%02d", i)] = json.RawMessage(fmt.Sprintf(
					`{"path":"/data/projects/1/assets/segment_%02d/narration.wav","duration":6.6543,"text":"Paragraph %d tells a longer story about the city at night and the markets.","sha256":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}`, i, i))
			}
		}
		st.Stages.Render.Status, st.Stages.Render.Attempts, st.Stages.Render.StartedAt = project.StageRunning, 1, &now
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	progress.NewPublisher(e.rdb).Publish(context.Background(), progress.Message{ProjectID: id, Run: 1, Stage: progress.StageRender, Progress: 62, Message: "Rendering"})
	path := fmt.Sprintf("/api/v1/projects/%d", id)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		rec := httptest.NewRecorder()
		e.api.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != 200 {
			b.Fatal(rec.Code, rec.Body.String())
		}
	}
}
