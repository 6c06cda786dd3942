package cli

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

func TestCheckExitCodes(t *testing.T) {
	tests := []struct {
		name  string
		input string
		args  []string
		want  int
	}{
		{name: "nothing to report", input: configMap, want: ExitOK},
		{name: "defaults only", input: chatService, want: ExitOK},
		{name: "defaults with --fail-on-defaults", input: chatService, args: []string{"--fail-on-defaults"}, want: ExitViolations},
		{name: "a denied object", input: shortGrace, want: ExitViolations},
		{name: "a parse error wins over a denied object", input: shortGrace + "---\nkind: [\n", want: ExitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, output := range []string{"text", "json"} {
				res := runCommand(t, "check", tt.input, append([]string{"-o", output, "-"}, tt.args...)...)
				if res.code != tt.want {
					t.Errorf("-o %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", output, res.code, tt.want, res.stdout, res.stderr)
				}
			}
		})
	}
}

func TestCheckText(t *testing.T) {
	res := runCommand(t, "check", docs(configMap, chatService, shortGrace), "-f", "-")
	want := `<stdin>:8: Service chat
  why       recognised as WebSocket because port "websocket" of Service chat is named as WebSocket
  default   wsguard [service-session-affinity]: set spec.sessionAffinity=ClientIP (a reconnecting WebSocket client returns to the pod that holds its session)
            add /spec/sessionAffinity = "ClientIP"
  default   wsguard [service-session-affinity]: set spec.sessionAffinityConfig.clientIP.timeoutSeconds=10800 (the policy's ClientIP affinity timeout)
            add /spec/sessionAffinityConfig = {"clientIP":{"timeoutSeconds":10800}}
  default   wsguard [service-app-protocol]: set spec.ports[0].appProtocol=kubernetes.io/ws (declares the port's protocol to meshes and gateways)
            add /spec/ports/0/appProtocol = "kubernetes.io/ws"
  default   wsguard [applied-rules]: recorded the rules that changed this object
            add /metadata/annotations = {"wsguard.io/applied-rules":"service-app-protocol,service-session-affinity"}
<stdin>:19: Deployment short
  why       recognised as WebSocket because container app has a port named "ws"
  deny      [deployment-grace-period] spec.template.spec.terminationGracePeriodSeconds: "10" is not longer than the 20s preStop sleep, so the container is killed before it can close its WebSocket connections; set it to at least 50 (preStop sleep + 30s drain)
wsguard check: 1 file, 3 objects, 2 judged: 1 would get defaults, 1 denied
`
	if res.stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", res.stdout, want)
	}
	if strings.Contains(res.stdout, "\x1b[") {
		t.Error("colour on output that is not a terminal")
	}
	if res := runCommand(t, "check", shortGrace, "-", "--color", "always"); !strings.Contains(res.stdout, styleRed+"deny"+styleReset) {
		t.Errorf("--color always: no colour:\n%q", res.stdout)
	}
	if res := runCommand(t, "check", configMap, "-"); res.stdout != "wsguard check: 1 file, 1 object, 0 judged: nothing to report\n" {
		t.Errorf("nothing to report:\n%s", res.stdout)
	}
}

