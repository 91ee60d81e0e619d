#include "runtime/payee_stage.h"

#include <algorithm>

namespace pixguard {
namespace {

// The first byte of a payee topic record, and of a stage's snapshot: bump when the bytes change.
constexpr uint8_t kRecordFormat = 1;
constexpr uint32_t kStageFormat = 2;
enum : uint8_t { kTransaction = 'T', kClock = 'C' };

}  // namespace

void encode_payee_transaction(const MergeKey& key, int64_t timestamp_ms, int64_t arrival_us, bool late,
                              std::string_view message, const double* features, std::size_t feature_count,
                              std::string* out) {
  out->clear();
  ByteWriter w(out);
  w.put(kRecordFormat);
  w.put<uint8_t>(kTransaction);
  save_held(key, timestamp_ms, arrival_us, late, message, features, feature_count, &w);
}

void encode_payee_clock(uint32_t input_partition, int64_t order_time_us, int64_t next_position, bool idle,
                        std::string* out) {
  out->clear();
  ByteWriter w(out);
  w.put(kRecordFormat);
  w.put<uint8_t>(kClock);
  w.put(input_partition);
  w.put(order_time_us);
  w.put(next_position);
  w.put<uint8_t>(idle ? 1 : 0);
}

PayeeStage::PayeeStage(const Config& config, uint32_t input_partitions, const MessageCipher* cipher)
    : feature_count_(config.features.size()),
      inputs_(input_partitions),
      cipher_(cipher),
      payees_(config.features, config.context, config.state_limits, config.worker_count()),
      watermark_(config.allowed_lateness_us) {}

PayeeStage::Input& PayeeStage::input(uint32_t partition) {
  // An input topic may gain partitions: the stage waits for them too from then on.
  if (partition >= inputs_.size()) inputs_.resize(partition + 1);
  return inputs_[partition];
}

Status PayeeStage::receive(std::string_view record) {
  ByteReader in(record);
  const uint8_t format = in.get<uint8_t>();
  const uint8_t kind = in.get<uint8_t>();
  if (!in.failed() && format != kRecordFormat) {
    return Status::Unsupported("payee topic record format " + std::to_string(format) + " (this build reads " +
                               std::to_string(kRecordFormat) + ")");
  }
  if (kind == kTransaction) {
    HeldTransaction h;
    if (!load_held(&in, feature_count_, &h) || !in.at_end()) return Status::Corruption("payee topic record is malformed");
    Input& from = input(h.key.part);
    if (h.key.position <= from.last_received) {
      ++copies_;
      return Status::Ok();
    }
    from.last_received = h.key.position;
    merge_.hold(std::move(h));
    return Status::Ok();
  }
  if (kind == kClock) {
    const uint32_t partition = in.get<uint32_t>();
    const int64_t order_time = in.get<int64_t>();
    const int64_t next_position = in.get<int64_t>();
    const bool idle = in.get<uint8_t>() != 0;
    if (in.failed() || !in.at_end() || partition > (1u << 20)) return Status::Corruption("payee topic clock is malformed");
    Input& from = input(partition);
    if (next_position < from.clock_position) return Status::Ok();  // a copy of an older one
    from.clock_position = next_position;
    from.order_time_us = std::max(from.order_time_us, order_time);
    from.idle = idle;
    return Status::Ok();
  }
  return Status::Corruption("payee topic record of unknown kind");
}

void PayeeStage::take(std::vector<HeldTransaction>* out, bool all) {
  if (merge_.held() == 0) return;
  clocks_.clear();
  for (uint32_t p = 0; p < inputs_.size(); ++p) clocks_.push_back({p, inputs_[p].order_time_us, inputs_[p].idle});
  merge_.set_clocks(clocks_);
  merge_.take(out, all);
}

bool PayeeStage::drained() const {
  return merge_.held() == 0 && std::all_of(inputs_.begin(), inputs_.end(), [](const Input& i) { return i.idle; });
}

void PayeeStage::save(ByteWriter* out) const {
  out->put(kStageFormat);
  out->put(static_cast<uint32_t>(inputs_.size()));
  for (const Input& i : inputs_) {
    out->put(i.order_time_us);
    out->put(i.clock_position);
    out->put<uint8_t>(i.idle ? 1 : 0);
    out->put(i.last_received);
  }
  out->put(copies_);
  out->put(watermark_.max_event_time());
  merge_.save(out, cipher_);
  payees_.save(out);
}

bool PayeeStage::load(ByteReader* in) {
  if (in->get<uint32_t>() != kStageFormat) return false;
  const uint32_t n = in->get<uint32_t>();
  if (in->failed() || n > (1u << 20)) return false;
  inputs_.assign(n, Input{});
  for (Input& i : inputs_) {
    i.order_time_us = in->get<int64_t>();
    i.clock_position = in->get<int64_t>();
    i.idle = in->get<uint8_t>() != 0;
    i.last_received = in->get<int64_t>();
  }
  copies_ = in->get<uint64_t>();
  watermark_.restore(in->get<int64_t>());
  return !in->failed() && merge_.load(in, feature_count_, cipher_) && payees_.load(in) && !in->failed();
}

}  // namespace pixguard
