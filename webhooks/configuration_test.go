package webhooks

import (
	"fmt"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestConfigurationsAreSafe pins the settings that keep wsguard from breaking a cluster or
// GitOps tooling: a change to any of them must be deliberate.
func TestConfigurationsAreSafe(t *testing.T) {
	o := DefaultConfigurationOptions()
	mutating, validating := Configurations(o)
	if len(mutating.Webhooks) != len(ServedKinds()) || len(validating.Webhooks) != len(ServedKinds()) {
		t.Fatalf("want one mutating and one validating webhook per served kind")
	}
	check := func(name string, se *admissionv1.SideEffectClass, mp *admissionv1.MatchPolicyType, timeout *int32, versions []string, rules []admissionv1.RuleWithOperations, sel string, conds []admissionv1.MatchCondition) {
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
		exempt := map[string]string{
			"not-a-node":                        "'system:nodes' in request.userInfo.groups",
			"not-the-control-plane":             "'system:kube-controller-manager'",
			"not-a-kube-system-service-account": "'system:serviceaccount:kube-system:'",
			"not-wsguard-itself":                "'system:serviceaccount:" + o.ServiceNamespace + ":" + o.ServiceAccount + "'",
		}
		for _, c := range conds {
			if want, ok := exempt[c.Name]; ok && strings.Contains(c.Expression, want) {
				delete(exempt, c.Name)
			}
		}
		for cond, want := range exempt {
			t.Errorf("%s: no match condition %s exempting %s", name, cond, want)
		}
	}
	for _, w := range mutating.Webhooks {
		check(w.Name, w.SideEffects, w.MatchPolicy, w.TimeoutSeconds, w.AdmissionReviewVersions, w.Rules, selectorString(w.NamespaceSelector.MatchExpressions), w.MatchConditions)
		if w.ReinvocationPolicy == nil || *w.ReinvocationPolicy != admissionv1.IfNeededReinvocationPolicy {
			t.Errorf("%s: reinvocationPolicy must be IfNeeded", w.Name)
		}
	}
	for _, w := range validating.Webhooks {
		check(w.Name, w.SideEffects, w.MatchPolicy, w.TimeoutSeconds, w.AdmissionReviewVersions, w.Rules, selectorString(w.NamespaceSelector.MatchExpressions), w.MatchConditions)
	}
}

// TestCAInjection checks that the kustomize install asks cert-manager for the caBundle of both
// configurations, and that the in-process installs used by the tests do not.
func TestCAInjection(t *testing.T) {
	for _, tc := range []struct {
		opts ConfigurationOptions
		want string
	}{
		{KustomizeConfigurationOptions(), "wsguard-system/wsguard-serving-cert"},
		{DefaultConfigurationOptions(), ""},
	} {
		mutating, validating := Configurations(tc.opts)
		for _, got := range []string{mutating.Annotations[AnnotationInjectCAFrom], validating.Annotations[AnnotationInjectCAFrom]} {
			if got != tc.want {
				t.Errorf("%s = %q, want %q", AnnotationInjectCAFrom, got, tc.want)
			}
		}
	}
}

// TestURLClientConfig checks the form used for a webhook running outside the cluster: the
// handler's path appended to the base URL, and no Service.
func TestURLClientConfig(t *testing.T) {
	o := DefaultConfigurationOptions()
	o.URL = "https://127.0.0.1:9443"
	mutating, validating := Configurations(o)
	for i, k := range ServedKinds() {
		for _, cc := range []struct {
			got  admissionv1.WebhookClientConfig
			path string
		}{{mutating.Webhooks[i].ClientConfig, k.MutatePath()}, {validating.Webhooks[i].ClientConfig, k.ValidatePath()}} {
			if cc.got.Service != nil || cc.got.URL == nil || *cc.got.URL != o.URL+cc.path {
				t.Errorf("%s: clientConfig %+v, want url %s", k.Resource, cc.got, o.URL+cc.path)
			}
		}
	}
}

func selectorString(exprs []metav1.LabelSelectorRequirement) string {
	var parts []string
	for _, e := range exprs {
		parts = append(parts, fmt.Sprintf("%s %s %v", e.Key, e.Operator, e.Values))
	}
	return strings.Join(parts, ";")
}

// TestConfigurationsSkipWhatDecidesNothing pins the match conditions that read the object: both
// webhooks skip objects being deleted; the validating one skips objects that opted out, and the
// mutating one only those that record no defaults of wsguard's (it must still release them). The
// install suite checks what the API server makes of them.
func TestConfigurationsSkipWhatDecidesNothing(t *testing.T) {
	mutating, validating := Configurations(DefaultConfigurationOptions())
	names := func(conds []admissionv1.MatchCondition) map[string]string {
		out := map[string]string{}
		for _, c := range conds {
			out[c.Name] = c.Expression
		}
		return out
	}
	for _, w := range mutating.Webhooks {
		got := names(w.MatchConditions)
		if !strings.Contains(got["not-being-deleted"], "deletionTimestamp") {
			t.Errorf("%s: no condition skipping objects being deleted", w.Name)
		}
		if e := got["not-opted-out-without-defaults"]; !strings.Contains(e, "'wsguard.io/websocket'") || !strings.Contains(e, "'wsguard.io/defaults'") {
			t.Errorf("%s: the opt-out condition must spare objects that record defaults: %q", w.Name, e)
		}
		if _, ok := got["not-opted-out"]; ok {
			t.Errorf("%s: the mutating webhook must see opted-out objects that record defaults", w.Name)
		}
	}
	for _, w := range validating.Webhooks {
		got := names(w.MatchConditions)
		if !strings.Contains(got["not-being-deleted"], "deletionTimestamp") || !strings.Contains(got["not-opted-out"], "'wsguard.io/websocket'") {
			t.Errorf("%s: conditions %v, want not-being-deleted and not-opted-out", w.Name, got)
		}
	}
}
