#!/usr/bin/env bash
# Installs the Debian 12 packages pixguard builds and tests with, when any is missing.
# Idempotent and quiet when everything is present. Needs root (or sudo) only to install.
set -euo pipefail

packages=(
  g++ cmake make pkg-config python3 tzdata
  clang libclang-rt-14-dev  # the sanitizer build and libFuzzer (fuzz/); the runtimes are only recommended
  libsimdjson-dev libyaml-cpp-dev libcli11-dev libfmt-dev libabsl-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libxgboost-dev xgboost python3-xgboost zlib1g-dev
  librdkafka-dev kcat  # Kafka client (src/kafka/) and the independent client of the Kafka tests
  python3-confluent-kafka  # the Python peer of bench/kafka_vs_python.sh
  python3-pandas  # the independent reference of tests/prep (card-style data, window features)
  libpq-dev postgresql  # profile tables from PostgreSQL (src/enrich/); the tests start their own server
  libcpp-httplib-dev prometheus chromium  # the operations endpoint (src/ops/); its test's scraper and browser
  libsnappy-dev libzstd-dev  # Parquet page codecs (src/parquet/)
  libssl-dev  # TLS of the endpoint, keyed hashes and dead-letter encryption (src/privacy/)
  wrk  # the load generator of bench/preauth_bench.sh (the pre-authorization API)
)
# npm only when there is none: the Parquet tests' DuckDB comes from the npm registry (below).
command -v npm >/dev/null || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: run as root, or install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# DuckDB for the Parquet interop tests (tests/parquet/), pinned in tests/js/package-lock.json.
js_dir="$(dirname "$0")/../tests/js"
if [ ! -d "$js_dir/node_modules/@duckdb/node-api" ]; then
  echo "setup: npm ci in tests/js (DuckDB for the Parquet tests)" >&2
  npm ci --prefix "$js_dir" --no-audit --no-fund --loglevel=error >/dev/null
fi
