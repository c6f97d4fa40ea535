# Hearth: `make run` serves the app, `make test` checks everything.
# Each target runs scripts/setup.sh first, which installs only what is missing.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
# wasm-opt from npm (tools/) and cargo-installed tools come first on PATH.
export PATH := $(CURDIR)/tools/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export SQLX_OFFLINE := true

.PHONY: setup setup-test build run test lint deny unit e2e prepare clean-data bench soak soak-short cluster

setup:
	@scripts/setup.sh build

setup-test:
	@scripts/setup.sh test

## The release build `make run` serves: target/release/hearth + target/site,
## with a brotli and a gzip copy of each browser file (served by
## src/server/assets.rs).
build: setup
	cargo leptos build --release --precompress
	@# cargo-leptos's gzip copies are ~17% larger than gzip -9's (the brotli
	@# ones are fine): remake them for browsers that cannot take brotli.
	gzip -9 -k -f -n target/site/pkg/*.wasm target/site/pkg/*.js target/site/pkg/*.css
	@# Only pkg/ is served compressed (with Vary); drop the copies of the rest.
	find target/site -path target/site/pkg -prune -o -type f \( -name '*.br' -o -name '*.gz' \) -exec rm -f {} +

## Serve on http://127.0.0.1:3000 with the data in ./data (see Leptos.toml).
run: build
	target/release/hearth

## Several nodes on this machine: a throwaway PostgreSQL, nats-server, three
## nodes and HAProxy (deploy/haproxy.cfg). Prints the proxy's address and
## each node's address and pid; kill a node and watch the others carry on.
## Ctrl-C stops everything; logs in target/cluster/.
cluster: setup-test build
	cargo build --release -p hearth-testkit --bin hearth-cluster
	target/release/hearth-cluster

## Everything that must pass: formatting, clippy on both builds, cargo deny,
## unit and integration tests, Playwright against the real release server,
## and the short fault suite (kill -9, reconnect storm, SIGTERM, disk full).
test: setup-test lint deny unit build e2e soak-short

lint:
	cargo fmt --all -- --check
	cargo clippy --features ssr --all-targets -- -D warnings
	cargo clippy -p hearth-protocol --all-targets -- -D warnings
	cargo clippy -p hearth-testkit -p hearth-sql --all-targets -- -D warnings
	cargo clippy -p hearth-bench -p hearth-soak --all-targets -- -D warnings
	cargo clippy --features hydrate --target wasm32-unknown-unknown --lib -- -D warnings
	@echo "lint: fmt and clippy (ssr, hydrate) clean"

## Advisories, licences, bans and sources of every dependency (offline
## against ../shared/advisory-db when it is there).
deny:
	scripts/deny.sh

unit:
	cargo test --features ssr 2>&1 | tee target/cargo-test.log
	@# The integration suite again, on a throwaway PostgreSQL it starts itself.
	HEARTH_TEST_STORE=postgres cargo test --features ssr --test api 2>&1 | tee -a target/cargo-test.log
	cargo test -p hearth-protocol 2>&1 | tee -a target/cargo-test.log
	cargo test -p hearth-testkit -p hearth-sql 2>&1 | tee -a target/cargo-test.log
	@grep '^test result:' target/cargo-test.log | awk '{p+=$$4; f+=$$6} END {printf "cargo test: %d passed, %d failed\n", p, f}'

e2e:
	cd end2end && npx playwright test

## Regenerates the committed .sqlx/ query cache after a query or migration
## changes (needs the sqlite3 command, and PostgreSQL from `make setup-test`).
prepare:
	scripts/prepare.sh

## Benchmarks (not part of `make test`): Hearth against references run by the
## same harness, server and generator pinned to one core each. Builds the app,
## a Leptos hello-world (the bundle-size reference, same profile and
## wasm-opt) and the harness, then writes target/bench/report.json and
## target/bench/report.md; then times the `Rooms` list over 200 rooms of
## 100,000 messages (target/bench/unread.json), and search over a million
## messages (target/bench/search.json). See bench/README.md.
bench: build
	cp Cargo.lock bench/hello/Cargo.lock
	cd bench/hello && cargo leptos build --release --frontend-only
	cargo build --release -p hearth-bench
	target/release/hearth-bench run
	target/release/hearth-bench unread
	target/release/hearth-bench search

## Fault suite (issue 8; not part of `make test`): 60 s of fuzzing the
## websocket protocol parser (cargo-fuzz on nightly; log in
## target/soak/fuzz-protocol.log), then kill -9, reconnect-storm, SIGTERM and
## disk-full runs against the release server, each checked against the SQLite
## file; then the cluster faults (three nodes behind HAProxy on PostgreSQL and
## NATS: kill -9 before and after a commit, nats-server stopped, a node stopped
## inside a transaction, a restart in a reconnect storm), checked against
## PostgreSQL. Ends with `soak: <runs> runs, <acked> acked, <lost> lost,
## <dup> duplicated` and fails if anything was lost, duplicated, out of order
## or another promise broken. See soak/README.md.
FUZZ_SECONDS ?= 60
soak: setup-test build
	rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	cargo build --release -p hearth-soak
	@# The cluster faults' server: the release code with test-only failpoints.
	cargo build --profile failpoints --features failpoints --bin hearth
	cp Cargo.lock fuzz/Cargo.lock
	mkdir -p fuzz/corpus/protocol target/soak
	cd fuzz && cargo +nightly fuzz build protocol
	cd fuzz && cargo +nightly fuzz run protocol corpus/protocol seeds/protocol -- -max_total_time=$(FUZZ_SECONDS) \
		> $(CURDIR)/target/soak/fuzz-protocol.log 2>&1 \
		|| { tail -40 $(CURDIR)/target/soak/fuzz-protocol.log; echo "fuzz: protocol FAILED (input in fuzz/artifacts/protocol/)"; exit 1; }
	@grep -o 'Done [0-9]* runs in [0-9]* second' target/soak/fuzz-protocol.log | sed 's/^Done /fuzz: protocol, /; s/$$/s, no crash/'
	target/release/hearth-soak

## The short fault suite: a few runs of each fault, under two minutes, after
## the soak checker's own tests. Same last line as `make soak`.
soak-short: build
	cargo test --release -p hearth-soak --quiet
	cargo build --release -p hearth-soak
	target/release/hearth-soak --short
