package webhooks

import (
	"bufio"
	"os"
	"path"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// projectFile is the part of kubebuilder's PROJECT file (config version 3) that wsguard's
// holds. Decoding is strict: a field kubebuilder would ignore because it is misspelt fails the
// test instead.
type projectFile struct {
	Domain      string            `json:"domain"`
	Layout      []string          `json:"layout,omitempty"`
	ProjectName string            `json:"projectName"`
	Repo        string            `json:"repo"`
	Resources   []projectResource `json:"resources"`
	Version     string            `json:"version"`
}

type projectResource struct {
	Core     bool   `json:"core,omitempty"`
	External bool   `json:"external,omitempty"`
	Domain   string `json:"domain,omitempty"`
	Group    string `json:"group"`
	Kind     string `json:"kind"`
	Path     string `json:"path"`
	Plural   string `json:"plural"`
	Version  string `json:"version"`
	Webhooks struct {
		Defaulting     bool   `json:"defaulting"`
		DefaultingPath string `json:"defaultingPath"`
		Validation     bool   `json:"validation"`
		ValidationPath string `json:"validationPath"`
		WebhookVersion string `json:"webhookVersion"`
	} `json:"webhooks"`
}

// apiGroup is the resource's API group as Kubernetes spells it: kubebuilder splits it into a
// group and a domain, and calls the empty core group "core".
func (r projectResource) apiGroup() string {
	switch {
	case r.Group == "core" && r.Domain == "":
		return ""
	case r.Domain == "":
		return r.Group
	}
	return r.Group + "." + r.Domain
}

// TestProjectFileListsTheServedKinds: PROJECT lists exactly the kinds of ServedKinds, each
// once, at its first served version, with the resource name and the webhook paths it is
// served at; built-in kinds as kubebuilder records them (core, their k8s.io/api package),
// the others as external types. It claims no kubebuilder layout: nothing here is scaffolded.
func TestProjectFileListsTheServedKinds(t *testing.T) {
	data, err := os.ReadFile("../PROJECT")
	if err != nil {
		t.Fatal(err)
	}
	var p projectFile
	if err := yaml.UnmarshalStrict(data, &p); err != nil {
		t.Fatalf("PROJECT: %v", err)
	}
	if p.Version != "3" || p.Domain != "wsguard.io" || p.ProjectName != "wsguard" || p.Repo != modulePath(t) {
		t.Errorf("PROJECT: version %q, domain %q, projectName %q, repo %q", p.Version, p.Domain, p.ProjectName, p.Repo)
	}
	if len(p.Layout) > 0 {
		t.Errorf("PROJECT claims the layout %v, but no kubebuilder plugin scaffolds wsguard (see its header)", p.Layout)
	}

	served := map[string]servedKind{}
	for _, k := range ServedKinds() {
		served[k.GroupKind.String()] = k
	}
	listed := map[string]bool{}
	for _, r := range p.Resources {
		key := r.Kind + "." + r.apiGroup()
		if r.apiGroup() == "" {
			key = r.Kind
		}
		if listed[key] {
			t.Errorf("PROJECT lists %s twice", key)
		}
		listed[key] = true
		k, ok := served[key]
		if !ok {
			t.Errorf("PROJECT lists %s, which wsguard does not serve", key)
			continue
		}
		if r.Version != k.Versions[0] || r.Plural != k.Resource {
			t.Errorf("PROJECT lists %s as %s %s, served as %s %s", key, r.Plural, r.Version, k.Resource, k.Versions[0])
		}
		w := r.Webhooks
		if !w.Defaulting || !w.Validation || w.WebhookVersion != "v1" || w.DefaultingPath != k.MutatePath() || w.ValidationPath != k.ValidatePath() {
			t.Errorf("PROJECT's webhooks for %s are %+v; served at %s and %s", key, w, k.MutatePath(), k.ValidatePath())
		}
		builtin := strings.HasPrefix(r.Path, "k8s.io/api/")
		if r.Core != builtin || r.External == builtin {
			t.Errorf("PROJECT's %s: core %v, external %v, for types in %s", key, r.Core, r.External, r.Path)
		}
		if builtin && r.Path != path.Join("k8s.io/api", r.Group, r.Version) || path.Base(r.Path) != r.Version {
			t.Errorf("PROJECT's %s: path %s does not hold its %s types", key, r.Path, r.Version)
		}
	}
	for key := range served {
		if !listed[key] {
			t.Errorf("wsguard serves %s, which PROJECT does not list", key)
		}
	}
}

// modulePath reads the module path from go.mod.
func modulePath(t *testing.T) string {
	t.Helper()
	f, err := os.Open("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if mod, ok := strings.CutPrefix(sc.Text(), "module "); ok {
			return strings.TrimSpace(mod)
		}
	}
	t.Fatal("go.mod names no module")
	return ""
}
