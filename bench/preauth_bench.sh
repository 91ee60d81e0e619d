#!/usr/bin/env bash
# The pre-authorization API under load: `pixguard serve` with the shipped config (features,
# model, rules, every output on: the Delta table, alerts, dead letters), its answers
# journaled with fsync, against wrk (Debian's) on loopback. wrk sends transactions made by
# `pixguard generate`, each once (bench/preauth_wrk.lua), over CONNECTIONS kept-alive
# connections on 2 threads; DELAY_MS > 0 paces each connection (a request, then that many
# ms), 0 sends the next request as soon as the last is answered (the highest rate).
# Prints wrk's rate and latency percentiles and the answers' statuses, then the same for
# GET /health on the same server and connections (the HTTP layer alone: the baseline), and
# the service's accounting.
#
#   bench/preauth_bench.sh [DURATION=20s] [CONNECTIONS=16] [DELAY_MS=0] [DURABILITY=fsync] [WORKERS=0] [EPOCH=5s]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-20s}
connections=${2:-16}
delay_ms=${3:-0}
durability=${4:-fsync}
workers=${5:-0}
epoch=${6:-5s}
pg=build/src/cli/pixguard
[ -x "$pg" ] || { echo "build first: cmake --build build" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing: run scripts/setup.sh" >&2; exit 1; }

work=$(mktemp -d)
serve_pid=""
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"$pg" generate -n 2000000 --seed 5 --invalid-share 0 --duplicate-share 0 -o "$work/tx.jsonl" -q
# The shipped config, its outputs in the work directory; keep-alive connections for the run.
sed -e "s|data/|$work/data/|g" -e "s|  workers: 0 |  workers: $workers |" -e "s|  interval: 5s|  interval: $epoch|" \
  config/streaming_config.yaml >"$work/config.yaml"
cat >>"$work/config.yaml" <<YAML

preauth:
  durability: $durability
YAML
sed -i -e "s|^http:.*||" "$work/config.yaml"
cat >>"$work/config.yaml" <<YAML
http:
  keep_alive_requests: 1000000
  keep_alive_timeout: 60s
YAML
port=$((20000 + RANDOM % 20000))
"$pg" serve -c "$work/config.yaml" --http "127.0.0.1:$port" --json -q >"$work/accounting.json" 2>"$work/serve.log" &
serve_pid=$!
for _ in $(seq 1 200); do
  curl -sf "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$port/ready" >/dev/null || { cat "$work/serve.log" >&2; exit 1; }

echo "wrk: $connections connections, $duration, delay ${delay_ms} ms; journal $durability; pipeline.workers $workers; epochs $epoch" >&2
PREAUTH_INPUT="$work/tx.jsonl" PREAUTH_THREADS="$(( connections < 2 ? 1 : 2 ))" PREAUTH_DELAY_MS="$delay_ms" \
  wrk -t"$(( connections < 2 ? 1 : 2 ))" -c "$connections" -d "$duration" -s bench/preauth_wrk.lua "http://127.0.0.1:$port" | grep -E "^(latency_us|status|requests)"
echo "baseline, the same server and connections: GET /health (no pipeline, no journal)" >&2
PREAUTH_PATH=/health PREAUTH_DELAY_MS="$delay_ms" \
  wrk -t"$(( connections < 2 ? 1 : 2 ))" -c "$connections" -d "$duration" -s bench/preauth_wrk.lua "http://127.0.0.1:$port" | grep -E "^(latency_us|status|requests)"
kill -TERM "$serve_pid"
wait "$serve_pid" || true
serve_pid=""
/usr/bin/python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); print("service: in %d, scored %d, dead letters %d, duplicates %d, balanced %s" % (a["in"], a["scored"], a["dead_letters"], a["duplicates"], a["balanced"]))' "$work/accounting.json"
