#include "cli/streaming_setup.h"

#include <array>
#include <cstdio>
#include <string>
#include <utility>

#include "core/clock.h"
#include "sinks/jsonl_file_sink.h"
#include "sinks/kafka_sink.h"
#include "sources/kafka_source.h"

namespace pixguard::cli {
namespace {

// The Kafka outputs of the config, when it names a cluster and at least one output topic.
Status add_kafka_sink(const Config& config, bool overwrite, Job* job) {
  const KafkaConfig& k = config.kafka;
  const std::array<std::string, 3> topics = {k.scored_topic, k.alerts_topic, k.dead_letter_topic};
  if (k.bootstrap_servers.empty() || (topics[0].empty() && topics[1].empty() && topics[2].empty())) {
    return Status::Ok();
  }
  KafkaSinkOptions o;
  o.topics = topics;
  o.bootstrap_servers = k.bootstrap_servers;
  o.properties = k.properties;
  for (const auto& [name, value] : k.producer_properties) o.properties[name] = value;
  o.exactly_once = k.delivery == KafkaConfig::Delivery::kExactlyOnce;
  o.transactional_id = "pixguard-" + config.pipeline_id;
  // Beside the checkpoints it answers to (the config requires them for exactly once).
  const std::string dir = config.checkpoint.dir.empty() ? "data/checkpoints" : config.checkpoint.dir;
  o.commit_log_path = dir + "/kafka-commits.log";
  o.input = dynamic_cast<KafkaSource*>(job->source.get());
  std::unique_ptr<KafkaSink> sink;
  if (Status s = KafkaSink::open(std::move(o), &sink); !s.ok()) return s;
  if (overwrite) {
    if (Status s = sink->clear(); !s.ok()) return s;
  }
  for (const Output kind : {Output::kScored, Output::kAlerts, Output::kDeadLetters}) {
    if (!topics[static_cast<std::size_t>(kind)].empty()) job->pipeline->add_sink(kind, sink.get());
  }
  job->sinks.push_back(std::move(sink));
  return Status::Ok();
}

}  // namespace

Status set_up_streaming(const Config& config, bool overwrite, Job* job, std::unique_ptr<CheckpointStore>* checkpoints) {
  if (!config.checkpoint.dir.empty()) {
    *checkpoints = std::make_unique<CheckpointStore>(config.checkpoint.dir, config.checkpoint.keep);
    if (Status s = (*checkpoints)->open(); !s.ok()) return s;
    if (overwrite) {
      if (Status s = (*checkpoints)->clear(); !s.ok()) return s;
    }
  }
  if (Status s = add_kafka_sink(config, overwrite, job); !s.ok()) return s;
  const std::pair<Output, const std::string*> outputs[] = {{Output::kScored, &config.sinks.scored_dir},
                                                           {Output::kAlerts, &config.sinks.alerts_dir},
                                                           {Output::kDeadLetters, &config.sinks.dead_letter_dir}};
  for (const auto& [kind, dir] : outputs) {
    if (dir->empty()) continue;
    std::unique_ptr<JsonlFileSink> sink;
    if (Status s = JsonlFileSink::open(*dir, *dir, &sink); !s.ok()) return s;
    if (overwrite) {
      if (Status s = sink->clear(); !s.ok()) return s;
    }
    job->pipeline->add_sink(kind, sink.get());
    job->sinks.push_back(std::move(sink));
  }
  return Status::Ok();
}

Status start_operations(const Config& config, Job* job, Operations* ops) {
  if (config.http.listen.empty() && config.alerting.rules.empty()) return Status::Ok();
  ops->history = std::make_unique<MetricsHistory>(&ops->metrics);
  if (!config.alerting.rules.empty()) {
    std::vector<ThresholdAlerter::Output> outputs = {log_alert_output()};
    if (!config.alerting.webhook.empty()) outputs.push_back(webhook_alert_output(config.alerting.webhook));
    if (!config.kafka.bootstrap_servers.empty() && !config.alerting.kafka_topic.empty()) {
      KafkaProperties properties = config.kafka.properties;
      for (const auto& [name, value] : config.kafka.producer_properties) properties[name] = value;
      if (Status s = KafkaAlertOutput::open(config.kafka.bootstrap_servers, properties, config.alerting.kafka_topic,
                                            &ops->alert_topic);
          !s.ok()) {
        return s.with_context(config.path);
      }
      outputs.push_back(ops->alert_topic->output());
    }
    ops->alerter = std::make_unique<ThresholdAlerter>(config.alerting.rules, std::move(outputs));
  }
  ThresholdAlerter* alerter = ops->alerter.get();
  ops->history->start([alerter](const MetricsHistory& history) {
    if (alerter == nullptr) return;
    alerter->evaluate(history.last(alerter->seconds_needed()), unix_micros());
  });
  if (config.http.listen.empty()) return Status::Ok();
  ops->decisions = std::make_unique<RecentRecords>(config.http.recent_decisions);
  ops->alerts = std::make_unique<RecentRecords>(config.http.recent_alerts);
  auto decisions = std::make_unique<RecentRecordsSink>("api:decisions", ops->decisions.get());
  auto alerts = std::make_unique<RecentRecordsSink>("api:alerts", ops->alerts.get());
  job->pipeline->add_sink(Output::kScored, decisions.get());
  job->pipeline->add_sink(Output::kAlerts, alerts.get());
  job->sinks.push_back(std::move(decisions));
  job->sinks.push_back(std::move(alerts));
  OpsServerOptions o;
  o.listen = config.http.listen;
  o.token = config.http.token;
  o.metrics = &ops->metrics;
  o.decisions = ops->decisions.get();
  o.alerts = ops->alerts.get();
  o.history = ops->history.get();
  o.alerter = ops->alerter.get();
  if (Status s = OpsServer::start(o, &ops->server); !s.ok()) return s.with_context(config.path);
  const std::string& url = ops->server->url();
  std::fprintf(stderr, "pixguard: operations endpoint at %s (%s/metrics, %s/ready, %s/api/alerts)\n", url.c_str(),
               url.c_str(), url.c_str(), url.c_str());
  return Status::Ok();
}

}  // namespace pixguard::cli
