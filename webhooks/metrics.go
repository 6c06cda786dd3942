package webhooks

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Outcomes of a rule on one admission request, as counted in wsguard_rule_results_total.
const (
	outcomeDefaulted = "defaulted"
	outcomeDenied    = "denied"
	outcomeWarned    = "warned"
)

var (
	ruleResults = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wsguard_rule_results_total",
		Help: "Rule results on admission requests, by rule ID and outcome (defaulted, denied, warned).",
	}, []string{"rule", "outcome"})

	admissionDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "wsguard_admission_duration_seconds",
		Help: "Time wsguard spent on one admission request, by webhook (mutate, validate), kind and result.",
		// Most requests take well under a millisecond; the upper buckets catch cache stalls.
		Buckets: []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1},
	}, []string{"webhook", "kind", "result"})

	registerMetrics sync.Once
)

// RegisterMetrics adds wsguard's metrics to the registry the manager's metrics server exposes.
func RegisterMetrics() {
	registerMetrics.Do(func() {
		metrics.Registry.MustRegister(ruleResults, admissionDuration)
	})
}
