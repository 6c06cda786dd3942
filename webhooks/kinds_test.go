package webhooks

import (
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/wsguard/wsguard/defaults"
)

// TestServedKindsMatchTheEngine keeps the two lists of judged kinds in step: a kind the engine
// judges but no webhook serves is never judged in a cluster; a served kind the engine does not
// know is intercepted for nothing.
func TestServedKindsMatchTheEngine(t *testing.T) {
	var served []schema.GroupKind
	for _, k := range ServedKinds() {
		served = append(served, k.GroupKind)
	}
	slices.SortFunc(served, func(a, b schema.GroupKind) int { return strings.Compare(a.String(), b.String()) })
	if engine := defaults.Kinds(); !slices.Equal(served, engine) {
		t.Errorf("webhooks serve %v, the engine judges %v", served, engine)
	}
}
