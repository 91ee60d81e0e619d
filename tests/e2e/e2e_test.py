#!/usr/bin/env python3
"""End-to-end tests of the pixguard binary: real runs, real files, read back here.

Usage: e2e_test.py --pixguard PATH --source-dir DIR --scenario NAME
Each scenario exits non-zero with a message on the first failed check.
"""
import glob
import json
import os
import re
import subprocess

from harness import check, fail, main, read_lines, run, small_config
import harness


def scenario_run_default(pg, src, tmp):
    """`pixguard run` on the embedded default: accounting balances and matches the files."""
    cfg = small_config(src, tmp, 20000)
    acc = json.loads(run([pg, "run", "--config", cfg, "--json", "-q"]).stdout)
    check(acc["in"] == 20000, f"in = {acc['in']}, expected 20000")
    check(acc["balanced"] is True, "accounting not balanced")
    check(acc["in"] == acc["scored"] + acc["dead_letters"] + acc["duplicates"], "in != scored + dead + dup")
    check(acc["dead_letters"] > 0 and acc["duplicates"] > 0, "the generator's bad and duplicate messages are missing")
    scored = read_lines(f"{tmp}/scored/part-*.jsonl")
    dead = read_lines(f"{tmp}/dead_letter/part-*.jsonl")
    alerts = read_lines(f"{tmp}/alerts/part-*.jsonl")
    check(len(scored) == acc["scored"], f"{len(scored)} scored records on disk, accounting says {acc['scored']}")
    check(len(dead) == acc["dead_letters"], f"{len(dead)} dead letters on disk, accounting says {acc['dead_letters']}")
    decisions = acc["decisions"]
    check(len(alerts) == decisions["review"] + decisions["block"], "alerts != review + block decisions")
    check(sum(decisions.values()) == acc["scored"], "decisions do not add up to scored")
    check(not glob.glob(f"{tmp}/*/*.pending"), "pending files left after a clean run")
    ids = [r["end_to_end_id"] for r in scored]
    check(len(ids) == len(set(ids)), "a transaction was scored twice")
    for d in dead:
        # The shipped privacy policy keeps only the length of a rejected message.
        check(d["rule"] and d.get("raw_redacted") is True and d["raw_bytes"] > 0 and "raw" not in d,
              f"dead letter without rule, or with its bytes: {d}")
    by_reason = {}
    for d in dead:
        key = f"{d['field']}: {d['rule']}" if d["field"] else d["rule"]
        by_reason[key] = by_reason.get(key, 0) + 1
    check(by_reason == acc["dead_letters_by_reason"], f"dead letters by reason differ: {by_reason} vs {acc['dead_letters_by_reason']}")
    r = scored[0]
    for key in ("end_to_end_id", "event_time", "amount", "payer", "payee", "features", "score", "decision", "reasons",
                "model_version"):
        check(key in r, f"scored record lacks {key}")
    check(len(r["features"]) >= 15, "fewer than 15 features in a scored record")
    check(re.fullmatch(r"\d+\.\d\d", r["amount"]) is not None, f"amount not an exact decimal string: {r['amount']}")
    for a in alerts:
        check(a["decision"] in ("review", "block") and a["reasons"], f"alert without decision or reasons: {a}")
    check(len(glob.glob(f"{tmp}/checkpoints/checkpoint-*.ckpt")) in (1, 2), "expected one or two checkpoints kept")
    # The default config's Delta table, read by DuckDB from the files its log lists: every
    # scored record once, with the same amount, score and decision.
    table = harness.delta_rows(f"{tmp}/decisions", "end_to_end_id, CAST(amount AS VARCHAR), score, decision")
    want = sorted((x["end_to_end_id"], x["amount"], str(x["score"]), x["decision"]) for x in scored)
    check(len(table) == len(scored), f"{len(table)} rows in the Delta table for {len(scored)} scored records")
    check([t[:2] + t[3:] for t in table] == [w[:2] + w[3:] for w in want], "the Delta table's rows differ from the scored records")
    check(all(abs(float(t[2]) - float(w[2])) <= 1e-12 for t, w in zip(table, want)), "scores differ in the Delta table")
    # Running again resumes from the final checkpoint: nothing left to read, nothing written twice ...
    again_acc = json.loads(run([pg, "run", "--config", cfg, "--json", "-q"]).stdout)
    check(again_acc["in"] == 20000 and again_acc["resumed_in"] == 20000, f"second run did not resume at the end: {again_acc}")
    check(len(read_lines(f"{tmp}/scored/part-*.jsonl")) == len(scored), "a resumed run wrote records again")
    # ... and with --overwrite it starts over and produces the same records again (deterministic).
    run([pg, "run", "--config", cfg, "-q", "--overwrite"])
    again = read_lines(f"{tmp}/scored/part-*.jsonl")
    check(sorted(json.dumps(x, sort_keys=True) for x in again) == sorted(json.dumps(x, sort_keys=True) for x in scored),
          "a second run of the same config scored differently")
    # Output without a checkpoint cannot be resumed: refused, with the way out named.
    for ckpt in glob.glob(f"{tmp}/checkpoints/*"):
        os.remove(ckpt)
    p = run([pg, "run", "--config", cfg, "-q"], expect_rc=2)
    check("--overwrite" in p.stderr and "no checkpoint" in p.stderr, f"refusal does not explain itself: {p.stderr}")


