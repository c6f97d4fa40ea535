#!/usr/bin/env bash
# Regenerates .sqlx/, the descriptions of every checked query, so builds need
# no database. Each store describes its own queries: one pass against a
# SQLite file built from migrations/sqlite, one against a throwaway
# PostgreSQL migrated from migrations/postgres. A pass cannot describe the
# other store's queries (those errors are expected), so each pass writes to
# its own directory, and each query's description is taken from the pass of
# the store it is for: `hearth_sql::shared!` ends each store's text with
# `-- store: sqlite` or `-- store: postgres`; a query without either is
# SQLite's. Then an offline build must find every query described.
set -euo pipefail
cd "$(dirname "$0")/.."

work=target/sqlx
rm -rf "$work" && mkdir -p "$work/sqlite" "$work/postgres"
for f in migrations/sqlite/*.sql; do sqlite3 "$work/dev.db" < "$f"; done

cargo build -q -p hearth-testkit --bin throwaway-postgres
coproc PG { target/debug/throwaway-postgres --migrations migrations/postgres; }
read -r pg_url <&"${PG[0]}"

pass() { # store url
  touch src/lib.rs # the macros describe (and save) only when they run
  SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$PWD/$work/$1" DATABASE_URL="$2" \
    cargo check --features ssr --all-targets --message-format short >"$work/$1.log" 2>&1 || true
}
pass sqlite "sqlite://$PWD/$work/dev.db"
pass postgres "$pg_url"
exec {PG[1]}>&- # the server stops once its input closes

# A pass that could not build describes nothing: keep the old .sqlx then.
if ! ls "$work"/sqlite/*.json >/dev/null 2>&1; then
  grep -E '^[^ ]+: error' "$work/sqlite.log" | head -20 >&2
  echo "prepare: the SQLite pass did not build (see $work/sqlite.log); .sqlx is unchanged" >&2
  exit 1
fi
rm -rf .sqlx && mkdir .sqlx
for f in "$work"/sqlite/*.json; do
  grep -q -- '-- store: postgres' "$f" || cp "$f" .sqlx/
done
for f in "$work"/postgres/*.json; do
  if grep -q -- '-- store: postgres' "$f"; then cp "$f" .sqlx/; fi
done
touch src/lib.rs
SQLX_OFFLINE=true cargo check --features ssr --all-targets
echo "prepare: $(ls .sqlx | wc -l) queries described"
