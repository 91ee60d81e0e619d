"""Replay from the decisions table (Kappa): `pixguard replay --input <Delta table>` gives the
same features as replaying the original stream in event-time order.

The table holds what `pixguard run` scored (no dead letters, no duplicates), in arrival order
per file; DeltaSource replays it in (event_time, end_to_end_id) order. The same generator
stream, written by `pixguard generate` and sorted by the same key, is the baseline.
"""
import datetime
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from harness import check, delta_rows, main, run, small_config  # noqa: E402

COUNT, SEED, PAYERS, PAYEES, DAYS = 4000, 11, 150, 250, 2


def micros(text):
    t = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (t - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)) // datetime.timedelta(microseconds=1)


def sort_key(line):
    """(event_time in UTC micros, end_to_end_id), or None for a line that does not parse (a dead letter)."""
    try:
        m = json.loads(line)
        return (micros(m["event_time"]), m["end_to_end_id"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def features_by_id(path):
    rows = {}
    order = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            rows[r["end_to_end_id"]] = r
            order.append((micros(r["event_time"]), r["end_to_end_id"]))
    return rows, order


def config(src, tmp):
    path = small_config(src, tmp, COUNT, out=f"{tmp}/run")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for key, value in (("seed", SEED), ("payers", PAYERS), ("payees", PAYEES), ("days", DAYS)):
        text, n = re.subn(rf"\n    {key}: \S+", f"\n    {key}: {value}", text, count=1)
        check(n == 1, f"the shipped config's source.generator.{key} changed shape; update this test")
    check(f"{tmp}/run/decisions" in text, "small_config did not move sinks.table into the temp dir")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def scenario_table_equals_sorted_stream(pg, src, tmp):
    cfg = config(src, tmp)
    table = f"{tmp}/run/decisions"
    acc = json.loads(run([pg, "run", "-c", cfg, "--json", "-q"]).stdout)
    check(acc["balanced"] and acc["scored"] > 0.9 * COUNT, f"run accounting: {acc}")
    check(os.path.isdir(f"{table}/_delta_log"), "the run wrote no Delta table")
    table_ids = sorted(r[0] for r in delta_rows(table, "end_to_end_id"))
    check(len(table_ids) == acc["scored"], f"{len(table_ids)} rows in the table, {acc['scored']} scored")

    # Replay from the table (recognised by its _delta_log).
    from_table = f"{tmp}/from_table.jsonl"
    acc_t = json.loads(run([pg, "replay", "-c", cfg, "-i", table, "-o", from_table, "--no-model", "--json", "-q"]).stdout)
    check(acc_t["in"] == len(table_ids) and acc_t["scored"] == len(table_ids) and acc_t["dead_letters"] == 0
          and acc_t["duplicates"] == 0 and acc_t["late"] == 0, f"replay from the table: {acc_t}")
    t_rows, t_order = features_by_id(from_table)
    check(sorted(t_rows) == table_ids, "replay from the table scored other ids than the table holds")
    check(t_order == sorted(t_order), "replay from the table was not in (event_time, end_to_end_id) order")

    # The same stream from `pixguard generate`, sorted by event time, replayed.
    stream = f"{tmp}/stream.jsonl"
    run([pg, "generate", "-o", stream, "-n", str(COUNT), "--seed", str(SEED), "--payers", str(PAYERS),
         "--payees", str(PAYEES), "--days", str(DAYS), "-q"])
    with open(stream, encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in f]
    keyed = sorted((k, line) for line in lines if (k := sort_key(line)) is not None)
    ordered = f"{tmp}/stream_sorted.jsonl"
    with open(ordered, "w", encoding="utf-8") as f:
        f.writelines(line + "\n" for _, line in keyed)
    from_file = f"{tmp}/from_file.jsonl"
    run([pg, "replay", "-c", cfg, "-i", ordered, "-o", from_file, "--no-model", "-q"])
    f_rows, _ = features_by_id(from_file)
    check(set(t_rows) <= set(f_rows), f"{len(set(t_rows) - set(f_rows))} table ids not scored from the stream")
    check(len(f_rows) == len(t_rows), f"stream replay scored {len(f_rows)}, table replay {len(t_rows)}")

    differ = [i for i in t_rows if t_rows[i]["features"] != f_rows[i]["features"]]
    check(not differ, f"{len(differ)} of {len(t_rows)} ids have other features; first {differ[:1]}:\n"
          f"table:  {t_rows[differ[0]]['features'] if differ else ''}\nstream: {f_rows[differ[0]]['features'] if differ else ''}")
    for i in t_rows:
        a, b = t_rows[i], f_rows[i]
        for k in ("amount", "label", "payer", "payee", "initiation", "channel", "device_id", "description", "decision"):
            check(a.get(k) == b.get(k), f"{i}: {k} differs: table {a.get(k)!r}, stream {b.get(k)!r}")
        check(micros(a["event_time"]) == micros(b["event_time"]), f"{i}: event_time differs")
    check(any(r["label"] == 1 for r in t_rows.values()), "no inline label came through the table")

    # --format delta says the same; a source of type delta in a config does too (run, into another table).
    again = f"{tmp}/again.jsonl"
    run([pg, "replay", "-c", cfg, "--format", "delta", "-i", table, "-o", again, "--no-model", "-q"])
    with open(again, encoding="utf-8") as f1, open(from_table, encoding="utf-8") as f2:
        check(f1.read() == f2.read(), "--format delta gave another output")
    with open(cfg, encoding="utf-8") as f:
        text = f.read().replace(f"{tmp}/run/", f"{tmp}/run2/")
    text, n = re.subn(r"\nsource:\n(  .*\n|\s*#.*\n|\n)*?(?=\S)", f"\nsource: {{type: delta, path: {table}}}\n\n", text,
                      count=1)
    check(n == 1, "could not replace the source section")
    cfg2 = f"{tmp}/delta_source.yaml"
    with open(cfg2, "w", encoding="utf-8") as f:
        f.write(text)
    acc2 = json.loads(run([pg, "run", "-c", cfg2, "--json", "-q"]).stdout)
    check(acc2["in"] == len(table_ids) and acc2["scored"] == len(table_ids) and acc2["balanced"], f"run from delta: {acc2}")
    check(sorted(r[0] for r in delta_rows(f"{tmp}/run2/decisions", "end_to_end_id")) == table_ids,
          "a run from the table wrote another set of ids")


def scenario_errors(pg, src, tmp):
    """Not a table, a data file gone: clear errors, not crashes."""
    cfg = config(src, tmp)
    os.makedirs(f"{tmp}/empty/_delta_log")
    p = run([pg, "replay", "-c", cfg, "-i", f"{tmp}/empty", "-o", f"{tmp}/x.jsonl", "-q"], expect_rc=2)
    check("_delta_log" in p.stderr or "delta table" in p.stderr, f"unhelpful error: {p.stderr}")
    run([pg, "run", "-c", cfg, "-q"])
    table = f"{tmp}/run/decisions"
    data = sorted(os.path.join(d, f) for d, _, fs in os.walk(table) for f in fs if f.endswith(".parquet")
                  and "_delta_log" not in d)
    check(data, "no data files")
    os.remove(data[0])
    p = run([pg, "replay", "-c", cfg, "-i", table, "-o", f"{tmp}/y.jsonl", "-q"], expect_rc=2)
    check(data[0] in p.stderr, f"the error does not name the missing file: {p.stderr}")


if __name__ == "__main__":
    main({"table_equals_sorted_stream": scenario_table_equals_sorted_stream, "errors": scenario_errors})
