#!/usr/bin/env bash
# run_fuzzer.sh FUZZER SEED_CORPUS WORK_DIR [libFuzzer flags...]
# Fuzzes a fresh copy of the committed seed corpus in WORK_DIR (the build tree): inputs the
# run finds, and crash reproducers (WORK_DIR/artifacts/), never land in the source tree.
# Exits non-zero on a crash, a sanitizer report, a broken invariant, a timeout or an OOM.
set -euo pipefail
fuzzer=$1 seeds=$2 work=$3
shift 3
rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
cp -R "$seeds/." "$work/corpus/"
exec "$fuzzer" -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$@" "$work/corpus"
