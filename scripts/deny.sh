#!/usr/bin/env bash
# Runs `cargo deny check` (advisories, bans, licences, sources). With no
# internet here, it uses the RustSec snapshot in ../shared/advisory-db (or
# $HEARTH_ADVISORY_DB) offline; elsewhere it fetches the database as usual.
set -euo pipefail
cd "$(dirname "$0")/.."

snapshot=${HEARTH_ADVISORY_DB:-}
for candidate in ../shared/advisory-db /work/shared/advisory-db; do
  [ -n "$snapshot" ] || { [ -d "$candidate/crates" ] && snapshot=$candidate; } || true
done

if [ -z "$snapshot" ]; then
  exec cargo deny check
fi

# cargo deny wants the database as a git repository in a folder named after
# the default URL, dated by its HEAD commit: give it the snapshot's date.
db=target/advisory-db/advisory-db-3157b0e258782691
stamp=$(cat "$snapshot/SNAPSHOT")
if [ "$(cat "$db/.snapshot" 2>/dev/null)" != "$stamp" ]; then
  rm -rf "$db"
  mkdir -p "$db"
  cp -r "$snapshot/." "$db/"
  date=$(awk '{print $2}' "$snapshot/SNAPSHOT")
  (
    cd "$db"
    git init -q
    git add -A
    GIT_AUTHOR_DATE="${date}T00:00:00Z" GIT_COMMITTER_DATE="${date}T00:00:00Z" \
      git -c user.name=hearth -c user.email=hearth@localhost commit -qm "RustSec snapshot $stamp"
  )
  echo "$stamp" > "$db/.snapshot"
fi
cargo fetch --locked >/dev/null
cargo deny --offline check
