package install

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/google/go-cmp/cmp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// config/ and the chart are two ways to install the same thing: their renderings must hold the
// same objects with the same content, apart from what each tool adds by itself.
var _ = Describe("config/default and the chart", func() {
	It("render the same install with the chart's defaults", func() {
		chart, err := helmTemplate("wsguard", "wsguard-system")
		Expect(err).NotTo(HaveOccurred())
		kust, err := kustomize("config/default")
		Expect(err).NotTo(HaveOccurred())
		expectSameInstall(kust, chart)
	})

	It("render the same install with the optional parts on", func() {
		chart, err := helmTemplate("wsguard", "wsguard-system", "--set",
			"metrics.serviceMonitor.enabled=true,metrics.dashboard.enabled=true,networkPolicy.enabled=true,reports.installCRD=true")
		Expect(err).NotTo(HaveOccurred())
		dir, err := kustomizeCopy("wsguard-system", true)
		Expect(err).NotTo(HaveOccurred())
		kust, err := kustomize(dir)
		Expect(err).NotTo(HaveOccurred())
		expectSameInstall(kust, chart)
	})
})

func expectSameInstall(kustomized, charted string) {
	GinkgoHelper()
	k, err := normalized(kustomized)
	Expect(err).NotTo(HaveOccurred())
	c, err := normalized(charted)
	Expect(err).NotTo(HaveOccurred())
	// kustomize creates the namespace; `helm install --create-namespace` does it for Helm.
	delete(k, "Namespace//wsguard-system")
	Expect(keys(k)).To(ConsistOf(keys(c)), "the two installs have different objects")
	for key, obj := range c {
		Expect(cmp.Diff(obj, k[key])).To(BeEmpty(), "%s differs (-chart +config)", key)
	}
}

// Labels that name the tool and its version (each writes its own), and the pod annotation Helm
// rolls pods with (kustomize rolls them by the ConfigMap's hashed name instead).
var (
	toolLabels         = []string{"helm.sh/chart", "app.kubernetes.io/version", "app.kubernetes.io/managed-by"}
	configMapHash      = regexp.MustCompile(`^(wsguard-config)-[a-z0-9]{10}$`)
	checksumAnnotation = "checksum/config"
)

// normalized decodes a rendering into objects keyed by kind/namespace/name, with what differs
// by tool removed and file contents parsed, so that formatting and comments do not count.
func normalized(manifest string) (map[string]map[string]any, error) {
	objects, err := decodeObjects(manifest)
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]any{}
	for _, obj := range objects {
		labels := obj.GetLabels()
		for _, l := range toolLabels {
			delete(labels, l)
		}
		obj.SetLabels(labels)
		if m := configMapHash.FindStringSubmatch(obj.GetName()); m != nil {
			obj.SetName(m[1])
		}
		switch obj.GetKind() {
		case "Deployment":
			unstructured.RemoveNestedField(obj.Object, "spec", "template", "metadata", "annotations", checksumAnnotation)
			if a, _, _ := unstructured.NestedMap(obj.Object, "spec", "template", "metadata", "annotations"); len(a) == 0 {
				unstructured.RemoveNestedField(obj.Object, "spec", "template", "metadata", "annotations")
			}
			volumes, _, _ := unstructured.NestedSlice(obj.Object, "spec", "template", "spec", "volumes")
			for _, v := range volumes {
				cm, ok := v.(map[string]any)["configMap"].(map[string]any)
				if m := configMapHash.FindStringSubmatch(str(cm["name"])); ok && m != nil {
					cm["name"] = m[1]
				}
			}
			_ = unstructured.SetNestedSlice(obj.Object, volumes, "spec", "template", "spec", "volumes")
		case "ConfigMap":
			data, _, _ := unstructured.NestedStringMap(obj.Object, "data")
			parsed := map[string]any{}
			for key, text := range data {
				var v any
				if strings.HasSuffix(key, ".json") {
					err = json.Unmarshal([]byte(text), &v)
				} else {
					err = yaml.Unmarshal([]byte(text), &v)
				}
				if err != nil {
					return nil, err
				}
				parsed[key] = v
			}
			obj.Object["data"] = parsed
		}
		out[obj.GetKind()+"/"+obj.GetNamespace()+"/"+obj.GetName()] = roundTrip(obj.Object)
	}
	return out, nil
}

// roundTrip normalises numbers (YAML decodes int64 or float64) through JSON.
func roundTrip(obj map[string]any) map[string]any {
	data, err := json.Marshal(obj)
	Expect(err).NotTo(HaveOccurred())
	var out map[string]any
	Expect(json.Unmarshal(data, &out)).To(Succeed())
	return out
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
