#pragma once
// A Kafka sink's record of its committed transactions, one line per commit,
//   <run> <epoch>\n
// appended and fsynced once the broker has confirmed the commit. The newest epoch is what
// recovery compares with the checkpoint. The (run, epoch) pairs also say which output
// messages (tagged with pixguard-run and pixguard-epoch headers) belong to committed
// transactions: a real broker hides the others from read_committed consumers, and a test
// against the mock cluster (which does not) can check the same thing from this record.
//
// A crash in the middle of an append leaves a line without its newline: open() drops it
// (that commit is then treated as not recorded, which recovery handles like any other
// missing commit).
//
// Threading: used by the sink's thread only.
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace pixguard {

struct CommittedEpoch {
  std::string run;
  uint64_t epoch = 0;
};

class KafkaCommitLog {
 public:
  // Reads `path` if it exists (creating its directory if needed) and opens it for appending.
  static Status open(const std::string& path, KafkaCommitLog* out);
  ~KafkaCommitLog();
  KafkaCommitLog() = default;
  KafkaCommitLog(KafkaCommitLog&& other) noexcept;
  KafkaCommitLog& operator=(KafkaCommitLog&& other) noexcept;

  // The commits recorded at `path` (none when it does not exist), without opening it for
  // appending: how another process checks which epochs of this one committed. A torn last
  // line is not a commit; *whole_bytes (optional) is the length of the whole lines.
  static Status read(const std::string& path, std::vector<CommittedEpoch>* commits, std::size_t* whole_bytes = nullptr);

  Status append(const std::string& run, uint64_t epoch);
  // Forgets every commit (for --overwrite).
  Status clear();

  // The newest epoch committed (0: none). After a resume from an older checkpoint an epoch
  // number can be committed again, by a later run.
  uint64_t last_epoch() const { return last_epoch_; }
  const std::vector<CommittedEpoch>& commits() const { return commits_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::vector<CommittedEpoch> commits_;
  uint64_t last_epoch_ = 0;
};

}  // namespace pixguard
