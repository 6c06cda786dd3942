package defaults

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestParsePolicy(t *testing.T) {
	cases := []struct {
		name    string
		yaml    string
		check   func(Policy) bool
		wantErr string
	}{
		{name: "empty file means defaults", yaml: "", check: func(p Policy) bool {
			d := DefaultPolicy()
			return p.TimeoutSeconds == d.TimeoutSeconds && p.PreStopSeconds == d.PreStopSeconds && p.AffinityEnabled() && p.Enforcement == Enforce
		}},
		{name: "values are read", yaml: "timeoutSeconds: 7200\npreStopSeconds: 5\nenforcement: warn\naffinity: {enabled: false}", check: func(p Policy) bool {
			return p.TimeoutSeconds == 7200 && p.PreStopSeconds == 5 && p.Enforcement == Warn && !p.AffinityEnabled() && p.MinTimeoutSeconds == DefaultMinTimeoutSeconds
		}},
		{name: "a lower timeout pulls the default minimum down", yaml: "timeoutSeconds: 600", check: func(p Policy) bool {
			return p.MinTimeoutSeconds == 600
		}},
		{name: "JSON works too", yaml: `{"drainSeconds": 60, "ingressClasses": {"edge": "k8s.io/ingress-nginx"}}`, check: func(p Policy) bool {
			return p.DrainSeconds == 60 && p.controllerForClass("edge") == ControllerIngressNGINX && p.controllerForClass("nginx") == ControllerIngressNGINX
		}},
		{name: "unknown fields are errors", yaml: "timeoutSecond: 60", wantErr: `unknown field "timeoutSecond"`},
		{name: "a minimum above the timeout is an error", yaml: "timeoutSeconds: 600\nminTimeoutSeconds: 3600", wantErr: "minTimeoutSeconds: 3600 is above timeoutSeconds"},
		{name: "an unknown mode is an error", yaml: "enforcement: audit", wantErr: `enforcement: "audit" is not a mode`},
		{name: "negative values are errors", yaml: "preStopSeconds: -1", wantErr: "preStopSeconds: -1 is out of range"},
		{name: "ClientIP timeouts above a day are errors", yaml: "affinity: {clientIPTimeoutSeconds: 90000}", wantErr: "affinity.clientIPTimeoutSeconds: 90000 is out of range"},
		{name: "bad cookie names are errors", yaml: "affinity: {cookieName: 'a b'}", wantErr: "affinity.cookieName"},
		{name: "a unit where seconds are expected is an error", yaml: "timeoutSeconds: 1h", wantErr: "policy:"},
		{name: "not YAML at all", yaml: "{{{", wantErr: "policy:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePolicy([]byte(tc.yaml))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(p) {
				t.Errorf("unexpected policy %+v", p)
			}
		})
	}
}

func TestEnforcementFor(t *testing.T) {
	warnNS := namespace(map[string]string{AnnotationEnforcement: "warn"})
	enforceNS := namespace(map[string]string{AnnotationEnforcement: "enforce"})
	warnPolicy := DefaultPolicy()
	warnPolicy.Enforcement = Warn
	enforceInferred := DefaultPolicy()
	enforceInferred.InferredEnforcement = Enforce
	declared := Result{WebSocket: true, Reason: Reason{SignalPortName, "a port is named ws"}}
	inferred := Result{WebSocket: true, Reason: Reason{SignalKnownApp, "a container runs grafana/grafana"}}
	for _, tc := range []struct {
		name   string
		policy Policy
		ns     *corev1.Namespace
		res    Result
		want   Enforcement
	}{
		{"default is enforce", DefaultPolicy(), namespace(nil), declared, Enforce},
		{"a namespace can lower to warn", DefaultPolicy(), warnNS, declared, Warn},
		{"cluster-wide warn wins over a namespace's enforce", warnPolicy, enforceNS, declared, Warn},
		{"an unknown namespace is enforced", DefaultPolicy(), nil, declared, Enforce},
		{"a guess only warns by default", DefaultPolicy(), namespace(nil), inferred, Warn},
		{"a guess denies when the policy says so", enforceInferred, namespace(nil), inferred, Enforce},
		{"a namespace's warn wins over enforcing guesses", enforceInferred, warnNS, inferred, Warn},
		{"the namespace's mode is read in any case", DefaultPolicy(), namespace(map[string]string{AnnotationEnforcement: " Warn"}), declared, Warn},
	} {
		if got := EnforcementFor(tc.policy, tc.ns, tc.res); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestNamespaceEnforcementProblem(t *testing.T) {
	for value, bad := range map[string]bool{"warn": false, "Enforce": false, " WARN ": false, "warning": true, "": false} {
		ns := namespace(map[string]string{AnnotationEnforcement: value})
		if got := NamespaceEnforcementProblem(ns) != ""; got != bad {
			t.Errorf("%q: problem %v, want %v", value, got, bad)
		}
	}
	if NamespaceEnforcementProblem(namespace(nil)) != "" {
		t.Errorf("a namespace without the annotation has a problem")
	}
}
