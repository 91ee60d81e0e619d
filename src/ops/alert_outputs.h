#pragma once
// Where threshold-alert events go (ThresholdAlerter::Output): the log, a webhook, a Kafka
// topic. Each is called on the history thread with the event's JSON; a failure to deliver
// is logged and the event is not retried (the API keeps the latest events).
#include <memory>
#include <string>

#include "core/status.h"
#include "kafka/kafka_handle.h"
#include "ops/threshold_alerter.h"

namespace pixguard {

ThresholdAlerter::Output log_alert_output();

// POSTs the JSON to `url` (http://host:port/path), waiting at most 2 s.
ThresholdAlerter::Output webhook_alert_output(const std::string& url);

// Produces each event to `topic`, keyed by the alert's name (not transactional: an
// operational signal, not a decision).
class KafkaAlertOutput {
 public:
  static Status open(const std::string& bootstrap_servers, const KafkaProperties& properties, const std::string& topic,
                     std::unique_ptr<KafkaAlertOutput>* out);
  ~KafkaAlertOutput();
  ThresholdAlerter::Output output();

 private:
  KafkaAlertOutput() = default;
  KafkaClientPtr producer_;
  std::string topic_;
};

}  // namespace pixguard
