#pragma once
// Checkpoints of the parts of a partitioned source (Kafka partitions), in a directory that
// every member of the consumer group shares, so that a part's state moves with the part:
//   <dir>/<topic>.<partition>/checkpoint-<sequence>.ckpt
// Each file is a CheckpointStore checkpoint (checksummed, written atomically) whose epoch
// is the part's own sequence number: whoever holds the part writes the next one. Its state
// starts with who wrote it (instance, run id, that writer's epoch, and whether the writer's
// epoch counts only once its Kafka transaction committed), then Pipeline::save_part().
//
// A part's newest file may belong to an epoch whose Kafka transaction never committed (the
// writer crashed between its checkpoint and its commit); `committed` tells, and the newest
// file it accepts is the part's state. Only one holder writes a part at a time, and each
// holder has at most one uncommitted epoch, so the newest three files are kept.
//
// Threading: used by the runner's thread.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/status.h"
#include "runtime/checkpoint_store.h"

namespace pixguard {

struct PartWriter {
  std::string instance;
  std::string run;
  uint64_t epoch = 0;
  bool needs_commit_record = false;  // valid only if (run, epoch) is in the instance's Kafka commit log
};

struct PartCheckpoint {
  std::string part;          // "topic/partition"
  int64_t next_position = -1;
  PartWriter writer;
  std::string state_shape;
  std::string state;         // Pipeline::save_part()
};

class PartCheckpoints {
 public:
  PartCheckpoints(std::string dir, std::string pipeline_id) : dir_(std::move(dir)), pipeline_id_(std::move(pipeline_id)) {}

  Status write(const PartCheckpoint& checkpoint);
  // The newest readable checkpoint of `part` that `committed` accepts; *found false when
  // there is none (the part starts with empty state).
  Status load_latest(const std::string& part, const std::function<bool(const PartWriter&)>& committed,
                     PartCheckpoint* out, bool* found);
  // Deletes every part's checkpoints (for --overwrite).
  Status clear();

  const std::string& dir() const { return dir_; }

 private:
  CheckpointStore* store_of(const std::string& part, Status* status);

  std::string dir_;
  std::string pipeline_id_;
  std::map<std::string, std::unique_ptr<CheckpointStore>> stores_;
};

}  // namespace pixguard
