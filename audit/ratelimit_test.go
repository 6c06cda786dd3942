package audit_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wsguard/wsguard/audit"
	"github.com/wsguard/wsguard/defaults"
	"github.com/wsguard/wsguard/webhooks"
)

// fakeClock is a clock that only moves when the rate limit sleeps: the tests count and sum the
// waits instead of waiting.
type fakeClock struct {
	t      time.Time
	sleeps []time.Duration
	cancel func() // when set, called by the sleep instead of advancing the clock
}

func (c *fakeClock) now() time.Time { return c.t }

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	if c.cancel != nil {
		c.cancel()
		return ctx.Err()
	}
	c.sleeps = append(c.sleeps, d)
	c.t = c.t.Add(d)
	return nil
}

// pagedReader records the page size of each list.
type pagedReader struct {
	client.Reader
	limits []int64
}

func (p *pagedReader) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	p.limits = append(p.limits, (&client.ListOptions{}).ApplyOptions(opts).Limit)
	return p.Reader.List(ctx, list, opts...)
}

func pacedCluster(t *testing.T, services int) (*audit.Auditor, *pagedReader) {
	t.Helper()
	objs := []client.Object{namespace("on", true, nil)}
	for i := range services {
		s := service(t, "on")
		s.Name = fmt.Sprintf("chat-%02d", i)
		objs = append(objs, s)
	}
	c, mapper := fakeCluster(t, objs...)
	r := &pagedReader{Reader: c}
	return &audit.Auditor{Objects: r, Facts: webhooks.FactsReader{Cache: c, Live: c}, Mapper: mapper, Policy: defaults.DefaultPolicy()}, r
}

// TestRateLimitPacesTheAudit: at 10 objects a second, the first object is judged at once and
// each next one a tenth of a second after the one before, on the limiter's clock.
func TestRateLimitPacesTheAudit(t *testing.T) {
	const services = 25
	a, _ := pacedCluster(t, services)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: start}
	a.Pacer = audit.NewRateLimitWithClock(10, clock.now, clock.sleep)
	var judgedAt []time.Duration
	s, err := a.Run(context.Background(), func(audit.Finding) { judgedAt = append(judgedAt, clock.t.Sub(start)) })
	if err != nil {
		t.Fatal(err)
	}
	if s.Objects != services || len(judgedAt) != services {
		t.Fatalf("judged %d objects (%d findings), want %d", s.Objects, len(judgedAt), services)
	}
	if len(clock.sleeps) != services-1 {
		t.Errorf("%d waits, want %d (none before the first object): %v", len(clock.sleeps), services-1, clock.sleeps)
	}
	for i, at := range judgedAt {
		// The limiter computes in floating point: allow a microsecond.
		if want := time.Duration(i) * 100 * time.Millisecond; (at - want).Abs() > time.Microsecond {
			t.Errorf("object %d judged at %v, want %v", i, at, want)
		}
	}
}

// TestRateLimitOff: without a rate (check --cluster, or --audit-rate 0) nothing waits.
func TestRateLimitOff(t *testing.T) {
	if r := audit.NewRateLimit(0); r != nil {
		t.Fatalf("NewRateLimit(0) = %v, want nil", r)
	}
	a, _ := pacedCluster(t, 3)
	a.Pacer = audit.NewRateLimit(0) // a nil *RateLimit in the interface, as server/audit.go sets it
	s, err := a.Run(context.Background(), func(audit.Finding) {})
	if err != nil || s.Objects != 3 {
		t.Fatalf("judged %d objects, err %v", s.Objects, err)
	}
}

// TestRateLimitStopsWithContext: an audit stopped while it waits ends with ctx's error and
// judges nothing more.
func TestRateLimitStopsWithContext(t *testing.T) {
	a, _ := pacedCluster(t, 5)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := &fakeClock{t: time.Now(), cancel: cancel}
	a.Pacer = audit.NewRateLimitWithClock(10, clock.now, clock.sleep)
	judged := 0
	_, err := a.Run(ctx, func(audit.Finding) { judged++ })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
	if judged != 1 {
		t.Errorf("judged %d objects, want the first only", judged)
	}
}

// TestRateLimitBoundsPages: a slow audit lists pages of at most a minute's worth of objects, so
// that no continue token is held past etcd's compaction; a fast one keeps the page size.
func TestRateLimitBoundsPages(t *testing.T) {
	for _, c := range []struct {
		perSecond float64
		want      int64
	}{{0, 500}, {200, 500}, {2, 120}, {0.001, 1}} {
		a, r := pacedCluster(t, 1)
		clock := &fakeClock{t: time.Now()}
		if c.perSecond > 0 {
			a.Pacer = audit.NewRateLimitWithClock(c.perSecond, clock.now, clock.sleep)
		}
		if _, err := a.Run(context.Background(), func(audit.Finding) {}); err != nil {
			t.Fatal(err)
		}
		// The first list is of namespaces, unpaged.
		for _, got := range r.limits[1:] {
			if got != c.want {
				t.Errorf("at %v/s: page size %d, want %d", c.perSecond, got, c.want)
			}
		}
	}
}
