#!/usr/bin/env python3
"""Personal data in what pixguard writes and serves, end to end (docs/security.md).

Scenarios (each on an input made by `pixguard generate`, whose documents and Pix keys are
the clear values looked for):
  default_outputs  the shipped config, every output on, fed through a FIFO so that the
                   operations API can be asked while it runs: no clear CPF/CNPJ or Pix key in
                   any file written (JSON lines, the Delta table's Parquet files read by
                   DuckDB and its log, checkpoints, the audit log), in the API's answers or in
                   the log on stderr; documents and keys appear as the HMAC-SHA-256 this test
                   computes itself from the key file; no file is readable by other users.
  erasure          one person erased by document (`pixguard erase`): before, DuckDB finds
                   their rows; after, neither DuckDB nor the JSON lines nor the alerts hold
                   them, every other row is still there, the rewritten files' predecessors
                   are gone from disk, and the audit log names them only by their hash;
                   encrypted dead letters open with `pixguard decrypt` and erasure removes
                   the one holding a given document; `--before` drops older partitions.
"""
import collections
import glob
import hashlib
import hmac
import json
import os
import re
import stat
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import harness  # noqa: E402
from harness import check, fail, run  # noqa: E402

TOKEN = "privacy-test-token"


def generate(pg, tmp, count, invalid_share="0.01"):
    path = os.path.join(tmp, "input.jsonl")
    run([pg, "generate", "-o", path, "-n", str(count), "--seed", "7", "--days", "4",
         "--invalid-share", invalid_share, "-q"])
    return path


def clear_values(path):
    """Every payer/payee document and Pix key of the input (valid messages or not)."""
    values = set()
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            for m in re.finditer(r'"(document|key)"\s*:\s*"([^"]+)"', line):
                if len(m.group(2)) >= 8:
                    values.add(m.group(2))
    return values


def field_hash(key_file, value):
    """The keyed hash pixguard writes, computed here from the key: HMAC-SHA-256 under a key
    derived from the file's secret, the first 32 hex digits."""
    with open(key_file, "rb") as f:
        secret = f.read().rstrip(b"\r\n\t ")
    field_key = hmac.new(secret, b"pixguard field hash v1", hashlib.sha256).digest()
    return hmac.new(field_key, value.encode(), hashlib.sha256).hexdigest()[:32]


TOKEN_RE = re.compile(rb"[A-Za-z0-9@._+\-]+")


def leaks(data, values):
    """The clear values found in `data` (bytes) as whole tokens."""
    return {t.decode(errors="replace") for t in TOKEN_RE.findall(data)} & values


def file_config(src, tmp, input_path, extra=""):
    cfg = harness.small_config(src, tmp, 0, interval="200ms", extra=extra)
    text = open(cfg, encoding="utf-8").read()
    start = text.index("\nsource:\n")
    end = text.index("\n\n", start + 1)  # the section ends at the first blank line
    text = text[:start] + f"\nsource:\n  type: file\n  path: {input_path}\n" + text[end:]
    open(cfg, "w", encoding="utf-8").write(text)
    return cfg


def get(url):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as r:
        return r.read()


def table_rows(table, columns="*"):
    files = [os.path.join(table, urllib.parse.unquote(p)) for p in harness.delta_active_files(table)]
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    return harness.duckdb(f"SELECT {columns} FROM read_parquet([{listed}], union_by_name = true)")


