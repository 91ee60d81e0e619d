#include "ops/alert_outputs.h"

#include <httplib.h>

#include "core/log.h"

namespace pixguard {
namespace {

// The "alert" field of an event (for the Kafka key).
std::string alert_name(const std::string& event) {
  constexpr std::string_view kKey = "{\"alert\":\"";
  if (event.rfind(kKey, 0) != 0) return {};
  return event.substr(kKey.size(), event.find('"', kKey.size()) - kKey.size());
}

}  // namespace

ThresholdAlerter::Output log_alert_output() {
  return [](const std::string& event) { log(LogLevel::kWarn, "threshold alert: " + event); };
}

ThresholdAlerter::Output webhook_alert_output(const std::string& url) {
  const std::size_t path_at = url.find('/', 7);  // after "http://"
  const std::string host = url.substr(0, path_at), path = url.substr(path_at);
  return [host, path, url](const std::string& event) {
    httplib::Client client(host);
    client.set_connection_timeout(2);
    client.set_read_timeout(2);
    client.set_write_timeout(2);
    const httplib::Result r = client.Post(path, event, "application/json");
    if (!r) {
      log(LogLevel::kError, "threshold alert webhook " + url + ": " + httplib::to_string(r.error()));
    } else if (r->status < 200 || r->status > 299) {
      log(LogLevel::kError, "threshold alert webhook " + url + ": HTTP " + std::to_string(r->status));
    }
  };
}

Status KafkaAlertOutput::open(const std::string& bootstrap_servers, const KafkaProperties& properties,
                              const std::string& topic, std::unique_ptr<KafkaAlertOutput>* out) {
  KafkaProperties p = properties;
  p["bootstrap.servers"] = bootstrap_servers;
  KafkaConfPtr conf;
  if (Status s = make_kafka_conf(p, &conf); !s.ok()) return s.with_context("alerting.kafka_topic");
  std::unique_ptr<KafkaAlertOutput> o(new KafkaAlertOutput());
  if (Status s = new_kafka_client(RD_KAFKA_PRODUCER, conf, &o->producer_); !s.ok()) {
    return s.with_context("alerting.kafka_topic");
  }
  o->topic_ = topic;
  *out = std::move(o);
  return Status::Ok();
}

KafkaAlertOutput::~KafkaAlertOutput() {
  if (producer_) rd_kafka_flush(producer_.get(), 2'000);
}

ThresholdAlerter::Output KafkaAlertOutput::output() {
  return [this](const std::string& event) {
    const std::string key = alert_name(event);
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        producer_.get(), RD_KAFKA_V_TOPIC(topic_.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(key.data(), key.size()), RD_KAFKA_V_VALUE(const_cast<char*>(event.data()), event.size()),
        RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      log(LogLevel::kError, "threshold alert to Kafka topic " + topic_ + ": " + rd_kafka_err2str(err));
    }
    rd_kafka_poll(producer_.get(), 0);
  };
}

}  // namespace pixguard
