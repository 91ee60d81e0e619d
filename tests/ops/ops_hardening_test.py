#!/usr/bin/env python3
"""The operations endpoint of a running `pixguard run` under attack, and over TLS.

slowloris: starts the job (embedded generator, `http.listen: 127.0.0.1:0`, a token), then a
separate attacker process holds 300 idle sockets and 300 sockets that drip one header byte
a second (reconnecting whatever the server closes), floods it with requests on four threads,
and sends bad requests (garbage, a 20 KiB header, a 1 GB Content-Length, a 1 MB body sent
for real, a chunked body). Meanwhile this process probes /health on a fresh connection every
half second for 20 s and times each probe (connect to last byte): every probe must answer 200
within 100 ms. The pipeline must go on (its input counter moves during the attack) and stop
cleanly on SIGTERM with a balanced accounting.

tls: a self-signed certificate made here with the openssl CLI; /health and (with the token)
/metrics answer over https to Python's ssl client and to curl trusting that certificate; a
client that does not trust it, plain http to the TLS port, and a socket that never says hello
get nothing from it, while /health still answers. Startup refuses a missing certificate and
a listen address reachable from other machines without a token.

Standard library only (plus the openssl and curl command-line tools).
"""
import json
import os
import re
import resource
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import harness  # noqa: E402
from harness import check, fail  # noqa: E402

TOKEN = "hardening-test-token"
PROBE_LIMIT_S = 0.100


def write_config(src, tmp, http):
    cfg = harness.small_config(src, tmp, 20_000_000, interval="2s", extra="\nhttp:\n" + http)
    text = open(cfg, encoding="utf-8").read()
    for kind in ("scored", "alerts", "dead_letter"):  # the endpoint is under test, not the disk
        text = re.sub(rf"  {kind}: \S+/{kind}\n", f"  {kind}: null\n", text)
    open(cfg, "w", encoding="utf-8").write(text)
    return cfg


def start_job(pg, cfg, args=()):
    job = subprocess.Popen([pg, "run", "--config", cfg, "--json", "-q", *args], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, cwd=harness.SOURCE_DIR)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = job.stderr.readline()
        if not line:
            fail(f"pixguard run exited {job.wait()} before printing its endpoint")
        m = re.search(r"operations endpoint at (https?)://127\.0\.0\.1:(\d+)", line)
        if m:
            return job, m.group(1), int(m.group(2))
    fail("no endpoint line within 30 s")


def stop_job(job):
    job.send_signal(signal.SIGTERM)
    out, err = job.communicate(timeout=60)
    check(job.returncode == 0, f"exit {job.returncode} after SIGTERM: {err[-2000:]}")
    acc = json.loads(out)
    check(acc["balanced"] and acc["in"] > 0, f"accounting after SIGTERM: {acc}")
    return acc


