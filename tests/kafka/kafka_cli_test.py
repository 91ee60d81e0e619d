#!/usr/bin/env python3
"""`pixguard kafka` serves an independent Kafka client.

Starts the development cluster on a free port, waits for its bootstrap line, then uses
kcat (not librdkafka code of ours) to read the metadata, produce a few hundred keyed
messages and consume them back byte for byte. Finally SIGTERM must stop it with exit 0.
Standard library only; kcat must be on the PATH (scripts/setup.sh installs it).
"""
import argparse
import collections
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

TOPICS = ["pix.transactions", "pix.scored", "pix.alerts", "pix.dead_letter"]
PARTITIONS = 4
MESSAGES = 300


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_line(process, timeout):
    """The first line of the process's stdout, or None after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    data = b""
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or process.poll() is not None:
            return None
        ready, _, _ = select.select([process.stdout], [], [], left)
        if ready:
            chunk = os.read(process.stdout.fileno(), 1)
            if not chunk:
                return None
            data += chunk
    return data.decode()


def kcat(kcat_path, args, stdin=None, timeout=60):
    result = subprocess.run([kcat_path, *args], input=stdin, capture_output=True, timeout=timeout)
    if result.returncode != 0:
        fail(f"kcat {' '.join(args)} exited {result.returncode}: {result.stderr.decode(errors='replace')}")
    return result.stdout


def messages():
    """Keyed messages as kcat -K: reads them: key, ':', value. Values are JSON with colons,
    non-ASCII text and a sequence number; keys spread them over the partitions."""
    out = []
    for i in range(MESSAGES):
        key = f"payer-{i % 17}".encode()
        value = json.dumps({"seq": i, "payer": {"account": key.decode()}, "amount": f"{i}.25",
                            "description": "aluguel São Paulo ✓"}, ensure_ascii=False).encode()
        out.append((key, value))
    return out


def check_metadata(kcat_path, bootstrap):
    metadata = json.loads(kcat(kcat_path, ["-b", bootstrap, "-L", "-J"]))
    if len(metadata["brokers"]) != 3:
        fail(f"expected 3 brokers, metadata says {metadata['brokers']}")
    partitions = {t["topic"]: len(t["partitions"]) for t in metadata["topics"]}
    for topic in TOPICS:
        if partitions.get(topic) != PARTITIONS:
            fail(f"topic {topic}: expected {PARTITIONS} partitions, metadata says {partitions.get(topic)}")


def check_round_trip(kcat_path, bootstrap):
    sent = messages()
    started = time.monotonic()
    kcat(kcat_path, ["-P", "-b", bootstrap, "-t", "pix.transactions", "-K:"],
         stdin=b"".join(k + b":" + v + b"\n" for k, v in sent))
    produced = time.monotonic()
    # %p partition, %k key, %s value; values hold no tab or newline.
    out = kcat(kcat_path, ["-C", "-b", bootstrap, "-t", "pix.transactions", "-e", "-o", "beginning",
                           "-f", "%p\t%k\t%s\n"])
    consumed = time.monotonic()
    received = []
    for line in out.split(b"\n")[:-1]:
        partition, key, value = line.split(b"\t", 2)
        received.append((int(partition), key, value))
    if collections.Counter((k, v) for _, k, v in received) != collections.Counter(sent):
        missing = collections.Counter(sent) - collections.Counter((k, v) for _, k, v in received)
        extra = collections.Counter((k, v) for _, k, v in received) - collections.Counter(sent)
        fail(f"consumed messages differ from produced ones: {len(received)} read, "
             f"{sum(missing.values())} missing, {sum(extra.values())} unexpected")
    # A key always lands in one partition, where its messages keep their order.
    partition_of = {}
    last_seq = {}
    for partition, key, value in received:
        if partition_of.setdefault(key, partition) != partition:
            fail(f"key {key!r} found in partitions {partition_of[key]} and {partition}")
        seq = json.loads(value)["seq"]
        if seq <= last_seq.get(partition, -1):
            fail(f"partition {partition}: message {seq} after {last_seq[partition]}")
        last_seq[partition] = seq
    if len(set(partition_of.values())) < 2:
        fail("all keys in one partition: the keys did not spread")
    print(f"{len(sent)} messages produced in {produced - started:.2f} s and consumed back byte-identical "
          f"in {consumed - produced:.2f} s over {len(set(partition_of.values()))} partitions")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pixguard", required=True)
    args = parser.parse_args()
    kcat_path = shutil.which("kcat")
    if kcat_path is None:
        fail("kcat is not on the PATH (scripts/setup.sh installs it: apt-get install kcat)")

    port = free_port()
    with tempfile.TemporaryFile() as stderr:
        started = time.monotonic()
        cluster = subprocess.Popen([args.pixguard, "kafka", "--port", str(port), "--partitions", str(PARTITIONS)],
                                   stdout=subprocess.PIPE, stderr=stderr)
        try:
            line = read_line(cluster, timeout=20)
            if line is None:
                stderr.seek(0)
                fail(f"no bootstrap line within 20 s; stderr: {stderr.read().decode(errors='replace')}")
            expected = f"bootstrap: 127.0.0.1:{port}\n"
            if line != expected:
                fail(f"expected {expected!r}, got {line!r}")
            print(f"cluster up in {time.monotonic() - started:.2f} s at 127.0.0.1:{port}")
            bootstrap = f"127.0.0.1:{port}"

            check_metadata(kcat_path, bootstrap)
            check_round_trip(kcat_path, bootstrap)

            # The port is taken now: a second cluster on it must say so and fail.
            second = subprocess.run([args.pixguard, "kafka", "--port", str(port)], capture_output=True, timeout=30)
            if second.returncode != 1 or str(port).encode() not in second.stderr:
                fail(f"a second cluster on port {port}: exit {second.returncode}, stderr {second.stderr!r}")

            stopping = time.monotonic()
            cluster.send_signal(signal.SIGTERM)
            rc = cluster.wait(timeout=30)
            stderr.seek(0)
            log = stderr.read().decode(errors="replace")
            if rc != 0:
                fail(f"exit code {rc} after SIGTERM; stderr:\n{log}")
            if "stopped" not in log:
                fail(f"no 'stopped' line on stderr:\n{log}")
            print(f"stopped by SIGTERM in {time.monotonic() - stopping:.2f} s with exit 0")
        finally:
            if cluster.poll() is None:
                cluster.kill()
                cluster.wait()
    print("PASS")


if __name__ == "__main__":
    main()
