#include "ops/ops_server.h"

#include <httplib.h>

#include <array>
#include <charconv>

#include <nlohmann/json.hpp>

#include "core/json_writer.h"
#include "core/timestamp.h"
#include "config/config.h"
#include "core/clock.h"
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

}  // namespace

Status OpsServer::start(const OpsServerOptions& options, std::unique_ptr<OpsServer>* out) {
  const std::string& listen = options.listen;
  std::string host;
  int wanted = 0;
  if (!parse_listen_address(listen, &host, &wanted)) {
    return Status::InvalidArgument("http.listen: expected host:port (port 0 to 65535), got '" + listen + "'");
  }
  std::unique_ptr<OpsServer> ops(new OpsServer());
  ops->options_ = options;
  ops->server_ = std::make_unique<httplib::Server>();
  httplib::Server& server = *ops->server_;
  const OpsServerOptions& o = ops->options_;

  if (!o.token.empty()) {
    server.set_pre_routing_handler([&o](const httplib::Request& req, httplib::Response& res) {
      // The health check and the (static) dashboard page are open; the data is not.
      if (req.path == "/health" || req.path == "/" || req.path == "/dashboard" ||
          req.get_header_value("Authorization") == "Bearer " + o.token) {
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
    res.set_content(prometheus_text(sample, unix_micros()), "text/plain; version=0.0.4; charset=utf-8");
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
    const nlohmann::json j = nlohmann::json::parse(req.body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return json_error(res, 400, "expected a JSON object", req.path);
    const auto text = [&j](const char* key) {
      const auto it = j.find(key);
      return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    int64_t expires_us = INT64_MAX;
    if (const auto it = j.find("expires_at"); it != j.end() && !it->is_null()) {
      if (!it->is_string() || parse_timestamp(it->get<std::string>(), TimestampFormat::kRfc3339, TimeZone(),
                                              &expires_us) != TimestampError::kOk) {
        return json_error(res, 400, "expires_at: expected an RFC 3339 time with an offset, or null", req.path);
      }
    }
    if (text("value").empty() || text("author").empty()) {
      return json_error(res, 400, "value and author are required strings", req.path);
    }
    if (Status s = o.lists->add(req.matches[1], text("value"), text("reason"), text("author"), expires_us); !s.ok()) {
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
  ops->url_ = "http://" + host + ":" + std::to_string(port);
  ops->thread_ = std::thread([&server] { server.listen_after_bind(); });
  *out = std::move(ops);
  return Status::Ok();
}

OpsServer::~OpsServer() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace pixguard
