# Stoa — the two set-up commands are `make run` and `make test`.
SHELL := /bin/bash
CARGO ?= cargo
PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres
# Where cargo puts its output (CI points CARGO_TARGET_DIR outside the clone).
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)

.PHONY: run test lint build openapi bench check-pg check-deploy check-image release clean console console-check console-e2e console-api

## Build (debug profile) and start the server with embedded defaults on http://127.0.0.1:8080.
## It runs the binary of `make build`, not `cargo run --bin stoa`: that builds only the `server`
## member, without the tests' dev-dependencies, so shared dependencies (serde_json, crypto-common,
## ...) get other features and some thirty crates recompile each time one switches between
## `make run` and `make test`. One build serves all three.
run: build
	$(TARGET_DIR)/debug/stoa serve

## The whole suite: format, lints, spec drift, unit tests and the black-box suite on SQLite and
## PostgreSQL, with a real S3 server (SeaweedFS, installed and started by scripts/s3.sh); the
## single sign-on tests start a real OpenID Connect provider each (scripts/oidc.sh, Node.js + npm);
## then the admin console's checks, unit tests and end-to-end tests in headless chromium.
test: lint build check-pg check-deploy check-image
	@scripts/check-pg.sh --summary
	@scripts/nginx.sh >/dev/null 2>&1 || echo "!!! nginx is missing and could not be installed: the multi-node tests are SKIPPED (scripts/nginx.sh)"
	@$(TARGET_DIR)/debug/stoa openapi | diff -u openapi/stoa.yaml - >/dev/null || \
	  { echo "openapi/stoa.yaml differs from the code: run 'make openapi' and commit it"; exit 1; }
	@s3run=; if s3env=$$(scripts/s3.sh start); then \
	  eval "$$s3env"; s3run=$$STOA_S3_RUN; \
	  echo "S3 (SeaweedFS) is up at $$STOA_TEST_S3_ENDPOINT: the S3 tests run."; \
	elif [ "$${CI:-}" = "true" ]; then \
	  echo "!!! the S3 server did not start and CI=true requires it"; exit 1; \
	else \
	  echo "!!! the S3 server did not start: the S3 tests are SKIPPED"; \
	fi; \
	trap 'scripts/s3.sh stop "$$s3run"' EXIT; \
	if $(CARGO) nextest --version >/dev/null 2>&1; then \
	  $(CARGO) nextest run --workspace $${CI:+--profile ci} && \
	  echo "doc tests (nextest does not run them: the proofs that cannot be forged are compile-fail examples)" && \
	  $(CARGO) test --doc --workspace; \
	else \
	  echo "(cargo-nextest not installed: using cargo test)"; \
	  $(CARGO) test --workspace; \
	fi
	@$(MAKE) --no-print-directory console-check console-e2e

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## The admin console is built first (when Node.js is present) so that the binary embeds it.
build: console
	$(CARGO) build --workspace --all-targets

## The admin console (admin-web/ -> admin-web/dist, embedded in the binary); see scripts/console.sh.
console:
	@scripts/console.sh build

## Generated API types match openapi/stoa.yaml, typecheck, lint, Vitest unit tests.
console-check:
	@scripts/console.sh check

## End-to-end tests in headless Debian chromium (installed when missing) against the built binary.
console-e2e:
	@scripts/console.sh e2e $(TARGET_DIR)/debug/stoa

## Regenerate the console's typed API client after openapi/stoa.yaml changed (then commit it).
console-api:
	@scripts/console.sh api

## Say loudly when PostgreSQL is missing (and fail under CI, where it is mandatory).
check-pg:
	@scripts/check-pg.sh

## The deployment files: deploy/Dockerfile (hadolint), deploy/compose (docker-compose config) and
## every Kubernetes overlay (kubectl kustomize, kubernetes-validate --strict). The tools are
## installed on first use by scripts/deploy-tools.sh; a missing one fails under CI=true.
check-deploy:
	@scripts/check-deploy.sh

## The container image's build steps (deploy/build.sh: console, binary, checks of the binary)
## with the dev profile; the image runs the same script with the release profile.
check-image:
	@deploy/build.sh ci

## Regenerate the committed OpenAPI spec from the code (with the binary of `make build`; see `run`).
openapi: build
	$(TARGET_DIR)/debug/stoa openapi > openapi/stoa.yaml
	@scripts/console.sh api || echo "(the console's API types were not regenerated: run make console-api)"

## Release build, then the benchmark table (targets in docs/benchmarks.md). Not a test.
bench:
	$(CARGO) build --release -p stoa-server -p stoa-bench
	@s3run=; if s3env=$$(scripts/s3.sh start); then eval "$$s3env"; s3run=$$STOA_S3_RUN; \
	else echo "(no S3 server: S3 rows skipped)"; fi; \
	trap 'scripts/s3.sh stop "$$s3run"' EXIT; \
	$(TARGET_DIR)/release/stoa-bench --stoa $(TARGET_DIR)/release/stoa

release:
	$(CARGO) build --release --bin stoa

clean:
	$(CARGO) clean
