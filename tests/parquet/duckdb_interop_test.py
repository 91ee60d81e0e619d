#!/usr/bin/env python3
"""Parquet interop with DuckDB, an independent reader and writer (tests/js: @duckdb/node-api).

Scenarios:
  ours_to_duckdb --codec C   parquet_tool writes a table with ParquetWriter; DuckDB must read the
                             same rows, types, nulls, sums, statistics and created_by.
  duckdb_to_ours --codec C   DuckDB writes flat and nested columns (struct, list, map); our reader
                             (parquet_tool dump) must give the same values. --v2 makes DuckDB use
                             PARQUET_VERSION V2 (data page v2, DELTA_*, BYTE_STREAM_SPLIT).
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

ROWS = 20000


def duckdb(node_dir, *sql):
    script = os.path.join(node_dir, "duckdb_query.mjs")
    out = subprocess.run(["node", script, *sql], capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise SystemExit(f"duckdb failed: {out.stderr}")
    return json.loads(out.stdout)


def tool(args, *argv):
    out = subprocess.run([args.tool, *argv], capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise SystemExit(f"parquet_tool {argv[0]} failed: {out.stderr}")
    return json.loads(out.stdout)


def check(cond, what):
    if not cond:
        raise SystemExit(f"FAIL: {what}")


def check_eq(got, want, what):
    if got != want:
        raise SystemExit(f"FAIL: {what}: got {str(got)[:300]} want {str(want)[:300]}")


COLUMNS = [
    {"name": "id", "type": "int64", "nullable": False},
    {"name": "payer", "type": "string", "logical": "string", "dictionary": True},
    {"name": "amount", "type": "int64", "logical": "decimal", "precision": 18, "scale": 2},
    {"name": "ts", "type": "int64", "logical": "timestamp"},
    {"name": "flag", "type": "bool"},
    {"name": "score", "type": "double"},
    {"name": "day", "type": "int32", "logical": "date"},
    {"name": "ratio", "type": "float"},
    {"name": "note", "type": "string", "logical": "string"},
    {"name": "small", "type": "int32", "dictionary": True},
]
DUCKDB_TYPES = ["BIGINT", "VARCHAR", "DECIMAL(18,2)", "TIMESTAMP WITH TIME ZONE", "BOOLEAN", "DOUBLE", "DATE", "FLOAT",
                "VARCHAR", "INTEGER"]


def make_rows(rng):
    rows = []
    for i in range(ROWS):
        def maybe(one_in, v):
            return None if rng.randrange(one_in) == 0 else v
        rows.append([
            i,
            maybe(7, f"payer-{rng.randrange(40)}"),
            maybe(5, rng.randrange(-10**9, 10**9)),
            maybe(9, 1_700_000_000_000_000 + rng.randrange(10**12)),
            maybe(4, rng.randrange(2) == 0),
            maybe(6, rng.randrange(100000) / 1000.0 - 50.0),
            maybe(8, 19000 + rng.randrange(400)),
            maybe(3, rng.randrange(1000) / 8.0),
            maybe(10, "note ção " + str(rng.randrange(10**12)) + "x" * rng.randrange(30)),
            maybe(2, rng.randrange(-3, 4)),
        ])
    return rows


def ours_to_duckdb(args, tmp):
    rng = random.Random(20240601)
    rows = make_rows(rng)
    spec = {"codec": args.codec, "page_bytes": 8192, "row_group_bytes": 300000,
            "key_value_metadata": {"pixguard.test": "interop"}, "columns": COLUMNS, "rows": rows}
    spec_path, path = os.path.join(tmp, "spec.json"), os.path.join(tmp, "ours.parquet")
    with open(spec_path, "w") as f:
        json.dump(spec, f)
    summary = tool(args, "write", spec_path, path)
    check_eq(summary["rows"], ROWS, "summary rows")
    q = lambda *sql: duckdb(args.node_dir, *sql)
    src = f"read_parquet('{path}')"

    described = q(f"DESCRIBE SELECT * FROM {src}")
    check_eq([d["column_name"] for d in described], [c["name"] for c in COLUMNS], "column names")
    check_eq([d["column_type"] for d in described], DUCKDB_TYPES, "column types")

    got = q(f"SELECT id, payer, (amount * 100)::BIGINT AS amount, epoch_us(ts) AS ts, flag, score,"
            f" (day - DATE '1970-01-01')::INTEGER AS day, ratio, note, small FROM {src} ORDER BY id")
    check_eq(len(got), ROWS, "row count")
    names = [c["name"] for c in COLUMNS]
    for i, (g, want) in enumerate(zip(got, rows)):
        check_eq([g[n] for n in names], want, f"row {i}")

    agg = q(f"SELECT count(*) AS n, sum(id) AS s_id, sum((amount * 100)::BIGINT)::VARCHAR AS s_amount,"
            f" count(payer) AS c_payer, count(ts) AS c_ts, count(flag) AS c_flag, count_if(flag) AS t_flag,"
            f" sum(score) AS s_score, count(note) AS c_note FROM {src}")[0]
    check_eq(agg["n"], ROWS, "count(*)")
    check_eq(agg["s_id"], sum(r[0] for r in rows), "sum(id)")
    check_eq(int(agg["s_amount"]), sum(r[2] for r in rows if r[2] is not None), "sum(amount)")
    for key, col in (("c_payer", 1), ("c_ts", 3), ("c_flag", 4), ("c_note", 8)):
        check_eq(agg[key], sum(1 for r in rows if r[col] is not None), key)
    check_eq(agg["t_flag"], sum(1 for r in rows if r[4]), "count_if(flag)")

    meta = q(f"SELECT row_group_id, row_group_num_rows, path_in_schema, compression, encodings, stats_min_value,"
             f" stats_max_value, stats_null_count, num_values FROM parquet_metadata('{path}')"
             f" ORDER BY row_group_id, column_id")
    groups = sorted({m["row_group_id"] for m in meta})
    check(len(groups) > 1, f"several row groups (got {len(groups)})")
    start = 0
    for g in groups:
        chunk = {m["path_in_schema"]: m for m in meta if m["row_group_id"] == g}
        n = next(iter(chunk.values()))["row_group_num_rows"]
        part = rows[start:start + n]
        for ci, c in enumerate(COLUMNS):
            m = chunk[c["name"]]
            check_eq(m["compression"], args.codec.upper(), f"rg {g} {c['name']} compression")
            check_eq(m["num_values"], n, f"rg {g} {c['name']} num_values")
            check_eq(m["stats_null_count"], sum(1 for r in part if r[ci] is None), f"rg {g} {c['name']} null_count")
        check_eq(chunk["id"]["stats_min_value"], str(part[0][0]), f"rg {g} id min")
        check_eq(chunk["id"]["stats_max_value"], str(part[-1][0]), f"rg {g} id max")
        payers = [r[1] for r in part if r[1] is not None]
        check_eq(chunk["payer"]["stats_min_value"], min(payers, key=lambda s: s.encode()), f"rg {g} payer min")
        check_eq(chunk["payer"]["stats_max_value"], max(payers, key=lambda s: s.encode()), f"rg {g} payer max")
        check("RLE_DICTIONARY" in chunk["payer"]["encodings"], f"rg {g} payer dictionary encoded")
        amounts = [r[2] for r in part if r[2] is not None]
        check_eq(chunk["amount"]["stats_min_value"], f"{min(amounts) / 100:.2f}", f"rg {g} amount min")
        start += n
    check_eq(start, ROWS, "row groups cover the rows")

    fm = q(f"SELECT created_by, num_rows, format_version FROM parquet_file_metadata('{path}')")[0]
    check(fm["created_by"].startswith("pixguard version ") and "(build " in fm["created_by"], f"created_by {fm['created_by']}")
    check_eq(fm["num_rows"], ROWS, "file num_rows")
    kv = q(f"SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata('{path}')")
    check({"k": "pixguard.test", "v": "interop"} in kv, f"key/value metadata {kv}")
    schema = {s["name"]: s for s in q(f"SELECT name, converted_type, logical_type, scale, precision, repetition_type"
                                      f" FROM parquet_schema('{path}')")}
    check_eq(schema["amount"]["converted_type"], "DECIMAL", "amount converted type")
    check_eq((schema["amount"]["scale"], schema["amount"]["precision"]), (2, 18), "amount scale/precision")
    check_eq(schema["ts"]["converted_type"], "TIMESTAMP_MICROS", "ts converted type")
    check("isAdjustedToUTC=1" in schema["ts"]["logical_type"], "ts adjusted to UTC")
    check_eq(schema["payer"]["converted_type"], "UTF8", "payer converted type")
    check_eq(schema["day"]["converted_type"], "DATE", "day converted type")
    check_eq(schema["id"]["repetition_type"], "REQUIRED", "id required")

    # Our own reader agrees with what we wrote, too.
    dump = tool(args, "dump", path)
    check_eq(dump["num_rows"], ROWS, "our reader: rows")
    print(f"ours_to_duckdb {args.codec}: {ROWS} rows in {len(groups)} row groups agree")


def rebuild_flat(col):
    """Row values of a flat leaf from its definition levels and values."""
    if col["max_definition_level"] == 0:
        return list(col["values"])
    values = iter(col["values"])
    return [next(values) if d == col["max_definition_level"] else None for d in col["definition_levels"]]


def rebuild_lists(col, repeated_def):
    """Rows of a one-level list/map leaf: None, or a list of values/None. `repeated_def` is the
    definition level at which an element exists (the repeated node's level)."""
    rows, values = [], iter(col["values"])
    for d, r in zip(col["definition_levels"], col["repetition_levels"]):
        if r == 0:
            rows.append(None if d < repeated_def - 1 else [])
        if d >= repeated_def:
            rows[-1].append(next(values) if d == col["max_definition_level"] else None)
    return rows


def signed_hex(h):
    v = int(h, 16)
    bits = len(h) * 4
    return v - (1 << bits) if v >> (bits - 1) else v


def duckdb_to_ours(args, tmp):
    path = os.path.join(tmp, "duckdb.parquet")
    n = 5000
    version = ", PARQUET_VERSION V2" if args.v2 else ""
    table = (f"SELECT i AS id,"
             f" CASE WHEN i % 7 = 0 THEN NULL ELSE 'name-' || (i % 13) END AS s,"
             f" CASE WHEN i % 5 = 0 THEN NULL ELSE 'unique ' || i END AS u,"
             f" (i * 37 % 1000)::INTEGER AS i32,"
             f" CASE WHEN i % 3 = 0 THEN NULL ELSE i * 1000003 END AS i64,"
             f" ((i % 17) * 0.25 - 2)::DOUBLE AS d, sin(i) AS sn,"
             f" CASE WHEN i % 4 = 0 THEN NULL ELSE i % 3 = 0 END AS b,"
             f" (((i * 7919) % 100000 - 50000) / 1000)::DECIMAL(18,3) AS dec18,"
             f" (i::DECIMAL(38,10) * 123456789.0123456789)::DECIMAL(38,10) AS dec38,"
             f" TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (i * 61) SECOND AS ts,"
             f" CASE WHEN i % 6 = 0 THEN NULL ELSE {{'x': i, 'y': 'y' || (i % 5)}} END AS st,"
             f" CASE WHEN i % 9 = 0 THEN NULL WHEN i % 9 = 1 THEN [] ELSE [i, NULL, i + 1] END AS li,"
             f" CASE WHEN i % 8 = 0 THEN NULL ELSE MAP {{'k' || (i % 3): i, 'z': NULL}} END AS m"
             f" FROM range({n}) t(i) ORDER BY i")
    q = lambda *sql: duckdb(args.node_dir, *sql)
    q(f"COPY ({table}) TO '{path}' (FORMAT parquet, COMPRESSION {args.codec}, ROW_GROUP_SIZE 2048{version})")
    want = q(f"SELECT id, s, u, i32, i64, d, sn, b, (dec18 * 1000)::BIGINT AS dec18, (dec38 * 10000000000)::HUGEINT::VARCHAR AS dec38,"
             f" epoch_us(ts) AS ts, st.x AS st_x, st.y AS st_y, li, map_keys(m) AS mk, map_values(m) AS mv"
             f" FROM read_parquet('{path}') ORDER BY id")
    encodings = {m["encodings"] for m in q(f"SELECT encodings FROM parquet_metadata('{path}')")}
    dump = tool(args, "dump", path)
    check_eq(dump["num_rows"], n, "rows")
    check(dump["row_groups"] > 1, "several row groups")
    check(dump["created_by"].lower().startswith("duckdb"), f"created_by {dump['created_by']}")
    cols = {c["path"]: c for c in dump["columns"]}
    expected_paths = ["id", "s", "u", "i32", "i64", "d", "sn", "b", "dec18", "dec38", "ts", "st.x", "st.y",
                      "li.list.element", "m.key_value.key", "m.key_value.value"]
    check_eq(sorted(cols), sorted(expected_paths), "leaf paths")
    check_eq((cols["st.x"]["max_definition_level"], cols["st.x"]["max_repetition_level"]), (2, 0), "st.x levels")
    check_eq((cols["li.list.element"]["max_definition_level"], cols["li.list.element"]["max_repetition_level"]), (3, 1),
             "list levels")
    check_eq((cols["m.key_value.key"]["max_definition_level"], cols["m.key_value.key"]["max_repetition_level"]), (2, 1),
             "map key levels")
    check_eq(cols["s"]["logical"], "STRING", "s logical")
    check_eq((cols["dec18"]["logical"], cols["dec18"]["precision"], cols["dec18"]["scale"]), ("DECIMAL", 18, 3), "dec18 type")
    check_eq((cols["dec38"]["physical"], cols["dec38"]["precision"], cols["dec38"]["scale"]),
             ("FIXED_LEN_BYTE_ARRAY", 38, 10), "dec38 type")
    check_eq(cols["ts"]["logical"], "TIMESTAMP_MICROS", "ts logical")

    def column(name):
        return [w[name] for w in want]

    for leaf, key in (("id", "id"), ("s", "s"), ("u", "u"), ("i32", "i32"), ("i64", "i64"), ("d", "d"), ("sn", "sn"), ("b", "b"),
                      ("dec18", "dec18"), ("ts", "ts"), ("st.x", "st_x"), ("st.y", "st_y")):
        check_eq(rebuild_flat(cols[leaf]), column(key), f"column {leaf}")
    dec38 = [None if v is None else str(signed_hex(v)) for v in rebuild_flat(cols["dec38"])]
    check_eq(dec38, column("dec38"), "column dec38")
    check_eq(rebuild_lists(cols["li.list.element"], 2), column("li"), "column li")
    check_eq(rebuild_lists(cols["m.key_value.key"], 2), column("mk"), "map keys")
    check_eq(rebuild_lists(cols["m.key_value.value"], 2), column("mv"), "map values")
    print(f"duckdb_to_ours {args.codec}{' v2' if args.v2 else ''}: {n} rows, {len(cols)} leaves agree;"
          f" encodings seen: {sorted(encodings)}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tool", required=True)
    p.add_argument("--node-dir", required=True)
    p.add_argument("--scenario", required=True, choices=["ours_to_duckdb", "duckdb_to_ours"])
    p.add_argument("--codec", default="snappy", choices=["snappy", "zstd", "uncompressed", "gzip"])
    p.add_argument("--v2", action="store_true")
    args = p.parse_args()
    if not os.path.isdir(os.path.join(args.node_dir, "node_modules", "@duckdb", "node-api")):
        raise SystemExit(f"FAIL: {args.node_dir}/node_modules/@duckdb/node-api missing: run scripts/setup.sh")
    with tempfile.TemporaryDirectory(prefix="pixguard_parquet_") as tmp:
        if args.scenario == "ours_to_duckdb":
            if args.codec == "gzip":
                raise SystemExit("we do not write gzip")
            ours_to_duckdb(args, tmp)
        else:
            duckdb_to_ours(args, tmp)


if __name__ == "__main__":
    main()
