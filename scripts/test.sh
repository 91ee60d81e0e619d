#!/usr/bin/env bash
# README command 2 (and CI): install what is missing, then build and run every test twice:
# a normal build with warnings as errors, and an AddressSanitizer + UBSan build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
jobs="$(nproc)"

echo "== build (warnings are errors)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPIXGUARD_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
echo "== tests"
ctest --test-dir build --output-on-failure -j"$jobs"

echo "== build with AddressSanitizer and UndefinedBehaviorSanitizer"
# -O1 -g1: sanitizer builds compile the whole tree again; this keeps CI well inside its time.
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  -DPIXGUARD_WERROR=ON -DPIXGUARD_SANITIZE=ON -DPIXGUARD_BENCH=OFF >/dev/null
cmake --build build-asan -j"$jobs"
echo "== tests under sanitizers"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs"
echo "== all tests passed"
