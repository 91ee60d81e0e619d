#!/usr/bin/python3
"""`pixguard score` against python3-xgboost, the seeds' own scoring tool.

Trains models with Debian's python3-xgboost (run this with /usr/bin/python3: the pyenv
python3 on PATH lacks it) on a random table with named features, saves them as JSON, and
writes a CSV of rows to score: columns in another order than the model's, an extra text
column, empty cells (missing), values with all 17 significant digits, values exactly at the
model's split thresholds and one float step either side, extremes. Python scores the rows
from the same CSV (read as float64, as pandas would, then float32 inside XGBoost);
`pixguard score` must give every row's probability to 1e-6 (in practice, the same bits).

Each model is scored as XGBoost 1.7 saves it, as JSON and as UBJSON (`.ubj`), and as the
files of later releases hold it, written here from the 1.7 file by the published model
schema: 2.x (version [2, 1, 4], num_target and boost_from_average in the learner's model
parameters, trees without their id) and 3.1 (the same with base_score as an array,
"[3.5E-1]"), each as JSON and as UBJSON (encoded here, with the typed arrays XGBoost
writes). Debian 12 has no later XGBoost to write them, so the reference predictions are the
1.7 booster's: the tree model is the same. Then the command's errors: a missing feature
column and a bad cell, a model of an unknown major version and a multi-output base_score,
exit code 2, named.
"""
import argparse
import csv
import json
import math
import os
import subprocess
import sys
import tempfile

import struct

import numpy as np
import xgboost as xgb

FEATURES = [
    "payer_count_5m", "payer_sum_1h", "payer_mean_30d", "payer_max_24h", "payer_distinct_payees_7d",
    "seconds_since_previous", "amount_vs_history", "first_time_payee", "payee_inbound_count_1h",
    "payee_distinct_payers_24h", "payee_fraud_rate_30d", "hour", "is_night",
]


def random_table(rng, rows):
    x = rng.normal(size=(rows, len(FEATURES))) * np.logspace(-2, 4, len(FEATURES))
    x[:, 7] = rng.integers(0, 2, rows)       # a 0/1 flag: thresholds fall at 0.5 or so
    x[:, 11] = rng.integers(0, 24, rows)     # hour: ties
    x[:, 12] = (x[:, 11] >= 20) | (x[:, 11] < 6)
    x[rng.random(x.shape) < 0.08] = np.nan
    z = np.nan_to_num(x[:, 0] / 10 + x[:, 6] / 1e3 - x[:, 2] / 1e2 + 2 * x[:, 7] * x[:, 12]) + rng.normal(size=rows)
    return x, (z > 0.5).astype(np.float32)


def thresholds(model_path):
    with open(model_path) as f:
        doc = json.load(f)
    out = {}
    for tree in doc["learner"]["gradient_booster"]["model"]["trees"]:
        for i, left in enumerate(tree["left_children"]):
            if left != -1:
                out.setdefault(tree["split_indices"][i], []).append(tree["split_conditions"][i])
    return out


def xgb_float(v):
    """A float32 as XGBoost's JSON writer spells it ("3.5E-1")."""
    return np.format_float_scientific(np.float32(v), unique=True, exp_digits=1).upper().replace(".E", "E").replace("E+", "E")


def as_release(doc, major):
    """The 1.7 model `doc` as XGBoost `major` (2 or 3) writes the same model."""
    d = json.loads(json.dumps(doc))
    d["version"] = [2, 1, 4] if major == 2 else [3, 1, 2]
    mp = d["learner"]["learner_model_param"]
    mp["num_target"] = "1"
    mp["boost_from_average"] = "1"
    if major == 3:
        mp["base_score"] = "[" + xgb_float(float(mp["base_score"])) + "]"
    for tree in d["learner"]["gradient_booster"]["model"]["trees"]:
        tree.pop("id", None)
        tree["tree_param"]["size_leaf_vector"] = "1"
    return d


