#include "ops/ops_server.h"

#include <httplib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <utility>

#include "config/config.h"
#include "core/clock.h"
#include "core/json_writer.h"
#include "lists/list_request.h"
#include "ops/dashboard_page.h"
#include "ops/prometheus_text.h"

namespace pixguard {
namespace {

constexpr std::size_t kMaxPage = 1000;

// {"<key>":"<value>",...} with the values escaped.
std::string json_object(std::initializer_list<std::pair<const char*, std::string_view>> fields) {
  std::string body;
  {
    JsonWriter w(&body);  // sizes `body` to its content when it goes
    w.ch('{');
    bool first = true;
    for (const auto& [key, value] : fields) {
      if (!first) w.ch(',');
      first = false;
      w.string(key);
      w.ch(':');
      w.string(value);
    }
    w.ch('}');
  }
  return body;
}

void json_error(httplib::Response& res, int status, const std::string& error, const std::string& path) {
  res.status = status;
  res.set_content(json_object({{"error", error}, {"path", path}}), "application/json");
}

// A non-negative integer query parameter; `fallback` when absent; false when malformed.
bool query_number(const httplib::Request& req, const char* name, uint64_t fallback, uint64_t* out) {
  if (!req.has_param(name)) {
    *out = fallback;
    return true;
  }
  const std::string v = req.get_param_value(name);
  const auto r = std::from_chars(v.data(), v.data() + v.size(), *out);
  return !v.empty() && r.ec == std::errc{} && r.ptr == v.data() + v.size();
}

// httplib's accept thread runs each connection's task at once: the task hands the socket to
// the gate (GuardedServer::process_and_close_socket), which never blocks.
class InlineQueue final : public httplib::TaskQueue {
 public:
  void enqueue(std::function<void()> fn) override { fn(); }
  void shutdown() override {}
};

// httplib's Server (or SSLServer) with its connections handled by a ConnectionGate instead of
// a thread each; requests still go through httplib's parsing and routing (process_request).
template <class Base>
class GuardedServer final : public Base {
 public:
  template <class... Args>
  explicit GuardedServer(Args&&... args) : Base(std::forward<Args>(args)...) {
    this->new_task_queue = [] { return new InlineQueue(); };
  }
  void set_gate(ConnectionGate* gate) { gate_ = gate; }
  int listen_socket() const { return this->svr_sock_; }
  bool run(httplib::Stream& stream, bool close_connection, bool& connection_closed) {
    return this->process_request(stream, close_connection, connection_closed, nullptr);
  }

