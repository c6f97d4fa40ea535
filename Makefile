# Hearth: `make run` serves the app, `make test` checks everything.
# Each target runs scripts/setup.sh first, which installs only what is missing.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
# wasm-opt from npm (tools/) and cargo-installed tools come first on PATH.
export PATH := $(CURDIR)/tools/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export SQLX_OFFLINE := true

.PHONY: setup setup-test build run test lint deny unit e2e prepare clean-data

setup:
	@scripts/setup.sh build

setup-test:
	@scripts/setup.sh test

## The release build `make run` serves: target/release/hearth + target/site.
build: setup
	cargo leptos build --release

## Serve on http://127.0.0.1:3000 with the data in ./data (see Leptos.toml).
run: build
	target/release/hearth

## Everything that must pass: formatting, clippy on both builds, cargo deny,
## unit and integration tests, and Playwright against the real release server.
test: setup-test lint deny unit build e2e

lint:
	cargo fmt --all -- --check
	cargo clippy --features ssr --all-targets -- -D warnings
	cargo clippy --features hydrate --target wasm32-unknown-unknown --lib -- -D warnings
	@echo "lint: fmt and clippy (ssr, hydrate) clean"

## Advisories, licences, bans and sources of every dependency (offline
## against ../shared/advisory-db when it is there).
deny:
	scripts/deny.sh

unit:
	cargo test --features ssr 2>&1 | tee target/cargo-test.log
	@grep '^test result:' target/cargo-test.log | awk '{p+=$$4; f+=$$6} END {printf "cargo test: %d passed, %d failed\n", p, f}'

e2e:
	cd end2end && npx playwright test

## Regenerates the committed .sqlx/ query cache after a query or migration
## changes (needs the sqlite3 command).
prepare:
	rm -rf target/sqlx .sqlx && mkdir -p target/sqlx .sqlx
	for f in migrations/*.sql; do sqlite3 target/sqlx/dev.db < $$f; done
	touch src/lib.rs # the macros write the cache only when they run
	SQLX_OFFLINE=false SQLX_OFFLINE_DIR=$(CURDIR)/.sqlx DATABASE_URL=sqlite://$(CURDIR)/target/sqlx/dev.db \
		cargo check --features ssr --all-targets
