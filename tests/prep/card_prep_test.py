#!/usr/bin/env python3
"""Data preparation through configuration alone, checked against pandas.

A card-style CSV (bench/card_transactions.py: customers paying at terminals, frauds) is
given the defects of the public data sets of that shape: amounts that went through binary
floats (85.64999999999999) and zero amounts. `pixguard replay` reads it with
`input.amount: {decimals: round, zero: accept}`: no row may become a dead letter, and the
rounded ones are counted. Its 15 window features (customer counts and mean amounts over 1,
7 and 30 days; terminal counts and fraud rates over windows ending 7 days back, 0 for an
empty window: `fill: 0`; amount, weekend, night) and an outlier flag (the amount's robust z
against the customer's previous 30 days: median and MAD) must equal an independent
computation with pandas and numpy over the same rows.

Scenario profiles: a customer profile table (when the account was opened, a risk score that
changes at a date, a VIP flag; some customers have none) joined through `profiles:` as
features, point in time: each transaction reads the row valid at its time. The features
must equal pandas' merge_asof of the same tables.

Scenario train_exact: `pixguard train --tree-method exact` with XGBoost's defaults for
everything else, on that feature table, must give the model python3-xgboost trains on the
same rows with the same parameters: the same predictions on every row.
"""
import json
import math
import os
import random
import subprocess
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import harness  # noqa: E402
from harness import check, run  # noqa: E402

DAY = pd.Timedelta(days=1)
WINDOWS = {"1d": 1, "7d": 7, "30d": 30}


def damaged_csv(src, tmp, rows):
    """The generator's table with float-artefact amounts in one row of 40 and zeros in one of 300."""
    clean = os.path.join(tmp, "clean.csv")
    run([sys.executable, os.path.join(src, "bench", "card_transactions.py"), clean, "--rows", str(rows),
         "--customers", "400", "--terminals", "800", "--days", "60"])
    rnd = random.Random(11)
    out = os.path.join(tmp, "card.csv")
    artefacts = zeros = 0
    with open(clean, encoding="ascii") as f, open(out, "w", encoding="ascii") as w:
        w.write(f.readline())
        for line in f:
            cells = line.rstrip("\n").split(",")
            roll = rnd.random()
            if roll < 1 / 40:
                # The neighbouring double of the amount: prints with 16-17 digits, rounds back.
                x = float(cells[4])
                cells[4] = repr(math.nextafter(x, 0.0 if rnd.random() < 0.5 else math.inf))
                artefacts += 1 if len(cells[4]) > 8 else 0
            elif roll < 1 / 40 + 1 / 300:
                cells[4] = "0.0"
                zeros += 1
            w.write(",".join(cells) + "\n")
    check(artefacts > 100 and zeros > 10, f"the damage: {artefacts} artefacts, {zeros} zeros")
    return out, artefacts, zeros


def config(src, tmp, table):
    text = open(os.path.join(src, "bench", "card_features.yaml"), encoding="utf-8").read()
    text = text.replace("  path: data/card.csv", f"  path: {table}")
    text = text.replace("  time_format: local\n", "  time_format: local\n  amount: {decimals: round, zero: accept}\n")
    # An empty window's fraud rate is 0, as the data set's reference features have it.
    text = text.replace("kind: fraud_rate, key: payee,", "kind: fraud_rate, fill: 0, key: payee,")
    check(text.count("fill: 0") == 3 and "amount: {decimals: round" in text, "bench/card_features.yaml changed shape")
    text = text.replace("  dead_letter: data/card/dead_letter", f"  dead_letter: {tmp}/dead_letter")
    path = os.path.join(tmp, "card.yaml")
    open(path, "w", encoding="utf-8").write(text)
    return path


