# wsguard: `make run` starts a local control plane with wsguard serving it; `make test` runs
# every test. Both work on a machine with only Go: the control plane binaries are downloaded
# or, where only a Go module proxy is reachable, built from source (see hack/setup-envtest.sh).

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

ENVTEST_K8S_VERSION ?= 1.36.3
GO ?= go
BIN := bin

.PHONY: help
help: ## Show the targets.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_-]+:.*##/ {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build bin/wsguard.
	$(GO) build -o $(BIN)/wsguard .

.PHONY: envtest
envtest: ## Provide kube-apiserver, etcd and kubectl in bin/k8s/ (prints the folder).
	@ENVTEST_K8S_VERSION=$(ENVTEST_K8S_VERSION) hack/setup-envtest.sh

.PHONY: run
run: build ## Start a local control plane with wsguard serving it (Ctrl-C stops everything).
	@assets="$$(ENVTEST_K8S_VERSION=$(ENVTEST_K8S_VERSION) hack/setup-envtest.sh)"; \
	$(GO) build -o $(BIN)/dev-env ./hack/dev; \
	KUBEBUILDER_ASSETS="$$assets" exec $(BIN)/dev-env --wsguard $(BIN)/wsguard $(RUN_ARGS)

.PHONY: test
test: vet ## Run unit tests, the envtest and end-to-end suites, and the install suite.
	@assets="$$(ENVTEST_K8S_VERSION=$(ENVTEST_K8S_VERSION) hack/setup-envtest.sh)"; \
	KUBEBUILDER_ASSETS="$$assets" $(GO) test ./... -count=1
	@# Each Go benchmark once, untimed, so that a fixture the engine outgrew fails here and not in make bench.
	$(GO) test ./defaults/ ./webhooks/ -run '^$$' -bench . -benchtime 1x
	@$(MAKE) --no-print-directory test-install

# The install suite is its own Go module (e2e/install), so that cert-manager, whose controllers
# it runs, stays out of wsguard's go.mod.
.PHONY: test-install
test-install: ## Run the install suite: the Helm chart and config/ with cert-manager, through a real API server.
	@assets="$$(ENVTEST_K8S_VERSION=$(ENVTEST_K8S_VERSION) hack/setup-envtest.sh)"; \
	hack/install-helm.sh >/dev/null; \
	hack/fetch-crds.sh >/dev/null; \
	cd e2e/install && KUBEBUILDER_ASSETS="$$assets" $(GO) test ./... -count=1 -timeout 20m

.PHONY: helm
helm: ## Provide Helm in bin/ (prints its path).
	@hack/install-helm.sh

.PHONY: bench
bench: ## Measure latency, throughput and memory, and compare with Kyverno (docs/benchmarks.md); 23 minutes on 2 cores in the last run, plus about 14 for Kyverno's first build (BENCH_KYVERNO=0 leaves Kyverno out, AUDITBENCH_OBJECTS=skip the audit).
	@assets="$$(ENVTEST_K8S_VERSION=$(ENVTEST_K8S_VERSION) hack/setup-envtest.sh)"; \
	KUBEBUILDER_ASSETS="$$assets" hack/bench.sh

.PHONY: vet
vet: ## Run go vet and check formatting.
	$(GO) vet ./...
	cd e2e/install && $(GO) vet ./...
	@unformatted="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './bin/*'))"; \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi

.PHONY: manifests
manifests: ## Regenerate config/ and charts/wsguard/files/ from package webhooks.
	$(GO) run ./hack/gen-manifests

.PHONY: docs
docs: ## Regenerate the rules index of docs/rules.md and docs/known-apps.md from the engine.
	$(GO) run ./hack/gen-docs

.PHONY: docker-build
docker-build: ## Build the container image (needs a Docker engine).
	docker build -t wsguard:dev .

.PHONY: clean
clean: ## Remove bin/ except the control plane binaries.
	rm -rf $(BIN)/wsguard $(BIN)/dev-env $(BIN)/dev $(BIN)/helm $(BIN)/.helm-version $(BIN)/.helm $(BIN)/crds
