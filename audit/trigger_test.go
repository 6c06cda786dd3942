package audit

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/wsguard/wsguard/defaults"
)

// TestNamespaceHandler: a namespace is queued for an audit when it opts in or out, when its
// enforcement changes while opted in, and when it is created opted in after the first list;
// nothing else queues it.
func TestNamespaceHandler(t *testing.T) {
	ns := func(in bool, enforcement string) *corev1.Namespace {
		n := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team", Labels: map[string]string{"team": "a"}}}
		if in {
			n.Labels[defaults.LabelInject] = defaults.InjectEnabled
		}
		if enforcement != "" {
			n.Annotations = map[string]string{defaults.AnnotationEnforcement: enforcement}
		}
		return n
	}
	for _, tc := range []struct {
		name     string
		old, cur *corev1.Namespace
		initial  bool
		queued   bool
	}{
		{name: "opts in", old: ns(false, ""), cur: ns(true, ""), queued: true},
		{name: "opts out", old: ns(true, ""), cur: ns(false, ""), queued: true},
		{name: "enforcement changes while opted in", old: ns(true, ""), cur: ns(true, "warn"), queued: true},
		{name: "enforcement changes while not opted in", old: ns(false, ""), cur: ns(false, "warn")},
		{name: "another label changes", old: ns(true, ""), cur: func() *corev1.Namespace { n := ns(true, ""); n.Labels["team"] = "b"; return n }()},
		{name: "created opted in", cur: ns(true, ""), queued: true},
		{name: "created not opted in", cur: ns(false, "")},
		{name: "listed at start", cur: ns(true, ""), initial: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPendingNamespaces()
			h := namespaceHandler(p)
			if tc.old == nil {
				h.OnAdd(tc.cur, tc.initial)
			} else {
				h.OnUpdate(tc.old, tc.cur)
			}
			got := p.take()
			if want := tc.queued; want != slices.Equal(got, []string{"team"}) || (!want && len(got) > 0) {
				t.Errorf("queued %q, want queued: %v", got, want)
			}
			if len(p.signal) != len(got) {
				t.Errorf("%d signals for %d queued namespaces", len(p.signal), len(got))
			}
		})
	}
}
