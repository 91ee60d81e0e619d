#!/usr/bin/python3
"""`pixguard score` against python3-xgboost, the seeds' own scoring tool.

Trains models with Debian's python3-xgboost (run this with /usr/bin/python3: the pyenv
python3 on PATH lacks it) on a random table with named features, saves them as JSON, and
writes a CSV of rows to score: columns in another order than the model's, an extra text
column, empty cells (missing), values with all 17 significant digits, values exactly at the
model's split thresholds and one float step either side, extremes. Python scores the rows
from the same CSV (read as float64, as pandas would, then float32 inside XGBoost);
`pixguard score` must give every row's probability to 1e-6 (in practice, the same bits).
Then the command's errors: a missing feature column and a bad cell, exit code 2, named.
"""
import argparse
import csv
import json
import math
import os
import subprocess
import sys
import tempfile

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
        check_errors(args.pixguard, model_path, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
