# The two commands: `make run` (server + demo data, embedded defaults) and `make test`.
CARGO ?= cargo

.PHONY: run test build spec spec-check fmt lint ci

run:
	$(CARGO) run -p juhe-api --bin juhe -- serve --seed-demo

test:
	$(CARGO) test --workspace --all-targets

build:
	$(CARGO) build --workspace --all-targets

# Regenerate the committed OpenAPI spec after changing the API.
spec:
	$(CARGO) run -q -p juhe-api --bin juhe -- openapi --output openapi/openapi.json

spec-check:
	$(CARGO) run -q -p juhe-api --bin juhe -- openapi | diff -u openapi/openapi.json - && echo "spec up to date"

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

ci:
	.ci/run
