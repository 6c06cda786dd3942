package audit

import (
	"context"
	"errors"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/cache"
)

// Runner runs an audit when it starts, then every Interval and for each namespace that opts in
// or out in between, inside `wsguard serve`, and publishes its findings as Prometheus gauges
// (RegisterMetrics) and OpenReports Reports. It is a controller-runtime
// manager Runnable.
type Runner struct {
	// Auditor is the audit to run; its Objects reader should read whole objects (the manager's
	// API reader: the cache holds slimmed copies of some kinds), its Facts the cache.
	Auditor *Auditor
	// Interval is the time between the end of one audit and the start of the next.
	Interval time.Duration
	// WaitForCache, when set, blocks until the facts' cache has synced; false stops the runner.
	WaitForCache func(ctx context.Context) bool
	Log          logr.Logger
	// Reports, when set, publishes the findings as OpenReports Reports too (reports.go).
	Reports *ReportWriter
	// Informers, when set, tells the runner of namespaces that opt in or out between audits:
	// each is audited soon after (trigger.go).
	Informers cache.Informers

	pending *pendingNamespaces
}

// NeedLeaderElection is false: every replica audits, and each exports what it found.
func (r *Runner) NeedLeaderElection() bool { return false }

// Start audits until ctx ends.
func (r *Runner) Start(ctx context.Context) error {
	RegisterMetrics()
	if r.WaitForCache != nil && !r.WaitForCache(ctx) {
		return nil // ctx ended before the caches synced
	}
	changed, err := r.watchNamespaces(ctx)
	if err != nil {
		return err
	}
	for {
		r.RunOnce(ctx)
		if !r.waitForNext(ctx, changed) {
			return nil
		}
	}
}

// RunOnce runs one audit and publishes it. A failed audit leaves the previous findings and the
// last success time as they were.
func (r *Runner) RunOnce(ctx context.Context) {
	start := time.Now()
	counts := tally{}
	reports := newReportSet()
	denied := 0
	s, err := r.Auditor.Run(ctx, func(f Finding) {
		counts.Add(f)
		reports.add(f)
		if f.Err != nil {
			r.Log.Error(f.Err, "audit: cannot judge an object", "kind", f.Object.GetKind(), "namespace", f.Object.GetNamespace(), "name", f.Object.GetName())
		}
		if f.Verdict.Denied() {
			denied++
		}
	})
	took := time.Since(start)
	durationGauge.Set(took.Seconds())
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return
		}
		msg := "audit failed; the previous findings stay published"
		if apierrors.IsForbidden(err) {
			msg += " (give wsguard's service account list on every kind it judges: docs/cli.md lists them)"
		}
		r.Log.Error(err, msg)
		return
	}
	for _, problem := range s.NamespaceProblems {
		r.Log.Info("audit: " + problem)
	}
	counts.publish()
	r.writeReports(ctx, "", reports)
	lastSuccessGauge.Set(float64(time.Now().Unix()))
	r.Log.Info("audit finished", "namespaces", len(s.Namespaces), "objects", s.Objects, "denied", denied,
		"skippedKinds", s.SkippedKinds, "forbiddenKinds", s.ForbiddenKinds, "duration", took.String())
}