def scenario_generate_replay(pg, src, tmp):
    """generate -> replay (CSV table): one row per scored transaction, labels carried."""
    stream, labels, out = f"{tmp}/stream.jsonl", f"{tmp}/labels.jsonl", f"{tmp}/table.csv"
    run([pg, "generate", "-n", "6000", "--seed", "7", "-o", stream, "--labels", labels, "-q"])
    with open(stream, encoding="utf-8") as f:
        check(sum(1 for _ in f) == 6000, "generate wrote the wrong number of lines")
    cfg = os.path.join(src, "config", "streaming_config.yaml")
    acc = json.loads(run([pg, "replay", "-c", cfg, "-i", stream, "-o", out, "--json", "-q"]).stdout)
    check(acc["balanced"] and acc["in"] == 6000, f"replay accounting: {acc}")
    with open(out, encoding="utf-8") as f:
        lines = f.read().splitlines()
    header = lines[0].split(",")
    check(header[:6] == ["end_to_end_id", "event_time", "payer_account", "payee_account", "payee_key", "amount"],
          f"unexpected header {header[:6]}")
    check(header[-3:] == ["score", "decision", "label"], f"unexpected header tail {header[-3:]}")
    check(len(lines) - 1 == acc["scored"], f"{len(lines) - 1} rows, {acc['scored']} scored")
    labels_col = [row.split(",")[-1] for row in lines[1:]]
    check(set(labels_col) <= {"0", "1"} and "1" in labels_col, "inline labels missing from the table")
    dead = read_lines(out + ".dead_letters.jsonl")
    check(len(dead) == acc["dead_letters"], "replay's dead letters file does not match the accounting")
    # The labels input instead of inline labels gives the same label column for fraud rows.
    acc2 = json.loads(run([pg, "replay", "-c", cfg, "-i", stream, "-o", f"{tmp}/t2.csv", "--labels", labels,
                           "--json", "-q"]).stdout)
    check(acc2["scored"] == acc["scored"], "replay with a labels file scored a different number of rows")