def raw_request(port, request, timeout=5.0):
    """The whole answer (until the server closes) to `request` on a new connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                return b"".join(chunks)
            chunks.append(b)


def probe(port):
    """(status, seconds) of GET /health on a new connection, timed from connect to the last byte."""
    start = time.monotonic()
    try:
        answer = raw_request(port, b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", timeout=5)
    except OSError as e:
        return f"error {e}", time.monotonic() - start
    took = time.monotonic() - start
    m = re.match(rb"HTTP/1\.1 (\d+)", answer)
    return (int(m.group(1)) if m else f"no status: {answer[:80]!r}"), took


def metric(port, series):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as r:
        text = r.read().decode()
    m = re.search(rf"^{re.escape(series)} (\S+)$", text, re.MULTILINE)
    check(m is not None, f"no series {series} in /metrics")
    return float(m.group(1))


# ---- the attacker (a process of its own, so that its threads do not slow the probes) --------

def attack(port, seconds, report):
    stop = time.monotonic() + seconds
    counts = {"idle_reconnects": 0, "drip_reconnects": 0, "flood_ok": 0, "flood_503": 0, "flood_other": 0,
              "bad": {}}
    lock = threading.Lock()

    def connect():
        while time.monotonic() < stop:
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
                s.setblocking(False)
                return s
            except OSError:
                time.sleep(0.05)
        return None

    def dead(s):
        try:
            s.recv(4096, socket.MSG_PEEK)  # answered (503, 408) or closed
            return True
        except BlockingIOError:
            return False
        except OSError:
            return True

    def hold(n, drip, key):
        socks = [connect() for _ in range(n)]
        while time.monotonic() < stop:
            for i, s in enumerate(socks):
                if s is None or dead(s):
                    if s is not None:
                        s.close()
                    socks[i] = connect()
                    with lock:
                        counts[key] += 1
                    if drip and socks[i] is not None:
                        try:
                            socks[i].send(b"GET /health HTTP/1.1\r\n")
                        except OSError:
                            pass
                elif drip:
                    try:
                        s.send(b"X")  # one header byte a second, never a whole header
                    except OSError:
                        pass
            time.sleep(1.0)
        for s in socks:
            if s is not None:
                s.close()

    def flood():
        paths = [b"/api/summary", b"/metrics", b"/health", b"/ready", b"/api/alerts?limit=10"]
        i = 0
        while time.monotonic() < stop:
            path = paths[i % len(paths)]
            i += 1
            try:
                answer = raw_request(port, b"GET " + path + b" HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " +
                                     TOKEN.encode() + b"\r\nConnection: close\r\n\r\n")
                key = "flood_ok" if answer.startswith(b"HTTP/1.1 200") else \
                    "flood_503" if answer.startswith(b"HTTP/1.1 503") else "flood_other"
            except OSError:
                key = "flood_other"
            with lock:
                counts[key] += 1

    def bad():
        requests = {
            "garbage": b"\x00\xff\x13garbage\r\n\r\n",
            "huge_header": b"GET /health HTTP/1.1\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n",
            "huge_length": b"POST /api/lists/blocked HTTP/1.1\r\nContent-Length: 1000000000\r\n\r\n",
            "huge_body": b"POST /api/lists/blocked HTTP/1.1\r\nContent-Length: 1000000\r\n\r\n" + b"x" * 1_000_000,
            "chunked": b"POST /api/lists/blocked HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
        }
        while time.monotonic() < stop:
            for name, request in requests.items():
                try:
                    answer = raw_request(port, request)
                    m = re.match(rb"HTTP/1\.1 (\d+)", answer)
                    result = m.group(1).decode() if m else "closed"
                except OSError as e:
                    result = type(e).__name__
                with lock:
                    counts["bad"].setdefault(name, {}).setdefault(result, 0)
                    counts["bad"][name][result] += 1
            time.sleep(0.2)

    threads = [threading.Thread(target=hold, args=(300, False, "idle_reconnects")),
               threading.Thread(target=hold, args=(300, True, "drip_reconnects")),
               threading.Thread(target=bad)] + [threading.Thread(target=flood) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(report, "w", encoding="utf-8") as f:
        json.dump(counts, f)


def scenario_slowloris(pg, src, tmp):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4096)), hard))
    cfg = write_config(src, tmp, f"  listen: 127.0.0.1:0\n  token: {TOKEN}\n")
    job, scheme, port = start_job(pg, cfg)
    try:
        check(scheme == "http", scheme)
        quiet = [probe(port) for _ in range(5)]
        check(all(status == 200 for status, _ in quiet), f"/health before the attack: {quiet}")
        for _ in range(100):  # the pipeline running: its input counter is moving
            if metric(port, "pixguard_transactions_in_total") > 0:
                break
            time.sleep(0.1)
        before = metric(port, "pixguard_transactions_in_total")

        report = os.path.join(tmp, "attack.json")
        attack_seconds = 24
        attacker = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--attack", str(port),
                                     str(attack_seconds), report])
        time.sleep(3)  # the attacker's 600 sockets are open by now
        probes = []
        while len(probes) < 40:
            probes.append(probe(port))
            time.sleep(0.5)
        during = metric(port, "pixguard_transactions_in_total")
        check(attacker.wait(timeout=60) == 0, "the attacker failed")
        counts = json.load(open(report, encoding="utf-8"))

        times = sorted(t for _, t in probes)
        print(f"/health under attack: {len(probes)} probes, median {times[len(times) // 2] * 1000:.1f} ms, "
              f"p100 {times[-1] * 1000:.1f} ms; attacker: {json.dumps(counts)}")
        check(all(status == 200 for status, _ in probes), f"/health answers under attack: {probes}")
        check(times[-1] < PROBE_LIMIT_S, f"/health slower than {PROBE_LIMIT_S * 1000:.0f} ms under attack: "
                                         f"{[round(t * 1000, 1) for _, t in probes]}")
        check(during > before, f"the pipeline stopped during the attack: {before} then {during} transactions in")
        check(counts["idle_reconnects"] > 300 and counts["drip_reconnects"] > 300,
              f"the server did not close idle or dripping connections: {counts}")
        check(counts["flood_ok"] > 100, f"the flood got few answers: {counts}")
        expected = {"garbage": "400", "huge_header": "431", "huge_length": "413", "chunked": "411"}
        for name, status in expected.items():
            check(set(counts["bad"].get(name, {})) <= {status, "503"} and status in counts["bad"].get(name, {}),
                  f"{name}: answers {counts['bad'].get(name)}, expected {status}")
        check(set(counts["bad"]["huge_body"]) <= {"413", "503", "ConnectionResetError", "BrokenPipeError"},
              f"huge_body: {counts['bad']['huge_body']}")
        after = [probe(port) for _ in range(5)]
        check(all(status == 200 and t < PROBE_LIMIT_S for status, t in after), f"/health after the attack: {after}")
        acc = stop_job(job)
        print(f"pipeline: {before:.0f} -> {during:.0f} transactions in during the attack; "
              f"{acc['in']} in at SIGTERM, balanced")
    finally:
        if job.poll() is None:
            job.kill()
            job.wait()


def scenario_tls(pg, src, tmp):
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    harness.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days",
                 "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
    cfg = write_config(src, tmp, f"  listen: 127.0.0.1:0\n  token: {TOKEN}\n  tls: {{cert: {cert}, key: {key}}}\n")
    job, scheme, port = start_job(pg, cfg)
    try:
        check(scheme == "https", f"the endpoint line says {scheme}")
        trusting = ssl.create_default_context(cafile=cert)

        def get(path, token=None, context=trusting, scheme="https"):
            request = urllib.request.Request(f"{scheme}://127.0.0.1:{port}{path}")
            if token:
                request.add_header("Authorization", f"Bearer {token}")
            try:
                with urllib.request.urlopen(request, timeout=10, context=context if scheme == "https" else None) as r:
                    return r.status, r.read()
            except urllib.error.HTTPError as e:
                return e.code, e.read()

        status, body = get("/health")
        check(status == 200 and json.loads(body)["status"] == "ok", f"/health over https: {status} {body!r}")
        status, body = get("/metrics", token=TOKEN)
        check(status == 200 and b"pixguard_transactions_in_total" in body, f"/metrics over https: {status}")
        check(get("/metrics")[0] == 401, "/metrics over https without the token")
        curl = subprocess.run(["curl", "-sS", "--cacert", cert, "-H", f"Authorization: Bearer {TOKEN}",
                               f"https://127.0.0.1:{port}/api/summary"], capture_output=True, text=True, timeout=30)
        check(curl.returncode == 0 and '"accounting"' in curl.stdout, f"curl over https: {curl.stderr}")

        try:
            get("/health", context=ssl.create_default_context())
            fail("a client that does not trust the certificate got an answer")
        except urllib.error.URLError as e:
            check(isinstance(e.reason, ssl.SSLCertVerificationError), f"untrusted certificate: {e!r}")
        try:
            status, body = get("/health", scheme="http")
            fail(f"plain http to the TLS port answered {status} {body!r}")
        except (urllib.error.URLError, ConnectionError, OSError) as e:
            print(f"plain http to the TLS port: {type(e).__name__} ({e})")

        # Sockets that never say hello, or say half of it, do not hold up the others.
        silent = [socket.create_connection(("127.0.0.1", port)) for _ in range(50)]
        for s in silent[::2]:
            s.send(b"\x16\x03\x01")
        times = []
        for _ in range(10):
            start = time.monotonic()
            status, _ = get("/health")
            times.append(time.monotonic() - start)
            check(status == 200, f"/health over https beside silent sockets: {status}")
        for s in silent:
            s.close()
        print(f"https: /health, /metrics with the token, curl; untrusted and plain http refused; "
              f"/health beside 50 silent sockets in at most {max(times) * 1000:.1f} ms (TLS handshake included)")
        stop_job(job)
    finally:
        if job.poll() is None:
            job.kill()
            job.wait()

    # Startup refuses what it cannot serve safely.
    bad_cert = write_config(src, tmp, f"  listen: 127.0.0.1:0\n  tls: {{cert: {tmp}/none.pem, key: {key}}}\n")
    p = subprocess.run([pg, "run", "--config", bad_cert, "-q"], capture_output=True, text=True, timeout=60,
                       cwd=harness.SOURCE_DIR)
    check(p.returncode != 0 and "http.tls" in p.stderr, f"a missing certificate: exit {p.returncode} {p.stderr}")
    open_cfg = write_config(src, tmp, "  listen: 127.0.0.1:0\n")
    p = subprocess.run([pg, "run", "--config", open_cfg, "-q", "--http", "0.0.0.0:0"], capture_output=True, text=True,
                       timeout=60, cwd=harness.SOURCE_DIR)
    check(p.returncode != 0 and "set http.token" in p.stderr, f"0.0.0.0 without a token: exit {p.returncode} {p.stderr}")
    print(f"startup refused: a missing certificate; 0.0.0.0 without a token ({p.stderr.strip().splitlines()[-1]})")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--attack":
        attack(int(sys.argv[2]), float(sys.argv[3]), sys.argv[4])
    else:
        harness.main({"slowloris": scenario_slowloris, "tls": scenario_tls})
