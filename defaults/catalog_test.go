package defaults

import (
	"os"
	"strings"
	"testing"
)

// TestCatalogOrder holds the ordering invariant for every kind: no rule that injects defaults
// runs after a rule that only judges the same kind, or the judging rule would see an object the
// validating webhook never sees.
func TestCatalogOrder(t *testing.T) {
	judgedBy := map[string]string{} // kind -> first judge-only rule seen
	for _, r := range Rules() {
		kind := r.Kind.String()
		if !r.Effects.Has(Defaults) {
			if _, seen := judgedBy[kind]; !seen {
				judgedBy[kind] = r.ID
			}
			continue
		}
		if judge, seen := judgedBy[kind]; seen {
			t.Errorf("%s injects defaults into %s but runs after %s, which only judges that kind", r.ID, r.Kind.Kind, judge)
		}
	}
}

// TestRuleDeclarations checks what every catalog entry must declare.
func TestRuleDeclarations(t *testing.T) {
	ids := map[string]bool{}
	for _, r := range Rules() {
		if ids[r.ID] {
			t.Errorf("rule ID %s is declared twice", r.ID)
		}
		ids[r.ID] = true
		if r.Effects == 0 {
			t.Errorf("%s declares no effect", r.ID)
		}
		if r.Summary == "" || r.check == nil {
			t.Errorf("%s has no summary or no check", r.ID)
		}
		if r.Effects.Has(Denies) != (r.Remediation != "") {
			t.Errorf("%s: a remediation is declared exactly by the rules that deny (effects %s, remediation %q)", r.ID, r.Effects, r.Remediation)
		}
		if !Supports(r.Kind) {
			t.Errorf("%s judges %s, which the engine does not serve", r.ID, r.Kind)
		}
		if r.Controller != "" && controllerNames[r.Controller] == "" {
			t.Errorf("%s names controller %q, which has no short name", r.ID, r.Controller)
		}
		if _, err := os.Stat("../docs/rules/" + r.Family + ".md"); err != nil {
			t.Errorf("%s: family page docs/rules/%s.md: %v", r.ID, r.Family, err)
		}
	}
}

// TestRulesIndexIsCurrent fails when docs/rules.md's index differs from the catalog; `make docs`
// regenerates it.
func TestRulesIndexIsCurrent(t *testing.T) {
	doc, err := os.ReadFile("../docs/rules.md")
	if err != nil {
		t.Fatal(err)
	}
	want, err := ReplaceRulesIndex(string(doc))
	if err != nil {
		t.Fatal(err)
	}
	if want != string(doc) {
		t.Errorf("docs/rules.md's rules index is out of date: run make docs")
	}
	if !strings.Contains(string(doc), "[`ingress-nginx-timeouts`](rules/ingress-nginx.md#ingress-nginx-timeouts) | Ingress | ingress-nginx |") {
		t.Errorf("the generated index does not carry the controller column")
	}
}

// TestKnownAppsPageIsCurrent fails when docs/known-apps.md differs from the catalog; `make docs`
// regenerates it.
func TestKnownAppsPageIsCurrent(t *testing.T) {
	doc, err := os.ReadFile("../docs/known-apps.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(doc) != KnownAppsPage() {
		t.Errorf("docs/known-apps.md is out of date: run make docs")
	}
}
