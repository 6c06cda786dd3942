package cli

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func inNamespace(manifest, ns string) string {
	return strings.Replace(manifest, "metadata:\n", "metadata:\n  namespace: "+ns+"\n", 1)
}

const (
	namespaceOptedIn = `apiVersion: v1
kind: Namespace
metadata:
  name: demo
  labels: {wsguard.io/inject: enabled}
`
	namespaceWarn = `apiVersion: v1
kind: Namespace
metadata:
  name: demo
  labels: {wsguard.io/inject: enabled}
  annotations: {wsguard.io/enforcement: warn}
`
	namespacePlain = `apiVersion: v1
kind: Namespace
metadata:
  name: demo
`
)

// TestFactsFromTheInput: related objects of the input decide what the engine sees, as the
// webhook's cache does in a cluster.
func TestFactsFromTheInput(t *testing.T) {
	tests := []struct {
		name  string
		input string
		args  []string
		kind  string
		// wantRules are the rules that change the object; nil when it is judged but left alone.
		wantRules []string
		// notJudged: the object must not be in the report at all.
		notJudged bool
	}{
		{name: "a WebSocket Service in the input makes the Ingress that routes to it WebSocket",
			input: docs(chatService, chatIngress), kind: "Ingress",
			wantRules: []string{"ingress-nginx-timeouts", "ingress-nginx-affinity", "applied-rules"}},
		{name: "without the Service, the Ingress is not WebSocket",
			input: chatIngress, kind: "Ingress"},
		{name: "a WebSocket Service in the input makes the Deployment it selects WebSocket",
			input: docs(chatDeployment, chatService), kind: "Deployment",
			wantRules: []string{"deployment-prestop-sleep", "deployment-grace-period", "applied-rules"}},
		{name: "a Service of another namespace does not count",
			input: docs(inNamespace(chatService, "other"), inNamespace(chatIngress, "demo")), kind: "Ingress"},
		{name: "-n puts objects without a namespace into it",
			input: docs(inNamespace(chatService, "demo"), chatIngress), args: []string{"-n", "demo"}, kind: "Ingress",
			wantRules: []string{"ingress-nginx-timeouts", "ingress-nginx-affinity", "applied-rules"}},
		{name: "an IngressClass of the input decides the controller: F5 NGINX also names its class nginx",
			input: docs(chatService, chatIngress, "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: nginx}\nspec: {controller: nginx.org/ingress-controller}\n"),
			kind:  "Ingress", wantRules: []string{"f5-nginx-websocket-services", "f5-nginx-timeouts", "applied-rules"}},
		{name: "a Namespace of the input without the opt-in label leaves its objects alone",
			input: docs(namespacePlain, inNamespace(chatService, "demo")), kind: "Service", notJudged: true},
		{name: "a Namespace of the input with the opt-in label has its objects judged, whatever --namespace-labels says",
			input: docs(namespaceOptedIn, inNamespace(chatService, "demo")), args: []string{"--namespace-labels="}, kind: "Service",
			wantRules: []string{"service-session-affinity", "service-app-protocol", "applied-rules"}},
		{name: "--namespace-labels without the opt-in label simulates a namespace that has not opted in",
			input: chatService, args: []string{"--namespace-labels", "team=chat"}, kind: "Service", notJudged: true},
		{name: "kube-system is never judged, even when opted in",
			input: docs(strings.ReplaceAll(namespaceOptedIn, "demo", "kube-system"), inNamespace(chatService, "kube-system")), kind: "Service", notJudged: true},
		{name: "wsguard's own namespace is never judged",
			input: inNamespace(chatService, "wsguard-system"), kind: "Service", notJudged: true},
		{name: "kinds the engine does not judge are passed through",
			input: configMap, kind: "ConfigMap", notJudged: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, res := checkJSON(t, tt.input, append([]string{"-"}, tt.args...)...)
			if res.code != ExitOK {
				t.Fatalf("exit %d\n%s", res.code, res.stderr)
			}
			var got *ObjectReport
			for i := range rep.Objects {
				if rep.Objects[i].Kind == tt.kind {
					got = &rep.Objects[i]
				}
			}
			if tt.notJudged {
				if got != nil {
					t.Fatalf("the %s was judged: %+v", tt.kind, *got)
				}
				return
			}
			if got == nil {
				t.Fatalf("the %s was not judged; report: %v", tt.kind, names(rep))
			}
			if r := rules(*got); !reflect.DeepEqual(r, tt.wantRules) {
				t.Errorf("rules = %q, want %q", r, tt.wantRules)
			}
		})
	}
}

