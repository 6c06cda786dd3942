// Package testsupport holds what the tests of several packages share: the manifests they build
// on, a decoder of YAML into unstructured objects that is independent of package manifest, a
// recorder of the admission warnings the API server passes on, and a CPU timer for benchmarks.
// Only tests import it.
package testsupport
