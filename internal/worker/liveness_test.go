package worker

import (
	"errors"
	"os"
	"strconv"
	"testing"

	"github.com/ytmaker/ytmaker/internal/rdb"
)

func TestParseStatStart(t *testing.T) {
	for _, tc := range []struct {
		stat, want string
		bad        bool
	}{
		{stat: "1234 (serve) S 1 1234 1234 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 8 0 987654 1000000 500", want: "987654"},
		{stat: "77 (a) b (c) R 1 77 77 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 42 0 0", want: "42"},
		{stat: "77 no parenthesis", bad: true},
		{stat: "77 (short) R 1 2 3", bad: true},
	} {
		got, err := parseStatStart(tc.stat)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("parseStatStart(%q) = %q, %v", tc.stat, got, err)
		}
	}
	if _, err := os.Stat("/proc/self/stat"); err == nil {
		if s, err := procStart(os.Getpid()); err != nil || s == "" {
			t.Errorf("procStart(self) = %q, %v", s, err)
		}
	}
}

func TestHolderDead(t *testing.T) {
	self := rdb.Liveness{Instance: "me", Host: "h1", Machine: "boot/pidns", PID: 10, Start: "100"}
	procs := map[int]string{10: "100", 20: "200", 30: "999"}
	start := func(pid int) (string, error) {
		if s, ok := procs[pid]; ok {
			return s, nil
		}
		return "", errors.New("no such process")
	}
	same := func(pid int, st string) rdb.Liveness {
		return rdb.Liveness{Instance: "w" + strconv.Itoa(pid), Host: "h1", Machine: "boot/pidns", PID: pid, Start: st}
	}
	for _, tc := range []struct {
		name string
		rec  rdb.Liveness
		ok   bool
		dead bool
	}{
		{"record expired", rdb.Liveness{}, false, true},
		{"same host, process alive", same(20, "200"), true, false},
		{"same host, process gone", same(40, "400"), true, true},
		{"same host, pid reused", same(30, "300"), true, true},
		{"same host, start unknown", same(40, ""), true, false},
		{"other host, record fresh", rdb.Liveness{Instance: "w", Host: "h2", Machine: "x/y", PID: 40, Start: "1"}, true, false},
		{"same name, other boot or namespace", rdb.Liveness{Instance: "w", Host: "h1", Machine: "other/pidns", PID: 40, Start: "1"}, true, false},
		{"itself", self, true, false},
	} {
		if got := holderDead(self, tc.rec, tc.ok, start); got != tc.dead {
			t.Errorf("%s: holderDead = %v, want %v", tc.name, got, tc.dead)
		}
	}
}
