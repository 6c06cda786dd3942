#!/usr/bin/env bash
# offlinebench.sh measures the offline path, where a CI job or a pre-commit hook judges manifests
# before they reach a cluster: `wsguard check` against `kyverno apply` (Kyverno's CLI) with the
# Kyverno policies hack/apibench uses (hack/apibench/kyverno/), in both forms, on the same
# OFFLINE_OBJECTS objects (hack/bigmanifest -objects: Deployments, Services and Ingresses, one
# application in ten WebSocket). Each command runs OFFLINE_ROUNDS times under /usr/bin/time -v;
# the table gives the median wall time, CPU time (user + system) and maximum RSS.
#
# wsguard check judges every object as in a namespace that opted in, so the policies are used
# without their namespace selectors (kyverno apply has no namespaces to select from). wsguard
# check runs every rule of every family; the Kyverno policies hold only the Deployment and
# ingress-nginx rules: wsguard does more work per object.
#
# Environment: WSGUARD (a wsguard binary; built when unset), KYVERNO_DIR (the folder of
# hack/build-kyverno.sh; built, or taken from its cache, when unset), BENCH_OUT (default bin/bench;
# raw output in $BENCH_OUT/offline/). On a shared machine, run it under the shared lock.
set -euo pipefail

cd "$(dirname "$0")/.."
OFFLINE_OBJECTS="${OFFLINE_OBJECTS:-10000}"
OFFLINE_ROUNDS="${OFFLINE_ROUNDS:-3}"
BENCH_OUT="${BENCH_OUT:-bin/bench}"
out="$BENCH_OUT/offline"
mkdir -p "$out"
if [[ -z "${WSGUARD:-}" ]]; then
	WSGUARD="$out/wsguard"
	go build -o "$WSGUARD" .
fi
KYVERNO_DIR="${KYVERNO_DIR:-$(hack/build-kyverno.sh)}"
kyverno="$KYVERNO_DIR/kubectl-kyverno"

go run ./hack/bigmanifest -objects "$OFFLINE_OBJECTS" -backend-port-names > "$out/objects.yaml"
objects="$(grep -c '^kind:' "$out/objects.yaml")"
for form in clusterpolicies cel-policies; do
	sed '/namespaceSelector:/{N;d}' "hack/apibench/kyverno/$form.yaml" > "$out/$form.yaml"
done

# measure NAME CMD...: runs CMD OFFLINE_ROUNDS times; exit status 0 or 1 is a result (1: something
# would be denied), anything else a failure. The last round's output stays in $out/NAME.out.
measure() {
	local name="$1" rc
	shift
	for round in $(seq "$OFFLINE_ROUNDS"); do
		rc=0
		/usr/bin/time -v -o "$out/$name.$round.time" "$@" > "$out/$name.out" 2> "$out/$name.err" || rc=$?
		if (( rc > 1 )); then
			echo "offlinebench: $name failed (exit $rc); see $out/$name.err" >&2
			exit 1
		fi
	done
}

echo "==> wsguard check, $OFFLINE_ROUNDS rounds" >&2
measure wsguard-check "$WSGUARD" check --color never "$out/objects.yaml"
echo "==> kyverno apply ClusterPolicy, $OFFLINE_ROUNDS rounds" >&2
measure kyverno-clusterpolicy "$kyverno" apply "$out/clusterpolicies.yaml" --resource "$out/objects.yaml" --remove-color
echo "==> kyverno apply CEL policies, $OFFLINE_ROUNDS rounds" >&2
measure kyverno-cel "$kyverno" apply "$out/cel-policies.yaml" --resource "$out/objects.yaml" --remove-color

# A run of a policy that did nothing measures nothing: each must have defaulted a WebSocket
# Deployment (the preStop sleep) and denied nothing it should not have.
verify() {
	local name="$1" pattern="$2"
	if ! grep -q -- "$pattern" "$out/$name.out"; then
		echo "offlinebench: $name: no \"$pattern\" in its output ($out/$name.out): the policies did nothing" >&2
		exit 1
	fi
}
for name in wsguard-check kyverno-clusterpolicy kyverno-cel; do
	verify "$name" preStop
	verify "$name" proxy-read-timeout
done

# median FIELD NAME: the median over the rounds of a /usr/bin/time -v field.
median() {
	local field="$1" name="$2"
	for f in "$out/$name".*.time; do
		case "$field" in
		wall) awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$f" ;;
		cpu) awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { print u + s }' "$f" ;;
		rss) awk -F': ' '/Maximum resident set size/ { print $2 / 1024 }' "$f" ;;
		esac
	done | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "$objects objects ($(du -h "$out/objects.yaml" | cut -f1)), median of $OFFLINE_ROUNDS runs; $(nproc) cores; load average before the table: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| command | wall time | CPU time | max RSS |"
echo "|---|---:|---:|---:|"
for row in "wsguard check:wsguard-check" "kyverno apply, ClusterPolicy:kyverno-clusterpolicy" "kyverno apply, CEL policies:kyverno-cel"; do
	printf '| %s | %.2f s | %.2f s | %.0f MiB |\n' "${row%%:*}" "$(median wall "${row#*:}")" "$(median cpu "${row#*:}")" "$(median rss "${row#*:}")"
done
