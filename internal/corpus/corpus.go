// Package corpus reads testdata/corpus/: published manifests of real WebSocket applications and
// expected.yaml, what wsguard must recognise in each. The CLI's and the webhook's tests both hold
// the same expectations.
package corpus

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// Expectation is what wsguard must make of one manifest applied unchanged into an opted-in
// namespace.
type Expectation struct {
	// WebSocket lists "Kind/name" of the objects recognised as WebSocket; every other object
	// wsguard judges is left alone.
	WebSocket []string `json:"websocket,omitempty"`
	// Note says why a WebSocket application is not, or only partly, recognised.
	Note string `json:"note,omitempty"`
	// AdmissionMisses lists objects of WebSocket that do not come back defaulted when the file is
	// applied through the webhook in its own order: an object admitted before the related object
	// that identifies it (a Service before the Deployment whose image is a known application), or
	// one whose only default the API server had already set before admission (a pod template's
	// terminationGracePeriodSeconds of 30). wsguard check, which sees the whole file as written,
	// defaults them.
	AdmissionMisses []string `json:"admissionMisses,omitempty"`
	// NotWebSocket marks a manifest whose application serves no WebSockets as published.
	NotWebSocket bool `json:"notWebSocket,omitempty"`
}

// Load reads dir/expected.yaml and checks that it has exactly one entry per manifest of dir: a
// .yaml file, or a subdirectory holding the files of one application that publishes its objects
// in several files (judged, and applied, together).
func Load(dir string) (map[string]Expectation, error) {
	data, err := os.ReadFile(filepath.Join(dir, "expected.yaml"))
	if err != nil {
		return nil, err
	}
	var want map[string]Expectation
	if err := yaml.UnmarshalStrict(data, &want); err != nil {
		return nil, fmt.Errorf("%s/expected.yaml: %w", dir, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		name := e.Name()
		if name == "expected.yaml" || !e.IsDir() && filepath.Ext(name) != ".yaml" {
			continue
		}
		names = append(names, name)
		if _, ok := want[name]; !ok {
			return nil, fmt.Errorf("%s has no entry in expected.yaml", name)
		}
	}
	for name := range want {
		if !slices.Contains(names, name) {
			return nil, fmt.Errorf("expected.yaml names %s, which is not in %s", name, dir)
		}
	}
	for name, e := range want {
		slices.Sort(e.WebSocket)
		want[name] = e
	}
	return want, nil
}

// Files returns the manifest files of a corpus entry: the file itself, or the .yaml files of the
// directory in lexical order (the order kubectl applies them in).
func Files(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".yaml") {
			files = append(files, filepath.Join(path, e.Name()))
		}
	}
	return files, nil
}
