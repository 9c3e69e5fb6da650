package main

import (
	"context"
	"testing"

	"github.com/ytmaker/ytmaker/internal/quota"
	"github.com/ytmaker/ytmaker/internal/redistest"
)

func TestCLIQuotas(t *testing.T) {
	rs := redistest.Start(t)
	tr := quota.New(rs.Client(), quota.Options{Limits: quota.DailyLimits(map[string]int64{"elevenlabs_characters": 10000})})
	ctx := context.Background()
	if _, err := tr.Reserve(ctx, "elevenlabs_characters", 8412); err != nil {
		t.Fatal(err)
	}
	if err := tr.Record(ctx, "pexels_downloads", 3); err != nil {
		t.Fatal(err)
	}
	addr := cliServerFull(t, "", nil, tr)
	code, out, errOut := runCLI(t, quotasShow, "--addr", addr)
	wantOutput(t, "quotas", code, 0, out+errOut, "America/Los_Angeles", "elevenlabs_characters", "8412", "10000", "1588", "characters",
		"pexels_downloads", "downloads", "youtube", "uploads and", "<PROVIDER>_DAILY_<UNIT>")
	code, out, _ = runCLI(t, quotasShow, "--addr", addr, "--json")
	wantOutput(t, "quotas --json", code, 0, out, `"elevenlabs_characters"`, `"remaining": 1588`)
}
