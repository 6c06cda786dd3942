#!/usr/bin/env bash
# build-kyverno.sh builds Kyverno's admission controller (cmd/kyverno) and its CLI
# (cmd/cli/kubectl-kyverno) at the release pinned in hack/kyverno/go.mod, and copies the CRDs
# of that release (config/crds/ of the module, flattened into crds/), for hack/apibench and
# hack/offlinebench.sh to compare against. Everything lands in bin/kyverno/<version>/ and is
# reused: a second call only prints the folder. Never part of make test.
# A cold build holds two cores for about ten minutes and peaks near 3 GB of memory; run it under
# the shared lock on a shared machine: flock /tmp/wsguard-heavy.lock hack/build-kyverno.sh
# Prints the folder on stdout; progress goes to stderr.
set -euo pipefail

cd "$(dirname "$0")/.."
root="$PWD"
version="$(awk '$1 == "require" && $2 == "github.com/kyverno/kyverno" { print $3 }' hack/kyverno/go.mod)"
: "${version:?hack/kyverno/go.mod does not require github.com/kyverno/kyverno}"
out="$root/bin/kyverno/$version"

if [[ -x "$out/kyverno" && -x "$out/kubectl-kyverno" && -d "$out/crds" ]]; then
	echo "$out"
	exit 0
fi

mkdir -p "$out"
cd hack/kyverno
# Static binaries like Kyverno's release images; -s -w drops the symbol tables nobody reads here.
for cmd in kyverno cli/kubectl-kyverno; do
	name="$(basename "$cmd")"
	[[ -x "$out/$name" ]] && continue
	echo "==> building $name $version into $out (cold: about ten minutes for the first)" >&2
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out/$name.tmp" "github.com/kyverno/kyverno/cmd/$cmd"
	mv "$out/$name.tmp" "$out/$name"
done
# The CRDs as the release ships them: Kyverno's install manifests are built from this folder.
module="$(go list -m -f '{{.Dir}}' github.com/kyverno/kyverno)"
rm -rf "$out/crds.tmp"
mkdir -p "$out/crds.tmp"
find "$module/config/crds" -name '*.yaml' -exec cp {} "$out/crds.tmp/" \;
chmod -R u+w "$out/crds.tmp"
mv "$out/crds.tmp" "$out/crds"
echo "$out"
