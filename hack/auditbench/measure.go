package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wsguard/wsguard/hack/loadgen/proc"
)

// audit is one background audit, as its "audit finished" log line reports it.
type audit struct {
	start, end time.Time
	objects    int
}

func (a audit) duration() time.Duration { return a.end.Sub(a.start) }

// audits reads the audits wsguard has finished so far from its JSON log: the line's time is the
// end, its duration field says when it started.
func audits(logPath string) ([]audit, error) {
	f, err := os.Open(logPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var found []audit
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		var line struct {
			Msg      string  `json:"msg"`
			TS       float64 `json:"ts"`
			Duration string  `json:"duration"`
			Objects  int     `json:"objects"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil || line.Msg != "audit finished" {
			continue
		}
		d, err := time.ParseDuration(line.Duration)
		if err != nil {
			return nil, fmt.Errorf("audit log line: duration %q: %w", line.Duration, err)
		}
		end := time.Unix(0, int64(line.TS*float64(time.Second)))
		found = append(found, audit{start: end.Add(-d), end: end, objects: line.Objects})
	}
	return found, sc.Err()
}

// waitAudit waits until wsguard has logged n finished audits and returns the n-th.
func waitAudit(ctx context.Context, logPath string, n int, exited <-chan struct{}) (audit, error) {
	for {
		found, err := audits(logPath)
		if err != nil {
			return audit{}, err
		}
		if len(found) >= n {
			return found[n-1], nil
		}
		select {
		case <-ctx.Done():
			return audit{}, ctx.Err()
		case <-exited:
			return audit{}, fmt.Errorf("wsguard exited; see %s", logPath)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// sample is wsguard's CPU time so far and resident memory at one moment.
type sample struct {
	at  time.Time
	cpu time.Duration
	rss int64
}

// sampler reads wsguard's /proc every 50ms until stopped, so that the CPU time at an audit's
// start, known only once its log line is written, can be looked up afterwards.
type sampler struct {
	mu      sync.Mutex
	samples []sample
	stop    chan struct{}
	done    chan struct{}
}

func startSampler(pid int) *sampler {
	s := &sampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			cpu, err1 := proc.CPUTime(pid)
			m, err2 := proc.ReadMemory(pid)
			if err1 == nil && err2 == nil {
				s.mu.Lock()
				s.samples = append(s.samples, sample{at: time.Now(), cpu: cpu, rss: m.RSS})
				s.mu.Unlock()
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *sampler) Stop() { close(s.stop); <-s.done }

// window returns the CPU time used between the last sample at or before from and the first at
// or after to, the RSS at from, and the highest RSS sampled in between.
func (s *sampler) window(from, to time.Time) (cpu time.Duration, before, peak int64, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var first, last *sample
	for i := range s.samples {
		x := &s.samples[i]
		if !x.at.After(from) {
			first = x
		}
		if last == nil && !x.at.Before(to) {
			last = x
		}
		if x.at.After(from) && x.at.Before(to) {
			peak = max(peak, x.rss)
		}
	}
	if first == nil || last == nil {
		return 0, 0, 0, false
	}
	return last.cpu - first.cpu, first.rss, max(peak, first.rss, last.rss), true
}

// request is one admission request the load made: when it was sent and how long it took.
type request struct {
	sent time.Time
	took time.Duration
	err  error
}

// load sends a dry-run create of a WebSocket Deployment through the API server (so through
// wsguard's webhooks) perSecond times a second, open loop, until stop is closed.
func load(ctx context.Context, c client.Client, d *appsv1.Deployment, perSecond float64, stop <-chan struct{}) []request {
	var mu sync.Mutex
	var out []request
	var wg sync.WaitGroup
	t := time.NewTicker(time.Duration(float64(time.Second) / perSecond))
	defer t.Stop()
	for n := 0; ; n++ {
		select {
		case <-stop:
			wg.Wait()
			return out
		case <-t.C:
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			obj := d.DeepCopy()
			obj.Name = fmt.Sprintf("load-%d", n)
			sent := time.Now()
			err := c.Create(ctx, obj, client.DryRunAll)
			if err == nil && !defaulted(obj) {
				err = fmt.Errorf("Deployment %s was not defaulted: is the webhook configuration in place?", obj.Name)
			}
			mu.Lock()
			out = append(out, request{sent: sent, took: time.Since(sent), err: err})
			mu.Unlock()
		}()
	}
}

// defaulted reports whether wsguard's mutating webhook patched a WebSocket Deployment: the
// preStop hook is its surest sign.
func defaulted(d *appsv1.Deployment) bool {
	c := d.Spec.Template.Spec.Containers
	return len(c) > 0 && c[0].Lifecycle != nil && c[0].Lifecycle.PreStop != nil
}

// latencies are the quantiles of a set of requests.
type latencies struct {
	n, errors     int
	p50, p99, max time.Duration
}

func summarize(reqs []request) latencies {
	var l latencies
	var took []time.Duration
	for _, r := range reqs {
		if r.err != nil {
			l.errors++
			continue
		}
		took = append(took, r.took)
	}
	l.n = len(took)
	if l.n == 0 {
		return l
	}
	slices.Sort(took)
	q := func(q float64) time.Duration { return took[min(max(int(q*float64(l.n)+0.5)-1, 0), l.n-1)] }
	l.p50, l.p99, l.max = q(0.5), q(0.99), took[l.n-1]
	return l
}

// split sorts requests into those that ran wholly during a and those that ran wholly outside
// every audit of all; those that straddle an audit's start or end are left out.
func split(reqs []request, a audit, all []audit) (during, idle []request) {
	for _, r := range reqs {
		end := r.sent.Add(r.took)
		if !r.sent.Before(a.start) && !end.After(a.end) {
			during = append(during, r)
			continue
		}
		overlaps := false
		for _, b := range all {
			if r.sent.Before(b.end) && end.After(b.start) {
				overlaps = true
				break
			}
		}
		if !overlaps {
			idle = append(idle, r)
		}
	}
	return during, idle
}

func (l latencies) String() string {
	if l.n == 0 {
		return "no requests"
	}
	return fmt.Sprintf("%s / %s (max %s; %d requests)", ms(l.p50), ms(l.p99), ms(l.max), l.n)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }
