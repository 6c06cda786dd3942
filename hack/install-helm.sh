#!/usr/bin/env bash
# Provides Helm in bin/ (bin/helm) and prints its path on stdout.
#
# Helm's release downloads and get script need the open internet; `go install` needs only the
# Go module proxy, which is what CI and many corporate networks can reach. The version is
# pinned so that `helm lint` and `helm template` behave the same everywhere.
# Progress goes to stderr so that callers can capture the path from stdout.
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v4.3.1}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/bin"
HELM="$BIN/helm"
STAMP="$BIN/.helm-version"

say() { printf 'install-helm: %s\n' "$*" >&2; }

if [ -x "$HELM" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$HELM_VERSION" ]; then
  echo "$HELM"
  exit 0
fi
say "building helm $HELM_VERSION through the Go module proxy (a few minutes the first time)"
mkdir -p "$BIN"
GOBIN="$BIN" CGO_ENABLED=0 go install "helm.sh/helm/v4/cmd/helm@$HELM_VERSION"
echo "$HELM_VERSION" > "$STAMP"
echo "$HELM"
