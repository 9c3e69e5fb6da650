package pipeline_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ytmaker/ytmaker/internal/fakes/fakestability"
	"github.com/ytmaker/ytmaker/internal/limits"
	"github.com/ytmaker/ytmaker/internal/pipeline"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/redistest"
)

// peakCounter counts the requests to one host under way at once.
type peakCounter struct {
	next      http.RoundTripper
	host      string
	now, peak atomic.Int32
	total     atomic.Int32
}

func (c *peakCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host != c.host {
		return c.next.RoundTrip(r)
	}
	c.total.Add(1)
	n := c.now.Add(1)
	defer c.now.Add(-1)
	for {
		p := c.peak.Load()
		if n <= p || c.peak.CompareAndSwap(p, n) {
			break
		}
	}
	return c.next.RoundTrip(r)
}

// The assets stage finds Stability at its in-flight limit (another worker
// holds the only slot): it waits without using an attempt and without
// drawing slides in place of the images, then makes every image, one
// request at a time, once the slot is free.
func TestAssetsWaitForAServiceAtItsLimit(t *testing.T) {
	img := fakestability.New(fakestability.Options{APIKey: "sk-test", MaxSide: 320})
	t.Cleanup(img.Close)
	u, _ := url.Parse(img.URL())
	counter := &peakCounter{host: u.Host}
	limitsRedis := redistest.Start(t)
	lims := map[string]limits.Limit{limits.Stability: {InFlight: 1}}
	other := limits.New(limits.Config{Redis: limitsRedis.Client(), Limits: lims})
	held, err := other.Acquire(context.Background(), limits.Stability)
	if err != nil {
		t.Fatal(err)
	}
	s := start(t, options{configure: func(c *pipeline.Config) {
		c.StabilityAPIKey, c.StabilityBaseURL = "sk-test", img.URL()
		counter.next = c.HTTPClient.Transport
		c.HTTPClient = &http.Client{Transport: counter}
		c.Limiter = limits.New(limits.Config{Redis: limitsRedis.Client(), Limits: lims, MaxWait: time.Second})
	}})
	ctx := context.Background()
	id := s.project("Rivers", english, nil)
	h, err := s.client.Chain(ctx, id, "script", "assets")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := s.state(id).Stages.Assets
		if st.Status == project.StageWaiting {
			if st.Error == nil || st.Error.Code != limits.ProviderBusy || st.Attempts != 1 {
				t.Fatalf("waiting assets %+v (error %+v)", st, st.Error)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("assets never waited: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := counter.total.Load(); n != 0 {
		t.Fatalf("%d image requests went out over the limit", n)
	}
	held.Release()
	if _, err := h.Get(ctx, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	st := s.state(id).Stages.Assets
	var res pipeline.AssetsResult
	json.Unmarshal(st.Result, &res)
	if res.ImagesAI != res.Segments || res.ImagesFallback != 0 || st.Attempts != 1 {
		t.Fatalf("assets %+v after %d attempts", res, st.Attempts)
	}
	if p := counter.peak.Load(); p != 1 {
		t.Fatalf("peak image requests at once %d, limit 1", p)
	}
}