def reference(table):
    """The 15 features with pandas and numpy, per row of `table`, in its order."""
    df = pd.read_csv(table)
    df["t"] = pd.to_datetime(df["TX_DATETIME"])
    out = pd.DataFrame(index=df.index)
    # Customer windows (t - w, t], the current row included, rows after it (same time) not.
    for name, days in WINDOWS.items():
        roll = df.groupby("CUSTOMER_ID", sort=False)[["t", "TX_AMOUNT"]].rolling(f"{days}D", on="t")
        # Indexed by (customer, row): back to the rows' order.
        out[f"customer.count_{name}"] = roll.count()["TX_AMOUNT"].reset_index(level=0, drop=True).sort_index()
        out[f"customer.mean_amount_{name}"] = roll.mean()["TX_AMOUNT"].reset_index(level=0, drop=True).sort_index()
    # Terminal windows (t - 7d - w, t - 7d]: every row there is known by t (reported 7 days on).
    t_ns = df["t"].to_numpy().astype("datetime64[ns]").astype(np.int64)
    for name, days in WINDOWS.items():
        counts = np.zeros(len(df))
        risk = np.zeros(len(df))
        for _, idx in df.groupby("TERMINAL_ID", sort=False).indices.items():
            times = t_ns[idx]  # in file (time) order
            fraud = np.concatenate([[0], np.cumsum(df["TX_FRAUD"].to_numpy()[idx])])
            end = times - 7 * DAY.value
            hi = np.searchsorted(times, end, side="right")
            lo = np.searchsorted(times, end - days * DAY.value, side="right")
            n = hi - lo
            counts[idx] = n
            risk[idx] = np.where(n > 0, (fraud[hi] - fraud[lo]) / np.maximum(n, 1), 0.0)
        out[f"terminal.count_{name}"] = counts
        out[f"terminal.risk_{name}"] = risk
    # The outlier flag: (amount - median) / (1.4826 MAD) of the customer's previous 30 days
    # (the current row left out), on the amounts as pixguard reads them (rounded to centavos).
    df["cents"] = (df["TX_AMOUNT"] * 100).round()

    def robust(x):
        if len(x) < 3:
            return np.nan
        med = np.median(x)
        return np.median(np.abs(x - med))

    for stat, fn in (("median", lambda x: np.median(x) if len(x) >= 3 else np.nan), ("mad", robust)):
        roll = df.groupby("CUSTOMER_ID", sort=False)[["t", "cents"]].rolling("30D", on="t", closed="left")
        df[stat] = roll.apply(fn, raw=True)["cents"].reset_index(level=0, drop=True).sort_index()
    z = (df["cents"] - df["median"]) / (1.4826 * df["mad"])
    out["customer.amount_robust_z_30d"] = z.where(df["mad"] > 0)
    out["tx.amount"] = df["TX_AMOUNT"].round(2)
    out["tx.weekend"] = (df["t"].dt.dayofweek >= 5).astype(float)
    out["tx.night"] = (df["t"].dt.hour < 6).astype(float)
    return out


