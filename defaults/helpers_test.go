package defaults

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func namespace(annotations map[string]string) *corev1.Namespace {
	ns := &corev1.Namespace{}
	ns.Name = "demo"
	ns.Annotations = annotations
	return ns
}

// replaceOnce edits a test manifest and panics when the text to replace is not there, so that
// a row never silently tests the unedited manifest.
func replaceOnce(s, old, new string) string {
	if !strings.Contains(s, old) {
		panic("test manifest has no " + old)
	}
	return strings.Replace(s, old, new, 1)
}

func unstructuredField(obj map[string]any, path ...string) (any, bool, error) {
	return unstructured.NestedFieldNoCopy(obj, path...)
}

func unstructuredString(obj map[string]any, path ...string) (string, bool, error) {
	return unstructured.NestedString(obj, path...)
}