func TestEnforcement(t *testing.T) {
	tests := []struct {
		name       string
		input      string
		args       []string
		wantCode   int
		wantMode   string
		wantDenied bool
		wantText   string
	}{
		{name: "enforce: denied", input: shortGrace, wantCode: ExitViolations, wantMode: "enforce", wantDenied: true,
			wantText: `deny      [deployment-grace-period] spec.template.spec.terminationGracePeriodSeconds: "10" is not longer than the 20s preStop sleep`},
		{name: "--enforcement warn: admitted with the webhook's warn-mode wording", input: shortGrace, args: []string{"--enforcement", "warn"},
			wantCode: ExitOK, wantMode: "warn",
			wantText: `violation wsguard [deployment-grace-period] (warn mode, would deny): spec.template.spec.terminationGracePeriodSeconds: "10" is not longer`},
		{name: "a warn-mode Namespace of the input", input: docs(namespaceWarn, inNamespace(shortGrace, "demo")), wantCode: ExitOK, wantMode: "warn",
			wantText: "(warn mode, would deny)"},
		{name: "a warn-mode policy file", input: shortGrace, args: []string{"--config", "POLICY"}, wantCode: ExitOK, wantMode: "warn"},
	}
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policy, []byte("enforcement: warn\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-"}, tt.args...)
			for i, a := range args {
				if a == "POLICY" {
					args[i] = policy
				}
			}
			rep, res := checkJSON(t, tt.input, args...)
			if res.code != tt.wantCode {
				t.Errorf("exit %d, want %d\n%s", res.code, tt.wantCode, res.stderr)
			}
			o := find(t, rep, "Deployment", "short")
			if o.Enforcement != tt.wantMode || o.Denied != tt.wantDenied || len(o.Violations) != 1 {
				t.Errorf("enforcement %q denied %v violations %d; want %q %v 1", o.Enforcement, o.Denied, len(o.Violations), tt.wantMode, tt.wantDenied)
			}
			if text := runCommand(t, "check", tt.input, args...); !strings.Contains(text.stdout, tt.wantText) {
				t.Errorf("text output does not contain %q:\n%s", tt.wantText, text.stdout)
			}
		})
	}
}

func TestPolicyFileChangesTheDefaults(t *testing.T) {
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policy, []byte("timeoutSeconds: 7200\naffinity: {enabled: false}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, _ := checkJSON(t, docs(chatService, chatIngress), "-", "--config", policy)
	ing := find(t, rep, "Ingress", "chat")
	if r := rules(ing); !reflect.DeepEqual(r, []string{"ingress-nginx-timeouts", "applied-rules"}) {
		t.Errorf("rules = %q: affinity is off in the policy", r)
	}
	if v := ing.Changes[0].Value; !reflect.DeepEqual(v, map[string]any{"nginx.ingress.kubernetes.io/proxy-read-timeout": "7200"}) {
		t.Errorf("first change = %v, want the policy's 7200", v)
	}
}

func TestGKEBackendConfigsFromTheInput(t *testing.T) {
	service := `apiVersion: v1
kind: Service
metadata:
  name: chat
  annotations: {cloud.google.com/backend-config: '{"default": "chat"}'}
spec:
  ports:
  - {name: websocket, port: 80}
`
	ingress := strings.Replace(chatIngress, "ingressClassName: nginx", "ingressClassName: gce", 1)
	backendConfig := func(timeout string) string {
		return "apiVersion: cloud.google.com/v1\nkind: BackendConfig\nmetadata: {name: chat}\nspec: {timeoutSec: " + timeout + "}\n"
	}
	tests := []struct {
		name           string
		input          string
		wantViolations int
		wantWarning    string
	}{
		{name: "a short timeout in the input's BackendConfig is denied", input: docs(service, ingress, backendConfig("30")), wantViolations: 1},
		{name: "a long enough timeout passes", input: docs(service, ingress, backendConfig("3600"))},
		{name: "without BackendConfigs in the input, the timeout cannot be checked", input: docs(service, ingress), wantWarning: "BackendConfigs cannot be read"},
		{name: "with other BackendConfigs in the input, a missing one is missing",
			input: docs(service, ingress, strings.Replace(backendConfig("3600"), "name: chat", "name: other", 1)), wantWarning: "does not exist in the namespace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, _ := checkJSON(t, tt.input, "-")
			o := find(t, rep, "Ingress", "chat")
			if len(o.Violations) != tt.wantViolations {
				t.Errorf("violations = %+v, want %d", o.Violations, tt.wantViolations)
			}
			found := tt.wantWarning == ""
			for _, w := range o.Warnings {
				found = found || strings.Contains(w.Message, tt.wantWarning)
			}
			if !found {
				t.Errorf("no warning says %q: %+v", tt.wantWarning, o.Warnings)
			}
		})
	}
}
