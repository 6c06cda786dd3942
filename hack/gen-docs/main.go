// Command gen-docs rewrites the generated rules index of docs/rules.md from the catalog
// (`make docs`). TestRulesIndexIsCurrent in package defaults fails when it is out of date.
package main

import (
	"fmt"
	"os"

	"github.com/wsguard/wsguard/defaults"
)

func main() {
	const path = "docs/rules.md"
	doc, err := os.ReadFile(path)
	if err == nil {
		var out string
		if out, err = defaults.ReplaceRulesIndex(string(doc)); err == nil {
			err = os.WriteFile(path, []byte(out), 0o644)
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gen-docs: %s: %v\n", path, err)
		os.Exit(1)
	}
}
