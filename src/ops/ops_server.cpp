#include "ops/ops_server.h"

#include <httplib.h>

#include <chrono>

#include "core/json_writer.h"
#include "ops/prometheus_text.h"

namespace pixguard {
namespace {

int64_t unix_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

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

}  // namespace

Status OpsServer::start(const std::string& listen, const LiveMetrics* metrics, std::unique_ptr<OpsServer>* out) {
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return Status::InvalidArgument("http.listen: expected host:port, got '" + listen + "'");
  const std::string host = listen.substr(0, colon);
  const int wanted = std::stoi(listen.substr(colon + 1));
  std::unique_ptr<OpsServer> ops(new OpsServer());
  ops->server_ = std::make_unique<httplib::Server>();
  httplib::Server& server = *ops->server_;

  server.Get("/metrics", [metrics](const httplib::Request&, httplib::Response& res) {
    MetricsSample sample;
    (void)metrics->snapshot(&sample);
    res.set_content(prometheus_text(sample, unix_micros()), "text/plain; version=0.0.4; charset=utf-8");
  });
  server.Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"status\":\"ok\"}", "application/json");
  });
  server.Get("/ready", [metrics](const httplib::Request&, httplib::Response& res) {
    MetricsSample sample;
    const bool published = metrics->snapshot(&sample);
    if (published && sample.ready) {
      res.set_content("{\"ready\":true,\"epoch\":" + std::to_string(sample.epoch) + "}", "application/json");
      return;
    }
    std::string body = json_object({{"reason", published ? sample.not_ready_reason : std::string("starting")}});
    body.insert(1, "\"ready\":false,");
    res.status = 503;
    res.set_content(body, "application/json");
  });
  for (const char* path : {"/metrics", "/health", "/ready"}) {
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
    if (res.status == 404) json_error(res, 404, "no such endpoint (try /metrics, /health, /ready)", req.path);
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
