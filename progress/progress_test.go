package progress

import (
	"context"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/redistest"
)

func recv(t *testing.T, s *Subscription) Message {
	t.Helper()
	select {
	case m, ok := <-s.C:
		if !ok {
			t.Fatal("subscription closed")
		}
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no message within 5s")
	}
	return Message{}
}

func TestPublishMonotonicFinalOnceAndLateSubscriber(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	ctx := context.Background()
	pub := NewPublisher(rdb)

	sub, err := Subscribe(ctx, rdb, 7)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()

	steps := []struct {
		p     int
		final bool
		want  bool
	}{
		{10, false, true},
		{40, false, true},
		{30, false, false}, // backwards: dropped
		{40, false, true},  // equal: allowed
		{100, false, true}, // non-final 100 becomes 99
		{100, true, true},
		{100, true, false}, // second final: dropped
		{50, false, false}, // after final: dropped
	}
	for i, st := range steps {
		ok, err := pub.Publish(ctx, Message{ProjectID: 7, Run: 1, Stage: StageRender, Progress: st.p, Final: st.final})
		if err != nil {
			t.Fatal(err)
		}
		if ok != st.want {
			t.Fatalf("step %d: published=%v want %v", i, ok, st.want)
		}
	}
	var got []int
	for i := 0; i < 5; i++ {
		m := recv(t, sub)
		got = append(got, m.Progress)
		if m.Timestamp == "" || m.ProjectID != 7 || m.Seq == 0 {
			t.Fatalf("bad message %+v", m)
		}
	}
	want := []int{10, 40, 40, 99, 100}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("progress sequence %v, want %v", got, want)
		}
	}
	// A late subscriber first gets the final snapshot.
	late, err := Subscribe(ctx, rdb, 7)
	if err != nil {
		t.Fatal(err)
	}
	defer late.Close()
	if m := recv(t, late); m.Progress != 100 || !m.Final {
		t.Fatalf("late snapshot = %+v", m)
	}
	// A new run starts from zero again.
	if ok, _ := pub.Publish(ctx, Message{ProjectID: 7, Run: 2, Stage: StageScript, Progress: 0}); !ok {
		t.Fatal("new run's first message dropped")
	}
	if m := recv(t, late); m.Run != 2 || m.Progress != 0 {
		t.Fatalf("new run message = %+v", m)
	}
}

func TestThrottleCoalesces(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	ctx := context.Background()
	pub := NewPublisher(rdb)
	sub, err := Subscribe(ctx, rdb, 9)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	th := pub.Throttle(200*time.Millisecond, nil)
	defer th.Close()
	th.Send(ctx, Message{ProjectID: 9, Run: 1, Progress: 1}, true)
	for p := 2; p <= 50; p++ {
		th.Send(ctx, Message{ProjectID: 9, Run: 1, Progress: p}, false)
	}
	if m := recv(t, sub); m.Progress != 1 {
		t.Fatalf("first = %d", m.Progress)
	}
	// The 49 quick updates collapse into the latest one.
	if m := recv(t, sub); m.Progress != 50 {
		t.Fatalf("coalesced = %d, want 50", m.Progress)
	}
	select {
	case m := <-sub.C:
		t.Fatalf("unexpected extra message %+v", m)
	case <-time.After(400 * time.Millisecond):
	}
}
