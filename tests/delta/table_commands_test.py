"""`pixguard inspect`, `compact` and `vacuum` on the Delta table that `pixguard run` writes,
with DuckDB as the independent reader of the files the log lists (the log is replayed here,
in Python: add minus remove).

Scenarios:
  compact_vacuum         a finished run's table: inspect, compact, vacuum (dry run, refusal,
                         --apply); the rows DuckDB reads never change.
  compact_while_running  compact again and again while a job appends to the table; the
                         table ends with exactly the rows of the same run left alone.
"""
import hashlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from harness import check, delta_active_files, delta_rows, duckdb, fail, main, run, small_config  # noqa: E402

# Columns compared value for value (as DuckDB prints them) before and after each command.
COLUMNS = "end_to_end_id, event_time, amount, payer_account, payee_key, label, description, score, decision, reasons, late"


def run_json(args):
    return json.loads(run(args).stdout)


def files_of(table):
    return {urllib.parse.unquote(p) for p in delta_active_files(table)}


def totals(table):
    """count(*), sum(amount) and the sorted end_to_end_ids, by DuckDB over the log's files."""
    files = [os.path.join(table, f) for f in sorted(files_of(table))]
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    row = duckdb(f"SELECT count(*) AS n, CAST(sum(amount) AS VARCHAR) AS total FROM read_parquet([{listed}])")[0]
    ids = [r["end_to_end_id"] for r in duckdb(f"SELECT end_to_end_id FROM read_parquet([{listed}]) ORDER BY 1")]
    return row["n"], row["total"], ids


def make_table(pg, src, tmp, count, name="run"):
    out = os.path.join(tmp, name)
    os.makedirs(out)
    config = small_config(src, tmp, count, name=f"{name}.yaml", out=out)
    # Two days of events in small batches: the run spans many 50 ms epochs, and each epoch
    # writes a file to the partition of the day it is in, so each partition gets many small files.
    with open(config, encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"batch_size: \d+", "batch_size: 64", text)
    text = re.sub(r"    days: \d+", "    days: 2", text)
    with open(config, "w", encoding="utf-8") as f:
        f.write(text)
    return config, os.path.join(out, "decisions")


def log_listing(table):
    """Every file of the table's log with a hash of its content."""
    log = os.path.join(table, "_delta_log")
    return {n: hashlib.sha256(open(os.path.join(log, n), "rb").read()).hexdigest() for n in sorted(os.listdir(log))}


