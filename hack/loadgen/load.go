package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
)

// client is a keep-alive HTTPS client for the webhook server, with one idle connection kept
// per worker, as the API server keeps connections to a webhook open.
func client(caPEM []byte, concurrency int) (*http.Client, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("no CA certificate in PEM data")
	}
	return &http.Client{
		Timeout: 10 * time.Second, // the webhook configurations allow 5s; a slower answer is an error either way
		Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
			MaxIdleConns:        concurrency,
			MaxIdleConnsPerHost: concurrency,
			MaxConnsPerHost:     concurrency,
			IdleConnTimeout:     time.Minute,
		},
	}, nil
}

// load is one level of load. Closed loop: a fixed number of workers, each sending its next
// review when the last is answered, which finds the throughput the server can sustain. Open
// loop: reviews sent at a fixed rate whatever the answers' pace, as the API server sends them,
// which shows the latency a given rate gets.
type load struct {
	// concurrency is the number of workers (closed loop) or the most reviews in flight (open loop).
	concurrency int
	// rate is reviews per second for an open loop; 0 for a closed loop.
	rate float64
}

func (l load) String() string {
	if l.rate > 0 {
		return fmt.Sprintf("%.0f/s open loop", l.rate)
	}
	return fmt.Sprintf("concurrency %d", l.concurrency)
}

// run sends requests reviews as the load says.
func (l load) run(ctx context.Context, c *http.Client, baseURL string, reviews []review, requests int) result {
	if l.rate > 0 {
		return runAtRate(ctx, c, baseURL, reviews, requests, l.rate, l.concurrency)
	}
	return run(ctx, c, baseURL, reviews, requests, l.concurrency)
}

// result is what one load level measured.
type result struct {
	requests   int
	errors     int
	firstError error
	// late counts open-loop reviews sent more than a millisecond after they were due.
	late      int
	elapsed   time.Duration
	latencies []time.Duration // sorted
}

func (r result) throughput() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// quantile returns the q-quantile of the sorted latencies (nearest rank).
func (r result) quantile(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(q*float64(len(r.latencies))+0.5) - 1
	return r.latencies[min(max(i, 0), len(r.latencies)-1)]
}

// run sends requests reviews, round-robin over reviews, from concurrency workers, each waiting
// for an answer before sending its next request. It stops early only when ctx ends.
func run(ctx context.Context, c *http.Client, baseURL string, reviews []review, requests, concurrency int) result {
	res := result{requests: requests, latencies: make([]time.Duration, requests)}
	var next atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for range concurrency {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= requests {
					return
				}
				sendOne(ctx, c, baseURL, reviews[i%len(reviews)], i, &res, &mu)
			}
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	if ctx.Err() != nil {
		res.errors += requests - int(min(next.Load(), int64(requests)))
	}
	slices.Sort(res.latencies)
	return res
}

// runAtRate sends requests reviews, round-robin, one every 1/rate seconds, with at most
// maxInFlight unanswered. A review's latency counts from when it was sent; reviews sent more
// than a millisecond after they were due (the sender's timer woke late, or maxInFlight were
// unanswered) are counted as late, so that a run where the sender could not keep the rate is
// visible.
func runAtRate(ctx context.Context, c *http.Client, baseURL string, reviews []review, requests int, rate float64, maxInFlight int) result {
	res := result{requests: requests, latencies: make([]time.Duration, requests)}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var late atomic.Int64
	inFlight := make(chan struct{}, maxInFlight)
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	sent := 0
	for ; sent < requests && ctx.Err() == nil; sent++ {
		due := start.Add(time.Duration(sent) * interval)
		time.Sleep(time.Until(due))
		inFlight <- struct{}{}
		r, i := reviews[sent%len(reviews)], sent
		wg.Go(func() {
			defer func() { <-inFlight }()
			if time.Since(due) > time.Millisecond {
				late.Add(1)
			}
			sendOne(ctx, c, baseURL, r, i, &res, &mu)
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.errors += requests - sent
	res.late = int(late.Load())
	slices.Sort(res.latencies)
	return res
}

// send posts one review and checks the answer: HTTP 200, the request's UID, allowed, and a
// patch exactly when the review expects one. Anything else counts as an error.
func send(ctx context.Context, c *http.Client, baseURL string, r review) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+r.path, bytes.NewReader(r.body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, body)
	}
	var answer admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &answer); err != nil || answer.Response == nil {
		return fmt.Errorf("not an AdmissionReview answer (%v): %s", err, body)
	}
	a := answer.Response
	switch {
	case a.UID != r.uid:
		return fmt.Errorf("answer for UID %q, sent %q", a.UID, r.uid)
	case !a.Allowed:
		return fmt.Errorf("denied: %s", body)
	case r.mutate && r.patched != (len(a.Patch) > 0):
		return fmt.Errorf("patched = %v, want %v: %s", len(a.Patch) > 0, r.patched, body)
	}
	return nil
}

// sendOne sends one review and records its latency at index i and, for the first failure of the
// run, its error. mu guards the error fields; each index is written by one goroutine only.
func sendOne(ctx context.Context, c *http.Client, baseURL string, r review, i int, res *result, mu *sync.Mutex) {
	t0 := time.Now()
	err := send(ctx, c, baseURL, r)
	res.latencies[i] = time.Since(t0)
	if err != nil {
		mu.Lock()
		if res.errors == 0 {
			res.firstError = fmt.Errorf("%s: %w", r.name, err)
		}
		res.errors++
		mu.Unlock()
	}
}
