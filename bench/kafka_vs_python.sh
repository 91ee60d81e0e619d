#!/usr/bin/env bash
# Kafka in -> Kafka out on the development cluster (`pixguard kafka`, librdkafka's mock
# cluster on loopback), pixguard against the Python peer (bench/kafka_python_peer.py), on
# the same cluster, the same input topic and in the same sitting, run after run in turn:
#   pixguard  `run --stop-at-end`: the shipped features, model and rules, exactly once
#             (one Kafka transaction per epoch), every decision to pix.scored, alerts and
#             dead letters to their topics; no file outputs;
#   peer      consume, a 5-minute window per payer, one decision per message, at least once.
# Each run is a fresh consumer group reading the whole topic. Two times each: the process's
# wall time, start to exit, and the time once the group has joined (pixguard: from its
# "assigned" log line to its exit; the peer: from its first message to its last delivery).
# The development cluster holds a new group's first join for about 3 s.
#
# PAYEES=repartition runs pixguard with `state.payees: repartition` (payee features exact
# across group members, through a payee topic of PARTITIONS partitions) instead of shared.
#
#   bench/kafka_vs_python.sh [COUNT=200000] [PARTITIONS=32] [RUNS=3] [EPOCH=1s] [WORKERS=0] [PAYEES=shared]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-200000}
partitions=${2:-32}
runs=${3:-3}
epoch=${4:-1s}
workers=${5:-0}
payees=${6:-shared}
pg=build/src/cli/pixguard
py=/usr/bin/python3  # Debian's, with python3-confluent-kafka (scripts/setup.sh installs it)
[ -x "$pg" ] || { echo "build first: cmake --build build" >&2; exit 1; }
"$py" -c "import confluent_kafka" 2>/dev/null || { echo "python3-confluent-kafka is missing: run scripts/setup.sh" >&2; exit 1; }

work=$(mktemp -d)
cluster_pid=""
cleanup() {
  [ -n "$cluster_pid" ] && kill "$cluster_pid" 2>/dev/null && wait "$cluster_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

mkfifo "$work/bootstrap"
payee_topics=""
for i in $(seq 1 "$runs"); do payee_topics+=",pixguard-$i.payees:$partitions"; done  # one per group
"$pg" kafka --port 0 --topics "pix.transactions:$partitions,pix.scored:8,pix.alerts:4,pix.dead_letter:2,peer.decisions:8$payee_topics" \
  >"$work/bootstrap" 2>"$work/cluster.log" &
cluster_pid=$!
read -r _ bootstrap <"$work/bootstrap"
echo "cluster $bootstrap, pix.transactions with $partitions partitions; $count messages; $runs runs each; epochs $epoch; payees $payees" >&2

"$pg" generate -n "$count" --seed 7 -o "$work/stream.jsonl" -q
# Keyed by payer, as a payments system would produce them (kcat -K: key, tab, value).
"$py" - "$work/stream.jsonl" "$work/keyed.txt" <<'EOF'
import re, sys
with open(sys.argv[1], "rb") as f, open(sys.argv[2], "wb") as out:
    for line in f:
        m = re.search(rb'"payer":\{"account":"([0-9]+)"', line)
        out.write((m.group(1) if m else b"") + b"\t" + line)
EOF
kcat -P -b "$bootstrap" -t pix.transactions -K$'\t' -X linger.ms=5 <"$work/keyed.txt"

# The shipped config, reading the cluster, writing only to Kafka.
"$py" - config/streaming_config.yaml "$work/config.yaml" "$bootstrap" "$epoch" "$workers" "$payees" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
text = text.replace("\nstate:\n", f"\nstate:\n  payees: {sys.argv[6]}\n")
start, end = text.index("\nsource:\n"), text.index("\ninput:\n")
text = text[:start] + "\nsource:\n  type: kafka\n" + text[end:]
text = re.sub(r"\n  interval: \S+", f"\n  interval: {sys.argv[4]}", text)
text = re.sub(r"\n  workers: \d+", f"\n  workers: {sys.argv[5]}", text)
for key in ("scored", "alerts", "dead_letter", "table"):
    text = re.sub(rf"\n  {key}: [^\n]*", f"\n  {key}: ~", text)
text += f"\nkafka:\n  bootstrap_servers: {sys.argv[3]}\n  group_id: GROUP\n"
open(sys.argv[2], "w").write(text)
EOF

now() { date +%s.%N; }
printf '%-4s %14s %14s %8s   %14s %14s %8s\n' run "pixguard tx/s" "peer tx/s" ratio "joined: ours" "peer" ratio
ratios=()
for i in $(seq 1 "$runs"); do
  sed "s/GROUP/pixguard-$i/; s#data/checkpoints#$work/checkpoints-$i#" "$work/config.yaml" >"$work/run-$i.yaml"
  t0=$(now)
  "$pg" run --config "$work/run-$i.yaml" --stop-at-end --json -q >"$work/pixguard-$i.json" 2>"$work/pixguard-$i.log"
  t1=$(now)
  "$py" bench/kafka_python_peer.py --bootstrap "$bootstrap" --group "peer-$i" --count "$count" >"$work/peer-$i.json"
  t2=$(now)
  read -r ours peer ratio ours_joined peer_joined ratio_joined < <("$py" - "$work" "$i" "$t0" "$t1" "$t2" "$count" <<'EOF'
import json, re, sys
from datetime import datetime
work, i = sys.argv[1], sys.argv[2]
t0, t1, t2, n = float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
acc = json.load(open(f"{work}/pixguard-{i}.json"))
assert acc["in"] == n and acc["balanced"], acc
peer = json.load(open(f"{work}/peer-{i}.json"))
assert peer["messages"] == n, peer
log = open(f"{work}/pixguard-{i}.log").read()
joined = datetime.fromisoformat(re.search(r"^(\S+) INFO kafka:\S+: assigned", log, re.M).group(1).replace("Z", "+00:00"))
ours, theirs = n / (t1 - t0), n / (t2 - t1)
ours_joined, theirs_joined = n / (t1 - joined.timestamp()), peer["rate"]
print(f"{ours:.0f} {theirs:.0f} {ours / theirs:.2f} {ours_joined:.0f} {theirs_joined:.0f} {ours_joined / theirs_joined:.2f}")
EOF
)
  printf '%-4s %14s %14s %8s   %14s %14s %8s\n' "$i" "$ours" "$peer" "$ratio" "$ours_joined" "$peer_joined" "$ratio_joined"
  ratios+=("$ratio $ratio_joined")
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1; b[NR]=$2} END {m=int((NR+1)/2); print "median ratio " a[m] " (whole process), " b[m] " (once joined; runs sorted by the first)"}'
