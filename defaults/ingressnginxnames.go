package defaults

import (
	_ "embed"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ingress-nginx ignores an annotation under its prefix that no parser reads: a typo such as
// server-snippets or proxy-read-timout leaves the setting at its default without a word.

//go:embed ingressnginx_annotations.txt
var ingressNGINXAnnotationsFile string

// ingressNGINXAnnotationNames are the names ingress-nginx reads after its prefix.
var ingressNGINXAnnotationNames = func() map[string]bool {
	names := map[string]bool{}
	for line := range strings.SplitSeq(ingressNGINXAnnotationsFile, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			names[line] = true
		}
	}
	return names
}()

const ingressNGINXPrefix = "nginx.ingress.kubernetes.io/"

// checkIngressNGINXAnnotationNames warns about annotations under ingress-nginx's prefix that it
// does not read, naming the closest name it does read.
func checkIngressNGINXAnnotationNames(ev *evaluation) {
	for _, key := range slices.Sorted(maps.Keys(ev.annots)) {
		name, ok := strings.CutPrefix(key, ingressNGINXPrefix)
		if !ok || ingressNGINXAnnotationNames[name] || name == "websocket-services" {
			// websocket-services has a warning of its own (ingress-nginx-websocket-services-noop).
			continue
		}
		hint := ""
		if closest := closestName(name, ingressNGINXAnnotationNames); closest != "" {
			hint = fmt.Sprintf("; did you mean %s%s?", ingressNGINXPrefix, closest)
		}
		ev.warn(annotationPath(key), fmt.Sprintf("ingress-nginx reads no annotation named %q, so it does nothing and the setting keeps its default%s", name, hint))
	}
}

// closestName returns the known name nearest to name in edit distance, when it is near enough
// to be a typo of it (at most a third of the name's length, and at most 4 edits).
func closestName(name string, known map[string]bool) string {
	best, bestDist := "", min(4, max(1, len(name)/3))+1
	for k := range known {
		if d := editDistance(name, k); d < bestDist || (d == bestDist && best != "" && k < best) {
			best, bestDist = k, d
		}
	}
	if bestDist > min(4, max(1, len(name)/3)) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
