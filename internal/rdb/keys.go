// Package rdb is YTMaker's Redis layer: it owns every Redis key, channel
// and Lua script the job system uses — task records, the project lock,
// the active-projects set, cancel requests and messages, progress snapshots, the
// scheduler's lease, quota counters, provider call limits and renders
// (limits.go) — and, in asynq.go alone, the few
// private keys of asynq that YTMaker touches directly. Nothing outside
// this package spells a Redis key.
package rdb

import (
	"strconv"
	"time"
)

// Key and channel names shared by every process.
const (
	// ActiveProjects is a set of the IDs of projects with an active run.
	ActiveProjects = "ytmaker:active-projects"
	// CancelChannel carries "projectID:runID" when a running stage must stop.
	CancelChannel = "ytmaker:cancel"
	// DoneChannel carries the IDs of tasks that reached a final state.
	DoneChannel = "ytmaker:task-done"
	// BeatsKey is a sorted set: scheduler instance → heartbeat expiry
	// (unix seconds).
	BeatsKey = "ytmaker:beats"
	// BeatLeaderKey is the lease held by the scheduler that enqueues.
	BeatLeaderKey = "ytmaker:beat:leader"
	// UnsavedStatesKey is a hash: project ID → the project state its
	// project_state.json could not take (see UnsavedStates).
	UnsavedStatesKey = "ytmaker:unsaved-states"
	// UnsavedVersionsKey is a hash: project ID → the version of that state.
	UnsavedVersionsKey = "ytmaker:unsaved-versions"
	// QuotaPrefix starts every quota key unless the tracker is given
	// another prefix.
	QuotaPrefix = "ytmaker:quota"
)

// TaskKey is the hash holding the record of task id.
func TaskKey(id string) string { return "ytmaker:task:" + id }

// LockKey is the key that makes one stage at a time run on a project.
func LockKey(projectID int64) string {
	return "ytmaker:lock:project:" + strconv.FormatInt(projectID, 10)
}

// ProgressChannel is the Pub/Sub channel of a project's progress (the
// seed's progress:{project_id}).
func ProgressChannel(projectID int64) string { return "progress:" + strconv.FormatInt(projectID, 10) }

// ProgressKey is the hash holding a project's latest progress message.
func ProgressKey(projectID int64) string {
	return "ytmaker:progress:" + strconv.FormatInt(projectID, 10)
}

// ProgressTTL is how long the latest progress message is kept after the
// last update.
const ProgressTTL = 7 * 24 * time.Hour

// QuotaDayKey counts the units a service used on a day.
func QuotaDayKey(prefix, service, day string) string { return prefix + ":day:" + service + ":" + day }

// QuotaServicesKey is the set of services with a daily counter.
func QuotaServicesKey(prefix string) string { return prefix + ":services" }

// QuotaCreditsKey is the hash of a service's credit balance.
func QuotaCreditsKey(prefix, service string) string { return prefix + ":credits:" + service }

// QuotaCreditServicesKey is the set of services with a credit balance.
func QuotaCreditServicesKey(prefix string) string { return prefix + ":credit_services" }
