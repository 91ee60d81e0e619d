#pragma once
// The operations endpoint over HTTP (cpp-httplib), on its own threads:
//   GET /metrics                 Prometheus text (ops/prometheus_text.h)
//   GET /health                  the pipeline's state: 200 {"status":"ok","pipeline":"starting" |
//                                "restoring" | "running"}, 503 {"status":"stalled"} when its run
//                                loop has not gone round for `stall_after` (a hung sink, disk)
//   GET /ready                   200 once state is restored, the source serves input and the
//                                pipeline is not stalled, else 503 with the reason
//   GET /api/transactions/{id}   one recent decision: score, reasons, features, model version
//   GET /api/alerts?limit&before recent alerts, newest first, paged
//   GET /api/metrics/recent      per-second counts and latency of the last 10 minutes (charts)
//   GET /api/summary             the accounting, epoch, readiness and model
//   GET / (and /dashboard)       the live dashboard (ops/dashboard.html, embedded)
// Errors are JSON with a status that means something (400, 401, 404, 405, 408, 413, 503). With a
// token, every path but /health and the dashboard page needs "Authorization: Bearer <token>"
// (compared in constant time). Listens on 127.0.0.1 unless configured otherwise, and refuses an
// address reachable from other machines without a token. With a certificate and key, HTTPS
// only. Connections wait in a ConnectionGate (ops/connection_gate.h) until their request is
// whole, so that idle or slow clients cannot hold the worker threads. docs/operations.md has
// the details.
//
//   POST /v1/score[?features=true]  (pixguard serve) decides one transaction, synchronously:
//                                200 with the decision, 400 with the field and rule of an
//                                invalid one, 409, 413, 503 (preauth/preauth_source.h)
//   GET /api/threshold-alerts    the threshold alerts' state and recent events
//   GET /api/lists/{name}        a block or allow list's entries
//   POST /api/lists/{name}       adds (or replaces) an entry: JSON {"value", "author", "reason",
//                                "expires_at" (RFC 3339, optional)}; 201 with the entry
//   DELETE /api/lists/{name}/{value}?author=...   removes one; 200, or 404 when absent
//                                (both journaled with author, time, before and after:
//                                lists/list_store.h; decisions follow from the next batch)
// Threading: httplib's accept thread, the gate's thread and its workers (GateOptions::threads);
// the workers only read snapshots (LiveMetrics, RecentRecords,
// MetricsHistory, ThresholdAlerter), and change the lists through ListStore (thread-safe).
#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "core/status.h"
#include "lists/list_store.h"
#include "preauth/preauth_source.h"
#include "ops/connection_gate.h"
#include "ops/metrics_history.h"
#include "ops/threshold_alerter.h"
#include "runtime/live_metrics.h"
#include "sinks/recent_records.h"

namespace httplib {
class Server;
}

namespace pixguard {

struct OpsServerOptions {
  std::string listen;  // "host:port"; port 0 picks a free one
  std::string token;   // empty: no authentication (then only a loopback `listen` is accepted)
  std::string tls_cert;  // PEM files; both set: HTTPS (httplib::SSLServer's context)
  std::string tls_key;
  GateOptions limits;    // timeouts, connection and queue caps, body limit (limits.tls is set here)
  int64_t stall_after_us = 120'000'000;  // the run loop silent this long: stalled
  const LiveMetrics* metrics = nullptr;
  const RecentRecords* decisions = nullptr;  // null: /api/transactions answers 404
  const RecentRecords* alerts = nullptr;
  const MetricsHistory* history = nullptr;
  const ThresholdAlerter* alerter = nullptr;  // null: no threshold alerts configured
  ListStore* lists = nullptr;                 // null: no lists configured (the list paths answer 404)
  PreauthSource* preauth = nullptr;           // null: not serving decisions (/v1/score answers 404)
};

// Whether `authorization` (the header's value) is "Bearer <token>", compared in constant time
// (SHA-256 digests of both, CRYPTO_memcmp): the timing tells neither bytes nor length. False
// for an empty token.
bool bearer_token_matches(std::string_view authorization, std::string_view token);

class OpsServer {
 public:
  // Binds and starts serving.
  static Status start(const OpsServerOptions& options, std::unique_ptr<OpsServer>* out);
  ~OpsServer();
  OpsServer(const OpsServer&) = delete;
  OpsServer& operator=(const OpsServer&) = delete;

  // "http://host:port" (https with TLS), the port as bound.
  const std::string& url() const { return url_; }
  const GateCounters& counters() const { return gate_->counters(); }

 private:
  OpsServer() = default;

  OpsServerOptions options_;
  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<ConnectionGate> gate_;
  std::thread thread_;
  std::atomic<bool> listen_done_{false};  // listen_after_bind has returned
  std::string url_;
};

}  // namespace pixguard
