package studio

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/script"
)

// The gallery lists the script's segments with an upload control each (a
// remove button where the segment has own media), in English and
// Traditional Chinese; during a run the controls are gone.
func TestGalleryMediaControls(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.browser()
	id := e.createProject("Own media", "A text. It has two sentences.")
	sc := &script.Script{Title: "Harbour", Language: "en", Segments: []script.Segment{
		{Type: "intro", Text: "Hello."}, {Type: "content", Text: "Boats come home."}, {Type: "outro", Text: "Bye."}}}
	if err := sc.Save(filepath.Join(e.engine.Store().ProjectDir(id), "script.json")); err != nil {
		t.Fatal(err)
	}
	set := func(fn func(st *project.State)) {
		if _, err := e.engine.Store().UpdateState(id, func(st *project.State) error { fn(st); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	set(func(st *project.State) {
		st.Stages.Script.Status = project.StageCompleted
		st.Status = project.ScriptGenerated
		st.SetMedia(project.SegmentMedia{Segment: 2, Kind: project.MediaVideo, File: "media/segment_02.mp4", ContentType: "video/mp4",
			SHA256: strings.Repeat("ab", 32), UploadedAt: time.Now()})
	})
	for _, tc := range []struct{ lang, use, remove string }{{"en", "Use my picture or clip", "Remove my media"}, {"zh-TW", "使用我的圖片或影片", "移除我的素材"}} {
		p := e.get(c, fmt.Sprintf("/projects/%d", id), map[string]string{"Accept-Language": tc.lang})
		if p.code != 200 {
			t.Fatalf("%s: %d", tc.lang, p.code)
		}
		for _, want := range []string{`id="media-1"`, `id="media-3"`, `data-media-remove="2"`, `data-own-media="video"`, tc.use, tc.remove,
			fmt.Sprintf(`src="/api/v1/projects/%d/segments/2/media?v=abababababab"`, id)} {
			if !strings.Contains(p.body, want) {
				t.Errorf("%s: the page lacks %s", tc.lang, want)
			}
		}
		if strings.Contains(p.body, `data-media-remove="1"`) {
			t.Errorf("%s: a remove button for a segment without media", tc.lang)
		}
	}
	set(func(st *project.State) {
		st.Run = &project.Run{ID: 1, State: project.RunRunning, Kind: "chain", Stages: project.Stages}
		st.Status = project.AssetsGenerating
	})
	p := e.get(c, fmt.Sprintf("/projects/%d", id), nil)
	if strings.Contains(p.body, `data-media-upload`) || !strings.Contains(p.body, "once the run stops") {
		t.Error("the upload controls are offered during a run")
	}
}
