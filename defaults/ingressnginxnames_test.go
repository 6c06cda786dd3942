package defaults_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/wsguard/wsguard/internal/testenv"
)

// ingressNGINXModule is the version of ingress-nginx the annotation names come from: the one the
// Go module proxy serves (the project was retired in March 2026; its annotations no longer change).
const ingressNGINXModule = "k8s.io/ingress-nginx@v0.0.0-20240708192948-52c50467d67d"

// TestIngressNGINXAnnotationNames keeps defaults/ingressnginx_annotations.txt equal to what
// ingress-nginx's own sources give: the string constants of its annotation parsers and the names
// its annotation reference lists.
func TestIngressNGINXAnnotationNames(t *testing.T) {
	dir, err := testenv.ModuleDir(ingressNGINXModule)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	parsers, err := filepath.Glob(filepath.Join(dir, "internal", "ingress", "annotations", "*", "main.go"))
	if err != nil || len(parsers) == 0 {
		t.Fatalf("no annotation parsers in %s: %v", dir, err)
	}
	constant := regexp.MustCompile(`(?m)^\s*[a-zA-Z0-9]+\s*=\s*"([a-z0-9-]+)"`)
	for _, p := range parsers {
		for _, m := range constant.FindAllStringSubmatch(readText(t, p), -1) {
			want[m[1]] = true
		}
	}
	reference := regexp.MustCompile(`nginx\.ingress\.kubernetes\.io/([a-z0-9-]+)`)
	for _, m := range reference.FindAllStringSubmatch(readText(t, filepath.Join(dir, "docs", "user-guide", "nginx-configuration", "annotations.md")), -1) {
		want[m[1]] = true
	}
	// Two parser constants are the values "on" and "off", never names.
	delete(want, "on")
	delete(want, "off")

	var got []string
	for line := range strings.SplitSeq(readText(t, "ingressnginx_annotations.txt"), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			got = append(got, line)
		}
	}
	var wantSorted []string
	for n := range want {
		wantSorted = append(wantSorted, n)
	}
	slices.Sort(wantSorted)
	if !slices.Equal(got, wantSorted) {
		t.Errorf("ingressnginx_annotations.txt differs from ingress-nginx's sources:\n got  %q\n want %q", got, wantSorted)
	}
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