def scenario_foreign_csv(pg, src, tmp):
    """A CSV with other column names and zone-less times is scored through config alone."""
    cfg = os.path.join(src, "config", "examples", "foreign_csv.yaml")
    data = os.path.join(src, "tests", "data", "foreign_transactions.csv")
    out = f"{tmp}/foreign.csv"
    acc = json.loads(run([pg, "replay", "-c", cfg, "-i", data, "-o", out, "--json", "-q"]).stdout)
    check(acc["in"] == 54 and acc["scored"] == 49 and acc["dead_letters"] == 5 and acc["balanced"], f"accounting {acc}")
    expected_reasons = {"column_count": 1, "csv_quoting": 1, "amount: not_positive": 1,
                        "amount: too_many_decimals": 1, "event_time: invalid_timestamp": 1}
    check(acc["dead_letters_by_reason"] == expected_reasons, f"dead letters by reason {acc['dead_letters_by_reason']}")
    with open(out, encoding="utf-8") as f:
        rows = [line.split(",") for line in f.read().splitlines()]
    header, first = rows[0], rows[1]
    row = dict(zip(header, first))
    # 2018-04-01 00:00:31 in Sao Paulo (UTC-3 then) is 03:00:31Z.
    check(row["event_time"] == "2018-04-01T03:00:31.000Z", f"event_time {row['event_time']}")
    check(row["payer_account"] == "0" and row["payee_account"] == "3" and row["amount"] == "57.16", f"row {row}")
    check(row["context.hour"] == "0" and row["context.night"] == "1", "local hour of 00:00:31 not 0/night")
    check(row["label"] == "0", "TX_FRAUD not mapped to label")
    # Counts per customer over a day, computed here from the input file.
    import csv
    import datetime
    with open(data, encoding="utf-8") as f:
        src_rows = [r for r in csv.reader(f)][1:50]
    times = {}
    for r in src_rows:
        times.setdefault(r[1], []).append(datetime.datetime.strptime(r[0], "%Y-%m-%d %H:%M:%S"))
    for line in rows[1:]:
        rec = dict(zip(header, line))
        t = datetime.datetime.strptime(rec["event_time"], "%Y-%m-%dT%H:%M:%S.000Z") - datetime.timedelta(hours=3)
        n = sum(1 for x in times[rec["payer_account"]] if t - datetime.timedelta(days=1) < x <= t)
        check(int(rec["customer.count_1d"]) == n, f"customer.count_1d {rec['customer.count_1d']} != {n} at {t}")


def scenario_cli(pg, src, tmp):
    """--help everywhere, and config errors that name the file, line and key."""
    for cmd in ([], ["run"], ["replay"], ["generate"]):
        p = run([pg, *cmd, "--help"])
        check("Usage" in p.stdout or "usage" in p.stdout.lower(), f"no usage text for {cmd}")
    bad = f"{tmp}/bad.yaml"
    with open(bad, "w", encoding="utf-8") as f:
        f.write("features:\n  - {name: a, kind: count, key: payer, window: 5x}\n")
    p = run([pg, "run", "--config", bad], expect_rc=2)
    check(f"{bad}:2: features[0].window: invalid duration '5x'" in p.stderr, f"config error message: {p.stderr}")
    p = run([pg, "run", "--config", f"{tmp}/missing.yaml"], expect_rc=2)
    check("cannot be read" in p.stderr, f"missing config message: {p.stderr}")
    p = run([pg, "replay", "--config", os.path.join(src, "config", "streaming_config.yaml"), "-i", f"{tmp}/nope.jsonl",
             "-o", f"{tmp}/o.csv"], expect_rc=1)
    check("nope.jsonl" in p.stderr, f"missing input not named: {p.stderr}")


