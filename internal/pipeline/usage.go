package pipeline

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/limits"
	"github.com/ytmaker/ytmaker/internal/media/tts"
	"github.com/ytmaker/ytmaker/internal/providers/elevenlabs"
	"github.com/ytmaker/ytmaker/internal/providers/gemini"
	"github.com/ytmaker/ytmaker/internal/providers/googletts"
	"github.com/ytmaker/ytmaker/internal/providers/openaicompat"
	"github.com/ytmaker/ytmaker/internal/quota"
	"github.com/ytmaker/ytmaker/internal/stage"
)

// Usage accounting. Every call to a provider goes through metered, which
// counts it in the day's usage (quota.Service: "elevenlabs_characters",
// "stability_images", ...) shared by all workers:
//
//   - what the call costs is reserved before it is made (a request, the
//     characters read aloud, an image, a download), so a call that would
//     pass a daily budget is never made; a budget counted only after the
//     call (LLM tokens) is checked to be not yet reached;
//   - a call that never reached the provider (refused by the call limits
//     of internal/limits, cancelled, or refused by the client before
//     sending) gives its reservation back, so only calls the provider saw
//     are counted, each once however many HTTP requests it took; what a
//     call produces (characters read aloud, an image, a download) is kept
//     unless the provider answered with a failure, the request whenever
//     it was sent;
//   - a refused budget makes the stage wait for the reset (quotaWaiting)
//     without using an attempt, as the YouTube quota does.

// sentKey carries a call's *sentCount in its context.
type sentKey struct{}

// sentCount counts the HTTP requests of one call that were written out
// to the provider (or answered).
type sentCount struct{ n atomic.Int64 }

// withSentCount returns ctx carrying a new count of the requests sent.
func withSentCount(ctx context.Context) (context.Context, *sentCount) {
	c := &sentCount{}
	return context.WithValue(ctx, sentKey{}, c), c
}

// sentTransport counts, in the sentCount of a request's context, each
// request written out in full or answered. It sits below the call limits,
// so a request they refused never reaches it.
type sentTransport struct{ base http.RoundTripper }

func (t sentTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c, _ := r.Context().Value(sentKey{}).(*sentCount)
	if c == nil {
		return t.base.RoundTrip(r)
	}
	var once sync.Once
	mark := func() { once.Do(func() { c.n.Add(1) }) }
	trace := &httptrace.ClientTrace{WroteRequest: func(i httptrace.WroteRequestInfo) {
		if i.Err == nil {
			mark()
		}
	}}
	resp, err := t.base.RoundTrip(r.WithContext(httptrace.WithClientTrace(r.Context(), trace)))
	if resp != nil {
		mark()
	}
	return resp, err
}

// countingClient returns a copy of base whose requests are counted by
// sentTransport.
func countingClient(base *http.Client) *http.Client {
	c := *base
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	c.Transport = sentTransport{base: rt}
	return &c
}

// cost is what one call spends of a unit, known before it is made.
// A product is spent only by a call that succeeded (an image made, a
// narration read); other costs by every call that reached the provider.
type cost struct {
	unit    string
	n       int64
	product bool
}

// request is the cost of one request; produced is the cost of n units
// of a call's product.
func request() cost                      { return cost{unit: quota.UnitRequests, n: 1} }
func produced(unit string, n int64) cost { return cost{unit: unit, n: n, product: true} }

// metered makes one call to provider with costs reserved from the day's
// budgets and the units in after (known only after the call, such as
// tokens) checked not to have reached theirs. It returns how many HTTP
// requests of the call were sent. A reservation refused is the coded
// error of quota.Reserve (errors.Is quota.ErrExhausted); what was
// reserved for a call that was not made, or never reached the provider,
// is given back.
func (p *Pipeline) metered(ctx context.Context, provider string, costs []cost, after []string, call func(ctx context.Context) error) (int64, error) {
	q := p.cfg.Quota
	if q == nil {
		ctx, sent := withSentCount(ctx)
		err := call(ctx)
		return sent.n.Load(), err
	}
	var held []quota.Reservation
	var products []bool
	release := func(onlyProducts bool) {
		for i, r := range held {
			if onlyProducts && !products[i] {
				continue
			}
			if err := q.Release(context.WithoutCancel(ctx), r); err != nil {
				p.log.Warn("usage: give back a reservation", "service", r.Service, "units", r.Units, "err", err)
			}
		}
	}
	for _, unit := range after {
		if err := q.Check(ctx, quota.Service(provider, unit)); err != nil {
			return 0, err
		}
	}
	for _, c := range costs {
		if c.n <= 0 {
			continue
		}
		r, err := q.Reserve(ctx, quota.Service(provider, c.unit), c.n)
		if err != nil {
			release(false)
			return 0, err
		}
		held, products = append(held, r), append(products, c.product)
	}
	cctx, sent := withSentCount(ctx)
	err := call(cctx)
	n := sent.n.Load()
	switch {
	case n == 0:
		release(false)
	case err != nil && ctx.Err() == nil:
		// The provider answered with a failure: nothing was made. A
		// call cut short here (another call of the stage failed, the
		// stage was stopped) keeps its product: the provider had the
		// request and may have done the work.
		release(true)
	}
	return n, err
}

