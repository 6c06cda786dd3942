//go:build tools

// Package tools keeps the two Kyverno commands that hack/build-kyverno.sh builds in this
// module's graph, so go mod tidy keeps every module they need.
package tools

import (
	_ "github.com/kyverno/kyverno/cmd/cli/kubectl-kyverno"
	_ "github.com/kyverno/kyverno/cmd/kyverno"
)
