package cli_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wsguard/wsguard/cli"
)

// corpus says, for each published manifest in testdata/corpus/ (each cites its source), which
// objects wsguard must recognise as WebSocket when the file is applied unchanged into an
// opted-in namespace; every other object it judges must be left alone. Files of WebSocket
// applications that wsguard does not recognise are listed with no objects and a note: they
// are the measure of what detection still misses (docs/recognition.md), not failures.
var corpus = map[string]struct {
	websocket []string // "Kind/name" of the objects recognised as WebSocket
	note      string   // why a WebSocket application is not (or only partly) recognised
	notWS     bool     // the application does not use WebSockets in this manifest
}{
	"apache-zeppelin.yaml":            {note: "Apache Zeppelin is not in the catalog of known applications"},
	"appsmith.yaml":                   {note: "a StatefulSet, and Appsmith is not in the catalog"},
	"argo-cd.yaml":                    {websocket: []string{"Deployment/argocd-server"}},
	"example-voting-app-result.yaml":  {notWS: true},
	"hasura.yaml":                     {websocket: []string{"Deployment/hasura"}},
	"istio-websockets-tornado.yaml":   {note: "an example image; its port is named http"},
	"jitsi-meet.yaml":                 {websocket: []string{"Deployment/jitsi"}},
	"jupyter-enterprise-gateway.yaml": {note: "its namespace is its own (enterprise-gateway) and the gateway image is not in the catalog"},
	"kubebox.yaml":                    {note: "Kubebox is not in the catalog"},
	"kubernetes-dashboard.yaml":       {note: "Kubernetes Dashboard is not in the catalog"},
	"n8n.yaml":                        {websocket: []string{"Deployment/n8n"}},
	"node-red.yaml":                   {websocket: []string{"Deployment/nodered-deployment", "Service/nodered-service"}},
	"podinfo.yaml":                    {note: "podinfo is not in the catalog"},
	"portainer.yaml":                  {websocket: []string{"Deployment/portainer", "Service/portainer"}},
	"selenium-grid.yaml":              {websocket: []string{"Deployment/selenium-hub"}},
	"tekton-dashboard.yaml":           {note: "a nightly image (gcr.io/tekton-nightly/dashboard) the catalog does not list"},
	"thingsboard.yaml":                {note: "a StatefulSet, and ThingsBoard is not in the catalog"},
	"traefik-whoami.yaml":             {note: "whoami is a test server; not in the catalog"},
	"uptime-kuma.yaml":                {websocket: []string{"Deployment/uptime-kuma"}},
	"weave-scope.yaml":                {note: "Weave Scope is not in the catalog"},
}

// TestCorpusRecognition runs wsguard check on each published manifest as a user would, with
// every namespace it names opted in, and holds the table above.
func TestCorpusRecognition(t *testing.T) {
	files, err := filepath.Glob("../testdata/corpus/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	for _, file := range files {
		name := filepath.Base(file)
		want, ok := corpus[name]
		if !ok {
			t.Errorf("%s has no row in the corpus table", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			got := recognised(t, file, false)
			if !slices.Equal(got, sorted(want.websocket)) {
				t.Errorf("recognised %q, want %q", got, sorted(want.websocket))
			}
		})
	}
	for name := range corpus {
		if _, err := os.Stat(filepath.Join("../testdata/corpus", name)); err != nil {
			t.Errorf("the corpus table names %s, which is not in testdata/corpus", name)
		}
	}
}

// TestCorpusNamespaceDeclaration: in a namespace that declares its HTTP Services WebSocket,
// every WebSocket application of the corpus that has a Service is recognised, and the manifest
// that serves no WebSockets is recognised too (the declaration is the namespace owner's word).
func TestCorpusNamespaceDeclaration(t *testing.T) {
	for name, want := range corpus {
		if want.notWS {
			continue
		}
		t.Run(name, func(t *testing.T) {
			if got := recognised(t, filepath.Join("../testdata/corpus", name), true); len(got) == 0 {
				t.Errorf("nothing recognised in a namespace annotated wsguard.io/websocket: \"true\"")
			}
		})
	}
}

// recognised returns "Kind/name" of the objects wsguard check recognises as WebSocket in a
// file, with every namespace the file uses opted in (and, when declare is set, annotated
// wsguard.io/websocket: "true").
func recognised(t *testing.T, file string, declare bool) []string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// The namespaces of the file, opted in the way an administrator would label them: given
	// after the file, so that they win over a Namespace object the file itself carries.
	namespaces := []string{"corpus"}
	for _, line := range strings.Split(string(data), "\n") {
		if ns, ok := strings.CutPrefix(strings.TrimSpace(line), "namespace: "); ok {
			namespaces = append(namespaces, strings.Trim(ns, `"'`))
		}
	}
	var extra strings.Builder
	for _, ns := range namespaces {
		extra.WriteString("---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + ns + "\n  labels: {wsguard.io/inject: enabled}\n")
		if declare {
			extra.WriteString("  annotations: {wsguard.io/websocket: \"true\"}\n")
		}
	}
	nsFile := filepath.Join(t.TempDir(), "namespaces.yaml")
	if err := os.WriteFile(nsFile, []byte(extra.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := cli.Check([]string{"-o", "json", "-n", "corpus", "-f", file, "-f", nsFile}, nil, &stdout, &stderr)
	if code > 1 {
		t.Fatalf("wsguard check exited %d: %s", code, stderr.String())
	}
	var rep cli.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, stdout.String())
	}
	var got []string
	for _, o := range rep.Objects {
		if o.WebSocket {
			if o.Reason == nil || o.Reason.Detail == "" {
				t.Errorf("%s/%s is WebSocket without a reason", o.Kind, o.Name)
			}
			got = append(got, o.Kind+"/"+o.Name)
		}
	}
	return sorted(got)
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
