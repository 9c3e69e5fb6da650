package studio

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/store"
)

// BenchmarkPages measures each studio page with 1,000 projects in
// DATA_DIR, through the whole handler (API middleware, in-process API
// calls, templates), without the network.
func BenchmarkPages(b *testing.B) {
	e := newEnv(b, envOptions{})
	ctx := context.Background()
	var last int64
	for i := range 1000 {
		id, err := e.client.CreateProject(ctx, project.Input{Name: fmt.Sprintf("Project %04d", i),
			Content: "Rivers carry water to the sea. They shape valleys over a long time. People live along them."})
		if err != nil {
			b.Fatal(err)
		}
		last = id
	}
	// Baseline: the list as it was read before, every file parsed on
	// every request.
	b.Run("baseline-list-reading-every-file", func(b *testing.B) {
		for range b.N {
			if _, _, err := e.engine.Store().ListProjects(ctx, store.ListOptions{Sort: "created_at", Desc: true, Limit: 20}); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, path := range []string{"/", "/?q=project+09&status=INITIALIZED", "/?page=50", "/new",
		fmt.Sprintf("/projects/%d", last), fmt.Sprintf("/projects/%d/live", last), "/batches", "/system"} {
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				rec := httptest.NewRecorder()
				req := httptest.NewRequest("GET", path, nil)
				req.Host = "127.0.0.1"
				e.api.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatal(path, rec.Code, rec.Body.String())
				}
			}
		})
	}
}
