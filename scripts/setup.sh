#!/usr/bin/env bash
# Installs everything Hearth's build and tests need, skipping each step that is
# already done. Usage: scripts/setup.sh [build|test]
#   build: the wasm target, cargo-leptos, wasm-bindgen-cli, wasm-opt
#   test:  build's tools plus cargo-deny, Chromium, the Playwright packages,
#          and PostgreSQL, nats-server and HAProxy (Debian's packages)
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:-build}
CARGO_LEPTOS_VERSION=0.3.10 # the newest whose --locked build works on rustc 1.95

step() { printf '==> %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }

# A cold `make test` writes about 5 GB under target/; a full disk shows up
# later as an unexplained compiler or linker failure, so say it first.
free_kb=$(df -Pk . | awk 'NR == 2 { print $4 }')
if [ "${free_kb:-0}" -lt $((6 * 1024 * 1024)) ]; then
  printf 'warning: only %s MB free here; a cold build and test needs about 5 GB\n' $((free_kb / 1024)) >&2
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! cargo leptos --version 2>/dev/null | grep -q " $CARGO_LEPTOS_VERSION"; then
  step "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 15 minutes on 2 cores)"
  cargo install cargo-leptos --locked --version "$CARGO_LEPTOS_VERSION"
fi

# The CLI must match the wasm-bindgen crate in Cargo.lock exactly, or the
# bundle fails when the browser loads it.
bindgen=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -q " $bindgen\$"; then
  step "installing wasm-bindgen-cli $bindgen"
  # --locked fails for this crate (a locked dependency is missing upstream).
  cargo install wasm-bindgen-cli --version "$bindgen" --force
fi

# wasm-opt from the npm package: Debian's binaryen is too old and yields a
# bundle that fails at hydration. The Makefile puts tools/node_modules/.bin
# first on PATH.
if ! [ -x tools/node_modules/.bin/wasm-opt ]; then
  step "installing wasm-opt (npm binaryen)"
  (cd tools && npm ci --no-audit --no-fund)
fi

[ "$what" = test ] || exit 0

CARGO_DENY_VERSION=0.20.2 # builds on rustc 1.95 in about 3 minutes
if ! cargo deny --version 2>/dev/null | grep -q " $CARGO_DENY_VERSION"; then
  step "installing cargo-deny $CARGO_DENY_VERSION"
  cargo install cargo-deny --locked --version "$CARGO_DENY_VERSION"
fi

chromium=${CHROMIUM_PATH:-/usr/lib/chromium/chromium}
if ! [ -x "$chromium" ]; then
  step "installing Debian's chromium"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get install -y --no-install-recommends chromium || {
    $sudo apt-get update && $sudo apt-get install -y --no-install-recommends chromium
  }
fi

if ! [ -d end2end/node_modules/@playwright/test ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  step "installing the Playwright packages (no browser download: Debian's chromium is used)"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi

# The second store and the cluster's parts, from Debian's packages: the tests
# start their own throwaway PostgreSQL (as the `postgres` user when run as
# root), nats-server and HAProxy; none of them is left running as a service.
packages=()
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || packages+=(postgresql)
have nats-server || packages+=(nats-server)
have haproxy || packages+=(haproxy)
if [ ${#packages[@]} -gt 0 ]; then
  step "installing Debian's ${packages[*]}"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get install -y --no-install-recommends "${packages[@]}" || {
    $sudo apt-get update && $sudo apt-get install -y --no-install-recommends "${packages[@]}"
  }
  # The packages start system-wide services where they can; the tests use
  # their own instances, so stop those rather than leave them running.
  for service in postgresql nats-server haproxy; do
    $sudo service "$service" stop >/dev/null 2>&1 || true
  done
fi
