#!/usr/bin/python3
"""The peer of bench/kafka_vs_python.sh: the usual Python pattern for a streaming fraud
check, written as a team would without a stream processor (python3-confluent-kafka, the
Debian package): consume the transactions, parse each, count the payer's transfers in its
5-minute event-time window, and produce one decision per transaction (an alert flag when
the count passes 5) keyed by payer. At least once: offsets auto-committed, no transactions,
no checkpointed state. Stops once it has consumed `--count` messages and every decision is
delivered; prints one JSON line: messages, seconds (from the first message to the last
delivery), rate.

  kafka_python_peer.py --bootstrap HOST:PORT --group G --count N [--input T] [--output T]
"""
import argparse
import json
import sys
import time
from datetime import datetime

from confluent_kafka import Consumer, KafkaException, Producer

WINDOW_S = 300
THRESHOLD = 5


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--input", default="pix.transactions")
    ap.add_argument("--output", default="peer.decisions")
    a = ap.parse_args()

    consumer = Consumer({"bootstrap.servers": a.bootstrap, "group.id": a.group, "auto.offset.reset": "earliest",
                         "enable.auto.commit": True})
    producer = Producer({"bootstrap.servers": a.bootstrap, "linger.ms": 5, "queue.buffering.max.messages": 1000000})
    consumer.subscribe([a.input])
    windows = {}  # (payer, window start) -> count
    seen = bad = 0
    first = None
    while seen < a.count:
        messages = consumer.consume(num_messages=1000, timeout=1.0)
        for m in messages:
            if m.error():
                raise KafkaException(m.error())
            if first is None:
                first = time.monotonic()
            seen += 1
            try:
                tx = json.loads(m.value())
                payer = tx["payer"]["account"]
                t = datetime.fromisoformat(tx["event_time"]).timestamp()
                window = int(t) // WINDOW_S * WINDOW_S
            except (ValueError, KeyError, TypeError):
                bad += 1  # the peer's dead letters: counted, not forwarded
                continue
            key = (payer, window)
            count = windows.get(key, 0) + 1
            windows[key] = count
            decision = {"end_to_end_id": tx.get("end_to_end_id"), "payer": payer, "window_start": window,
                        "transfers_in_window": count, "alert": count > THRESHOLD}
            while True:
                try:
                    producer.produce(a.output, key=payer.encode(), value=json.dumps(decision).encode())
                    break
                except BufferError:
                    producer.poll(0.01)
            producer.poll(0)
    producer.flush()
    seconds = time.monotonic() - first
    consumer.close()
    print(json.dumps({"messages": seen, "unparsed": bad, "seconds": seconds, "rate": seen / seconds}))


if __name__ == "__main__":
    sys.exit(main())
