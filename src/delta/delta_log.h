#pragma once
// A Delta Lake table's transaction log on a local (POSIX) file system: `<dir>/_delta_log/`
// holds one JSON commit per version, NNNNNNNNNNNNNNNNNNNN.json (20 digits), and optionally
// classic Parquet checkpoints NNNNNNNNNNNNNNNNNNNN.checkpoint.parquet with `_last_checkpoint`.
//
// Atomicity: a commit is written to a hidden temp file, fsynced, then hard-linked to its
// final name; link(2) fails with EEXIST when the version exists, so two writers can never
// both create a version and an existing NNN.json is never overwritten (put-if-absent).
//
// Threading: a DeltaTable is used by one thread at a time. Writers in other threads or
// processes on the same table coordinate only through the file system, as above.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "delta/delta_actions.h"

namespace pixguard::delta {

// The table state at one version (PROTOCOL.md "Action Reconciliation").
struct TableSnapshot {
  uint64_t version = 0;
  std::optional<uint64_t> checkpoint_version;  // replay started from this checkpoint
  Protocol protocol;
  Metadata metadata;
  std::map<std::string, AddFile> files;          // active files by logged path; a remove cancels an add
  std::map<std::string, RemoveFile> tombstones;  // removed files by logged path, for vacuum
  std::map<std::string, int64_t> txn_versions;   // latest txn version per app id
};

enum class CommitOutcome : unsigned char {
  kCommitted,         // our actions are version `version`
  kAlreadyCommitted,  // commit `version` (after read_version) already holds a txn of our app id at
                      // >= our txn version: nothing was written, the batch is in the table already
  kConflict,          // a concurrent commit clashes with ours (the Status says how): nothing written
};

struct CommitResult {
  CommitOutcome outcome = CommitOutcome::kConflict;
  uint64_t version = 0;
  int attempts = 0;  // versions tried: 1 without contention
};

class DeltaTable {
 public:
  // NotFound when `dir` holds no _delta_log with commit files; Corruption/Unsupported as
  // snapshot() for a log that cannot be replayed. Opening replays the log: `snapshot`, when
  // given, receives that replay's snapshot.
  static Status open(const std::string& dir, std::unique_ptr<DeltaTable>* out, TableSnapshot* snapshot = nullptr);
  // Creates the directories and commits version 0: protocol, metaData and commitInfo.
  // InvalidArgument when a version 0 exists already (the table is left untouched).
  static Status create(const std::string& dir, const Protocol& protocol, const Metadata& metadata,
                       std::unique_ptr<DeltaTable>* out);

  const std::string& dir() const { return dir_; }
  std::string log_dir() const { return dir_ + "/_delta_log"; }

  // The newest version: from the newest usable classic checkpoint (`_last_checkpoint`, else
  // a directory scan) plus the JSON commits after it. A missing version in the sequence or a
  // damaged commit file is Corruption naming the file; a protocol this library cannot read
  // is Unsupported.
  Status snapshot(TableSnapshot* out) const;

  // The actions of one commit file, in order; NotFound when the version does not exist.
  Status read_commit(uint64_t version, std::vector<Action>* actions) const;

  // Commits `actions` as the version after `read_version` (the snapshot they were planned
  // from), with a commitInfo first (the caller's, completed, or a "WRITE" one). When another
  // writer took that version first, the commits after read_version are checked:
  //  - a txn of one of our app ids at >= our version: kAlreadyCommitted, Ok;
  //  - a txn of our app id at a lower version, a file we remove removed again, a file we add
  //    added again, or a metaData/protocol change: kConflict, InvalidArgument saying which;
  //  - otherwise (blind appends, removes of other files): retried at the next version.
  // Writes nothing but the one new commit file. Unsupported for a protocol we cannot write.
  Status commit(uint64_t read_version, std::vector<Action> actions, CommitResult* result);

 private:
  explicit DeltaTable(std::string dir) : dir_(std::move(dir)) {}

  std::string dir_;
  Protocol protocol_;  // as of the last snapshot; checked before writing
  std::map<std::string, std::string> configuration_;
};

// "00000000000000000042.json"
std::string commit_file_name(uint64_t version);

}  // namespace pixguard::delta
