package defaults

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

func unstructuredString(obj map[string]any, path ...string) (string, bool, error) {
	return unstructured.NestedString(obj, path...)
}

// annotated adds annotations (YAML lines "key: value") to a test manifest that carries the
// placeholder annotation "team: chat".
func annotated(manifest string, lines ...string) string {
	extra := ""
	for _, l := range lines {
		extra += "    " + l + "\n"
	}
	return replaceOnce(manifest, "    team: chat\n", "    team: chat\n"+extra)
}

// ingressClass builds an IngressClass for Facts, marked as the default class when isDefault.
func ingressClass(name, controller string, isDefault bool) networkingv1.IngressClass {
	ic := networkingv1.IngressClass{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       networkingv1.IngressClassSpec{Controller: controller},
	}
	if isDefault {
		ic.Annotations = map[string]string{annotationDefaultIngressClass: "true"}
	}
	return ic
}

// settledService is a WebSocket Service whose other settings are already what the Service rules
// want, so that rows of controller-specific Service rules show only what those rules report.
const settledService = `
apiVersion: v1
kind: Service
metadata:
  name: chat
  namespace: demo
  annotations:
    team: chat
spec:
  selector: {app: chat}
  sessionAffinity: ClientIP
  ports:
  - {name: ws, port: 80, targetPort: 8080, appProtocol: kubernetes.io/ws}
`

// ptrs returns pointers to copies of values, for the fact lists (Facts holds pointers into the
// webhook's cache).
func ptrs[T any](values ...T) []*T {
	out := make([]*T, len(values))
	for i := range values {
		out[i] = &values[i]
	}
	return out
}
