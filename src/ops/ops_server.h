#pragma once
// The operations endpoint over HTTP (cpp-httplib), on its own thread:
//   GET /metrics  Prometheus text (ops/prometheus_text.h)
//   GET /health   200 {"status":"ok"} while the process runs
//   GET /ready    200 {"ready":true} once state is restored and the source serves input,
//                 else 503 {"ready":false,"reason":...}
// Anything else answers a JSON error with a status that means something (404, 405).
// Listens on 127.0.0.1 unless configured otherwise (PRODUCT.md section 12).
//
// Threading: the server's threads only read LiveMetrics snapshots.
#include <memory>
#include <string>
#include <thread>

#include "core/status.h"
#include "runtime/live_metrics.h"

namespace httplib {
class Server;
}

namespace pixguard {

class OpsServer {
 public:
  // Binds `listen` ("host:port"; port 0 picks a free one) and starts serving.
  static Status start(const std::string& listen, const LiveMetrics* metrics, std::unique_ptr<OpsServer>* out);
  ~OpsServer();
  OpsServer(const OpsServer&) = delete;
  OpsServer& operator=(const OpsServer&) = delete;

  // "http://host:port", the port as bound.
  const std::string& url() const { return url_; }

 private:
  OpsServer() = default;

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::string url_;
};

}  // namespace pixguard