// record adds units of provider spent by a call that was made (tokens
// reported in its answer, the extra requests of a call that took
// several). It never refuses.
func (p *Pipeline) record(ctx context.Context, provider, unit string, n int64) {
	if p.cfg.Quota == nil || n <= 0 {
		return
	}
	if err := p.cfg.Quota.Record(context.WithoutCancel(ctx), quota.Service(provider, unit), n); err != nil {
		p.log.Warn("usage: record", "service", quota.Service(provider, unit), "units", n, "err", err)
	}
}

// waits reports whether err asks the stage to wait rather than fail: a
// call over its limits (internal/limits) or over a daily budget.
func waits(err error) bool {
	return errors.Is(err, quota.ErrExhausted) || limits.Busy(err) != nil
}

// quotaWaiting turns a daily budget refusal into a wait for the budget's
// reset, without using an attempt; other errors are returned as they are.
// The wait's reason keeps the budget's code (ELEVENLABS_DAILY_LIMIT_REACHED,
// ...) with the service, usage, limit and reset time.
func (p *Pipeline) quotaWaiting(err error) error {
	var ex *quota.ExhaustedError
	if err == nil || !errors.As(err, &ex) {
		return err
	}
	var sn *stage.SnoozeError
	if errors.As(err, &sn) {
		return err
	}
	code := quota.Exhausted
	if prov, _, ok := quota.SplitService(ex.Service); ok {
		code = quota.DailyLimitCode(prov)
	}
	left := time.Until(ex.ResetAt)
	if p.cfg.Quota != nil {
		left = ex.ResetAt.Sub(p.cfg.Quota.Now()) // the tracker's clock decides the day
	}
	unit := ""
	if _, u, ok := quota.SplitService(ex.Service); ok {
		unit = " " + u
	}
	why := errcode.New(code, fmt.Sprintf("the daily limit of %s is reached (%d of %d%s used today); waiting for the reset at midnight Pacific time",
		ex.Service, ex.Used, ex.Limit, unit), true).
		WithDetail("service", ex.Service).
		WithDetail("used", ex.Used).
		WithDetail("limit", ex.Limit).
		WithDetail("reset_at", ex.ResetAt.UTC().Format(time.RFC3339))
	return stage.Snooze(time.Now().Add(left), why)
}

// voiceProviders maps the online voices' engine names to the providers
// their use is counted for.
var voiceProviders = map[string]string{
	googletts.Engine:          quota.ProviderGoogle,
	gemini.SpeechEngine:       quota.ProviderGemini,
	elevenlabs.Engine:         quota.ProviderElevenLabs,
	openaicompat.SpeechEngine: quota.ProviderOpenAI,
}

// meteredEngine counts an online voice's calls: a request and the
// characters read aloud for each piece of narration.
type meteredEngine struct {
	tts.Engine
	p        *Pipeline
	provider string
}

// meterVoice returns eng counted by its provider, or eng itself for the
// offline voices.
func (p *Pipeline) meterVoice(eng tts.Engine) tts.Engine {
	prov, ok := voiceProviders[eng.Name()]
	if !ok {
		return eng
	}
	return meteredEngine{Engine: eng, p: p, provider: prov}
}

func (m meteredEngine) Synthesize(ctx context.Context, req tts.Request) (tts.Result, error) {
	var res tts.Result
	_, err := m.p.metered(ctx, m.provider, []cost{request(), produced(quota.UnitCharacters, int64(utf8.RuneCountInString(req.Text)))}, nil,
		func(ctx context.Context) error {
			var err error
			res, err = m.Engine.Synthesize(ctx, req)
			return err
		})
	return res, err
}

// meteredPainter counts a picture generator's calls: a request and an
// image each. Its Name is its provider's.
type meteredPainter struct {
	painter
	p *Pipeline
}

// meterPictures returns pt counted by its provider (nil stays nil).
func (p *Pipeline) meterPictures(pt painter) painter {
	if pt == nil {
		return nil
	}
	return meteredPainter{painter: pt, p: p}
}

func (m meteredPainter) Paint(ctx context.Context, prompt, aspect, out string) error {
	_, err := m.p.metered(ctx, m.Name(), []cost{request(), produced(quota.UnitImages, 1)}, nil,
		func(ctx context.Context) error { return m.painter.Paint(ctx, prompt, aspect, out) })
	return err
}
