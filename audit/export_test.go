package audit

import (
	"context"
	"time"
)

// NewRateLimitWithClock is NewRateLimit on a test's clock: now reads it, sleep advances it.
func NewRateLimitWithClock(perSecond float64, now func() time.Time, sleep func(context.Context, time.Duration) error) *RateLimit {
	r := NewRateLimit(perSecond)
	r.now, r.sleep = now, sleep
	return r
}
