#!/usr/bin/env python3
"""The pre-authorization API (`pixguard serve`, POST /v1/score) over real HTTP.

Scenarios (transactions made by `pixguard generate`):
  api      answers: a decision with its reasons and model version (features only when
           asked); 400 with the field and rule a dead letter carries, and that dead letter
           in the outputs; 413 over http.max_body; 405 for GET; the same answer byte for
           byte when asked again, also after a restart; 503 when the bounded queue is full
           or the caller's timeout passes, and a caller that timed out gets the decision
           when it asks again. Every decision answered is in the scored lines and in the
           Delta table (read by DuckDB) exactly once, with `decided_by: api`.
  chaos    client threads ask without pause while the service is killed (SIGKILL) at
           random instants and restarted; a client whose connection broke asks again with
           the same transaction. At the end every decision any client was given is in the
           scored lines, the alerts and the Delta table exactly once, as it was answered, and
           the accounting balances. PIXGUARD_CHAOS_SEED reproduces a run.
"""
import concurrent.futures
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import harness  # noqa: E402
from harness import check, fail, run  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def transactions(pg, tmp, count, invalid_share="0", seed=11):
    path = os.path.join(tmp, f"tx-{seed}.jsonl")
    run([pg, "generate", "-o", path, "-n", str(count), "--seed", str(seed), "--days", "2",
         "--invalid-share", invalid_share, "--duplicate-share", "0", "-q"])
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def serve_config(src, tmp, extra=""):
    return harness.small_config(src, tmp, 0, interval="200ms", extra=extra)


class Service:
    """`pixguard serve` on a free port, its stderr in a file."""

    def __init__(self, pg, src, cfg, tmp, overwrite=False):
        self.port = free_port()
        self.log = open(os.path.join(tmp, "serve.log"), "a", encoding="utf-8")
        args = [pg, "serve", "-c", cfg, "--http", f"127.0.0.1:{self.port}", "--json", "-q"]
        if overwrite:
            args.append("--overwrite")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, text=True, cwd=src)
        deadline = time.time() + 30
        while time.time() < deadline:
            check(self.proc.poll() is None, f"serve exited early ({self.proc.returncode}); see {self.log.name}")
            try:
                status, _ = self.get("/ready")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        fail("serve did not become ready in 30 s")

    def get(self, path):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            c.request("GET", path)
            r = c.getresponse()
            return r.status, r.read().decode()
        finally:
            c.close()

    def post(self, body, query="", conn=None):
        c = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            c.request("POST", "/v1/score" + query, body=body.encode(), headers={"Content-Type": "application/json"})
            r = c.getresponse()
            return r.status, r.read().decode()
        finally:
            if conn is None:
                c.close()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=60)
        check(self.proc.returncode == 0, f"serve exited {self.proc.returncode}; see {self.log.name}")
        return json.loads(out)

    def kill(self):
        self.proc.kill()
        self.proc.wait()


def scored_lines(tmp):
    return harness.read_lines(os.path.join(tmp, "scored", "*.jsonl"))


def table_rows(tmp):
    return harness.delta_rows(os.path.join(tmp, "decisions"), "end_to_end_id, score, decision, decided_by")


def check_outputs_hold(tmp, answered):
    """Every answered decision is in the scored lines and the table exactly once, as answered."""
    lines = scored_lines(tmp)
    by_id = {}
    for r in lines:
        by_id.setdefault(r["end_to_end_id"], []).append(r)
    twice = [i for i, rs in by_id.items() if len(rs) > 1]
    check(not twice, f"{len(twice)} transactions scored more than once, e.g. {twice[:3]}")
    for e2e, answer in answered.items():
        rs = by_id.get(e2e)
        check(rs, f"answered {e2e} ({answer['decision']}) is not in the scored lines")
        r = rs[0]
        check(r["decision"] == answer["decision"] and r["score"] == answer["score"],
              f"{e2e}: scored {r['decision']} {r['score']}, answered {answer['decision']} {answer['score']}")
        check(r["decided_by"] == "api", f"{e2e}: decided_by {r['decided_by']}")
        check(r["model_version"] == answer["model_version"], f"{e2e}: model version differs from the answer")
    rows = table_rows(tmp)
    table = {}
    for e2e, score, decision, decided_by in rows:
        check(e2e not in table, f"{e2e} is in the Delta table twice")
        table[e2e] = (float(score), decision, decided_by)
    for e2e, answer in answered.items():
        check(table.get(e2e) == (answer["score"], answer["decision"], "api"),
              f"{e2e}: the table holds {table.get(e2e)}, answered {answer['score']} {answer['decision']}")
    return lines


