#include "ops/ops_server.h"

#include <httplib.h>

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"

namespace pixguard {
namespace {

struct Answer {
  int status = 0;
  std::string body;
};

Answer get(const std::string& url, const std::string& path) {
  httplib::Client client(url);
  const auto res = client.Get(path);
  if (!res) return {};
  return {res->status, res->body};
}

// /health and /ready over real HTTP follow the pipeline's state, a stall included.
TEST(OpsServer, HealthAndReadinessFollowThePipelinesState) {
  LiveMetrics metrics;
  OpsServerOptions o;
  o.listen = "127.0.0.1:0";
  o.stall_after_us = 1'000'000;
  o.metrics = &metrics;
  std::unique_ptr<OpsServer> server;
  ASSERT_TRUE(OpsServer::start(o, &server).ok());
  const std::string url = server->url();

  Answer health = get(url, "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_NE(health.body.find("\"pipeline\":\"starting\""), std::string::npos) << health.body;
  EXPECT_EQ(get(url, "/ready").status, 503);

  MetricsSample sample;
  sample.restoring = true;
  sample.not_ready_reason = "restoring the checkpoint";
  sample.progress_unix_us = unix_micros() - 60'000'000;  // restoring: no progress expected
  metrics.publish(sample);
  health = get(url, "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_NE(health.body.find("\"pipeline\":\"restoring\""), std::string::npos) << health.body;
  Answer ready = get(url, "/ready");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("restoring the checkpoint"), std::string::npos) << ready.body;

  sample.restoring = false;
  sample.ready = true;
  sample.progress_unix_us = unix_micros();
  metrics.publish(sample);
  health = get(url, "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_NE(health.body.find("{\"status\":\"ok\",\"pipeline\":\"running\""), std::string::npos) << health.body;
  EXPECT_EQ(get(url, "/ready").status, 200);

  sample.progress_unix_us = unix_micros() - 2'000'000;  // the run loop silent past stall_after
  metrics.publish(sample);
  health = get(url, "/health");
  EXPECT_EQ(health.status, 503);
  EXPECT_NE(health.body.find("\"status\":\"stalled\""), std::string::npos) << health.body;
  ready = get(url, "/ready");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("pipeline stalled: no progress for 2 s"), std::string::npos) << ready.body;

  // A sink that committed other than what was counted: unhealthy while the loop still runs.
  sample.progress_unix_us = unix_micros();
  sample.accounting.sink_mismatches.push_back("sink x scored: committed 9 records by epoch 2, the accounting counts 10");
  metrics.publish(sample);
  health = get(url, "/health");
  EXPECT_EQ(health.status, 503);
  EXPECT_NE(health.body.find("\"status\":\"unbalanced\""), std::string::npos) << health.body;
  EXPECT_EQ(health.body.find("sink x"), std::string::npos) << "the open endpoint names no sink: " << health.body;

  // The run stopped on an epoch that could not commit.
  sample.accounting.sink_mismatches.clear();
  sample.epoch_failed = true;
  metrics.publish(sample);
  health = get(url, "/health");
  EXPECT_EQ(health.status, 503);
  EXPECT_NE(health.body.find("{\"status\":\"failed\",\"pipeline\":\"stopped\""), std::string::npos) << health.body;
}

TEST(OpsServer, BearerTokenMatchesOnlyTheWholeToken) {
  EXPECT_TRUE(bearer_token_matches("Bearer s3cret", "s3cret"));
  EXPECT_FALSE(bearer_token_matches("Bearer s3cre", "s3cret"));
  EXPECT_FALSE(bearer_token_matches("Bearer s3cret2", "s3cret"));
  EXPECT_FALSE(bearer_token_matches("bearer s3cret", "s3cret"));
  EXPECT_FALSE(bearer_token_matches("", "s3cret"));
  EXPECT_FALSE(bearer_token_matches("Bearer ", ""));
  EXPECT_FALSE(bearer_token_matches("", ""));
}

TEST(OpsServer, RefusesAnAddressReachableFromElsewhereWithoutAToken) {
  LiveMetrics metrics;
  OpsServerOptions o;
  o.metrics = &metrics;
  std::unique_ptr<OpsServer> server;
  for (const char* listen : {"0.0.0.0:0", "10.0.0.1:0", "[::]:0"}) {
    o.listen = listen;
    const Status s = OpsServer::start(o, &server);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << listen;
    EXPECT_NE(s.message().find("set http.token"), std::string::npos) << s.message();
  }
  o.listen = "0.0.0.0:0";
  o.token = "t";
  EXPECT_TRUE(OpsServer::start(o, &server).ok()) << "with a token";
  o.token.clear();
  o.listen = "127.0.0.1:0";
  o.tls_cert = "/nonexistent/cert.pem";
  o.tls_key = "/nonexistent/key.pem";
  const Status s = OpsServer::start(o, &server);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("http.tls"), std::string::npos) << s.message();
}

// A raw TCP connection to the server; -1 when it cannot connect.
int connect_to(const std::string& url) {
  const int port = std::stoi(url.substr(url.rfind(':') + 1));
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string send_and_read(int fd, const std::string& request) {
  (void)!::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string answer;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof(buf), 0)) > 0;) answer.append(buf, static_cast<std::size_t>(n));
  return answer;
}

