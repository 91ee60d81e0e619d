"""What the end-to-end tests share: checks, running the binary, reading outputs, configs.

Scenario files define `scenario_<name>(pg, src, tmp)` functions and call `main(SCENARIOS)`.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse

SOURCE_DIR = None  # relative paths in the shipped configs (model/) are from the repository root


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def run(args, expect_rc=0, cwd=None):
    p = subprocess.run(args, capture_output=True, text=True, cwd=cwd or SOURCE_DIR)
    if p.returncode != expect_rc:
        fail(f"{' '.join(args)}\nexit {p.returncode}, expected {expect_rc}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


def content_hash(data):
    """core/hash.h content_hash of `data` (bytes), as a dead letter's raw_hash shows it (16 hex digits)."""
    import struct
    mask, k0, k1 = (1 << 64) - 1, 0xa0761d6478bd642f, 0xe7037ed1a0b428db

    def mix(a, b):
        r = a * b
        return (r & mask) ^ (r >> 64)
    h, whole = k0, len(data) // 8 * 8
    for (w,) in struct.iter_unpack("<Q", memoryview(data)[:whole]):
        h = mix(h ^ w, k1)
    rest = len(data) - whole
    h = mix(h ^ int.from_bytes(data[whole:], "little") ^ (rest << 56), k0)
    return "%016x" % mix(h ^ len(data), k1)


def read_lines(pattern):
    rows = []
    for path in sorted(glob.glob(pattern)):
        with open(path, encoding="utf-8") as f:
            rows.extend(json.loads(line) for line in f if line.strip())
    return rows


def raw_lines(pattern):
    """Every line of the matching files, as bytes, sorted: a multiset to compare outputs by."""
    lines = []
    for path in glob.glob(pattern):
        with open(path, "rb") as f:
            lines.extend(f.read().splitlines())
    return sorted(lines)


def delta_active_files(table):
    """The data files of a Delta table's current version, by replaying its JSON log here
    (add minus remove), independently of pixguard's own log reader."""
    active = {}
    for path in sorted(glob.glob(os.path.join(table, "_delta_log", "*.json"))):
        with open(path, encoding="utf-8") as f:
            for line in f:
                action = json.loads(line)
                if "add" in action:
                    active[action["add"]["path"]] = action["add"]
                elif "remove" in action:
                    active.pop(action["remove"]["path"], None)
    return active


def duckdb(*sql):
    """Rows of the last statement, run by DuckDB (tests/js, installed by scripts/setup.sh)."""
    script = os.path.join(SOURCE_DIR, "tests", "js", "duckdb_query.mjs")
    p = subprocess.run(["node", script, *sql], capture_output=True, text=True)
    check(p.returncode == 0, f"duckdb: {p.stderr}")
    return json.loads(p.stdout)


def delta_rows(table, columns="end_to_end_id, amount, score, decision, event_time"):
    """Every row of a Delta table's current version as read by DuckDB from the files the log
    lists, as sorted tuples: a multiset to compare tables by."""
    files = [os.path.join(table, urllib.parse.unquote(p)) for p in delta_active_files(table)]
    if not files:
        return []
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    rows = duckdb(f"SELECT {columns} FROM read_parquet([{listed}])")
    return sorted(tuple(str(v) for v in r.values()) for r in rows)


def small_config(src, tmp, count, extra="", interval="50ms", name="config.yaml", out=None):
    """The shipped default config with a smaller stream, and outputs and checkpoints in `out` (default `tmp`)."""
    out = out or tmp
    with open(os.path.join(src, "config", "streaming_config.yaml"), encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"count: \d+", f"count: {count}", text)
    text = re.sub(r"  interval: \S+", f"  interval: {interval}", text)
    text, n = re.subn(r"  scored: ~", "  scored: data/scored", text)  # the tests read them
    assert n == 1, "the shipped config's scored sink line changed; update harness.py"
    for name_ in ("scored", "alerts", "dead_letter", "checkpoints", "decisions"):
        text = re.sub(rf"  (\w+): data/{name_}", rf"  \1: {out}/{name_}", text)
    # One privacy key per test, whatever `out`: runs compared with each other hash alike.
    text = re.sub(r"  (\w+): data/privacy", rf"  \1: {tmp}/privacy", text)
    path = os.path.join(tmp, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text + extra)
    return path


def main(scenarios):
    ap = argparse.ArgumentParser()
    ap.add_argument("--pixguard", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--scenario", required=True, choices=sorted(scenarios))
    a = ap.parse_args()
    global SOURCE_DIR
    SOURCE_DIR = os.path.abspath(a.source_dir)
    if os.environ.get("PIXGUARD_KEEP_TEST_DIR"):  # for a post-mortem of a failure
        tmp = tempfile.mkdtemp(prefix="pixguard-e2e-")
        print(f"test directory (kept): {tmp}")
        scenarios[a.scenario](os.path.abspath(a.pixguard), SOURCE_DIR, tmp)
    else:
        with tempfile.TemporaryDirectory(prefix="pixguard-e2e-") as tmp:
            scenarios[a.scenario](os.path.abspath(a.pixguard), SOURCE_DIR, tmp)
    print(f"ok: {a.scenario}")
