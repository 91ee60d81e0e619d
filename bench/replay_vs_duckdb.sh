#!/usr/bin/env bash
# `pixguard replay` of a card-style table with the 15 window features of
# bench/card_features.yaml, against DuckDB's window SQL for the same features on the same
# rows (bench/duckdb_card_features.mjs), with the same number of threads, run after run in
# turn. Both read the CSV, compute, and write one CSV row per transaction. pixguard's time
# is its process's wall time; DuckDB's is its COPY statement's alone (its start-up not
# counted).
#
#   bench/replay_vs_duckdb.sh [ROWS=1750000] [RUNS=3]
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1750000}
runs=${2:-3}
pg=build/src/cli/pixguard
[ -x "$pg" ] || { echo "build first: cmake --build build" >&2; exit 1; }
[ -d tests/js/node_modules/@duckdb/node-api ] || { echo "DuckDB is missing: run scripts/setup.sh" >&2; exit 1; }

work="${TMPDIR:-/tmp}/pixguard-card-bench"
mkdir -p "$work"
csv="$work/card-$rows.csv"
if [ ! -s "$csv" ]; then
  echo "writing $csv ($rows rows)" >&2
  python3 bench/card_transactions.py "$csv" --rows "$rows"
fi

now() { date +%s.%N; }
declare -A ours theirs
for threads in 1 2; do
  sed "s/^  workers: 0 .*/  workers: $threads/; s#data/card/#$work/out/#" bench/card_features.yaml >"$work/config-$threads.yaml"
  for i in $(seq 1 "$runs"); do
    t0=$(now)
    "$pg" replay --config "$work/config-$threads.yaml" --input "$csv" --output "$work/pixguard.csv" --json -q \
      >"$work/pixguard.json"
    t1=$(now)
    ours[$threads]+="$(python3 -c "print($t1 - $t0)") "
    node bench/duckdb_card_features.mjs "$csv" "$work/duckdb.csv" "$threads" >"$work/duckdb.json"
    theirs[$threads]+="$(python3 -c "import json; print(json.load(open('$work/duckdb.json'))['seconds'])") "
  done
  python3 - "$work/pixguard.json" "$rows" <<'EOF'
import json, sys
acc = json.load(open(sys.argv[1]))
assert acc["in"] == int(sys.argv[2]) and acc["scored"] == acc["in"] and acc["balanced"], acc
EOF
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
printf '%-8s %16s %16s %8s\n' threads "pixguard tx/s" "duckdb tx/s" ratio
for threads in 1 2; do
  a=$(echo "${ours[$threads]}" | median)
  b=$(echo "${theirs[$threads]}" | median)
  python3 -c "n=$rows; a=$a; b=$b; print(f'{$threads:<8} {n/a:16.0f} {n/b:16.0f} {b/a:8.2f}')"
done
