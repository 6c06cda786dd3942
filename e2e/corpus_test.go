package e2e

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/wsguard/wsguard/internal/corpus"
)

// The published manifests of testdata/corpus, applied unchanged with the real kubectl into an
// opted-in namespace through the webhook: the objects testdata/corpus/expected.yaml names come
// back defaulted (wsguard.io/applied-rules), every other Deployment, StatefulSet, DaemonSet,
// Service, Ingress and HTTPProxy comes back untouched. The same expectations hold `wsguard check` (cli/corpus_test.go).
var _ = Describe("corpus: published manifests of real WebSocket applications", func() {
	expected, err := corpus.Load("../testdata/corpus")
	It("has a readable corpus", func() { Expect(err).NotTo(HaveOccurred()) })

	for name, want := range expected {
		It("recognises what "+name+" describes and leaves the rest alone", func() {
			ctx := context.Background()
			ns := "corpus-" + strings.TrimSuffix(name, ".yaml")
			objs := corpusObjects(filepath.Join("../testdata/corpus", name))
			// Every namespace the manifest uses is opted in, as an administrator would label it.
			// A manifest that names its namespaces is applied as published (kubectl refuses -n
			// for it), its other objects going to kubectl's default namespace; one that names
			// none goes to a namespace of its own.
			args := []string{"apply", "-f", "testdata/corpus/" + name}
			named := namespacesOf(objs)
			if len(named) == 0 {
				args = append(args, "-n", ns)
				named = []string{ns}
			} else {
				ns = "default"
				named = append(named, ns)
			}
			for _, n := range named {
				Expect(env.CreateNamespace(ctx, n, true, nil)).To(Succeed())
			}
			_, stderr, err := kubectl(args...)
			if err != nil {
				// Kinds this API server does not serve (old API groups, CRDs of other projects)
				// are refused by kubectl itself; everything else must have been admitted.
				for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
					if strings.HasPrefix(line, "Warning: ") || strings.Contains(line, "no matches for kind") || strings.Contains(line, "ensure CRDs are installed first") {
						continue
					}
					Fail("kubectl apply of " + name + ": " + line)
				}
			}
			for _, o := range objs {
				switch o.GetKind() {
				case "Deployment", "StatefulSet", "DaemonSet", "Service", "Ingress", "HTTPProxy":
				default:
					continue
				}
				if !served(o) {
					continue
				}
				objNS := o.GetNamespace()
				if objNS == "" {
					objNS = ns
				}
				applied, stderr, err := kubectl("get", "-n", objNS, strings.ToLower(o.GetKind()), o.GetName(),
					"-o", `jsonpath={.metadata.annotations.wsguard\.io/applied-rules}`)
				Expect(err).NotTo(HaveOccurred(), stderr)
				id := o.GetKind() + "/" + o.GetName()
				if slices.Contains(want.WebSocket, id) && !slices.Contains(want.AdmissionMisses, id) {
					Expect(applied).NotTo(BeEmpty(), "%s/%s of %s should come back defaulted", o.GetKind(), o.GetName(), name)
				} else {
					Expect(applied).To(BeEmpty(), "%s/%s of %s should come back untouched", o.GetKind(), o.GetName(), name)
				}
			}
		})
	}
})

// served reports whether the object's API version is one the 1.36 API server serves for the
// kinds judged here.
func served(o *unstructured.Unstructured) bool {
	switch o.GetAPIVersion() {
	case "apps/v1", "v1", "networking.k8s.io/v1", "projectcontour.io/v1":
		return true
	}
	return false
}

// corpusObjects reads the documents of a manifest (or of the files of a directory) with
// apimachinery's YAML reader.
func corpusObjects(path string) []*unstructured.Unstructured {
	files, err := corpus.Files(path)
	Expect(err).NotTo(HaveOccurred())
	var out []*unstructured.Unstructured
	for _, f := range files {
		data, err := os.ReadFile(f)
		Expect(err).NotTo(HaveOccurred())
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
		for {
			doc, err := r.Read()
			if err == io.EOF {
				break
			}
			Expect(err).NotTo(HaveOccurred())
			var m map[string]any
			Expect(yaml.Unmarshal(doc, &m)).To(Succeed())
			if len(m) > 0 {
				out = append(out, &unstructured.Unstructured{Object: m})
			}
		}
	}
	return out
}

// namespacesOf lists the namespaces a manifest names: its Namespace objects and the namespaces
// of its objects.
func namespacesOf(objs []*unstructured.Unstructured) []string {
	var out []string
	for _, o := range objs {
		if o.GetKind() == "Namespace" {
			out = append(out, o.GetName())
		} else if ns := o.GetNamespace(); ns != "" {
			out = append(out, ns)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
