#!/usr/bin/env bash
# Rebuilds the shipped model in model/ from generator data, reproducibly:
#   history (generate, seed 2026, 500k transfers over 7 days)
#   -> features (replay, the shipped config, no model)
#   -> train on the first 5 days -> evaluate on the last 2.
# Writes model/pixguard-default.json, its model card, and its evaluation (text and plot).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target pixguard
pg=build/src/cli/pixguard
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$pg" generate --seed 2026 -n 500000 -o "$work/history.jsonl" -q
"$pg" replay --config config/streaming_config.yaml --no-model -i "$work/history.jsonl" -o "$work/history.csv" -q
mkdir -p model
"$pg" train --config config/streaming_config.yaml -i "$work/history.csv" -o model/pixguard-default.json \
  --to 2025-11-29 --seed 42 --tree-method hist --eta 0.1 --subsample 0.8 -q
"$pg" evaluate --model model/pixguard-default.json -i "$work/history.csv" --from 2025-11-29 \
  --plot model/pixguard-default.evaluation.png | tee model/pixguard-default.evaluation.txt
