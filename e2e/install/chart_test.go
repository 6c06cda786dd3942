package install

import (
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

var _ = Describe("the chart", func() {
	It("passes helm lint --strict with its defaults and with every values file in ci/", func() {
		files, err := chartValuesFiles()
		Expect(err).NotTo(HaveOccurred())
		Expect(files).NotTo(BeEmpty())
		_, _, err = helm("lint", "--strict", chartDir)
		Expect(err).NotTo(HaveOccurred())
		for _, f := range files {
			_, _, err := helm("lint", "--strict", chartDir, "--values", f)
			Expect(err).NotTo(HaveOccurred(), filepath.Base(f))
		}
	})

	It("rolls the pods when the policy file changes, since wsguard reads it only at start", func() {
		checksum := func(args ...string) string {
			GinkgoHelper()
			manifest, err := helmTemplate("wsguard", "wsguard-system", args...)
			Expect(err).NotTo(HaveOccurred())
			objects, err := decodeObjects(manifest)
			Expect(err).NotTo(HaveOccurred())
			for _, obj := range objects {
				if obj.GetKind() == "Deployment" {
					sum, _, _ := unstructured.NestedString(obj.Object, "spec", "template", "metadata", "annotations", checksumAnnotation)
					return sum
				}
			}
			Fail("the chart renders no Deployment")
			return ""
		}
		defaults := checksum()
		Expect(defaults).NotTo(BeEmpty())
		Expect(checksum("--set", "logLevel=debug")).To(Equal(defaults), "only the policy file should roll the pods")
		Expect(checksum("--set", "config.enforcement=warn")).NotTo(Equal(defaults))
	})

	It("refuses values that would break the install, with a message that says what to set", func() {
		for args, want := range map[string]string{
			"webhook.timeoutSeconds=60":                      "timeoutSeconds",
			"webhook.validating.failurePolicy=Sometimes":     "failurePolicy",
			"webhook.url=http://wsguard.example.com":         "webhook/url",
			"certManager.enabled=false":                      "tls.",
			"certManager.issuerRef.kind=SomethingElse":       "issuerRef",
			"certManager.enabled=false,tls.caBundle=x":       "tls.existingSecret",
			"certManager.enabled=false,tls.existingSecret=s": "tls.caBundle",
		} {
			_, err := helmTemplate("wsguard", "wsguard-system", "--set", args)
			Expect(err).To(MatchError(ContainSubstring(want)), args)
		}
	})
})
