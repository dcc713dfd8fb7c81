# kubectl-pleg. `make test` is what CI runs (.ci/run); see README.md.
GO      ?= go
BIN     ?= bin
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo v0.0.0-dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
DATE    ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
PKG     := github.com/kubectl-pleg/kubectl-pleg/internal/version
LDFLAGS := -s -w -X $(PKG).Version=$(VERSION) -X $(PKG).Commit=$(COMMIT) -X $(PKG).Date=$(DATE)
FUZZTIME ?= 10s

# Recipes that pipe `go test -v` through grep must fail when the test does,
# not when grep does: sh has no pipefail.
SHELL       := /bin/bash
.SHELLFLAGS := -o pipefail -c

.PHONY: build install test deps unit accuracy real-fixtures e2e lint fuzz lab lab-down clean bench bench-logs bench-lab bench-scan bench-early alerts-test

build:
	CGO_ENABLED=0 $(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/kubectl-pleg ./cmd/kubectl-pleg

install:
	CGO_ENABLED=0 $(GO) install -ldflags '$(LDFLAGS)' ./cmd/kubectl-pleg

# Everything CI checks: formatting, vet, unit tests, brief fuzzing, the
# end-to-end suite against a real kube-apiserver (needs root for the lab's
# network namespace), and a krew install of the release archives.
test: deps lint unit accuracy fuzz alerts-test e2e install-test

# What the tests need on a fresh machine (apt packages, as root); nothing
# when it is all there. See hack/deps.sh.
deps:
	hack/deps.sh

# Unit tests of every package but the corpus, which `accuracy` runs verbosely.
unit:
	$(GO) test $$($(GO) list ./... | grep -v /test/corpus$$)

# The built binary on every real artifact of test/corpus: prints
# `accuracy: N/M right` by kind and every miss; fails below the floor.
accuracy:
	$(GO) test -count=1 -v -run 'Test(Accuracy|LabelsCoverEveryArtifact|RedactedDiagnosesTheSame)$$' ./test/corpus | grep -v '^=== RUN'

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	cd test/e2e && $(GO) vet ./...

# Each fuzz target runs briefly (hack/fuzz.sh); the seed corpora also run in `make unit`.
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) hack/fuzz.sh

# Verbose so CI's log keeps the figures the suite measures (times to
# incident and to recovery on the real nodes, the watch's exit times).
e2e:
	cd test/e2e && $(GO) test -count=1 -v -timeout 60m ./... | grep -Ev '^=== (RUN|PAUSE|CONT)'

# Artifacts of real incidents, captured from the lab's real nodes (root,
# 15 minutes measured with fourteen real nodes, 2026-12-04): testdata/real/NODE (kubelet log, /metrics, /stats/summary,
# /configz, describe node, node YAML) and the example bundles of examples/.
# Read the diff before committing.
real-fixtures:
	cd test/e2e && PLEG_REAL_CAPTURE=$(CURDIR) $(GO) test -count=1 -timeout 30m -run 'TestRealNodes$$' -v . | grep -v '^=== RUN'

# A real API server with simulated kubelets to try the plugin by hand.
lab:
	test/e2e/lab.sh up

lab-down:
	test/e2e/lab.sh down

# Times one diagnosis against the lab's slow node (tardy-kubelet, 200ms per
# kubelet request) next to the same reads done by hand, one after another;
# prints figures, never fails on them. Brings a lab up (and down) if none runs.
# Benchmarks print figures and never fail on them (see README, Performance).
bench: bench-logs bench-lab bench-scan

# Log analysis of a generated 500 MB kubelet log, beside grep -c.
bench-logs:
	hack/bench-logs.sh

# One diagnosis against the lab with 200 ms kubelet latency, beside the by-hand commands.
bench-lab:
	test/e2e/bench/bench.sh

# kubectl pleg scan at 100, 300 and 1000 generated nodes × 30 pods, beside
# kubectl describe nodes and kubectl get pods -A -o json (SCAN_SIZES, SCAN_RUNS),
# and scan --prometheus from the lab's Prometheus holding the fleet's series.
bench-scan:
	test/e2e/bench/bench-scan.sh

# The early warning's long form (about 45 minutes, as root, the lab with its
# real nodes): each fault of the real nodes made PLEG_BENCH_ROUNDS times (3),
# its lead over NotReady printed; then the healthy and dense real nodes
# soaked for PLEG_BENCH_SOAK (30m) with every CPU busy. Not in `bench` or CI.
bench-early:
	cd test/e2e && PLEG_BENCH_EARLY=1 $(GO) test -count=1 -v -timeout 120m -run 'TestBenchEarlyWarning$$' . | grep -Ev '^=== (RUN|PAUSE|CONT)'

# The alerting rules regenerated from the diagnose constants, checked and
# unit-tested by promtool (Debian: apt-get install prometheus).
alerts-test:
	@command -v promtool >/dev/null || { echo "promtool not found: make deps (apt-get install prometheus)"; exit 1; }
	@d=$$(mktemp -d) && trap 'rm -rf "$$d"' EXIT && \
	  $(GO) run ./cmd/kubectl-pleg alerts -o rules-file > "$$d/rules.yaml" && \
	  cp internal/alerts/testdata/rules_test.yaml "$$d/" && \
	  promtool check rules "$$d/rules.yaml" && \
	  (cd "$$d" && promtool test rules rules_test.yaml)

clean:
	rm -rf $(BIN)

# --- Release: goreleaser archives, the krew manifest, the install test ---
# Pinned tools come from hack/tools.sh (built from the Go module proxy when
# missing). See README.md, "Install with krew".
.PHONY: release-check snapshot krew-validate install-test completion-lab-test

# goreleaser's own validation of .goreleaser.yaml.
release-check:
	"$$(hack/tools.sh goreleaser)" check

# The six platforms' archives and checksums in dist/, as a release makes them.
snapshot:
	"$$(hack/tools.sh goreleaser)" release --snapshot --clean

# krew/plugin.yaml rendered for the archives in dist/ (make snapshot), checked
# by krew's validate-krew-manifest: structure, then every platform installed.
krew-validate:
	@test -f dist/metadata.json || { echo "no dist/metadata.json: run make snapshot first"; exit 1; }
	@d=$$(mktemp -d) && trap 'rm -rf "$$d"' EXIT && \
	  mkdir "$$d/served" && ln -s "$$(hack/tools.sh krew)" "$$d/kubectl-krew" && \
	  vkm="$$(hack/tools.sh validate-krew-manifest)" && \
	  $(GO) run ./hack/krew-render -dist dist -o "$$d/pleg.yaml" && \
	  "$$vkm" -manifest "$$d/pleg.yaml" -skip-install && \
	  PATH="$$d:$$PATH" $(GO) run ./hack/krew-render -dist dist -o "$$d/served/pleg.yaml" -serve \
	    "$$vkm" -manifest "$$d/served/pleg.yaml"

# Build the release archives, then install them with krew into a temporary
# KREW_ROOT and run the plugin through kubectl, as a user would. CI runs this.
install-test:
	test/install/install-test.sh

# Node-name completion through kubectl against the e2e lab (make lab first).
completion-lab-test:
	INSTALL_TEST_KUBECONFIG=$${PLEG_LAB_DIR:-/tmp/pleg-lab}/admin.kubeconfig test/install/install-test.sh