def scenario_api(pg, src, tmp):
    txs = transactions(pg, tmp, 400)
    cfg = serve_config(src, tmp, extra="\npreauth:\n  answers_kept: 1000\n")
    svc = Service(pg, src, cfg, tmp, overwrite=True)
    answered = {}
    bodies = {}
    try:
        # A decision, without and then (asked again) with its features.
        status, body = svc.post(txs[0])
        check(status == 200, f"good transaction: {status} {body}")
        a = json.loads(body)
        for key in ("end_to_end_id", "decision", "score", "reasons", "model_version", "decided_by"):
            check(key in a, f"the answer lacks {key}: {body}")
        check("features" not in a, f"features without ?features=true: {body}")
        check(a["end_to_end_id"] == json.loads(txs[0])["end_to_end_id"], "the answer names another transaction")
        check(a["decision"] in ("allow", "review", "block") and a["decided_by"] == "api", body)
        check(a["model_version"].startswith("pixguard-default"), f"model version {a['model_version']}")
        answered[a["end_to_end_id"]] = a
        bodies[a["end_to_end_id"]] = body
        status, body = svc.post(txs[1], "?features=true")
        check(status == 200, f"features=true: {status} {body}")
        b = json.loads(body)
        check(isinstance(b.get("features"), dict) and "payer.count_24h" in b["features"], f"no features: {body}")
        answered[b["end_to_end_id"]] = b
        bodies[b["end_to_end_id"]] = body[: body.index(',"features"')] + "}"
        status, body = svc.post(txs[1], "?features=maybe")
        check(status == 400 and "features" in body, f"features=maybe: {status} {body}")

        # The rest, one connection kept alive.
        conn = http.client.HTTPConnection("127.0.0.1", svc.port, timeout=10)
        for tx in txs[2:200]:
            status, body = svc.post(tx, conn=conn)
            check(status == 200, f"{status} {body}")
            a = json.loads(body)
            answered[a["end_to_end_id"]] = a
            bodies[a["end_to_end_id"]] = body
        conn.close()
        alerted = [a for a in answered.values() if a["decision"] != "allow"]
        for a in alerted:
            check(a["reasons"], f"{a['end_to_end_id']} is {a['decision']} without reasons")

        # Invalid: the field and rule, as in the dead letter.
        bad = json.loads(txs[200])
        bad["amount"] = "-3.00"
        status, body = svc.post(json.dumps(bad))
        check(status == 400, f"negative amount: {status} {body}")
        e = json.loads(body)
        check(e["field"] == "amount" and e["rule"], f"rejection without field and rule: {body}")
        status, body = svc.post("{not json")
        check(status == 400 and json.loads(body)["field"] is None, f"not JSON: {status} {body}")

        # Too large: 413 before anything is read into the pipeline.
        status, _ = svc.post(json.dumps({"end_to_end_id": "E" * 10, "description": "x" * (70 * 1024)}))
        check(status == 413, f"oversized: {status}")
        status, _ = svc.get("/v1/score")
        check(status == 405, f"GET /v1/score: {status}")

        # Asked again: the same answer, byte for byte.
        again = random.Random(3).sample(sorted(answered), 20)
        for e2e in again:
            tx = next(t for t in txs if json.loads(t)["end_to_end_id"] == e2e)
            status, body = svc.post(tx)
            check(status == 200 and body == bodies[e2e], f"asked again {e2e}: {status} {body} != {bodies[e2e]}")
        # /metrics counts the answers by kind, and times them.
        status, text = svc.get("/metrics")
        check(status == 200, f"/metrics: {status}")
        metrics = {}
        for line in text.splitlines():
            if line.startswith("pixguard_preauth_"):
                name, value = line.rsplit(" ", 1)
                metrics[name] = float(value)
        want = {'pixguard_preauth_answers_total{status="200",kind="decided"}': 200,
                'pixguard_preauth_answers_total{status="200",kind="repeated"}': 20,
                'pixguard_preauth_answers_total{status="400",kind="invalid"}': 2,
                "pixguard_preauth_answer_seconds_count": 222}
        for name, value in want.items():
            check(metrics.get(name) == value, f"/metrics {name} = {metrics.get(name)}, want {value}")
        final = svc.stop()
    finally:
        if svc.proc.poll() is None:
            svc.kill()
    check(final["balanced"], f"not balanced: {final}")
    check(final["in"] == 200 + 2 + 20 and final["duplicates"] == 20 and final["dead_letters"] == 2,
          f"accounting {final}")

    check_outputs_hold(tmp, answered)
    dead = harness.read_lines(os.path.join(tmp, "dead_letter", "*.jsonl"))
    rules = sorted((d.get("field") or "", d["rule"]) for d in dead)
    check(len(dead) == 2 and ("amount", e["rule"]) in rules, f"dead letters {rules}")

    # After a restart: the same answers (the journal), the state kept (nothing decided again).
    svc = Service(pg, src, cfg, tmp)
    try:
        for e2e in again[:5]:
            tx = next(t for t in txs if json.loads(t)["end_to_end_id"] == e2e)
            status, body = svc.post(tx)
            check(status == 200 and body == bodies[e2e], f"after restart {e2e}: {status} {body}")
        # The same payer again: its history includes what the API decided before the restart.
        first = json.loads(txs[0])
        later = dict(first, end_to_end_id=first["end_to_end_id"][:-4] + "ZZZZ", amount="1.00")
        status, body = svc.post(json.dumps(later), "?features=true")
        check(status == 200, f"{status} {body}")
        check(json.loads(body)["features"]["payer.count_24h"] >= 2, f"the payer's history was lost: {body}")
        svc.stop()
    finally:
        if svc.proc.poll() is None:
            svc.kill()

    # Overload: a queue of one and a 1 ms timeout, many callers at once: some are refused or
    # time out (503); a caller that timed out gets the decision when it asks again.
    cfg = serve_config(src, tmp, extra="\npreauth:\n  max_queued: 1\n  timeout: 1ms\n")
    svc = Service(pg, src, cfg, tmp)
    fresh = transactions(pg, tmp, 300, seed=12)
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=48) as pool:
            results = list(pool.map(svc.post, fresh))
        refused = [json.loads(b)["error"] for s, b in results if s == 503]
        check(all(s in (200, 503) for s, _ in results), f"statuses {sorted(set(s for s, _ in results))}")
        check(refused, "no 503 with a queue of one and 48 callers")
        check(set(refused) <= {"overloaded", "timeout"}, f"503 reasons {set(refused)}")
        retried = {}
        for (status, _), tx in zip(results, fresh):
            if status == 503:
                for _ in range(50):
                    status, body = svc.post(tx)
                    if status != 503:
                        break
                check(status == 200, f"asked again after 503: {status} {body}")
                retried[json.loads(body)["end_to_end_id"]] = json.loads(body)
        svc.stop()
    finally:
        if svc.proc.poll() is None:
            svc.kill()
    check_outputs_hold(tmp, retried)


