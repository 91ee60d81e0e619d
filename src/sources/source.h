#pragma once
// Source: where raw messages come from (a file, the generator; Kafka in production).
//
// Checkpoint contract: position() is an opaque token naming the place just after the last
// message read; after seek(token) the source delivers exactly the messages that followed.
// Bounded sources report the end of input; unbounded ones never do.
// Threading: a source is read by one thread.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "sources/record_batch.h"

namespace pixguard {

// How far a reader is behind the end of one part of its input (a Kafka partition).
struct SourceBacklog {
  std::string part;       // "topic/partition"
  int64_t messages = -1;  // -1: not known yet
};

class Source {
 public:
  virtual ~Source() = default;
  // Names the source in dead letters and logs ("file:/path/in.jsonl", "generator").
  virtual const std::string& name() const = 0;
  // Adds up to `max_records` messages to `batch` (which the caller cleared); sets *end once
  // no message will ever follow. May return fewer messages, or none, without being at the end.
  virtual Status read(RecordBatch* batch, std::size_t max_records, bool* end) = 0;
  virtual std::string position() const = 0;
  virtual Status seek(std::string_view position) = 0;
  // For metrics and /ready: whether input can flow (a consumer with partitions assigned),
  // and the backlog per part (none for files and the generator).
  virtual bool serving() const { return true; }
  virtual std::vector<SourceBacklog> backlog() const { return {}; }
};

}  // namespace pixguard
