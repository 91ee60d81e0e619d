#pragma once
// Checkpoints on disk: one file per epoch in a directory,
//   <dir>/checkpoint-<epoch, 20 digits>.ckpt
// laid out as  magic "PXGCKPT1" | u32 format | u32 CRC-32C of the body | u64 body size | body,
// the body being the fields of Checkpoint with the (large) state last.
//
// Incremental checkpoints keep the part state beside them, framed the same way (magics
// "PXGCHGS2", "PXGBASE1"):
//   <dir>/changes-<epoch>.log   the StateChanges of one epoch (then u64 epoch, u64 count),
//                               streamed while the epoch runs (ChangesFile) and made visible
//                               as it ends;
//   <dir>/parts-<epoch>.base    every part's state as of the end of an epoch (compaction);
// and the checkpoint's state is then small (IncrementalState): the accounting and the base
// it builds on. Its part state = that base + the changes of every later epoch up to its own.
// write() goes to a ".tmp" file, fsyncs it, renames it into place and fsyncs the directory,
// so a crash at any instant leaves the old checkpoint or the new one, never a torn one.
// load_latest() verifies magic, size and checksum; a checkpoint that fails them is logged
// and skipped for the one before it. The newest `keep` checkpoints are kept.
//
// Threading: one store per job, used by the runner's thread.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "runtime/part_state.h"

namespace pixguard {

struct Checkpoint {
  uint64_t epoch = 0;
  std::string pipeline_id;
  std::string source_name;
  std::string source_position;  // Source::position() after the epoch's last message
  std::string state_shape;      // what the feature state was built for (retentions)
  std::string model_version;    // serving when the epoch ended (informational)
  int64_t written_at_us = 0;    // wall clock, Unix microseconds
  std::string state;            // Pipeline::save_state()
};

// The state of an incremental checkpoint.
struct IncrementalState {
  std::string accounting;   // Pipeline::save_accounting_state()
  uint64_t base_epoch = 0;  // parts-<base_epoch>.base; 0: empty part state
  static constexpr std::string_view kMagic = "PXGINCR1";
  std::string encode() const;
  // False when `state` is not an incremental state (a full one); Corruption when it is, damaged.
  static Status decode(std::string_view state, IncrementalState* out, bool* incremental);
};

struct CheckpointWriteStats {
  uint64_t bytes = 0;  // incremental checkpoints: the epoch's changes file included
  double seconds = 0;  // encode + checksum + write + fsync + rename
};

// One epoch's changes file being written: appended to as the epoch runs (each append
// checksummed as it goes), then finished: trailer, header, fsync, rename into place.
// Threading: one thread at a time (the runner's changes writer).
class ChangesFile {
 public:
  ~ChangesFile();  // unfinished: the ".tmp" is removed
  Status append(const StateChange* changes, std::size_t n);
  Status sync();  // flushes what was appended (so that finishing has little left to flush)
  Status finish(uint64_t* bytes);

 private:
  friend class CheckpointStore;
  ChangesFile(std::string dir, std::string path, uint64_t epoch) : dir_(std::move(dir)), path_(std::move(path)), epoch_(epoch) {}
  std::string dir_, path_;
  uint64_t epoch_;
  int fd_ = -1;
  uint32_t crc_ = 0;
  uint64_t count_ = 0;
  uint64_t body_bytes_ = 0;
};

class CheckpointStore {
 public:
  CheckpointStore(std::string dir, std::size_t keep) : dir_(std::move(dir)), keep_(keep < 1 ? 1 : keep) {}

  // Creates the directory if needed and removes ".tmp" leftovers of an interrupted write.
  Status open();
  Status write(const Checkpoint& checkpoint, CheckpointWriteStats* stats = nullptr);
  // The newest valid checkpoint. *found is false when the directory holds none at all; when
  // it holds some and every one is corrupt, that is an error (starting over silently would
  // score everything again).
  Status load_latest(Checkpoint* out, bool* found) const;
  // The checkpoint of exactly `epoch`; fails when it is missing (pruned) or damaged.
  Status load(uint64_t epoch, Checkpoint* out) const;
  // Deletes every checkpoint and state file (for --overwrite).
  Status clear();

  // The files of incremental checkpoints (above). Writes are atomic and durable; reads check
  // magic, size and checksum.
  Status begin_changes(uint64_t epoch, std::unique_ptr<ChangesFile>* out);
  Status write_changes(uint64_t epoch, const std::vector<StateChange>& changes, uint64_t* bytes);
  Status read_changes(uint64_t epoch, std::vector<StateChange>* out) const;
  Status write_base(uint64_t epoch, std::string_view parts, uint64_t* bytes);
  Status read_base(uint64_t epoch, std::string* parts) const;
  // Deletes the bases older than `oldest_base` and the changes at or before it: what no
  // checkpoint built on `oldest_base` or a later base reads.
  void remove_state_before(uint64_t oldest_base);

  const std::string& dir() const { return dir_; }
  std::string path_of(uint64_t epoch) const;
  // The epochs of the checkpoints on disk, newest first (valid or not).
  std::vector<uint64_t> epochs_on_disk() const;  // newest first; a listing error is logged
  Status list_epochs(std::vector<uint64_t>* epochs) const;  // newest first; IoError if unlistable

  // Decoding, exposed for tests and tools: checks magic, size and checksum.
  static Status decode(std::string bytes, Checkpoint* out);
  static std::string encode(const Checkpoint& checkpoint);

 private:
  std::string dir_;
  std::size_t keep_;
};

}  // namespace pixguard