// Idle and byte-dripping connections, more of them than workers and past the connection cap,
// do not keep /health from answering at once; the oldest waiting ones make room with 503.
TEST(OpsServer, SlowClientsDoNotStarveHealth) {
  LiveMetrics metrics;
  OpsServerOptions o;
  o.listen = "127.0.0.1:0";
  o.metrics = &metrics;
  o.limits.threads = 2;
  o.limits.max_connections = 64;
  o.limits.read_timeout_us = 2'000'000;
  std::unique_ptr<OpsServer> server;
  ASSERT_TRUE(OpsServer::start(o, &server).ok());
  std::vector<int> held;
  for (int i = 0; i < 100; ++i) {
    const int fd = connect_to(server->url());
    ASSERT_GE(fd, 0);
    if (i % 2 == 1) (void)!::send(fd, "GET /health HTTP/1.1\r\nX-", 25, MSG_NOSIGNAL);  // never finished
    held.push_back(fd);
  }
  for (int probe = 0; probe < 10; ++probe) {
    const auto start = std::chrono::steady_clock::now();
    const Answer health = get(server->url(), "/health");
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    EXPECT_EQ(health.status, 200) << "probe " << probe;
    EXPECT_LT(ms.count(), 100) << "probe " << probe;
    for (int i = 1; i < 100; i += 2) (void)!::send(held[static_cast<std::size_t>(i)], "a", 1, MSG_NOSIGNAL);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_GE(server->counters().evicted.load(), 36u) << "100 held, a cap of 64";
  // A request still dripping past read_timeout gets 408.
  const int late = connect_to(server->url());
  (void)!::send(late, "GET /health HTTP/1.1\r\n", 22, MSG_NOSIGNAL);
  std::this_thread::sleep_for(std::chrono::milliseconds(2300));
  const std::string answer = send_and_read(late, "Host: x\r\n");
  EXPECT_EQ(answer.rfind("HTTP/1.1 408", 0), 0u) << answer;
  ::close(late);
  for (const int fd : held) ::close(fd);
  EXPECT_EQ(get(server->url(), "/health").status, 200);
}

TEST(OpsServer, BodiesAndHeadsOverTheLimitsAreRefused) {
  LiveMetrics metrics;
  OpsServerOptions o;
  o.listen = "127.0.0.1:0";
  o.metrics = &metrics;
  o.limits.max_body = 1000;
  std::unique_ptr<OpsServer> server;
  ASSERT_TRUE(OpsServer::start(o, &server).ok());
  int fd = connect_to(server->url());
  std::string answer = send_and_read(fd, "POST /api/lists/x HTTP/1.1\r\nContent-Length: 100000000\r\n\r\n");
  EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer;
  ::close(fd);
  fd = connect_to(server->url());
  answer = send_and_read(fd, "GET /health HTTP/1.1\r\nX-Big: " + std::string(20'000, 'a') + "\r\n\r\n");
  EXPECT_EQ(answer.rfind("HTTP/1.1 431", 0), 0u) << answer.substr(0, 100);
  ::close(fd);
  httplib::Client client(server->url());
  const auto chunked = client.Post("/api/lists/x", [](size_t offset, httplib::DataSink& sink) {
    const std::string part(1000, 'x');
    sink.write(part.data(), part.size());
    if (offset + part.size() >= 5000) sink.done();
    return true;
  }, "application/json");
  ASSERT_TRUE(chunked);
  EXPECT_EQ(chunked->status, 411) << "chunked: a length is required";
  // Keep-alive: several requests on one connection.
  httplib::Client kept(server->url());
  kept.set_keep_alive(true);
  for (int i = 0; i < 3; ++i) {
    const auto res = kept.Get("/health");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
  }
  EXPECT_EQ(get(server->url(), "/health").status, 200);
}

// POST /api/lists/{name} reads its body through parse_list_entry_request (lists/list_request.h).
TEST(OpsServer, ListPostTakesAnEntryAndRefusesABadBody) {
  const std::string journal = ::testing::TempDir() + "/ops_server_test_lists.jsonl";
  std::remove(journal.c_str());
  std::unique_ptr<ListStore> lists;
  ASSERT_TRUE(ListStore::open({{"blocked", Field::kPayeeKey}}, journal, &lists).ok());
  LiveMetrics metrics;
  OpsServerOptions o;
  o.listen = "127.0.0.1:0";
  o.metrics = &metrics;
  o.lists = lists.get();
  std::unique_ptr<OpsServer> server;
  ASSERT_TRUE(OpsServer::start(o, &server).ok());
  httplib::Client client(server->url());
  auto res = client.Post("/api/lists/blocked", R"({"value":"k@x","author":"ana","reason":"r"})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 201) << res->body;
  res = client.Post("/api/lists/blocked", R"({"value":"k@x"})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_NE(res->body.find("value and author are required"), std::string::npos) << res->body;
  res = client.Post("/api/lists/blocked", "not json", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  res = client.Get("/api/lists/blocked");
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find("k@x"), std::string::npos) << res->body;
}

}  // namespace
}  // namespace pixguard
