package audit

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/wsguard/wsguard/defaults"
)

// Outcomes of a rule on a stored object, as wsguard_audit_findings counts them: what admission
// would do if the object were applied again now. They are wsguard_rule_results_total's.
const (
	OutcomeDefaulted = "defaulted"
	OutcomeDenied    = "denied"
	OutcomeWarned    = "warned"
)

var (
	findingsGauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "wsguard_audit_findings",
		Help: "Stored objects of opted-in namespaces that admission would default, deny or warn about if they were applied again now, as of the last background audit, by namespace, rule ID and outcome (defaulted, denied, warned).",
	}, []string{"namespace", "rule", "outcome"})
	durationGauge = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "wsguard_audit_duration_seconds",
		Help: "How long the last background audit took, whether or not it read every object.",
	})
	lastSuccessGauge = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "wsguard_audit_last_success_timestamp_seconds",
		Help: "Unix time at which the last background audit that read every object ended; 0 before the first.",
	})

	registerMetrics sync.Once
)

// RegisterMetrics adds the audit's gauges to the registry the manager's metrics server exposes.
func RegisterMetrics() {
	registerMetrics.Do(func() {
		metrics.Registry.MustRegister(findingsGauge, durationGauge, lastSuccessGauge)
	})
}

// findingKey is one series of wsguard_audit_findings.
type findingKey struct{ namespace, rule, outcome string }

// tally counts findings by namespace, rule and outcome, each object once per rule and outcome.
type tally map[findingKey]int

// Add counts one finding.
func (t tally) Add(f Finding) {
	if f.Err != nil {
		return
	}
	ns := f.Object.GetNamespace()
	seen := map[findingKey]bool{}
	count := func(rule, outcome string) {
		k := findingKey{ns, rule, outcome}
		if !seen[k] {
			seen[k] = true
			t[k]++
		}
	}
	v := &f.Verdict
	for _, c := range v.Changes {
		if c.Rule != defaults.RuleAppliedRules {
			count(c.Rule, OutcomeDefaulted)
		}
	}
	for _, x := range v.Violations {
		if v.Denied() {
			count(x.Rule, OutcomeDenied)
		} else {
			count(x.Rule, OutcomeWarned)
		}
	}
	for _, w := range v.Warnings {
		count(w.Rule, OutcomeWarned)
	}
}

// publish replaces the findings gauge's series with the tally's: series of findings that went
// away are dropped.
func (t tally) publish() {
	findingsGauge.Reset()
	for k, n := range t {
		findingsGauge.WithLabelValues(k.namespace, k.rule, k.outcome).Set(float64(n))
	}
}