def scenario_compact_vacuum(pg, src, tmp):
    config, table = make_table(pg, src, tmp, 40000)
    acc = run_json([pg, "run", "--config", config, "--json", "-q"])
    scored = acc["scored"]

    info = run_json([pg, "inspect", "--table", table, "--json"])
    check(info["rows"] == scored, f"inspect rows {info['rows']} != scored {scored}")
    before_files = files_of(table)
    check(info["files"] == len(before_files), f"inspect files {info['files']} != {len(before_files)} in the log")
    check(sum(p["rows"] for p in info["partitions"]) == scored, "partition rows do not add up")
    check(info["partitionColumns"] == ["event_date"], f"partition columns {info['partitionColumns']}")
    check(len(info["txns"]) == 1 and list(info["txns"].values())[0] >= 1, f"txns {info['txns']}")
    check(info["lastCommit"]["operation"] != "OPTIMIZE", "no compaction yet")
    check(any(f["name"] == "amount" and f["type"] == "decimal(18,2)" for f in info["schema"]), "schema lacks amount")
    text = run([pg, "inspect", "--table", table]).stdout
    check(f"{scored} rows" in text and "event_date=" in text, f"inspect text:\n{text}")
    check(len(before_files) >= 2 * len(info["partitions"]), f"too few small files to compact: {len(before_files)}")

    n0, sum0, ids0 = totals(table)
    rows0 = delta_rows(table, COLUMNS)
    check(n0 == scored and len(ids0) == scored, f"DuckDB reads {n0} rows, {scored} scored")
    bytes0 = info["bytes"]

    started = time.monotonic()
    result = run_json([pg, "compact", "--table", table, "--json"])
    seconds = time.monotonic() - started
    check(result["committed"], f"nothing compacted: {result}")
    after_files = files_of(table)
    check(len(after_files) < len(before_files), f"file count {len(before_files)} -> {len(after_files)}")
    check(result["filesRemoved"] == len(before_files) and result["filesAdded"] == len(after_files),
          f"compact says {result['filesRemoved']} -> {result['filesAdded']}, the log {len(before_files)} -> {len(after_files)}")
    removed = {urllib.parse.unquote(p) for p in result["removed"]}
    check(removed == before_files, "every small file was rewritten")
    check(all(os.path.exists(os.path.join(table, f)) for f in removed), "compact deleted an old file")
    # The OPTIMIZE commit, read here: removes and adds that change no data, adds with stats.
    log = os.path.join(table, "_delta_log", "%020d.json" % result["version"])
    with open(log, encoding="utf-8") as f:
        actions = [json.loads(line) for line in f]
    check(actions[0]["commitInfo"]["operation"] == "OPTIMIZE", f"commitInfo {actions[0]}")
    for a in actions:
        for kind in ("add", "remove"):
            if kind in a:
                check(a[kind]["dataChange"] is False, f"{kind} with dataChange: {a}")
        if "remove" in a:
            check(a["remove"]["extendedFileMetadata"] is True and "size" in a["remove"] and
                  a["remove"]["partitionValues"].get("event_date"), f"remove {a}")
        if "add" in a:
            stats = json.loads(a["add"]["stats"])
            check(set(stats) == {"numRecords", "minValues", "maxValues", "nullCount"}, f"stats {stats}")
            check("event_time" in stats["minValues"] and "amount" in stats["maxValues"], f"stats {stats}")
            check(stats["minValues"]["event_time"].endswith("Z"), f"stats {stats}")

    n1, sum1, ids1 = totals(table)
    check((n1, sum1, ids1) == (n0, sum0, ids0), f"after compact DuckDB reads {n1} rows, sum {sum1}; before {n0}, {sum0}")
    check(delta_rows(table, COLUMNS) == rows0, "a value changed in compaction")
    info1 = run_json([pg, "inspect", "--table", table, "--json"])
    check(info1["rows"] == scored and info1["files"] == len(after_files), f"inspect after compact: {info1}")
    check(info1["lastCommit"]["operation"] == "OPTIMIZE", "last commit is the compaction")
    check(info1["tombstones"] == len(removed), f"tombstones {info1['tombstones']}")

    again = run_json([pg, "compact", "--table", table, "--json"])
    check(not again["committed"] and again["filesRemoved"] == 0, f"second compaction did something: {again}")

    # Vacuum: within the default 7 days nothing removed is listed; under 1h needs --force.
    dry = run_json([pg, "vacuum", "--table", table, "--json"])
    check(dry["dryRun"] and dry["count"] == 0, f"7d vacuum lists {dry['files']}")
    refused = run([pg, "vacuum", "--table", table, "--retention", "0s"], expect_rc=2)
    check("--force" in refused.stderr, f"refusal does not say why: {refused.stderr}")
    time.sleep(0.01)  # the tombstones must be older than now - 0s
    dry = run_json([pg, "vacuum", "--table", table, "--retention", "0s", "--force", "--json"])
    listed = {f["path"] for f in dry["files"]}
    check(listed == removed, f"vacuum lists {sorted(listed - removed)} extra, misses {sorted(removed - listed)}")
    check(dry["bytes"] == sum(os.path.getsize(os.path.join(table, f)) for f in removed), "vacuum bytes")
    check(all(os.path.exists(os.path.join(table, f)) for f in removed), "a dry run deleted files")
    log_before = log_listing(table)
    applied = run_json([pg, "vacuum", "--table", table, "--retention", "0s", "--force", "--apply", "--json"])
    check(applied["deleted"] == len(removed) and applied["failed"] == 0, f"vacuum --apply: {applied}")
    check(not any(os.path.exists(os.path.join(table, f)) for f in removed), "removed files are still there")
    check(all(os.path.exists(os.path.join(table, f)) for f in files_of(table)), "vacuum deleted a referenced file")
    check(log_listing(table) == log_before, "vacuum touched the log")
    n2, sum2, ids2 = totals(table)
    check((n2, sum2, ids2) == (n0, sum0, ids0), f"after vacuum DuckDB reads {n2} rows, sum {sum2}")
    check(delta_rows(table, COLUMNS) == rows0, "a value changed in vacuum")
    check(run_json([pg, "vacuum", "--table", table, "--retention", "0s", "--force", "--json"])["count"] == 0,
          "a second vacuum finds more")

    # Usage errors.
    run([pg, "inspect", "--table", os.path.join(tmp, "no-such-table")], expect_rc=2)
    run([pg, "vacuum", "--table", table, "--retention", "7x"], expect_rc=2)
    run([pg, "compact", "--table", table, "--codec", "lz4"], expect_rc=2)
    print(f"compact: {len(before_files)} files ({bytes0} bytes) -> {len(after_files)} files "
          f"({info1['bytes']} bytes), {scored} rows, {seconds:.2f} s; vacuum deleted {applied['deleted']} files "
          f"({applied['deletedBytes']} bytes)")