def scenario_chaos(pg, src, tmp):
    seed = int(os.environ.get("PIXGUARD_CHAOS_SEED", random.randrange(1 << 30)))
    print(f"seed {seed}")
    rng = random.Random(seed)
    txs = transactions(pg, tmp, 20000, seed=21)
    cfg = serve_config(src, tmp)
    answered = {}
    lock = threading.Lock()
    next_tx = [0]
    stop_clients = threading.Event()
    svc_box = {}

    def client():
        conn = None
        while not stop_clients.is_set():
            with lock:
                if next_tx[0] >= len(txs):
                    return
                tx = txs[next_tx[0]]
                next_tx[0] += 1
            while not stop_clients.is_set():  # the same transaction until it is answered
                svc = svc_box.get("svc")
                try:
                    if conn is None or conn.port != svc.port:
                        conn = http.client.HTTPConnection("127.0.0.1", svc.port, timeout=10)
                    status, body = svc.post(tx, conn=conn)
                except (OSError, http.client.HTTPException, AttributeError):
                    conn = None
                    time.sleep(0.02)
                    continue
                if status == 503:
                    time.sleep(0.01)
                    continue
                check(status == 200, f"{status} {body}")
                a = json.loads(body)
                with lock:
                    previous = answered.setdefault(a["end_to_end_id"], a)
                check(previous == a, f"{a['end_to_end_id']} answered {previous} and then {a}")
                break

    svc_box["svc"] = Service(pg, src, cfg, tmp, overwrite=True)
    threads = [threading.Thread(target=client, daemon=True) for _ in range(6)]
    for t in threads:
        t.start()
    kills = 0
    try:
        while kills < 4 and next_tx[0] < len(txs) - 1000:
            time.sleep(rng.uniform(0.1, 0.6))
            svc_box.pop("svc").kill()
            kills += 1
            svc_box["svc"] = Service(pg, src, cfg, tmp)
        for t in threads:
            t.join(timeout=300)
        check(not any(t.is_alive() for t in threads), "clients did not finish")
        final = svc_box["svc"].stop()
    finally:
        stop_clients.set()
        if "svc" in svc_box and svc_box["svc"].proc.poll() is None:
            svc_box["svc"].kill()
    check(kills >= 3, f"only {kills} kills")
    with open(os.path.join(tmp, "serve.log"), encoding="utf-8") as f:
        replays = [line for line in f if "preauth: replaying" in line]
    # Kills land while answers of an epoch not yet committed are out: those are replayed.
    check(replays, "no restart replayed answered requests: the kills missed every open epoch")
    check(len(answered) == len(txs), f"{len(answered)} of {len(txs)} answered")
    check(final["balanced"], f"not balanced: {final}")
    lines = check_outputs_hold(tmp, answered)
    check(len(lines) == len(txs), f"{len(lines)} scored lines for {len(txs)} transactions")
    alerts = harness.read_lines(os.path.join(tmp, "alerts", "*.jsonl"))
    alerted = sorted(a["end_to_end_id"] for a in alerts)
    want = sorted(e for e, a in answered.items() if a["decision"] != "allow")
    check(alerted == want, f"alerts: {len(alerted)} for {len(want)} review/block answers")
    print(f"{kills} kills, {len(replays)} restarts replayed answers, {len(answered)} answers, "
          f"{final['duplicates']} repeats after broken connections")


if __name__ == "__main__":
    harness.main({"api": scenario_api, "chaos": scenario_chaos})
