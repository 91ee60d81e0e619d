#include "sources/kafka_source.h"

#include <algorithm>
#include <cstring>

#include "core/log.h"

namespace pixguard {
namespace {

// Waits for the broker in calls that must finish before read() goes on (seek, committed).
constexpr int kBrokerWaitMs = 10'000;

// "pix.transactions [0,1,2], pix.alerts [3]" for logs.
std::string describe(const rd_kafka_topic_partition_list_t& list) {
  std::string out, topic;
  for (int i = 0; i < list.cnt; ++i) {
    const rd_kafka_topic_partition_t& p = list.elems[i];
    if (topic != p.topic) {
      if (!topic.empty()) out += "], ";
      topic = p.topic;
      out += topic + " [";
    } else {
      out += ",";
    }
    out += std::to_string(p.partition);
  }
  return out.empty() ? "none" : out + "]";
}

}  // namespace

KafkaSource::KafkaSource(KafkaSourceOptions options) : options_(std::move(options)) {
  name_ = "kafka:";
  for (std::size_t i = 0; i < options_.topics.size(); ++i) name_ += (i > 0 ? "," : "") + options_.topics[i];
}

Status KafkaSource::open(KafkaSourceOptions options, std::unique_ptr<KafkaSource>* out) {
  if (options.bootstrap_servers.empty()) return Status::InvalidArgument("kafka source: no bootstrap servers");
  if (options.topics.empty()) return Status::InvalidArgument("kafka source: no input topics");
  if (options.group_id.empty()) return Status::InvalidArgument("kafka source: empty consumer group id");
  KafkaProperties properties = {{"auto.offset.reset", "earliest"}};
  for (const auto& [name, value] : options.properties) {
    if (const char* why = reserved_kafka_property(name)) {
      return Status::InvalidArgument("kafka property '" + name + "': " + why);
    }
    properties[name] = value;
  }
  properties["bootstrap.servers"] = options.bootstrap_servers;
  properties["group.id"] = options.group_id;
  // Offsets live in pixguard's checkpoints; the group's move only by commit().
  properties["enable.auto.commit"] = "false";
  properties["enable.auto.offset.store"] = "false";
  // Exactly once end to end: messages of aborted (or still open) transactions are never input.
  properties["isolation.level"] = "read_committed";
  if (options.stop_at_end) properties["enable.partition.eof"] = "true";
  KafkaConfPtr conf;
  if (Status s = make_kafka_conf(properties, &conf); !s.ok()) return s.with_context("kafka source");

  std::unique_ptr<KafkaSource> source(new KafkaSource(std::move(options)));
  rd_kafka_conf_set_opaque(conf.get(), source.get());
  rd_kafka_conf_set_rebalance_cb(conf.get(), rebalance_callback);
  if (Status s = new_kafka_client(RD_KAFKA_CONSUMER, conf, &source->consumer_); !s.ok()) {
    return s.with_context("kafka source");
  }
  rd_kafka_t* rk = source->consumer_.get();
  // One queue for messages, errors and the rebalance callback, all served by read().
  rd_kafka_poll_set_consumer(rk);
  PartitionListPtr topics(rd_kafka_topic_partition_list_new(static_cast<int>(source->options_.topics.size())));
  for (const std::string& t : source->options_.topics) {
    rd_kafka_topic_partition_list_add(topics.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  }
  if (const rd_kafka_resp_err_t err = rd_kafka_subscribe(rk, topics.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::InvalidArgument(source->name_ + ": subscribe: " + rd_kafka_err2str(err));
  }
  log(LogLevel::kInfo, source->name_ + ": joining consumer group '" + source->options_.group_id + "' at " +
                           source->options_.bootstrap_servers);
  *out = std::move(source);
  return Status::Ok();
}

KafkaSource::~KafkaSource() {
  // Leaving the group lets the others take the partitions at once rather than after
  // session.timeout.ms. Runs the rebalance callback (revocation) on this thread.
  if (consumer_) {
    if (const rd_kafka_resp_err_t err = rd_kafka_consumer_close(consumer_.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      log(LogLevel::kWarn, name_ + ": leaving the consumer group: " + rd_kafka_err2str(err));
    }
  }
}

void KafkaSource::rebalance_callback(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions,
                                     void* opaque) {
  static_cast<KafkaSource*>(opaque)->on_rebalance(err, partitions);
}

std::size_t KafkaSource::index_of(std::string_view topic, int32_t partition) {
  for (std::size_t i = 0; i < partitions_.size(); ++i) {
    if (partitions_[i].id.partition == partition && partitions_[i].id.topic == topic) return i;
  }
  partitions_.push_back({TopicPartition{std::string(topic), partition}});
  return partitions_.size() - 1;
}

void KafkaSource::on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions) {
  rd_kafka_t* rk = consumer_.get();
  // The group's protocol follows partition.assignment.strategy: cooperative assignors hand
  // out and take back partitions incrementally, eager ones replace the whole assignment.
  const char* protocol = rd_kafka_rebalance_protocol(rk);
  const bool cooperative = protocol != nullptr && std::strcmp(protocol, "COOPERATIVE") == 0;
  KafkaErrorPtr error;
  rd_kafka_resp_err_t assign_err = RD_KAFKA_RESP_ERR_NO_ERROR;
  last_topic_ = nullptr;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    // Where each partition starts: our own position when we have one (from seek() or from
    // reading it before), else librdkafka's default (committed offset, else the reset).
    // With a listener, the partitions' checkpointed positions decide instead.
    if (listener_ != nullptr) {
      std::vector<SourcePart> parts = parts_of(*partitions);
      if (Status s = listener_->parts_assigned(&parts); !s.ok()) {
        failure_ = s;
        return;  // assigns nothing: read() returns the failure and the run stops
      }
      for (const SourcePart& part : parts) partitions_[part.id].next_offset = part.next_position;
    }
    for (int i = 0; i < partitions->cnt; ++i) {
      rd_kafka_topic_partition_t& e = partitions->elems[i];
      PartitionState& p = partitions_[index_of(e.topic, e.partition)];
      p.assigned = true;
      p.at_end = false;
      if (p.next_offset >= 0) e.offset = p.next_offset;
    }
    log(LogLevel::kInfo, name_ + ": assigned " + describe(*partitions));
    if (cooperative) {
      error.reset(rd_kafka_incremental_assign(rk, partitions));
    } else {
      assign_err = rd_kafka_assign(rk, partitions);
    }
  } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
    const bool lost = rd_kafka_assignment_lost(rk) != 0;
    log(LogLevel::kInfo, name_ + ": revoked " + describe(*partitions) + (lost ? " (assignment lost)" : ""));
    if (listener_ != nullptr) {
      // Lost: another member may already be reading these partitions from their last
      // checkpoint, so finishing our epoch now would write its output twice. Stopping lets
      // a restart resume from the checkpoints.
      if (lost) {
        failure_ = Status::IoError(name_ + ": partitions " + describe(*partitions) +
                                   " were lost to the group (session timed out); stopping without committing "
                                   "the open epoch, a restart resumes from the checkpoints");
      } else if (Status s = listener_->parts_revoked(parts_of(*partitions)); !s.ok()) {
        failure_ = s;
      }
      // Whoever is given them next resumes from their checkpoints, not from where we were.
      for (int i = 0; i < partitions->cnt; ++i) {
        partitions_[index_of(partitions->elems[i].topic, partitions->elems[i].partition)].next_offset = -1;
      }
    }
    if (cooperative) {
      for (int i = 0; i < partitions->cnt; ++i) {
        partitions_[index_of(partitions->elems[i].topic, partitions->elems[i].partition)].assigned = false;
      }
      error.reset(rd_kafka_incremental_unassign(rk, partitions));
    } else {
      for (PartitionState& p : partitions_) p.assigned = false;
      assign_err = rd_kafka_assign(rk, nullptr);
    }
  } else {
    log(LogLevel::kWarn, name_ + ": rebalance failed: " + rd_kafka_err2str(err));
    for (PartitionState& p : partitions_) p.assigned = false;
    assign_err = rd_kafka_assign(rk, nullptr);
  }
  if (!failure_.ok()) return;
  if (error) {
    failure_ = Status::IoError(name_ + ": rebalance: " + rd_kafka_error_string(error.get()));
  } else if (assign_err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    failure_ = Status::IoError(name_ + ": rebalance: " + rd_kafka_err2str(assign_err));
  }
}

Status KafkaSource::on_consumer_error(const rd_kafka_message_t& m) {
  std::string where;
  if (m.rkt != nullptr) where = std::string(rd_kafka_topic_name(m.rkt)) + " [" + std::to_string(m.partition) + "]: ";
  switch (m.err) {
    case RD_KAFKA_RESP_ERR__PARTITION_EOF:  // only with stop_at_end (enable.partition.eof)
      if (m.rkt != nullptr) partitions_[index_of(rd_kafka_topic_name(m.rkt), m.partition)].at_end = true;
      return Status::Ok();
    case RD_KAFKA_RESP_ERR__FATAL: {
      char text[512];
      rd_kafka_fatal_error(consumer_.get(), text, sizeof text);
      return Status::IoError(name_ + ": fatal: " + text);
    }
    // Retrying cannot help: an operator must grant access.
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
      return Status::IoError(name_ + ": " + where + rd_kafka_message_errstr(&m));
    default:
      // Transient (a broker restarting, a topic not created yet): librdkafka retries.
      log(LogLevel::kWarn, name_ + ": " + where + rd_kafka_message_errstr(&m));
      return Status::Ok();
  }
}

Status KafkaSource::read(RecordBatch* batch, std::size_t max_records, bool* end) {
  *end = false;  // a topic has no end
  int timeout_ms = options_.poll_timeout_ms;
  while (batch->size() < max_records) {
    KafkaMessagePtr m(rd_kafka_consumer_poll(consumer_.get(), timeout_ms));
    if (!failure_.ok()) return std::exchange(failure_, Status::Ok());
    if (!m) {
      // A fatal error also arrives as a message, but make sure one never goes unnoticed.
      char text[512];
      if (rd_kafka_fatal_error(consumer_.get(), text, sizeof text) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return Status::IoError(name_ + ": fatal: " + text);
      }
      break;
    }
    timeout_ms = 0;  // after the first message, take only what is already here
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (Status s = on_consumer_error(*m); !s.ok()) return s;
      if (options_.stop_at_end && all_assigned_at_end()) {
        *end = true;
        break;
      }
      continue;
    }
    if (m->rkt != last_topic_ || m->partition != last_partition_) {
      last_index_ = index_of(rd_kafka_topic_name(m->rkt), m->partition);
      last_topic_ = m->rkt;
      last_partition_ = m->partition;
    }
    batch->add(std::string_view(static_cast<const char*>(m->payload), m->len), m->offset,
               rd_kafka_message_timestamp(m.get(), nullptr), static_cast<uint32_t>(last_index_));
    partitions_[last_index_].next_offset = m->offset + 1;
    partitions_[last_index_].at_end = false;
  }
  return Status::Ok();
}

