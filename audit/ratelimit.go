package audit

import (
	"context"
	"time"

	"golang.org/x/time/rate"
)

// Pacer is waited on before each object is judged (Auditor.Pacer). The background audit of
// `wsguard serve` shares its process, its CPU and the API server with admission: paced, it
// takes longer but never crowds out the webhook's requests. `wsguard check --cluster` is not
// paced: someone is waiting for it.
type Pacer interface {
	// Wait returns when the next object may be judged, or with ctx's error when ctx ends first.
	Wait(ctx context.Context) error
}

// RateLimit is a Pacer that lets at most a fixed number of objects be judged per second, evenly
// spaced (a token bucket of one token, golang.org/x/time/rate): the audit never judges a burst.
type RateLimit struct {
	limiter *rate.Limiter
	// now and sleep are the clock; a test gives fake ones to count and sum the waits without
	// waiting.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// NewRateLimit paces to perSecond objects a second; nil (no pacing) when perSecond is 0 or less.
func NewRateLimit(perSecond float64) *RateLimit {
	if perSecond <= 0 {
		return nil
	}
	return &RateLimit{limiter: rate.NewLimiter(rate.Limit(perSecond), 1), now: time.Now, sleep: sleepCtx}
}

// PerSecond is the rate; 0 for a nil RateLimit.
func (r *RateLimit) PerSecond() float64 {
	if r == nil {
		return 0
	}
	return float64(r.limiter.Limit())
}

// Wait takes the next slot and sleeps until it comes. A nil RateLimit does not wait.
func (r *RateLimit) Wait(ctx context.Context) error {
	if r == nil {
		return ctx.Err()
	}
	now := r.now()
	res := r.limiter.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		if err := r.sleep(ctx, d); err != nil {
			res.CancelAt(r.now())
			return err
		}
	}
	return ctx.Err()
}

// sleepCtx sleeps for d or until ctx ends, whichever comes first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// pagedFor bounds a list page to what a pacer judges in about a minute. A page's continue token
// expires once etcd compacts past the list's revision (kube-apiserver's
// --etcd-compaction-interval, 5 minutes by default): a slow audit that held one page of 500
// objects for longer would fail on its next page with 410 Gone.
func pagedFor(p Pacer, pageSize int64) int64 {
	r, ok := p.(*RateLimit)
	if !ok || r == nil {
		return pageSize
	}
	perMinute := int64(r.PerSecond() * 60)
	return max(1, min(pageSize, perMinute))
}
