package defaults

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

// FuzzEvaluate feeds arbitrary JSON, as each judged kind, to the engine: it must never panic,
// and whatever it changes must satisfy the contract (the patch reproduces the output, a second
// evaluation changes nothing, defaults add no violation). `make test` runs the seeds; explore
// with: go test ./defaults -run '^$' -fuzz FuzzEvaluate -fuzztime 60s
func FuzzEvaluate(f *testing.F) {
	for _, seed := range fuzzSeeds(f) {
		f.Add(seed)
	}
	kinds := map[string]string{
		"Deployment": "apps/v1", "Service": "v1", "Ingress": "networking.k8s.io/v1",
		"VirtualService": "networking.istio.io/v1", "DestinationRule": "networking.istio.io/v1",
		"Server": "policy.linkerd.io/v1beta3", "HTTPRoute": "gateway.networking.k8s.io/v1",
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var obj map[string]any
		if err := utiljson.Unmarshal(data, &obj); err != nil || obj == nil {
			return
		}
		facts := fuzzFacts(t)
		for kind, apiVersion := range kinds {
			in := &unstructured.Unstructured{Object: runtimeDeepCopy(obj)}
			in.SetAPIVersion(apiVersion)
			in.SetKind(kind)
			checkInvariants(t, in, DefaultPolicy(), facts)
		}
	})
}

// fuzzSeeds are the examples of the repository and the tables' manifests, as JSON.
func fuzzSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	for _, m := range []string{wsDeployment, wsService, virtualService, destinationRule, linkerdServer, httpRoute, settledService} {
		js, err := yaml.YAMLToJSON([]byte(m))
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, js)
	}
	files, _ := filepath.Glob("../examples/*/*.yaml")
	more, _ := filepath.Glob("../examples/*.yaml")
	for _, file := range append(files, more...) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		if js, err := yaml.YAMLToJSON(data); err == nil {
			seeds = append(seeds, js)
		}
	}
	// Shapes the API server would never send but a manifest can hold.
	seeds = append(seeds,
		[]byte(`{"metadata":{"annotations":{"wsguard.io/websocket":"true"}},"spec":{"ports":"oops"}}`),
		[]byte(`{"metadata":{"annotations":{"wsguard.io/websocket":"true"}},"spec":{"template":{"spec":{"containers":[null,{"name":"a"}]}}}}`),
		[]byte(`{"metadata":{"annotations":null},"spec":{"rules":[{"backendRefs":[{"name":"chat"}],"timeouts":null}]}}`),
		[]byte(`{"metadata":{"annotations":{"wsguard.io/websocket":"true","wsguard.io/timeout-seconds":"99999999999999999999"}}}`),
	)
	return seeds
}

func fuzzFacts(t *testing.T) Facts {
	var svc corev1.Service
	js, _ := json.Marshal(object(t, wsService).Object)
	if err := json.Unmarshal(js, &svc); err != nil {
		t.Fatal(err)
	}
	return Facts{Services: ptrs(svc), Namespace: namespaceWithLabels(map[string]string{"istio-injection": "enabled"})}
}

func runtimeDeepCopy(m map[string]any) map[string]any {
	return (&unstructured.Unstructured{Object: m}).DeepCopy().Object
}