bool KafkaSource::all_assigned_at_end() const {
  bool any = false;
  for (const PartitionState& p : partitions_) {
    if (!p.assigned) continue;
    if (!p.at_end) return false;
    any = true;
  }
  return any;
}

std::string KafkaSource::position() const {
  std::vector<const PartitionState*> read_from;
  for (const PartitionState& p : partitions_) {
    if (p.next_offset >= 0) read_from.push_back(&p);
  }
  std::sort(read_from.begin(), read_from.end(), [](const auto* a, const auto* b) { return a->id < b->id; });
  std::string token;
  for (const PartitionState* p : read_from) {
    if (!token.empty()) token += ',';
    token += p->id.topic + "/" + std::to_string(p->id.partition) + "=" + std::to_string(p->next_offset);
  }
  return token;
}

Status KafkaSource::seek(std::string_view position) {
  KafkaOffsets wanted;
  if (Status s = parse_kafka_position(position, &wanted); !s.ok()) return s.with_context(name_);
  KafkaOffsets before;
  for (PartitionState& p : partitions_) {
    before.emplace_back(p.id, p.next_offset);
    p.next_offset = -1;
  }
  for (const auto& [tp, offset] : wanted) partitions_[index_of(tp.topic, tp.partition)].next_offset = offset;
  // Partitions not assigned yet start right at assignment (on_rebalance); assigned ones
  // must be moved now.
  return reposition_assigned(before);
}

