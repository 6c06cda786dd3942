package install

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// The chart as users install it, and the values files of its optional features (ci/, the
// chart-testing convention).
const chartDir = "charts/wsguard"

func chartValuesFiles() ([]string, error) {
	return filepath.Glob(filepath.Join(root, chartDir, "ci", "*-values.yaml"))
}

// helmTemplate renders the chart as release wsguard would be installed into namespace.
func helmTemplate(release, namespace string, args ...string) (string, error) {
	out, _, err := helm(append([]string{"template", release, chartDir, "--namespace", namespace}, args...)...)
	return out, err
}

// kustomize renders a kustomization with the kustomize built into kubectl, as
// `kubectl kustomize config/default` does.
func kustomize(dir string) (string, error) {
	out, _, err := kubectl("kustomize", dir)
	return out, err
}

// kustomizeCopy copies config/ to a temporary folder and edits config/default the way its
// comments tell users to: another namespace, and the optional parts uncommented when all is
// true. It returns the copy's config/default.
func kustomizeCopy(namespace string, all bool) (string, error) {
	dest := filepath.Join(tempDir(), "config")
	if err := os.CopyFS(dest, os.DirFS(filepath.Join(root, "config"))); err != nil {
		return "", err
	}
	path := filepath.Join(dest, "default", "kustomization.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	text := strings.Replace(string(data), "\nnamespace: wsguard-system\n", "\nnamespace: "+namespace+"\n", 1)
	if all {
		text = regexp.MustCompile(`(?m)^  #- \.\./`).ReplaceAllString(text, "  - ../")
	}
	if text == string(data) {
		return "", errors.New("config/default/kustomization.yaml no longer has the namespace line or the commented parts this test edits")
	}
	return filepath.Dir(path), os.WriteFile(path, []byte(text), 0o644)
}

// decodeObjects splits a multi-document manifest into objects, skipping empty documents.
func decodeObjects(manifest string) ([]*unstructured.Unstructured, error) {
	decoder := utilyaml.NewYAMLOrJSONDecoder(bytes.NewBufferString(manifest), 4096)
	var objects []*unstructured.Unstructured
	for {
		obj := &unstructured.Unstructured{}
		err := decoder.Decode(&obj.Object)
		if errors.Is(err, io.EOF) {
			return objects, nil
		}
		if err != nil {
			return nil, err
		}
		if len(obj.Object) > 0 {
			objects = append(objects, obj)
		}
	}
}

// writeTemp writes data to a new file in the spec's temporary folder.
func writeTemp(name, data string) (string, error) {
	path := filepath.Join(tempDir(), name)
	return path, os.WriteFile(path, []byte(data), 0o600)
}