def scenario_sigterm(pg, src, tmp):
    """SIGTERM mid-run: in-flight work finishes, the final epoch commits and is checkpointed, exit 0;
    running again resumes there and ends with the same output as a run never stopped."""
    import signal
    import time
    count = 150_000
    ref_cfg = small_config(src, tmp, count, interval="200ms", name="reference.yaml", out=f"{tmp}/reference")
    started = time.monotonic()
    reference = json.loads(run([pg, "run", "--config", ref_cfg, "--json", "-q"]).stdout)
    duration = time.monotonic() - started
    cfg = small_config(src, tmp, count, interval="200ms")
    proc = subprocess.Popen([pg, "run", "--config", cfg, "--json", "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=harness.SOURCE_DIR)
    time.sleep(duration / 3)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    check(proc.returncode == 0, f"exit {proc.returncode} after SIGTERM: {err}")
    check("checkpointed" in err, f"no word of the final checkpoint on stderr: {err}")
    acc = json.loads(out)
    check(0 < acc["in"] < count and acc["balanced"], f"accounting after SIGTERM: {acc}")
    scored = read_lines(f"{tmp}/scored/part-*.jsonl")
    check(len(scored) == acc["scored"], "records committed after SIGTERM differ from the accounting")
    check(not glob.glob(f"{tmp}/*/*.pending"), "pending files left after SIGTERM")

    final = json.loads(run([pg, "run", "--config", cfg, "--json", "-q"]).stdout)
    check(final["resumed_in"] == acc["in"] and final["in"] == count and final["balanced"], f"resume: {final}")
    for key in ("in", "scored", "dead_letters", "duplicates", "late", "decisions", "rules_fired"):
        check(final[key] == reference[key], f"{key}: stopped+resumed {final[key]} vs uninterrupted {reference[key]}")
    for kind in ("scored", "alerts", "dead_letter"):
        check(harness.raw_lines(f"{tmp}/{kind}/part-*.jsonl") == harness.raw_lines(f"{tmp}/reference/{kind}/part-*.jsonl"),
              f"{kind}: stopped+resumed output differs from the uninterrupted run")


TRAIN_TWO_MODELS = r"""
import sys, numpy as np, xgboost as xgb
names, out_a, out_b = sys.argv[1].split(","), sys.argv[2], sys.argv[3]
rng = np.random.default_rng(3)
X = rng.normal(size=(2000, len(names)))
for seed, path, rounds in ((1, out_a, 5), (2, out_b, 9)):
    y = (X[:, seed] + rng.normal(size=2000) > 0.5).astype(int)
    d = xgb.DMatrix(X, label=y, feature_names=names)
    xgb.train({"objective": "binary:logistic", "max_depth": 3, "seed": seed}, d, rounds).save_model(path)
"""


def scenario_hot_reload(pg, src, tmp):
    """A new model file is picked up by a live run without a restart; a bad one is rejected."""
    import signal
    import shutil
    import time
    with open(os.path.join(src, "config", "streaming_config.yaml"), encoding="utf-8") as f:
        names = re.findall(r"\{name: ([\w.]+), kind:", f.read())
    staging = f"{tmp}/staging"
    os.makedirs(staging)
    os.makedirs(f"{tmp}/model")
    run(["/usr/bin/python3", "-c", TRAIN_TWO_MODELS, ",".join(names), f"{staging}/a.json", f"{staging}/b.json"])
    shutil.copy(f"{staging}/a.json", f"{tmp}/model/a.json")
    cfg = small_config(src, tmp, 50_000_000)
    with open(cfg, encoding="utf-8") as f:
        text = f.read()
    text, n = re.subn(r"model:\n  path: \S+\n  poll_interval: \S+", f"model:\n  path: {tmp}/model\n  poll_interval: 100ms", text)
    check(n == 1, "the shipped config's model section changed shape; update this test")
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(text)
    proc = subprocess.Popen([pg, "run", "--config", cfg, "--json", "-q"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    # Deployments rename a finished file into place; a newer file wins.
    shutil.copy(f"{staging}/b.json", f"{tmp}/model/.b.json")
    os.rename(f"{tmp}/model/.b.json", f"{tmp}/model/b.json")
    time.sleep(1.5)
    with open(f"{tmp}/model/.c.json", "w", encoding="utf-8") as f:
        f.write('{"learner": {"truncated": ')
    os.rename(f"{tmp}/model/.c.json", f"{tmp}/model/c.json")
    time.sleep(1.5)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    check(proc.returncode == 0, f"exit {proc.returncode}: {err}")
    acc = json.loads(out)
    scored = read_lines(f"{tmp}/scored/part-*.jsonl")
    check(len(scored) == acc["scored"] and acc["balanced"], "hot reload run lost or duplicated records")
    versions = [r["model_version"] for r in scored]
    order = [v for i, v in enumerate(versions) if i == 0 or versions[i - 1] != v]
    check(len(order) == 2 and order[0].startswith("a.json@") and order[1].startswith("b.json@"),
          f"expected model a then model b, got the sequence {order}")
    check("c.json rejected" in err, f"the bad model file was not reported: {err}")
    for r in scored[:50]:
        check(r["score"] is not None and 0 <= r["score"] <= 1, f"score not a probability: {r['score']}")
    alerts = read_lines(f"{tmp}/alerts/part-*.jsonl")
    check(any("contribution" in reason for a in alerts for reason in a["reasons"]),
          "no alert names its top contributing features")


SCENARIOS = {f.__name__[len("scenario_"):]: f for f in
             (scenario_run_default, scenario_generate_replay, scenario_foreign_csv, scenario_cli, scenario_sigterm,
              scenario_hot_reload)}


if __name__ == "__main__":
    main(SCENARIOS)
