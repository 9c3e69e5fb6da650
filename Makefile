# YTMaker: `make run` sets up and runs the system; `make test` runs every test.
GO      ?= go
BIN     := bin/ytmaker
ARGS    ?=

.PHONY: run test build deps test-deps bench fuzz vet clean

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

# Benchmarks; figures and how to read them are in docs/BENCHMARKS.md.
bench: test-deps
	$(GO) test -run '^$$' -bench . -benchtime 1x ./...

clean:
	rm -rf bin
