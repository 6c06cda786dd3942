#!/usr/bin/env bash
# bench.sh is `make bench`: every measurement of docs/benchmarks.md, in one run.
#   1. Go benchmarks of the engine (defaults/) and of the handler path (webhooks/), -benchmem,
#      each repeated BENCH_COUNT times; the summary gives the median of the repetitions.
#   2. hack/loadgen: the real `wsguard serve` over HTTPS at concurrency 1, 16 and 64.
#   3. hack/apibench: create/update latency through kube-apiserver without admission, with
#      wsguard, with the same rules as native admission policies and, unless BENCH_KYVERNO=0, as
#      Kyverno ClusterPolicies and Kyverno CEL policies (Kyverno built by hack/build-kyverno.sh,
#      cached in bin/kyverno/; the first build takes about ten minutes).
#   4. hack/cachemem: wsguard's RSS with CACHEMEM_OBJECTS Deployments and as many Services in
#      the cluster, a tenth of their namespaces opted in.
#   5. hack/auditbench: the background audit over AUDITBENCH_OBJECTS stored objects
#      (comma-separated, growing; default 1000,10000; "skip" leaves the step out), at each
#      --audit-rate of AUDITBENCH_RATES (default 0,200; 0 is unpaced): its duration, wsguard's
#      CPU and peak RSS during it, and admission latency with and without an audit running.
#   5. unless BENCH_KYVERNO=0, hack/offlinebench.sh: `wsguard check` against `kyverno apply`
#      on the same OFFLINE_OBJECTS objects.
# It needs KUBEBUILDER_ASSETS (the Makefile target sets it). Raw output goes to BENCH_OUT.
# Figures depend on the machine and on whatever else runs on it: compare runs on one machine.
set -euo pipefail

: "${KUBEBUILDER_ASSETS:?set KUBEBUILDER_ASSETS (run make bench, or export the folder make envtest prints)}"
export KUBEBUILDER_ASSETS
BENCH_COUNT="${BENCH_COUNT:-6}"
BENCH_TIME="${BENCH_TIME:-1s}"
LOADGEN_REQUESTS="${LOADGEN_REQUESTS:-20000}"
LOADGEN_ROUNDS="${LOADGEN_ROUNDS:-3}"
APIBENCH_ITERATIONS="${APIBENCH_ITERATIONS:-150}"
APIBENCH_ROUNDS="${APIBENCH_ROUNDS:-3}"
CACHEMEM_OBJECTS="${CACHEMEM_OBJECTS:-10000}"
AUDITBENCH_OBJECTS="${AUDITBENCH_OBJECTS:-1000,10000}"
AUDITBENCH_RATES="${AUDITBENCH_RATES:-0,200}"
BENCH_OUT="${BENCH_OUT:-bin/bench}"
BENCH_KYVERNO="${BENCH_KYVERNO:-1}"

cd "$(dirname "$0")/.."
mkdir -p "$BENCH_OUT"
echo "==> building wsguard into $BENCH_OUT/wsguard" >&2
go build -o "$BENCH_OUT/wsguard" .

# --- Kyverno, the comparison (apibench and offlinebench) ---
kyverno_dir=""
if [[ "$BENCH_KYVERNO" != 0 ]]; then
	echo "==> Kyverno (hack/build-kyverno.sh; cached after the first build)" >&2
	kyverno_dir="$(hack/build-kyverno.sh)"
fi
# --- end Kyverno ---

echo "==> Go benchmarks, -count $BENCH_COUNT -benchtime $BENCH_TIME (raw: $BENCH_OUT/go-bench.txt)" >&2
go test ./defaults/ ./webhooks/ -run '^$' -bench . -benchmem -count "$BENCH_COUNT" -benchtime "$BENCH_TIME" | tee "$BENCH_OUT/go-bench.txt" >&2

echo "==> hack/loadgen (raw: $BENCH_OUT/loadgen.txt)" >&2
go run ./hack/loadgen -wsguard "$BENCH_OUT/wsguard" -requests "$LOADGEN_REQUESTS" -rounds "$LOADGEN_ROUNDS" | tee "$BENCH_OUT/loadgen.txt" >&2

