#include "cli/streaming_setup.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>

#include "core/clock.h"
#include "core/log.h"
#include "sinks/delta_sink.h"
#include "sinks/jsonl_file_sink.h"
#include "sinks/kafka_sink.h"
#include "sources/kafka_source.h"

namespace pixguard::cli {
namespace {

bool reads_kafka(const Config& config) { return config.source.type == SourceConfig::Type::kKafka; }

// The checkpoint directory of this process (see Checkpointing).
std::string instance_dir(const Config& config, const std::string& instance) {
  const std::string dir = config.checkpoint.dir.empty() ? "data/checkpoints" : config.checkpoint.dir;
  return reads_kafka(config) ? dir + "/instances/" + instance : dir;
}

// The Kafka outputs of the config, when it names a cluster and at least one output topic.
Status add_kafka_sink(const Config& config, bool overwrite, Job* job, KafkaSink** added) {
  const KafkaConfig& k = config.kafka;
  const bool repartition = config.payee_state == Config::PayeeState::kRepartition;
  const std::array<std::string, kOutputCount> topics = {k.scored_topic, k.alerts_topic, k.dead_letter_topic,
                                                        repartition ? k.payee_topic : ""};
  if (k.bootstrap_servers.empty() || std::all_of(topics.begin(), topics.end(), [](const auto& t) { return t.empty(); })) {
    return Status::Ok();
  }
  KafkaSinkOptions o;
  o.topics = topics;
  o.bootstrap_servers = k.bootstrap_servers;
  o.properties = k.properties;
  for (const auto& [name, value] : k.producer_properties) o.properties[name] = value;
  o.exactly_once = k.delivery == KafkaConfig::Delivery::kExactlyOnce;
  o.transactional_id = "pixguard-" + config.pipeline_id + "-" + k.instance;
  // Beside the checkpoints it answers to (the config requires them for exactly once).
  o.commit_log_path = instance_dir(config, k.instance) + "/kafka-commits.log";
  o.input = dynamic_cast<KafkaSource*>(job->source.get());
  std::unique_ptr<KafkaSink> sink;
  if (Status s = KafkaSink::open(std::move(o), &sink); !s.ok()) return s;
  if (overwrite) {
    if (Status s = sink->clear(); !s.ok()) return s;
  }
  for (const Output kind : {Output::kScored, Output::kAlerts, Output::kDeadLetters, Output::kPayees}) {
    if (!topics[static_cast<std::size_t>(kind)].empty()) job->pipeline->add_sink(kind, sink.get());
  }
  if (repartition) {
    // Clocks go to every payee partition, and the payee stages wait for every input partition.
    int32_t inputs = 0, payees = 0;
    if (Status s = sink->partition_count(k.input_topics[0], &inputs); !s.ok()) return s;
    if (Status s = sink->partition_count(k.payee_topic, &payees); !s.ok()) {
      return s.with_context("kafka.payee_topic (state.payees: repartition) must exist");
    }
    job->pipeline->set_payee_topic(inputs, payees);
    log(LogLevel::kInfo, "payee features by repartition: " + std::to_string(inputs) + " input partitions, " +
                             k.payee_topic + " with " + std::to_string(payees));
  }
  *added = sink.get();
  job->sinks.push_back(std::move(sink));
  return Status::Ok();
}

Status set_up_part_checkpoints(const Config& config, const KafkaSink* kafka, Checkpointing* out) {
  out->parts = std::make_unique<PartCheckpoints>(config.checkpoint.dir + "/instances", config.kafka.instance,
                                                 config.pipeline_id);
  out->writer.instance = config.kafka.instance;
  if (kafka != nullptr && !kafka->commit_survives_crash()) {
    out->writer.run = kafka->run_id();
    out->writer.needs_commit_record = true;
  }
  out->committed = [cfg = &config](const PartWriter& w) {
    if (!w.needs_commit_record) return true;
    std::vector<CommittedEpoch> commits;
    const std::string path = instance_dir(*cfg, w.instance) + "/kafka-commits.log";
    if (Status s = KafkaCommitLog::read(path, &commits); !s.ok()) {
      log(LogLevel::kError, s.message());
      return false;
    }
    return std::any_of(commits.begin(), commits.end(),
                       [&w](const CommittedEpoch& c) { return c.run == w.run && c.epoch == w.epoch; });
  };
  return Status::Ok();
}

}  // namespace

Status set_up_streaming(const Config& config, bool overwrite, Job* job, Checkpointing* checkpoints) {
  if (overwrite && reads_kafka(config) && !config.checkpoint.dir.empty()) {
    // Every member's checkpoints: parts would otherwise be restored from another's.
    std::error_code ec;
    std::filesystem::remove_all(config.checkpoint.dir + "/instances", ec);
    if (ec) return Status::IoError("checkpoint.dir " + config.checkpoint.dir + ": " + ec.message());
  }
  if (!config.checkpoint.dir.empty()) {
    checkpoints->store = std::make_unique<CheckpointStore>(instance_dir(config, config.kafka.instance),
                                                           config.checkpoint.keep);
    if (Status s = checkpoints->store->open(); !s.ok()) return s;
    if (overwrite) {
      if (Status s = checkpoints->store->clear(); !s.ok()) return s;
    }
  }
  KafkaSink* kafka = nullptr;
  if (Status s = add_kafka_sink(config, overwrite, job, &kafka); !s.ok()) return s;
  if (reads_kafka(config) && !config.checkpoint.dir.empty()) {
    if (Status s = set_up_part_checkpoints(config, kafka, checkpoints); !s.ok()) return s;
  }
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
  if (!config.sinks.table_dir.empty()) {
    DeltaSinkOptions o;
    o.table_dir = config.sinks.table_dir;
    o.app_id = "pixguard-" + config.pipeline_id + "-" + config.kafka.instance;
    o.codec = config.sinks.table_codec == SinksConfig::TableCodec::kZstd           ? parquet::Codec::kZstd
              : config.sinks.table_codec == SinksConfig::TableCodec::kUncompressed ? parquet::Codec::kUncompressed
                                                                                   : parquet::Codec::kSnappy;
    o.target_file_bytes = config.sinks.table_file_bytes;
    o.features = config.features;
    o.rules = config.decision.rules;
    o.thresholds = config.decision;
    std::unique_ptr<DeltaSink> sink;
    if (Status s = DeltaSink::open(std::move(o), &sink); !s.ok()) return s;
    if (overwrite) {
      if (Status s = sink->clear(); !s.ok()) return s;
    }
    job->pipeline->add_sink(Output::kScored, sink.get());
    job->sinks.push_back(std::move(sink));
  }
  return Status::Ok();
}

Status start_operations(const Config& config, Job* job, Operations* ops, PreauthSource* preauth) {
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
  o.tls_cert = config.http.tls_cert;
  o.tls_key = config.http.tls_key;
  o.limits.read_timeout_us = config.http.read_timeout_us;
  o.limits.write_timeout_us = config.http.write_timeout_us;
  o.limits.keep_alive_timeout_us = config.http.keep_alive_timeout_us;
  o.limits.keep_alive_requests = config.http.keep_alive_requests;
  o.limits.max_connections = config.http.max_connections;
  o.limits.threads = config.http.threads;
  o.limits.max_queued = config.http.max_queued;
  o.limits.max_body = config.http.max_body;
  o.stall_after_us = config.http.stall_after_us;
  o.metrics = &ops->metrics;
  o.decisions = ops->decisions.get();
  o.alerts = ops->alerts.get();
  o.history = ops->history.get();
  o.alerter = ops->alerter.get();
  o.lists = job->lists.get();
  o.preauth = preauth;
  if (Status s = OpsServer::start(o, &ops->server); !s.ok()) return s.with_context(config.path);
  const std::string& url = ops->server->url();
  std::fprintf(stderr, "pixguard: operations endpoint at %s (%s/metrics, %s/ready, %s/api/alerts)\n", url.c_str(),
               url.c_str(), url.c_str(), url.c_str());
  return Status::Ok();
}

}  // namespace pixguard::cli