def scenario_default_outputs(pg, src, tmp):
    input_path = generate(pg, tmp, 30_000)
    values = clear_values(input_path)
    check(len(values) > 10_000, f"only {len(values)} documents and keys in the input")
    fifo = os.path.join(tmp, "input.fifo")
    os.mkfifo(fifo)
    cfg = file_config(src, tmp, fifo, extra=f"\nhttp:\n  listen: 127.0.0.1:0\n  token: {TOKEN}\n")
    job = subprocess.Popen([pg, "run", "--config", cfg, "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           cwd=src)
    lines = open(input_path, "rb").read().splitlines(keepends=True)
    stop_trickle = threading.Event()

    def feed():
        # An epoch ends between batches, and a batch that waits for lines waits for them: so
        # half the input, a pause longer than checkpoint.interval, the other half (its first
        # batch ends the epoch and commits the first half's decisions for the API), then a
        # line every 50 ms until the test has asked what it asks.
        half = (len(lines) - 200) // 2
        with open(fifo, "wb") as w:
            w.write(b"".join(lines[:half]))
            w.flush()
            time.sleep(0.5)
            w.write(b"".join(lines[half:-200]))
            w.flush()
            for line in lines[-200:]:
                if not stop_trickle.is_set():
                    time.sleep(0.05)
                w.write(line)
                w.flush()

    feeder = threading.Thread(target=feed)
    feeder.start()
    stderr_lines = []
    url = None
    deadline = time.monotonic() + 30
    while url is None and time.monotonic() < deadline:
        line = job.stderr.readline()
        if not line:
            fail(f"pixguard run exited {job.wait()} before printing its endpoint")
        stderr_lines.append(line)
        m = re.search(rb"operations endpoint at (http://127\.0\.0\.1:\d+)", line)
        url = m.group(1).decode() if m else None
    check(url is not None, "no endpoint line within 30 s")
    answers = []
    for _ in range(100):
        page = json.loads(get(url + "/api/alerts?limit=50"))
        if len(page["alerts"]) >= 20:
            break
        time.sleep(0.1)
    answers.append(json.dumps(page).encode())
    check(len(page["alerts"]) >= 20, f"too few alerts in the API: {page}")
    for alert in page["alerts"][:20]:
        answers.append(get(url + "/api/transactions/" + alert["end_to_end_id"]))
    answers.append(get(url + "/metrics"))
    decision = json.loads(answers[1])
    stop_trickle.set()
    feeder.join()
    out, err = job.communicate(timeout=120)
    check(job.returncode == 0, f"pixguard run exit {job.returncode}: {err[-2000:]!r}")
    acc = json.loads(out)
    check(acc["balanced"] and acc["in"] == len(lines), f"accounting: {acc}")
    stderr_lines.append(err)

    key_file = os.path.join(tmp, "privacy.key")
    check(os.path.exists(key_file) and stat.S_IMODE(os.stat(key_file).st_mode) == 0o600,
          "the privacy key was not created 0600")
    # The API shows documents and keys hashed, as the test computes them.
    wanted = decision["end_to_end_id"].encode()
    tx = next(json.loads(l) for l in lines if wanted in l and json.loads(l).get("end_to_end_id") == decision["end_to_end_id"])
    check(decision["payer"]["document"] == field_hash(key_file, tx["payer"]["document"]),
          f"the API's payer document is not the keyed hash: {decision['payer']}")

    found = {}
    scanned = 0
    files = [p for p in glob.glob(os.path.join(tmp, "**"), recursive=True)
             if os.path.isfile(p) and not p.startswith(input_path) and p != cfg]
    for path in files:
        if path.endswith(".parquet"):
            data = json.dumps(harness.duckdb(f"SELECT * FROM read_parquet('{path}')")).encode()
        else:
            data = open(path, "rb").read()
        scanned += 1
        hit = leaks(data, values)
        if hit:
            found[path] = sorted(hit)[:3]
        mode = stat.S_IMODE(os.stat(path).st_mode)
        check(mode & 0o007 == 0, f"{path} is readable by other users (mode {oct(mode)})")
    for i, answer in enumerate(answers):
        if leaks(answer, values):
            found[f"API answer {i}"] = sorted(leaks(answer, values))[:3]
    if leaks(b"".join(stderr_lines), values):
        found["stderr"] = sorted(leaks(b"".join(stderr_lines), values))[:3]
    check(not found, f"clear documents or keys in: {found}")
    kinds = {os.path.basename(os.path.dirname(p)) for p in files}
    for kind in ("scored", "alerts", "dead_letter", "checkpoints", "_delta_log"):
        check(kind in kinds, f"no {kind} files were written, so they were not scanned")
    print(f"default outputs: {scanned} files, {len(answers)} API answers and the log scanned for "
          f"{len(values)} clear documents and keys: none found")


def scenario_erasure(pg, src, tmp):
    input_path = generate(pg, tmp, 20_000, invalid_share="0.02")
    cfg = file_config(src, tmp, input_path)
    text = open(cfg, encoding="utf-8").read().replace("dead_letters: redact", "dead_letters: encrypt")
    open(cfg, "w", encoding="utf-8").write(text)
    acc = json.loads(run([pg, "run", "--config", cfg, "--json", "-q"]).stdout)
    check(acc["balanced"] and acc["dead_letters"] > 100, f"accounting: {acc}")
    key_file = os.path.join(tmp, "privacy.key")
    table = os.path.join(tmp, "decisions")

    # A payer with several scored transactions, at least one alerted.
    scored = harness.read_lines(f"{tmp}/scored/part-*.jsonl")
    alerts = harness.read_lines(f"{tmp}/alerts/part-*.jsonl")
    alerted = {a["end_to_end_id"] for a in alerts}
    by_doc = collections.defaultdict(set)
    messages = []
    for line in open(input_path, encoding="utf-8", errors="replace"):
        try:
            messages.append(json.loads(line))
        except ValueError:
            pass  # the input's invalid messages
    valid_ids = {r["end_to_end_id"] for r in scored}
    for m in messages:
        if isinstance(m, dict) and m.get("end_to_end_id") in valid_ids:
            for side in ("payer", "payee"):
                doc = (m.get(side) or {}).get("document")
                if doc:
                    by_doc[doc].add(m["end_to_end_id"])
    person = max((d for d in by_doc if by_doc[d] & alerted), key=lambda d: len(by_doc[d]))
    ids = by_doc[person]
    h = field_hash(key_file, person)
    before = table_rows(table, "end_to_end_id, payer_document, payee_document")
    mine = [r for r in before if h in (r["payer_document"], r["payee_document"])]
    check({r["end_to_end_id"] for r in mine} == ids,
          f"DuckDB finds {len(mine)} rows of the person by their hash, the input has {len(ids)}")
    files_before = set(harness.delta_active_files(table))

    p = subprocess.run([pg, "erase", "-c", cfg, "--document", "-", "--json"], input=person + "\n", capture_output=True,
                       text=True, cwd=src)
    check(p.returncode == 0, f"erase: exit {p.returncode}: {p.stderr}")
    counts = json.loads(p.stdout)
    check(person not in p.stdout + p.stderr, "erase printed the document in clear")
    check(counts["table_rows"] == len(ids) and counts["scored"] == len(ids) and
          counts["alerts"] == len(ids & alerted), f"erase counts {counts}, expected {len(ids)} rows, "
          f"{len(ids & alerted)} alerts")
    after = table_rows(table, "end_to_end_id, payer_document, payee_document")
    check(not [r for r in after if h in (r["payer_document"], r["payee_document"]) or r["end_to_end_id"] in ids],
          "DuckDB still finds the person's rows after erasure")
    check(sorted(r["end_to_end_id"] for r in after) ==
          sorted(r["end_to_end_id"] for r in before if r["end_to_end_id"] not in ids), "other rows changed")
    gone = files_before - set(harness.delta_active_files(table))
    check(gone and all(not os.path.exists(os.path.join(table, urllib.parse.unquote(f))) for f in gone),
          "files the erasure removed from the table are still on disk")
    check(not [r for r in harness.read_lines(f"{tmp}/scored/part-*.jsonl") if r["end_to_end_id"] in ids],
          "scored JSON lines of the person remain")
    check(not [a for a in harness.read_lines(f"{tmp}/alerts/part-*.jsonl") if a["end_to_end_id"] in ids],
          "alerts of the person remain")
    audit = open(os.path.join(tmp, "privacy_audit.jsonl"), encoding="utf-8").read()
    check(person not in audit and json.loads(audit.splitlines()[-1])["subject"] == h,
          f"the audit log must name the person by hash only: {audit}")

    # Encrypted dead letters: the key opens them; erasure removes the one holding a document.
    dead = sorted(glob.glob(f"{tmp}/dead_letter/part-*.jsonl"))
    check(not leaks(b"".join(open(f, "rb").read() for f in dead), clear_values(input_path)),
          "encrypted dead letters hold clear documents or keys")
    opened = run([pg, "decrypt", "-c", cfg, *dead], cwd=src).stdout.splitlines()
    check(len(opened) == acc["dead_letters"], f"decrypt gave {len(opened)} messages for {acc['dead_letters']} dead letters")
    raw_input = set(open(input_path, encoding="utf-8", errors="replace").read().splitlines())
    check(all(line in raw_input for line in opened), "a decrypted dead letter is not a line of the input")
    victim = next(m.group(1) for line in opened for m in [re.search(r'"document":"(\d{11})"', line)] if m)
    p = subprocess.run([pg, "erase", "-c", cfg, "--document", victim, "--json"], capture_output=True, text=True, cwd=src)
    check(p.returncode == 0 and json.loads(p.stdout)["dead_letters"] >= 1, f"erase from dead letters: {p.stdout} {p.stderr}")
    opened = run([pg, "decrypt", "-c", cfg, *dead], cwd=src).stdout
    check(victim not in opened, "a dead letter with the erased document remains")

    # Retention: everything before the third day goes.
    p = subprocess.run([pg, "erase", "-c", cfg, "--before", "2025-11-26", "--json"], capture_output=True, text=True,
                       cwd=src)
    check(p.returncode == 0, f"erase --before: {p.stderr}")
    expired = json.loads(p.stdout)
    rows = table_rows(table, "CAST(event_time AS VARCHAR) AS t")
    check(expired["table_rows"] > 0 and rows and min(r["t"] for r in rows) >= "2025-11-26 03:00:00",
          f"erase --before left older rows: {expired}, min {min(r['t'] for r in rows) if rows else None}")
    check(all(r["event_time"] >= "2025-11-26T03:00:00" for r in harness.read_lines(f"{tmp}/scored/part-*.jsonl")),
          "scored lines before the cutoff remain")
    check(len(open(os.path.join(tmp, "privacy_audit.jsonl")).read().splitlines()) == 3, "three audited operations")
    print(f"erasure: {len(ids)} rows of one person gone from the table, JSON lines and alerts; "
          f"{expired['table_rows']} rows before the cutoff expired")


if __name__ == "__main__":
    harness.main({"default_outputs": scenario_default_outputs, "erasure": scenario_erasure})