def ubjson(value):
    """UBJSON (ubjson.org, draft 12) of a JSON value, big-endian, with XGBoost's typed arrays:
    float32 arrays as [$d#L, integer arrays as [$l#L (or [$U#L for 0/1 flags)."""
    def length(n):
        return b"L" + struct.pack(">q", n)

    def string(text):
        raw = text.encode()
        return length(len(raw)) + raw

    if isinstance(value, dict):
        return b"{" + b"".join(string(k) + ubjson(v) for k, v in value.items()) + b"}"
    if isinstance(value, list):
        if value and all(isinstance(x, float) for x in value):
            return b"[$d#" + length(len(value)) + b"".join(struct.pack(">f", x) for x in value)
        if value and all(type(x) is int for x in value):
            if all(x in (0, 1) for x in value):
                return b"[$U#" + length(len(value)) + bytes(value)
            return b"[$l#" + length(len(value)) + b"".join(struct.pack(">i", x) for x in value)
        return b"[" + b"".join(ubjson(x) for x in value) + b"]"
    if isinstance(value, str):
        return b"S" + string(value)
    if isinstance(value, bool):
        return b"T" if value else b"F"
    if isinstance(value, int):
        return b"L" + struct.pack(">q", value)
    if isinstance(value, float):
        return b"d" + struct.pack(">f", value)
    if value is None:
        return b"Z"
    raise TypeError(type(value))


def release_files(model_path, tmp, label):
    """The model as XGBoost 1.7 writes it in UBJSON, and as 2.x and 3.x hold it, JSON and UBJSON."""
    out = []
    with open(model_path) as f:
        doc = json.load(f)
    for major in (2, 3):
        release = as_release(doc, major)
        path = os.path.join(tmp, f"{label}.v{major}.json")
        with open(path, "w") as f:
            json.dump(release, f)
        out.append((path, f"{label} as {major}.x JSON"))
        path = os.path.join(tmp, f"{label}.v{major}.ubj")
        with open(path, "wb") as f:
            f.write(ubjson(release))
        out.append((path, f"{label} as {major}.x UBJSON"))
    return out


def cell(v):
    return "" if math.isnan(v) else repr(float(v))


def write_rows(rng, path, base, ths, rows, quote_all):
    """Rows from `base`, with threshold values and extremes mixed in; columns shuffled;
    with `quote_all`, every cell and header name in double quotes (RFC 4180)."""
    order = list(rng.permutation(len(FEATURES)))
    header = [FEATURES[i] for i in order]
    header.insert(3, "note")  # an extra, non-numeric column the command must ignore
    extremes = [0.0, -0.0, 3.4028234663852886e38, -3.4028234663852886e38, 1e-45, 1e30, -1e30, 123456789.123456789]
    values = np.empty((rows, len(FEATURES)))
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n", quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
        w.writerow(header)
        for r in range(rows):
            row = base[rng.integers(0, len(base))].copy()
            for c in range(len(FEATURES)):
                u = rng.random()
                if u < 0.3 and c in ths:
                    t = np.float32(ths[c][rng.integers(0, len(ths[c]))])
                    t = [t, np.nextafter(t, np.float32(-np.inf)), np.nextafter(t, np.float32(np.inf))][rng.integers(0, 3)]
                    row[c] = float(t)
                elif u < 0.35:
                    row[c] = extremes[rng.integers(0, len(extremes))]
                elif u < 0.4:
                    row[c] = rng.normal() * 10 ** rng.uniform(-8, 8)  # 17-digit doubles
            values[r] = row
            cells = [cell(row[i]) for i in order]
            cells.insert(3, 'text, "quoted"' if r % 7 == 0 else "x")
            w.writerow(cells)
    return values


def check_scores(pixguard, model_path, rows_csv, values, booster, tmp, label):
    scores_csv = os.path.join(tmp, label + ".scores.csv")
    proc = subprocess.run([pixguard, "score", "--model", model_path, "--input", rows_csv, "--output", scores_csv],
                          capture_output=True, text=True)
    assert proc.returncode == 0, f"pixguard score failed ({proc.returncode}): {proc.stderr}"
    with open(scores_csv) as f:
        lines = f.read().splitlines()
    assert lines[0] == "score", lines[0]
    got = [float(s) for s in lines[1:]]
    # Python reads the same CSV values as float64; XGBoost narrows them to float32.
    expected = booster.predict(xgb.DMatrix(values, feature_names=FEATURES, missing=np.nan))
    assert len(got) == len(expected), (len(got), len(expected))
    worst, exact = 0.0, 0
    for i, (g, e) in enumerate(zip(got, expected)):
        d = abs(g - float(e))
        worst = max(worst, d)
        exact += g == float(e)
        assert d <= 1e-6, f"{label} row {i + 1}: pixguard {g!r}, python xgboost {float(e)!r}"
    print(f"{label}: {len(got)} rows, max |diff| {worst:.3g}, identical {exact}/{len(got)}")


