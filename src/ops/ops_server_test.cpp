#include "ops/ops_server.h"

#include <httplib.h>

#include <gtest/gtest.h>

#include <string>

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

}  // namespace
}  // namespace pixguard
