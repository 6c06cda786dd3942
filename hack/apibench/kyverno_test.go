package main

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/wsguard/wsguard/defaults"
)

// The Kyverno CEL policies must be the native policies, expression for expression, with the
// default policy's values: the comparison is void if one side checks something else.
func TestKyvernoCELPoliciesMirrorTheNativePolicies(t *testing.T) {
	p := defaults.DefaultPolicy()
	native := decodeAll(t, strings.NewReplacer(
		"WS_DEPLOYMENT", wsDeploymentCEL, "WS_INGRESS", wsIngressCEL, "MAP_VERSION", "v1", "VAP_VERSION", "v1",
		"PRESTOP", fmt.Sprint(p.PreStopSeconds), "DRAIN", fmt.Sprint(p.DrainSeconds),
		"MIN_TIMEOUT", fmt.Sprint(p.MinTimeoutSeconds), "TIMEOUT", fmt.Sprint(p.TimeoutSeconds),
	).Replace(nativePolicies))
	kyverno := decodeAll(t, kyvernoCELPolicies)
	kinds := map[string]string{"MutatingAdmissionPolicy": "MutatingPolicy", "ValidatingAdmissionPolicy": "ValidatingPolicy"}
	if len(native) != len(kyverno) {
		t.Fatalf("%d native policies, %d Kyverno CEL policies", len(native), len(kyverno))
	}
	for _, n := range native {
		var k *unstructured.Unstructured
		for _, o := range kyverno {
			if o.GetKind() == kinds[n.GetKind()] && o.GetName() == n.GetName() {
				k = o
			}
		}
		if k == nil {
			t.Errorf("no Kyverno %s %s", kinds[n.GetKind()], n.GetName())
			continue
		}
		for _, field := range []string{"failurePolicy", "reinvocationPolicy", "matchConditions", "variables", "mutations", "validations"} {
			want, got := normalized(n.Object["spec"].(map[string]any)[field]), normalized(k.Object["spec"].(map[string]any)[field])
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s %s: spec.%s is\n%v\nwant (as the native policy)\n%v", k.GetKind(), k.GetName(), field, got, want)
			}
		}
		nativeRules, _, _ := unstructured.NestedSlice(n.Object, "spec", "matchConstraints", "resourceRules")
		kyvernoRules, _, _ := unstructured.NestedSlice(k.Object, "spec", "matchConstraints", "resourceRules")
		if !reflect.DeepEqual(kyvernoRules, nativeRules) {
			t.Errorf("%s %s: resourceRules %v, want %v", k.GetKind(), k.GetName(), kyvernoRules, nativeRules)
		}
		selector, _, _ := unstructured.NestedStringMap(k.Object, "spec", "matchConstraints", "namespaceSelector", "matchLabels")
		if selector[labelKyvernoCEL] != "enabled" {
			t.Errorf("%s %s: namespaceSelector %v, want %s=enabled", k.GetKind(), k.GetName(), selector, labelKyvernoCEL)
		}
	}
}

// The ClusterPolicies are JMESPath, not CEL, so only their values and scope can be compared
// here; apibench checks their effect on a real API server before it measures.
func TestKyvernoClusterPoliciesCarryTheDefaultPolicy(t *testing.T) {
	p := defaults.DefaultPolicy()
	for _, want := range []string{
		fmt.Sprintf("seconds: %d\n", p.PreStopSeconds),                       // the preStop sleep
		fmt.Sprintf("|| `%d`][]", p.PreStopSeconds),                          // the sleep a container gets, in the grace period
		fmt.Sprintf("add(`%d`, ", p.DrainSeconds),                            // the drain time
		fmt.Sprintf("proxy-read-timeout): \"%d\"", p.TimeoutSeconds),         // the timeouts injected
		fmt.Sprintf("proxy-send-timeout): \"%d\"", p.TimeoutSeconds),         //
		fmt.Sprintf(">= `%d`", p.MinTimeoutSeconds),                          // the shortest timeout allowed
		fmt.Sprintf("of at least %d, or ingress-nginx", p.MinTimeoutSeconds), // and its message
	} {
		if !strings.Contains(kyvernoClusterPolicies, want) {
			t.Errorf("kyverno/clusterpolicies.yaml has no %q", want)
		}
	}
	for _, o := range decodeAll(t, kyvernoClusterPolicies) {
		rules, _, _ := unstructured.NestedSlice(o.Object, "spec", "rules")
		for _, r := range rules {
			matches, _, _ := unstructured.NestedSlice(r.(map[string]any), "match", "any")
			for _, m := range matches {
				labels, _, _ := unstructured.NestedStringMap(m.(map[string]any), "resources", "namespaceSelector", "matchLabels")
				if labels[labelKyvernoClusterPolicy] != "enabled" {
					t.Errorf("%s: a rule matches namespaces %v, want %s=enabled", o.GetName(), labels, labelKyvernoClusterPolicy)
				}
			}
		}
	}
}

func decodeAll(t *testing.T, manifest string) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	decoder := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(manifest), 4096)
	for {
		obj := &unstructured.Unstructured{}
		if err := decoder.Decode(&obj.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return out
			}
			t.Fatal(err)
		}
		if len(obj.Object) > 0 {
			out = append(out, obj)
		}
	}
}

var spaces = regexp.MustCompile(`\s+`)

// normalized collapses the white space of every string: YAML folding differs between the Go
// string of the native policies and the file, the expressions do not.
func normalized(v any) any {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(spaces.ReplaceAllString(v, " "))
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = normalized(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = normalized(e)
		}
		return out
	}
	return v
}
