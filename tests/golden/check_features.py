#!/usr/bin/env python3
"""Golden test of one feature case: reference == expected.csv == pixguard replay.

  check_features.py --pixguard BIN --case DIR [--batch-sizes 1,7,1024] [--keep]

1. Computes the case with the independent reference (features_reference.py) and requires it
   to equal DIR/expected.csv (so the committed expectation and the reference agree).
2. Runs `BIN replay --config DIR/config.yaml --input DIR/events.jsonl --output OUT.csv -q`
   (plus `--labels DIR/labels.jsonl` when that file exists) in a scratch directory, and
   requires its rows (end_to_end_id and the feature columns) to equal expected.csv, in
   order, with the same row count.
3. With --batch-sizes, runs replay once per pipeline.batch_size (a temporary copy of the
   config) and requires byte-identical CSV outputs.

Numbers compare with relative and absolute tolerance 1e-9; an empty cell (missing) equals
only an empty cell. Every mismatch is printed as: case, row end_to_end_id, feature, expected,
got. Exit status 0 only when everything matches. Python 3 standard library only.
"""

import argparse
import csv
import io
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import features_reference  # noqa: E402

TOLERANCE = 1e-9
MAX_REPORTED = 50


def read_csv(text):
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise ValueError("empty CSV (no header)")
    return rows[0], rows[1:]


def same_value(expected, got):
    if expected == "" or got == "":
        return expected == got
    try:
        a, b = float(expected), float(got)
    except ValueError:
        return expected == got
    if math.isnan(a) or math.isnan(b):
        return False
    return math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE)


REPLAY_PREFIX = ["end_to_end_id", "event_time", "payer_account", "payee_account", "payee_key", "amount"]
REPLAY_SUFFIX = ["score", "decision", "label"]


def compare(case, what, expected_text, got_text, problems, replay_layout):
    """Appends mismatches of `got_text`: a replay CSV (replay_layout) or a table shaped as
    expected.csv (end_to_end_id, then the features)."""
    exp_header, exp_rows = read_csv(expected_text)
    got_header, got_rows = read_csv(got_text)
    if not exp_header or exp_header[0] != "end_to_end_id":
        problems.append("%s: expected.csv: the first column must be end_to_end_id" % case)
        return
    features = exp_header[1:]
    if replay_layout:
        p, s = len(REPLAY_PREFIX), len(REPLAY_SUFFIX)
        if got_header[:p] != REPLAY_PREFIX or got_header[-s:] != REPLAY_SUFFIX:
            problems.append("%s: %s: unexpected replay CSV header %s" % (case, what, got_header))
            return
        index = [0] + list(range(p, len(got_header) - s))
    else:
        index = list(range(len(got_header)))
    got_features = [got_header[i] for i in index[1:]]
    if got_features != features:
        problems.append("%s: %s: feature columns %s, expected.csv has %s" % (case, what, got_features, features))
        return
    if len(got_rows) != len(exp_rows):
        problems.append("%s: %s: %d rows, expected %d" % (case, what, len(got_rows), len(exp_rows)))
    for n, (e, g) in enumerate(zip(exp_rows, got_rows), 1):
        if len(e) != len(exp_header) or len(g) != len(got_header):
            problems.append("%s: %s: row %d has the wrong number of cells" % (case, what, n))
            continue
        g = [g[i] for i in index]
        if e[0] != g[0]:
            problems.append("%s: %s: row %d is end_to_end_id %s, expected %s" % (case, what, n, g[0], e[0]))
            continue
        for name, ev, gv in zip(features, e[1:], g[1:]):
            if not same_value(ev, gv):
                problems.append("%s: %s: row %s feature %s: expected %s, got %s"
                                % (case, what, e[0], name, ev or "(missing)", gv or "(missing)"))


def with_batch_size(config_text, size):
    """The config text with pipeline.batch_size set (block-style `pipeline:` or none)."""
    lines = config_text.split("\n")
    for i, line in enumerate(lines):
        if re.match(r"^pipeline\s*:\s*(#.*)?$", line):
            j = i + 1
            while j < len(lines) and (lines[j].startswith(" ") or not lines[j].strip()):
                if re.match(r"^\s+batch_size\s*:", lines[j]):
                    lines[j] = ""
                j += 1
            lines.insert(i + 1, "  batch_size: %d" % size)
            return "\n".join(lines)
        if re.match(r"^pipeline\s*:", line):
            raise SystemExit("--batch-sizes needs a block-style pipeline: section (or none)")
    return config_text.rstrip("\n") + "\npipeline:\n  batch_size: %d\n" % size


