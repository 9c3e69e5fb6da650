package taskspec

import (
	"net/http"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/project"
)

func TestRetryDelay(t *testing.T) {
	for n, want := range []time.Duration{2 * time.Second, 5 * time.Second, 10 * time.Second, 10 * time.Second} {
		if got := RetryDelay(n, nil); got != want {
			t.Errorf("RetryDelay(%d) = %s, want %s", n, got, want)
		}
	}
	h := http.Header{}
	h.Set("Retry-After", "7")
	if got := RetryDelay(0, errcode.HTTP("x", 429, h, "")); got != 7*time.Second {
		t.Errorf("a longer Retry-After wins: %s", got)
	}
	h.Set("Retry-After", "1")
	if got := RetryDelay(1, errcode.HTTP("x", 429, h, "")); got != 5*time.Second {
		t.Errorf("a shorter Retry-After does not: %s", got)
	}
	h.Set("Retry-After", "3600")
	if got := RetryDelay(0, errcode.HTTP("x", 429, h, "")); got != errcode.MaxRetryAfter {
		t.Errorf("Retry-After is capped: %s", got)
	}
}

func TestAlignDelayLandsOnTheNearestSecond(t *testing.T) {
	for _, frac := range []int{0, 100, 400, 600, 999} {
		now := time.Unix(1_000_000, int64(frac)*int64(time.Millisecond))
		d := AlignDelay(now, 2*time.Second)
		due := now.Add(d)
		// A scheduler comparing Unix seconds runs the task at floor(due).
		runAt := time.Unix(due.Unix(), 0)
		if off := runAt.Sub(now.Add(2 * time.Second)); off < -500*time.Millisecond || off > 500*time.Millisecond {
			t.Errorf("now +%dms: runs %s off the intended time", frac, off)
		}
	}
}

func TestNamesAndIDs(t *testing.T) {
	for _, task := range AllTasks {
		if QueueFor(task) == "" {
			t.Errorf("%s has no queue", task)
		}
	}
	if QueueFor("nope") != "" {
		t.Error("unknown task got a queue")
	}
	if id := StageTaskID(3, 2, project.StageRender, 0); id != "p3-r2-render" {
		t.Errorf("StageTaskID = %s", id)
	}
	if id := StageTaskID(3, 2, project.StageRender, 1); id != "p3-r2-render-rs1" {
		t.Errorf("resumed StageTaskID = %s", id)
	}
	at := time.Date(2026, 11, 26, 17, 59, 0, 0, time.UTC)
	if SyncQuotasID(at) != SyncQuotasID(at.Add(59*time.Second)) || SyncQuotasID(at) == SyncQuotasID(at.Add(time.Minute)) {
		t.Error("SyncQuotasID must change exactly at the hour")
	}
	if DefaultTimeLimits.For(RenderVideo) != 30*time.Minute || (TimeLimits{Render: time.Minute}).For(RenderVideo) != time.Minute {
		t.Error("time limits")
	}
}