def scenario_card(pg, src, tmp):
    rows = 30000
    table, artefacts, zeros = damaged_csv(src, tmp, rows)
    cfg = config(src, tmp, table)
    text = open(cfg, encoding="utf-8").read().replace(
        "\nfeatures:\n", "\nfeatures:\n  - {name: customer.amount_robust_z_30d, kind: amount_robust_z, key: payer, window: 30d}\n")
    open(cfg, "w", encoding="utf-8").write(text)
    features = os.path.join(tmp, "features.csv")
    acc = json.loads(run([pg, "replay", "--config", cfg, "--input", table, "--output", features, "--no-model",
                          "--json", "-q"]).stdout)
    check(acc["in"] == rows and acc["dead_letters"] == 0 and acc["scored"] == rows and acc["balanced"],
          f"every row scored, none a dead letter: {acc}")
    check(acc["amounts_rounded"] == artefacts, f"{acc['amounts_rounded']} amounts rounded, {artefacts} damaged")
    got = pd.read_csv(features)
    want = reference(table)
    check(len(got) == len(want), f"{len(got)} feature rows for {len(want)} input rows")
    # The feature table's rows follow the input (one part, in time order): compare by position.
    compared = 0
    for column in want.columns:
        check(column in got.columns, f"replay wrote no {column}: {list(got.columns)}")
        g, w = got[column].to_numpy(dtype=float), want[column].to_numpy(dtype=float)
        if column != "customer.amount_robust_z_30d":  # missing by definition below 3 events
            check(not np.isnan(g).any(), f"{column}: missing values despite fill")
        bad = ~(np.isclose(g, w, rtol=1e-9, atol=1e-9) | (np.isnan(g) & np.isnan(w)))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            harness.fail(f"{column}: {int(bad.sum())} rows differ from pandas; first at row {i}: {g[i]} vs {w[i]}")
        compared += len(g)
    z = want["customer.amount_robust_z_30d"]
    outliers = int((z.abs() > 3.5).sum())
    check(z.notna().sum() > rows // 2 and outliers > 100, f"the outlier flag is not exercised: {outliers} beyond 3.5")
    empty = int((want["terminal.count_1d"] == 0).sum())
    check(empty > 1000, f"only {empty} rows with an empty terminal window: fill is not exercised")
    print(f"{rows} rows ({artefacts} float artefacts, {zeros} zero amounts): no dead letters; {compared} feature "
          f"values equal pandas' ({empty} rows with an empty 1-day terminal window, filled with 0; {outliers} "
          f"amounts flagged beyond 3.5 robust z)")


def scenario_train_exact(pg, src, tmp):
    import xgboost as xgb
    table, _, _ = damaged_csv(src, tmp, 12000)
    cfg = config(src, tmp, table)
    features = os.path.join(tmp, "features.csv")
    run([pg, "replay", "--config", cfg, "--input", table, "--output", features, "--no-model", "-q"])
    model = os.path.join(tmp, "model.json")
    rounds = 30
    card = json.loads(run([pg, "train", "--config", cfg, "--input", features, "--output", model, "--tree-method",
                           "exact", "--rounds", str(rounds), "--threads", "1", "--json", "-q"]).stdout)
    sent = card["parameters"]
    check(sent["tree_method"] == "exact" and "eta" not in sent and "subsample" not in sent and "max_depth" not in sent,
          f"parameters sent beyond the ones given: {sent}")
    names = [line.split("name: ", 1)[1].split(",", 1)[0] for line in open(cfg, encoding="utf-8")
             if line.startswith("  - {name: ")]
    df = pd.read_csv(features)
    x, y = df[names].to_numpy(dtype=np.float64), df["label"].to_numpy(dtype=np.float32)
    matrix = xgb.DMatrix(x, label=y, feature_names=names, missing=np.nan)
    params = {"objective": "binary:logistic", "tree_method": "exact", "seed": 0, "nthread": 1, "eval_metric": "aucpr"}
    python = xgb.train(params, matrix, rounds)
    ours = xgb.Booster(model_file=model)
    want, got = python.predict(matrix), ours.predict(matrix)
    worst = float(np.max(np.abs(want - got)))
    check(worst <= 1e-6, f"pixguard train vs python3-xgboost: predictions differ by up to {worst}")
    check(len(json.load(open(model))["learner"]["gradient_booster"]["model"]["trees"]) == rounds, "tree count")
    # And pixguard's own scorer agrees with both, from the table's columns.
    scores = os.path.join(tmp, "scores.csv")
    run([pg, "score", "--model", model, "--input", features, "--output", scores])
    served = pd.read_csv(scores)["score"].to_numpy()
    check(float(np.max(np.abs(served - want))) <= 1e-6, "pixguard score differs from python3-xgboost's predictions")
    print(f"train --tree-method exact, XGBoost's defaults: {len(y)} rows, {rounds} trees; predictions equal "
          f"python3-xgboost's (max |diff| {worst:.3g}), and pixguard score's")


def profile_rows():
    """A customer table: (id, valid_from or "", opened_at, risk, vip); a tenth of the customers
    have none, and a third change their risk on a day within the data set's span."""
    rnd = random.Random(5)
    rows = []
    for c in range(400):
        if c % 10 == 9:
            continue
        opened = f"2017-{1 + c % 12:02d}-{1 + c % 28:02d}"
        vip = "true" if c % 7 == 0 else "false"
        rows.append((str(c), "", opened, round(rnd.random(), 3), vip))
        if c % 3 == 0:
            rows.append((str(c), f"2018-05-{1 + c % 28:02d}T12:00:00Z", opened, round(rnd.random(), 3), vip))
    return rnd.sample(rows, len(rows))  # any order: versions are sorted by valid_from


def check_profiles(pg, src, tmp, profile_yaml, rows, what):
    """Replays the card table with the three profile features of `profile_yaml` and compares
    them with pandas' merge_asof of the same rows."""
    table, _, _ = damaged_csv(src, tmp, 8000)
    cfg = config(src, tmp, table)
    text = open(cfg, encoding="utf-8").read()
    text = text.replace("\nfeatures:\n", f"""
profiles:
  - {profile_yaml}

features:
  - {{name: customer.age_days, kind: profile_age_days, profile: customers, column: opened_at}}
  - {{name: customer.risk, kind: profile_value, profile: customers, column: risk, fill: -1}}
  - {{name: customer.vip, kind: profile_value, profile: customers, column: vip}}
""")
    open(cfg, "w", encoding="utf-8").write(text)
    features = os.path.join(tmp, "features.csv")
    acc = json.loads(run([pg, "replay", "--config", cfg, "--input", table, "--output", features, "--no-model",
                          "--json", "-q"]).stdout)
    check(acc["dead_letters"] == 0, f"replay: {acc}")
    got = pd.read_csv(features)
    tx = pd.read_csv(table)
    tx["t"] = pd.to_datetime(tx["TX_DATETIME"]).dt.tz_localize("UTC")
    prof = pd.DataFrame(rows, columns=["CUSTOMER_ID", "valid_from", "opened_at", "risk", "vip"])
    prof["CUSTOMER_ID"] = prof["CUSTOMER_ID"].astype(int)
    prof["valid_from"] = pd.to_datetime(prof["valid_from"].replace("", "1970-01-01T00:00:00Z"), utc=True)
    tx["row"] = np.arange(len(tx))
    joined = pd.merge_asof(tx.sort_values("t"), prof.sort_values("valid_from"), left_on="t", right_on="valid_from",
                           by="CUSTOMER_ID", direction="backward").sort_values("row")
    opened = pd.to_datetime(joined["opened_at"], utc=True)
    want = {
        "customer.age_days": ((joined["t"] - opened).dt.total_seconds() / 86400).to_numpy(),
        "customer.risk": joined["risk"].fillna(-1).to_numpy(dtype=float),
        "customer.vip": joined["vip"].map({"true": 1.0, "false": 0.0}).to_numpy(dtype=float),
    }
    for column, w in want.items():
        g = got[column].to_numpy(dtype=float)
        same = np.isclose(g, w, rtol=1e-9, atol=1e-9) | (np.isnan(g) & np.isnan(w))
        if not same.all():
            i = int(np.flatnonzero(~same)[0])
            harness.fail(f"{what}: {column}: {int((~same).sum())} rows differ from pandas' merge_asof; first at row "
                         f"{i}: {g[i]} vs {w[i]}")
    missing = int(np.isnan(want["customer.vip"]).sum())
    check(missing > 100 and (got["customer.risk"] == -1).sum() == missing, f"{missing} rows without a profile")
    changed = int((joined.groupby("CUSTOMER_ID")["risk"].nunique() > 1).sum())
    check(changed > 10, f"only {changed} customers' risk changed within the span: point in time is not exercised")
    print(f"profiles from {what}: {len(got)} rows joined point in time ({changed} customers' risk changed mid-span, "
          f"{missing} rows without a profile): equal to pandas' merge_asof")


def scenario_profiles(pg, src, tmp):
    rows = profile_rows()
    path = os.path.join(tmp, "customers.csv")
    with open(path, "w", encoding="ascii") as f:
        f.write("CUSTOMER_ID,valid_from,opened_at,risk,vip\n")
        f.writelines(",".join(str(x) for x in r) + "\n" for r in rows)
    check_profiles(pg, src, tmp, f"{{name: customers, key: payer.account, path: {path}, key_column: CUSTOMER_ID, "
                                 f"valid_from_column: valid_from}}", rows, "a CSV file")


def scenario_profiles_postgres(pg, src, tmp):
    """The same profiles from a PostgreSQL server started here (Debian's postgresql)."""
    import pwd
    import shutil
    import socket
    bindir = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
    data, log = os.path.join(tmp, "pg"), os.path.join(tmp, "pg.log")
    os.makedirs(data)
    # PostgreSQL refuses to run as root: as its own user then.
    as_user = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        for d in (tmp, data):
            os.chown(d, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run(as_user + [f"{bindir}/initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"])
    run(as_user + [f"{bindir}/pg_ctl", "-D", data, "-l", log, "-w", "-o",
                   f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off", "start"])
    try:
        rows = profile_rows()
        sql = ["CREATE TABLE customers (customer_id integer, valid_from timestamptz, opened_at date, risk numeric, "
               "vip boolean);"]
        for c, since, opened, risk, vip in rows:
            since = f"'{since}'" if since else "NULL"
            sql.append(f"INSERT INTO customers VALUES ({c}, {since}, '{opened}', {risk}, {vip});")
        psql = shutil.which("psql") or f"{bindir}/psql"
        p = subprocess.run([psql, "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-q"],
                           input="\n".join(sql), capture_output=True, text=True)
        check(p.returncode == 0, f"psql: {p.stderr}")
        query = ('SELECT customer_id::text AS "CUSTOMER_ID", valid_from, opened_at::text AS opened_at, risk, vip '
                 'FROM customers')
        check_profiles(pg, src, tmp, f"{{name: customers, key: payer.account, dsn: \"host=127.0.0.1 port={port} "
                                     f"user=postgres dbname=postgres connect_timeout=10\", query: '{query}', "
                                     f"key_column: CUSTOMER_ID, valid_from_column: valid_from}}", rows, "PostgreSQL")
    finally:
        subprocess.run(as_user + [f"{bindir}/pg_ctl", "-D", data, "-m", "fast", "-w", "stop"], capture_output=True)


if __name__ == "__main__":
    harness.main({"card": scenario_card, "train_exact": scenario_train_exact, "profiles": scenario_profiles,
                  "profiles_postgres": scenario_profiles_postgres})