 private:
  bool process_and_close_socket(socket_t sock) override {
    gate_->admit(sock);
    return true;
  }
  ConnectionGate* gate_ = nullptr;
};

bool sha256(std::string_view data, unsigned char* out, unsigned int* size) {
  return EVP_Digest(data.data(), data.size(), out, size, EVP_sha256(), nullptr) == 1;
}

}  // namespace

bool bearer_token_matches(std::string_view authorization, std::string_view token) {
  if (token.empty()) return false;
  const std::string expected = "Bearer " + std::string(token);
  unsigned char a[EVP_MAX_MD_SIZE], b[EVP_MAX_MD_SIZE];
  unsigned int a_size = 0, b_size = 0;
  if (!sha256(authorization, a, &a_size) || !sha256(expected, b, &b_size) || a_size != b_size) return false;
  return CRYPTO_memcmp(a, b, a_size) == 0;
}

Status OpsServer::start(const OpsServerOptions& options, std::unique_ptr<OpsServer>* out) {
  const std::string& listen = options.listen;
  std::string host;
  int wanted = 0;
  if (!parse_listen_address(listen, &host, &wanted)) {
    return Status::InvalidArgument("http.listen: expected host:port (port 0 to 65535), got '" + listen + "'");
  }
  if (options.token.empty() && !is_loopback_host(host)) {
    return Status::InvalidArgument("http.listen: " + listen +
                                   " is reachable from other machines: set http.token (and http.tls), or listen on "
                                   "127.0.0.1");
  }
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return Status::InvalidArgument("http.tls: both cert and key are needed");
  }
  std::unique_ptr<OpsServer> ops(new OpsServer());
  ops->options_ = options;
  const bool tls = !options.tls_cert.empty();
  GateOptions limits = options.limits;
  // Every connection is a descriptor: with too few, accept() fails and nothing gets in (a
  // health check included). Raise the soft limit as far as needed, else lower the cap.
  constexpr rlim_t kSpare = 256;  // the job's own files, sockets to Kafka
  if (rlimit fds{}; getrlimit(RLIMIT_NOFILE, &fds) == 0 && fds.rlim_cur != RLIM_INFINITY &&
                    fds.rlim_cur < limits.max_connections + kSpare) {
    fds.rlim_cur = fds.rlim_max == RLIM_INFINITY ? limits.max_connections + kSpare
                                                 : std::min<rlim_t>(fds.rlim_max, limits.max_connections + kSpare);
    (void)setrlimit(RLIMIT_NOFILE, &fds);
    if (fds.rlim_cur < limits.max_connections + kSpare) {
      const std::size_t cap = fds.rlim_cur > kSpare + 8 ? static_cast<std::size_t>(fds.rlim_cur - kSpare) : 8;
      std::fprintf(stderr, "pixguard: http.max_connections %zu lowered to %zu (open file limit %llu)\n",
                   limits.max_connections, cap, static_cast<unsigned long long>(fds.rlim_cur));
      limits.max_connections = cap;
    }
  }
  ConnectionGate::Process process;
  std::function<int()> listen_socket;
  if (tls) {
    auto ssl = std::make_unique<GuardedServer<httplib::SSLServer>>(options.tls_cert.c_str(), options.tls_key.c_str());
    if (!ssl->is_valid()) {
      return Status::InvalidArgument("http.tls: cannot load the certificate " + options.tls_cert + " and key " +
                                     options.tls_key + " (PEM files, the key matching the certificate)");
    }
    SSL_CTX_set_min_proto_version(ssl->ssl_context(), TLS1_2_VERSION);
    limits.tls = ssl->ssl_context();
    auto* raw = ssl.get();
    process = [raw](httplib::Stream& s, bool close, bool& closed) { return raw->run(s, close, closed); };
    ops->gate_ = std::make_unique<ConnectionGate>(limits, std::move(process));
    raw->set_gate(ops->gate_.get());
    listen_socket = [raw] { return raw->listen_socket(); };
    ops->server_ = std::move(ssl);
  } else {
    limits.tls = nullptr;
    auto plain = std::make_unique<GuardedServer<httplib::Server>>();
    auto* raw = plain.get();
    process = [raw](httplib::Stream& s, bool close, bool& closed) { return raw->run(s, close, closed); };
    ops->gate_ = std::make_unique<ConnectionGate>(limits, std::move(process));
    raw->set_gate(ops->gate_.get());
    listen_socket = [raw] { return raw->listen_socket(); };
    ops->server_ = std::move(plain);
  }
  httplib::Server& server = *ops->server_;
  // Bodies over the limit: 413 (the gate answers those with a Content-Length itself).
  server.set_payload_max_length(limits.max_body);
  const OpsServerOptions& o = ops->options_;

