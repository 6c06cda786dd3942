package manifest

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestDiffLines: the differences turn x into y and keep as many lines as a longest common
// subsequence, on random inputs.
func TestDiffLines(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 2000; n++ {
		x := make([]string, r.IntN(12))
		y := make([]string, r.IntN(12))
		for i := range x {
			x[i] = string(rune('a' + r.IntN(3)))
		}
		for i := range y {
			y[i] = string(rune('a' + r.IntN(3)))
		}
		for name, diff := range map[string]func(x, y []string) []hunk{"myers": diffLines, "greedy": greedyDiff} {
			var got []string
			pos, kept := 0, 0
			for _, h := range diff(x, y) {
				got = append(got, x[pos:h.a]...)
				kept += h.a - pos
				got = append(got, y[h.c:h.d]...)
				pos = h.b
			}
			got = append(got, x[pos:]...)
			kept += len(x) - pos
			if !slices.Equal(got, y) {
				t.Fatalf("%s: %q -> %q: got %q", name, x, y, got)
			}
			if name == "myers" && kept != lcs(x, y) {
				t.Fatalf("%s: %q -> %q keeps %d lines, not %d", name, x, y, kept, lcs(x, y))
			}
		}
	}
}

func lcs(x, y []string) int {
	t := make([][]int, len(x)+1)
	for i := range t {
		t[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				t[i][j] = t[i+1][j+1] + 1
			} else {
				t[i][j] = max(t[i+1][j], t[i][j+1])
			}
		}
	}
	return t[0][0]
}
