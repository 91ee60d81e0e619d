#!/usr/bin/env bash
# Regenerates checkpoint_table/_delta_log/00000000000000000002.checkpoint.parquet with DuckDB
# (tests/js, installed by scripts/setup.sh) from make_checkpoint.sql. The file is committed,
# so the tests read it without node; run this only to change the fixture.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="$here/checkpoint_table/_delta_log/00000000000000000002.checkpoint.parquet"
rm -f "$out"
sql="$(sed "s|__OUT__|$out|g" "$here/make_checkpoint.sql")"
# duckdb_query.mjs runs one statement per argument.
mapfile -d ';' -t statements < <(printf '%s' "$sql" | sed '/^--/d')
args=()
for s in "${statements[@]}"; do
  [[ "$s" =~ [^[:space:]] ]] && args+=("$s")
done
node "$root/tests/js/duckdb_query.mjs" "${args[@]}"
printf '{"version":2,"size":7,"sizeInBytes":%s}\n' "$(stat -c %s "$out")" > "$here/checkpoint_table/_delta_log/_last_checkpoint"