func TestCheckJSONSchema(t *testing.T) {
	rep, res := checkJSON(t, docs(configMap, chatService, shortGrace), "-")
	if res.code != ExitViolations {
		t.Fatalf("exit %d", res.code)
	}
	if rep.APIVersion != "cli.wsguard.io/v1" || rep.Kind != "CheckReport" {
		t.Errorf("apiVersion/kind = %s/%s", rep.APIVersion, rep.Kind)
	}
	wantSummary := Summary{Files: 1, Objects: 3, Judged: 2, WebSocket: 2, Changed: 1, Denied: 1}
	if rep.Summary != wantSummary {
		t.Errorf("summary = %+v, want %+v", rep.Summary, wantSummary)
	}
	svc := find(t, rep, "Service", "chat")
	if svc.File != "<stdin>" || svc.Document != 2 || svc.Line != 8 || svc.Item != nil || svc.APIVersion != "v1" || svc.Namespace != "" ||
		!svc.WebSocket || svc.Enforcement != "enforce" || svc.Denied || len(svc.Changes) != 4 {
		t.Errorf("service = %+v", svc)
	}
	if c := svc.Changes[0]; c != (ChangeReport{Op: "add", Path: "/spec/sessionAffinity", Value: "ClientIP", Rule: "service-session-affinity",
		Message: "set spec.sessionAffinity=ClientIP (a reconnecting WebSocket client returns to the pod that holds its session)"}) {
		t.Errorf("first change = %+v", c)
	}
	d := find(t, rep, "Deployment", "short")
	want := ViolationReport{Rule: "deployment-grace-period", Field: "spec.template.spec.terminationGracePeriodSeconds", Value: "10",
		Reason: "is not longer than the 20s preStop sleep, so the container is killed before it can close its WebSocket connections",
		Fix:    "set it to at least 50 (preStop sleep + 30s drain)",
		Message: `spec.template.spec.terminationGracePeriodSeconds: "10" is not longer than the 20s preStop sleep, so the container is killed ` +
			`before it can close its WebSocket connections; set it to at least 50 (preStop sleep + 30s drain)`}
	if !d.Denied || len(d.Violations) != 1 || d.Violations[0] != want {
		t.Errorf("deployment = %+v", d)
	}

	// The field names are the documented schema: renaming one breaks every consumer.
	var raw struct {
		Summary map[string]any   `json:"summary"`
		Objects []map[string]any `json:"objects"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &raw); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]any) []string {
		var k []string
		for key := range m {
			k = append(k, key)
		}
		sort.Strings(k)
		return k
	}
	if got, want := keys(raw.Summary), []string{"changed", "denied", "errors", "files", "judged", "objects", "skippedFiles", "warned", "websocket"}; !reflect.DeepEqual(got, want) {
		t.Errorf("summary keys = %q, want %q", got, want)
	}
	if got, want := keys(raw.Objects[0]), []string{"apiVersion", "changes", "denied", "document", "enforcement", "file", "kind", "line", "name", "namespace", "reason", "violations", "warnings", "websocket"}; !reflect.DeepEqual(got, want) {
		t.Errorf("object keys = %q, want %q", got, want)
	}
}

func TestCheckJSONReportsErrorsAndEmptyLists(t *testing.T) {
	dir := writeTree(t, map[string]string{"bad.yaml": "apiVersion: v1\nkind: [\n", "cm.yaml": configMap})
	rep, res := checkJSON(t, "", dir)
	if res.code != ExitUsage {
		t.Errorf("exit %d, want %d", res.code, ExitUsage)
	}
	if len(rep.Errors) != 1 || rep.Errors[0].File != filepath.Join(dir, "bad.yaml") || rep.Errors[0].Line != 2 || rep.Errors[0].Document != 1 {
		t.Errorf("errors = %+v", rep.Errors)
	}
	if !strings.Contains(res.stderr, "bad.yaml:2: document 1: invalid YAML: did not find expected node content") {
		t.Errorf("stderr:\n%s", res.stderr)
	}
	if !strings.Contains(res.stdout, `"objects": []`) {
		t.Errorf("an empty list must print as [], not null:\n%s", res.stdout)
	}
}

func TestListItemsAreReportedWithTheirIndex(t *testing.T) {
	list := `{"apiVersion": "v1", "kind": "List", "items": [` + jsonOf(t, configMap) + `, ` + jsonOf(t, chatService) + `]}`
	rep, _ := checkJSON(t, list, "-")
	svc := find(t, rep, "Service", "chat")
	if svc.Item == nil || *svc.Item != 1 {
		t.Errorf("item = %v, want 1", svc.Item)
	}
	if svc.Changes[0].Path != "/spec/sessionAffinity" {
		t.Errorf("change paths are relative to the object, not the List: %s", svc.Changes[0].Path)
	}
	if res := runCommand(t, "check", list, "-"); !strings.Contains(res.stdout, "<stdin>:1: document 1, items[1]: Service chat") {
		t.Errorf("text:\n%s", res.stdout)
	}
}

// jsonOf converts a YAML manifest to JSON.
func jsonOf(t *testing.T, manifest string) string {
	t.Helper()
	b, err := yaml.YAMLToJSON([]byte(manifest))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCheckExplain: --explain reports objects that are not WebSocket too, with why not and the
// weak hints that they might be.
func TestCheckExplain(t *testing.T) {
	in := `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: chat
  annotations: {nginx.ingress.kubernetes.io/proxy-read-timeout: "3600"}
spec:
  ingressClassName: nginx
  rules:
  - http:
      paths:
      - {path: /socket.io, pathType: Prefix, backend: {service: {name: chat, port: {number: 80}}}}
`
	var stdout, stderr bytes.Buffer
	if code := Check([]string{"--explain", "-f", "-", "-n", "demo", "--color", "never"}, strings.NewReader(in), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{
		"why       not WebSocket",
		"hint      spec.rules[0].http.paths[0].path: routes /socket.io",
		`to confirm, annotate the Service it routes to with wsguard.io/websocket: "true"`,
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
	stdout.Reset()
	Check([]string{"-f", "-", "-n", "demo"}, strings.NewReader(in), &stdout, &stderr)
	if strings.Contains(stdout.String(), "hint") {
		t.Errorf("hints without --explain:\n%s", stdout.String())
	}
}
