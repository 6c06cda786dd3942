package defaults

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestRulesAreDocumented keeps docs/ and the catalog in step: every rule has an entry in
// docs/rules/*.md and a row in docs/rules.md, and every entry documents a rule that exists.
func TestRulesAreDocumented(t *testing.T) {
	index, err := os.ReadFile("../docs/rules.md")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("../docs/rules/*.md")
	if err != nil || len(files) == 0 {
		t.Fatalf("no docs/rules/*.md: %v", err)
	}
	heading := regexp.MustCompile(`(?m)^## ([a-z0-9]+(?:-[a-z0-9]+)+)\s*$`)
	documented := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range heading.FindAllStringSubmatch(string(data), -1) {
			documented[m[1]] = filepath.Base(f)
		}
	}
	for _, r := range Rules() {
		file, ok := documented[r.ID]
		if !ok {
			t.Errorf("rule %s has no '## %s' entry in docs/rules/*.md", r.ID, r.ID)
			continue
		}
		if !strings.Contains(string(index), "[`"+r.ID+"`](rules/"+file+"#"+r.ID+")") {
			t.Errorf("docs/rules.md has no row linking rule %s to rules/%s", r.ID, file)
		}
	}
	// Entries for checks that are not catalog rules but have IDs of their own.
	pseudo := map[string]bool{"websocket-annotation": true, "policy-override": true, "applied-rules": true, RuleReleased: true, ruleMalformed: true}
	for id, file := range documented {
		if _, ok := RuleByID(id); !ok && !pseudo[id] {
			t.Errorf("docs/rules/%s documents %s, which is not a rule", file, id)
		}
	}
}
