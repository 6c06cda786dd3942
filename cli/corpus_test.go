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
	"github.com/wsguard/wsguard/internal/corpus"
)

// TestCorpusRecognition runs wsguard check on each published manifest of testdata/corpus as a
// user would, with every namespace it names opted in, and holds testdata/corpus/expected.yaml.
func TestCorpusRecognition(t *testing.T) {
	want, err := corpus.Load("../testdata/corpus")
	if err != nil {
		t.Fatal(err)
	}
	for name, exp := range want {
		t.Run(name, func(t *testing.T) {
			if got := recognised(t, filepath.Join("../testdata/corpus", name), false); !slices.Equal(got, exp.WebSocket) {
				t.Errorf("recognised %q, want %q", got, exp.WebSocket)
			}
		})
	}
}

// TestCorpusNamespaceDeclaration: in a namespace that declares its HTTP Services WebSocket,
// something is recognised in every manifest of a WebSocket application.
func TestCorpusNamespaceDeclaration(t *testing.T) {
	want, err := corpus.Load("../testdata/corpus")
	if err != nil {
		t.Fatal(err)
	}
	for name, exp := range want {
		if exp.NotWebSocket {
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
// file (or the files of a directory, checked together), with every namespace the file uses opted in (and, when declare is set, annotated
// wsguard.io/websocket: "true").
func recognised(t *testing.T, file string, declare bool) []string {
	t.Helper()
	files, err := corpus.Files(file)
	if err != nil {
		t.Fatal(err)
	}
	var data []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		data = append(data, b...)
		data = append(data, '\n')
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
