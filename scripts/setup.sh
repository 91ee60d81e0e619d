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
  libcpp-httplib-dev prometheus chromium  # the operations endpoint (src/ops/); its test's scraper and browser
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: run as root, or install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
