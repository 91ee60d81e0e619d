#!/usr/bin/env bash
# README command 1: install what is missing, build, and run the streaming job on the
# embedded default (config/streaming_config.yaml: a synthetic stream of 1M Pix transfers).
# Outputs land in ./data/; extra arguments go to `pixguard run`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DPIXGUARD_BENCH=OFF >/dev/null
cmake --build build -j"$(nproc)" --target pixguard
# --http: while it runs, the dashboard is at http://127.0.0.1:9464/ and /metrics beside it.
exec build/src/cli/pixguard run --config config/streaming_config.yaml --overwrite --http 127.0.0.1:9464 "$@"
