#pragma once
// The most recent committed records of one output (decisions, alerts), kept in memory for
// the HTTP API: looked up by end_to_end_id, or paged newest first. Bounded: past
// `capacity` the oldest record is forgotten (the API's documented horizon).
//
// RecentRecordsSink feeds it as a Sink: a record becomes visible when its epoch commits, so
// the API never shows a decision that a crash could still take back. It holds only the
// epoch's last `capacity` records (the others would be forgotten at once), in strings it
// reuses, so neither its memory nor its allocations grow with the epoch.
//
// Threading: the sink runs on the pipeline thread; RecentRecords may be read from any
// thread (one mutex, taken once per epoch by the writer).
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "sinks/sink.h"

namespace pixguard {

class RecentRecords {
 public:
  explicit RecentRecords(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  void add(std::vector<std::string> records);
  // The newest record of `end_to_end_id` still held.
  std::optional<std::string> find(std::string_view end_to_end_id) const;
  // Up to `limit` records, newest first, with sequence numbers below `before` (0: from the
  // newest). *next is the `before` of the following page (0 when there is none).
  std::vector<std::string> page(uint64_t before, std::size_t limit, uint64_t* next) const;
  uint64_t total() const;  // records ever added
  std::size_t capacity() const { return capacity_; }

 private:
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<std::string> records_;  // oldest first; records_[i] has sequence first_ + i
  uint64_t first_ = 1;
  // id (a view into its record: a deque's elements stay put as its ends change) -> newest sequence
  std::unordered_map<std::string_view, uint64_t> by_id_;
};

class RecentRecordsSink final : public Sink {
 public:
  RecentRecordsSink(std::string name, RecentRecords* store)
      : name_(std::move(name)), store_(store), ring_(store->capacity()) {}

  const std::string& name() const override { return name_; }
  Status begin_epoch(uint64_t) override;
  Status write(const SinkRecord& record) override;
  Status prepare(uint64_t) override { return Status::Ok(); }
  Status commit(uint64_t) override;
  Status abort(uint64_t) override;
  // In memory only: nothing to recover, nothing committed before this process.
  uint64_t last_committed_epoch() const override { return 0; }
  Status recover(uint64_t) override { return Status::Ok(); }

 private:
  std::string name_;
  RecentRecords* store_;
  std::vector<std::string> ring_;  // the epoch's newest records; next_ is the oldest once full
  std::size_t next_ = 0;
  std::size_t held_ = 0;
};

// The end_to_end_id of a JSON object whose first field it is (a scored record, a generated
// message), or "" otherwise.
std::string_view record_id(std::string_view json);

}  // namespace pixguard
