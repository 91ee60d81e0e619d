#pragma once
// Where the parts of a partitioned source (Kafka partitions) keep their state, so that it
// moves with them between the members of a consumer group. The members share a directory:
//   <dir>/<instance>/checkpoint-<epoch>.ckpt     each member's checkpoints (CheckpointStore)
//   <dir>/<instance>/adopted/<topic>.<partition>.ckpt
// A member's checkpoint holds its accounting and a section per part it holds: the part's
// next position and state (encode_partitioned_state). One file per epoch, however many
// parts: a file per part would cost an fsync each.
//
// A checkpoint of epoch e counts only once e committed: when the writer had a Kafka output
// in transactions, (run, e) must be in its commit log (`committed`). A part's state is the
// committed section with the highest position among every member's checkpoints and adopted
// copies (a part's position only grows, whoever holds it).
//
// Members keep only their newest checkpoints, so the one a part was taken from may soon be
// gone: the member given the part keeps an adopted copy until a checkpoint of its own that
// holds the part has committed (release_adopted). The member that gave it up (or restarted
// and has not been given it back yet) carries the part's last section forward in its own
// checkpoints until it sees such a copy at that position or beyond (adopted_elsewhere) or is
// given the part again. (A member killed before releasing a copy leaves it behind, older
// than what the part's next holders read: it must not count.)
//
// Threading: used by the runner's thread.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "runtime/checkpoint_store.h"

namespace pixguard {

struct PartWriter {
  std::string instance;
  std::string run;
  uint64_t epoch = 0;
  bool needs_commit_record = false;  // valid only if (run, epoch) is in the instance's Kafka commit log
};

struct PartSection {
  std::string part;  // "topic/partition"
  int64_t next_position = -1;
  std::string state;  // Pipeline::save_part()
};

// The state blob of a partitioned run's checkpoint: the accounting, who wrote it, the parts.
std::string encode_partitioned_state(std::string_view accounting, const PartWriter& writer,
                                     const std::vector<PartSection>& parts);
Status decode_partitioned_state(std::string_view state, std::string* accounting, PartWriter* writer,
                                std::vector<PartSection>* parts);

struct FoundPart {
  PartSection section;
  PartWriter writer;  // of the checkpoint it came from
};

class PartCheckpoints {
 public:
  PartCheckpoints(std::string dir, std::string instance, std::string pipeline_id)
      : dir_(std::move(dir)), instance_(std::move(instance)), pipeline_id_(std::move(pipeline_id)) {}

  // The newest committed state of each of `parts` (absent from *found: none anywhere).
  Status find(const std::vector<std::string>& parts, const std::function<bool(const PartWriter&)>& committed,
              std::map<std::string, FoundPart>* found) const;
  // Keeps `part` (taken from another member) safe until release_adopted(): fsynced.
  Status adopt(const FoundPart& part);
  // A committed checkpoint of ours now holds these parts: their adopted copies may go.
  void release_adopted(const std::vector<std::string>& parts);
  // Whether another member holds an adopted copy of `part` at `position` or beyond (it took
  // the part over from that state). An older copy, left by a member killed before it could
  // release it, supersedes nothing.
  bool adopted_elsewhere(const std::string& part, int64_t position) const;
  // Deletes every member's adopted copies (for --overwrite).
  Status clear_adopted();

 private:
  std::string adopted_path(const std::string& instance, const std::string& part) const;
  // `instance`'s adopted copy of `part`; false when there is none or it is unusable (logged).
  // Whether `instance` holds a usable adopted copy of `part`; a copy that exists but cannot be
  // read sets *error (when given and still ok).
  bool read_adopted(const std::string& instance, const std::string& part, FoundPart* copy,
                    Status* error = nullptr) const;

  std::string dir_;
  std::string instance_;
  std::string pipeline_id_;
};

}  // namespace pixguard
