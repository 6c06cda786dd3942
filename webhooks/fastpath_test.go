package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/wsguard/wsguard/defaults"
)

// TestTypedPathAnswersAsTheFullPath sends every object of examples/ and testdata/corpus/ to the
// mutating and the validating handler twice, with and without the typed pre-check
// (decodeTyped, defaults.NotWebSocket), and requires the same answer: allowed or denied, the
// patch, the warnings and the status. The facts are the other objects of the same example
// folder or corpus application, in a namespace that opted in, and again in one that declares
// its HTTP Services WebSocket.
func TestTypedPathAnswersAsTheFullPath(t *testing.T) {
	groups := map[string][]*unstructured.Unstructured{}
	for _, root := range []string{filepath.Join("..", "examples"), filepath.Join("..", "testdata", "corpus")} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || filepath.Ext(path) != ".yaml" || d.Name() == "expected.yaml" {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			group := root + "/" + strings.Split(rel, string(filepath.Separator))[0]
			if !strings.Contains(rel, string(filepath.Separator)) {
				group = root + "/" + rel
			}
			groups[group] = append(groups[group], fastPathObjects(t, path)...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	compared, fast := 0, 0
	for group, objs := range groups {
		for _, declared := range []bool{false, true} {
			facts := fastPathFacts(t, objs, declared)
			for _, obj := range objs {
				kind, ok := servedKindOf(obj.GroupVersionKind().GroupKind())
				if !ok {
					continue
				}
				req := fastPathRequest(t, kind, obj)
				for _, mutate := range []bool{true, false} {
					typedPath := &handler{kind: kind, mutate: mutate, policy: defaults.DefaultPolicy(), facts: facts, log: logr.Discard()}
					fullPath := *typedPath
					fullPath.fullPath = true
					got, want := typedPath.Handle(context.Background(), req), fullPath.Handle(context.Background(), req)
					if err := errors.Join(got.Complete(req), want.Complete(req)); err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(got.AdmissionResponse, want.AdmissionResponse) {
						t.Errorf("%s: %s %s (mutate %v, namespace declared %v):\n typed path %s\n full path  %s",
							group, kind.GroupKind.Kind, obj.GetName(), mutate, declared, fastPathJSON(got), fastPathJSON(want))
					}
					compared++
					if decoded, _ := decodeTyped(req, kind.GroupKind); decoded != nil && defaults.NotWebSocket(decoded, defaults.DefaultPolicy(), facts.facts) {
						fast++
					}
				}
			}
		}
	}
	// A corpus that never reached the typed answer would prove nothing about it.
	if compared == 0 || fast == 0 {
		t.Fatalf("compared %d answers, %d of them answered by the typed path", compared, fast)
	}
	t.Logf("compared %d answers, %d of them answered by the typed path", compared, fast)
}

// fixedFacts is a factsSource that knows one namespace and one set of facts.
type fixedFacts struct {
	ns    *corev1.Namespace
	facts defaults.Facts
}

func (f fixedFacts) Namespace(context.Context, string) (*corev1.Namespace, error) {
	return f.ns, nil
}

func (f fixedFacts) Facts(context.Context, *corev1.Namespace, schema.GroupVersionKind) (defaults.Facts, error) {
	return f.facts, nil
}

// fastPathFacts are the facts the webhook's cache would hold with objs stored in an opted-in
// namespace "demo".
func fastPathFacts(t *testing.T, objs []*unstructured.Unstructured, declared bool) fixedFacts {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "demo", Labels: map[string]string{defaults.LabelInject: defaults.InjectEnabled}}}
	if declared {
		ns.Annotations = map[string]string{defaults.AnnotationWebSocket: "true"}
	}
	f := defaults.Facts{Namespace: ns}
	for _, u := range objs {
		switch u.GroupVersionKind().GroupKind() {
		case defaults.KindService:
			f.Services = append(f.Services, fastPathTyped[corev1.Service](t, u))
		case defaults.KindIngress:
			f.Ingresses = append(f.Ingresses, fastPathTyped[networkingv1.Ingress](t, u))
		case defaults.KindDeployment:
			f.Deployments = append(f.Deployments, fastPathTyped[appsv1.Deployment](t, u))
		case defaults.KindStatefulSet:
			f.StatefulSets = append(f.StatefulSets, fastPathTyped[appsv1.StatefulSet](t, u))
		case schema.GroupKind{Group: "networking.k8s.io", Kind: "IngressClass"}:
			f.IngressClasses = append(f.IngressClasses, fastPathTyped[networkingv1.IngressClass](t, u))
		}
	}
	return fixedFacts{ns: ns, facts: f}
}

func fastPathTyped[T any](t *testing.T, u *unstructured.Unstructured) *T {
	var v T
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &v); err != nil {
		t.Fatalf("%s %s: %v", u.GetKind(), u.GetName(), err)
	}
	return &v
}

// fastPathObjects reads the objects of a YAML stream, Lists expanded, each in namespace "demo".
func fastPathObjects(t *testing.T, path string) []*unstructured.Unstructured {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return out
		} else if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if m == nil {
			continue
		}
		u := &unstructured.Unstructured{Object: m}
		if u.IsList() {
			if err := u.EachListItem(func(o runtime.Object) error {
				item := o.(*unstructured.Unstructured)
				item.SetNamespace("demo")
				out = append(out, item)
				return nil
			}); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			continue
		}
		u.SetNamespace("demo")
		out = append(out, u)
	}
}

func servedKindOf(gk schema.GroupKind) (servedKind, bool) {
	for _, k := range ServedKinds() {
		if k.GroupKind == gk {
			return k, true
		}
	}
	return servedKind{}, false
}

// fastPathRequest is a CREATE of obj as the API server sends it.
func fastPathRequest(t *testing.T, kind servedKind, obj *unstructured.Unstructured) admission.Request {
	raw, err := json.Marshal(obj.Object)
	if err != nil {
		t.Fatal(err)
	}
	gvk := obj.GroupVersionKind()
	return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID:       "705ab4f5-6393-11e8-b7cc-42010a800002",
		Kind:      metav1.GroupVersionKind{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind},
		Resource:  metav1.GroupVersionResource{Group: gvk.Group, Version: gvk.Version, Resource: kind.Resource},
		Name:      obj.GetName(),
		Namespace: "demo",
		Operation: admissionv1.Create,
		Object:    runtime.RawExtension{Raw: raw},
	}}
}

func fastPathJSON(r admission.Response) string {
	b, _ := json.Marshal(r.AdmissionResponse)
	return string(b)
}
