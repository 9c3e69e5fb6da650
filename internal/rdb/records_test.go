package rdb

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/redistest"
)

// TestFinishedRecordStaysFinished: a late non-final update (a concurrent
// batch tick marking its handle running) must not reopen a finished
// record, or its waiters would wait until their timeout.
func TestFinishedRecordStaysFinished(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	recs := NewRecords(srv.Client(), 0, nil)
	defer recs.Close()
	if err := recs.Create(ctx, Record{ID: "b1-r1", Type: "batch_processing_task"}); err != nil {
		t.Fatal(err)
	}
	if err := recs.SetState(ctx, "b1-r1", Running, 0); err != nil {
		t.Fatal(err)
	}
	if err := recs.Finish(ctx, "b1-r1", Succeeded, json.RawMessage(`{"completed":2}`), nil); err != nil {
		t.Fatal(err)
	}
	if err := recs.SetState(ctx, "b1-r1", Running, 0); err != nil {
		t.Fatal(err)
	}
	r, err := recs.Wait(ctx, "b1-r1", time.Second)
	if err != nil || r.State != Succeeded || string(r.Result) != `{"completed":2}` {
		t.Fatalf("after a late update: %+v, %v", r, err)
	}
}