  if (!o.token.empty()) {
    server.set_pre_routing_handler([&o](const httplib::Request& req, httplib::Response& res) {
      // The health check and the (static) dashboard page are open; the data is not.
      if (req.path == "/health" || req.path == "/" || req.path == "/dashboard" ||
          bearer_token_matches(req.get_header_value("Authorization"), o.token)) {
        return httplib::Server::HandlerResponse::Unhandled;
      }
      res.set_header("WWW-Authenticate", "Bearer");
      json_error(res, 401, "missing or wrong bearer token (Authorization: Bearer ...)", req.path);
      return httplib::Server::HandlerResponse::Handled;
    });
  }
  server.Get("/metrics", [&o](const httplib::Request&, httplib::Response& res) {
    MetricsSample sample;
    (void)o.metrics->snapshot(&sample);
    std::string text = prometheus_text(sample, unix_micros());
    if (o.preauth != nullptr) text += preauth_prometheus_text(*o.preauth);
    res.set_content(std::move(text), "text/plain; version=0.0.4; charset=utf-8");
  });
  // How long the run loop has been silent, in seconds; negative when it is not expected to go
  // round (not started, restoring a checkpoint).
  const auto silent_seconds = [](const MetricsSample& sample, bool published) {
    if (!published || sample.restoring || sample.progress_unix_us == 0) return -1.0;
    return static_cast<double>(unix_micros() - sample.progress_unix_us) / 1e6;
  };
  const auto stalled = [&o](double silent) { return silent >= 0 && silent * 1e6 >= static_cast<double>(o.stall_after_us); };
  server.Get("/health", [&o, silent_seconds, stalled](const httplib::Request&, httplib::Response& res) {
    MetricsSample sample;
    const bool published = o.metrics->snapshot(&sample);
    const double silent = silent_seconds(sample, published);
    // Unhealthy (503) when the run stopped on a failed epoch, when the accounting does not
    // balance (a sink committed other than what was counted), or when the run loop stalled.
    const char* problem = !published                        ? nullptr
                          : sample.epoch_failed             ? "failed"
                          : !sample.accounting.balanced()   ? "unbalanced"
                          : stalled(silent)                 ? "stalled"
                                                            : nullptr;
    const char* state = !published ? "starting" : sample.epoch_failed ? "stopped" : sample.restoring ? "restoring"
                        : stalled(silent) ? "stalled" : "running";
    std::string body = "{\"status\":\"" + std::string(problem != nullptr ? problem : "ok") + "\",\"pipeline\":\"" + state +
                       "\",\"last_progress_seconds_ago\":" + (silent < 0 ? std::string("null") : std::to_string(silent)) + "}";
    if (problem != nullptr) res.status = 503;
    res.set_content(body, "application/json");
  });
  server.Get("/ready", [&o, silent_seconds, stalled](const httplib::Request&, httplib::Response& res) {
    MetricsSample sample;
    const bool published = o.metrics->snapshot(&sample);
    const double silent = silent_seconds(sample, published);
    if (published && sample.ready && !stalled(silent)) {
      res.set_content("{\"ready\":true,\"epoch\":" + std::to_string(sample.epoch) + "}", "application/json");
      return;
    }
    const std::string reason = !published          ? std::string("starting")
                               : stalled(silent) ? "pipeline stalled: no progress for " + std::to_string(static_cast<int64_t>(silent)) + " s"
                                                 : sample.not_ready_reason;
    std::string body = json_object({{"reason", reason}});
    body.insert(1, "\"ready\":false,");
    res.status = 503;
    res.set_content(body, "application/json");
  });
  server.Get(R"(/api/transactions/([^/]+))", [&o](const httplib::Request& req, httplib::Response& res) {
    const std::string id = req.matches[1];
    const std::optional<std::string> record = o.decisions != nullptr ? o.decisions->find(id) : std::nullopt;
    if (!record) {
      json_error(res, 404,
                 "no committed decision for this end_to_end_id among the recent ones (http.recent_decisions)", req.path);
      return;
    }
    res.set_content(*record, "application/json");
  });
  server.Get("/api/alerts", [&o](const httplib::Request& req, httplib::Response& res) {
    uint64_t limit = 0, before = 0;
    if (!query_number(req, "limit", 50, &limit) || limit == 0 || limit > kMaxPage ||
        !query_number(req, "before", 0, &before)) {
      json_error(res, 400, "limit must be 1 to " + std::to_string(kMaxPage) + " and before a sequence number", req.path);
      return;
    }
    uint64_t next = 0;
    const std::vector<std::string> page = o.alerts != nullptr ? o.alerts->page(before, limit, &next) : std::vector<std::string>{};
    std::string body = "{\"alerts\":[";
    for (std::size_t i = 0; i < page.size(); ++i) body += (i > 0 ? "," : "") + page[i];
    body += "],\"next\":" + (next == 0 ? std::string("null") : std::to_string(next)) +
            ",\"total\":" + std::to_string(o.alerts != nullptr ? o.alerts->total() : 0) + "}";
    res.set_content(body, "application/json");
  });
  server.Get("/api/summary", [&o](const httplib::Request&, httplib::Response& res) {
    MetricsSample sample;
    (void)o.metrics->snapshot(&sample);
    std::string body = "{\"accounting\":" + accounting_json(sample.accounting, sample.rule_names) +
                       ",\"epoch\":" + std::to_string(sample.epoch) + ",\"ready\":" + (sample.ready ? "true" : "false") +
                       ",";
    const std::string model = json_object({{"model_version", sample.model_version}});
    body += model.substr(1);  // "model_version":"..."}
    res.set_content(body, "application/json");
  });
  for (const char* page : {"/", "/dashboard"}) {
    server.Get(page, [](const httplib::Request&, httplib::Response& res) {
      const std::string_view html = dashboard_page();
      res.set_content(html.data(), html.size(), "text/html; charset=utf-8");
    });
  }
  server.Get("/api/metrics/recent", [&o](const httplib::Request& req, httplib::Response& res) {
    uint64_t seconds = 0;
    if (!query_number(req, "seconds", 300, &seconds) || seconds == 0 || seconds > MetricsHistory::kSeconds) {
      json_error(res, 400, "seconds must be 1 to " + std::to_string(MetricsHistory::kSeconds), req.path);
      return;
    }
    res.set_content(o.history->recent_json(seconds), "application/json");
  });
  server.Get("/api/threshold-alerts", [&o](const httplib::Request&, httplib::Response& res) {
    res.set_content(o.alerter != nullptr ? o.alerter->state_json() : std::string("{\"rules\":[],\"events\":[]}"),
                    "application/json");
  });
  const auto list_error = [](httplib::Response& res, const Status& s, const std::string& path) {
    json_error(res, s.code() == StatusCode::kNotFound ? 404 : s.code() == StatusCode::kInvalidArgument ? 400 : 500,
               s.message(), path);
  };
  server.Get(R"(/api/lists/([a-z0-9_]+))", [&o, list_error](const httplib::Request& req, httplib::Response& res) {
    std::string body;
    const Status s = o.lists != nullptr ? o.lists->entries_json(req.matches[1], &body)
                                        : Status::NotFound("no lists are configured (lists: in the config)");
    if (!s.ok()) return list_error(res, s, req.path);
    res.set_content(body, "application/json");
  });
  server.Post(R"(/api/lists/([a-z0-9_]+))", [&o, list_error](const httplib::Request& req, httplib::Response& res) {
    if (o.lists == nullptr) return list_error(res, Status::NotFound("no lists are configured (lists: in the config)"), req.path);
    ListEntryRequest entry;
    if (Status s = parse_list_entry_request(req.body, &entry); !s.ok()) return json_error(res, 400, s.message(), req.path);
    if (Status s = o.lists->add(req.matches[1], entry.value, entry.reason, entry.author, entry.expires_us); !s.ok()) {
      return list_error(res, s, req.path);
    }
    res.status = 201;
    res.set_content(json_object({{"list", std::string(req.matches[1])}, {"status", "added"}}), "application/json");
  });
  server.Delete(R"(/api/lists/([a-z0-9_]+)/(.+))", [&o, list_error](const httplib::Request& req, httplib::Response& res) {
    if (o.lists == nullptr) return list_error(res, Status::NotFound("no lists are configured (lists: in the config)"), req.path);
    if (!req.has_param("author")) return json_error(res, 400, "author is required (?author=...)", req.path);
    const std::string value = req.matches[2];  // httplib decoded the path
    if (Status s = o.lists->remove(req.matches[1], value, req.get_param_value("author")); !s.ok()) {
      return list_error(res, s, req.path);
    }
    res.set_content(json_object({{"list", std::string(req.matches[1])}, {"status", "removed"}}), "application/json");
  });
  server.Post("/v1/score", [&o](const httplib::Request& req, httplib::Response& res) {
    if (o.preauth == nullptr) return json_error(res, 404, "not serving decisions (pixguard serve does)", req.path);
    const std::string features = req.has_param("features") ? req.get_param_value("features") : "false";
    if (features != "true" && features != "false") return json_error(res, 400, "features must be true or false", req.path);
    PreauthSource::Reply reply = o.preauth->score(req.body, features == "true");
    res.status = reply.status;
    if (reply.status == 503) res.set_header("Retry-After", "1");
    res.set_content(std::move(reply.body), "application/json");
  });
  const auto post_only = [](const httplib::Request& req, httplib::Response& res) {
    res.set_header("Allow", "POST");
    json_error(res, 405, "method " + req.method + " not allowed (POST only)", req.path);
  };
  server.Get("/v1/score", post_only);
  server.Put("/v1/score", post_only);
  server.Delete("/v1/score", post_only);
  server.Patch("/v1/score", post_only);
  for (const char* path : {"/", "/dashboard", "/metrics", "/health", "/ready", "/api/alerts", "/api/summary",
                           "/api/metrics/recent", "/api/threshold-alerts", R"(/api/transactions/([^/]+))"}) {
    const auto not_allowed = [](const httplib::Request& req, httplib::Response& res) {
      res.set_header("Allow", "GET");
      json_error(res, 405, "method " + req.method + " not allowed (GET only)", req.path);
    };
    server.Post(path, not_allowed);
    server.Put(path, not_allowed);
    server.Delete(path, not_allowed);
    server.Patch(path, not_allowed);
  }
  server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.status == 404 && res.body.empty()) {
      json_error(res, 404, "no such endpoint (see docs/operations.md)", req.path);
    } else if (res.body.empty()) {
      json_error(res, res.status, "bad request", req.path);
    }
  });

  const int port = wanted == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, wanted) ? wanted : -1);
  if (port < 0) {
    return Status::IoError("http.listen: cannot listen on " + listen + " (in use, or not an address of this machine)");
  }
  // httplib listens with a backlog of 5: a burst of connections would wait in the kernel (a
  // dropped handshake costs a client a second). Listening again sets a longer one.
  ::listen(listen_socket(), SOMAXCONN);
  if (Status s = ops->gate_->start(); !s.ok()) return s;
  ops->url_ = (tls ? "https://" : "http://") + host + ":" + std::to_string(port);
  ops->thread_ = std::thread([&server, done = &ops->listen_done_] {
    server.listen_after_bind();
    done->store(true);
  });
  *out = std::move(ops);
  return Status::Ok();
}

OpsServer::~OpsServer() {
  // stop() does nothing until the accept loop runs: again until it has ended.
  while (server_ && thread_.joinable() && !listen_done_.load()) {
    server_->stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (thread_.joinable()) thread_.join();
  if (gate_) gate_->stop();  // after the accept thread: nothing is admitted any more
}

}  // namespace pixguard
