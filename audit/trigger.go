package audit

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	toolscache "k8s.io/client-go/tools/cache"

	"github.com/wsguard/wsguard/defaults"
)

// namespaceSettle is how long the runner waits after a namespace opted in or out before it
// audits it: `kubectl label` is often one of several commands applied together, and one audit
// of their outcome is enough.
const namespaceSettle = 2 * time.Second

// pendingNamespaces are the namespaces whose opt-in changed since the runner last audited them.
// The informer's handler adds to it; the runner's loop takes from it.
type pendingNamespaces struct {
	mu     sync.Mutex
	names  map[string]bool
	signal chan struct{}
}

func newPendingNamespaces() *pendingNamespaces {
	return &pendingNamespaces{names: map[string]bool{}, signal: make(chan struct{}, 1)}
}

func (p *pendingNamespaces) add(name string) {
	p.mu.Lock()
	p.names[name] = true
	p.mu.Unlock()
	select {
	case p.signal <- struct{}{}:
	default: // a signal is already waiting
	}
}

func (p *pendingNamespaces) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	names := make([]string, 0, len(p.names))
	for n := range p.names {
		names = append(names, n)
	}
	clear(p.names)
	slices.Sort(names)
	return names
}

// judgmentChanged reports whether a namespace's update changes how its objects are judged: it
// opted in or out (wsguard.io/inject), or its wsguard.io/enforcement changed while opted in.
func judgmentChanged(old, cur *corev1.Namespace) bool {
	if defaults.OptedIn(old) != defaults.OptedIn(cur) {
		return true
	}
	return defaults.OptedIn(cur) &&
		old.Annotations[defaults.AnnotationEnforcement] != cur.Annotations[defaults.AnnotationEnforcement]
}

// namespaceHandler queues the namespaces whose judgment changed, and those created opted in
// after the informer's first list (the first audit covers the others).
func namespaceHandler(p *pendingNamespaces) toolscache.ResourceEventHandler {
	return toolscache.ResourceEventHandlerDetailedFuncs{
		AddFunc: func(obj any, initial bool) {
			if ns, ok := obj.(*corev1.Namespace); ok && !initial && defaults.OptedIn(ns) {
				p.add(ns.Name)
			}
		},
		UpdateFunc: func(oldObj, newObj any) {
			old, ok1 := oldObj.(*corev1.Namespace)
			cur, ok2 := newObj.(*corev1.Namespace)
			if ok1 && ok2 && judgmentChanged(old, cur) {
				p.add(cur.Name)
			}
		},
	}
}

// watchNamespaces starts queueing the namespaces whose judgment changes, when the runner has
// an informer cache; the returned channel signals that some are queued (nil: never).
func (r *Runner) watchNamespaces(ctx context.Context) (<-chan struct{}, error) {
	if r.Informers == nil {
		return nil, nil
	}
	inf, err := r.Informers.GetInformer(ctx, &corev1.Namespace{})
	if err != nil {
		return nil, err
	}
	r.pending = newPendingNamespaces()
	if _, err := inf.AddEventHandler(namespaceHandler(r.pending)); err != nil {
		return nil, err
	}
	return r.pending.signal, nil
}

// waitForNext waits until the next interval audit is due, auditing the namespaces whose
// judgment changes in between, each soon after it changed. It returns false when ctx ended.
func (r *Runner) waitForNext(ctx context.Context, changed <-chan struct{}) bool {
	next := time.NewTimer(r.Interval)
	defer next.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-next.C:
			return true
		case <-changed:
			select {
			case <-ctx.Done():
				return false
			case <-time.After(namespaceSettle):
			}
			for _, ns := range r.pending.take() {
				r.RunNamespace(ctx, ns)
			}
		}
	}
}

// RunNamespace audits one namespace and publishes what it found there in place of what the
// last audits found there: the findings of a namespace that opted in, none for one that opted
// out (its gauges' series and its reports go).
func (r *Runner) RunNamespace(ctx context.Context, namespace string) {
	a := *r.Auditor
	a.Namespace = namespace
	counts := tally{}
	reports := newReportSet()
	s, err := a.Run(ctx, func(f Finding) {
		counts.Add(f)
		reports.add(f)
	})
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return
		}
		// A namespace deleted since it changed needs nothing: its reports went with it.
		r.Log.Info("audit of a namespace whose opt-in changed failed; the next audit retries", "namespace", namespace, "error", err.Error())
		return
	}
	counts.publishNamespace(namespace)
	r.writeReports(ctx, namespace, reports)
	r.Log.Info("audited a namespace whose opt-in changed", "namespace", namespace, "judged", len(s.Namespaces) == 1, "objects", s.Objects)
}

// publishNamespace replaces the findings gauge's series of one namespace with the tally's.
func (t tally) publishNamespace(namespace string) {
	findingsGauge.DeletePartialMatch(prometheus.Labels{"namespace": namespace})
	for k, n := range t {
		if k.namespace == namespace {
			findingsGauge.WithLabelValues(k.namespace, k.rule, k.outcome).Set(float64(n))
		}
	}
}

// writeReports syncs the reports of a scope when the runner writes reports.
func (r *Runner) writeReports(ctx context.Context, namespace string, set *reportSet) {
	if r.Reports == nil {
		return
	}
	if err := r.Reports.Sync(ctx, namespace, set); err != nil && ctx.Err() == nil {
		r.Log.Error(err, "audit: writing reports failed; the next audit retries")
	}
}
