package defaults

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

// BenchmarkEvaluate measures the engine alone on the objects of examples/, the manifests the
// guide and the end-to-end suite treat as typical. The handler benchmarks in webhooks/ add
// decoding, the patch and the AdmissionReview around the same objects; docs/benchmarks.md
// reads the two together. Run with `make bench` or
// `go test ./defaults/ -run '^$' -bench Evaluate -benchmem`.
func BenchmarkEvaluate(b *testing.B) {
	ingressClass := benchTyped[networkingv1.IngressClass](b, benchExample(b, "ingressclass-nginx.yaml"))
	wsService := benchTyped[corev1.Service](b, benchExample(b, "service.yaml"))
	ns := namespace(nil)
	ns.Labels = map[string]string{LabelInject: InjectEnabled}
	facts := Facts{
		Namespace: ns,
		// A namespace rarely holds only the WebSocket Service: two ordinary ones make the
		// detectors look past non-matching Services, as they must in a real namespace.
		Services:       ptrs(*wsService, benchPlainService("api"), benchPlainService("metrics")),
		IngressClasses: ptrs(*ingressClass),
	}
	cases := []struct {
		name string
		obj  *unstructured.Unstructured
		// webSocket is what the engine must conclude; checked once before timing, so that a
		// fixture that stopped being (or started being) WebSocket cannot quietly change what
		// the figure measures.
		webSocket bool
	}{
		{"deployment", benchExample(b, "deployment.yaml"), true},
		{"service", benchExample(b, "service.yaml"), true},
		{"ingress", benchExample(b, "ingress-nginx.yaml"), true},
		{"not-websocket", benchNotWebSocket(b), false},
	}
	policy := DefaultPolicy()
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			if res := Evaluate(c.obj, policy, facts); res.WebSocket != c.webSocket {
				b.Fatalf("WebSocket = %v, want %v", res.WebSocket, c.webSocket)
			}
			b.ReportAllocs()
			start := benchCPUTime(b)
			for b.Loop() {
				Evaluate(c.obj, policy, facts)
			}
			b.ReportMetric(float64(benchCPUTime(b)-start)/float64(b.N), "cpu-ns/op")
		})
	}
}

// benchCPUTime is the CPU time (user and system, every thread, the garbage collector's too)
// the benchmark process has used. Reported per op next to the wall time, it depends far less
// on what else the machine runs: on a shared machine, ns/op also counts the time the benchmark
// waited for a core.
func benchCPUTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchExample reads a manifest of examples/ into an unstructured object, decoded from JSON
// the way the webhook decodes one (integers stay int64), in the namespace "demo".
func benchExample(b *testing.B, name string) *unstructured.Unstructured {
	b.Helper()
	data, err := os.ReadFile(filepath.Join("..", "examples", name))
	if err != nil {
		b.Fatal(err)
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		b.Fatalf("%s: %v", name, err)
	}
	var m map[string]any
	if err := utiljson.Unmarshal(js, &m); err != nil {
		b.Fatalf("%s: %v", name, err)
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetNamespace("demo")
	return u
}

// benchTyped converts an unstructured object into its Go type, the form Facts carry.
func benchTyped[T any](b *testing.B, u *unstructured.Unstructured) *T {
	b.Helper()
	out := new(T)
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, out); err != nil {
		b.Fatal(err)
	}
	return out
}

// benchPlainService is an ordinary HTTP Service that selects other pods than the example's.
func benchPlainService(name string) corev1.Service {
	svc := corev1.Service{}
	svc.Name, svc.Namespace = name, "demo"
	svc.Spec.Selector = map[string]string{"app": name}
	svc.Spec.Ports = []corev1.ServicePort{{Name: "http", Port: 80}}
	return svc
}

// benchNotWebSocket is the example Deployment turned into an ordinary HTTP server: its port is
// named "http" and no WebSocket Service selects its pods. This is the cheap path most objects
// of an opted-in namespace take.
func benchNotWebSocket(b *testing.B) *unstructured.Unstructured {
	b.Helper()
	d := benchTyped[appsv1.Deployment](b, benchExample(b, "deployment.yaml"))
	labels := map[string]string{"app": "api"}
	d.Name, d.Labels = "api", labels
	d.Spec.Selector.MatchLabels, d.Spec.Template.Labels = labels, labels
	d.Spec.Template.Spec.Containers[0].Ports[0].Name = "http"
	d.Spec.Template.Spec.Containers[0].ReadinessProbe.HTTPGet.Port.StrVal = "http"
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(d)
	if err != nil {
		b.Fatal(err)
	}
	return &unstructured.Unstructured{Object: m}
}
