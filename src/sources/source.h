#pragma once
// Source: where raw messages come from (a file, the generator; Kafka in production).
//
// Checkpoint contract: position() is an opaque token naming the place just after the last
// message read; after seek(token) the source delivers exactly the messages that followed.
// Bounded sources report the end of input; unbounded ones never do.
// Threading: a source is read by one thread.
#include <cstddef>
#include <cstdint>
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

// One part of a partitioned source (a Kafka partition): the id its records carry in a
// RecordBatch, a stable name ("topic/partition") and a position within it (the next offset).
struct SourcePart {
  uint32_t id = 0;
  std::string name;
  int64_t next_position = -1;  // -1: unknown (nothing read, no checkpoint)
  bool quiet = false;          // nothing left to read in it now (read up to its end)
  std::string topic;           // its topic and partition number
  int32_t partition = 0;
};

// Told by a partitioned source, on the reading thread inside read(), when parts arrive and
// leave (a consumer-group rebalance), so that each part's state can move with it.
class PartListener {
 public:
  virtual ~PartListener() = default;
  // Before the source gives `parts` up: everything read from them so far (including the
  // records already in the batch being filled) must be finished and checkpointed now.
  virtual Status parts_revoked(const std::vector<SourcePart>& parts) = 0;
  // Before reading `parts`: the listener restores their state and sets next_position to
  // where reading must resume (-1: the source's default start).
  virtual Status parts_assigned(std::vector<SourcePart>* parts) = 0;
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
  // Before a checkpoint records position(): a source that logs its input (the
  // pre-authorization journal) makes it durable up to there.
  virtual Status prepare_checkpoint() { return Status::Ok(); }
  // For metrics and /ready: whether input can flow (a consumer with partitions assigned),
  // and the backlog per part (none for files and the generator).
  virtual bool serving() const { return true; }
  virtual std::vector<SourceBacklog> backlog() const { return {}; }
  // Partitioned sources (Kafka) deliver parts that may move to another process; their
  // position() then covers only the parts held now, and the listener is told of every move.
  virtual bool partitioned() const { return false; }
  virtual void set_part_listener(PartListener* listener) { (void)listener; }
  // The parts held now, with their next positions and whether they are quiet.
  virtual std::vector<SourcePart> parts() const { return {}; }
};

}  // namespace pixguard
