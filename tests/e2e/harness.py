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


def small_config(src, tmp, count, extra="", interval="50ms", name="config.yaml", out=None):
    """The shipped default config with a smaller stream, and outputs and checkpoints in `out` (default `tmp`)."""
    out = out or tmp
    with open(os.path.join(src, "config", "streaming_config.yaml"), encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"count: \d+", f"count: {count}", text)
    text = re.sub(r"  interval: \S+", f"  interval: {interval}", text)
    for name_ in ("scored", "alerts", "dead_letter", "checkpoints"):
        text = re.sub(rf"  (\w+): data/{name_}", rf"  \1: {out}/{name_}", text)
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
    with tempfile.TemporaryDirectory(prefix="pixguard-e2e-") as tmp:
        scenarios[a.scenario](os.path.abspath(a.pixguard), SOURCE_DIR, tmp)
    print(f"ok: {a.scenario}")