Status KafkaSource::start_without_position(const PartitionState& p, int64_t* offset) const {
  PartitionListPtr list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), p.id.topic.c_str(), p.id.partition);
  if (const rd_kafka_resp_err_t err = rd_kafka_committed(consumer_.get(), list.get(), kBrokerWaitMs);
      err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::IoError(name_ + ": committed offset of " + p.id.topic + " [" + std::to_string(p.id.partition) +
                           "]: " + rd_kafka_err2str(err));
  }
  *offset = list->elems[0].offset;
  if (*offset < 0) {
    const auto reset = options_.properties.find("auto.offset.reset");
    const bool latest = reset != options_.properties.end() &&
                        (reset->second == "latest" || reset->second == "largest" || reset->second == "end");
    *offset = latest ? RD_KAFKA_OFFSET_END : RD_KAFKA_OFFSET_BEGINNING;
  }
  return Status::Ok();
}

Status KafkaSource::reposition_assigned(const KafkaOffsets& before) {
  PartitionListPtr moves(rd_kafka_topic_partition_list_new(0));
  for (const PartitionState& p : partitions_) {
    if (!p.assigned) continue;
    int64_t old = -1;
    for (const auto& [tp, offset] : before) {
      if (tp == p.id) old = offset;
    }
    if (old == p.next_offset) continue;
    int64_t start = p.next_offset;
    if (start < 0) {
      if (Status s = start_without_position(p, &start); !s.ok()) return s;
    }
    rd_kafka_topic_partition_list_add(moves.get(), p.id.topic.c_str(), p.id.partition)->offset = start;
  }
  if (moves->cnt == 0) return Status::Ok();
  // With a timeout, the call returns once messages fetched from the old offsets are gone.
  if (KafkaErrorPtr error(rd_kafka_seek_partitions(consumer_.get(), moves.get(), kBrokerWaitMs)); error) {
    return Status::IoError(name_ + ": seek: " + rd_kafka_error_string(error.get()));
  }
  for (int i = 0; i < moves->cnt; ++i) {
    if (moves->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::IoError(name_ + ": seek: " + describe_partition_error(moves->elems[i]));
    }
  }
  log(LogLevel::kInfo, name_ + ": moved " + describe(*moves) + " to the sought position");
  return Status::Ok();
}

