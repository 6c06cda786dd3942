package install

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// Each rendering is applied for real, with server-side apply and strict field validation, to
// an API server that serves cert-manager's and the prometheus-operator's real CRDs: an unknown
// or misplaced field is an error, not a silently pruned line. cert-manager's controllers run
// meanwhile, so Issuers and Certificates are also processed.
var _ = Describe("every rendering, applied to the API server", func() {
	DescribeTable("is accepted and stored as rendered",
		func(namespace string, render func(namespace string) (string, error)) {
			manifest, err := render(namespace)
			Expect(err).NotTo(HaveOccurred())
			objects, err := decodeObjects(manifest)
			Expect(err).NotTo(HaveOccurred())
			Expect(objects).NotTo(BeEmpty())
			Expect(ensureNamespace(namespace, nil)).To(Succeed())
			path, err := writeTemp("rendered.yaml", manifest)
			Expect(err).NotTo(HaveOccurred())

			// The renderings' webhook configurations point at Services with no pods behind
			// them; they must not outlive this spec and intercept later ones.
			DeferCleanup(func() {
				_, _, err := kubectl("delete", "--filename", path, "--ignore-not-found", "--wait=false")
				Expect(err).NotTo(HaveOccurred())
			})
			_, stderr, err := kubectl("apply", "--server-side", "--field-manager=wsguard-e2e", "--validate=strict", "--filename", path)
			Expect(err).NotTo(HaveOccurred())
			Expect(stderr).NotTo(ContainSubstring("unknown field"))

			for _, want := range objects {
				got := &unstructured.Unstructured{}
				got.SetGroupVersionKind(want.GroupVersionKind())
				Expect(k8s.Get(context.Background(), client.ObjectKeyFromObject(want), got)).To(Succeed(), describe(want))
				Expect(missingFields(want.Object, got.Object, "")).To(BeEmpty(), "%s was not stored as rendered", describe(want))
			}
		},
		Entry("the chart's defaults", "render-chart-defaults", func(ns string) (string, error) {
			return helmTemplate("defaults", ns)
		}),
		Entry("the chart with every optional feature (ci/all-features-values.yaml)", "render-chart-all", func(ns string) (string, error) {
			return helmTemplate("all", ns, "--values", filepath.Join(chartDir, "ci", "all-features-values.yaml"))
		}),
		Entry("the chart with an existing Secret and caBundle instead of cert-manager", "render-chart-secret", func(ns string) (string, error) {
			return helmTemplate("secret", ns, "--values", filepath.Join(chartDir, "ci", "existing-secret-values.yaml"))
		}),
		Entry("the chart with an existing ClusterIssuer", "render-chart-issuer", func(ns string) (string, error) {
			return helmTemplate("issuer", ns, "--values", filepath.Join(chartDir, "ci", "issuer-ref-values.yaml"))
		}),
		Entry("config/default moved to another namespace, every optional part enabled", "render-kustomize", func(ns string) (string, error) {
			dir, err := kustomizeCopy(ns, true)
			if err != nil {
				return "", err
			}
			manifest, err := kustomize(dir)
			if err != nil {
				return "", err
			}
			if strings.Contains(manifest, "wsguard-system") {
				return "", fmt.Errorf("the namespace was not carried everywhere: wsguard-system is still in\n%s", manifest)
			}
			return renameClusterScoped(manifest, ns+"-")
		}),
	)
})

// renameClusterScoped prefixes the names of the cluster-scoped objects config/ makes (and the
// ClusterRoleBinding's reference), so that they do not collide with the Helm release that
// other specs install under the same names.
func renameClusterScoped(manifest, prefix string) (string, error) {
	objects, err := decodeObjects(manifest)
	if err != nil {
		return "", err
	}
	var out strings.Builder
	for _, obj := range objects {
		switch obj.GetKind() {
		case "ClusterRole", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration":
			obj.SetName(prefix + obj.GetName())
		case "ClusterRoleBinding":
			obj.SetName(prefix + obj.GetName())
			role, _, _ := unstructured.NestedString(obj.Object, "roleRef", "name")
			if err := unstructured.SetNestedField(obj.Object, prefix+role, "roleRef", "name"); err != nil {
				return "", err
			}
		}
		data, err := yaml.Marshal(obj.Object)
		if err != nil {
			return "", err
		}
		out.WriteString("---\n")
		out.Write(data)
	}
	return out.String(), nil
}

// ensureNamespace creates a namespace with the given labels unless it exists.
func ensureNamespace(name string, labels map[string]string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	if err := k8s.Create(context.Background(), ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return nil
}

// missingFields lists the fields of want that got lacks or holds differently; fields only got
// has (defaults, status) are fine.
func missingFields(want, got any, path string) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want an object, got %v", path, got)}
		}
		var missing []string
		for k, v := range w {
			missing = append(missing, missingFields(v, g[k], path+"."+k)...)
		}
		return missing
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: want %v, got %v", path, w, got)}
		}
		var missing []string
		for i := range w {
			missing = append(missing, missingFields(w[i], g[i], fmt.Sprintf("%s[%d]", path, i))...)
		}
		return missing
	default:
		// Compared as text: YAML numbers decode as int64 or float64, the API server's as int64.
		if fmt.Sprint(want) != fmt.Sprint(got) {
			return []string{fmt.Sprintf("%s: want %v, got %v", path, want, got)}
		}
		return nil
	}
}

func describe(obj client.Object) string {
	kind := obj.GetObjectKind().GroupVersionKind().Kind
	if obj.GetNamespace() == "" {
		return kind + " " + obj.GetName()
	}
	return kind + " " + obj.GetNamespace() + "/" + obj.GetName()
}
