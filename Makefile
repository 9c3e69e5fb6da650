# YTMaker: `make run` sets up and runs the system; `make test` runs every test.
GO      ?= go
BIN     := bin/ytmaker
ARGS    ?=

.PHONY: run test build deps test-deps bench soak fuzz vet clean

run: deps build
	./$(BIN) serve $(ARGS)

build:
	$(GO) build -o $(BIN) ./cmd/ytmaker

deps:
	@./scripts/install-deps.sh

test-deps:
	@./scripts/install-deps.sh --test

# Every test: unit, integration (real redis-server and ffmpeg) and the
# browser test (headless Chromium). Takes a few minutes on 2 cores.
test: test-deps
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...

vet:
	$(GO) vet ./...

# The kill-soak (not part of `make test`, which runs a 20-project version):
# `ytmaker serve` and three `ytmaker worker` processes make SOAK_PROJECTS
# short videos through the batch API against the protocol fakes, while a
# worker is killed with SIGKILL every 10-30 s, serve twice and its Redis
# once; then it prints the report (docs/BENCHMARKS.md shows one).
SOAK_PROJECTS ?= 200
soak: test-deps
	YTMAKER_SOAK_PROJECTS=$(SOAK_PROJECTS) $(GO) test -count=1 -run '^TestSoak$$' -v -timeout 3h ./cmd/ytmaker

# Benchmarks; figures and how to read them are in docs/BENCHMARKS.md.
bench: test-deps
	$(GO) test -run '^$$' -bench . -benchtime 1x ./...

clean:
	rm -rf bin
