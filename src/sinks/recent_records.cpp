#include "sinks/recent_records.h"

#include <algorithm>

namespace pixguard {

std::string_view record_id(std::string_view json) {
  constexpr std::string_view kKey = "{\"end_to_end_id\":\"";
  if (json.substr(0, kKey.size()) != kKey) return {};
  const std::size_t end = json.find('"', kKey.size());
  return end == std::string_view::npos ? std::string_view() : json.substr(kKey.size(), end - kKey.size());
}

void RecentRecords::add(std::vector<std::string> records) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (std::string& r : records) {
    const uint64_t seq = first_ + records_.size();
    records_.push_back(std::move(r));
    if (const std::string_view id = record_id(records_.back()); !id.empty()) {
      // The key views the newest record of the id.
      by_id_.erase(id);
      by_id_.emplace(id, seq);
    }
    if (records_.size() > capacity_) {
      const std::string_view old_id = record_id(records_.front());
      // Forget the id only if this was its newest record.
      if (const auto it = by_id_.find(old_id); it != by_id_.end() && it->second == first_) by_id_.erase(it);
      records_.pop_front();
      ++first_;
    }
  }
}

std::optional<std::string> RecentRecords::find(std::string_view end_to_end_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = by_id_.find(end_to_end_id);
  if (it == by_id_.end()) return std::nullopt;
  return records_[it->second - first_];
}

std::vector<std::string> RecentRecords::page(uint64_t before, std::size_t limit, uint64_t* next) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> out;
  *next = 0;
  const uint64_t end = first_ + records_.size();  // one past the newest
  uint64_t seq = before == 0 || before > end ? end : before;
  while (seq > first_ && out.size() < limit) {
    --seq;
    out.push_back(records_[seq - first_]);
  }
  if (seq > first_) *next = seq;
  return out;
}

uint64_t RecentRecords::total() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return first_ - 1 + records_.size();
}

Status RecentRecordsSink::begin_epoch(uint64_t) {
  next_ = held_ = 0;
  return Status::Ok();
}

Status RecentRecordsSink::write(const SinkRecord& record) {
  ring_[next_].assign(record.json);
  next_ = (next_ + 1) % ring_.size();
  held_ = std::min(held_ + 1, ring_.size());
  return Status::Ok();
}

Status RecentRecordsSink::commit(uint64_t) {
  std::vector<std::string> records;
  records.reserve(held_);
  // Moved out, not copied: the ring's strings are refilled next epoch.
  for (std::size_t k = 0; k < held_; ++k) records.push_back(std::move(ring_[(next_ + ring_.size() - held_ + k) % ring_.size()]));
  store_->add(std::move(records));
  held_ = 0;
  return Status::Ok();
}

Status RecentRecordsSink::abort(uint64_t) {
  held_ = 0;
  return Status::Ok();
}

}  // namespace pixguard
