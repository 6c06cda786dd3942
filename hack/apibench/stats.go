package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// allOps names the row that pools every write of a namespace but opOptedOut.
const allOps = "all writes"

// roundResult holds one round's latencies by variant and op.
type roundResult map[string]map[string][]time.Duration

func newRoundResult() roundResult { return roundResult{} }

// add records one iteration's latencies, in the order of ops.
func (r roundResult) add(variant string, lat []time.Duration) {
	if r[variant] == nil {
		r[variant] = map[string][]time.Duration{}
	}
	for i, d := range lat {
		r[variant][ops[i]] = append(r[variant][ops[i]], d)
		if ops[i] != opOptedOut {
			r[variant][allOps] = append(r[variant][allOps], d)
		}
	}
}

// quantile returns the q-quantile (nearest rank) of a variant's latencies for op.
func (r roundResult) quantile(variant, op string, q float64) time.Duration {
	s := slices.Clone(r[variant][op])
	if len(s) == 0 {
		return 0
	}
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// line summarises a round: the p50 of all writes per variant.
func (r roundResult) line() string {
	var parts []string
	for _, v := range variants {
		parts = append(parts, fmt.Sprintf("%s p50 %s", v.name, ms(r.quantile(v.name, allOps, 0.5))))
	}
	return strings.Join(parts, ", ")
}

// medianOf returns the median over rounds of a figure.
func medianOf(results []roundResult, f func(roundResult) time.Duration) time.Duration {
	v := make([]time.Duration, len(results))
	for i, r := range results {
		v[i] = f(r)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}
