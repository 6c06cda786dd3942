package testsupport

import (
	"bytes"
	"errors"
	"io"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Decode decodes one YAML or JSON manifest into into (a typed object, a map, an
// unstructured.Unstructured's Object), failing the test when it does not decode.
func Decode(tb TB, manifest string, into any) {
	tb.Helper()
	if err := yaml.Unmarshal([]byte(manifest), into); err != nil {
		tb.Fatalf("decoding %.200s: %v", manifest, err)
	}
}

// Object decodes one YAML or JSON manifest into an unstructured object, failing the test when
// it does not decode.
func Object(tb TB, manifest string) *unstructured.Unstructured {
	tb.Helper()
	obj := &unstructured.Unstructured{}
	Decode(tb, manifest, &obj.Object)
	return obj
}

// Objects decodes a YAML or JSON stream with apimachinery's decoder, as kubectl reads one:
// each document with a kind is an object; documents without one (comments only, or YAML that
// is not a Kubernetes object, such as CI configuration) are left out. It stands apart from
// package manifest, which the tests that call it hold to kubectl's reading.
func Objects(data []byte) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var m map[string]any
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return nil, err
		}
		if m != nil && m["kind"] != nil {
			out = append(out, &unstructured.Unstructured{Object: m})
		}
	}
}
