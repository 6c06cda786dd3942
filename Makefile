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
test: vet ## Run unit tests and the envtest suite through a real API server.
	@assets="$$(ENVTEST_K8S_VERSION=$(ENVTEST_K8S_VERSION) hack/setup-envtest.sh)"; \
	KUBEBUILDER_ASSETS="$$assets" $(GO) test ./... -count=1

.PHONY: vet
vet: ## Run go vet and check formatting.
	$(GO) vet ./...
	@unformatted="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './bin/*'))"; \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi

.PHONY: manifests
manifests: ## Regenerate config/webhook/manifests.yaml from webhooks/configuration.go.
	$(GO) run ./hack/gen-manifests

.PHONY: docker-build
docker-build: ## Build the container image (needs a Docker engine).
	docker build -t wsguard:dev .

.PHONY: clean
clean: ## Remove bin/ except the control plane binaries.
	rm -rf $(BIN)/wsguard $(BIN)/dev-env $(BIN)/dev
