#!/usr/bin/env python3
"""End to end: generate -> replay -> train on the first days -> evaluate on the later days.

Usage: train_evaluate_test.py --pixguard PATH --source-dir DIR
Exits non-zero with a message on the first failed check. Standard library only.
"""
import argparse
import csv
import datetime
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def run(args, expect_rc=0, cwd=None):
    # From the repository root: relative paths in the shipped config (model/) start there.
    p = subprocess.run(args, capture_output=True, text=True, cwd=cwd)
    if p.returncode != expect_rc:
        fail(f"{' '.join(args)}\nexit {p.returncode}, expected {expect_rc}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


def utc(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


# Sao Paulo has had no daylight saving time since 2019: UTC-3 all year for these dates.
SAO_PAULO = datetime.timezone(datetime.timedelta(hours=-3))


def check_png(path, width, height):
    with open(path, "rb") as f:
        data = f.read()
    check(data[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG signature")
    at, idat, types = 8, b"", []
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind = data[at + 4:at + 8]
        body = data[at + 8:at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length:at + 12 + length])
        check(zlib.crc32(kind + body) == crc, f"{path}: bad CRC in chunk {kind!r}")
        if kind == b"IHDR":
            w, h, depth, colour = struct.unpack(">IIBB", body[:10])
            check((w, h, depth, colour) == (width, height, 8, 2), f"{path}: IHDR {w}x{h} depth {depth} colour {colour}")
        if kind == b"IDAT":
            idat += body
        types.append(kind)
        at += 12 + length
    check(types[0] == b"IHDR" and types[-1] == b"IEND", f"{path}: chunks {types}")
    raw = zlib.decompress(idat)
    check(len(raw) == height * (1 + 3 * width), f"{path}: {len(raw)} bytes of pixels, expected {height * (1 + 3 * width)}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pixguard", required=True)
    ap.add_argument("--source-dir", required=True)
    a = ap.parse_args()
    pg = a.pixguard
    config = os.path.join(a.source_dir, "config", "streaming_config.yaml")

    with tempfile.TemporaryDirectory(prefix="pixguard-train-") as tmp:
        stream, table = os.path.join(tmp, "s.jsonl"), os.path.join(tmp, "t.csv")
        model, plot = os.path.join(tmp, "m.json"), os.path.join(tmp, "p.png")
        run([pg, "generate", "-n", "60000", "--seed", "5", "-o", stream, "-q"])
        run([pg, "replay", "-c", config, "-i", stream, "-o", table, "-q"], cwd=a.source_dir)

        with open(table, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader)
            rows = list(reader)
        features = header[header.index("amount") + 1:header.index("score")]
        check(len(features) >= 15, f"features in the table: {features}")
        # Split in the middle of the stream's local days.
        days = sorted({utc(r[1]).astimezone(SAO_PAULO).date() for r in rows})
        check(len(days) >= 6, f"the stream spans {len(days)} local days")
        split = days[len(days) // 2].isoformat()
        split_utc = datetime.datetime.fromisoformat(split).replace(tzinfo=SAO_PAULO)

        # Train on the days before the split.
        card = json.loads(run([pg, "train", "-c", config, "-i", table, "-o", model, "--to", split, "--json", "-q"]).stdout)
        for path in (model, model[:-5] + ".card.json", model[:-5] + ".card.md"):
            check(os.path.exists(path), f"{path} not written")
        with open(model[:-5] + ".card.json", encoding="utf-8") as f:
            check(json.load(f) == card, "--json output differs from the card file")
        train_rows = [r for r in rows if utc(r[1]) < split_utc]
        check(card["features"] == features, f"card features {card['features']}")
        check(card["training_data"]["rows"] == len(train_rows), f"card rows {card['training_data']['rows']}, "
              f"{len(train_rows)} rows before {split}")
        check(card["training_data"]["frauds"] == sum(r[-1] == "1" for r in train_rows), "card fraud count")
        check(card["training_data"]["frauds"] > 50, "too few frauds to train on")
        check(utc(card["training_data"]["last_event_time"]) < split_utc, "a training row is after --to")
        check(card["training_metrics"]["auc_roc"] > 0.95, f"training AUC {card['training_metrics']['auc_roc']}")
        check(card["libxgboost"].count(".") == 2, f"libxgboost version {card['libxgboost']}")
        check(" train " in card["command"] and "--to" in card["command"], f"command {card['command']}")
        check(card["parameters"]["objective"] == "binary:logistic", "objective")
        with open(model, encoding="utf-8") as f:
            learner = json.load(f)["learner"]
        check(learner["feature_names"] == features, "the model does not carry the feature names")
        with open(model, "rb") as f:
            first_bytes = f.read()
        run([pg, "train", "-c", config, "-i", table, "-o", model, "--to", split, "-q"])
        with open(model, "rb") as f:
            check(f.read() == first_bytes, "same input and seed gave a different model")

        # Evaluate on the days from the split on.
        report = json.loads(run([pg, "evaluate", "-c", config, "--model", model, "-i", table, "--from", split, "--json",
                                 "--plot", plot]).stdout)
        eval_rows = [r for r in rows if utc(r[1]) >= split_utc]
        check(report["rows"] == len(eval_rows), f"evaluated {report['rows']} rows, {len(eval_rows)} from {split}")
        check(report["frauds"] == sum(r[-1] == "1" for r in eval_rows), "evaluation fraud count")
        check(report["rows"] + report["rows_outside_window"] + report["rows_unlabelled"] == len(rows),
              "rows do not add up")
        check(utc(report["window"]["first_event_time"]) >= split_utc, "an evaluated row is before --from")
        # Measured on this stream: AUC 0.993, AP 0.887, precision@100 0.46 (pixguard 0.1.0).
        check(report["auc_roc"] > 0.95, f"AUC {report['auc_roc']}")
        check(report["average_precision"] > 0.7, f"average precision {report['average_precision']}")
        at_k = report["precision_at_k"]
        eval_days = sorted({utc(r[1]).astimezone(SAO_PAULO).date().isoformat() for r in eval_rows})
        check(at_k["k"] == 100 and [d["date"] for d in at_k["days"]] == eval_days, f"precision@k days {at_k['days']}")
        check(0.3 < at_k["mean"] <= 1, f"precision@100 {at_k['mean']}")
        for d in at_k["days"]:
            check(d["frauds_taken"] <= min(d["taken"], d["fraud_accounts"]), f"precision@k day {d}")
        check(any(d["excluded_already_caught"] > 0 for d in at_k["days"][1:]), "no account was ever excluded as caught")
        review, block = report["review"], report["block"]
        check(block["flagged"] <= review["flagged"], "block flags more than review")
        check(0.8 < review["precision"] <= 1 and 0.3 < review["recall"] <= 1, f"review {review}")
        check_png(plot, 1200, 620)

        # The standard protocol: accounts with a fraud before the test window are left out.
        known = json.loads(run([pg, "evaluate", "-c", config, "--model", model, "-i", table, "--from", split,
                                "--known-compromised-before", split, "--json"]).stdout)
        compromised = {r[2] for r in rows if utc(r[1]) < split_utc and r[-1] == "1"}
        left_out = [r for r in eval_rows if r[2] in compromised]
        check(known["accounts_known_compromised"] == len(compromised) > 0 and
              known["rows_known_compromised"] == len(left_out) > 0 and
              known["rows"] == report["rows"] - len(left_out),
              f"known compromised: {len(compromised)} accounts, {len(left_out)} rows; report {known}")

        # Text output for people names the metrics.
        text = run([pg, "evaluate", "-c", config, "--model", model, "-i", table, "--from", split]).stdout
        for word in ("AUC ROC", "average precision", "precision@100", "review", "block"):
            check(word in text, f"'{word}' missing from:\n{text}")

        # Errors: usage (2) with the flag, row or column named; I/O (1).
        p = run([pg, "train", "-c", config, "-i", table, "-o", os.path.join(tmp, "m.bin")], expect_rc=2)
        check("--output" in p.stderr, p.stderr)
        p = run([pg, "evaluate", "-c", config, "--model", model, "-i", table, "--to", "2025-13-01"], expect_rc=2)
        check("--to" in p.stderr, p.stderr)
        p = run([pg, "evaluate", "-c", config, "--model", os.path.join(tmp, "none.json"), "-i", table], expect_rc=1)
        check("none.json" in p.stderr, p.stderr)
        broken = os.path.join(tmp, "broken.csv")
        with open(broken, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow([c for c in header if c != features[3]])
            for r in rows[:10]:
                w.writerow([v for c, v in zip(header, r) if c != features[3]])
        p = run([pg, "evaluate", "-c", config, "--model", model, "-i", broken], expect_rc=2)
        check(f"no column '{features[3]}'" in p.stderr, p.stderr)
        with open(broken, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(header)
            for r in rows[:10]:
                w.writerow(r)
            w.writerow(rows[10][:-1] + ["maybe"])
        p = run([pg, "train", "-c", config, "-i", broken, "-o", model], expect_rc=2)
        check("broken.csv:12: column 'label'" in p.stderr, p.stderr)
        with open(model, "rb") as f:
            check(f.read() == first_bytes, "a failed training replaced the model")
    print("ok")


if __name__ == "__main__":
    main()
