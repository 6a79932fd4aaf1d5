# fluvio-go: run `make help` for the targets.
SHELL := /bin/bash
GO ?= go
BIN := bin
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.0.0-dev)
COMMIT ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X github.com/fluvio-go/fluvio/internal/version.Version=$(VERSION) -X github.com/fluvio-go/fluvio/internal/version.Commit=$(COMMIT)
GOFLAGS_BUILD := -buildvcs=false -trimpath -ldflags "$(LDFLAGS)"
TEST_TIMEOUT ?= 25m
FUZZTIME ?= 30s

.PHONY: help build run nats-server nats-up test readme race lint security bench bench-quick e2e crash chaos fuzz clean tidy-check

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## build fluvio, sc-server, spu-server and the example programs into bin/
	@mkdir -p $(BIN)
	$(GO) build $(GOFLAGS_BUILD) -o $(BIN)/fluvio ./cli/cmd/fluvio
	$(GO) build $(GOFLAGS_BUILD) -o $(BIN)/sc-server ./sc/cmd/sc-server
	$(GO) build $(GOFLAGS_BUILD) -o $(BIN)/spu-server ./spu/cmd/spu-server
	$(GO) build $(GOFLAGS_BUILD) -o $(BIN)/example-producer ./examples/producer
	$(GO) build $(GOFLAGS_BUILD) -o $(BIN)/example-consumer ./examples/consumer

run: build ## start a local cluster (embedded NATS, SC, SPUs) and show what to do next
	@./scripts/run.sh

nats-server: ## build nats-server (the version go.mod pins) into bin/
	@mkdir -p $(BIN)
	$(GO) build $(GOFLAGS_BUILD) -o $(BIN)/nats-server github.com/nats-io/nats-server/v2

nats-up: nats-server ## run bin/nats-server with nats.conf in the foreground (127.0.0.1:4222; see its header; Ctrl-C stops)
	exec ./$(BIN)/nats-server -c nats.conf

# The wire client's raw socket I/O and its recycled answer buffers are off
# under the race detector (wire/rawio.go, wire/recycle.go): their tests, and
# a consumer holding records across recycling, run again without it.
test: ## run every test with the race detector, then the paths it turns off without it (what CI runs; about 15 minutes)
	$(GO) test -race -timeout $(TEST_TIMEOUT) ./...
	$(GO) test -count=1 -timeout 5m ./wire/
	$(GO) test -count=1 -timeout 5m -run '^TestConsumerHeldRecordsDoNotChange$$' .

README_TIMEOUT ?= 5m

readme: ## run the shell blocks of README.md, then examples/README.md, in order, from a copy of the repo with an empty HOME, in a private network namespace (about 3 minutes)
	FLUVIO_README=1 FLUVIO_README_TIMEOUT=$(README_TIMEOUT) $(GO) test -count=1 -v -timeout 15m -run '^TestREADME$$' ./internal/readme/

SECURITY_IDLE_CONNS ?= 20000

security: ## the security suite (NATS identities and permissions, forged control messages, follower proofs, client authentication, TLS on every link, 20,000 idle connections): prints the summary line
	@mkdir -p $(BIN)
	@rm -f $(BIN)/security-summary.txt
	SECURITY_IDLE_CONNS=$(SECURITY_IDLE_CONNS) SECURITY_SUMMARY=$(CURDIR)/$(BIN)/security-summary.txt \
	  $(GO) test -count=1 -timeout 10m ./security/ ./internal/natsauth/ ./internal/bindcheck/ ./internal/tlsconf/
	@cat $(BIN)/security-summary.txt

race: ## run the tests with the race detector, three times, to shake out flakes
	$(GO) test -race -count=3 -timeout 60m ./...

lint: ## gofmt check, go vet, staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

bench: build ## side-by-side benchmarks: ours vs NATS JetStream vs machine limits (RECORD=1: into bench/README.md)
	@if [ -x ./bench/run.sh ]; then RECORD=$(RECORD) ./bench/run.sh full; else $(GO) test -run '^$$' -bench . -benchtime 1x ./...; fi

bench-quick: build ## the benchmarks in quick mode (a few minutes; RECORD=1: into bench/README.md)
	@if [ -x ./bench/run.sh ]; then RECORD=$(RECORD) ./bench/run.sh quick; else $(GO) test -run '^$$' -bench . -benchtime 1x ./...; fi

e2e: build ## the end-to-end tests with real processes
	$(GO) test -race -timeout $(TEST_TIMEOUT) -run 'TestE2E' ./...

crash: ## the WAL crash tests, many times over
	$(GO) test -timeout 60m -run 'TestCrash' -count 20 ./wal/...

CHAOS_DURATION ?= 5m
CHAOS_SEED ?= $(shell date +%s)

chaos: build ## the failure suite with real processes: 3 SPUs, seeded kill -9/SIGSTOP/restarts/new topics for CHAOS_DURATION (5m), then the two negative controls (about 7 minutes; a progress line every 10s)
	$(GO) build $(GOFLAGS_BUILD) -o $(BIN)/fluvio-chaos ./chaos/cmd/fluvio-chaos
	./$(BIN)/fluvio-chaos --bin-dir $(BIN) --duration $(CHAOS_DURATION) --seed $(CHAOS_SEED)
	./$(BIN)/fluvio-chaos --bin-dir $(BIN) --duration 20s --seed $(CHAOS_SEED) --negative
	./$(BIN)/fluvio-chaos --bin-dir $(BIN) --duration 20s --seed $(CHAOS_SEED) --negative-resend

fuzz: ## run each fuzz target for FUZZTIME (default 30s)
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; done

tidy-check: ## fail if go.mod or go.sum is not tidy
	$(GO) mod tidy -diff

clean: ## remove build output
	rm -rf $(BIN)
