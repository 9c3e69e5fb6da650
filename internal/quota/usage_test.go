package quota

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/errcode"
)

func TestServiceNames(t *testing.T) {
	cases := []struct {
		service        string
		provider, unit string
		ok             bool
	}{
		{"elevenlabs_characters", "elevenlabs", "characters", true},
		{"openai_tokens", "openai", "tokens", true},
		{"google_requests", "google", "requests", true},
		{"pexels_downloads", "pexels", "downloads", true},
		{"did_requests", "did", "requests", true},
		{"stability_tokens", "", "", false}, // not counted for Stability
		{"youtube", "", "", false},
		{"youtube_insert", "", "", false},
		{"did", "", "", false}, // the credits snapshot
		{"openai_", "", "", false},
	}
	for _, tc := range cases {
		p, u, ok := SplitService(tc.service)
		if p != tc.provider || u != tc.unit || ok != tc.ok {
			t.Errorf("SplitService(%q) = %q, %q, %v; want %q, %q, %v", tc.service, p, u, ok, tc.provider, tc.unit, tc.ok)
		}
	}
	for _, p := range CountedProviders() {
		for _, u := range Units(p) {
			if gp, gu, ok := SplitService(Service(p, u)); !ok || gp != p || gu != u {
				t.Errorf("Service(%q, %q) does not split back: %q %q %v", p, u, gp, gu, ok)
			}
		}
	}
	if Units("youtube") != nil {
		t.Error("youtube has no counted units of this kind")
	}
	if c := DailyLimitCode("elevenlabs"); c != "ELEVENLABS_DAILY_LIMIT_REACHED" {
		t.Errorf("code %q", c)
	}
}

func TestDailyLimitsReserveAndCheck(t *testing.T) {
	tr, clk := newTracker(t, Options{Limits: DailyLimits(map[string]int64{
		"elevenlabs_characters": 100,
		"openai_tokens":         1000,
		"stability_images":      0, // unlimited
	})})
	ctx := context.Background()
	if _, err := tr.Reserve(ctx, "elevenlabs_characters", 60); err != nil {
		t.Fatal(err)
	}
	_, err := tr.Reserve(ctx, "elevenlabs_characters", 41)
	ce, ok := errcode.As(err)
	if !ok || ce.Code != "ELEVENLABS_DAILY_LIMIT_REACHED" || !errors.Is(err, ErrExhausted) {
		t.Fatalf("over the limit: %v", err)
	}
	if ce.Details["service"] != "elevenlabs_characters" || ce.Details["used"] != int64(60) || ce.Details["limit"] != int64(100) ||
		ce.Details["reset_at"] != "2026-05-11T07:00:00Z" || ce.RetryAfter != 12*time.Hour {
		t.Fatalf("details %v retry after %v", ce.Details, ce.RetryAfter)
	}
	if _, err := tr.Reserve(ctx, "elevenlabs_characters", 40); err != nil {
		t.Fatalf("exactly up to the limit: %v", err)
	}

	// Tokens: refused only once the day's usage reached the limit.
	if err := tr.Check(ctx, "openai_tokens"); err != nil {
		t.Fatal(err)
	}
	tr.Record(ctx, "openai_tokens", 999)
	if err := tr.Check(ctx, "openai_tokens"); err != nil {
		t.Fatalf("999 of 1000: %v", err)
	}
	tr.Record(ctx, "openai_tokens", 500) // a call may go past it
	if err := tr.Check(ctx, "openai_tokens"); errcode.Code(err) != "OPENAI_DAILY_LIMIT_REACHED" {
		t.Fatalf("1499 of 1000: %v", err)
	}
	if err := tr.Check(ctx, "stability_images"); err != nil {
		t.Fatalf("unlimited: %v", err)
	}

	snap, err := tr.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	el := snap.Services["elevenlabs_characters"]
	if el.Used != 100 || el.Limit == nil || *el.Limit != 100 || *el.Remaining != 0 || el.Unit != "characters" {
		t.Fatalf("elevenlabs_characters %+v", el)
	}
	ot := snap.Services["openai_tokens"]
	if ot.Used != 1499 || *ot.Remaining != 0 || ot.Unit != "tokens" {
		t.Fatalf("openai_tokens %+v", ot)
	}
	if _, listed := snap.Services["stability_images"]; listed {
		t.Fatal("an unlimited service not used today is listed")
	}
	tr.Record(ctx, "pexels_downloads", 2)
	snap, _ = tr.Snapshot(ctx)
	if px := snap.Services["pexels_downloads"]; px.Used != 2 || px.Limit != nil || px.Unit != "downloads" {
		t.Fatalf("pexels_downloads %+v", px)
	}

	// The next day starts from zero.
	clk.Set(la(t, "2026-05-11 00:00"))
	if _, err := tr.Reserve(ctx, "elevenlabs_characters", 100); err != nil {
		t.Fatalf("next day: %v", err)
	}
	if err := tr.Check(ctx, "openai_tokens"); err != nil {
		t.Fatalf("next day: %v", err)
	}
}
