#!/usr/bin/env bash
# Provides the CRDs the install end-to-end suite (e2e/install) applies the chart against, in
# bin/crds/, and prints that folder on stdout:
#   bin/crds/cert-manager/         cert-manager's CRDs, from the same module version whose
#                                  controllers the suite runs (pinned in e2e/install/go.mod)
#   bin/crds/prometheus-operator/  the ServiceMonitor CRD
# Both come from Go modules through the Go module proxy, so no other network access is needed.
# Progress goes to stderr.
set -euo pipefail

PROMETHEUS_OPERATOR_VERSION="${PROMETHEUS_OPERATOR_VERSION:-v0.85.0}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/bin/crds"

say() { printf 'fetch-crds: %s\n' "$*" >&2; }

# module_dir MODULE@VERSION prints where the module is unpacked, downloading it if needed.
# It runs outside any module, so that no go.mod or go.sum changes.
module_dir() {
  (cd "$(mktemp -d)" && GOFLAGS=-mod=mod GOWORK=off go mod download -json "$1") |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}

CERT_MANAGER_VERSION="$(cd "$ROOT/e2e/install" && go list -m -f '{{.Version}}' github.com/cert-manager/cert-manager)"
want="cert-manager $CERT_MANAGER_VERSION, prometheus-operator $PROMETHEUS_OPERATOR_VERSION"
if [ "$(cat "$DEST/VERSIONS" 2>/dev/null)" = "$want" ]; then
  echo "$DEST"
  exit 0
fi

say "fetching the CRDs of $want through the Go module proxy"
cm="$(module_dir "github.com/cert-manager/cert-manager@$CERT_MANAGER_VERSION")"
po="$(module_dir "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION")"
[ -n "$cm" ] && [ -n "$po" ] || { say "ERROR: could not download the modules"; exit 1; }

rm -rf "$DEST"
mkdir -p "$DEST/cert-manager" "$DEST/prometheus-operator"
install -m 0644 "$cm"/deploy/crds/*.yaml "$DEST/cert-manager/"
install -m 0644 "$po/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" "$DEST/prometheus-operator/"
echo "$want" > "$DEST/VERSIONS"
echo "$DEST"
