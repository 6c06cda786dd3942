#!/usr/bin/env bash
# Provides kube-apiserver, etcd and kubectl for envtest in bin/k8s/<version>-<os>-<arch>/
# and prints that folder (the value for KUBEBUILDER_ASSETS) on stdout.
#
# Order of attempts, cheapest first:
#   1. binaries already in the folder (nothing to do);
#   2. the envtest release tarball that setup-envtest uses (works on the open internet);
#   3. a build from source through the Go module proxy (works where only the proxy is reachable).
# Progress goes to stderr so that callers can capture the path from stdout.
set -euo pipefail

K8S_VERSION="${ENVTEST_K8S_VERSION:-1.36.3}"
ETCD_VERSION="${ENVTEST_ETCD_VERSION:-3.6.16}"
GOOS="$(go env GOOS)"
GOARCH="$(go env GOARCH)"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="${ENVTEST_ASSETS_DIR:-$ROOT/bin/k8s/${K8S_VERSION}-${GOOS}-${GOARCH}}"
BUILD_DIR="$ROOT/bin/.build"
DOWNLOAD_TIMEOUT="${ENVTEST_DOWNLOAD_TIMEOUT:-60}"
BINARIES=(kube-apiserver etcd kubectl)

say() { printf 'setup-envtest: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

have_all() {
  local b
  for b in "${BINARIES[@]}"; do [ -x "$DEST/$b" ] || return 1; done
}

try_download() {
  local url="https://github.com/kubernetes-sigs/controller-tools/releases/download/envtest-v${K8S_VERSION}/envtest-v${K8S_VERSION}-${GOOS}-${GOARCH}.tar.gz"
  local tmp
  tmp="$(mktemp -d)"
  say "trying the envtest release download ($url)"
  if ! curl -fsSL --connect-timeout 10 --max-time "$DOWNLOAD_TIMEOUT" -o "$tmp/envtest.tar.gz" "$url" 2>/dev/null; then
    say "download unreachable; falling back to a build from source through the Go module proxy"
    rm -rf "$tmp"; return 1
  fi
  tar -xzf "$tmp/envtest.tar.gz" -C "$tmp"
  local b
  for b in "${BINARIES[@]}"; do
    local found
    found="$(find "$tmp" -type f -name "$b" | head -1)"
    [ -n "$found" ] || { say "release tarball has no $b"; rm -rf "$tmp"; return 1; }
    install -m 0755 "$found" "$DEST/$b"
  done
  rm -rf "$tmp"
}

# The k8s.io/kubernetes module replaces its staging modules with local folders, which a
# dependency's go.mod cannot do. A throwaway wrapper module requires it and points each
# staging module at its published v0.x.y release instead.
build_kubernetes() {
  local wrapper="$BUILD_DIR/kubernetes-${K8S_VERSION}"
  local staging="v0.${K8S_VERSION#1.}"
  mkdir -p "$wrapper"
  say "resolving k8s.io/kubernetes@v${K8S_VERSION} through the module proxy"
  local gomod
  gomod="$(cd "$wrapper" && GOFLAGS= go mod download -json "k8s.io/kubernetes@v${K8S_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  [ -f "$gomod" ] || die "could not download k8s.io/kubernetes@v${K8S_VERSION} from the Go module proxy ($(go env GOPROXY))"
  {
    echo "module wsguard.local/build/kubernetes"
    echo
    echo "go $(go env GOVERSION | sed 's/^go\([0-9]*\.[0-9]*\).*/\1/')"
    echo
    echo "require k8s.io/kubernetes v${K8S_VERSION}"
    echo
    sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#replace \1 => \1 '"$staging"'#p' "$gomod"
  } > "$wrapper/go.mod"
  [ "$(grep -c '^replace' "$wrapper/go.mod")" -gt 20 ] || die "found too few staging modules in $gomod; its format may have changed"
  printf 'package build\n' > "$wrapper/doc.go"
  local cmd
  for cmd in kube-apiserver kubectl; do
    if [ -x "$DEST/$cmd" ]; then continue; fi
    say "building $cmd v${K8S_VERSION} from source (several minutes on a cold cache)"
    (cd "$wrapper" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w \
      -X k8s.io/component-base/version.gitVersion=v${K8S_VERSION} \
      -X k8s.io/component-base/version.gitMajor=1 \
      -X k8s.io/component-base/version.gitMinor=${K8S_VERSION#1.} \
      -X k8s.io/client-go/pkg/version.gitVersion=v${K8S_VERSION}" \
      -o "$DEST/$cmd" "k8s.io/kubernetes/cmd/$cmd") || die "building $cmd failed (see the go output above)"
  done
}

build_etcd() {
  [ -x "$DEST/etcd" ] && return 0
  local wrapper="$BUILD_DIR/etcd-${ETCD_VERSION}"
  mkdir -p "$wrapper"
  printf 'module wsguard.local/build/etcd\n\ngo 1.26\n\nrequire go.etcd.io/etcd/server/v3 v%s\n' "$ETCD_VERSION" > "$wrapper/go.mod"
  printf 'package build\n' > "$wrapper/doc.go"
  say "building etcd v${ETCD_VERSION} from source"
  (cd "$wrapper" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$DEST/etcd" go.etcd.io/etcd/server/v3) \
    || die "building etcd failed (see the go output above)"
}

main() {
  command -v go >/dev/null || die "go is not on the PATH; install Go 1.26 or newer"
  mkdir -p "$DEST"
  if have_all; then
    say "using existing binaries in $DEST"
  else
    if [ "${ENVTEST_SKIP_DOWNLOAD:-}" = "1" ] || ! try_download; then
      build_etcd
      build_kubernetes
    fi
    have_all || die "could not provide ${BINARIES[*]} in $DEST"
    say "control plane ready in $DEST"
  fi
  echo "$DEST"
}

main "$@"
