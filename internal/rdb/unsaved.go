package rdb

// Unsaved project states: when the data directory refuses a project's
// project_state.json (a full disk, a read-only folder), the store keeps
// the state here instead (store.Unsaved), so the record of what happened
// is not lost to the very failure it records, and writes it back once the
// disk takes writes again.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// UnsavedStates implements store.Unsaved over two Redis hashes (the state
// and its version, by project ID).
type UnsavedStates struct {
	rdb redis.UniversalClient
}

// NewUnsavedStates returns the unsaved states kept in rdb.
func NewUnsavedStates(rdb redis.UniversalClient) *UnsavedStates { return &UnsavedStates{rdb: rdb} }

// Put keeps data, the state of project id at version, unless a state of a
// later version is already kept.
func (u *UnsavedStates) Put(ctx context.Context, id, version int64, data []byte) error {
	stored, err := putUnsaved.Run(ctx, u.rdb, []string{UnsavedStatesKey, UnsavedVersionsKey},
		strconv.FormatInt(id, 10), version, data).Int()
	if err != nil {
		return err
	}
	if stored == 0 {
		return fmt.Errorf("a later state of project %d is kept", id)
	}
	return nil
}

// Get returns the state kept for project id, or nil.
func (u *UnsavedStates) Get(ctx context.Context, id int64) ([]byte, error) {
	b, err := u.rdb.HGet(ctx, UnsavedStatesKey, strconv.FormatInt(id, 10)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	return b, err
}

// Delete forgets the state kept for project id if its version is at most
// version.
func (u *UnsavedStates) Delete(ctx context.Context, id, version int64) error {
	return deleteUnsaved.Run(ctx, u.rdb, []string{UnsavedStatesKey, UnsavedVersionsKey},
		strconv.FormatInt(id, 10), version).Err()
}

// IDs lists the projects with a kept state.
func (u *UnsavedStates) IDs(ctx context.Context) ([]int64, error) {
	fields, err := u.rdb.HKeys(ctx, UnsavedStatesKey).Result()
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(fields))
	for _, f := range fields {
		if id, err := strconv.ParseInt(f, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids, nil
}
