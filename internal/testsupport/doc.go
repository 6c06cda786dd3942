// Package testsupport holds what the tests of several packages share: the manifests they build
// on, a decoder of YAML into unstructured objects that is independent of package manifest, a
// recorder of the admission warnings the API server passes on, and a CPU timer for benchmarks.
// Only tests import it.
package testsupport

// TB is what the helpers need of a test: *testing.T, *testing.B and Ginkgo's GinkgoT() have it
// (testing.TB itself cannot be implemented outside package testing).
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}
