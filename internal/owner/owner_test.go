package owner

import (
	"os"
	"os/exec"
	"testing"
)

func TestParseStat(t *testing.T) {
	line := "4242 (my (odd) prog) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 18446744073709551615"
	st, err := parseStat(line)
	if err != nil {
		t.Fatal(err)
	}
	if st.state != "S" || st.ppid != 1 || st.pgid != 4242 || st.start != 987654 {
		t.Fatalf("%+v", st)
	}
	for _, bad := range []string{"", "1 (x) S 1", "1 x S"} {
		if _, err := parseStat(bad); err == nil {
			t.Errorf("parseStat(%q) succeeded", bad)
		}
	}
}

func TestIDRoundTripAndAlive(t *testing.T) {
	self := Self()
	if self.PID != os.Getpid() || self.Start == 0 {
		t.Fatalf("Self() = %+v", self)
	}
	got, err := Parse(self.String())
	if err != nil || got != self {
		t.Fatalf("Parse(%q) = %+v, %v", self.String(), got, err)
	}
	for _, bad := range []string{"", "12", "x5", "-1x5", "12xz"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
	if !self.Alive() {
		t.Fatal("this process is not alive")
	}
	if (ID{PID: self.PID, Start: self.Start + 1}).Alive() {
		t.Fatal("a recycled pid passes for its old owner")
	}
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	start, err := StartTime(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	child := ID{PID: cmd.Process.Pid, Start: start}
	if !child.Alive() {
		t.Fatal("a running child is not alive")
	}
	cmd.Process.Kill()
	cmd.Wait()
	if child.Alive() {
		t.Fatal("a process that exited is alive")
	}
	if len(Host()) != 8 || Host() != Host() {
		t.Fatalf("Host() = %q", Host())
	}
}
