# Cardline. The README's two commands are `make demo` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
NODE := node
TSX := $(NODE) --import tsx

.PHONY: all deps build lint test test-only demo bench fuzz clean

all: build

## deps: install system and npm packages that are missing (idempotent)
deps:
	@bash scripts/deps.sh

## build: compile TypeScript to dist/ (the `cardline` bin runs from there)
build: deps
	@npx tsc -p tsconfig.build.json
	@$(NODE) scripts/copy-assets.mjs

## lint: ESLint (type-aware) and the TypeScript type check
lint: deps
	@npx eslint --max-warnings 0 .
	@npx tsc -p tsconfig.json --noEmit

## test: the whole suite, lint included; prints 'N passed, N failed' last
test: deps lint test-only

test-only:
	@mkdir -p .tap
	@set +e; npx tap 2>&1 | tee .tap/last-run.txt; status=$${PIPESTATUS[0]}; \
	  $(NODE) scripts/tap-summary.mjs .tap/last-run.txt; exit $$status

## demo: the main job on embedded defaults: a center, one kiosk and simulated hardware issue a card end to end
demo: build
	@$(NODE) dist/cli/main.js demo $(DEMO_ARGS)

## bench: benchmarks that print figures
bench: deps
	@for f in bench/*.ts; do echo "== $$f"; $(TSX) "$$f"; done

## fuzz: the documented long run of the parser property tests (100,000 inputs per property)
fuzz: deps
	@FUZZ_RUNS=100000 npx tap --timeout=3600 test/unit/card/fuzz-parsers.test.ts test/unit/card/gp-fuzz.test.ts

clean:
	rm -rf dist .tap
