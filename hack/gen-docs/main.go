// Command gen-docs rewrites the docs generated from the engine's data (`make docs`): the rules
// index of docs/rules.md and docs/known-apps.md. Tests in package defaults fail when either is
// out of date.
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
	if err == nil {
		err = os.WriteFile("docs/known-apps.md", []byte(defaults.KnownAppsPage()), 0o644)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gen-docs: %v\n", err)
		os.Exit(1)
	}
}