def replay(pixguard, case_dir, config, scratch, name):
    out = os.path.join(scratch, name + ".csv")
    cmd = [pixguard, "replay", "--config", config, "--input", os.path.join(case_dir, "events.jsonl"),
           "--output", out, "-q"]
    labels = os.path.join(case_dir, "labels.jsonl")
    if os.path.exists(labels):
        cmd += ["--labels", labels]
    run = subprocess.run(cmd, cwd=scratch, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         universal_newlines=True, timeout=120)
    if run.returncode != 0 or not os.path.exists(out):
        raise RuntimeError("pixguard replay failed (exit %d): %s\nstdout:\n%s\nstderr:\n%s"
                           % (run.returncode, " ".join(cmd), run.stdout, run.stderr))
    with open(out, encoding="utf-8", newline="") as f:
        return f.read()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pixguard", required=True, help="the pixguard binary")
    ap.add_argument("--case", required=True, help="a case directory (config.yaml, events.jsonl, expected.csv)")
    ap.add_argument("--batch-sizes", help="comma-separated pipeline.batch_size values whose outputs must be identical")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory and print its path")
    args = ap.parse_args()

    case_dir = os.path.abspath(args.case)
    case = os.path.basename(case_dir.rstrip("/"))
    pixguard = os.path.abspath(args.pixguard)
    problems = []

    with open(os.path.join(case_dir, "expected.csv"), encoding="utf-8", newline="") as f:
        expected = f.read()

    # (a) the reference agrees with the committed expectation.
    try:
        reference = features_reference.table(case_dir)
    except features_reference.CaseError as e:
        print("%s: the reference cannot model this case: %s" % (case, e))
        return 1
    compare(case, "reference", expected, reference, problems, False)

    scratch = tempfile.mkdtemp(prefix="pixguard-golden-%s-" % case)
    try:
        # (b) pixguard agrees with the committed expectation.
        try:
            got = replay(pixguard, case_dir, os.path.join(case_dir, "config.yaml"), scratch, "replay")
            compare(case, "pixguard", expected, got, problems, True)
        except (RuntimeError, subprocess.TimeoutExpired, ValueError) as e:
            problems.append("%s: %s" % (case, e))

        # (c) the output does not depend on the batch size.
        if args.batch_sizes:
            sizes = [int(s) for s in args.batch_sizes.split(",") if s.strip()]
            with open(os.path.join(case_dir, "config.yaml"), encoding="utf-8") as f:
                config_text = f.read()
            outputs = []
            for size in sizes:
                config = os.path.join(scratch, "config-batch-%d.yaml" % size)
                with open(config, "w", encoding="utf-8") as f:
                    f.write(with_batch_size(config_text, size))
                try:
                    outputs.append((size, replay(pixguard, case_dir, config, scratch, "batch-%d" % size)))
                except (RuntimeError, subprocess.TimeoutExpired) as e:
                    problems.append("%s: batch_size %d: %s" % (case, size, e))
            for size, text in outputs[1:]:
                base_size, base = outputs[0]
                if text != base:
                    a, b = base.split("\n"), text.split("\n")
                    line = next((i for i in range(max(len(a), len(b)))
                                 if i >= len(a) or i >= len(b) or a[i] != b[i]), 0)
                    problems.append("%s: output with batch_size %d differs from batch_size %d at line %d:\n"
                                    "  %d: %s\n  %d: %s" % (case, size, base_size, line + 1, base_size,
                                                          a[line] if line < len(a) else "(end)", size,
                                                          b[line] if line < len(b) else "(end)"))
            if len(outputs) == len(sizes):
                # The batch-size runs must also match the expectation (not just each other).
                for size, text in outputs:
                    compare(case, "pixguard batch_size %d" % size, expected, text, problems, True)
    finally:
        if args.keep:
            print("scratch directory: " + scratch)
        else:
            shutil.rmtree(scratch, ignore_errors=True)

    for p in problems[:MAX_REPORTED]:
        print(p)
    if len(problems) > MAX_REPORTED:
        print("... and %d more" % (len(problems) - MAX_REPORTED))
    if problems:
        print("%s: FAILED (%d mismatches)" % (case, len(problems)))
        return 1
    exp_rows = len(read_csv(expected)[1])
    print("%s: OK (%d rows, %d features)" % (case, exp_rows, len(read_csv(expected)[0]) - 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
