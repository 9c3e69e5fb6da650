package rdb

import (
	"context"
	"slices"
	"testing"

	"github.com/ytmaker/ytmaker/internal/redistest"
)

func TestUnsavedStates(t *testing.T) {
	ctx := context.Background()
	u := NewUnsavedStates(redistest.Start(t).Client())
	if b, err := u.Get(ctx, 7); b != nil || err != nil {
		t.Fatalf("empty: %q, %v", b, err)
	}
	if err := u.Put(ctx, 7, 3, []byte(`{"version":3}`)); err != nil {
		t.Fatal(err)
	}
	if err := u.Put(ctx, 7, 3, []byte(`{"version":3,"other":true}`)); err == nil {
		t.Fatal("a second state of the same version was kept")
	}
	if err := u.Put(ctx, 7, 2, []byte(`{"version":2}`)); err == nil {
		t.Fatal("an older state replaced a newer one")
	}
	if err := u.Put(ctx, 9, 1, []byte(`{"version":1}`)); err != nil {
		t.Fatal(err)
	}
	if b, _ := u.Get(ctx, 7); string(b) != `{"version":3}` {
		t.Fatalf("kept %s", b)
	}
	if ids, _ := u.IDs(ctx); !slices.Equal(ids, []int64{7, 9}) {
		t.Fatalf("ids %v", ids)
	}
	// A delete up to an older version leaves a newer state kept.
	u.Delete(ctx, 7, 2)
	if b, _ := u.Get(ctx, 7); b == nil {
		t.Fatal("a newer state was forgotten")
	}
	u.Delete(ctx, 7, 3)
	if b, _ := u.Get(ctx, 7); b != nil {
		t.Fatal("not forgotten")
	}
	if err := u.Put(ctx, 7, 4, []byte(`{"version":4}`)); err != nil {
		t.Fatal(err)
	}
	if ids, _ := u.IDs(ctx); !slices.Equal(ids, []int64{7, 9}) {
		t.Fatalf("ids %v", ids)
	}
}
