// Package corpus reads testdata/corpus/: published manifests of real WebSocket applications and
// expected.yaml, what wsguard must recognise in each. The CLI's and the webhook's tests both hold
// the same expectations.
package corpus

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

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

// Load reads dir/expected.yaml and checks that it has exactly one entry per manifest of dir.
func Load(dir string) (map[string]Expectation, error) {
	data, err := os.ReadFile(filepath.Join(dir, "expected.yaml"))
	if err != nil {
		return nil, err
	}
	var want map[string]Expectation
	if err := yaml.UnmarshalStrict(data, &want); err != nil {
		return nil, fmt.Errorf("%s/expected.yaml: %w", dir, err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, f := range files {
		if name := filepath.Base(f); name != "expected.yaml" {
			names = append(names, name)
			if _, ok := want[name]; !ok {
				return nil, fmt.Errorf("%s has no entry in expected.yaml", name)
			}
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