def scenario_compact_while_running(pg, src, tmp):
    count = 80000
    config, table = make_table(pg, src, tmp, count, name="compacted")
    reference_config, reference = make_table(pg, src, tmp, count, name="reference")
    acc = run_json([pg, "run", "--config", reference_config, "--json", "-q"])

    job = subprocess.Popen([pg, "run", "--config", config, "--json", "-q"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, cwd=src)
    compactions = commits = 0
    while job.poll() is None:
        if os.path.isdir(os.path.join(table, "_delta_log")):
            p = subprocess.run([pg, "compact", "--table", table, "--json"], capture_output=True, text=True)
            if p.returncode != 0:
                job.kill()
                fail(f"compact while the job runs: exit {p.returncode}\n{p.stderr}")
            r = json.loads(p.stdout)
            compactions += 1
            commits += 1 if r["committed"] else 0
        time.sleep(0.05)
    out, err = job.communicate()
    check(job.returncode == 0, f"run exit {job.returncode}\n{err}")
    check(json.loads(out)["scored"] == acc["scored"], "the two runs scored differently")
    run([pg, "compact", "--table", table])
    check(commits >= 1, f"no compaction committed during the run ({compactions} tried)")

    columns = "end_to_end_id, amount, score, decision"
    want = delta_rows(reference, columns)
    check(len(want) == acc["scored"], f"reference table has {len(want)} rows, {acc['scored']} scored")
    check(delta_rows(table, columns) == want, "the compacted table's rows differ from the reference run's")
    info = run_json([pg, "inspect", "--table", table, "--json"])
    check(info["rows"] == acc["scored"], f"inspect rows {info['rows']}")
    time.sleep(0.01)
    applied = run_json([pg, "vacuum", "--table", table, "--retention", "0s", "--force", "--apply", "--json"])
    check(applied["failed"] == 0 and applied["deleted"] == applied["count"] > 0, f"vacuum --apply: {applied}")
    check(delta_rows(table, columns) == want, "rows differ after vacuum")
    print(f"compact_while_running: {compactions} compactions ({commits} committed) during the run; "
          f"{info['files']} files at the end vs {len(delta_active_files(reference))} in the reference")


if __name__ == "__main__":
    main({"compact_vacuum": scenario_compact_vacuum, "compact_while_running": scenario_compact_while_running})
