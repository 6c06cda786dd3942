package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wsguard/wsguard/internal/testsupport"
)

// Manifests the tests build on; see testsupport for the ones package manifest's tests share.
const (
	chatService    = testsupport.ChatService
	chatDeployment = testsupport.ChatDeployment
	chatIngress    = testsupport.ChatIngress
	configMap      = testsupport.ConfigMap
	// shortGrace is denied: the grace period is shorter than the preStop sleep.
	shortGrace = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: short
spec:
  selector:
    matchLabels: {app: short}
  template:
    metadata:
      labels: {app: short}
    spec:
      terminationGracePeriodSeconds: 10
      containers:
      - name: app
        image: example.com/app:1
        ports:
        - name: ws
          containerPort: 8080
        readinessProbe:
          tcpSocket: {port: 8080}
        lifecycle:
          preStop:
            sleep: {seconds: 20}
`
)

// result is what one run of a command printed and returned.
type result struct {
	code           int
	stdout, stderr string
}

// runCommand runs check or fix the way main.go does.
func runCommand(t *testing.T, command, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	run := Check
	if command == "fix" {
		run = Fix
	}
	code := run(args, strings.NewReader(stdin), &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

// checkJSON runs check -o json and decodes the report.
func checkJSON(t *testing.T, stdin string, args ...string) (Report, result) {
	t.Helper()
	res := runCommand(t, "check", stdin, append([]string{"-o", "json"}, args...)...)
	var rep Report
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
		t.Fatalf("check -o json printed no report (%v); exit %d\nstdout:\n%s\nstderr:\n%s", err, res.code, res.stdout, res.stderr)
	}
	return rep, res
}

// writeTree writes files (path relative to a new temporary folder -> content) and returns the
// folder.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// docs joins manifests into one multi-document YAML stream.
func docs(manifests ...string) string {
	return strings.Join(manifests, "---\n")
}

// find returns the report of the object with the given kind and name.
func find(t *testing.T, rep Report, kind, name string) ObjectReport {
	t.Helper()
	for _, o := range rep.Objects {
		if o.Kind == kind && o.Name == name {
			return o
		}
	}
	t.Fatalf("the report has no %s %s; it has %v", kind, name, names(rep))
	return ObjectReport{}
}

func names(rep Report) []string {
	var out []string
	for _, o := range rep.Objects {
		out = append(out, o.Kind+"/"+o.Name)
	}
	return out
}

// rules lists the rule IDs of an object's changes, in order, without repeats.
func rules(o ObjectReport) []string {
	var out []string
	for _, c := range o.Changes {
		if len(out) == 0 || out[len(out)-1] != c.Rule {
			out = append(out, c.Rule)
		}
	}
	return out
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
