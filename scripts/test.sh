#!/usr/bin/env bash
# README command 2 (and CI): install what is missing, then build and run every test twice:
# a normal build with warnings as errors, and an AddressSanitizer + UBSan build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
jobs="$(nproc)"

echo "== build (warnings are errors)"
# Release (-O2, no debug info), as README command 1 builds it: the two share build/.
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DPIXGUARD_WERROR=ON -DPIXGUARD_BENCH=ON >/dev/null
cmake --build build -j"$jobs"
echo "== tests"
ctest --test-dir build --output-on-failure -j"$jobs"

echo "== build with AddressSanitizer and UndefinedBehaviorSanitizer (clang), and the fuzzers"
# -O1 -g1: sanitizer builds compile the whole tree again; this keeps CI well inside its time.
# clang, so that the same build also links the libFuzzer targets in fuzz/ (PIXGUARD_FUZZ):
# their ctest entries (label `fuzz`) fuzz the committed corpus for PIXGUARD_FUZZ_SECONDS each.
# A build-asan left from a gcc configuration is started afresh (CMake cannot switch compilers).
if [ -f build-asan/CMakeCache.txt ] && ! grep -q '^CMAKE_CXX_COMPILER:[A-Z]*=.*clang++' build-asan/CMakeCache.txt; then
  rm -rf build-asan
fi
cmake -S . -B build-asan -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  -DPIXGUARD_WERROR=ON -DPIXGUARD_SANITIZE=ON -DPIXGUARD_BENCH=OFF -DPIXGUARD_FUZZ_SECONDS=20 >/dev/null
cmake --build build-asan -j"$jobs"
echo "== tests under sanitizers, and the fuzzers"
# The three slowest end-to-end scenarios (a minute each under ASan) run in the normal build
# only; their code paths (recovery, the Kafka sink, compaction) are also run here by the
# kill/restart, Kafka and Delta tests that remain.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs" \
  -E '^(kafka_stream_crash|chaos_corrupt_checkpoint|delta_table_compact_while_running)$'
echo "== all tests passed"