echo "==> hack/apibench (raw: $BENCH_OUT/apibench.txt)" >&2
go run ./hack/apibench -wsguard "$BENCH_OUT/wsguard" -kyverno "$kyverno_dir" -iterations "$APIBENCH_ITERATIONS" -rounds "$APIBENCH_ROUNDS" | tee "$BENCH_OUT/apibench.txt" >&2

echo "==> hack/cachemem (raw: $BENCH_OUT/cachemem.txt)" >&2
go run ./hack/cachemem -wsguard "$BENCH_OUT/wsguard" -objects "$CACHEMEM_OBJECTS" | tee "$BENCH_OUT/cachemem.txt" >&2

if [ "$AUDITBENCH_OBJECTS" != skip ]; then
	echo "==> hack/auditbench (raw: $BENCH_OUT/auditbench.txt)" >&2
	go run ./hack/auditbench -wsguard "$BENCH_OUT/wsguard" -objects "$AUDITBENCH_OBJECTS" -rates "$AUDITBENCH_RATES" | tee "$BENCH_OUT/auditbench.txt" >&2
fi
# --- Kyverno offline ---
if [[ -n "$kyverno_dir" ]]; then
	echo "==> hack/offlinebench.sh (raw: $BENCH_OUT/offline/)" >&2
	WSGUARD="$BENCH_OUT/wsguard" KYVERNO_DIR="$kyverno_dir" BENCH_OUT="$BENCH_OUT" hack/offlinebench.sh > "$BENCH_OUT/offlinebench.txt"
fi
# --- end Kyverno offline ---

# The summary: medians of the Go benchmark repetitions (time/op is wall time, CPU/op the
# process's CPU time per op), then the two programs' own summaries.
echo
echo "## Go benchmarks (median of $BENCH_COUNT runs; $(nproc) cores)"
echo
echo "| benchmark | time/op | CPU/op | B/op | allocs/op |"
echo "|---|---:|---:|---:|---:|"
awk '
	/^Benchmark/ {
		name = $1; sub(/-[0-9]+$/, "", name)
		for (i = 2; i < NF; i++) {
			if ($(i+1) == "ns/op") ns[name] = ns[name] " " $i
			if ($(i+1) == "cpu-ns/op") cpu[name] = cpu[name] " " $i
			if ($(i+1) == "B/op") by[name] = by[name] " " $i
			if ($(i+1) == "allocs/op") al[name] = al[name] " " $i
		}
		if (!(name in seen)) { seen[name] = 1; order[n++] = name }
	}
	function median(list,   v, k, i, j, t) {
		k = split(list, v, " ")
		for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
		return (k % 2) ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
	}
	END {
		for (i = 0; i < n; i++) {
			m = order[i]
			printf "| %s | %.1f µs | %.1f µs | %d | %d |\n", m, median(ns[m]) / 1000, median(cpu[m]) / 1000, median(by[m]), median(al[m])
		}
	}' "$BENCH_OUT/go-bench.txt"
echo
echo "## Over HTTPS (hack/loadgen)"
sed -n '/^median of/,$p' "$BENCH_OUT/loadgen.txt"
echo
echo "## Through the API server (hack/apibench)"
sed -n '/^machine:/,$p' "$BENCH_OUT/apibench.txt"
echo
echo "## Memory with a large cluster (hack/cachemem)"
cat "$BENCH_OUT/cachemem.txt"
if [ "$AUDITBENCH_OBJECTS" != skip ]; then
	echo
	echo "## The background audit at scale (hack/auditbench)"
	cat "$BENCH_OUT/auditbench.txt"
fi
# --- Kyverno offline summary ---
if [[ -n "$kyverno_dir" ]]; then
	echo
	echo "## Offline: wsguard check and kyverno apply (hack/offlinebench.sh)"
	cat "$BENCH_OUT/offlinebench.txt"
fi
# --- end Kyverno offline summary ---
