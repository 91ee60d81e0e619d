#pragma once
// A batch of raw messages as a source delivered them: the bytes back to back in one buffer
// (followed by kMessagePadding bytes a decoder may read ahead into) and, per message, its
// place in the buffer and its position in the source (a file's line number, a partition
// offset), and for a partitioned source which part it came from. A message a source would
// not hold whole (a file line longer than the size limit) comes as a bounded prefix with its
// full length and content hash: the pipeline dead-letters it. A message a caller waits on (a
// pre-authorization request) is marked as a request: the pipeline tells its DecisionListener
// what became of it; replayed after a crash, it carries the decision its caller was given
// (a PriorDecision), which it keeps. Reused from batch to batch, so the steady state
// allocates nothing.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "decode/decoder.h"

namespace pixguard {

struct PriorDecision;  // decide/decider.h

struct RawRecord {
  std::size_t offset = 0;
  std::size_t size = 0;
  int64_t position = 0;
  int64_t timestamp_ms = -1;  // when the message entered the source (a Kafka timestamp); -1: unknown
  uint32_t part = 0;          // which part of a partitioned source (Source::part_name); 0 otherwise
  uint64_t full_size = 0;     // > size: only a prefix was kept (an oversized message)
  uint64_t full_hash = 0;     // content_hash (core/hash.h) of all full_size bytes, when cut
  bool request = false;       // a caller waits for its decision
  const PriorDecision* prior = nullptr;  // the decision already given (owned by the source)
};

class RecordBatch {
 public:
  void clear() {
    bytes_.clear();
    records_.clear();
    finished_ = false;
  }

  void add(std::string_view message, int64_t position, int64_t timestamp_ms = -1, uint32_t part = 0) {
    records_.push_back({bytes_.size(), message.size(), position, timestamp_ms, part});
    bytes_.append(message);
    bytes_.push_back('\n');
  }

  // A message too large to hold: its first bytes, its full length and its content hash.
  void add_cut(std::string_view prefix, uint64_t full_size, uint64_t full_hash, int64_t position) {
    add(prefix, position);
    records_.back().full_size = full_size;
    records_.back().full_hash = full_hash;
  }

  // Marks the message added last: a caller waits for its decision (`request`), or was given
  // `prior` before a crash (not null: kept until the batch is processed).
  void mark_request(bool request, const PriorDecision* prior) {
    records_.back().request = request;
    records_.back().prior = prior;
  }

  // Appends the read-ahead padding; call once all messages are in.
  void finish() {
    if (!finished_) bytes_.append(kMessagePadding, ' ');
    finished_ = true;
  }

  std::size_t size() const { return records_.size(); }
  bool empty() const { return records_.empty(); }
  std::string_view message(std::size_t i) const { return {bytes_.data() + records_[i].offset, records_[i].size}; }
  int64_t position(std::size_t i) const { return records_[i].position; }
  int64_t timestamp_ms(std::size_t i) const { return records_[i].timestamp_ms; }
  uint32_t part(std::size_t i) const { return records_[i].part; }
  // Whether message(i) is only the prefix of a larger message, and that message's size and hash.
  bool cut(std::size_t i) const { return records_[i].full_size > records_[i].size; }
  uint64_t full_size(std::size_t i) const { return cut(i) ? records_[i].full_size : records_[i].size; }
  uint64_t full_hash(std::size_t i) const { return records_[i].full_hash; }
  bool request(std::size_t i) const { return records_[i].request; }
  const PriorDecision* prior(std::size_t i) const { return records_[i].prior; }
  std::size_t byte_size() const { return bytes_.size(); }

 private:
  std::string bytes_;
  std::vector<RawRecord> records_;
  bool finished_ = false;
};

}  // namespace pixguard