Status KafkaSource::commit(std::string_view position) {
  KafkaOffsets offsets;
  if (Status s = parse_kafka_position(position, &offsets); !s.ok()) return s.with_context(name_);
  PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& [tp, offset] : offsets) {
    // A partition now assigned to another member is its to commit: ours would be stale.
    if (!partitions_[index_of(tp.topic, tp.partition)].assigned) continue;
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset = offset;
  }
  if (list->cnt == 0) return Status::Ok();
  if (const rd_kafka_resp_err_t err = rd_kafka_commit(consumer_.get(), list.get(), 0 /* wait */);
      err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::IoError(name_ + ": commit: " + rd_kafka_err2str(err));
  }
  for (int i = 0; i < list->cnt; ++i) {
    if (list->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::IoError(name_ + ": commit: " + describe_partition_error(list->elems[i]));
    }
  }
  return Status::Ok();
}

std::vector<SourcePart> KafkaSource::parts_of(const rd_kafka_topic_partition_list_t& list) {
  std::vector<SourcePart> parts;
  for (int i = 0; i < list.cnt; ++i) {
    const std::size_t index = index_of(list.elems[i].topic, list.elems[i].partition);
    const PartitionState& p = partitions_[index];
    parts.push_back({static_cast<uint32_t>(index), p.id.topic + "/" + std::to_string(p.id.partition), p.next_offset,
                     false, p.id.topic, p.id.partition});
  }
  return parts;
}

std::vector<SourcePart> KafkaSource::parts() const {
  std::vector<SourcePart> out;
  for (std::size_t i = 0; i < partitions_.size(); ++i) {
    const PartitionState& p = partitions_[i];
    if (!p.assigned) continue;
    // Quiet: read up to the partition's end as of the latest fetch response (cached, no
    // request). Before anything was read, the fetch position tells where reading stands.
    int64_t low = -1, high = -1, position = p.next_offset;
    const bool known = rd_kafka_get_watermark_offsets(consumer_.get(), p.id.topic.c_str(), p.id.partition, &low,
                                                      &high) == RD_KAFKA_RESP_ERR_NO_ERROR && high >= 0;
    if (known && position < 0) {
      PartitionListPtr list(rd_kafka_topic_partition_list_new(1));
      rd_kafka_topic_partition_list_add(list.get(), p.id.topic.c_str(), p.id.partition);
      if (rd_kafka_position(consumer_.get(), list.get()) == RD_KAFKA_RESP_ERR_NO_ERROR) position = list->elems[0].offset;
      if (position < 0 && high == low) position = high;  // an empty partition
    }
    out.push_back({static_cast<uint32_t>(i), p.id.topic + "/" + std::to_string(p.id.partition), p.next_offset,
                   known && position >= 0 && position >= high, p.id.topic, p.id.partition});
  }
  return out;
}

std::vector<TopicPartition> KafkaSource::assigned() const {
  std::vector<TopicPartition> out;
  for (const PartitionState& p : partitions_) {
    if (p.assigned) out.push_back(p.id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<PartitionLag> KafkaSource::lag() const {
  std::vector<PartitionLag> out;
  for (const PartitionState& p : partitions_) {
    if (!p.assigned) continue;
    PartitionLag l;
    l.partition = p.id;
    l.position = p.next_offset;
    int64_t low = 0, high = 0;
    // Cached from the latest fetch response: no request to the broker.
    if (rd_kafka_get_watermark_offsets(consumer_.get(), p.id.topic.c_str(), p.id.partition, &low, &high) ==
            RD_KAFKA_RESP_ERR_NO_ERROR &&
        high >= 0) {
      l.high_watermark = high;
    }
    if (l.high_watermark >= 0 && l.position >= 0) l.lag = std::max<int64_t>(0, l.high_watermark - l.position);
    out.push_back(std::move(l));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.partition < b.partition; });
  return out;
}

bool KafkaSource::serving() const {
  return std::any_of(partitions_.begin(), partitions_.end(), [](const PartitionState& p) { return p.assigned; });
}

std::vector<SourceBacklog> KafkaSource::backlog() const {
  std::vector<SourceBacklog> out;
  for (const PartitionLag& l : lag()) {
    out.push_back({l.partition.topic + "/" + std::to_string(l.partition.partition), l.lag});
  }
  return out;
}

}  // namespace pixguard
