#include "kafka/kafka_handle.h"

#include "core/log.h"

namespace pixguard {
namespace {

// librdkafka logs with syslog levels (0 emergency .. 7 debug).
void log_to_pixguard(const rd_kafka_t* rk, int level, const char* facility, const char* text) {
  const LogLevel ours = level <= 3 ? LogLevel::kError : level == 4 ? LogLevel::kWarn : level <= 6 ? LogLevel::kInfo
                                                                                                   : LogLevel::kDebug;
  log(ours, std::string("kafka ") + rd_kafka_name(rk) + " " + facility + ": " + text);
}

}  // namespace

Status set_kafka_property(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    return Status::InvalidArgument("kafka property '" + name + "': " + errstr);
  }
  return Status::Ok();
}

Status make_kafka_conf(const KafkaProperties& properties, KafkaConfPtr* out) {
  KafkaConfPtr conf(rd_kafka_conf_new());
  rd_kafka_conf_set_log_cb(conf.get(), log_to_pixguard);
  for (const auto& [name, value] : properties) {
    if (Status s = set_kafka_property(conf.get(), name, value); !s.ok()) return s;
  }
  *out = std::move(conf);
  return Status::Ok();
}

Status new_kafka_client(rd_kafka_type_t type, KafkaConfPtr& conf, KafkaClientPtr* out) {
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), errstr, sizeof errstr);
  if (rk == nullptr) return Status::InvalidArgument(std::string("kafka client: ") + errstr);
  (void)conf.release();  // now owned by rk
  out->reset(rk);
  return Status::Ok();
}

const char* reserved_kafka_property(std::string_view name) {
  if (name == "bootstrap.servers" || name == "metadata.broker.list") return "set kafka.bootstrap_servers instead";
  if (name == "group.id") return "set kafka.group_id instead";
  if (name == "enable.auto.commit" || name == "enable.auto.offset.store") {
    return "pixguard stores and commits offsets itself, with its checkpoints";
  }
  if (name == "isolation.level") return "pixguard reads committed messages only (read_committed)";
  if (name == "transactional.id") return "pixguard derives it from pipeline.id";
  return nullptr;
}

Status topic_partition_count(rd_kafka_t* client, const std::string& topic, int timeout_ms, int32_t* count) {
  rd_kafka_topic_t* handle = rd_kafka_topic_new(client, topic.c_str(), nullptr);
  if (handle == nullptr) return Status::InvalidArgument("topic " + topic + ": " + rd_kafka_err2str(rd_kafka_last_error()));
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(client, 0, handle, &md, timeout_ms);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    err = md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) *count = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
  }
  rd_kafka_topic_destroy(handle);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return Status::IoError("topic " + topic + ": " + rd_kafka_err2str(err));
  if (*count <= 0) return Status::IoError("topic " + topic + " has no partitions");
  return Status::Ok();
}

std::string describe_partition_error(const rd_kafka_topic_partition_t& p) {
  return std::string(p.topic) + " [" + std::to_string(p.partition) + "]: " + rd_kafka_err2str(p.err);
}

}  // namespace pixguard