def check_errors(pixguard, model_path, tmp):
    bad = os.path.join(tmp, "missing_column.csv")
    with open(bad, "w") as f:
        f.write(",".join(FEATURES[1:]) + "\n" + ",".join(["1"] * (len(FEATURES) - 1)) + "\n")
    proc = subprocess.run([pixguard, "score", "--model", model_path, "--input", bad, "--output", bad + ".out"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and FEATURES[0] in proc.stderr, (proc.returncode, proc.stderr)
    assert not os.path.exists(bad + ".out")

    bad = os.path.join(tmp, "bad_cell.csv")
    with open(bad, "w") as f:
        f.write(",".join(FEATURES) + "\n")
        f.write(",".join(["1"] * len(FEATURES)) + "\n")
        f.write(",".join(["1"] * 4 + ["12abc"] + ["1"] * (len(FEATURES) - 5)) + "\n")
    proc = subprocess.run([pixguard, "score", "--model", model_path, "--input", bad, "--output", bad + ".out"],
                          capture_output=True, text=True)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "row 2" in proc.stderr and FEATURES[4] in proc.stderr and "12abc" in proc.stderr, proc.stderr
    print("errors: missing column and bad cell refused with exit code 2")

    with open(model_path) as f:
        doc = json.load(f)
    for name, change, words in (
            ("v4.json", lambda d: d.update(version=[4, 0, 0]), "1.x, 2.x and 3.x"),
            ("two_outputs.json",
             lambda d: d["learner"]["learner_model_param"].update(base_score="[5E-1,5E-1]"), "multi-output")):
        d = as_release(doc, 3)
        change(d)
        path = os.path.join(tmp, name)
        with open(path, "w") as f:
            json.dump(d, f)
        proc = subprocess.run([pixguard, "score", "--model", path, "--input", bad, "--output", bad + ".out"],
                              capture_output=True, text=True)
        assert proc.returncode == 2 and words in proc.stderr, (name, proc.returncode, proc.stderr)
    print("errors: a model of XGBoost 4.x and a two-output base_score refused with exit code 2")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pixguard", required=True)
    args = ap.parse_args()
    rng = np.random.default_rng(1234)
    configs = [
        ("logistic_depth6", {"objective": "binary:logistic", "max_depth": 6, "eta": 0.3, "base_score": 0.35}, 80),
        ("logistic_hist_depth4", {"objective": "binary:logistic", "max_depth": 4, "tree_method": "hist"}, 40),
        ("logitraw_depth5", {"objective": "binary:logitraw", "max_depth": 5}, 30),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        x, y = random_table(rng, 4000)
        for label, params, rounds in configs:
            params = dict(params, nthread=1, seed=3)
            booster = xgb.train(params, xgb.DMatrix(x, label=y, feature_names=FEATURES, missing=np.nan), rounds)
            model_path = os.path.join(tmp, label + ".json")
            booster.save_model(model_path)
            rows_csv = os.path.join(tmp, label + ".rows.csv")
            values = write_rows(rng, rows_csv, x, thresholds(model_path), 5000, quote_all=label.startswith("logitraw"))
            check_scores(args.pixguard, model_path, rows_csv, values, booster, tmp, label)
            native_ubj = os.path.join(tmp, label + ".ubj")
            booster.save_model(native_ubj)
            check_scores(args.pixguard, native_ubj, rows_csv, values, booster, tmp, label + " as 1.7 UBJSON")
            for path, what in release_files(model_path, tmp, label):
                check_scores(args.pixguard, path, rows_csv, values, booster, tmp, what)
        check_errors(args.pixguard, model_path, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
