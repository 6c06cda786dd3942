package webhooks

import (
	"fmt"
	"os"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestManifestsAreGenerated fails when config/webhook/manifests.yaml no longer matches the code.
func TestManifestsAreGenerated(t *testing.T) {
	want, err := RenderManifests(DefaultConfigurationOptions())
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../config/webhook/manifests.yaml")
	if err != nil {
		t.Fatalf("%v (run `make manifests`)", err)
	}
	if string(got) != string(want) {
		t.Fatal("config/webhook/manifests.yaml is out of date: run `make manifests`")
	}
}

// TestConfigurationsAreSafe pins the settings that keep wsguard from breaking a cluster or
// GitOps tooling: a change to any of them must be deliberate.
func TestConfigurationsAreSafe(t *testing.T) {
	o := DefaultConfigurationOptions()
	mutating, validating := Configurations(o)
	if len(mutating.Webhooks) != len(ServedKinds()) || len(validating.Webhooks) != len(ServedKinds()) {
		t.Fatalf("want one mutating and one validating webhook per served kind")
	}
	check := func(name string, se *admissionv1.SideEffectClass, mp *admissionv1.MatchPolicyType, timeout *int32, versions []string, rules []admissionv1.RuleWithOperations, sel string) {
		t.Helper()
		if se == nil || *se != admissionv1.SideEffectClassNone {
			t.Errorf("%s: sideEffects must be None, or dry-run requests (kubectl --dry-run=server, Argo CD, Flux) are rejected", name)
		}
		if mp == nil || *mp != admissionv1.Equivalent {
			t.Errorf("%s: matchPolicy must be Equivalent", name)
		}
		if timeout == nil || *timeout < 1 || *timeout > 10 {
			t.Errorf("%s: timeoutSeconds must be small", name)
		}
		if strings.Join(versions, ",") != "v1" {
			t.Errorf("%s: admissionReviewVersions = %v, want [v1]", name, versions)
		}
		for _, r := range rules {
			for _, op := range r.Operations {
				if op != admissionv1.Create && op != admissionv1.Update {
					t.Errorf("%s: intercepts %s; only CREATE and UPDATE are handled", name, op)
				}
			}
		}
		for _, want := range []string{"wsguard.io/inject In [enabled]", "kubernetes.io/metadata.name NotIn [kube-system " + o.ServiceNamespace + "]"} {
			if !strings.Contains(sel, want) {
				t.Errorf("%s: namespaceSelector %s lacks %q", name, sel, want)
			}
		}
	}
	for _, w := range mutating.Webhooks {
		check(w.Name, w.SideEffects, w.MatchPolicy, w.TimeoutSeconds, w.AdmissionReviewVersions, w.Rules, selectorString(w.NamespaceSelector.MatchExpressions))
		if w.ReinvocationPolicy == nil || *w.ReinvocationPolicy != admissionv1.IfNeededReinvocationPolicy {
			t.Errorf("%s: reinvocationPolicy must be IfNeeded", w.Name)
		}
	}
	for _, w := range validating.Webhooks {
		check(w.Name, w.SideEffects, w.MatchPolicy, w.TimeoutSeconds, w.AdmissionReviewVersions, w.Rules, selectorString(w.NamespaceSelector.MatchExpressions))
	}
}

func selectorString(exprs []metav1.LabelSelectorRequirement) string {
	var parts []string
	for _, e := range exprs {
		parts = append(parts, fmt.Sprintf("%s %s %v", e.Key, e.Operator, e.Values))
	}
	return strings.Join(parts, ";")
}
