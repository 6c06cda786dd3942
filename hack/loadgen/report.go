package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wsguard/wsguard/hack/loadgen/proc"
	"github.com/wsguard/wsguard/internal/testenv"
)

// levelResult is one level of one round, with wsguard's peak memory during it and the CPU
// time wsguard and loadgen spent per review. CPU per review depends far less than latency and
// throughput on what else the machine runs, so it tells what the cores could carry.
type levelResult struct {
	result
	load                 load
	peak                 int64
	serverCPU, clientCPU time.Duration
}

func (r levelResult) String() string {
	line := fmt.Sprintf("%-18s %6d requests  %6.0f reviews/s  p50 %-9s p99 %-9s max %-9s  errors %d  peak RSS %s MiB  CPU/review wsguard %s loadgen %s",
		r.load, r.requests, r.throughput(), ms(r.quantile(0.50)), ms(r.quantile(0.99)), ms(r.latencies[len(r.latencies)-1]), r.errors, proc.MiB(r.peak),
		us(r.serverCPU), us(r.clientCPU))
	if r.load.rate > 0 {
		line += fmt.Sprintf("  late sends %d", r.late)
	}
	return line
}

// level warms up the connections, then measures one level. wsguard's peak memory is reset
// first, so that VmHWM afterwards is the peak of this level.
func level(ctx context.Context, w *testenv.Wsguard, reviews []review, o options, l load) (levelResult, error) {
	c, err := client(w.CA, l.concurrency)
	if err != nil {
		return levelResult{}, err
	}
	defer c.CloseIdleConnections()
	if err := proc.ResetPeak(w.PID()); err != nil {
		return levelResult{}, fmt.Errorf("resetting wsguard's peak memory: %w", err)
	}
	requests := o.requests
	if l.rate > 0 {
		requests = max(int(l.rate*o.rateSeconds), 1)
	}
	if o.warmup > 0 {
		// Closed loop at the level's concurrency: it opens the connections the level uses.
		if warm := run(ctx, c, w.URL, reviews, max(o.warmup, l.concurrency), l.concurrency); warm.errors > 0 {
			return levelResult{}, fmt.Errorf("warm-up for %s: %d errors; first: %v", l, warm.errors, warm.firstError)
		}
	}
	serverBefore, err := proc.CPUTime(w.PID())
	if err != nil {
		return levelResult{}, err
	}
	selfBefore, err := proc.CPUTime(os.Getpid())
	if err != nil {
		return levelResult{}, err
	}
	r := l.run(ctx, c, w.URL, reviews, requests)
	serverAfter, err := proc.CPUTime(w.PID())
	if err != nil {
		return levelResult{}, err
	}
	selfAfter, err := proc.CPUTime(os.Getpid())
	if err != nil {
		return levelResult{}, err
	}
	m, err := proc.ReadMemory(w.PID())
	if err != nil {
		return levelResult{}, err
	}
	return levelResult{result: r, load: l, peak: m.Peak,
		serverCPU: (serverAfter - serverBefore) / time.Duration(requests),
		clientCPU: (selfAfter - selfBefore) / time.Duration(requests)}, ctx.Err()
}

func printSetup(o options, reviews []review, idle int64) {
	fmt.Printf("\nmachine: %d cores (GOMAXPROCS %d), %s; loadgen and wsguard share them\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), cpuModel())
	fmt.Printf("reviews, round-robin:")
	for _, r := range reviews {
		fmt.Printf(" %s (%d B)", r.name, len(r.body))
	}
	fmt.Printf("\n%d requests per closed-loop level, %gs per rate, each after %d warm-up requests; %d rounds\n", o.requests, o.rateSeconds, o.warmup, o.rounds)
	fmt.Printf("wsguard idle RSS before any load: %s MiB\n\n", proc.MiB(idle))
}

// printSummary prints the median of the rounds for each level as a Markdown table.
func printSummary(o options, results map[load][]levelResult, idle int64, after proc.Memory) {
	fmt.Printf("\nmedian of %d rounds:\n\n", o.rounds)
	fmt.Println("| load | reviews/s | p50 | p99 | max | errors | peak RSS (MiB) | wsguard CPU/review | loadgen CPU/review |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	var peak int64
	for _, l := range o.levels {
		rs := results[l]
		errs := 0
		for _, r := range rs {
			errs += r.errors
			peak = max(peak, r.peak)
		}
		fmt.Printf("| %s | %.0f | %s | %s | %s | %d | %s | %s | %s |\n", l,
			median(rs, func(r levelResult) float64 { return r.throughput() }),
			ms(time.Duration(median(rs, func(r levelResult) float64 { return float64(r.quantile(0.50)) }))),
			ms(time.Duration(median(rs, func(r levelResult) float64 { return float64(r.quantile(0.99)) }))),
			ms(time.Duration(median(rs, func(r levelResult) float64 { return float64(r.latencies[len(r.latencies)-1]) }))),
			errs,
			proc.MiB(int64(median(rs, func(r levelResult) float64 { return float64(r.peak) }))),
			us(time.Duration(median(rs, func(r levelResult) float64 { return float64(r.serverCPU) }))),
			us(time.Duration(median(rs, func(r levelResult) float64 { return float64(r.clientCPU) }))))
	}
	fmt.Printf("\nwsguard RSS: idle %s MiB, peak under load %s MiB, after the load %s MiB\n", proc.MiB(idle), proc.MiB(peak), proc.MiB(after.RSS))
}

func median(rs []levelResult, f func(levelResult) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// ms formats a duration in milliseconds with three decimals (microsecond resolution).
func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64) + "ms"
}

// us formats a duration in microseconds.
func us(d time.Duration) string {
	return strconv.FormatInt(d.Microseconds(), 10) + "µs"
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
