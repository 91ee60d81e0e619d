#!/usr/bin/env python3
"""The operations endpoint of a running `pixguard run`, over real HTTP.

Starts the job on the embedded generator with `http.listen: 127.0.0.1:0`, a bearer token
and threshold alerts posting to a webhook receiver in this test, reads the address it
prints, then: a deliberately low threshold alert fires and clears (log, webhook, API) while
one above its limit stays quiet; /health and /ready answer JSON; /metrics passes
Debian's `promtool check metrics` and its counters move between two scrapes; bad requests
get JSON errors (400, 401, 404, 405); the API pages recent alerts and finds one decision by
end_to_end_id; headless Chromium (Debian's) renders the dashboard with data in its four
charts and the alerts table, and saves a screenshot (artifacts/dashboard.png in the test's
working directory); and Debian's real Prometheus server scrapes the job (with the token)
and its query API returns our series. SIGTERM then stops the job with exit 0 and a balanced accounting.
Standard library only; promtool and prometheus come from the `prometheus` package.
"""
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import harness  # noqa: E402
from harness import check, fail  # noqa: E402


TOKEN = "s3cret-token"


def get(url, method="GET", body=None, token=TOKEN):
    """(status, headers, body bytes) of one request; HTTP errors are answers too."""
    request = urllib.request.Request(url, method=method, data=body)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def metric(text, series):
    m = re.search(rf"^{re.escape(series)} (\S+)$", text, re.MULTILINE)
    check(m is not None, f"no series {series} in /metrics")
    return float(m.group(1))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Webhook(http.server.BaseHTTPRequestHandler):
    """Collects the JSON bodies POSTed to it (the threshold-alert events)."""
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Webhook.received.append((self.path, self.headers.get("Content-Type"), json.loads(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def start_webhook():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Webhook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# A deliberately low limit that must fire and clear: with checkpoints every 3 s, sampled
# once a second, the checkpoint age climbs past 1.5 s and falls below 1 s in every cycle.
ALERTING = """
alerting:
  webhook: {webhook}
  rules:
    - {{name: checkpoint_stale, signal: checkpoint_age_s, above: 1.5, clear_below: 1.0, for: 1s}}
    - {{name: dead_letters_high, signal: dead_letter_rate, above: 0.5, for: 5s, window: 10s}}
"""


def start_job(pg, src, tmp, webhook):
    extra = f"\nhttp:\n  listen: 127.0.0.1:0\n  token: {TOKEN}\n" + ALERTING.format(webhook=webhook)
    cfg = harness.small_config(src, tmp, 5_000_000, interval="3s", extra=extra)
    text = open(cfg, encoding="utf-8").read()
    # This test's alerting replaces the shipped one (appended at the end).
    start = text.index("\nalerting:\n")
    text = text[:start] + text[text.index("\ninput:\n"):]
    # No file outputs: this test is about the endpoint, not the disk.
    for kind in ("scored", "alerts", "dead_letter"):
        text = re.sub(rf"  {kind}: \S+/{kind}\n", f"  {kind}: null\n", text)
    open(cfg, "w", encoding="utf-8").write(text)
    job = subprocess.Popen([pg, "run", "--config", cfg, "--json", "-q"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, cwd=harness.SOURCE_DIR)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = job.stderr.readline()
        if not line:
            fail(f"pixguard run exited {job.wait()} before printing its endpoint")
        m = re.search(r"operations endpoint at (http://127\.0\.0\.1:\d+)", line)
        if m:
            return job, m.group(1)
    fail("no endpoint line within 30 s")


def check_endpoints(url):
    status, _, body = get(url + "/health")
    health = json.loads(body)
    check(status == 200 and health["status"] == "ok" and health["pipeline"] in ("starting", "restoring", "running"),
          f"/health: {status} {body!r}")
    for _ in range(100):
        status, _, body = get(url + "/ready")
        if status == 200:
            break
        check(status == 503 and json.loads(body)["ready"] is False, f"/ready while starting: {status} {body!r}")
        time.sleep(0.1)
    check(status == 200 and json.loads(body)["ready"] is True, f"/ready: {status} {body!r}")

    status, headers, body = get(url + "/metrics")
    check(status == 200 and headers.get("Content-Type", "").startswith("text/plain; version=0.0.4"),
          f"/metrics: {status} {headers}")
    lint = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True)
    check(lint.returncode == 0, f"promtool check metrics: {lint.stdout.decode()} {lint.stderr.decode()}")
    first = body.decode()
    time.sleep(1.5)
    second = get(url + "/metrics")[2].decode()
    for series in ("pixguard_transactions_in_total", "pixguard_transactions_scored_total",
                   'pixguard_decisions_total{outcome="allow"}', "pixguard_decision_latency_seconds_count"):
        check(metric(second, series) > metric(first, series),
              f"{series} did not move between scrapes: {metric(first, series)} then {metric(second, series)}")
    check(metric(second, "pixguard_ready") == 1, "pixguard_ready is not 1")
    for stage in ("decode", "validate", "features", "score", "sink"):
        check(metric(second, f'pixguard_stage_latency_seconds_count{{stage="{stage}"}}') > 0, f"no {stage} latencies")
    check(metric(second, "pixguard_end_to_end_latency_seconds_count") == 0,
          "end-to-end latencies from a source without timestamps (the generator)")
    check(metric(second, "pixguard_score_count") == metric(second, "pixguard_transactions_scored_total"),
          "the score histogram does not count every scored transaction")
    check(metric(second, "pixguard_accounting_balanced") == 1, "the accounting does not balance")
    check(re.search(r'^pixguard_model_info\{version="pixguard-default\.json@', second, re.MULTILINE),
          "no model_info series naming the shipped model")

    # The shipped Prometheus rules and Grafana dashboard (ops/) name only series that exist.
    lint = subprocess.run(["promtool", "check", "rules", os.path.join(harness.SOURCE_DIR, "ops", "prometheus",
                                                                      "pixguard-alerts.yml")], capture_output=True)
    check(lint.returncode == 0, f"promtool check rules: {lint.stdout.decode()} {lint.stderr.decode()}")
    families = set(re.findall(r"^# TYPE (\w+) ", second, re.MULTILINE))
    for name in ("prometheus/pixguard-alerts.yml", "grafana/pixguard-dashboard.json"):
        with open(os.path.join(harness.SOURCE_DIR, "ops", name), encoding="utf-8") as f:
            text = f.read()
        if name.endswith(".json"):
            json.loads(text)
        used = {re.sub(r"_(bucket|sum|count)$", "", m) for m in re.findall(r"\b(pixguard_\w+)", text)}
        check(used and used <= families, f"ops/{name} names series /metrics lacks: {sorted(used - families)}")

    status, _, body = get(url + "/no/such/thing")
    check(status == 404 and json.loads(body)["path"] == "/no/such/thing", f"unknown path: {status} {body!r}")
    status, headers, body = get(url + "/metrics", method="POST", body=b"x=1")
    check(status == 405 and headers.get("Allow") == "GET" and "POST" in json.loads(body)["error"],
          f"POST /metrics: {status} {headers} {body!r}")
    print(f"endpoints: /health, /ready, /metrics (promtool clean, counters moving), 404 and 405 as JSON")


def check_token(url):
    status, headers, body = get(url + "/metrics", token=None)
    check(status == 401 and headers.get("WWW-Authenticate") == "Bearer" and json.loads(body)["path"] == "/metrics",
          f"/metrics without the token: {status} {body!r}")
    check(get(url + "/api/alerts", token="wrong")[0] == 401, "a wrong token is refused")
    check(get(url + "/health", token=None)[0] == 200, "/health needs no token")
    print("bearer token: 401 without it or with a wrong one, /health open")


def check_api(url):
    # Alerts appear as their epochs commit (checkpoint.interval is 1 s here).
    for _ in range(100):
        page = json.loads(get(url + "/api/alerts?limit=5")[2])
        if len(page["alerts"]) == 5:
            break
        time.sleep(0.1)
    check(len(page["alerts"]) == 5 and page["next"] is not None and page["total"] >= 5, f"/api/alerts: {page}")
    for alert in page["alerts"]:
        check(alert["decision"] in ("review", "block") and alert["end_to_end_id"].startswith("E"), f"alert {alert}")
    second = json.loads(get(url + f"/api/alerts?limit=5&before={page['next']}")[2])
    first_ids = {a["end_to_end_id"] for a in page["alerts"]}
    check(second["alerts"] and not first_ids & {a["end_to_end_id"] for a in second["alerts"]},
          "the second page repeats the first")
    for bad in ("limit=0", "limit=abc", "limit=100000", "before=-1"):
        status, _, body = get(url + "/api/alerts?" + bad)
        check(status == 400 and "error" in json.loads(body), f"/api/alerts?{bad}: {status} {body!r}")

    alert_id = page["alerts"][0]["end_to_end_id"]
    status, _, body = get(url + f"/api/transactions/{alert_id}")
    check(status == 200, f"/api/transactions/{alert_id}: {status} {body!r}")
    decision = json.loads(body)
    check(decision["end_to_end_id"] == alert_id and decision["decision"] in ("review", "block") and
          0 <= decision["score"] <= 1 and "payer.count_5m" in decision["features"] and
          decision["model_version"].startswith("pixguard-default.json@") and isinstance(decision["reasons"], list),
          f"decision of {alert_id}: {decision}")
    status, _, body = get(url + "/api/transactions/E00000000202601010000AAAAAAAAAAA")
    check(status == 404 and "error" in json.loads(body), f"unknown id: {status} {body!r}")

    time.sleep(2.2)
    points = json.loads(get(url + "/api/metrics/recent?seconds=60")[2])["points"]
    check(len(points) >= 2 and points[-1]["in"] > points[0]["in"] and points[-1]["t"] > points[0]["t"],
          f"/api/metrics/recent: {points}")
    check(get(url + "/api/metrics/recent?seconds=0")[0] == 400, "seconds=0 accepted")
    print(f"API: alerts paged ({page['total']} so far), decision of {alert_id} with score {decision['score']:.3f}, "
          f"{len(points)} per-second points")


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--virtual-time-budget=6000", "--window-size=1400,1100"]


def chromium(tmp, name, args):
    profile = os.path.join(tmp, f"chromium-{name}")
    p = subprocess.run(["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                       timeout=120)
    check(p.returncode == 0, f"chromium {args}: exit {p.returncode}: {p.stderr.decode(errors='replace')[-2000:]}")
    return p.stdout.decode(errors="replace")


def check_dashboard(url, tmp, artifacts):
    status, headers, body = get(url + "/", token=None)
    check(status == 200 and headers.get("Content-Type", "").startswith("text/html") and b"<canvas" in body,
          f"dashboard page: {status} {headers}")
    check(b"http://" not in body and b"https://" not in body, "the dashboard page loads something from the network")
    page = f"{url}/#token={TOKEN}"
    dom = chromium(tmp, "dom", ["--dump-dom", page])
    rendered = re.search(r'<body[^>]*data-rendered="(\d+)"', dom)
    check(rendered and int(rendered.group(1)) >= 2, f"the dashboard did not render its series: {dom[:3000]}")
    charts = re.findall(r'<canvas id="(\w+)"[^>]*data-points="(\d+)"', dom)
    check(len(charts) == 4 and all(int(n) > 0 for _, n in charts), f"charts drawn: {charts}")
    alerts = re.search(r'data-alerts="(\d+)"', dom)
    check(alerts and int(alerts.group(1)) > 0 and dom.count("<tr>") > 10, "no alerts or accounting rows on the page")
    check('id="error"></span>' in dom, "the page shows an error: " + dom[dom.find('id="error"'):][:200])
    os.makedirs(artifacts, exist_ok=True)
    shot = os.path.join(artifacts, "dashboard.png")
    chromium(tmp, "shot", [f"--screenshot={shot}", page])
    with open(shot, "rb") as f:
        check(f.read(8) == b"\x89PNG\r\n\x1a\n", "the screenshot is not a PNG")
    print(f"dashboard: {len(charts)} charts drawn ({', '.join(f'{c}={n}' for c, n in charts)} points), "
          f"{alerts.group(1)} alerts listed; screenshot {shot}")


def check_threshold_alerts(url):
    deadline = time.monotonic() + 30
    states = []
    while time.monotonic() < deadline and not ("firing" in states and "resolved" in states):
        time.sleep(0.5)
        states = [e["state"] for _, _, e in Webhook.received if e["alert"] == "checkpoint_stale"]
    check("firing" in states and "resolved" in states, f"webhook received {Webhook.received}")
    path, content_type, event = Webhook.received[0]
    check(path == "/hook" and content_type == "application/json", f"webhook request {path} {content_type}")
    check(event["signal"] == "checkpoint_age_s" and event["above"] == 1.5 and event["at"].endswith("Z"), f"event {event}")
    check(all(e["alert"] != "dead_letters_high" for _, _, e in Webhook.received), "an alert above its limit fired")
    state = json.loads(get(url + "/api/threshold-alerts")[2])
    names = {r["name"]: r for r in state["rules"]}
    check(set(names) == {"checkpoint_stale", "dead_letters_high"} and names["dead_letters_high"]["state"] == "ok",
          f"/api/threshold-alerts rules: {state['rules']}")
    check(len(state["events"]) >= 2 and state["events"][0]["alert"] == "checkpoint_stale", f"events: {state['events']}")
    print(f"threshold alerts: checkpoint_stale fired and cleared ({len(states)} webhook events), "
          f"dead_letters_high stayed ok ({names['dead_letters_high']['value']} of 0.5)")


def check_prometheus(url, tmp):
    target = url.removeprefix("http://")
    port = free_port()
    config = os.path.join(tmp, "prometheus.yml")
    with open(config, "w", encoding="utf-8") as f:
        f.write("global:\n  scrape_interval: 1s\nscrape_configs:\n"
                f"  - job_name: pixguard\n    authorization:\n      credentials: {TOKEN}\n"
                f"    static_configs:\n      - targets: ['{target}']\n")
    log = open(os.path.join(tmp, "prometheus.log"), "wb")
    prom = subprocess.Popen(["prometheus", f"--config.file={config}", f"--storage.tsdb.path={tmp}/tsdb",
                             f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
    try:
        started = time.monotonic()
        query = f"http://127.0.0.1:{port}/api/v1/query?query=pixguard_transactions_in_total"
        result = []
        while time.monotonic() - started < 60 and not result:
            time.sleep(1)
            try:
                status, _, body = get(query)
            except (urllib.error.URLError, ConnectionError):
                continue  # not listening yet
            if status == 200:
                result = json.loads(body)["data"]["result"]
        check(result, f"Prometheus has no pixguard_transactions_in_total after 60 s; see {tmp}/prometheus.log")
        check(result[0]["metric"]["job"] == "pixguard" and float(result[0]["value"][1]) > 0, f"query result {result}")
        status, _, body = get(f"http://127.0.0.1:{port}/api/v1/query?query=pixguard_decisions_total")
        outcomes = {r["metric"]["outcome"] for r in json.loads(body)["data"]["result"]}
        check(outcomes == {"allow", "review", "block"}, f"decisions by outcome in Prometheus: {outcomes}")
        print(f"Prometheus scraped {target} and answered queries {time.monotonic() - started:.1f} s after start")
    finally:
        prom.send_signal(signal.SIGTERM)
        try:
            prom.wait(timeout=20)
        except subprocess.TimeoutExpired:
            prom.kill()


# Where the dashboard screenshot is kept (ctest runs this from the build tree's tests/).
ARTIFACTS = os.path.join(os.getcwd(), "artifacts")


def scenario_endpoints(pg, src, tmp):
    for tool in ("promtool", "prometheus", "chromium"):
        check(shutil.which(tool), f"{tool} is not on the PATH (scripts/setup.sh installs it)")
    hook = start_webhook()
    job, url = start_job(pg, src, tmp, f"http://127.0.0.1:{hook.server_address[1]}/hook")
    try:
        check_endpoints(url)
        check_threshold_alerts(url)
        check_token(url)
        check_api(url)
        check_dashboard(url, tmp, ARTIFACTS)
        check_prometheus(url, tmp)
        job.send_signal(signal.SIGTERM)
        out, err = job.communicate(timeout=60)
        check(job.returncode == 0, f"exit {job.returncode} after SIGTERM: {err}")
        acc = json.loads(out)
        check(acc["balanced"] and acc["in"] > 0, f"accounting after SIGTERM: {acc}")
        check('threshold alert: {"alert":"checkpoint_stale","state":"firing"' in err, "no threshold alert in the log")
    finally:
        if job.poll() is None:
            job.kill()
            job.wait()


if __name__ == "__main__":
    harness.main({"endpoints": scenario_endpoints})
