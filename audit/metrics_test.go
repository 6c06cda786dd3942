package audit

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wsguard/wsguard/defaults"
)

// TestTally: each object counts once per rule and outcome; violations count as denied in
// enforce mode and as warned in warn mode; the applied-rules bookkeeping is not a finding.
func TestTally(t *testing.T) {
	obj := func(ns string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{}
		u.SetNamespace(ns)
		return u
	}
	counts := tally{}
	counts.Add(Finding{Object: obj("a"), Verdict: defaults.Verdict{
		Mode: defaults.Enforce,
		Changes: []defaults.Change{
			{Rule: "service-session-affinity"}, {Rule: "service-session-affinity"}, {Rule: defaults.RuleAppliedRules},
		},
		Violations: []defaults.Violation{{Rule: "service-http2-port"}},
		Warnings:   []defaults.Warning{{Rule: "service-workloads-without-defaults"}},
	}})
	counts.Add(Finding{Object: obj("a"), Verdict: defaults.Verdict{
		Mode:       defaults.Enforce,
		Changes:    []defaults.Change{{Rule: "service-session-affinity"}},
		Violations: []defaults.Violation{{Rule: "service-http2-port"}, {Rule: "service-http2-port"}},
	}})
	counts.Add(Finding{Object: obj("b"), Verdict: defaults.Verdict{
		Mode:       defaults.Warn,
		Violations: []defaults.Violation{{Rule: "service-http2-port"}},
	}})
	counts.Add(Finding{Object: obj("b"), Err: errTest{}})
	want := tally{
		{"a", "service-session-affinity", OutcomeDefaulted}:        2,
		{"a", "service-http2-port", OutcomeDenied}:                 2,
		{"a", "service-workloads-without-defaults", OutcomeWarned}: 1,
		{"b", "service-http2-port", OutcomeWarned}:                 1,
	}
	if diff := cmp.Diff(want, counts, cmp.AllowUnexported(findingKey{})); diff != "" {
		t.Errorf("tally (-want +got):\n%s", diff)
	}
}

type errTest struct{}

func (errTest) Error() string { return "test" }
